//! Raw probes of Key Vault's network rules for a data-plane caller that is not a trusted service
//! (every caller of the simulator comes from 127.0.0.1): a firewall that denies by default refuses
//! it with `ForbiddenByFirewall` — "caller is not a trusted service" when trusted services may
//! bypass, "caller was ignored because bypass is set to None" when none may — an IP rule for the
//! caller lets it through, and a vault without public access answers `ForbiddenByConnection`. A
//! request without a token still gets the challenge naming the vault's tenant.

use serde_json::{Value, json};
use xtcmk_sim::Sim;
use xtcmk_sim::scenario::cross_tenant::{Break, CmkWorld, KEY, VAULT};
use xtcmk_sim::scenario::demo::*;

async fn get_key(sim: &Sim, token: Option<&str>) -> (u16, Value, Option<String>) {
    let client = xtcmk::http::transport::build_client(sim.cloud()).unwrap();
    let mut request = client.get(format!(
        "{}keys/{KEY}?api-version=2025-07-01",
        sim.cloud().vault_url(VAULT)
    ));
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    let body = serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null);
    (status, body, challenge)
}

fn set_acls(sim: &Sim, world: &CmkWorld, acls: Value) {
    let mut state = sim.state();
    let vault = state.resource_mut(&world.vault_id).unwrap();
    vault.body["properties"]["networkAcls"] = acls;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_firewall_refuses_callers_that_are_not_trusted_services() {
    let (sim, world) = tokio::task::spawn_blocking(CmkWorld::start).await.unwrap();
    let token = sim.user_token(CUSTOMER, CUSTOMER_ADMIN, &sim.cloud().key_vault_audience);
    xtcmk_sim::arm::role_assignments::assign(
        &mut sim.state(),
        &world.vault_id,
        xtcmk_sim::arm::role_definitions::KEY_VAULT_CRYPTO_OFFICER,
        CUSTOMER_ADMIN_ID,
        "User",
    );
    let (status, _, _) = get_key(&sim, Some(&token)).await;
    assert_eq!(status, 200, "an open vault answers");

    world.break_link(&sim, Break::FirewallClosed);
    let (status, body, _) = get_key(&sim, Some(&token)).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["innererror"]["code"], "ForbiddenByFirewall");
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with(
            "Client address is not authorized and caller was ignored because bypass is set to None"
        ),
        "{body}"
    );

    set_acls(
        &sim,
        &world,
        json!({"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": []}),
    );
    let (status, body, _) = get_key(&sim, Some(&token)).await;
    assert_eq!(status, 403);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Client address is not authorized and caller is not a trusted service."),
        "{body}"
    );

    set_acls(
        &sim,
        &world,
        json!({"defaultAction": "Deny", "bypass": "None", "ipRules": [{"value": "127.0.0.1/32"}]}),
    );
    let (status, _, _) = get_key(&sim, Some(&token)).await;
    assert_eq!(status, 200, "an IP rule for the caller lets it through");

    world.break_link(&sim, Break::PublicAccessDisabled);
    let (status, body, _) = get_key(&sim, Some(&token)).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["innererror"]["code"], "ForbiddenByConnection");

    // Without a token: the challenge, naming the vault's tenant, as before.
    let (status, _, challenge) = get_key(&sim, None).await;
    assert_eq!(status, 401);
    assert!(challenge.unwrap().contains(CUSTOMER_TENANT_ID));
}
