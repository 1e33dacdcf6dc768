//! Keys (keyvault-data/2025-07-01): create (`POST /keys/{name}/create`, a new version if the key
//! exists), get (`GET /keys/{name}/{version}`, the latest version without one), update (`PATCH
//! /keys/{name}/{version}`: attributes, key_ops, tags of that version; "requires the keys/update
//! permission"), rotate (`POST /keys/{name}/rotate`) and the rotation policy (`GET|PUT
//! /keys/{name}/rotationpolicy`).
//! Key material is random public-key-shaped bytes: the simulator never does cryptography with it.
//!
//! Rules kept here:
//! - HSM-protected key types (`RSA-HSM`, `EC-HSM`) only in premium vaults (Key Vault "About
//!   keys": standard vaults hold software-protected keys; the service's text, "Hardware key
//!   operation not allowed on standard vault", Azure/azure-sdk-for-net#6551);
//! - a key bundle's `recoveryLevel` and `recoverableDays` follow the vault: soft delete with
//!   90 days is `Recoverable+Purgeable`, fewer days `CustomizedRecoverable+Purgeable`, with purge
//!   protection `Recoverable` / `CustomizedRecoverable` (`DeletionRecoveryLevel`);
//! - a rotation policy: `expiryTime` at least 28 days (`KeyRotationPolicyAttributes`), one
//!   `Rotate` and one `Notify` action at most (`KeyRotationPolicy.lifetimeActions`), rotation at
//!   least 7 days after creation or before expiry, notification only before expiry (Key Vault
//!   "Configure key auto-rotation"); a key without one answers the default policy (notify 30
//!   days before expiry).

use super::models::{
    JsonWebKeyCurveName, JsonWebKeyOperation, JsonWebKeyType, KeyCreateParameters,
    KeyRotationPolicy, KeyUpdateParameters,
};
use super::{KeyPermission, authorize, error, instance};
use crate::contract::{Dialect, decode};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::service::Service;
use crate::state::{ArmResource, KeyVersion, State, StoredKey, kinds};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn routes() -> Vec<Route> {
    vec![
        Route::post("/keys/{name}/create", create),
        Route::post("/keys/{name}/rotate", rotate),
        Route::get("/keys/{name}/rotationpolicy", get_policy),
        Route::put("/keys/{name}/rotationpolicy", put_policy),
        Route::get("/keys/{name}", get),
        Route::get("/keys/{name}/{version}", get),
        Route::patch("/keys/{name}/{version}", update),
    ]
}

/// Key names: `^[0-9a-zA-Z-]+$`, 1–127 characters (keyvault-data, keyvault-mgmt).
pub(crate) fn valid_key_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The map key of an instance's keys in the state (`kv1`, or `managedhsm/hsm1`).
fn store_key(call: &Call) -> String {
    let name = call
        .instance
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match call.service {
        Service::ManagedHsm => format!("managedhsm/{name}"),
        _ => name,
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn random(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::fill(&mut bytes[..]);
    bytes
}

/// Public members of a new key: RSA `n` (top bit set, odd) and `e`, or EC `crv`, `x`, `y`.
pub(crate) fn material(
    kty: JsonWebKeyType,
    size: usize,
    exponent: u32,
    crv: JsonWebKeyCurveName,
) -> BTreeMap<String, String> {
    let mut public = BTreeMap::new();
    match kty {
        JsonWebKeyType::Rsa | JsonWebKeyType::RsaHsm => {
            let mut n = random(size / 8);
            n[0] |= 0x80;
            if let Some(last) = n.last_mut() {
                *last |= 1;
            }
            let e = exponent.to_be_bytes();
            let first = e.iter().position(|b| *b != 0).unwrap_or(3);
            public.insert("n".into(), b64(&n));
            public.insert("e".into(), b64(&e[first..]));
        }
        JsonWebKeyType::Ec | JsonWebKeyType::EcHsm => {
            public.insert("crv".into(), crv.as_str().into());
            public.insert("x".into(), b64(&random(crv.coordinate_len())));
            public.insert("y".into(), b64(&random(crv.coordinate_len())));
        }
        JsonWebKeyType::Oct | JsonWebKeyType::OctHsm => {}
    }
    public
}

/// `recoveryLevel` and `recoverableDays` of the keys of a vault (`DeletionRecoveryLevel`).
pub fn recovery(vault: &Value) -> (&'static str, i64) {
    let props = &vault["properties"];
    if props["enableSoftDelete"] == json!(false) {
        return ("Purgeable", 0);
    }
    let days = props["softDeleteRetentionInDays"].as_i64().unwrap_or(90);
    let protected = props["enablePurgeProtection"] == json!(true);
    let level = match (protected, days == 90) {
        (true, true) => "Recoverable",
        (true, false) => "CustomizedRecoverable",
        (false, true) => "Recoverable+Purgeable",
        (false, false) => "CustomizedRecoverable+Purgeable",
    };
    (level, days)
}

/// The `KeyBundle` of one version of a key of `vault` (its recovery level follows the vault).
pub fn bundle(call: &Call, vault: &Value, name: &str, v: &KeyVersion) -> Value {
    let (level, days) = recovery(vault);
    let mut key = json!({
        "kid": format!("{}keys/{name}/{}", base_url(call), v.version),
        "kty": v.kty,
        "key_ops": v.key_ops,
    });
    for (k, value) in &v.public {
        key[k] = json!(value);
    }
    let mut attributes = json!({
        "enabled": v.enabled,
        "created": v.created,
        "updated": v.updated,
        "recoveryLevel": level,
        "recoverableDays": days,
        "exportable": v.exportable.unwrap_or(false),
    });
    if let Some(nbf) = v.nbf {
        attributes["nbf"] = json!(nbf);
    }
    if let Some(exp) = v.exp {
        attributes["exp"] = json!(exp);
    }
    let mut body = json!({ "key": key, "attributes": attributes });
    if !v.tags.is_empty() {
        body["tags"] = json!(v.tags);
    }
    body
}

/// `https://{vault}.vault.localhost:PORT/`.
fn base_url(call: &Call) -> String {
    format!("{}/", call.origin())
}

fn create(call: &Call) -> Reply {
    let name = call.param("name").to_string();
    let Some(vault) = instance(call) else {
        return error(404, "VaultNotFound", "The vault does not exist.");
    };
    if let Err(reply) = authorize(call, &vault, KeyPermission::Create) {
        return reply;
    }
    if !valid_key_name(&name) {
        return error(
            400,
            "BadParameter",
            &format!(
                "The request URI contains an invalid name: {name}. Key names may contain only 0-9, a-z, A-Z and -, up to 127 characters."
            ),
        );
    }
    let params: KeyCreateParameters = match decode(call, Dialect::KeyVault) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let rsa = matches!(params.kty, JsonWebKeyType::Rsa | JsonWebKeyType::RsaHsm);
    let size = params.key_size.unwrap_or(2048);
    // RSA keys are 2048, 3072 or 4096 bits (keyvault-data KeyCreateParameters.key_size).
    if rsa && ![2048, 3072, 4096].contains(&size) {
        return error(
            400,
            "BadParameter",
            &format!("The specified key size {size} is not supported; use 2048, 3072 or 4096."),
        );
    }
    if call.service == Service::KeyVault
        && let Some(refused) = hsm_in_standard(params.kty, &vault)
    {
        return error(400, "BadParameter", &refused);
    }
    if matches!(params.kty, JsonWebKeyType::Oct | JsonWebKeyType::OctHsm)
        && call.service == Service::KeyVault
    {
        return error(
            400,
            "BadParameter",
            "Symmetric (oct) keys are supported by Managed HSM only.",
        );
    }
    let key_ops: Vec<String> = match &params.key_ops {
        Some(ops) => ops
            .iter()
            .map(|o: &JsonWebKeyOperation| o.as_str().to_string())
            .collect(),
        None => default_ops(rsa),
    };
    let now = crate::tokens::now();
    let attributes = params.attributes.as_ref();
    let version = KeyVersion {
        version: uuid::Uuid::new_v4().simple().to_string(),
        kty: params.kty.as_str().to_string(),
        key_ops,
        public: material(
            params.kty,
            size as usize,
            params.public_exponent.unwrap_or(65537) as u32,
            params.crv.unwrap_or(JsonWebKeyCurveName::P256),
        ),
        enabled: attributes.and_then(|a| a.enabled).unwrap_or(true),
        created: now,
        updated: now,
        nbf: attributes.and_then(|a| a.nbf),
        exp: attributes.and_then(|a| a.exp),
        exportable: attributes.and_then(|a| a.exportable),
        tags: params.tags.clone().unwrap_or_default(),
    };
    let store = store_key(call);
    let body = bundle(call, &vault.body, &name, &version);
    add_version(&mut call.state(), &store, &name, version);
    call.sim.replication.created(
        kinds::KEY,
        &format!("{store}/{}", name.to_ascii_lowercase()),
    );
    Reply::ok(body)
}

/// The operations a new key allows when the request names none (RSA: all six; EC: sign/verify).
pub(crate) fn default_ops(rsa: bool) -> Vec<String> {
    let ops: &[&str] = if rsa {
        &[
            "encrypt",
            "decrypt",
            "sign",
            "verify",
            "wrapKey",
            "unwrapKey",
        ]
    } else {
        &["sign", "verify"]
    };
    ops.iter().map(|s| s.to_string()).collect()
}

/// Why an HSM-protected key type cannot be made in `vault`, if it is a standard vault.
pub(crate) fn hsm_in_standard(kty: JsonWebKeyType, vault: &ArmResource) -> Option<String> {
    (matches!(kty, JsonWebKeyType::RsaHsm | JsonWebKeyType::EcHsm)
        && vault.body["properties"]["sku"]["name"].as_str() != Some("premium"))
    .then(|| {
        // The service's text (Azure/azure-sdk-for-net#6551, MicrosoftDocs/azure-docs#63888).
        "Hardware key operation not allowed on standard vault".to_string()
    })
}

/// Adds `version` to key `name` of the key store `store` (the key is made on its first version).
pub(crate) fn add_version(state: &mut State, store: &str, name: &str, version: KeyVersion) {
    state
        .keys
        .entry(store.to_string())
        .or_default()
        .entry(name.to_ascii_lowercase())
        .or_insert_with(|| StoredKey {
            name: name.to_string(),
            versions: Vec::new(),
        })
        .versions
        .push(version);
}

fn get(call: &Call) -> Reply {
    let name = call.param("name").to_string();
    let wanted = call.param("version").to_string();
    let Some(vault) = instance(call) else {
        return error(404, "VaultNotFound", "The vault does not exist.");
    };
    if let Err(reply) = authorize(call, &vault, KeyPermission::Get) {
        return reply;
    }
    let store = store_key(call);
    let shown = if wanted.is_empty() {
        name.clone()
    } else {
        format!("{name}/{wanted}")
    };
    let not_found = || {
        error(
            404,
            "KeyNotFound",
            &format!(
                "A key with (name/id) {shown} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
            ),
        )
    };
    if !call.sim.replication.visible(
        kinds::KEY,
        &format!("{store}/{}", name.to_ascii_lowercase()),
    ) {
        return not_found();
    }
    let state = call.state();
    let Some(key) = state
        .keys
        .get(&store)
        .and_then(|keys| keys.get(&name.to_ascii_lowercase()))
    else {
        return not_found();
    };
    let version = if wanted.is_empty() {
        key.versions.last()
    } else {
        key.versions
            .iter()
            .find(|v| v.version.eq_ignore_ascii_case(&wanted))
    };
    match version {
        Some(v) => Reply::ok(bundle(call, &vault.body, &key.name, v)),
        None => not_found(),
    }
}

fn key_not_found(name: &str) -> Reply {
    error(
        404,
        "KeyNotFound",
        &format!(
            "A key with (name/id) {name} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
    )
}

/// `POST /keys/{name}/rotate`: a new version like the current one (type, size, exponent,
/// curve, operations, tags), expiring after the policy's `expiryTime` if it has one.
fn rotate(call: &Call) -> Reply {
    let name = call.param("name").to_string();
    let Some(vault) = instance(call) else {
        return error(404, "VaultNotFound", "The vault does not exist.");
    };
    if let Err(reply) = authorize(call, &vault, KeyPermission::Rotate) {
        return reply;
    }
    let store = store_key(call);
    let now = crate::tokens::now();
    let policy_key = format!("{store}/{}", name.to_ascii_lowercase());
    let version = {
        let mut state = call.state();
        let expiry = state
            .key_rotation_policies
            .get(&policy_key)
            .and_then(|p| p["attributes"]["expiryTime"].as_str())
            .and_then(duration_seconds);
        let Some(key) = state
            .keys
            .get_mut(&store)
            .and_then(|keys| keys.get_mut(&name.to_ascii_lowercase()))
        else {
            return key_not_found(&name);
        };
        let Some(current) = key.versions.last().cloned() else {
            return key_not_found(&name);
        };
        let kty: JsonWebKeyType =
            serde_json::from_value(json!(current.kty)).unwrap_or(JsonWebKeyType::Rsa);
        let size = current
            .public
            .get("n")
            .and_then(|n| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(n)
                    .ok()
            })
            .map(|n| n.len() * 8)
            .unwrap_or(2048);
        let exponent = current
            .public
            .get("e")
            .and_then(|e| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(e)
                    .ok()
            })
            .map(|e| e.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
            .unwrap_or(65537);
        let crv = current
            .public
            .get("crv")
            .and_then(|c| serde_json::from_value(json!(c)).ok())
            .unwrap_or(JsonWebKeyCurveName::P256);
        let version = KeyVersion {
            version: uuid::Uuid::new_v4().simple().to_string(),
            kty: current.kty.clone(),
            key_ops: current.key_ops.clone(),
            public: material(kty, size, exponent, crv),
            enabled: true,
            created: now,
            updated: now,
            nbf: None,
            exp: expiry.map(|s| now + s),
            exportable: current.exportable,
            tags: current.tags.clone(),
        };
        key.versions.push(version.clone());
        version
    };
    Reply::ok(bundle(call, &vault.body, &name, &version))
}

/// An ISO 8601 duration (`P90D`, `P3M`, `PT48H`, `P1Y10D`) in seconds (a month is 30 days, a
/// year 365, as Key Vault counts them for rotation policies).
pub fn duration_seconds(text: &str) -> Option<i64> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total: i64 = 0;
    let mut any = false;
    let mut parse = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let (_, seconds) = units.iter().find(|(u, _)| *u == c)?;
            let n: i64 = number.parse().ok()?;
            total = total.checked_add(n.checked_mul(*seconds)?)?;
            number.clear();
            any = true;
        }
        number.is_empty().then_some(())
    };
    const DAY: i64 = 24 * 3600;
    parse(
        date,
        &[
            ('Y', 365 * DAY),
            ('M', 30 * DAY),
            ('W', 7 * DAY),
            ('D', DAY),
        ],
    )?;
    if let Some(t) = time {
        parse(t, &[('H', 3600), ('M', 60), ('S', 1)])?;
    }
    any.then_some(total)
}

/// The policy Key Vault reports for a key that has none: notify 30 days before expiry
/// (KeyRotationPolicy.lifetimeActions: "Notification time would be default to 30 days before expiry").
fn default_policy(call: &Call, name: &str) -> Value {
    json!({
        "id": format!("{}keys/{name}/rotationpolicy", base_url(call)),
        "lifetimeActions": [
            { "trigger": { "timeBeforeExpiry": "P30D" }, "action": { "type": "Notify" } }
        ],
        "attributes": {},
    })
}

fn get_policy(call: &Call) -> Reply {
    let name = call.param("name").to_string();
    let Some(vault) = instance(call) else {
        return error(404, "VaultNotFound", "The vault does not exist.");
    };
    if let Err(reply) = authorize(call, &vault, KeyPermission::GetRotationPolicy) {
        return reply;
    }
    let store = store_key(call);
    let state = call.state();
    let Some(key) = state
        .keys
        .get(&store)
        .and_then(|keys| keys.get(&name.to_ascii_lowercase()))
    else {
        return key_not_found(&name);
    };
    let key_name = key.name.clone();
    let policy = state
        .key_rotation_policies
        .get(&format!("{store}/{}", name.to_ascii_lowercase()))
        .cloned();
    drop(state);
    Reply::ok(policy.unwrap_or_else(|| default_policy(call, &key_name)))
}

fn invalid_policy(message: &str) -> Reply {
    error(400, "BadParameter", message)
}

/// Checks a rotation policy body against Key Vault's rules (see the module rules).
fn check_policy(policy: &KeyRotationPolicy) -> Result<(), Reply> {
    const DAY: i64 = 24 * 3600;
    let expiry = match policy
        .attributes
        .as_ref()
        .and_then(|a| a.expiry_time.as_deref())
    {
        None => None,
        Some(text) => {
            let seconds = duration_seconds(text).ok_or_else(|| {
                invalid_policy(&format!(
                    "The expiryTime '{text}' is not an ISO 8601 duration such as P90D, P3M or P1Y."
                ))
            })?;
            if seconds < 28 * DAY {
                return Err(invalid_policy(&format!(
                    "The expiryTime '{text}' is too short: it should be at least 28 days."
                )));
            }
            Some(seconds)
        }
    };
    let actions = policy.lifetime_actions.as_deref().unwrap_or_default();
    let mut seen = Vec::new();
    for action in actions {
        let kind = action
            .action
            .as_ref()
            .and_then(|a| a.kind.as_deref())
            .unwrap_or_default();
        let kind = if kind.eq_ignore_ascii_case("rotate") {
            "Rotate"
        } else if kind.eq_ignore_ascii_case("notify") {
            "Notify"
        } else {
            return Err(invalid_policy(&format!(
                "The lifetime action type '{kind}' is not valid; use Rotate or Notify."
            )));
        };
        if seen.contains(&kind) {
            return Err(invalid_policy(&format!(
                "A rotation policy holds at most one {kind} action."
            )));
        }
        seen.push(kind);
        let trigger = action.trigger.as_ref();
        let after = trigger.and_then(|t| t.time_after_create.as_deref());
        let before = trigger.and_then(|t| t.time_before_expiry.as_deref());
        let (label, text) = match (after, before) {
            (Some(a), None) => ("timeAfterCreate", a),
            (None, Some(b)) => ("timeBeforeExpiry", b),
            _ => {
                return Err(invalid_policy(&format!(
                    "The {kind} action needs exactly one trigger: timeAfterCreate or timeBeforeExpiry."
                )));
            }
        };
        if kind == "Notify" && label != "timeBeforeExpiry" {
            return Err(invalid_policy(
                "A Notify action is triggered only by timeBeforeExpiry.",
            ));
        }
        let seconds = duration_seconds(text).ok_or_else(|| {
            invalid_policy(&format!(
                "The {label} '{text}' is not an ISO 8601 duration."
            ))
        })?;
        if seconds < 7 * DAY {
            return Err(invalid_policy(&format!(
                "The {label} '{text}' of the {kind} action is too short: the minimum is 7 days."
            )));
        }
        if let Some(e) = expiry
            && seconds > e - 7 * DAY
        {
            return Err(invalid_policy(&format!(
                "The {label} '{text}' of the {kind} action must leave at least 7 days before the key expires ({}).",
                policy
                    .attributes
                    .as_ref()
                    .and_then(|a| a.expiry_time.as_deref())
                    .unwrap_or_default()
            )));
        }
        if label == "timeBeforeExpiry" && expiry.is_none() && kind == "Rotate" {
            return Err(invalid_policy(
                "A Rotate action triggered by timeBeforeExpiry needs attributes.expiryTime.",
            ));
        }
    }
    Ok(())
}

fn put_policy(call: &Call) -> Reply {
    let name = call.param("name").to_string();
    let Some(vault) = instance(call) else {
        return error(404, "VaultNotFound", "The vault does not exist.");
    };
    if let Err(reply) = authorize(call, &vault, KeyPermission::SetRotationPolicy) {
        return reply;
    }
    let policy: KeyRotationPolicy = match decode(call, Dialect::KeyVault) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    if let Err(reply) = check_policy(&policy) {
        return reply;
    }
    let store = store_key(call);
    let id = format!("{}keys/{name}/rotationpolicy", base_url(call));
    let now = crate::tokens::now();
    let policy_key = format!("{store}/{}", name.to_ascii_lowercase());
    let mut state = call.state();
    if !state
        .keys
        .get(&store)
        .is_some_and(|keys| keys.contains_key(&name.to_ascii_lowercase()))
    {
        return key_not_found(&name);
    }
    let created = state
        .key_rotation_policies
        .get(&policy_key)
        .and_then(|p| p["attributes"]["created"].as_i64())
        .unwrap_or(now);
    let actions: Vec<Value> = policy
        .lifetime_actions
        .unwrap_or_default()
        .into_iter()
        .map(|a| {
            let mut trigger = json!({});
            if let Some(t) = a.trigger {
                if let Some(v) = t.time_after_create {
                    trigger["timeAfterCreate"] = json!(v);
                }
                if let Some(v) = t.time_before_expiry {
                    trigger["timeBeforeExpiry"] = json!(v);
                }
            }
            let kind = a.action.and_then(|x| x.kind).unwrap_or_default();
            let kind = if kind.eq_ignore_ascii_case("rotate") {
                "Rotate"
            } else {
                "Notify"
            };
            json!({ "trigger": trigger, "action": { "type": kind } })
        })
        .collect();
    let mut attributes = json!({ "created": created, "updated": now });
    if let Some(e) = policy.attributes.and_then(|a| a.expiry_time) {
        attributes["expiryTime"] = json!(e);
    }
    let body = json!({ "id": id, "lifetimeActions": actions, "attributes": attributes });
    state.key_rotation_policies.insert(policy_key, body.clone());
    Reply::ok(body)
}

fn update(call: &Call) -> Reply {
    let name = call.param("name").to_string();
    let wanted = call.param("version").to_string();
    let Some(vault) = instance(call) else {
        return error(404, "VaultNotFound", "The vault does not exist.");
    };
    if let Err(reply) = authorize(call, &vault, KeyPermission::Update) {
        return reply;
    }
    let params: KeyUpdateParameters = match decode(call, Dialect::KeyVault) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let _ = &params.release_policy;
    let store = store_key(call);
    let mut state = call.state();
    let Some(key) = state
        .keys
        .get_mut(&store)
        .and_then(|keys| keys.get_mut(&name.to_ascii_lowercase()))
    else {
        return error(
            404,
            "KeyNotFound",
            &format!("A key with (name/id) {name}/{wanted} was not found in this key vault."),
        );
    };
    let key_name = key.name.clone();
    let Some(version) = key
        .versions
        .iter_mut()
        .find(|v| v.version.eq_ignore_ascii_case(&wanted))
    else {
        return error(
            404,
            "KeyNotFound",
            &format!("A key with (name/id) {name}/{wanted} was not found in this key vault."),
        );
    };
    if let Some(a) = &params.attributes {
        if let Some(enabled) = a.enabled {
            version.enabled = enabled;
        }
        if a.nbf.is_some() {
            version.nbf = a.nbf;
        }
        if a.exp.is_some() {
            version.exp = a.exp;
        }
    }
    if let Some(ops) = &params.key_ops {
        version.key_ops = ops.iter().map(|o| o.as_str().to_string()).collect();
    }
    if let Some(tags) = &params.tags {
        version.tags = tags.clone();
    }
    version.updated = crate::tokens::now();
    let v = version.clone();
    drop(state);
    Reply::ok(bundle(call, &vault.body, &key_name, &v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_durations() {
        assert_eq!(duration_seconds("P90D"), Some(90 * 86400));
        assert_eq!(duration_seconds("P3M"), Some(90 * 86400));
        assert_eq!(duration_seconds("PT48H"), Some(48 * 3600));
        assert_eq!(duration_seconds("P1Y10D"), Some(375 * 86400));
        assert_eq!(duration_seconds("P"), None);
        assert_eq!(duration_seconds("90D"), None);
        assert_eq!(duration_seconds("P9X"), None);
    }
}
