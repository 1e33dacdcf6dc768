//! Keys: create (`POST /keys/{name}/create`, a new version if the key exists), get
//! (`GET /keys/{name}/{version}`, the latest version without one) and update (`PATCH
//! /keys/{name}/{version}`: attributes, key_ops, tags of that version; "requires the keys/update
//! permission"), keyvault-data/2025-07-01.
//! Key material is random public-key-shaped bytes: the simulator never does cryptography with it.

use super::models::{
    JsonWebKeyCurveName, JsonWebKeyOperation, JsonWebKeyType, KeyCreateParameters,
    KeyUpdateParameters,
};
use super::{KeyPermission, authorize, error, instance};
use crate::contract::{Dialect, decode};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::service::Service;
use crate::state::{KeyVersion, StoredKey, kinds};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn routes() -> Vec<Route> {
    vec![
        Route::post("/keys/{name}/create", create),
        Route::get("/keys/{name}", get),
        Route::get("/keys/{name}/{version}", get),
        Route::patch("/keys/{name}/{version}", update),
    ]
}

/// Key names: `^[0-9a-zA-Z-]+$`, 1–127 characters (keyvault-data, keyvault-mgmt).
fn valid_key_name(name: &str) -> bool {
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
fn material(
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

/// The `KeyBundle` of one version.
pub fn bundle(call: &Call, name: &str, v: &KeyVersion) -> Value {
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
        "recoveryLevel": "Recoverable+Purgeable",
        "recoverableDays": 90,
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
    if matches!(params.kty, JsonWebKeyType::Oct | JsonWebKeyType::OctHsm)
        && call.service == Service::KeyVault
    {
        return error(
            400,
            "BadParameter",
            "Symmetric (oct) keys are supported by Managed HSM only.",
        );
    }
    let default_ops: &[&str] = if rsa {
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
    let key_ops: Vec<String> = match &params.key_ops {
        Some(ops) => ops
            .iter()
            .map(|o: &JsonWebKeyOperation| o.as_str().to_string())
            .collect(),
        None => default_ops.iter().map(|s| s.to_string()).collect(),
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
    let body = bundle(call, &name, &version);
    {
        let mut state = call.state();
        let entry = state
            .keys
            .entry(store.clone())
            .or_default()
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| StoredKey {
                name: name.clone(),
                versions: Vec::new(),
            });
        entry.versions.push(version);
    }
    call.sim.replication.created(
        kinds::KEY,
        &format!("{store}/{}", name.to_ascii_lowercase()),
    );
    Reply::ok(body)
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
        Some(v) => Reply::ok(bundle(call, &key.name, v)),
        None => not_found(),
    }
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
    Reply::ok(bundle(call, &key_name, &v))
}
