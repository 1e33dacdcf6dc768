//! Key Vault `encrypt` / `decrypt` (keyvault-data 2025-07-01): a round trip through the same key
//! version gives the plaintext back, another key refuses the ciphertext; the caller needs the
//! encrypt/decrypt data action (RBAC) or the access-policy permission, and the key's `key_ops`
//! must allow the operation.

use serde_json::{Value, json};
use xtcmk_sim::arm::{role_assignments, role_definitions};
use xtcmk_sim::scenario::VaultSpec;
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::{Scenario, Sim};

const RBAC_VAULT: &str = "kv-crypto-rbac";
const POLICY_VAULT: &str = "kv-crypto-policy";

fn vault_id(name: &str) -> String {
    format!(
        "/subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourceGroups/{CUSTOMER_RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/{name}"
    )
}

/// The demo with an RBAC vault and an access-policy vault in the customer subscription; the
/// customer admin is Key Vault Crypto Officer on the first and has every key permission on the
/// second.
fn sim() -> Sim {
    let mut scenario = Scenario::demo();
    let sub = scenario
        .tenants
        .iter_mut()
        .find(|t| t.alias == CUSTOMER)
        .unwrap()
        .subscriptions
        .first_mut()
        .unwrap();
    for (name, rbac) in [(RBAC_VAULT, true), (POLICY_VAULT, false)] {
        sub.vaults.push(VaultSpec {
            name: name.into(),
            resource_group: CUSTOMER_RESOURCE_GROUP.into(),
            location: None,
            sku: "standard".into(),
            enable_soft_delete: true,
            enable_purge_protection: true,
            enable_rbac_authorization: rbac,
        });
    }
    let sim = Sim::start(scenario);
    role_assignments::assign(
        &mut sim.state(),
        &vault_id(RBAC_VAULT),
        role_definitions::KEY_VAULT_CRYPTO_OFFICER,
        CUSTOMER_ADMIN_ID,
        "User",
    );
    set_policy(&sim, CUSTOMER_ADMIN_ID, &["all"]);
    sim
}

/// Replaces `object_id`'s access policy on the access-policy vault with these key permissions.
fn set_policy(sim: &Sim, object_id: &str, keys: &[&str]) {
    let mut state = sim.state();
    let vault = state.resource_mut(&vault_id(POLICY_VAULT)).unwrap();
    let props = &mut vault.body["properties"];
    if !props["accessPolicies"].is_array() {
        props["accessPolicies"] = json!([]);
    }
    let policies = props["accessPolicies"].as_array_mut().unwrap();
    policies.retain(|p| p["objectId"] != object_id);
    policies.push(json!({
        "tenantId": CUSTOMER_TENANT_ID,
        "objectId": object_id,
        "permissions": { "keys": keys },
    }));
}

async fn post(sim: &Sim, upn: &str, vault: &str, path: &str, body: Value) -> (u16, Value) {
    let token = sim.user_token(CUSTOMER, upn, &sim.cloud().key_vault_audience);
    let client = xtcmk::http::transport::build_client(sim.cloud()).unwrap();
    let response = client
        .post(format!(
            "{}{path}?api-version=2025-07-01",
            sim.cloud().vault_url(vault)
        ))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn create_key(sim: &Sim, vault: &str, name: &str, ops: &[&str]) {
    let (status, body) = post(
        sim,
        CUSTOMER_ADMIN,
        vault,
        &format!("keys/{name}/create"),
        json!({ "kty": "RSA", "key_size": 3072, "key_ops": ops }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

fn inner_code(body: &Value) -> &str {
    body.pointer("/error/innererror/code")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

const PLAINTEXT: &str = "c2VjcmV0LWRhdGEta2V5"; // base64url of "secret-data-key"

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decrypt_undoes_encrypt_with_the_same_key_only() {
    let sim = sim();
    create_key(&sim, RBAC_VAULT, "k1", &["encrypt", "decrypt"]).await;
    create_key(&sim, RBAC_VAULT, "k2", &["encrypt", "decrypt"]).await;
    let alg = "RSA-OAEP-256";
    let (status, encrypted) = post(
        &sim,
        CUSTOMER_ADMIN,
        RBAC_VAULT,
        "keys/k1/encrypt",
        json!({ "alg": alg, "value": PLAINTEXT }),
    )
    .await;
    assert_eq!(status, 200, "{encrypted}");
    let ciphertext = encrypted["value"].as_str().unwrap().to_string();
    assert_ne!(ciphertext, PLAINTEXT);
    assert!(
        !ciphertext.contains(PLAINTEXT),
        "the plaintext is not visible"
    );
    // An RSA ciphertext is as long as the modulus: 384 bytes (512 base64url characters).
    assert_eq!(ciphertext.len(), 512);
    let kid = encrypted["kid"].as_str().unwrap();
    assert!(kid.contains("/keys/k1/"), "{kid}");
    let version = kid.rsplit('/').next().unwrap();

    let (status, decrypted) = post(
        &sim,
        CUSTOMER_ADMIN,
        RBAC_VAULT,
        &format!("keys/k1/{version}/decrypt"),
        json!({ "alg": alg, "value": ciphertext }),
    )
    .await;
    assert_eq!(status, 200, "{decrypted}");
    assert_eq!(decrypted["value"], PLAINTEXT);

    let (status, other) = post(
        &sim,
        CUSTOMER_ADMIN,
        RBAC_VAULT,
        "keys/k2/decrypt",
        json!({ "alg": alg, "value": ciphertext }),
    )
    .await;
    assert_eq!(status, 400, "{other}");
    assert_eq!(other["error"]["code"], "BadParameter");

    // A new version of k1 does not decrypt what the old one encrypted.
    create_key(&sim, RBAC_VAULT, "k1", &["encrypt", "decrypt"]).await;
    let (status, newer) = post(
        &sim,
        CUSTOMER_ADMIN,
        RBAC_VAULT,
        "keys/k1/decrypt",
        json!({ "alg": alg, "value": ciphertext }),
    )
    .await;
    assert_eq!(status, 400, "{newer}");

    // RSA-OAEP-256 with a 3072-bit key takes at most 384 - 66 = 318 bytes.
    let too_long = base64_of(&[7u8; 319]);
    let (status, body) = post(
        &sim,
        CUSTOMER_ADMIN,
        RBAC_VAULT,
        "keys/k1/encrypt",
        json!({ "alg": alg, "value": too_long }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let fits = base64_of(&[7u8; 318]);
    let (status, body) = post(
        &sim,
        CUSTOMER_ADMIN,
        RBAC_VAULT,
        "keys/k1/encrypt",
        json!({ "alg": alg, "value": fits }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keys_operations_must_allow_encrypt_and_decrypt() {
    let sim = sim();
    create_key(&sim, RBAC_VAULT, "wraponly", &["wrapKey", "unwrapKey"]).await;
    for op in ["encrypt", "decrypt"] {
        let (status, body) = post(
            &sim,
            CUSTOMER_ADMIN,
            RBAC_VAULT,
            &format!("keys/wraponly/{op}"),
            json!({ "alg": "RSA-OAEP", "value": PLAINTEXT }),
        )
        .await;
        assert_eq!(status, 403, "{op}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(op),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_vaults_need_the_encrypt_and_decrypt_data_actions() {
    let sim = sim();
    create_key(
        &sim,
        RBAC_VAULT,
        "cmk",
        &["encrypt", "decrypt", "wrapKey", "unwrapKey"],
    )
    .await;
    let key_scope = format!("{}/keys/cmk", vault_id(RBAC_VAULT));
    let (status, encrypted) = post(
        &sim,
        CUSTOMER_ADMIN,
        RBAC_VAULT,
        "keys/cmk/encrypt",
        json!({ "alg": "RSA-OAEP-256", "value": PLAINTEXT }),
    )
    .await;
    assert_eq!(status, 200, "{encrypted}");
    let ciphertext = encrypted["value"].clone();

    // The Cosmos DB role: read, wrap and unwrap, not encrypt or decrypt.
    role_assignments::assign(
        &mut sim.state(),
        &key_scope,
        role_definitions::KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
        CUSTOMER_USER_ID,
        "User",
    );
    let (status, body) = post(
        &sim,
        CUSTOMER_USER,
        RBAC_VAULT,
        "keys/cmk/wrapkey",
        json!({ "alg": "RSA-OAEP-256", "value": PLAINTEXT }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for (op, value, action) in [
        (
            "encrypt",
            json!(PLAINTEXT),
            "Microsoft.KeyVault/vaults/keys/encrypt/action",
        ),
        (
            "decrypt",
            ciphertext.clone(),
            "Microsoft.KeyVault/vaults/keys/decrypt/action",
        ),
    ] {
        let (status, body) = post(
            &sim,
            CUSTOMER_USER,
            RBAC_VAULT,
            &format!("keys/cmk/{op}"),
            json!({ "alg": "RSA-OAEP-256", "value": value }),
        )
        .await;
        assert_eq!(status, 403, "{op}: {body}");
        assert_eq!(inner_code(&body), "ForbiddenByRbac", "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(action),
            "{body}"
        );
    }

    // Key Vault Crypto User holds both data actions.
    role_assignments::assign(
        &mut sim.state(),
        &key_scope,
        role_definitions::KEY_VAULT_CRYPTO_USER,
        CUSTOMER_USER_ID,
        "User",
    );
    let (status, body) = post(
        &sim,
        CUSTOMER_USER,
        RBAC_VAULT,
        "keys/cmk/decrypt",
        json!({ "alg": "RSA-OAEP-256", "value": ciphertext }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"], PLAINTEXT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_policy_vaults_need_the_encrypt_and_decrypt_permissions() {
    let sim = sim();
    create_key(
        &sim,
        POLICY_VAULT,
        "cmk",
        &["encrypt", "decrypt", "wrapKey", "unwrapKey"],
    )
    .await;
    set_policy(&sim, CUSTOMER_USER_ID, &["get", "wrapKey", "unwrapKey"]);
    let (status, body) = post(
        &sim,
        CUSTOMER_USER,
        POLICY_VAULT,
        "keys/cmk/encrypt",
        json!({ "alg": "RSA-OAEP", "value": PLAINTEXT }),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(inner_code(&body), "ForbiddenByPolicy", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not have keys encrypt permission"),
        "{body}"
    );

    set_policy(&sim, CUSTOMER_USER_ID, &["get", "encrypt"]);
    let (status, encrypted) = post(
        &sim,
        CUSTOMER_USER,
        POLICY_VAULT,
        "keys/cmk/encrypt",
        json!({ "alg": "RSA-OAEP", "value": PLAINTEXT }),
    )
    .await;
    assert_eq!(status, 200, "{encrypted}");
    let (status, body) = post(
        &sim,
        CUSTOMER_USER,
        POLICY_VAULT,
        "keys/cmk/decrypt",
        json!({ "alg": "RSA-OAEP", "value": encrypted["value"] }),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(inner_code(&body), "ForbiddenByPolicy", "{body}");

    set_policy(&sim, CUSTOMER_USER_ID, &["get", "encrypt", "decrypt"]);
    let (status, body) = post(
        &sim,
        CUSTOMER_USER,
        POLICY_VAULT,
        "keys/cmk/decrypt",
        json!({ "alg": "RSA-OAEP", "value": encrypted["value"] }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"], PLAINTEXT);
}
