//! The plan is the truth: for every setup scenario, the outcomes a `--dry-run` predicts are the
//! outcomes the real run that follows reports, step for step, and a dry run writes nothing.

mod common;

use common::*;
use serde_json::Value;
use tempfile::TempDir;
use xtcmk_sim::Sim;

fn outcomes(stdout: &str) -> Vec<(String, String)> {
    let report: Value = serde_json::from_str(stdout).expect("stdout is JSON");
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_string(),
                s["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// What a dry run's outcome becomes when carried out.
fn realized(outcome: &str) -> &str {
    match outcome {
        "would-create" => "created",
        "would-update" => "updated",
        "would-remove" => "removed",
        other => other,
    }
}

struct Case {
    name: &'static str,
    sim: fn() -> Sim,
    /// Runs before the compared pair (e.g. a first setup).
    before: fn(&Sim, &TempDir),
    args: fn(&Sim) -> Vec<String>,
}

fn plain() -> Sim {
    Sim::start(scenario(|t| t))
}

fn with_existing() -> Sim {
    Sim::start(scenario(|t| {
        let sub = t.subscription_id("Contoso SaaS production").unwrap();
        t.application(SEEDED_APP, |a| a.multi_tenant())
            .managed_identity("uami-existing", sub, RG)
    }))
}

fn single_tenant() -> Sim {
    Sim::start(scenario(|t| t.application(SEEDED_APP, |a| a)))
}

fn nothing(_: &Sim, _: &TempDir) {}

fn first_setup(sim: &Sim, dir: &TempDir) {
    let run = run_as(sim, dir.path(), ADMIN, &setup_args(sim, &[]));
    assert_eq!(run.code, 0, "{}", run.shown());
}

fn default_args(sim: &Sim) -> Vec<String> {
    setup_args(sim, &[])
}

#[test]
fn every_dry_run_predicts_the_real_run() {
    let cases = [
        Case {
            name: "fresh tenant",
            sim: plain,
            before: nothing,
            args: default_args,
        },
        Case {
            name: "second run",
            sim: plain,
            before: first_setup,
            args: default_args,
        },
        Case {
            name: "a redirect URI added on a re-run",
            sim: plain,
            before: first_setup,
            args: |sim| {
                setup_args(
                    sim,
                    &["--consent-redirect-uri", "https://contoso-saas.example/ok"],
                )
            },
        },
        Case {
            name: "app and identity adopted",
            sim: with_existing,
            before: nothing,
            args: |sim| {
                let identity = format!(
                    "/subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-existing",
                    subscription(sim)
                );
                let app = app_id(sim, SEEDED_APP).to_string();
                setup_args(sim, &["--app-id", &app, "--identity", &identity])
            },
        },
        Case {
            name: "single-tenant app fixed",
            sim: single_tenant,
            before: nothing,
            args: |sim| {
                let app = app_id(sim, SEEDED_APP).to_string();
                setup_args(sim, &["--app-id", &app, "--fix"])
            },
        },
    ];
    for case in cases {
        let sim = (case.sim)();
        let dir = TempDir::new().unwrap();
        (case.before)(&sim, &dir);
        let args = (case.args)(&sim);
        let json = |extra: &str| {
            let mut all = vec!["--output".to_string(), "json".to_string()];
            all.extend(args.iter().cloned());
            if !extra.is_empty() {
                all.push(extra.to_string());
            }
            all
        };
        let mark = sim.log().mark();
        let dry = run_as(&sim, dir.path(), ADMIN, &json("--dry-run"));
        assert_eq!(dry.code, 0, "{}: {}", case.name, dry.shown());
        assert!(
            writes_since(&sim, mark).is_empty(),
            "{}: the dry run wrote {:#?}",
            case.name,
            writes_since(&sim, mark)
        );
        let real = run_as(&sim, dir.path(), ADMIN, &json(""));
        assert_eq!(real.code, 0, "{}: {}", case.name, real.shown());
        let predicted: Vec<(String, String)> = outcomes(&dry.stdout)
            .into_iter()
            .map(|(s, o)| (s, realized(&o).to_string()))
            .collect();
        assert_eq!(
            predicted,
            outcomes(&real.stdout),
            "{}: the dry run predicted otherwise\n{}\n{}",
            case.name,
            dry.stdout,
            real.stdout
        );
    }
}

/// `cosmos deploy`: a new account, a second run, CMK turned on for an existing account, another
/// key of the same tenant.
#[test]
fn every_cosmos_deploy_dry_run_predicts_the_real_run() {
    use common::cmk::*;
    struct DeployCase {
        name: &'static str,
        start: fn() -> Cmk,
        before: fn(&Cmk),
        account: &'static str,
    }
    let cases = [
        DeployCase {
            name: "new account",
            start: Cmk::start,
            before: |_| {},
            account: "orders",
        },
        DeployCase {
            name: "second run",
            start: Cmk::start,
            before: |c| assert_eq!(c.run(&c.deploy_args("orders", &[])).code, 0),
            account: "orders",
        },
        DeployCase {
            name: "existing account without a key",
            start: || Cmk::start_with(Cmk::scenario_with(vec![seeded("legacy", None, None, None)])),
            before: |_| {},
            account: "legacy",
        },
        DeployCase {
            name: "another key of the same tenant",
            start: || {
                let c = Cmk::start_with(rekey_scenario());
                c.seed_old_key();
                c
            },
            before: |_| {},
            account: REKEY,
        },
    ];
    for case in cases {
        let c = (case.start)();
        (case.before)(&c);
        let json = |extra: &[&str]| {
            let mut args = c.deploy_args(case.account, &["--output", "json", "--yes"]);
            args.extend(extra.iter().map(|s| s.to_string()));
            args
        };
        let mark = c.sim.log().mark();
        let dry = c.run(&json(&["--dry-run"]));
        assert_eq!(dry.code, 0, "{}: {}", case.name, dry.shown());
        assert!(
            writes_since(&c.sim, mark).is_empty(),
            "{}: the dry run wrote {:#?}",
            case.name,
            writes_since(&c.sim, mark)
        );
        let real = c.run(&json(&[]));
        assert_eq!(real.code, 0, "{}: {}", case.name, real.shown());
        let predicted: Vec<(String, String)> = outcomes(&dry.stdout)
            .into_iter()
            .map(|(s, o)| (s, realized(&o).to_string()))
            .collect();
        assert_eq!(
            predicted,
            outcomes(&real.stdout),
            "{}: the dry run predicted otherwise\n{}\n{}",
            case.name,
            dry.stdout,
            real.stdout
        );
    }
}
