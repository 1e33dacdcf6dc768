//! Key operations: `POST /keys/{name}/{version}/wrapkey`, `/unwrapkey`, `/encrypt` and
//! `/decrypt` (keyvault-data 2025-07-01 `WrapKey`, `UnwrapKey`, `Encrypt`, `Decrypt`; all take
//! `KeyOperationsParameters` and answer `KeyOperationResult`; an empty version means the current
//! one), authorized by the vault's permission model like every key operation (403
//! `ForbiddenByRbac` / `ForbiddenByPolicy`). This is where Cosmos DB's (wrap/unwrap) and MongoDB
//! Atlas's (encrypt/decrypt) access to a customer key is decided.
//!
//! No real cryptography happens: a wrapped value is the plaintext tagged with the key version;
//! an encrypted value is a modulus-sized block (tag, version digest, length, plaintext) masked
//! with a stream derived from the key's public material, so only the same key version decrypts
//! it. Each call is logged as [`crate::routes::Kind::Crypto`], not as a write: using a key
//! changes nothing, so "a re-run makes zero writes" stays exact. The key must be enabled and allow the operation in its `key_ops`; the wording of those
//! refusals is ours (the service's is not documented).

use super::{KeyPermission, authorize, error, instance};
use crate::contract::{Dialect, decode};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::KeyVersion;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

pub fn routes() -> Vec<Route> {
    vec![
        Route::post_crypto("/keys/{name}/{version}/wrapkey", wrap),
        Route::post_crypto("/keys/{name}/wrapkey", wrap),
        Route::post_crypto("/keys/{name}/{version}/unwrapkey", unwrap),
        Route::post_crypto("/keys/{name}/unwrapkey", unwrap),
        Route::post_crypto("/keys/{name}/{version}/encrypt", encrypt),
        Route::post_crypto("/keys/{name}/encrypt", encrypt),
        Route::post_crypto("/keys/{name}/{version}/decrypt", decrypt),
        Route::post_crypto("/keys/{name}/decrypt", decrypt),
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

/// Why a key version cannot do an operation (in the order Key Vault checks, after authorization).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// No such key, or no such version of it.
    NotFound,
    Disabled,
    NotRsa {
        kty: String,
    },
    /// The key's `key_ops` do not list the operation.
    OperationNotAllowed {
        key_ops: Vec<String>,
    },
}

impl KeyProblem {
    /// Key Vault's answer (`shown` is `name` or `name/version` as the request named it).
    pub fn reply(&self, shown: &str, op: &str) -> Reply {
        match self {
            KeyProblem::NotFound => error(
                404,
                "KeyNotFound",
                &format!("A key with (name/id) {shown} was not found in this key vault."),
            ),
            KeyProblem::Disabled => error(
                403,
                "Forbidden",
                &format!("Operation {op} is not allowed on a disabled key."),
            ),
            KeyProblem::NotRsa { kty } => error(
                400,
                "BadParameter",
                &format!("Operation {op} needs an RSA key; this key is {kty}."),
            ),
            KeyProblem::OperationNotAllowed { key_ops } => error(
                403,
                "Forbidden",
                &format!(
                    "Operation {op} is not allowed on this key (its key_ops: {}).",
                    key_ops.join(", ")
                ),
            ),
        }
    }
}

/// The version `version` (the current one when empty) of key `name` in the instance whose keys
/// are stored under `store` (`kv1`, `managedhsm/hsm1`), if it can do `op`: what every key
/// operation of the data plane checks once the caller is authorized.
pub fn usable_version(
    state: &crate::state::State,
    store: &str,
    name: &str,
    version: &str,
    op: &str,
) -> Result<(String, KeyVersion), KeyProblem> {
    let key = state
        .keys
        .get(store)
        .and_then(|k| k.get(&name.to_ascii_lowercase()))
        .ok_or(KeyProblem::NotFound)?;
    let found = if version.is_empty() {
        key.versions.last()
    } else {
        key.versions
            .iter()
            .find(|v| v.version.eq_ignore_ascii_case(version))
    }
    .cloned()
    .ok_or(KeyProblem::NotFound)?;
    if !found.enabled {
        return Err(KeyProblem::Disabled);
    }
    if !found.kty.starts_with("RSA") {
        return Err(KeyProblem::NotRsa {
            kty: found.kty.clone(),
        });
    }
    if !found.key_ops.iter().any(|o| o.eq_ignore_ascii_case(op)) {
        return Err(KeyProblem::OperationNotAllowed {
            key_ops: found.key_ops.clone(),
        });
    }
    Ok((key.name.clone(), found))
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
    let store = match call.service {
        crate::service::Service::ManagedHsm => {
            format!("managedhsm/{}", vault.name.to_ascii_lowercase())
        }
        _ => vault.name.to_ascii_lowercase(),
    };
    let shown = if wanted.is_empty() {
        name.clone()
    } else {
        format!("{name}/{wanted}")
    };
    let (key_name, version) = usable_version(&call.state(), &store, &name, wanted, op)
        .map_err(|problem| problem.reply(&shown, op))?;
    // Encrypt and wrap need the key inside its validity period; decrypt and unwrap do not
    // (keyvault-data 2025-07-01 KeyAttributes nbf/exp: "Not before date in UTC" / "Expiry date").
    let now = crate::tokens::now();
    let outside =
        version.nbf.is_some_and(|nbf| now < nbf) || version.exp.is_some_and(|exp| now >= exp);
    if outside && matches!(permission, KeyPermission::WrapKey | KeyPermission::Encrypt) {
        return Err(error(
            403,
            "Forbidden",
            &format!(
                "Operation {op} is not allowed on a key outside its validity period (nbf {}, exp {}).",
                version
                    .nbf
                    .map(crate::auth::utc)
                    .unwrap_or_else(|| "none".into()),
                version
                    .exp
                    .map(crate::auth::utc)
                    .unwrap_or_else(|| "none".into())
            ),
        ));
    }
    let kid = format!(
        "{}keys/{}/{}",
        vault.body["properties"]["vaultUri"]
            .as_str()
            .unwrap_or_default(),
        key_name,
        version.version
    );
    Ok((kid, version))
}

fn wrap(call: &Call) -> Reply {
    let p: KeyOperationsParameters = match decode(call, Dialect::KeyVault) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let _ = (&p.iv, &p.aad, &p.tag);
    let (kid, version) = match key_for(call, KeyPermission::WrapKey, "wrapKey") {
        Ok(k) => k,
        Err(r) => return r,
    };
    let Some(plain) = unb64(&p.value) else {
        return error(400, "BadParameter", "The parameter value is not base64url.");
    };
    let limit = max_plaintext(p.alg, modulus(&version).len());
    if plain.len() > limit {
        return error(
            400,
            "BadParameter",
            &format!(
                "The value to wrap is {} bytes; this key and algorithm wrap at most {limit}.",
                plain.len()
            ),
        );
    }
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

const SEALED: &[u8; 8] = b"xtcmksim";

/// The modulus length in bytes (the size of an RSA ciphertext), from the key's `n`.
fn modulus(version: &KeyVersion) -> Vec<u8> {
    version
        .public
        .get("n")
        .and_then(|n| unb64(n))
        .unwrap_or_default()
}

/// The largest plaintext RSA encryption takes with a `k`-byte modulus (RFC 8017: OAEP
/// `k - 2·hLen - 2`, PKCS#1 v1.5 `k - 11`).
fn max_plaintext(alg: Algorithm, k: usize) -> usize {
    let overhead = match alg {
        Algorithm::RsaOaep => 2 * 20 + 2,
        Algorithm::RsaOaep256 => 2 * 32 + 2,
        Algorithm::Rsa15 => 11,
    };
    k.saturating_sub(overhead)
}

/// `len` bytes of mask derived from the key's modulus and version (SHA-256 in counter mode).
fn mask(n: &[u8], version: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut counter = 0u32;
    while out.len() < len {
        let mut h = Sha256::new();
        h.update(n);
        h.update(version.as_bytes());
        h.update(counter.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        counter += 1;
    }
    out.truncate(len);
    out
}

fn xor(block: &mut [u8], mask: &[u8]) {
    for (b, m) in block.iter_mut().zip(mask) {
        *b ^= m;
    }
}

/// The first 8 bytes of SHA-256 of the version: binds a block to one key version.
fn version_digest(version: &str) -> [u8; 8] {
    let digest = Sha256::digest(version.as_bytes());
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

fn encrypt(call: &Call) -> Reply {
    let p: KeyOperationsParameters = match decode(call, Dialect::KeyVault) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (kid, version) = match key_for(call, KeyPermission::Encrypt, "encrypt") {
        Ok(k) => k,
        Err(r) => return r,
    };
    let Some(plain) = unb64(&p.value) else {
        return error(400, "BadParameter", "The parameter value is not base64url.");
    };
    let n = modulus(&version);
    let limit = max_plaintext(p.alg, n.len()).min(usize::from(u16::MAX));
    if plain.len() > limit {
        return error(
            400,
            "BadParameter",
            &format!(
                "The plaintext is {} bytes; this key and algorithm encrypt at most {limit}.",
                plain.len()
            ),
        );
    }
    // Layout: tag (8) · version digest (8) · length (2) · plaintext · zero padding, to `k` bytes.
    let mut block = Vec::with_capacity(n.len());
    block.extend_from_slice(SEALED);
    block.extend_from_slice(&version_digest(&version.version));
    block.extend_from_slice(&(plain.len() as u16).to_be_bytes());
    block.extend_from_slice(&plain);
    block.resize(n.len().max(block.len()), 0);
    let stream = mask(&n, &version.version, block.len());
    xor(&mut block, &stream);
    Reply::ok(json!({ "kid": kid, "value": b64(&block) }))
}

fn decrypt(call: &Call) -> Reply {
    let p: KeyOperationsParameters = match decode(call, Dialect::KeyVault) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (kid, version) = match key_for(call, KeyPermission::Decrypt, "decrypt") {
        Ok(k) => k,
        Err(r) => return r,
    };
    let n = modulus(&version);
    let failed = || {
        error(
            400,
            "BadParameter",
            "Error decrypting: the value was not encrypted with this key version.",
        )
    };
    let Some(mut block) = unb64(&p.value) else {
        return error(400, "BadParameter", "The parameter value is not base64url.");
    };
    if block.len() != n.len() || block.len() < 18 {
        return failed();
    }
    let stream = mask(&n, &version.version, block.len());
    xor(&mut block, &stream);
    if &block[..8] != SEALED || block[8..16] != version_digest(&version.version) {
        return failed();
    }
    let len = usize::from(u16::from_be_bytes([block[16], block[17]]));
    match block.get(18..18 + len) {
        Some(plain) => Reply::ok(json!({ "kid": kid, "value": b64(plain) })),
        None => failed(),
    }
}
