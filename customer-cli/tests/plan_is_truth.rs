//! The plan is the truth: for every onboarding scenario, the outcomes a `--dry-run` predicts are
//! the outcomes the real run that follows reports, step for step, and a dry run writes nothing.
//! (Not here: `--recover`, whose recovered keys the plan cannot read before the vault is back,
//! and an existing key on a vault whose keys the admin may not read yet.)

mod common;

use common::*;
use serde_json::Value;
use xtcmk_sim::scenario::demo::*;

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
    world: fn() -> World,
    extra: &'static [&'static str],
}

fn onboarded() -> World {
    let w = World::new();
    assert_eq!(w.run(&w.onboard_args(&["--yes"])).code, 0);
    w
}

fn inherited_key_access() -> World {
    let w = World::new();
    w.grant(
        &format!(
            "/subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourceGroups/{CUSTOMER_RESOURCE_GROUP}"
        ),
        xtcmk_sim::arm::role_definitions::KEY_VAULT_ADMINISTRATOR,
        CUSTOMER_ADMIN_ID,
    );
    w
}

fn readable_key() -> World {
    let w = World::with(scenario_with_vault(true, true));
    w.grant(
        &w.vault_id(),
        xtcmk_sim::arm::role_definitions::KEY_VAULT_CRYPTO_OFFICER,
        CUSTOMER_ADMIN_ID,
    );
    w.seed_key("RSA", &["wrapKey", "unwrapKey"]);
    w
}

#[test]
fn every_dry_run_predicts_the_real_run() {
    let cases = [
        Case {
            name: "fresh tenant",
            world: World::new,
            extra: &[],
        },
        Case {
            name: "second run",
            world: onboarded,
            extra: &[],
        },
        Case {
            name: "second run with the grant on the vault",
            world: onboarded,
            extra: &["--scope", "vault"],
        },
        Case {
            name: "for Atlas",
            world: World::new,
            extra: &["--for", "atlas"],
        },
        Case {
            name: "grant on the vault",
            world: World::new,
            extra: &["--scope", "vault"],
        },
        Case {
            name: "admin with inherited key access",
            world: inherited_key_access,
            extra: &[],
        },
        Case {
            name: "RBAC vault without key access",
            world: || World::with(scenario_with_vault(true, true)),
            extra: &[],
        },
        Case {
            name: "access-policy vault",
            world: || World::with(scenario_with_vault(true, false)),
            extra: &[],
        },
        Case {
            name: "vault without purge protection, fixed",
            world: || World::with(scenario_with_vault(false, true)),
            extra: &["--fix"],
        },
        Case {
            name: "readable existing key",
            world: readable_key,
            extra: &[],
        },
    ];
    for case in cases {
        let w = (case.world)();
        let mut args = w.onboard_args(&["--output", "json"]);
        args.extend(case.extra.iter().map(|s| s.to_string()));
        let mark = w.sim.log().mark();
        let mut dry_args = args.clone();
        dry_args.push("--dry-run".into());
        let dry = w.run(&dry_args);
        assert_eq!(dry.code, 0, "{}: {}", case.name, dry.shown());
        let wrote: Vec<_> = w
            .sim
            .log()
            .since(mark)
            .into_iter()
            .filter(|e| e.is_effective_write())
            .collect();
        assert!(
            wrote.is_empty(),
            "{}: the dry run wrote {wrote:#?}",
            case.name
        );
        args.push("--yes".into());
        let real = w.run(&args);
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
