//! MongoDB Atlas encryption at rest with the customer's Azure key: the body of
//! `PATCH /api/atlas/v2/groups/{groupId}/encryptionAtRest` (media type
//! `application/vnd.atlas.2023-01-01+json`; field names from the Atlas Admin API v2 `AzureKeyVault` schema).

use crate::cloud::AtlasEnvironment;
use crate::key_uri::VersionedKeyUri;
use crate::{AppId, Cloud, InputError, Secret, SubscriptionId, TenantId};
use serde::Serialize;
use serde_json::{Value, json};

/// The media type Atlas reads and writes encryption-at-rest bodies in.
pub const MEDIA_TYPE: &str = "application/vnd.atlas.2023-01-01+json";

/// `azureKeyVault` of the PATCH body. `Debug` redacts the secret (it is a [`Secret`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AzureKeyVault {
    #[serde(rename = "azureEnvironment")]
    pub azure_environment: AtlasEnvironment,
    /// The app Atlas signs in as (its client id).
    #[serde(rename = "clientID")]
    pub client_id: AppId,
    /// The tenant of the **key** (the customer's), where that app must be installed.
    #[serde(rename = "tenantID")]
    pub tenant_id: TenantId,
    #[serde(rename = "subscriptionID")]
    pub subscription_id: SubscriptionId,
    #[serde(rename = "resourceGroupName")]
    pub resource_group_name: String,
    #[serde(rename = "keyVaultName")]
    pub key_vault_name: String,
    /// The full versioned key identifier.
    #[serde(rename = "keyIdentifier")]
    pub key_identifier: VersionedKeyUri,
    pub enabled: bool,
    #[serde(rename = "requirePrivateNetworking")]
    pub require_private_networking: bool,
    /// The app's client secret (write-only in Atlas).
    pub secret: Secret,
}

/// The PATCH body: `{"azureKeyVault": {…}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EncryptionAtRestPatch {
    #[serde(rename = "azureKeyVault")]
    pub azure_key_vault: AzureKeyVault,
}

/// What Atlas needs to know about the customer's key and the app that reaches it.
#[derive(Debug, Clone)]
pub struct AtlasKeyTarget {
    pub key_tenant: TenantId,
    pub subscription: SubscriptionId,
    pub resource_group: String,
    pub key: VersionedKeyUri,
}

impl EncryptionAtRestPatch {
    /// Builds the body that enables encryption at rest with `target`'s key, signing in as `client_id`
    /// with `secret`. Refuses a Managed HSM key (Atlas's Azure provider takes a Key Vault name).
    pub fn enable(
        cloud: &Cloud,
        client_id: AppId,
        secret: Secret,
        target: &AtlasKeyTarget,
        require_private_networking: bool,
    ) -> Result<Self, InputError> {
        if target.key.kind() != crate::key_uri::KeyStoreKind::Vault {
            return Err(InputError::new("key URI", target.key.to_string(), "this is a Managed HSM key; Atlas's azureKeyVault configuration names a Key Vault (keyVaultName)")
                .with_fix("use an RSA key in a Key Vault for Atlas"));
        }
        if secret.is_empty() {
            return Err(InputError::new("client secret", "", "it is empty")
                .with_fix("pass the client secret of the app Atlas signs in as"));
        }
        crate::resource_id::check_resource_group_name("resourceGroupName", &target.resource_group)?;
        Ok(Self {
            azure_key_vault: AzureKeyVault {
                azure_environment: cloud.atlas_environment,
                client_id,
                tenant_id: target.key_tenant,
                subscription_id: target.subscription,
                resource_group_name: target.resource_group.clone(),
                key_vault_name: target.key.vault_name().to_string(),
                key_identifier: target.key.clone(),
                enabled: true,
                require_private_networking,
                secret,
            },
        })
    }

    /// The body as JSON with the secret replaced by `***`, for dry runs and logs.
    pub fn redacted(&self) -> Value {
        let mut v = serde_json::to_value(self).expect("the body serialises");
        v["azureKeyVault"]["secret"] = json!("***");
        v
    }
}

/// The body that turns Azure Key Vault encryption at rest off (`{"azureKeyVault":{"enabled":false}}`:
/// "pass only this parameter with a value of false").
pub fn disable_body() -> Value {
    json!({ "azureKeyVault": { "enabled": false } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_uri::KeyUri;

    pub(crate) fn target(cloud: &Cloud, uri: &str) -> AtlasKeyTarget {
        AtlasKeyTarget {
            key_tenant: "22222222-2222-2222-2222-222222222222".parse().unwrap(),
            subscription: "00000000-0000-0000-0000-0000000000aa".parse().unwrap(),
            resource_group: "rg-keys".into(),
            key: KeyUri::parse(cloud, "k", uri).unwrap().versioned().unwrap(),
        }
    }

    #[test]
    fn body_has_atlas_field_names_and_redacts() {
        let cloud = Cloud::us_government();
        let t = target(
            &cloud,
            "https://kv1.vault.usgovcloudapi.net/keys/atlas/0123456789abcdef0123456789abcdef",
        );
        let body = EncryptionAtRestPatch::enable(
            &cloud,
            "33333333-3333-3333-3333-333333333333".parse().unwrap(),
            Secret::new("s3cr3t-value"),
            &t,
            false,
        )
        .unwrap();
        let v = serde_json::to_value(&body).unwrap();
        let akv = &v["azureKeyVault"];
        assert_eq!(akv["azureEnvironment"], "AZURE_US_GOVERNMENT");
        assert_eq!(akv["tenantID"], "22222222-2222-2222-2222-222222222222");
        assert_eq!(akv["keyVaultName"], "kv1");
        assert_eq!(
            akv["keyIdentifier"],
            "https://kv1.vault.usgovcloudapi.net/keys/atlas/0123456789abcdef0123456789abcdef"
        );
        assert_eq!(akv["secret"], "s3cr3t-value");
        assert!(!format!("{body:?}").contains("s3cr3t"));
        assert!(!body.redacted().to_string().contains("s3cr3t"));
        assert_eq!(disable_body()["azureKeyVault"]["enabled"], false);
    }

    #[test]
    fn refuses_managed_hsm_and_empty_secret() {
        let cloud = Cloud::public();
        let app = "33333333-3333-3333-3333-333333333333".parse().unwrap();
        let hsm = target(
            &cloud,
            "https://hsm1.managedhsm.azure.net/keys/atlas/0123456789abcdef0123456789abcdef",
        );
        assert!(
            EncryptionAtRestPatch::enable(&cloud, app, Secret::new("x"), &hsm, false)
                .unwrap_err()
                .problem
                .contains("Managed HSM")
        );
        let kv = target(
            &cloud,
            "https://kv1.vault.azure.net/keys/atlas/0123456789abcdef0123456789abcdef",
        );
        assert!(
            EncryptionAtRestPatch::enable(&cloud, app, Secret::new(""), &kv, false)
                .unwrap_err()
                .problem
                .contains("empty")
        );
    }
}
