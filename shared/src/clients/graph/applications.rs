//! Graph applications.
//!
//! Graph rules (learn.microsoft.com/graph/api/application-upsert, application-get,
//! application-list-federatedidentitycredentials, application-post-federatedidentitycredentials):
//! - `/applications(appId='…')` and `/applications(uniqueName='…')` address an app without its
//!   object id; `PATCH /applications(uniqueName='…')` with `Prefer: create-if-missing` creates
//!   (201 + object) or updates (204), so a replica that has not seen a new app yet cannot make a
//!   re-run create a second one.

use super::{GraphClient, GraphQuery, Upserted, alternate_key};
use crate::http::HttpError;
use crate::{AppId, ObjectId};
use serde::{Deserialize, Serialize};

/// The fields of an application this tool reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationInfo {
    /// The object id in the home tenant.
    pub id: ObjectId,
    pub app_id: AppId,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub sign_in_audience: Option<String>,
    #[serde(default)]
    pub unique_name: Option<String>,
    #[serde(default)]
    pub web: Option<WebInfo>,
}

impl ApplicationInfo {
    /// The redirect URIs registered for the web platform.
    pub fn redirect_uris(&self) -> &[String] {
        self.web
            .as_ref()
            .map(|w| w.redirect_uris.as_slice())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebInfo {
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

/// A directory object listed as an app's owner.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerInfo {
    pub id: ObjectId,
    #[serde(default)]
    pub user_principal_name: Option<String>,
}

/// `/applications(appId='…')`.
pub fn application_by_app_id(app_id: &AppId) -> String {
    alternate_key("applications", "appId", &app_id.to_string())
}

/// `/applications(uniqueName='…')`.
pub fn application_by_unique_name(unique_name: &str) -> String {
    alternate_key("applications", "uniqueName", unique_name)
}

impl GraphClient {
    /// The app with this client id in the caller's tenant; `None` when Graph answers 404.
    pub async fn application_by_app_id(
        &self,
        app_id: &AppId,
    ) -> Result<Option<ApplicationInfo>, HttpError> {
        self.get(&application_by_app_id(app_id)).await
    }

    /// The app with this unique name; `None` when Graph answers 404.
    pub async fn application_by_unique_name(
        &self,
        unique_name: &str,
    ) -> Result<Option<ApplicationInfo>, HttpError> {
        self.get(&application_by_unique_name(unique_name)).await
    }

    /// Creates the app under `unique_name`, or updates it if it exists (`body` must hold
    /// `displayName`).
    pub async fn upsert_application<B: Serialize + ?Sized>(
        &self,
        unique_name: &str,
        body: &B,
    ) -> Result<Upserted<ApplicationInfo>, HttpError> {
        self.upsert(&application_by_unique_name(unique_name), body)
            .await
    }

    /// Updates the app with object id `id` (204).
    pub async fn update_application<B: Serialize + ?Sized>(
        &self,
        id: &ObjectId,
        body: &B,
    ) -> Result<(), HttpError> {
        self.patch(&format!("/applications/{id}"), body).await
    }

    /// The app's owners.
    pub async fn application_owners(&self, id: &ObjectId) -> Result<Vec<OwnerInfo>, HttpError> {
        self.list(
            &format!("/applications/{id}/owners"),
            &GraphQuery::default(),
        )
        .await
    }
}
