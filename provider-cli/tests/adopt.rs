//! `xtcmk-provider setup` adopting what exists: a managed identity by `--identity`, a
//! single-tenant app switched with `--fix`, and the refusals before any write when the input,
//! the signed-in tenant or the user's rights are wrong.

mod common;

use common::*;
use tempfile::TempDir;
use xtcmk_sim::{Scenario, Sim, roles};

const APP_PATCH: &str = "graph PATCH /v1.0/applications/{id}";
const FIC_UPSERT: &str =
    "graph PATCH /v1.0/applications/{id}/federatedIdentityCredentials(name='{name}')";
const ADOPTED_UAMI: &str = "uami-existing";

fn uami_id(sim: &Sim, resource_group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{resource_group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
        subscription(sim)
    )
}

/// A multi-tenant app and an existing identity, both to be adopted.
fn sim_with_existing() -> Sim {
    Sim::start(scenario(|t| {
        let sub = t.subscription_id("Contoso SaaS production").unwrap();
        t.application(SEEDED_APP, |a| a.multi_tenant())
            .managed_identity(ADOPTED_UAMI, sub, RG)
    }))
}

fn step_outcome(stdout: &str, step: &str) -> String {
    let report: serde_json::Value = serde_json::from_str(stdout).expect("stdout is JSON");
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == step || s["name"] == step)
        .map(|s| s["outcome"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no step {step} in {report}"))
}

fn json(args: Vec<String>) -> Vec<String> {
    let mut all = vec!["--output".to_string(), "json".to_string()];
    all.extend(args);
    all
}

#[test]
fn an_existing_identity_given_by_resource_id_is_adopted_without_a_put() {
    let sim = sim_with_existing();
    let dir = TempDir::new().unwrap();
    let app = app_id(&sim, SEEDED_APP).to_string();
    let identity = uami_id(&sim, RG, ADOPTED_UAMI);
    let args = json(setup_args(
        &sim,
        &["--app-id", &app, "--identity", &identity],
    ));
    let first = run_as(&sim, dir.path(), ADMIN, &args);
    assert_eq!(first.code, 0, "{}", first.shown());
    assert_eq!(step_outcome(&first.stdout, "identity"), "adopted");
    assert_eq!(step_outcome(&first.stdout, "app"), "adopted");
    assert_eq!(
        all_writes(&sim),
        vec![FIC_UPSERT],
        "only the credential is written; the identity is not PUT"
    );
    let report: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    assert_eq!(
        report["identityPrincipalId"],
        principal_id(&sim, ADOPTED_UAMI).to_string()
    );
    let subject = principal_id(&sim, ADOPTED_UAMI).to_string();
    {
        let state = sim.state();
        let app = state.tenants[0]
            .applications
            .iter()
            .find(|a| a.display_name == SEEDED_APP)
            .unwrap();
        let [fic] = app.federated_identity_credentials.as_slice() else {
            panic!("one credential: {:?}", app.federated_identity_credentials)
        };
        assert_eq!(fic.subject, subject);
        assert_eq!(fic.name, format!("xtcmk-{ADOPTED_UAMI}"));
    }

    let mark = sim.log().mark();
    let second = run_as(&sim, dir.path(), ADMIN, &args);
    assert_eq!(second.code, 0, "{}", second.shown());
    // An explicitly adopted identity is reported as adopted on every run; nothing is written.
    assert_eq!(step_outcome(&second.stdout, "identity"), "adopted");
    assert_eq!(writes_since(&sim, mark), Vec::<String>::new());
}

#[test]
fn a_malformed_identity_is_refused_naming_the_flag_before_any_request() {
    let sim = sim_with_existing();
    let dir = TempDir::new().unwrap();
    let vault = format!(
        "/subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.KeyVault/vaults/kv-cmk",
        subscription(&sim)
    );
    for bad in [ADOPTED_UAMI, vault.as_str()] {
        let run = run_as(
            &sim,
            dir.path(),
            ADMIN,
            &setup_args(&sim, &["--identity", bad]),
        );
        assert_eq!(run.code, 1, "{}", run.shown());
        assert!(run.stderr.contains("invalid --identity"), "{}", run.stderr);
        assert!(run.stderr.contains("hint:"), "{}", run.stderr);
        assert!(
            run.stderr.contains("userAssignedIdentities"),
            "the fix shows the expected shape: {}",
            run.stderr
        );
    }
    assert!(
        sim.log().entries().is_empty(),
        "no request: {:?}",
        sim.log().entries()
    );
}

#[test]
fn an_identity_in_a_missing_resource_group_is_refused() {
    let sim = sim_with_existing();
    let dir = TempDir::new().unwrap();
    let identity = uami_id(&sim, "rg-missing", ADOPTED_UAMI);
    let run = run_as(
        &sim,
        dir.path(),
        ADMIN,
        &setup_args(&sim, &["--identity", &identity]),
    );
    assert_eq!(run.code, 1, "{}", run.shown());
    assert!(sim.log().writes().is_empty(), "{:?}", sim.log().writes());
    assert!(run.stderr.contains("--identity"), "{}", run.stderr);
    assert!(run.stderr.contains("rg-missing"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("resource group rg-missing does not exist"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
}

#[test]
fn fix_switches_a_single_tenant_app_to_multi_tenant_with_one_patch() {
    let sim = Sim::start(scenario(|t| t.application(SEEDED_APP, |a| a)));
    let dir = TempDir::new().unwrap();
    let app = app_id(&sim, SEEDED_APP).to_string();
    let run = run_as(
        &sim,
        dir.path(),
        ADMIN,
        &json(setup_args(&sim, &["--app-id", &app, "--fix"])),
    );
    assert_eq!(run.code, 0, "{}", run.shown());
    assert_eq!(step_outcome(&run.stdout, "app"), "updated");
    let app_patches: Vec<String> = all_writes(&sim)
        .into_iter()
        .filter(|w| w == APP_PATCH)
        .collect();
    assert_eq!(app_patches.len(), 1, "{:?}", all_writes(&sim));
    let state = sim.state();
    let seeded = state.tenants[0]
        .applications
        .iter()
        .find(|a| a.display_name == SEEDED_APP)
        .unwrap();
    assert_eq!(seeded.sign_in_audience, "AzureADMultipleOrgs");
    assert_eq!(state.tenants[0].applications.len(), 1, "no second app");
}

#[test]
fn signed_in_to_another_tenant_is_refused_naming_both_and_az_login() {
    let scenario = Scenario::builder()
        .tenant(PROVIDER, "Contoso SaaS", "contoso-saas.example", |t| {
            t.subscription("Contoso SaaS production", |s| {
                s.resource_group(RG, LOCATION)
            })
            .user(ADMIN, "Alex Admin", &[roles::APPLICATION_ADMINISTRATOR])
        })
        .tenant("customer", "Fabrikam", "fabrikam.example", |t| {
            t.user(
                "cara@fabrikam.example",
                "Cara Customer",
                &[roles::APPLICATION_ADMINISTRATOR],
            )
        })
        .build()
        .unwrap();
    let sim = Sim::start(scenario);
    let dir = TempDir::new().unwrap();
    let out = xtcmk_sim::bin_run::run_bin(
        BIN,
        dir.path(),
        &setup_args(&sim, &[]),
        &sim.env_as_user("customer", "cara@fabrikam.example"),
    );
    let stderr = &out.stderr;
    assert_eq!(out.code, 1, "{stderr}");
    assert!(sim.log().writes().is_empty(), "{:?}", sim.log().writes());
    let provider = sim.tenant_id(PROVIDER).to_string();
    let customer = sim.tenant_id("customer").to_string();
    assert!(stderr.contains(&provider), "{stderr}");
    assert!(
        stderr.contains(&customer),
        "names the signed-in tenant: {stderr}"
    );
    assert!(
        stderr.contains(&format!("az login --tenant {provider}")),
        "{stderr}"
    );
}

#[test]
fn adopting_an_app_the_user_neither_owns_nor_administers_is_refused_before_any_write() {
    let sim = sim_with_existing();
    let dir = TempDir::new().unwrap();
    let app = app_id(&sim, SEEDED_APP).to_string();
    let run = run_as(
        &sim,
        dir.path(),
        DEVELOPER,
        &setup_args(&sim, &["--app-id", &app]),
    );
    assert_eq!(run.code, 1, "{}", run.shown());
    assert!(sim.log().writes().is_empty(), "{:?}", sim.log().writes());
    assert!(run.stderr.contains("not an owner"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Application Administrator"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("owner"), "{}", run.stderr);
}
