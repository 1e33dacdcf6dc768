//! Azure RBAC role definitions (`Microsoft.Authorization/roleDefinitions`, api-version
//! 2022-04-01): the built-in ids this tool uses, custom roles, and id helpers.

use super::ArmClient;
use super::permissions::Permission;
use crate::ResourceId;
use crate::http::HttpError;
use serde::Deserialize;
use serde_json::Value;

pub const AUTHORIZATION_API_VERSION: &str = "2022-04-01";

/// Built-in role definition ids (DESIGN.md §3; specs/authorization/builtin-roles).
pub mod builtin {
    pub const KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER: &str =
        "e147488a-f6f5-4113-8e2d-b22465e65bf6";
    pub const KEY_VAULT_CRYPTO_OFFICER: &str = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603";
    pub const KEY_VAULT_CRYPTO_USER: &str = "12338af0-0e69-4776-bea7-57ae8d297424";
    pub const KEY_VAULT_ADMINISTRATOR: &str = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
    pub const KEY_VAULT_READER: &str = "21090545-7ca7-4776-b22c-e363652d74d2";
}

/// `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}`.
pub fn role_definition_id(subscription: &str, guid: &str) -> String {
    format!(
        "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    )
}

/// The GUID at the end of a role definition id.
pub fn role_definition_guid(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinition {
    pub id: String,
    pub name: String,
    pub properties: RoleDefinitionProperties,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinitionProperties {
    #[serde(default)]
    pub role_name: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub permissions: Vec<Permission>,
    #[serde(default)]
    pub assignable_scopes: Vec<String>,
}

impl ArmClient {
    /// A role definition by its full id (as a role assignment's `roleDefinitionId` names it).
    pub async fn role_definition_by_id(
        &self,
        id: &str,
    ) -> Result<Option<RoleDefinition>, HttpError> {
        self.get(id, AUTHORIZATION_API_VERSION).await
    }

    /// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}`.
    pub async fn role_definition(
        &self,
        scope: &ResourceId,
        guid: &str,
    ) -> Result<Option<RoleDefinition>, HttpError> {
        self.get(
            &format!("{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
            AUTHORIZATION_API_VERSION,
        )
        .await
    }

    /// `PUT {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}` (a custom role).
    pub async fn put_role_definition(
        &self,
        scope: &ResourceId,
        guid: &str,
        body: &Value,
    ) -> Result<RoleDefinition, HttpError> {
        self.put(
            &format!("{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
            AUTHORIZATION_API_VERSION,
            body,
        )
        .await
    }
}
