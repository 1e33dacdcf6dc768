//! Azure Cosmos DB accounts (`Microsoft.DocumentDB/databaseAccounts`, api-version
//! [`API_VERSION`](crate::cosmos::API_VERSION), specs/cosmosdb): read, create (PUT, long-running),
//! update (PATCH, long-running) and the global name check (`HEAD
//! /providers/Microsoft.DocumentDB/databaseAccountNames/{name}`: 200 taken, 404 free).
//!
//! The resource provider's errors are a top-level `{"code","message"}` (the tolerant error parser
//! reads them). Reads use 2026-07-15, so `customerManagedKeyStatus` (2023-09-15 and later) comes back.

use super::ArmClient;
use crate::ResourceId;
use crate::cosmos::status::KeyStatus;
use crate::cosmos::{API_VERSION, AccountIdentity, IdentityType};
use crate::http::HttpError;
use azure_core::http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An account as ARM returns it (the members this tool reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseAccount {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub identity: Option<AccountIdentity>,
    #[serde(default)]
    pub properties: DatabaseAccountProperties,
}

/// `DatabaseAccountGetProperties`, the members this tool reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseAccountProperties {
    #[serde(default)]
    pub provisioning_state: Option<String>,
    #[serde(default)]
    pub document_endpoint: Option<String>,
    /// The versionless key URI once customer-managed keys are on.
    #[serde(default)]
    pub key_vault_key_uri: Option<String>,
    /// `FirstPartyIdentity`, `SystemAssignedIdentity` or `UserAssignedIdentity=<id>[&FederatedClientId=<app>]`.
    #[serde(default)]
    pub default_identity: Option<String>,
    /// 2023-09-15 and later: whether the account reaches its key (see [`KeyStatus`]).
    #[serde(default)]
    pub customer_managed_key_status: Option<String>,
}

impl DatabaseAccount {
    /// The key URI, when customer-managed keys are on.
    pub fn key_uri(&self) -> Option<&str> {
        self.properties
            .key_vault_key_uri
            .as_deref()
            .filter(|k| !k.trim().is_empty())
    }

    /// Whether customer-managed keys are on (they cannot be turned off again).
    pub fn has_cmk(&self) -> bool {
        self.key_uri().is_some()
    }

    pub fn default_identity(&self) -> &str {
        self.properties
            .default_identity
            .as_deref()
            .unwrap_or("FirstPartyIdentity")
    }

    /// The decoded `customerManagedKeyStatus`, when the account reports one.
    pub fn key_status(&self) -> Option<KeyStatus> {
        self.properties
            .customer_managed_key_status
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(KeyStatus::decode)
    }

    /// Whether `uami` is one of the account's user-assigned identities.
    pub fn has_identity(&self, uami: &ResourceId) -> bool {
        self.identity
            .as_ref()
            .is_some_and(|i| i.has_user_assigned(uami))
    }

    /// The `identity` block that adds `uami` to what the account has: the user-assigned identities
    /// it holds are kept (values `{}`: their ids are read-only), a system-assigned one too.
    pub fn identity_with(&self, uami: &ResourceId) -> AccountIdentity {
        let mut block = AccountIdentity::user_assigned(uami);
        if let Some(current) = &self.identity {
            for id in current.user_assigned_identities.keys() {
                let same = id.parse::<ResourceId>().is_ok_and(|i| i == *uami);
                if !same {
                    block
                        .user_assigned_identities
                        .insert(id.clone(), serde_json::json!({}));
                }
            }
            if matches!(
                current.kind,
                IdentityType::SystemAssigned | IdentityType::SystemAssignedUserAssigned
            ) {
                block.kind = IdentityType::SystemAssignedUserAssigned;
            }
        }
        block
    }
}

/// The body of `PATCH …/databaseAccounts/{name}` (`DatabaseAccountUpdateParameters`), one change at a
/// time: updating `identity` and `defaultIdentity` in one request is known to keep the old default
/// identity silently (hashicorp/terraform-provider-azurerm#21780), so each goes in its own request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<AccountIdentity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<UpdateProperties>,
}

/// `DatabaseAccountUpdateProperties`, the members this tool sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_vault_key_uri: Option<String>,
}

impl AccountUpdate {
    /// `{"identity": …}`.
    pub fn identity(identity: AccountIdentity) -> Self {
        Self {
            identity: Some(identity),
            properties: None,
        }
    }

    /// `{"properties": {"defaultIdentity": …}}`.
    pub fn default_identity(value: impl Into<String>) -> Self {
        Self {
            identity: None,
            properties: Some(UpdateProperties {
                default_identity: Some(value.into()),
                key_vault_key_uri: None,
            }),
        }
    }

    /// `{"properties": {"keyVaultKeyUri": …}}` (versionless).
    pub fn key(uri: &crate::VersionlessKeyUri) -> Self {
        Self {
            identity: None,
            properties: Some(UpdateProperties {
                default_identity: None,
                key_vault_key_uri: Some(uri.to_string()),
            }),
        }
    }
}

impl ArmClient {
    /// The account at `id`; `None` when it does not exist (a missing resource group is an error).
    pub async fn cosmos_account(
        &self,
        id: &ResourceId,
    ) -> Result<Option<DatabaseAccount>, HttpError> {
        self.get(&id.to_string(), API_VERSION).await
    }

    /// Creates the account at `id` with `body` (`DatabaseAccountCreateUpdateParameters`) and follows
    /// the long-running operation to the account.
    pub async fn create_cosmos_account(
        &self,
        id: &ResourceId,
        body: &Value,
    ) -> Result<DatabaseAccount, HttpError> {
        self.put_lro(&id.to_string(), API_VERSION, body).await
    }

    /// Updates the account at `id` with `change` and follows the long-running operation.
    pub async fn update_cosmos_account(
        &self,
        id: &ResourceId,
        change: &AccountUpdate,
    ) -> Result<DatabaseAccount, HttpError> {
        self.patch(&id.to_string(), API_VERSION, change).await
    }

    /// Whether an account named `name` exists anywhere (names are global: they become
    /// `<name>.documents.azure.com`).
    pub async fn cosmos_account_name_taken(&self, name: &str) -> Result<bool, HttpError> {
        let path = format!("/providers/Microsoft.DocumentDB/databaseAccountNames/{name}");
        let response = self
            .service_client()
            .send(self.request(Method::Head, &path, API_VERSION)?)
            .await?;
        match response.status {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(response.into_result().err().unwrap_or_else(|| {
                crate::http::RequestError {
                    service: crate::http::Service::Arm,
                    method: "HEAD".into(),
                    path,
                    message: "unexpected answer to the name check".into(),
                    hint: None,
                }
                .into()
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn uami(name: &str) -> ResourceId {
        ResourceId::user_assigned_identity(
            "00000000-0000-0000-0000-0000000000aa".parse().unwrap(),
            "rg",
            name,
        )
    }

    #[test]
    fn reads_an_account_and_its_status() {
        let a: DatabaseAccount = serde_json::from_value(json!({
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/a1",
            "name": "a1",
            "location": "westeurope",
            "identity": {"type": "UserAssigned", "userAssignedIdentities": {uami("u1").to_string(): {"principalId": "p", "clientId": "c"}}},
            "properties": {
                "provisioningState": "Succeeded",
                "keyVaultKeyUri": "https://kv.vault.azure.net/keys/k",
                "defaultIdentity": "UserAssignedIdentity=x&FederatedClientId=y",
                "customerManagedKeyStatus": "Access to your account is currently revoked because … (4002).",
                "somethingElse": 1
            }
        }))
        .unwrap();
        assert!(a.has_cmk());
        assert!(a.has_identity(&uami("u1")));
        assert!(!a.has_identity(&uami("u2")));
        assert_eq!(a.key_status().unwrap().state(), "revoked-4002");
        let bare: DatabaseAccount =
            serde_json::from_value(json!({"id": "x", "name": "a2", "properties": {}})).unwrap();
        assert!(!bare.has_cmk());
        assert_eq!(bare.default_identity(), "FirstPartyIdentity");
        assert!(bare.key_status().is_none());
    }

    #[test]
    fn identity_blocks_keep_what_the_account_has() {
        let a: DatabaseAccount = serde_json::from_value(json!({
            "id": "x", "name": "a",
            "identity": {"type": "SystemAssigned,UserAssigned", "principalId": "p",
                "userAssignedIdentities": {uami("other").to_string(): {"principalId": "p2"}}},
            "properties": {}
        }))
        .unwrap();
        let block = serde_json::to_value(a.identity_with(&uami("u1"))).unwrap();
        assert_eq!(block["type"], "SystemAssigned,UserAssigned");
        assert_eq!(
            block["userAssignedIdentities"][uami("u1").to_string()],
            json!({})
        );
        assert_eq!(
            block["userAssignedIdentities"][uami("other").to_string()],
            json!({})
        );
    }

    #[test]
    fn update_bodies_carry_one_change_each() {
        assert_eq!(
            serde_json::to_value(AccountUpdate::default_identity("d")).unwrap(),
            json!({"properties": {"defaultIdentity": "d"}})
        );
        assert_eq!(
            serde_json::to_value(AccountUpdate::identity(AccountIdentity::user_assigned(
                &uami("u")
            )))
            .unwrap(),
            json!({"identity": {"type": "UserAssigned", "userAssignedIdentities": {uami("u").to_string(): {}}}})
        );
    }
}
