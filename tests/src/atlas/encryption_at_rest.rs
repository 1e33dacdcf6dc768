//! `GET` / `PATCH /api/atlas/v2/groups/{groupId}/encryptionAtRest` with Azure Key Vault
//! (`getGroupEncryptionAtRest`, Project Read Only; `updateGroupEncryptionAtRest`, Project Owner;
//! `EncryptionAtRest` / `AzureKeyVault` of specs/mongodb-atlas).
//!
//! Rules, each from Atlas's documents (codes and texts: Atlas Administration API Error Codes):
//! - the body is decoded strictly; an unknown member is `INVALID_ATTRIBUTE`, a wrong type
//!   `INVALID_JSON_ATTRIBUTE`; `valid` is read-only and ignored;
//! - only dedicated tiers (M10+) can use it: `INSUFFICIENT_INSTANCE_SIZE` ("not available for M0
//!   free clusters, M2, M5");
//! - to enable, every member of the provider's object is required (`MISSING_ATTRIBUTE`); once on,
//!   "administrators can pass only the changed fields"; `{"enabled": false}` alone turns it off;
//! - `clientID` + `tenantID` + `secret`, or `roleId` (a `cloudProviderAccess` role), not both;
//! - the key identifier is the full versioned one (`AZURE_KEY_VAULT_KEY_IDENTIFIER_INVALID_FORMAT`)
//!   and belongs to the named vault;
//! - once private endpoints exist, `keyVaultName`, `resourceGroupName` and `subscriptionID` cannot
//!   change (`ATTRIBUTE_READ_ONLY`, the closest documented code), private networking cannot be
//!   turned off and encryption at rest cannot be disabled until they are deleted (Atlas's AKV over
//!   private endpoint page; `VALIDATION_ERROR`);
//! - while Atlas cannot reach the current key, the key cannot be changed
//!   (`ENCRYPTION_AT_REST_SETTINGS_INVALID`);
//! - the settings are checked by reaching the key ([`key_check`]); `valid` is that check, run again
//!   on every read, so a revoked grant shows as `valid: false`;
//! - changes and failed checks are recorded as project events (`ENCRYPTION_AT_REST_CONFIGURATION_UPDATED`,
//!   `ENCRYPTION_AT_REST_CONFIGURATION_VALIDATION_FAILED`).

use super::groups::project_for;
use super::key_check::{self, Access, Failure, Settings, parse_key_identifier};
use super::{error, require_role};
use crate::contract::{Dialect, decode};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::shared::Shared;
use crate::state::State;
use crate::state::atlas::{AtlasEvent, AtlasProject, GROUP_READ_ONLY};
use crate::state::secret_hash;
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub const CONFIGURATION_UPDATED: &str = "ENCRYPTION_AT_REST_CONFIGURATION_UPDATED";
pub const VALIDATION_FAILED: &str = "ENCRYPTION_AT_REST_CONFIGURATION_VALIDATION_FAILED";

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/api/atlas/v2/groups/{group}/encryptionAtRest", get),
        Route::patch("/api/atlas/v2/groups/{group}/encryptionAtRest", patch),
    ]
}

/// `AzureKeyVault.azureEnvironment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AzureEnvironment {
    Azure,
    AzureChina,
    AzureUsGovernment,
}

impl AzureEnvironment {
    fn as_str(self) -> &'static str {
        match self {
            AzureEnvironment::Azure => "AZURE",
            AzureEnvironment::AzureChina => "AZURE_CHINA",
            AzureEnvironment::AzureUsGovernment => "AZURE_US_GOVERNMENT",
        }
    }
}

/// `AzureKeyVault` as a request body (every member optional, as in the spec).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureKeyVault {
    #[serde(default, rename = "azureEnvironment")]
    pub azure_environment: Option<AzureEnvironment>,
    #[serde(default, rename = "clientID")]
    pub client_id: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default, rename = "keyIdentifier")]
    pub key_identifier: Option<String>,
    #[serde(default, rename = "keyVaultName")]
    pub key_vault_name: Option<String>,
    #[serde(default, rename = "requirePrivateNetworking")]
    pub require_private_networking: Option<bool>,
    #[serde(default, rename = "resourceGroupName")]
    pub resource_group_name: Option<String>,
    #[serde(default, rename = "roleId")]
    pub role_id: Option<String>,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default, rename = "subscriptionID")]
    pub subscription_id: Option<String>,
    #[serde(default, rename = "tenantID")]
    pub tenant_id: Option<String>,
    /// Read-only: accepted and ignored.
    #[serde(default)]
    pub valid: Option<bool>,
}

/// `EncryptionAtRest` as a request body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EncryptionAtRest {
    #[serde(default)]
    pub aws_kms: Option<Value>,
    #[serde(default)]
    pub azure_key_vault: Option<AzureKeyVault>,
    #[serde(default)]
    pub enabled_for_search_nodes: Option<bool>,
    #[serde(default)]
    pub google_cloud_kms: Option<Value>,
}

/// The members a configuration needs, per way in.
const SECRET_MEMBERS: [&str; 8] = [
    "azureEnvironment",
    "clientID",
    "tenantID",
    "secret",
    "subscriptionID",
    "resourceGroupName",
    "keyVaultName",
    "keyIdentifier",
];
const ROLE_MEMBERS: [&str; 6] = [
    "azureEnvironment",
    "roleId",
    "subscriptionID",
    "resourceGroupName",
    "keyVaultName",
    "keyIdentifier",
];

fn stored(project: &AtlasProject) -> Map<String, Value> {
    project.encryption_at_rest["azureKeyVault"]
        .as_object()
        .cloned()
        .unwrap_or_default()
}

fn text(config: &Map<String, Value>, name: &str) -> String {
    config
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn present(config: &Map<String, Value>, name: &str) -> bool {
    config
        .get(name)
        .is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
}

/// The settings a stored configuration (with the secret's hash) describes.
pub fn settings(config: &Map<String, Value>, secret_sha256: Option<String>) -> Settings {
    let access = if present(config, "roleId") {
        Access::Role {
            role_id: text(config, "roleId"),
        }
    } else {
        Access::Secret {
            client_id: text(config, "clientID"),
            tenant_id: text(config, "tenantID"),
            secret_sha256,
        }
    };
    Settings {
        access,
        subscription_id: text(config, "subscriptionID"),
        resource_group_name: text(config, "resourceGroupName"),
        key_vault_name: text(config, "keyVaultName"),
        key_identifier: text(config, "keyIdentifier"),
        require_private_networking: config
            .get("requirePrivateNetworking")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }
}

fn event(state: &mut State, project_id: &str, kind: &str) {
    let id = state.atlas.next_id("event");
    if let Some(p) = state.atlas.project_mut(project_id) {
        p.events.push(AtlasEvent {
            id,
            event_type_name: kind.into(),
            created: crate::tokens::now(),
        });
    }
}

/// Checks the stored configuration again (as Atlas does continuously) and answers the document
/// with `valid`. A check that newly fails is recorded as an event.
pub fn refresh(shared: &Shared, state: &mut State, project_id: &str) -> Option<Value> {
    let project = state.atlas.project(project_id)?.clone();
    let config = stored(&project);
    let enabled = config.get("enabled").and_then(Value::as_bool) == Some(true);
    let mut view = config.clone();
    if enabled {
        let result = key_check::reach(
            shared,
            state,
            &project,
            &settings(&config, project.azure_secret_sha256.clone()),
        );
        view.insert("valid".into(), json!(result.is_ok()));
        let failure = result.err().map(|f| f.explain());
        if failure.is_some() && project.last_key_failure.is_none() {
            event(state, project_id, VALIDATION_FAILED);
        }
        if let Some(p) = state.atlas.project_mut(project_id) {
            p.last_key_failure = failure;
        }
    }
    Some(json!({ "azureKeyVault": view }))
}

fn get(call: &Call) -> Reply {
    let project = match project_for(call) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = require_role(call, &project.id, &[GROUP_READ_ONLY]) {
        return r;
    }
    let mut state = call.state();
    match refresh(&call.sim, &mut state, &project.id) {
        Some(view) => Reply::ok(view),
        None => error(
            404,
            "GROUP_NOT_FOUND",
            &format!("No group with ID {} exists.", project.id),
        ),
    }
}

fn missing(name: &str) -> Reply {
    error(
        400,
        "MISSING_ATTRIBUTE",
        &format!("The required attribute {name} was not specified."),
    )
}

fn bad_format(name: &str) -> Reply {
    error(
        400,
        "INVALID_JSON_ATTRIBUTE",
        &format!("Received JSON for the {name} attribute does not match expected format."),
    )
}

fn validation(detail: &str) -> Reply {
    error(
        400,
        "VALIDATION_ERROR",
        &format!("The request content produced the validation error: {detail}."),
    )
}

fn patch(call: &Call) -> Reply {
    let project = match project_for(call) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = require_role(call, &project.id, &[]) {
        return r;
    }
    let body: EncryptionAtRest = match decode(call, Dialect::Atlas) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let _ = body.enabled_for_search_nodes;
    for (name, value) in [
        ("awsKms", &body.aws_kms),
        ("googleCloudKms", &body.google_cloud_kms),
    ] {
        if value.is_some() {
            return error(
                400,
                "INVALID_ENCRYPTION_AT_REST_PROVIDER",
                &format!("An invalid Encryption at Rest provider {name} was specified."),
            );
        }
    }
    let Some(akv) = body.azure_key_vault else {
        return error(
            400,
            "MISSING_ENCRYPTION_AT_REST_PROVIDER",
            "At least one Encryption at Rest provider must be specified.",
        );
    };
    let _ = akv.valid;
    if !project.tier_supports_encryption() {
        return error(
            400,
            "INSUFFICIENT_INSTANCE_SIZE",
            "This feature requires instance size M10 or larger.",
        );
    }
    let current = stored(&project);
    let was_enabled = current.get("enabled").and_then(Value::as_bool) == Some(true);

    if akv.enabled == Some(false) {
        if project.endpoints_present() {
            return validation(
                "delete every encryption at rest private endpoint of the project before disabling encryption at rest",
            );
        }
        let mut state = call.state();
        if let Some(p) = state.atlas.project_mut(&project.id) {
            p.encryption_at_rest = json!({ "azureKeyVault": { "enabled": false } });
            p.azure_secret_sha256 = None;
            p.last_key_failure = None;
        }
        event(&mut state, &project.id, CONFIGURATION_UPDATED);
        return Reply::ok(json!({ "azureKeyVault": { "enabled": false } }));
    }

    // The configuration this request leaves: the stored one with the changes, or only the body's.
    let mut merged = if was_enabled {
        current.clone()
    } else {
        Map::new()
    };
    let sets_role = akv.role_id.is_some();
    let sets_secret = akv.client_id.is_some() || akv.secret.is_some() || akv.tenant_id.is_some();
    if sets_role && sets_secret {
        return error(
            400,
            "INVALID_ATTRIBUTE",
            "Invalid attribute roleId specified.",
        );
    }
    if sets_role {
        for gone in ["clientID", "tenantID"] {
            merged.remove(gone);
        }
    }
    if sets_secret {
        merged.remove("roleId");
    }
    for (name, value) in [
        (
            "azureEnvironment",
            akv.azure_environment.map(|e| json!(e.as_str())),
        ),
        ("clientID", akv.client_id.as_ref().map(|v| json!(v))),
        ("tenantID", akv.tenant_id.as_ref().map(|v| json!(v))),
        (
            "subscriptionID",
            akv.subscription_id.as_ref().map(|v| json!(v)),
        ),
        (
            "resourceGroupName",
            akv.resource_group_name.as_ref().map(|v| json!(v)),
        ),
        (
            "keyVaultName",
            akv.key_vault_name.as_ref().map(|v| json!(v)),
        ),
        (
            "keyIdentifier",
            akv.key_identifier.as_ref().map(|v| json!(v)),
        ),
        ("roleId", akv.role_id.as_ref().map(|v| json!(v))),
        (
            "requirePrivateNetworking",
            akv.require_private_networking.map(|v| json!(v)),
        ),
    ] {
        if let Some(v) = value {
            merged.insert(name.into(), v);
        }
    }
    merged.insert("enabled".into(), json!(true));
    merged
        .entry("requirePrivateNetworking")
        .or_insert(json!(false));
    let secret_sha256 = match &akv.secret {
        Some(s) => Some(secret_hash(s)),
        None if sets_role => None,
        None if was_enabled => project.azure_secret_sha256.clone(),
        None => None,
    };

    let role_mode = present(&merged, "roleId");
    let required: &[&str] = if role_mode {
        &ROLE_MEMBERS
    } else {
        &SECRET_MEMBERS
    };
    for name in required {
        let there = match *name {
            "secret" => secret_sha256.is_some(),
            other => present(&merged, other),
        };
        if !there {
            return missing(name);
        }
    }
    for guid in ["clientID", "tenantID", "subscriptionID"] {
        if present(&merged, guid) && text(&merged, guid).parse::<xtcmk::ObjectId>().is_err() {
            return bad_format(guid);
        }
    }
    if role_mode {
        let role = text(&merged, "roleId");
        if xtcmk::atlas::RoleId::parse_field("roleId", &role).is_err() {
            return bad_format("roleId");
        }
        if !project
            .azure_service_principals
            .iter()
            .any(|r| r.id == role)
        {
            return error(
                400,
                "INVALID_ATTRIBUTE",
                "Invalid attribute roleId specified.",
            );
        }
    }
    let environment = text(&merged, "azureEnvironment");
    let ours = serde_json::to_value(call.sim.cloud.atlas_environment).unwrap_or_default();
    if ours.as_str() != Some(environment.as_str()) {
        return error(
            400,
            "AZURE_KEY_VAULT_ENVIRONMENT_NOT_SUPPORTED",
            "Environment not supported for Azure Key Vault.",
        );
    }
    let key_identifier = text(&merged, "keyIdentifier");
    let Some(key) = parse_key_identifier(&call.sim.cloud, &key_identifier) else {
        return error(
            400,
            "AZURE_KEY_VAULT_KEY_IDENTIFIER_INVALID_FORMAT",
            "Invalid format for Azure Key Vault Key Identifier.",
        );
    };
    if !key
        .vault
        .eq_ignore_ascii_case(&text(&merged, "keyVaultName"))
    {
        return error(
            400,
            "INVALID_AZURE_API_REQUEST",
            "One or more provided Azure parameters were invalid.",
        );
    }
    if project.endpoints_present() {
        for pinned in ["keyVaultName", "resourceGroupName", "subscriptionID"] {
            if !text(&merged, pinned).eq_ignore_ascii_case(&text(&current, pinned)) {
                return error(
                    400,
                    "ATTRIBUTE_READ_ONLY",
                    &format!(
                        "The attribute {pinned} is read-only and cannot be changed by the user."
                    ),
                );
            }
        }
        if merged.get("requirePrivateNetworking") == Some(&json!(false)) {
            return validation(
                "delete every encryption at rest private endpoint of the project before turning requirePrivateNetworking off",
            );
        }
    }
    let key_changes = text(&current, "keyIdentifier") != key_identifier;
    let mut state = call.state();
    if was_enabled && key_changes && project.last_key_failure.is_some() {
        let still_failing = key_check::reach(
            &call.sim,
            &state,
            &project,
            &settings(&current, project.azure_secret_sha256.clone()),
        )
        .is_err();
        if still_failing {
            return error(
                400,
                "ENCRYPTION_AT_REST_SETTINGS_INVALID",
                "Atlas is unable to access your encryption key. You cannot change your encryption key until access to your current encryption key has been restored.",
            );
        }
    }
    if let Err(failure) = key_check::reach(
        &call.sim,
        &state,
        &project,
        &settings(&merged, secret_sha256.clone()),
    ) {
        if let Some(p) = state.atlas.project_mut(&project.id) {
            p.last_key_failure = Some(failure.explain());
        }
        let (code, detail) = failure.code_and_detail();
        return error(400, code, detail);
    }
    let Some(p) = state.atlas.project_mut(&project.id) else {
        return error(
            404,
            "GROUP_NOT_FOUND",
            &format!("No group with ID {} exists.", project.id),
        );
    };
    p.encryption_at_rest = json!({ "azureKeyVault": merged.clone() });
    p.azure_secret_sha256 = secret_sha256;
    p.last_key_failure = None;
    event(&mut state, &project.id, CONFIGURATION_UPDATED);
    let mut view = merged;
    view.insert("valid".into(), json!(true));
    Reply::ok(json!({ "azureKeyVault": view }))
}

/// Whether `failure` would be reported for the project's stored settings now (tests).
pub fn check_now(shared: &Shared, state: &State, project_id: &str) -> Result<(), Failure> {
    let project = state
        .atlas
        .project(project_id)
        .ok_or_else(|| Failure::Vault("no such project".into()))?;
    key_check::reach(
        shared,
        state,
        project,
        &settings(&stored(project), project.azure_secret_sha256.clone()),
    )
}
