//! Key Vault data-plane request bodies, decoded strictly, after
//! `keyvault-data/2025-07-01/keys.excerpt.json` (checked by the conformance test). Field names
//! are snake_case as the spec writes them (`key_size`, `key_ops`).

use crate::contract::{ModelInfo, SpecEnum, SpecModel, SpecRef, enum_info, struct_info};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const KEYS: &str = "keyvault-data/2025-07-01/keys.excerpt.json";

const fn keys(definition: &'static str) -> SpecRef {
    SpecRef {
        file: KEYS,
        definition,
    }
}

/// Every Key Vault model with a spec definition.
pub fn registry() -> Vec<ModelInfo> {
    vec![
        struct_info::<KeyCreateParameters>(),
        struct_info::<KeyUpdateParameters>(),
        struct_info::<KeyAttributes>(),
        struct_info::<KeyReleasePolicy>(),
        enum_info::<JsonWebKeyType>(),
        enum_info::<JsonWebKeyOperation>(),
        enum_info::<JsonWebKeyCurveName>(),
        struct_info::<KeyRotationPolicy>(),
        struct_info::<LifetimeActions>(),
        struct_info::<LifetimeActionsTrigger>(),
        struct_info::<LifetimeActionsType>(),
        struct_info::<KeyRotationPolicyAttributes>(),
        crate::contract::list_info(
            "KeyRotationPolicyAction",
            keys("KeyRotationPolicyAction"),
            &ROTATION_ACTIONS,
        ),
    ]
}

/// `KeyRotationPolicyAction` ("The value should be compared case-insensitively").
pub const ROTATION_ACTIONS: [&str; 2] = ["Rotate", "Notify"];

/// `PUT /keys/{key-name}/rotationpolicy` (`KeyRotationPolicy`; `id` is read-only).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyRotationPolicy {
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub lifetime_actions: Option<Vec<LifetimeActions>>,
    #[serde(default)]
    pub attributes: Option<KeyRotationPolicyAttributes>,
}

impl SpecModel for KeyRotationPolicy {
    const SPEC: SpecRef = keys("KeyRotationPolicy");
    fn example() -> Value {
        json!({})
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LifetimeActions {
    #[serde(default)]
    pub trigger: Option<LifetimeActionsTrigger>,
    #[serde(default)]
    pub action: Option<LifetimeActionsType>,
}

impl SpecModel for LifetimeActions {
    const SPEC: SpecRef = keys("LifetimeActions");
    fn example() -> Value {
        json!({})
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LifetimeActionsTrigger {
    #[serde(default)]
    pub time_after_create: Option<String>,
    #[serde(default)]
    pub time_before_expiry: Option<String>,
}

impl SpecModel for LifetimeActionsTrigger {
    const SPEC: SpecRef = keys("LifetimeActionsTrigger");
    fn example() -> Value {
        json!({})
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifetimeActionsType {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

impl SpecModel for LifetimeActionsType {
    const SPEC: SpecRef = keys("LifetimeActionsType");
    fn example() -> Value {
        json!({})
    }
}

/// `KeyRotationPolicyAttributes` (`created`/`updated` read-only).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyRotationPolicyAttributes {
    #[serde(default)]
    pub expiry_time: Option<String>,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(default)]
    pub updated: Option<i64>,
}

impl SpecModel for KeyRotationPolicyAttributes {
    const SPEC: SpecRef = keys("KeyRotationPolicyAttributes");
    fn example() -> Value {
        json!({})
    }
}

/// `POST /keys/{key-name}/create` (`KeyCreateParameters`, required: `kty`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyCreateParameters {
    pub kty: JsonWebKeyType,
    #[serde(default)]
    pub key_size: Option<i32>,
    #[serde(default)]
    pub public_exponent: Option<i32>,
    #[serde(default)]
    pub key_ops: Option<Vec<JsonWebKeyOperation>>,
    #[serde(default)]
    pub attributes: Option<KeyAttributes>,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub crv: Option<JsonWebKeyCurveName>,
    #[serde(default)]
    pub release_policy: Option<KeyReleasePolicy>,
}

impl SpecModel for KeyCreateParameters {
    const SPEC: SpecRef = keys("KeyCreateParameters");
    fn example() -> Value {
        json!({ "kty": "RSA" })
    }
}

/// `PATCH /keys/{key-name}/{key-version}` (`KeyUpdateParameters`, nothing required).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyUpdateParameters {
    #[serde(default)]
    pub key_ops: Option<Vec<JsonWebKeyOperation>>,
    #[serde(default)]
    pub attributes: Option<KeyAttributes>,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub release_policy: Option<KeyReleasePolicy>,
}

impl SpecModel for KeyUpdateParameters {
    const SPEC: SpecRef = keys("KeyUpdateParameters");
    fn example() -> Value {
        json!({ "attributes": { "enabled": false } })
    }
}

/// `KeyAttributes`; the read-only members are accepted and ignored, as the service does.
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
    pub created: Option<i64>,
    #[serde(default)]
    pub updated: Option<i64>,
    #[serde(default)]
    pub recoverable_days: Option<i32>,
    #[serde(default)]
    pub recovery_level: Option<String>,
    #[serde(default)]
    pub exportable: Option<bool>,
    #[serde(default)]
    pub hsm_platform: Option<String>,
    #[serde(default)]
    pub attestation: Option<Value>,
}

impl SpecModel for KeyAttributes {
    const SPEC: SpecRef = keys("KeyAttributes");
    fn example() -> Value {
        json!({})
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyReleasePolicy {
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub immutable: Option<bool>,
    #[serde(default)]
    pub data: Option<String>,
}

impl SpecModel for KeyReleasePolicy {
    const SPEC: SpecRef = keys("KeyReleasePolicy");
    fn example() -> Value {
        json!({})
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum JsonWebKeyType {
    #[serde(rename = "EC")]
    Ec,
    #[serde(rename = "EC-HSM")]
    EcHsm,
    #[serde(rename = "RSA")]
    Rsa,
    #[serde(rename = "RSA-HSM")]
    RsaHsm,
    #[serde(rename = "oct")]
    Oct,
    #[serde(rename = "oct-HSM")]
    OctHsm,
}

impl JsonWebKeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            JsonWebKeyType::Ec => "EC",
            JsonWebKeyType::EcHsm => "EC-HSM",
            JsonWebKeyType::Rsa => "RSA",
            JsonWebKeyType::RsaHsm => "RSA-HSM",
            JsonWebKeyType::Oct => "oct",
            JsonWebKeyType::OctHsm => "oct-HSM",
        }
    }
}

impl SpecEnum for JsonWebKeyType {
    const SPEC: SpecRef = keys("JsonWebKeyType");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JsonWebKeyOperation {
    Encrypt,
    Decrypt,
    Sign,
    Verify,
    WrapKey,
    UnwrapKey,
    Import,
    Export,
}

impl JsonWebKeyOperation {
    pub fn as_str(self) -> &'static str {
        match self {
            JsonWebKeyOperation::Encrypt => "encrypt",
            JsonWebKeyOperation::Decrypt => "decrypt",
            JsonWebKeyOperation::Sign => "sign",
            JsonWebKeyOperation::Verify => "verify",
            JsonWebKeyOperation::WrapKey => "wrapKey",
            JsonWebKeyOperation::UnwrapKey => "unwrapKey",
            JsonWebKeyOperation::Import => "import",
            JsonWebKeyOperation::Export => "export",
        }
    }
}

impl SpecEnum for JsonWebKeyOperation {
    const SPEC: SpecRef = keys("JsonWebKeyOperation");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum JsonWebKeyCurveName {
    #[serde(rename = "P-256")]
    P256,
    #[serde(rename = "P-384")]
    P384,
    #[serde(rename = "P-521")]
    P521,
    #[serde(rename = "P-256K")]
    P256K,
}

impl JsonWebKeyCurveName {
    pub fn as_str(self) -> &'static str {
        match self {
            JsonWebKeyCurveName::P256 => "P-256",
            JsonWebKeyCurveName::P384 => "P-384",
            JsonWebKeyCurveName::P521 => "P-521",
            JsonWebKeyCurveName::P256K => "P-256K",
        }
    }

    /// Coordinate length in bytes.
    pub fn coordinate_len(self) -> usize {
        match self {
            JsonWebKeyCurveName::P256 | JsonWebKeyCurveName::P256K => 32,
            JsonWebKeyCurveName::P384 => 48,
            JsonWebKeyCurveName::P521 => 66,
        }
    }
}

impl SpecEnum for JsonWebKeyCurveName {
    const SPEC: SpecRef = keys("JsonWebKeyCurveName");
}
