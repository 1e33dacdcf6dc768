//! `xtcmk-customer revoke` end to end: removes exactly the grant onboarding made, says what that
//! means, keeps the key and the vault; `status` then shows the grant gone.

mod common;

use common::*;
use xtcmk_sim::scenario::demo::*;

fn onboarded(extra: &[&str], scenario: xtcmk_sim::Scenario) -> World {
    let w = World::with(scenario);
    let run = w.run(&w.onboard_args(extra));
    assert_eq!(run.code, 0, "{}", run.shown());
    w
}

fn handoff_args(w: &World, command: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        command.to_string(),
        "--handoff".into(),
        w.handoff_path().display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[test]
fn revoke_removes_the_grant_only_then_status_shows_it_gone() {
    let w = onboarded(&["--yes"], scenario());
    let sp = w.service_principal().unwrap().to_string();
    let mark = w.sim.log().mark();
    let run = w.run(&handoff_args(&w, "revoke", &["--yes"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    let writes: Vec<String> = w
        .sim
        .log()
        .since(mark)
        .into_iter()
        .filter(|e| e.is_effective_write())
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert!(
        writes[0].starts_with(&format!(
            "DELETE {}/keys/{KEY}/providers/Microsoft.Authorization/roleAssignments/",
            w.vault_id()
        )),
        "{writes:#?}"
    );
    {
        let state = w.sim.state();
        assert!(
            !state
                .resources
                .values()
                .any(|r| r.body["properties"]["principalId"] == sp.as_str()),
            "the provider's grant is gone"
        );
        assert!(state.resource(&w.vault_id()).is_some(), "the vault stays");
        assert!(
            state.keys.get(VAULT).is_some_and(|k| k.contains_key(KEY)),
            "the key stays"
        );
        // The admin's own Crypto Officer role on the vault was not the provider's grant: kept.
        assert!(state.resources.values().any(|r| {
            r.body["properties"]["principalId"] == CUSTOMER_ADMIN_ID
                && r.body["properties"]["scope"]
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(&w.vault_id()))
        }));
    }
    w.snapshot("revoke_done", &run.shown());

    let status = w.run(&handoff_args(&w, "status", &[]));
    assert_eq!(status.code, 3, "a broken link: {}", status.shown());
    w.snapshot("status_after_revoke", &status.shown());

    let mark = w.sim.log().mark();
    let again = w.run(&handoff_args(&w, "revoke", &["--yes"]));
    assert_eq!(again.code, 0, "{}", again.shown());
    assert!(
        again.stdout.contains("Nothing to revoke"),
        "{}",
        again.shown()
    );
    assert!(
        w.sim
            .log()
            .since(mark)
            .iter()
            .all(|e| !e.is_effective_write())
    );
}

#[test]
fn revoke_without_a_terminal_or_yes_changes_nothing() {
    let w = onboarded(&["--yes"], scenario());
    let mark = w.sim.log().mark();
    let run = w.run(&handoff_args(&w, "revoke", &[]));
    assert_eq!(run.code, 2, "{}", run.shown());
    assert!(run.stderr.contains("Consequence:"), "{}", run.shown());
    assert!(
        w.sim
            .log()
            .since(mark)
            .iter()
            .all(|e| !e.is_effective_write())
    );
}

#[test]
fn access_policy_vaults_get_and_lose_an_access_policy() {
    let w = onboarded(&["--yes"], scenario_with_vault(true, false));
    let sp = w.service_principal().unwrap().to_string();
    let policy = |w: &World| {
        let state = w.sim.state();
        let vault = state.resource(&w.vault_id()).unwrap();
        vault.body["properties"]["accessPolicies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["objectId"] == sp.as_str())
            .map(|p| p["permissions"]["keys"].clone())
    };
    assert_eq!(
        policy(&w),
        Some(serde_json::json!(["get", "wrapKey", "unwrapKey"]))
    );
    let run = w.run(&handoff_args(&w, "revoke", &["--yes"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert_eq!(policy(&w), None);
    let status = w.run(&handoff_args(&w, "status", &[]));
    assert_eq!(status.code, 3, "a broken link: {}", status.shown());
    assert!(
        status.stdout.contains("FAIL    grant"),
        "{}",
        status.shown()
    );
}

/// `POST …/keys/cmk/wrapkey` as the provider app's service principal in the customer tenant.
async fn wrap_as_provider(w: &World) -> (u16, String) {
    let token = w.sim.app_token(
        CUSTOMER,
        &APP_ID.parse().unwrap(),
        &w.sim.cloud().key_vault_audience,
    );
    let client = xtcmk::http::transport::build_client(w.sim.cloud()).unwrap();
    let url = format!(
        "{}keys/{KEY}/wrapkey?api-version=2025-07-01",
        w.sim.cloud().vault_url(VAULT)
    );
    let response = client
        .post(url)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(r#"{"alg":"RSA-OAEP-256","value":"c2VjcmV0LWRlaw"}"#)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_can_wrap_with_the_key_until_revoked() {
    let w = tokio::task::block_in_place(|| onboarded(&["--yes"], scenario()));
    let (status, body) = wrap_as_provider(&w).await;
    assert_eq!(status, 200, "{body}");
    let run = tokio::task::block_in_place(|| w.run(&handoff_args(&w, "revoke", &["--yes"])));
    assert_eq!(run.code, 0, "{}", run.shown());
    let (status, body) = wrap_as_provider(&w).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("ForbiddenByRbac"), "{body}");
}
