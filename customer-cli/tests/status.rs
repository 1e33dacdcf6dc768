//! `xtcmk-customer status` end to end: every item checked read-only after an onboarding.

mod common;

use common::*;

#[test]
fn status_after_onboarding_is_all_ok_and_reads_only() {
    let w = World::new();
    let run = w.run(&w.onboard_args(&["--yes"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    let mark = w.sim.log().mark();
    let handoff = w.handoff_path().display().to_string();
    let status = w.run(&["status".into(), "--handoff".into(), handoff]);
    assert_eq!(status.code, 0, "{}", status.shown());
    assert!(
        w.sim
            .log()
            .since(mark)
            .iter()
            .all(|e| !e.is_effective_write()),
        "status wrote something"
    );
    w.snapshot("status_ok", &status.shown());
}

#[test]
fn status_names_a_vault_that_lost_purge_protection_and_a_missing_key() {
    let w = World::new();
    let run = w.run(&w.onboard_args(&["--yes"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    w.edit_vault(|v| {
        v["properties"]
            .as_object_mut()
            .unwrap()
            .remove("enablePurgeProtection");
    });
    w.sim.state().keys.clear();
    let handoff = w.handoff_path().display().to_string();
    let status = w.run(&[
        "status".into(),
        "--handoff".into(),
        handoff,
        "--output".into(),
        "json".into(),
    ]);
    assert_eq!(status.code, 3, "a broken link: {}", status.shown());
    let report: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "fail")
        .map(|c| c["item"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["vault", "key"], "{}", status.shown());
}
