//! Key Vault keys through Resource Manager: `Keys_CreateIfNotExist` (`PUT
//! {vault}/keys/{key}`, azure-rest-api-specs keyvault resource-manager `keys.json`, since
//! 2019-09-01). It "creates the first version of a new key if it does not exist. If it already
//! exists, then the existing key is returned without any write operations being performed"; the
//! key lives in the same store the data plane reads (`GET /keys/{name}` sees it).
//!
//! Rules kept here:
//! - authorized as `Microsoft.KeyVault/vaults/keys/write`, a management-plane action (Contributor
//!   and Owner hold it; no data-plane role is needed), 403 `AuthorizationFailed`;
//! - names: vault `^[a-zA-Z0-9-]{3,24}$`, key `^[a-zA-Z0-9-]{1,127}$` (keys.json path patterns);
//! - the body is `KeyCreateParameters` (`properties` required; `kty` one of `EC`, `EC-HSM`,
//!   `RSA`, `RSA-HSM`; `keyOps` from `JsonWebKeyOperation`; read-only members ignored);
//! - RSA keys are 2048, 3072 or 4096 bits (keys.json `keySize`, as the data plane);
//! - HSM-protected types only in premium vaults (the data plane's rule, [`hsm_in_standard`]).

use super::{authorize, error};
use crate::contract::{Dialect, decode};
use crate::keyvault::keys::{
    add_version, default_ops, hsm_in_standard, material, recovery, valid_key_name,
};
use crate::keyvault::models::{JsonWebKeyCurveName, JsonWebKeyType};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::{ArmResource, KeyVersion, kinds};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const KEY: &str = "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/keys/{key}";
const WRITE: &str = "Microsoft.KeyVault/vaults/keys/write";

pub fn routes() -> Vec<Route> {
    vec![Route::put(KEY, create_if_not_exist)]
}

/// `KeyCreateParameters` (keys.json).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyCreateParameters {
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    pub properties: KeyProperties,
}

/// `KeyProperties` (keys.json; `keyUri`, `keyUriWithVersion` are read-only and ignored).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyProperties {
    #[serde(default)]
    pub attributes: Option<KeyAttributes>,
    #[serde(default)]
    pub kty: Option<ArmKeyType>,
    #[serde(default)]
    pub key_ops: Option<Vec<ArmKeyOperation>>,
    #[serde(default)]
    pub key_size: Option<i32>,
    #[serde(default)]
    pub curve_name: Option<JsonWebKeyCurveName>,
    #[serde(default)]
    pub key_uri: Option<Value>,
    #[serde(default)]
    pub key_uri_with_version: Option<Value>,
    #[serde(default)]
    pub rotation_policy: Option<Value>,
    #[serde(default, rename = "release_policy")]
    pub release_policy: Option<Value>,
}

/// `KeyAttributes` (keys.json; `created`, `updated`, `recoveryLevel` are read-only).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyAttributes {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub nbf: Option<i64>,
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default)]
    pub created: Option<Value>,
    #[serde(default)]
    pub updated: Option<Value>,
    #[serde(default)]
    pub recovery_level: Option<Value>,
    #[serde(default)]
    pub exportable: Option<bool>,
}

/// `JsonWebKeyType` of keys.json: no symmetric (`oct`) types.
#[derive(Debug, Clone, Copy, Deserialize)]
pub enum ArmKeyType {
    #[serde(rename = "EC")]
    Ec,
    #[serde(rename = "EC-HSM")]
    EcHsm,
    #[serde(rename = "RSA")]
    Rsa,
    #[serde(rename = "RSA-HSM")]
    RsaHsm,
}

impl ArmKeyType {
    fn data_plane(self) -> JsonWebKeyType {
        match self {
            ArmKeyType::Ec => JsonWebKeyType::Ec,
            ArmKeyType::EcHsm => JsonWebKeyType::EcHsm,
            ArmKeyType::Rsa => JsonWebKeyType::Rsa,
            ArmKeyType::RsaHsm => JsonWebKeyType::RsaHsm,
        }
    }
}

/// `JsonWebKeyOperation` of keys.json (`release`, no `export`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ArmKeyOperation {
    Encrypt,
    Decrypt,
    Sign,
    Verify,
    WrapKey,
    UnwrapKey,
    Import,
    Release,
}

impl ArmKeyOperation {
    fn as_str(self) -> &'static str {
        match self {
            ArmKeyOperation::Encrypt => "encrypt",
            ArmKeyOperation::Decrypt => "decrypt",
            ArmKeyOperation::Sign => "sign",
            ArmKeyOperation::Verify => "verify",
            ArmKeyOperation::WrapKey => "wrapKey",
            ArmKeyOperation::UnwrapKey => "unwrapKey",
            ArmKeyOperation::Import => "import",
            ArmKeyOperation::Release => "release",
        }
    }
}

/// The key resource (keys.json `Key`) of the current version `v` of key `name` in `vault`.
fn resource(vault: &ArmResource, name: &str, v: &KeyVersion) -> Value {
    let (level, _) = recovery(&vault.body);
    let base = vault.body["properties"]["vaultUri"]
        .as_str()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_string();
    let mut properties = json!({
        "attributes": {
            "enabled": v.enabled,
            "created": v.created,
            "updated": v.updated,
            "recoveryLevel": level,
            "exportable": v.exportable.unwrap_or(false),
        },
        "kty": v.kty,
        "keyOps": v.key_ops,
        "keyUri": format!("{base}/keys/{name}"),
        "keyUriWithVersion": format!("{base}/keys/{name}/{}", v.version),
    });
    if let Some(n) = v.public.get("n") {
        // The modulus is base64url without padding: its byte length is the key size.
        properties["keySize"] = json!(n.len() * 6 / 8 * 8);
    }
    if let Some(crv) = v.public.get("crv") {
        properties["curveName"] = json!(crv);
    }
    if let Some(nbf) = v.nbf {
        properties["attributes"]["nbf"] = json!(nbf);
    }
    if let Some(exp) = v.exp {
        properties["attributes"]["exp"] = json!(exp);
    }
    let mut body = json!({
        "id": format!("{}/keys/{name}", vault.id),
        "name": name,
        "type": "Microsoft.KeyVault/vaults/keys",
        "location": vault.body["location"],
        "properties": properties,
    });
    if !v.tags.is_empty() {
        body["tags"] = json!(v.tags);
    }
    body
}

fn create_if_not_exist(call: &Call) -> Reply {
    let scope = super::path_scope(call);
    if let Err(r) = authorize(call, &scope, WRITE) {
        return r;
    }
    let (vault_name, name) = (call.param("vault"), call.param("key").to_string());
    // Path patterns of Keys_CreateIfNotExist (keys.json: vaultName, keyName).
    if !(3..=24).contains(&vault_name.len())
        || !vault_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        || !valid_key_name(&name)
    {
        return error(
            400,
            "BadRequest",
            &format!(
                "The key name '{name}' in vault '{vault_name}' is invalid: vault names match ^[a-zA-Z0-9-]{{3,24}}$ and key names ^[a-zA-Z0-9-]{{1,127}}$."
            ),
        );
    }
    let vault = {
        let state = call.state();
        state
            .resources
            .values()
            .find(|r| {
                r.kind.eq_ignore_ascii_case("Microsoft.KeyVault/vaults")
                    && r.id.eq_ignore_ascii_case(
                        scope
                            .rsplit_once("/keys/")
                            .map(|(v, _)| v)
                            .unwrap_or_default(),
                    )
            })
            .cloned()
    };
    let Some(vault) = vault else {
        return error(
            404,
            "ResourceNotFound",
            &format!(
                "The Resource 'Microsoft.KeyVault/vaults/{vault_name}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
                call.param("rg")
            ),
        );
    };
    let params: KeyCreateParameters = match decode(call, Dialect::Arm) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let props = params.properties;
    let Some(kty) = props.kty else {
        // `kty` is the one member a new key cannot do without (keys.json example: `{"kty":"RSA"}`).
        return error(
            400,
            "BadRequest",
            "The key type (properties.kty) is required to create a key: EC, EC-HSM, RSA or RSA-HSM.",
        );
    };
    let jwk = kty.data_plane();
    let rsa = matches!(kty, ArmKeyType::Rsa | ArmKeyType::RsaHsm);
    let size = props.key_size.unwrap_or(2048);
    // RSA keys are 2048, 3072 or 4096 bits (keys.json KeyProperties.keySize).
    if rsa && ![2048, 3072, 4096].contains(&size) {
        return error(
            400,
            "BadParameter",
            &format!("The specified key size {size} is not supported; use 2048, 3072 or 4096."),
        );
    }
    // Standard vaults hold software-protected keys only (Key Vault "About keys").
    if let Some(refused) = hsm_in_standard(jwk, &vault) {
        return error(400, "BadParameter", &refused);
    }
    let store = vault.name.to_ascii_lowercase();
    let lower = name.to_ascii_lowercase();
    let mut state = call.state();
    // An existing key is returned as it is: no new version, nothing updated (Keys_CreateIfNotExist).
    if let Some(key) = state.keys.get(&store).and_then(|keys| keys.get(&lower))
        && let Some(current) = key.versions.last()
    {
        return Reply::ok(resource(&vault, &key.name, current)).changed_nothing();
    }
    let now = crate::tokens::now();
    let attributes = props.attributes.as_ref();
    let version = KeyVersion {
        version: uuid::Uuid::new_v4().simple().to_string(),
        kty: match kty {
            ArmKeyType::Ec => "EC",
            ArmKeyType::EcHsm => "EC-HSM",
            ArmKeyType::Rsa => "RSA",
            ArmKeyType::RsaHsm => "RSA-HSM",
        }
        .to_string(),
        key_ops: match &props.key_ops {
            Some(ops) => ops.iter().map(|o| o.as_str().to_string()).collect(),
            None => default_ops(rsa),
        },
        public: material(
            jwk,
            size as usize,
            65537,
            props.curve_name.unwrap_or(JsonWebKeyCurveName::P256),
        ),
        enabled: attributes.and_then(|a| a.enabled).unwrap_or(true),
        created: now,
        updated: now,
        nbf: attributes.and_then(|a| a.nbf),
        exp: attributes.and_then(|a| a.exp),
        exportable: attributes.and_then(|a| a.exportable),
        tags: params.tags.unwrap_or_default(),
    };
    let body = resource(&vault, &name, &version);
    add_version(&mut state, &store, &name, version);
    drop(state);
    call.sim
        .replication
        .created(kinds::KEY, &format!("{store}/{lower}"));
    Reply::ok(body)
}
