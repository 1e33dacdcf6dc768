//! Key operations: `POST /keys/{name}/{version}/wrapkey` and `/unwrapkey` (keyvault-data
//! 2025-07-01 `WrapKey`, `UnwrapKey`; an empty version means the current one), authorized by
//! the vault's permission model like every key operation (403 `ForbiddenByRbac` /
//! `AccessDenied`). This is where Cosmos DB's access to a customer key is decided.
//!
//! No cryptography happens: a wrapped value is the plaintext tagged with the key version, so
//! only the same key version unwraps it. The key must be enabled and allow the operation in its
//! `key_ops`; the wording of those two refusals is ours (the service's is not documented).

use super::{KeyPermission, authorize, error, instance};
use crate::contract::{Dialect, decode};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::KeyVersion;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Vec<Route> {
    vec![
        Route::post("/keys/{name}/{version}/wrapkey", wrap),
        Route::post("/keys/{name}/wrapkey", wrap),
        Route::post("/keys/{name}/{version}/unwrapkey", unwrap),
        Route::post("/keys/{name}/unwrapkey", unwrap),
    ]
}

/// `KeyOperationsParameters`: `alg` and `value` required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyOperationsParameters {
    alg: Algorithm,
    value: String,
    #[serde(default)]
    iv: Option<String>,
    #[serde(default)]
    aad: Option<String>,
    #[serde(default)]
    tag: Option<String>,
}

/// The RSA key-wrap algorithms of `JsonWebKeyEncryptionAlgorithm`.
#[derive(Debug, Clone, Copy, Deserialize)]
enum Algorithm {
    #[serde(rename = "RSA-OAEP")]
    RsaOaep,
    #[serde(rename = "RSA-OAEP-256")]
    RsaOaep256,
    #[serde(rename = "RSA1_5")]
    Rsa15,
}

const TAG: &str = "xtcmk-sim-wrapped";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
}

/// The key version the call names (the current one for an empty version), after the checks.
fn key_for(
    call: &Call,
    permission: KeyPermission,
    op: &str,
) -> Result<(String, KeyVersion), Reply> {
    let vault =
        instance(call).ok_or_else(|| error(404, "VaultNotFound", "The vault does not exist."))?;
    authorize(call, &vault, permission)?;
    let name = call.param("name").to_ascii_lowercase();
    let wanted = call.param("version");
    let state = call.state();
    let key = state
        .keys
        .get(&match call.service {
            crate::service::Service::ManagedHsm => {
                format!("managedhsm/{}", vault.name.to_ascii_lowercase())
            }
            _ => vault.name.to_ascii_lowercase(),
        })
        .and_then(|k| k.get(&name))
        .ok_or_else(|| {
            error(
                404,
                "KeyNotFound",
                &format!("A key with (name/id) {name} was not found in this key vault."),
            )
        })?;
    let version = if wanted.is_empty() {
        key.versions.last()
    } else {
        key.versions
            .iter()
            .find(|v| v.version.eq_ignore_ascii_case(wanted))
    }
    .cloned()
    .ok_or_else(|| {
        error(
            404,
            "KeyNotFound",
            &format!("A key with (name/id) {name}/{wanted} was not found in this key vault."),
        )
    })?;
    if !version.enabled {
        return Err(error(
            403,
            "Forbidden",
            &format!("Operation {op} is not allowed on a disabled key."),
        ));
    }
    if !version.kty.starts_with("RSA") {
        return Err(error(
            400,
            "BadParameter",
            &format!(
                "Operation {op} needs an RSA key; this key is {}.",
                version.kty
            ),
        ));
    }
    if !version.key_ops.iter().any(|o| o.eq_ignore_ascii_case(op)) {
        return Err(error(
            403,
            "Forbidden",
            &format!(
                "Operation {op} is not allowed on this key (its key_ops: {}).",
                version.key_ops.join(", ")
            ),
        ));
    }
    let kid = format!(
        "{}keys/{}/{}",
        vault.body["properties"]["vaultUri"]
            .as_str()
            .unwrap_or_default(),
        key.name,
        version.version
    );
    Ok((kid, version))
}

fn wrap(call: &Call) -> Reply {
    let p: KeyOperationsParameters = match decode(call, Dialect::KeyVault) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let _ = (p.alg, &p.iv, &p.aad, &p.tag);
    let (kid, version) = match key_for(call, KeyPermission::WrapKey, "wrapKey") {
        Ok(k) => k,
        Err(r) => return r,
    };
    let Some(plain) = unb64(&p.value) else {
        return error(400, "BadParameter", "The parameter value is not base64url.");
    };
    let mut wrapped = format!("{TAG}:{}:", version.version).into_bytes();
    wrapped.extend(plain);
    Reply::ok(json!({ "kid": kid, "value": b64(&wrapped) }))
}

fn unwrap(call: &Call) -> Reply {
    let p: KeyOperationsParameters = match decode(call, Dialect::KeyVault) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (kid, version) = match key_for(call, KeyPermission::UnwrapKey, "unwrapKey") {
        Ok(k) => k,
        Err(r) => return r,
    };
    let prefix = format!("{TAG}:{}:", version.version).into_bytes();
    match unb64(&p.value).and_then(|v| v.strip_prefix(prefix.as_slice()).map(<[u8]>::to_vec)) {
        Some(plain) => Reply::ok(json!({ "kid": kid, "value": b64(&plain) })),
        None => error(
            400,
            "BadParameter",
            "Error unwrapping: the value was not wrapped with this key version.",
        ),
    }
}
