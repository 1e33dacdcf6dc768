//! Every grant counts: `revoke` and `status` find every grant of the provider's service principal
//! on the key (role assignments at any scope above it, access policies), revoke removes exactly
//! the ones onboarding made (or all with `--all`) and never says access is gone while some
//! remains; a re-onboard that moves the grant removes the one it replaces.

mod common;

use common::*;
use serde_json::Value;
use xtcmk::ObjectId;
use xtcmk_sim::arm::{role_assignments, role_definitions};
use xtcmk_sim::scenario::demo::*;

fn handoff_args(w: &World, command: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        command.to_string(),
        "--handoff".into(),
        w.handoff_path().display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Scopes (lower case) of the provider's role assignments.
fn grant_scopes(w: &World) -> Vec<String> {
    let sp = w.service_principal().unwrap().to_string();
    let state = w.sim.state();
    let mut scopes: Vec<String> = state
        .resources
        .values()
        .filter(|r| {
            r.kind == "Microsoft.Authorization/roleAssignments"
                && r.body["properties"]["principalId"] == sp.as_str()
        })
        .map(|r| {
            r.body["properties"]["scope"]
                .as_str()
                .unwrap()
                .to_ascii_lowercase()
        })
        .collect();
    scopes.sort();
    scopes
}

fn key_scope(w: &World) -> String {
    format!("{}/keys/{KEY}", w.vault_id())
}

/// Installs the provider app's service principal in the customer tenant, as an earlier admin
/// consent would have.
fn install_service_principal(w: &World) -> ObjectId {
    let mut state = w.sim.state();
    xtcmk_sim::graph::service_principals::add(
        &mut state,
        &CUSTOMER_TENANT_ID.parse().unwrap(),
        APP_ID.parse().unwrap(),
        PROVIDER_TENANT_ID.parse().unwrap(),
        APP_NAME.into(),
    )
    .unwrap()
    .id
}

#[test]
fn a_re_onboard_that_moves_the_grant_to_the_vault_removes_the_key_grant_and_revoke_leaves_nothing()
{
    let w = World::new();
    assert_eq!(w.run(&w.onboard_args(&["--yes"])).code, 0);
    assert_eq!(grant_scopes(&w), [key_scope(&w).to_ascii_lowercase()]);

    let moved = w.run(&w.onboard_args(&["--yes", "--scope", "vault"]));
    assert_eq!(moved.code, 0, "{}", moved.shown());
    assert!(
        moved.stdout.lines().any(|l| l.contains("grant")
            && l.contains("removed")
            && l.contains("replaced by the grant at")),
        "{}",
        moved.shown()
    );
    assert_eq!(grant_scopes(&w), [w.vault_id().to_ascii_lowercase()]);

    let revoke = w.run(&handoff_args(&w, "revoke", &["--yes"]));
    assert_eq!(revoke.code, 0, "{}", revoke.shown());
    assert!(
        revoke
            .stdout
            .contains("Revoked: the provider's service principal"),
        "{}",
        revoke.shown()
    );
    assert!(grant_scopes(&w).is_empty(), "{:?}", grant_scopes(&w));
    let status = w.run(&handoff_args(&w, "status", &[]));
    assert_eq!(status.code, 3, "{}", status.shown());
}

#[test]
fn revoke_does_not_say_access_is_gone_while_a_hand_made_grant_remains_and_all_removes_it() {
    let w = World::new();
    assert_eq!(w.run(&w.onboard_args(&["--yes"])).code, 0);
    let sp = w.service_principal().unwrap().to_string();
    // Someone grants the same role at the vault by hand, under another name.
    role_assignments::assign(
        &mut w.sim.state(),
        &w.vault_id(),
        role_definitions::KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
        &sp,
        "ServicePrincipal",
    );
    let revoke = w.run(&handoff_args(&w, "revoke", &["--yes", "--output", "json"]));
    assert_eq!(revoke.code, 0, "{}", revoke.shown());
    let doc: Value = serde_json::from_str(&revoke.stdout).unwrap();
    let outcomes: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["removed", "unchanged"], "{doc:#}");
    assert!(
        doc["consequence"]
            .as_str()
            .unwrap()
            .contains("can STILL use key"),
        "{doc:#}"
    );
    assert_eq!(doc["remaining"].as_array().unwrap().len(), 1, "{doc:#}");
    assert_eq!(grant_scopes(&w), [w.vault_id().to_ascii_lowercase()]);

    // status sees the remaining access (and says it was not made by onboarding).
    let status = w.run(&handoff_args(&w, "status", &[]));
    assert_eq!(status.code, 0, "{}", status.shown());
    let grant = status.stdout.lines().find(|l| l.contains("grant")).unwrap();
    assert!(
        grant.contains("ok") && grant.contains("not made by onboarding"),
        "{grant}"
    );

    let all = w.run(&handoff_args(&w, "revoke", &["--yes", "--all"]));
    assert_eq!(all.code, 0, "{}", all.shown());
    assert!(grant_scopes(&w).is_empty());
    assert_eq!(w.run(&handoff_args(&w, "status", &[])).code, 3);
}

#[test]
fn a_handoff_naming_a_role_assignment_elsewhere_does_not_fool_revoke() {
    let w = World::new();
    assert_eq!(w.run(&w.onboard_args(&["--yes"])).code, 0);
    // The handoff's roleAssignmentId is edited to name one on another vault.
    let path = w.handoff_path();
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let other = format!(
        "/subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourceGroups/{CUSTOMER_RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/kv-other/keys/cmk/providers/Microsoft.Authorization/roleAssignments/11111111-1111-4111-8111-111111111111"
    );
    doc["roleAssignmentId"] = Value::String(other.clone());
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();

    let revoke = w.run(&handoff_args(&w, "revoke", &["--yes"]));
    assert_eq!(revoke.code, 0, "{}", revoke.shown());
    assert!(
        revoke.stderr.contains(&format!(
            "the handoff names role assignment {other}, which grants nothing on key"
        )),
        "{}",
        revoke.shown()
    );
    assert!(grant_scopes(&w).is_empty(), "the grant on this key is gone");
}

#[test]
fn grants_made_by_hand_before_onboarding_are_listed_kept_and_reported() {
    let w = World::with(scenario_with_vault(true, true));
    let sp = install_service_principal(&w).to_string();
    // By hand, before onboarding: an access policy (inert on an RBAC vault) and the Crypto User
    // role on the whole vault.
    w.edit_vault(|v| {
        v["properties"]["accessPolicies"] = serde_json::json!([{
            "tenantId": CUSTOMER_TENANT_ID,
            "objectId": sp,
            "permissions": {"keys": ["get", "wrapKey", "unwrapKey"]}
        }]);
    });
    role_assignments::assign(
        &mut w.sim.state(),
        &w.vault_id(),
        role_definitions::KEY_VAULT_CRYPTO_USER,
        &sp,
        "ServicePrincipal",
    );
    assert_eq!(w.run(&w.onboard_args(&["--yes"])).code, 0);

    let status = w.run(&handoff_args(&w, "status", &["--output", "json"]));
    assert_eq!(status.code, 0, "{}", status.shown());
    let doc: Value = serde_json::from_str(&status.stdout).unwrap();
    let grants = doc["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 3, "{doc:#}");
    let ours: Vec<bool> = grants
        .iter()
        .map(|g| g["ours"].as_bool().unwrap())
        .collect();
    assert_eq!(ours, [true, false, false], "ours first: {doc:#}");
    let policy = grants.iter().find(|g| g["kind"] == "accessPolicy").unwrap();
    assert_eq!(
        policy["effective"], false,
        "RBAC vaults ignore access policies"
    );

    let revoke = w.run(&handoff_args(&w, "revoke", &["--yes"]));
    assert_eq!(revoke.code, 0, "{}", revoke.shown());
    assert!(
        revoke.stdout.contains("can still use the key through"),
        "{}",
        revoke.shown()
    );
    assert!(
        revoke.stdout.contains("Key Vault Crypto User"),
        "{}",
        revoke.shown()
    );
    // The hand-made grants stay.
    assert_eq!(grant_scopes(&w), [w.vault_id().to_ascii_lowercase()]);
    let state = w.sim.state();
    let vault = state.resource(&w.vault_id()).unwrap();
    assert_eq!(
        vault.body["properties"]["accessPolicies"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
