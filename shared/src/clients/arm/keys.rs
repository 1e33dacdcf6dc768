//! Key Vault keys through Resource Manager: `Keys_CreateIfNotExist` (`PUT {vault}/keys/{key}`,
//! keyvault resource-manager `keys.json`). Unlike the data plane's create, which adds a version
//! on every call, it makes the first version only when the key is absent and otherwise returns
//! the key unchanged, so concurrent runs end with one version. It needs
//! `Microsoft.KeyVault/vaults/keys/write`, a management-plane action, and no data-plane role.

use super::ArmClient;
use super::vaults::KEYVAULT_API_VERSION;
use crate::ResourceId;
use crate::http::HttpError;
use serde::{Deserialize, Serialize};

/// The management-plane action the create needs.
pub const KEY_WRITE: &str = "Microsoft.KeyVault/vaults/keys/write";

/// `KeyCreateParameters` for an RSA key.
#[derive(Debug, Clone, Serialize)]
struct KeyCreateParameters<'a> {
    properties: NewKey<'a>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct NewKey<'a> {
    kty: &'static str,
    key_size: u32,
    key_ops: &'a [&'a str],
}

/// The key resource as ARM returns it (the fields this tool reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ArmKey {
    pub id: String,
    pub name: String,
    pub properties: ArmKeyProperties,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmKeyProperties {
    #[serde(default)]
    pub kty: Option<String>,
    #[serde(default)]
    pub key_ops: Vec<String>,
    #[serde(default)]
    pub key_size: Option<u32>,
    #[serde(default)]
    pub key_uri_with_version: Option<String>,
    #[serde(default)]
    pub attributes: Option<ArmKeyAttributes>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ArmKeyAttributes {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub created: Option<i64>,
}

impl ArmKey {
    /// The current version: the last segment of `keyUriWithVersion`.
    pub fn version(&self) -> Option<&str> {
        self.properties
            .key_uri_with_version
            .as_deref()
            .and_then(|u| u.trim_end_matches('/').rsplit('/').next())
            .filter(|v| !v.is_empty())
    }
}

impl ArmClient {
    /// Creates RSA key `name` of `size` bits allowing `operations` in `vault` unless it exists;
    /// either way the key as it now is (an existing key is returned untouched).
    pub async fn create_key_if_not_exist(
        &self,
        vault: &ResourceId,
        name: &str,
        size: u32,
        operations: &[&str],
    ) -> Result<ArmKey, HttpError> {
        let path = format!("{vault}/keys/{name}");
        let body = KeyCreateParameters {
            properties: NewKey {
                kty: "RSA",
                key_size: size,
                key_ops: operations,
            },
        };
        self.put(&path, KEYVAULT_API_VERSION, &body).await
    }
}
