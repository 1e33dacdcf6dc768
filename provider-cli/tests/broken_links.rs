//! One broken link at a time: `cosmos deploy` is refused before it sends anything, or fails with a
//! message naming that link, and `doctor` marks exactly that link ✗ and no other. Each row breaks
//! the simulator's working cross-tenant world in one place.

mod common;

use common::cmk::*;
use serde_json::Value;
use xtcmk_sim::bin_run::BinOutput;
use xtcmk_sim::scenario::cross_tenant::Break;

/// How the world is broken.
enum Broken {
    /// A link of the simulator's world.
    Link(Break),
    /// The handoff's keyUri, as the customer's file says it.
    HandoffKeyUri(fn(&Cmk) -> String),
    /// The account already uses a key of another tenant.
    Pinned,
}

/// What `cosmos deploy` does without a token for the identity (the provider's workstation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deploy {
    /// Nothing is sent: the provider's own checks find the link.
    RefusedBeforeSending,
    /// Cosmos DB answers its generic 503; the message names the links that cause it.
    CosmosRefused,
}

struct Row {
    name: &'static str,
    broken: Broken,
    /// The one link doctor marks ✗.
    link: &'static str,
    deploy: Deploy,
    /// What deploy's message says about the link.
    deploy_says: &'static str,
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "no federated credential",
            broken: Broken::Link(Break::NoFic),
            link: "credential",
            deploy: Deploy::RefusedBeforeSending,
            deploy_says: "broken at credential: no federated credential on the app trusts principal",
        },
        Row {
            name: "credential with a wrong subject",
            broken: Broken::Link(Break::FicWrongSubject),
            link: "credential",
            deploy: Deploy::RefusedBeforeSending,
            deploy_says: "broken at credential",
        },
        Row {
            name: "credential with a trailing-slash issuer",
            broken: Broken::Link(Break::FicTrailingSlashIssuer),
            link: "credential",
            deploy: Deploy::RefusedBeforeSending,
            deploy_says: "has a trailing slash",
        },
        Row {
            name: "no service principal in the customer's tenant",
            broken: Broken::Link(Break::SpMissing),
            link: "service principal",
            deploy: Deploy::CosmosRefused,
            deploy_says: "the app's service principal in tenant",
        },
        Row {
            name: "grant removed",
            broken: Broken::Link(Break::GrantMissing),
            link: "grant",
            deploy: Deploy::CosmosRefused,
            deploy_says: "its grant on the key (grant)",
        },
        Row {
            name: "key disabled",
            broken: Broken::Link(Break::KeyDisabled),
            link: "key",
            deploy: Deploy::CosmosRefused,
            deploy_says: "the key itself, enabled and present (key)",
        },
        Row {
            name: "vault firewall closed to trusted services",
            broken: Broken::Link(Break::FirewallClosed),
            link: "vault",
            deploy: Deploy::CosmosRefused,
            deploy_says: "refuses Cosmos DB at its firewall (links: vault)",
        },
        Row {
            name: "versioned key URI",
            broken: Broken::HandoffKeyUri(|c| {
                format!("{}/0123456789abcdef0123456789abcdef", c.world.key_uri)
            }),
            link: "key URI",
            deploy: Deploy::RefusedBeforeSending,
            deploy_says: "keyUri",
        },
        Row {
            name: "another cloud's Key Vault suffix",
            broken: Broken::HandoffKeyUri(|c| {
                c.world.key_uri.replace(
                    &format!("vault.localhost:{}", c.sim.port()),
                    "vault.azure.com",
                )
            }),
            link: "key URI",
            deploy: Deploy::RefusedBeforeSending,
            deploy_says: "vault.azure.com",
        },
        Row {
            name: "key in another tenant for a pinned account",
            broken: Broken::Pinned,
            link: "account key",
            deploy: Deploy::RefusedBeforeSending,
            deploy_says: "does not match the one in the old Key Vault",
        },
    ]
}

fn failed_links(doctor: &BinOutput) -> Vec<String> {
    let doc: Value = serde_json::from_str(&doctor.stdout)
        .unwrap_or_else(|e| panic!("doctor prints JSON ({e}): {}", doctor.shown()));
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "fail")
        .map(|c| c["item"].as_str().unwrap().to_string())
        .collect()
}

/// The rows run three at a time (each has its own simulator).
#[test]
fn each_broken_link_stops_deploy_and_doctor_names_exactly_it() {
    let rows = std::sync::Mutex::new(rows());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                loop {
                    let row = rows.lock().unwrap_or_else(|e| e.into_inner()).pop();
                    match row {
                        Some(row) => check(row),
                        None => break,
                    }
                }
            });
        }
    });
}

fn check(row: Row) {
    {
        let c = match row.broken {
            Broken::Pinned => {
                let c = Cmk::start_with(pinned_scenario());
                c.seed_third_key();
                c
            }
            _ => Cmk::start(),
        };
        let account = match row.broken {
            Broken::Pinned => PINNED,
            _ => "orders",
        };
        match &row.broken {
            Broken::Link(b) => c.world.break_link(&c.sim, *b),
            Broken::HandoffKeyUri(uri) => {
                let mut doc = c.handoff().to_value();
                doc["keyUri"] = Value::String(uri(&c));
                c.write_json("handoff.json", &doc);
            }
            Broken::Pinned => {}
        }
        let name = row.name;

        // Deploy from the provider's workstation (no token for the identity).
        let mark = c.sim.log().mark();
        let deploy = c.run(&c.deploy_args(account, &["--yes"]));
        assert_eq!(deploy.code, 1, "{name}: {}", deploy.shown());
        assert!(
            deploy.stderr.contains(row.deploy_says),
            "{name}: deploy must name the link ({}): {}",
            row.deploy_says,
            deploy.shown()
        );
        let sent = c.account_writes(mark);
        match row.deploy {
            Deploy::RefusedBeforeSending => {
                assert!(sent.is_empty(), "{name}: nothing may be sent: {sent:#?}")
            }
            Deploy::CosmosRefused => assert!(!sent.is_empty(), "{name}: Cosmos DB was asked"),
        }

        // Deploy where the identity is assigned: the real exchange names the link before sending.
        if row.deploy == Deploy::CosmosRefused {
            let mark = c.sim.log().mark();
            let deploy = c.run_on_identity_host(&c.deploy_args(account, &["--yes"]));
            assert_eq!(deploy.code, 1, "{name}: {}", deploy.shown());
            assert!(
                deploy.stderr.contains(&format!("broken at {}: ", row.link)),
                "{name}: {}",
                deploy.shown()
            );
            assert!(c.account_writes(mark).is_empty(), "{name}: nothing sent");
        }

        // Doctor marks exactly that link ✗, and exits 3.
        let mut extra = vec!["--output", "json"];
        if matches!(row.broken, Broken::Pinned) {
            extra.extend(["--account", PINNED]);
        }
        let doctor = c.run_on_identity_host(&c.doctor_args(&extra));
        assert_eq!(doctor.code, 3, "{name}: {}", doctor.shown());
        assert_eq!(
            failed_links(&doctor),
            [row.link],
            "{name}: {}",
            doctor.stdout
        );
    }
}

#[test]
fn the_intact_world_passes_every_link() {
    let c = Cmk::start();
    let deploy = c.run(&c.deploy_args("orders", &[]));
    assert_eq!(deploy.code, 0, "{}", deploy.shown());
    let doctor =
        c.run_on_identity_host(&c.doctor_args(&["--account", "orders", "--output", "json"]));
    assert_eq!(doctor.code, 0, "{}", doctor.shown());
    let doc: Value = serde_json::from_str(&doctor.stdout).unwrap();
    assert_eq!(doc["ok"], true);
    assert!(
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["state"] == "ok"),
        "{}",
        doctor.stdout
    );
}
