//! Raw probes of two ways a customer breaks the chain by hand: Key Vault's `UpdateKey` (PATCH
//! `/keys/{name}/{version}`, keys/update permission) disabling a key version, after which wrapKey
//! is refused; and Graph's `DELETE /servicePrincipals(appId='…')` (204, 404 once gone, 403 for a
//! user without an administrator role).

use serde_json::{Value, json};
use xtcmk_sim::Sim;
use xtcmk_sim::arm::{role_assignments, role_definitions};
use xtcmk_sim::scenario::cross_tenant::{APP_ID, CmkWorld, KEY, VAULT};
use xtcmk_sim::scenario::demo::*;

async fn call(
    sim: &Sim,
    method: &str,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let client = xtcmk::http::transport::build_client(sim.cloud()).unwrap();
    let mut request = client
        .request(method.parse().unwrap(), url)
        .header("authorization", format!("Bearer {token}"));
    if let Some(b) = body {
        request = request
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_version_can_be_disabled_and_then_wraps_nothing() {
    let (sim, world) = tokio::task::spawn_blocking(CmkWorld::start).await.unwrap();
    let token = sim.user_token(CUSTOMER, CUSTOMER_ADMIN, &sim.cloud().key_vault_audience);
    let version = sim.state().keys[VAULT][KEY]
        .versions
        .last()
        .unwrap()
        .version
        .clone();
    let key_url = format!(
        "{}keys/{KEY}/{version}?api-version=2025-07-01",
        sim.cloud().vault_url(VAULT)
    );
    let disable = json!({ "attributes": { "enabled": false } });

    // Without keys/update: ForbiddenByRbac.
    let (status, body) = call(&sim, "PATCH", &key_url, &token, Some(disable.clone())).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["innererror"]["code"], "ForbiddenByRbac");

    role_assignments::assign(
        &mut sim.state(),
        &world.vault_id,
        role_definitions::KEY_VAULT_CRYPTO_OFFICER,
        CUSTOMER_ADMIN_ID,
        "User",
    );
    let (status, body) = call(&sim, "PATCH", &key_url, &token, Some(disable)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["attributes"]["enabled"], false);
    assert!(
        !sim.state().keys[VAULT][KEY]
            .versions
            .last()
            .unwrap()
            .enabled
    );

    let wrap_url = format!(
        "{}keys/{KEY}/{version}/wrapkey?api-version=2025-07-01",
        sim.cloud().vault_url(VAULT)
    );
    let (status, body) = call(
        &sim,
        "POST",
        &wrap_url,
        &token,
        Some(json!({"alg": "RSA-OAEP-256", "value": "AAAA"})),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("disabled"),
        "{body}"
    );

    // A member the spec does not have is refused, as Key Vault refuses it.
    let (status, _) = call(
        &sim,
        "PATCH",
        &key_url,
        &token,
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = call(
        &sim,
        "PATCH",
        &key_url,
        &token,
        Some(json!({"attributes": {"enabled": true}})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let missing = format!(
        "{}keys/{KEY}/{}?api-version=2025-07-01",
        sim.cloud().vault_url(VAULT),
        "0".repeat(32)
    );
    let (status, body) = call(&sim, "PATCH", &missing, &token, Some(json!({}))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("KeyNotFound"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_deletes_a_service_principal() {
    let (sim, _world) = tokio::task::spawn_blocking(CmkWorld::start).await.unwrap();
    let url = format!(
        "{}v1.0/servicePrincipals(appId='{APP_ID}')",
        sim.cloud().graph_endpoint
    );
    let graph = sim.cloud().graph_audience.clone();
    let user = sim.user_token(CUSTOMER, CUSTOMER_USER, &graph);
    let (status, body) = call(&sim, "DELETE", &url, &user, None).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");

    let admin = sim.user_token(CUSTOMER, CUSTOMER_ADMIN, &graph);
    let (status, _) = call(&sim, "DELETE", &url, &admin, None).await;
    assert_eq!(status, 204);
    let (status, _) = call(&sim, "GET", &url, &admin, None).await;
    assert_eq!(status, 404);
    let (status, _) = call(&sim, "DELETE", &url, &admin, None).await;
    assert_eq!(status, 404);
}
