//! Key Vault management (`Microsoft.KeyVault`, api-version 2026-02-01, specs/keyvault-mgmt):
//! vault GET / PUT (long-running) / PATCH, the global name check, soft-deleted vaults and
//! access-policy updates.

use super::ArmClient;
use crate::http::HttpError;
use crate::{ResourceId, SubscriptionId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The newest stable Key Vault management api-version in specs/keyvault-mgmt.
pub const KEYVAULT_API_VERSION: &str = "2026-02-01";

/// A vault as ARM returns it (the fields this tool reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vault {
    pub id: String,
    pub name: String,
    pub location: String,
    pub properties: VaultProperties,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultProperties {
    pub tenant_id: String,
    #[serde(default)]
    pub vault_uri: Option<String>,
    /// Absent means the spec default (true since 2019).
    #[serde(default)]
    pub enable_soft_delete: Option<bool>,
    #[serde(default)]
    pub enable_purge_protection: Option<bool>,
    /// Absent reads as false on vaults created by older api-versions.
    #[serde(default)]
    pub enable_rbac_authorization: Option<bool>,
    #[serde(default)]
    pub network_acls: Option<NetworkAcls>,
    #[serde(default)]
    pub public_network_access: Option<String>,
    #[serde(default)]
    pub access_policies: Vec<AccessPolicyEntry>,
    #[serde(default)]
    pub provisioning_state: Option<String>,
}

impl Vault {
    pub fn soft_delete(&self) -> bool {
        self.properties.enable_soft_delete.unwrap_or(true)
    }

    pub fn purge_protection(&self) -> bool {
        self.properties.enable_purge_protection.unwrap_or(false)
    }

    pub fn rbac(&self) -> bool {
        self.properties.enable_rbac_authorization.unwrap_or(false)
    }

    /// Why Azure services (Cosmos DB, Atlas) could not reach the vault, if they could not:
    /// a firewall that denies by default without the trusted-services bypass, or public network
    /// access disabled (private endpoints only). DESIGN.md §3, vault prerequisites.
    pub fn firewall_problem(&self) -> Option<String> {
        if self
            .properties
            .public_network_access
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("disabled"))
        {
            return Some("public network access is disabled (private endpoints only)".into());
        }
        let acls = self.properties.network_acls.as_ref()?;
        let denies = acls
            .default_action
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("Deny"));
        // An absent bypass means AzureServices (keyvault-mgmt 2026-02-01 `NetworkRuleSet.bypass`).
        let bypass = acls
            .bypass
            .as_deref()
            .is_none_or(|b| b.eq_ignore_ascii_case("AzureServices"));
        (denies && !bypass).then(|| {
            "its firewall denies by default and does not let trusted Azure services bypass it"
                .to_string()
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkAcls {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bypass: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_action: Option<String>,
}

/// One access policy entry (`AccessPolicyEntry`: tenantId, objectId, permissions required).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPolicyEntry {
    pub tenant_id: String,
    pub object_id: String,
    pub permissions: AccessPermissions,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPermissions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
}

impl AccessPolicyEntry {
    /// Whether this entry's key permissions include every one of `wanted` (case-insensitive).
    pub fn allows_keys(&self, wanted: &[&str]) -> bool {
        wanted.iter().all(|w| {
            self.permissions
                .keys
                .iter()
                .any(|k| k.eq_ignore_ascii_case(w) || k.eq_ignore_ascii_case("all"))
        })
    }
}

/// `CheckNameAvailabilityResult`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NameAvailability {
    pub name_available: bool,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// A soft-deleted vault (`DeletedVault`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedVault {
    pub name: String,
    #[serde(default)]
    pub properties: Value,
}

impl DeletedVault {
    pub fn scheduled_purge_date(&self) -> Option<&str> {
        self.properties.get("scheduledPurgeDate")?.as_str()
    }
}

/// What a new vault is created with: soft delete, purge protection and RBAC authorization on.
pub fn new_vault_body(location: &str, tenant: &str, recover: bool) -> Value {
    let mut properties = json!({
        "tenantId": tenant,
        "sku": { "family": "A", "name": "standard" },
        "enableSoftDelete": true,
        "enablePurgeProtection": true,
        "enableRbacAuthorization": true,
    });
    if recover {
        // createMode recover brings a soft-deleted vault back with its keys (spec: CreateMode).
        properties = json!({
            "tenantId": tenant,
            "sku": { "family": "A", "name": "standard" },
            "createMode": "recover",
        });
    }
    json!({ "location": location, "properties": properties })
}

impl ArmClient {
    pub async fn vault(&self, id: &ResourceId) -> Result<Option<Vault>, HttpError> {
        self.get(&id.to_string(), KEYVAULT_API_VERSION).await
    }

    /// PUT the vault and follow the long-running operation to the final vault.
    pub async fn put_vault(&self, id: &ResourceId, body: &Value) -> Result<Vault, HttpError> {
        self.put_lro(&id.to_string(), KEYVAULT_API_VERSION, body)
            .await
    }

    /// PATCH vault properties (e.g. `enablePurgeProtection: true`).
    pub async fn patch_vault(
        &self,
        id: &ResourceId,
        properties: &Value,
    ) -> Result<Vault, HttpError> {
        self.patch(
            &id.to_string(),
            KEYVAULT_API_VERSION,
            &json!({ "properties": properties }),
        )
        .await
    }

    /// `POST /subscriptions/{sub}/providers/Microsoft.KeyVault/checkNameAvailability`: vault
    /// names are unique across the whole cloud.
    pub async fn check_vault_name(
        &self,
        subscription: SubscriptionId,
        name: &str,
    ) -> Result<NameAvailability, HttpError> {
        self.post_read(
            &format!(
                "/subscriptions/{subscription}/providers/Microsoft.KeyVault/checkNameAvailability"
            ),
            KEYVAULT_API_VERSION,
            &json!({ "name": name, "type": "Microsoft.KeyVault/vaults" }),
        )
        .await
    }

    /// `GET /subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{name}`.
    pub async fn deleted_vault(
        &self,
        subscription: SubscriptionId,
        location: &str,
        name: &str,
    ) -> Result<Option<DeletedVault>, HttpError> {
        self.get(
            &format!(
                "/subscriptions/{subscription}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{name}"
            ),
            KEYVAULT_API_VERSION,
        )
        .await
    }

    /// `PUT {vault}/accessPolicies/{add|replace|remove}` (`Vaults_UpdateAccessPolicy`).
    pub async fn update_access_policy(
        &self,
        vault: &ResourceId,
        operation: &str,
        entries: &[AccessPolicyEntry],
    ) -> Result<Value, HttpError> {
        self.put(
            &format!("{vault}/accessPolicies/{operation}"),
            KEYVAULT_API_VERSION,
            &json!({ "properties": { "accessPolicies": entries } }),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(properties: Value) -> Vault {
        serde_json::from_value(json!({
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
            "name": "kv",
            "location": "westeurope",
            "properties": properties,
        }))
        .unwrap()
    }

    #[test]
    fn firewalls_that_keep_azure_services_out_are_found() {
        let t = "00000000-0000-0000-0000-000000000001";
        assert_eq!(vault(json!({"tenantId": t})).firewall_problem(), None);
        let deny_no_bypass = vault(
            json!({"tenantId": t, "networkAcls": {"defaultAction": "Deny", "bypass": "None"}}),
        );
        assert!(
            deny_no_bypass
                .firewall_problem()
                .unwrap()
                .contains("trusted Azure services")
        );
        let deny_with_bypass = vault(
            json!({"tenantId": t, "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"}}),
        );
        assert_eq!(deny_with_bypass.firewall_problem(), None);
        // An absent bypass is AzureServices (NetworkRuleSet.bypass default).
        let deny_default = vault(json!({"tenantId": t, "networkAcls": {"defaultAction": "Deny"}}));
        assert_eq!(deny_default.firewall_problem(), None);
        let private_only = vault(json!({"tenantId": t, "publicNetworkAccess": "Disabled"}));
        assert!(
            private_only
                .firewall_problem()
                .unwrap()
                .contains("private endpoints")
        );
    }

    #[test]
    fn defaults_read_as_the_spec_says() {
        let v = vault(json!({"tenantId": "t"}));
        assert!(v.soft_delete(), "soft delete defaults to on");
        assert!(
            !v.purge_protection(),
            "purge protection is absent until turned on"
        );
        assert!(!v.rbac());
        let body = new_vault_body("westeurope", "t", false);
        assert_eq!(body["properties"]["enablePurgeProtection"], true);
        assert_eq!(body["properties"]["enableRbacAuthorization"], true);
        assert_eq!(
            new_vault_body("westeurope", "t", true)["properties"]["createMode"],
            "recover"
        );
    }

    #[test]
    fn access_policies_allow_listed_or_all() {
        let entry = AccessPolicyEntry {
            tenant_id: "t".into(),
            object_id: "o".into(),
            permissions: AccessPermissions {
                keys: vec!["Get".into(), "WrapKey".into(), "unwrapKey".into()],
            },
        };
        assert!(entry.allows_keys(&["get", "wrapKey", "unwrapKey"]));
        assert!(!entry.allows_keys(&["encrypt"]));
    }
}
