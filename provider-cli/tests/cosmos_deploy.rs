//! `cosmos deploy` end to end on the simulator: a new account on the customer's key, a second run
//! that writes nothing, CMK turned on for an existing account (identity, then default identity, then
//! key), a key change within the tenant, a key of another tenant refused for a pinned account.

mod common;

use common::cmk::*;
use serde_json::Value;

#[test]
fn a_new_account_gets_the_key_and_a_second_run_writes_nothing() {
    let c = Cmk::start();
    let mark = c.sim.log().mark();
    let run = c.run(&c.deploy_args("orders", &[]));
    assert_eq!(run.code, 0, "{}", run.shown());
    let writes = c.account_writes(mark);
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert_eq!(writes[0].0, "PUT");
    let stored = c.stored("orders");
    assert_eq!(
        stored["properties"]["keyVaultKeyUri"],
        c.world.key_uri.as_str()
    );
    assert_eq!(
        stored["properties"]["defaultIdentity"],
        c.world.default_identity().as_str()
    );
    assert!(run.stdout.contains("confirmed"), "{}", run.shown());

    let mark = c.sim.log().mark();
    let again = c.run(&c.deploy_args("orders", &["--output", "json"]));
    assert_eq!(again.code, 0, "{}", again.shown());
    let doc: Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(doc["writes"], 0, "{}", again.stdout);
    assert!(c.account_writes(mark).is_empty());
    println!("{}", run.shown());
}

#[test]
fn cmk_is_turned_on_for_an_existing_account_identity_then_default_identity_then_key() {
    let c = Cmk::start_with(Cmk::scenario_with(vec![seeded("legacy", None, None, None)]));
    let dry = c.run(&c.deploy_args("legacy", &["--dry-run"]));
    assert_eq!(dry.code, 0, "{}", dry.shown());
    assert!(
        dry.stdout.contains("cannot be turned off again"),
        "{}",
        dry.shown()
    );
    assert!(dry.stdout.contains("asynchronously"), "{}", dry.shown());
    let mark = c.sim.log().mark();
    let run = c.run(&c.deploy_args("legacy", &["--yes"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    println!("{}", run.shown());
    let writes = c.account_writes(mark);
    let shapes: Vec<(String, Vec<String>)> = writes
        .iter()
        .map(|(m, b)| {
            let mut keys: Vec<String> = b.as_object().unwrap().keys().cloned().collect();
            if let Some(p) = b["properties"].as_object() {
                keys.extend(p.keys().map(|k| format!("properties.{k}")));
            }
            (m.clone(), keys)
        })
        .collect();
    assert_eq!(
        shapes,
        [
            ("PATCH".to_string(), vec!["identity".to_string()]),
            (
                "PATCH".to_string(),
                vec![
                    "properties".to_string(),
                    "properties.defaultIdentity".to_string()
                ]
            ),
            (
                "PATCH".to_string(),
                vec![
                    "properties".to_string(),
                    "properties.keyVaultKeyUri".to_string()
                ]
            ),
        ]
    );
    let stored = c.stored("legacy");
    assert_eq!(
        stored["properties"]["keyVaultKeyUri"],
        c.world.key_uri.as_str()
    );
    assert_eq!(
        stored["properties"]["defaultIdentity"],
        c.world.default_identity().as_str()
    );
}

#[test]
fn another_key_of_the_same_tenant_is_a_key_change() {
    let c = Cmk::start_with(rekey_scenario());
    c.seed_old_key();
    let dry = c.run(&c.deploy_args(REKEY, &["--dry-run"]));
    assert_eq!(dry.code, 0, "{}", dry.shown());
    assert!(dry.stdout.contains("change of key from"), "{}", dry.shown());
    assert!(
        dry.stdout.contains(&format!("/keys/{OLD_KEY}")),
        "{}",
        dry.shown()
    );
    let mark = c.sim.log().mark();
    let run = c.run(&c.deploy_args(REKEY, &["--yes"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    let writes = c.account_writes(mark);
    assert_eq!(writes.len(), 1, "only the key changes: {writes:#?}");
    assert_eq!(
        writes[0].1["properties"]["keyVaultKeyUri"],
        c.world.key_uri.as_str()
    );
    assert_eq!(
        c.stored(REKEY)["properties"]["keyVaultKeyUri"],
        c.world.key_uri.as_str()
    );
}

#[test]
fn without_a_terminal_an_irreversible_change_needs_yes() {
    let c = Cmk::start_with(Cmk::scenario_with(vec![seeded("legacy", None, None, None)]));
    let mark = c.sim.log().mark();
    let run = c.run(&c.deploy_args("legacy", &[]));
    assert_eq!(run.code, 2, "{}", run.shown());
    assert!(run.stderr.contains("--yes"), "{}", run.shown());
    assert!(c.account_writes(mark).is_empty());
}

#[test]
fn a_pinned_account_refuses_a_key_of_another_tenant_before_sending() {
    let c = Cmk::start_with(pinned_scenario());
    c.seed_third_key();
    let mark = c.sim.log().mark();
    let run = c.run(&c.deploy_args(PINNED, &["--yes"]));
    assert_eq!(run.code, 1, "{}", run.shown());
    assert!(
        run.stderr.contains("The tenant for the new Key Vault 20000000-0000-4000-8000-000000000002 does not match the one in the old Key Vault"),
        "{}",
        run.shown()
    );
    assert!(c.account_writes(mark).is_empty());
}

#[test]
fn a_revoked_account_keeps_its_key_until_access_is_restored() {
    let c = Cmk::start_with(rekey_scenario());
    c.seed_old_key_only();
    let mark = c.sim.log().mark();
    let run = c.run(&c.deploy_args(REKEY, &["--yes"]));
    assert_eq!(run.code, 1, "{}", run.shown());
    assert!(
        run.stderr.contains(
            "No Update is allowed on Database Account with Customer Managed Key in Revoked Status"
        ),
        "{}",
        run.shown()
    );
    assert!(run.stderr.contains("revoked (4002)"), "{}", run.shown());
    assert!(c.account_writes(mark).is_empty());
}
