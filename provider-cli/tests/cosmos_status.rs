//! `cosmos status` and `doctor` after the customer revokes the grant: the account's
//! `customerManagedKeyStatus` ends in 4002 and both say what it means (exit 3); once granted again,
//! the status reads "confirmed". Also: a status change shows only once Cosmos DB's check has seen
//! it (the simulator's replication delay of the key status).

mod common;

use common::cmk::*;
use common::workspace_bin;
use serde_json::Value;
use xtcmk_sim::bin_run::run_bin;
use xtcmk_sim::replication::ReplicationRule;
use xtcmk_sim::scenario::demo::*;

fn json(out: &xtcmk_sim::bin_run::BinOutput) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("JSON ({e}): {}", out.shown()))
}

#[test]
fn revoke_shows_4002_in_status_and_doctor_and_granting_again_restores_confirmed() {
    let c = Cmk::start();
    let deploy = c.run(&c.deploy_args("orders", &[]));
    assert_eq!(deploy.code, 0, "{}", deploy.shown());
    let ok = c.run(&c.status_args("orders"));
    assert_eq!(ok.code, 0, "{}", ok.shown());
    assert!(
        ok.stdout.contains("✓ key status           confirmed"),
        "{}",
        ok.shown()
    );

    // The customer revokes the grant with their own tool.
    let customer = workspace_bin("xtcmk-customer");
    let revoke = run_bin(
        customer.to_str().unwrap(),
        c.dir.path(),
        &["revoke", "--handoff", "handoff.json", "--yes"],
        &c.sim.env_as_user(CUSTOMER, CUSTOMER_ADMIN),
    );
    assert_eq!(revoke.code, 0, "{}", revoke.shown());

    let status = c.run(&c.status_args("orders"));
    assert_eq!(status.code, 3, "{}", status.shown());
    assert!(
        status.stdout.contains("✗ key status           revoked (4002): the default identity no longer has get/wrapKey/unwrapKey on the key"),
        "{}",
        status.shown()
    );
    assert!(
        status.stdout.contains("fix: the customer re-grants"),
        "{}",
        status.shown()
    );
    let mut args = c.status_args("orders");
    args.extend(["--output".into(), "json".into()]);
    let doc = json(&c.run(&args));
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["customerManagedKeyStatus"]["state"], "revoked-4002");
    assert_eq!(doc["customerManagedKeyStatus"]["code"], 4002);

    let doctor =
        c.run_on_identity_host(&c.doctor_args(&["--account", "orders", "--output", "json"]));
    assert_eq!(doctor.code, 3, "{}", doctor.shown());
    let doc = json(&doctor);
    let failed: Vec<(&str, &str)> = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "fail")
        .map(|c| (c["item"].as_str().unwrap(), c["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(failed.len(), 2, "{failed:#?}");
    assert_eq!(failed[0].0, "key status");
    assert!(failed[0].1.starts_with("revoked (4002)"), "{failed:#?}");
    assert_eq!(failed[1].0, "grant");

    // Granted again: confirmed.
    c.world.grant(&c.sim);
    let status = c.run(&c.status_args("orders"));
    assert_eq!(status.code, 0, "{}", status.shown());
    assert!(status.stdout.contains("confirmed"), "{}", status.shown());
}

#[test]
fn the_status_is_what_the_account_reports_once_cosmos_db_has_seen_the_change() {
    let c = Cmk::start();
    assert_eq!(c.run(&c.deploy_args("orders", &[])).code, 0);
    // Cosmos DB notices a revocation late (up to an hour in Azure): the next two reads still
    // show the old status.
    c.sim.replication().add(ReplicationRule::reads(
        xtcmk_sim::arm::cosmos::KEY_STATUS,
        2,
    ));
    c.world.break_link(
        &c.sim,
        xtcmk_sim::scenario::cross_tenant::Break::KeyDisabled,
    );
    let mut codes = Vec::new();
    for _ in 0..4 {
        codes.push(c.run(&c.status_args("orders")).code);
    }
    assert_eq!(*codes.last().unwrap(), 3, "{codes:?}");
    assert_eq!(
        codes[0], 0,
        "the first read still shows the old status: {codes:?}"
    );
}

#[test]
fn an_account_without_a_key_is_not_confirmed() {
    let c = Cmk::start_with(Cmk::scenario_with(vec![seeded("plain", None, None, None)]));
    let status = c.run(&c.status_args("plain"));
    assert_eq!(status.code, 3, "{}", status.shown());
    assert!(
        status.stdout.contains("customer-managed keys are off"),
        "{}",
        status.shown()
    );
    let missing = c.run(&c.status_args("nothere"));
    assert_eq!(missing.code, 1, "{}", missing.shown());
    assert!(
        missing.stderr.contains("no Cosmos DB account at"),
        "{}",
        missing.shown()
    );
}
