//! What the provider's service principal can do with the customer's key after onboarding, as
//! Key Vault decides it: for Atlas, encrypt and decrypt but not wrap; for Cosmos DB, wrap and
//! unwrap but not encrypt. Least privilege holds on both permission models.

mod common;

use common::*;
use serde_json::{Value, json};
use xtcmk_sim::scenario::demo::*;

fn onboarded(extra: &[&str], scenario: xtcmk_sim::Scenario) -> World {
    let w = World::with(scenario);
    let run = w.run(&w.onboard_args(extra));
    assert_eq!(run.code, 0, "{}", run.shown());
    w
}

/// `POST …/keys/cmk/{op}` as the provider app's service principal in the customer tenant.
async fn as_provider(w: &World, op: &str, value: &str) -> (u16, Value) {
    let token = w.sim.app_token(
        CUSTOMER,
        &APP_ID.parse().unwrap(),
        &w.sim.cloud().key_vault_audience,
    );
    let client = xtcmk::http::transport::build_client(w.sim.cloud()).unwrap();
    let url = format!(
        "{}keys/{KEY}/{op}?api-version=2025-07-01",
        w.sim.cloud().vault_url(VAULT)
    );
    let response = client
        .post(url)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(json!({ "alg": "RSA-OAEP-256", "value": value }).to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn inner_code(body: &Value) -> &str {
    body.pointer("/error/innererror/code")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// base64url of "data-encryption-key".
const DEK: &str = "ZGF0YS1lbmNyeXB0aW9uLWtleQ";

/// Encrypt then decrypt gives the value back.
async fn round_trip(w: &World) {
    let (status, encrypted) = as_provider(w, "encrypt", DEK).await;
    assert_eq!(status, 200, "{encrypted}");
    let ciphertext = encrypted["value"].as_str().unwrap().to_string();
    assert_ne!(ciphertext, DEK);
    let (status, decrypted) = as_provider(w, "decrypt", &ciphertext).await;
    assert_eq!(status, 200, "{decrypted}");
    assert_eq!(decrypted["value"], DEK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_atlas_onboard_the_provider_encrypts_and_decrypts_but_cannot_wrap() {
    let w = tokio::task::block_in_place(|| onboarded(&["--yes", "--for", "atlas"], scenario()));
    round_trip(&w).await;
    let (status, body) = as_provider(&w, "wrapkey", DEK).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(inner_code(&body), "ForbiddenByRbac", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_atlas_onboard_on_an_access_policy_vault_the_provider_encrypts_but_cannot_wrap() {
    let w = tokio::task::block_in_place(|| {
        onboarded(
            &["--yes", "--for", "atlas"],
            scenario_with_vault(true, false),
        )
    });
    round_trip(&w).await;
    let (status, body) = as_provider(&w, "wrapkey", DEK).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(inner_code(&body), "ForbiddenByPolicy", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_cosmos_onboard_the_provider_wraps_but_cannot_encrypt() {
    let w = tokio::task::block_in_place(|| onboarded(&["--yes"], scenario()));
    let (status, wrapped) = as_provider(&w, "wrapkey", DEK).await;
    assert_eq!(status, 200, "{wrapped}");
    let (status, unwrapped) =
        as_provider(&w, "unwrapkey", wrapped["value"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{unwrapped}");
    assert_eq!(unwrapped["value"], DEK);
    for op in ["encrypt", "decrypt"] {
        let (status, body) = as_provider(&w, op, DEK).await;
        assert_eq!(status, 403, "{op}: {body}");
        assert_eq!(inner_code(&body), "ForbiddenByRbac", "{op}: {body}");
    }
}
