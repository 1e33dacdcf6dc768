//! An application's client secrets: `POST /applications(appId='…')/addPassword` and
//! `…/removePassword`, and the secrets an app has (its `passwordCredentials`, which never carry
//! the text). Twin of `tests/src/graph/passwords.rs`.
//!
//! Graph rules (learn.microsoft.com/graph/api/application-addpassword, application-removepassword,
//! resources/passwordcredential): the generated `secretText` is "only returned during the initial
//! POST request to addPassword"; afterwards only its `hint` (first three characters) is shown.

use super::GraphClient;
use super::applications::application_by_app_id;
use crate::http::HttpError;
use crate::{AppId, Secret};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// A secret as Graph lists it (no text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredentialInfo {
    pub key_id: Uuid,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub hint: Option<String>,
    /// ISO 8601 UTC.
    #[serde(default)]
    pub end_date_time: Option<String>,
    #[serde(default)]
    pub start_date_time: Option<String>,
}

impl PasswordCredentialInfo {
    pub fn expires(&self) -> Option<OffsetDateTime> {
        self.end_date_time
            .as_deref()
            .and_then(|e| OffsetDateTime::parse(e, &Rfc3339).ok())
    }
}

/// A secret just added: its text exists only here. `Debug` redacts it.
#[derive(Debug, Clone)]
pub struct NewPassword {
    pub info: PasswordCredentialInfo,
    pub secret: Secret,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Added {
    key_id: Uuid,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    hint: Option<String>,
    #[serde(default)]
    end_date_time: Option<String>,
    #[serde(default)]
    start_date_time: Option<String>,
    secret_text: Secret,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Credentials {
    #[serde(default)]
    password_credentials: Vec<PasswordCredentialInfo>,
}

impl GraphClient {
    /// The secrets of the app with client id `app` (in the caller's tenant); `None` when there is
    /// no such app.
    pub async fn passwords(
        &self,
        app: &AppId,
    ) -> Result<Option<Vec<PasswordCredentialInfo>>, HttpError> {
        let found: Option<Credentials> = self.get(&application_by_app_id(app)).await?;
        Ok(found.map(|c| c.password_credentials))
    }

    /// Adds a secret named `display_name` that expires at `end`.
    pub async fn add_password(
        &self,
        app: &AppId,
        display_name: &str,
        end: OffsetDateTime,
    ) -> Result<NewPassword, HttpError> {
        let end = end.format(&Rfc3339).unwrap_or_default();
        let added: Added = self
            .post(
                &format!("{}/addPassword", application_by_app_id(app)),
                &json!({ "passwordCredential": { "displayName": display_name, "endDateTime": end } }),
            )
            .await?;
        Ok(NewPassword {
            info: PasswordCredentialInfo {
                key_id: added.key_id,
                display_name: added.display_name,
                hint: added.hint,
                end_date_time: added.end_date_time,
                start_date_time: added.start_date_time,
            },
            secret: added.secret_text,
        })
    }

    /// Removes the secret `key_id` of the app.
    pub async fn remove_password(&self, app: &AppId, key_id: &Uuid) -> Result<(), HttpError> {
        self.post::<_, ()>(
            &format!("{}/removePassword", application_by_app_id(app)),
            &json!({ "keyId": key_id }),
        )
        .await
    }
}
