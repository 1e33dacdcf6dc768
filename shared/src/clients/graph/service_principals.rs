//! Graph service principals, addressed by the app's client id.
//!
//! Graph rules (learn.microsoft.com/graph/api/serviceprincipal-upsert and -get):
//! - `GET /servicePrincipals(appId='{appId}')` reads the app's service principal in the caller's
//!   tenant (404 when it is not installed);
//! - `PATCH /servicePrincipals(appId='{appId}')` with `Prefer: create-if-missing` creates it
//!   (201 with the object) or, when it exists already, updates it (204). Unlike a POST, a
//!   concurrent install (admin consent) cannot make it fail with 409
//!   `Request_MultipleObjectsWithSameKeyValue`.

use super::{GraphClient, Upserted, alternate_key};
use crate::http::HttpError;
use crate::{AppId, ObjectId};
use serde::{Deserialize, Serialize};

/// The fields of a service principal this tool reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipalInfo {
    /// The object id in this tenant: what role assignments and access policies name.
    pub id: ObjectId,
    pub app_id: AppId,
    #[serde(default)]
    pub display_name: Option<String>,
    /// The tenant where the app is registered.
    #[serde(default)]
    pub app_owner_organization_id: Option<String>,
    #[serde(default)]
    pub service_principal_type: Option<String>,
}

/// `/servicePrincipals(appId='…')`.
pub fn service_principal_path(app_id: &AppId) -> String {
    alternate_key("servicePrincipals", "appId", &app_id.to_string())
}

impl GraphClient {
    /// The service principal of `app_id` in the caller's tenant; `None` when not installed.
    pub async fn service_principal(
        &self,
        app_id: &AppId,
    ) -> Result<Option<ServicePrincipalInfo>, HttpError> {
        self.get(&service_principal_path(app_id)).await
    }

    /// Installs the app's service principal (upsert by `appId`). `Created` holds the new object;
    /// `Updated` means it existed already (read it with [`GraphClient::service_principal`]).
    pub async fn upsert_service_principal(
        &self,
        app_id: &AppId,
    ) -> Result<Upserted<ServicePrincipalInfo>, HttpError> {
        // An empty body changes nothing on an existing object; Graph fills displayName from the app.
        self.upsert(&service_principal_path(app_id), &serde_json::json!({}))
            .await
    }
}
