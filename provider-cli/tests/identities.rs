//! `xtcmk-provider identities` end to end: the app's credentials with `n/20 used`, the managed
//! identity each trusts, and the broken ones (near misses Entra accepted but token exchange
//! would refuse, subjects that match no managed identity).

mod common;

use common::*;
use tempfile::TempDir;
use xtcmk_sim::Sim;

fn sim_with_credentials() -> Sim {
    let sim = Sim::start(scenario(|t| {
        let sub = t.subscription_id("Contoso SaaS production").unwrap();
        t.application(SEEDED_APP, |a| a.multi_tenant())
            .managed_identity(UAMI, sub, RG)
            .managed_identity("uami-other", sub, RG)
    }));
    let issuer = issuer(&sim);
    let good = principal_id(&sim, UAMI).to_string();
    let other = principal_id(&sim, "uami-other").to_string();
    add_credential(&sim, SEEDED_APP, "xtcmk-uami-cmk", &issuer, &good);
    // Entra accepts an issuer with a trailing slash; token exchange then fails (AADSTS700211).
    add_credential(
        &sim,
        SEEDED_APP,
        "trailing-slash",
        &format!("{issuer}/"),
        &other,
    );
    add_credential(
        &sim,
        SEEDED_APP,
        "deleted-identity",
        &issuer,
        "00000000-0000-4000-8000-00000000dead",
    );
    add_credential(
        &sim,
        SEEDED_APP,
        "github-deploy",
        "https://token.actions.githubusercontent.com",
        "repo:contoso/saas:ref:refs/heads/main",
    );
    sim
}

#[test]
fn lists_credentials_with_the_identity_each_trusts_and_shows_near_misses_as_broken() {
    let sim = sim_with_credentials();
    let dir = TempDir::new().unwrap();
    let app = app_id(&sim, SEEDED_APP).to_string();
    let run = run_as(
        &sim,
        dir.path(),
        ADMIN,
        &["identities".into(), "--app-id".into(), app],
    );
    assert_eq!(run.code, 0, "{}", run.shown());
    assert!(
        run.stdout.contains("4/20 federated credentials used"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("BROKEN  trailing-slash"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("has a trailing slash"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("BROKEN  deleted-identity"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("ok      xtcmk-uami-cmk"),
        "{}",
        run.stdout
    );
    assert!(sim.log().writes().is_empty(), "a listing writes nothing");
    snapshot("identities_text", &sim, dir.path(), &run.shown());
}

#[test]
fn json_output_names_status_identity_and_problems() {
    let sim = sim_with_credentials();
    let dir = TempDir::new().unwrap();
    let app = app_id(&sim, SEEDED_APP).to_string();
    let run = run_as(
        &sim,
        dir.path(),
        ADMIN,
        &[
            "--output".into(),
            "json".into(),
            "identities".into(),
            "--app-id".into(),
            app,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.shown());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(report["used"], 4);
    assert_eq!(report["limit"], 20);
    let by_name = |name: &str| {
        report["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_name("xtcmk-uami-cmk")["status"], "ok");
    assert!(
        by_name("xtcmk-uami-cmk")["identity"]
            .as_str()
            .unwrap()
            .ends_with("/userAssignedIdentities/uami-cmk")
    );
    let slash = by_name("trailing-slash");
    assert_eq!(slash["status"], "broken");
    assert!(slash["identity"].as_str().unwrap().ends_with("/uami-other"));
    assert_eq!(by_name("deleted-identity")["status"], "broken");
    assert_eq!(by_name("github-deploy")["status"], "other");
    let deleted = by_name("deleted-identity");
    assert!(deleted["identity"].is_null(), "{deleted}");
    // The JSON shape is an interface: scripts read it.
    snapshot("identities_json", &sim, dir.path(), &run.stdout);
}

#[test]
fn an_unknown_app_id_is_refused_naming_the_flag() {
    let sim = Sim::start(scenario(|t| t));
    let dir = TempDir::new().unwrap();
    let run = run_as(
        &sim,
        dir.path(),
        ADMIN,
        &[
            "identities".into(),
            "--app-id".into(),
            "00000000-0000-4000-8000-0000000000ff".into(),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.shown());
    assert!(run.stderr.contains("invalid --app-id"), "{}", run.stderr);
}
