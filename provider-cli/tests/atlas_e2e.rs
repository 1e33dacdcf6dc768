//! Issue 12's acceptance, end to end on the simulator through both built binaries: the provider
//! invites, the customer onboards for Atlas with the app the invitation names, the provider
//! enables Atlas encryption at rest with the handoff — with a client secret, or with Atlas's own
//! app and no secret at all — private endpoints approved (and rejected) by the customer, a revoke
//! that Atlas's `valid` shows, and no secret in any output, log or file but the one asked for.

mod atlas_common;
mod common;

use atlas_common::BIN;
use serde_json::Value;
use std::path::PathBuf;
use xtcmk_sim::Sim;
use xtcmk_sim::bin_run::{BinOutput, run_bin};
use xtcmk_sim::scenario::demo::*;

const GROUP: &str = ATLAS_GROUP_ID;
const VAULT: &str = "kv-fabrikam-e2e";
const KEY: &str = "atlas-cmk";

struct E2e {
    sim: Sim,
    dir: tempfile::TempDir,
    customer: PathBuf,
    /// Every run's output, for the secret checks.
    outputs: std::cell::RefCell<Vec<BinOutput>>,
}

impl E2e {
    fn start() -> E2e {
        E2e {
            sim: Sim::demo(),
            dir: tempfile::tempdir().unwrap(),
            customer: common::workspace_bin("xtcmk-customer"),
            outputs: Default::default(),
        }
    }

    fn file(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn provider_env(&self) -> Vec<(String, String)> {
        let mut env = self.sim.env_as_user(PROVIDER, PROVIDER_ADMIN);
        env.push((
            "MONGODB_ATLAS_PUBLIC_API_KEY".into(),
            ATLAS_PUBLIC_KEY.into(),
        ));
        env.push((
            "MONGODB_ATLAS_PRIVATE_API_KEY".into(),
            ATLAS_PRIVATE_KEY.into(),
        ));
        env
    }

    fn provider(&self, args: &[&str]) -> BinOutput {
        let out = run_bin(BIN, self.dir.path(), args, &self.provider_env());
        self.outputs.borrow_mut().push(out.clone());
        out
    }

    fn customer(&self, args: &[&str]) -> BinOutput {
        let env = self.sim.env_as_user(CUSTOMER, CUSTOMER_ADMIN);
        let out = run_bin(self.customer.to_str().unwrap(), self.dir.path(), args, &env);
        self.outputs.borrow_mut().push(out.clone());
        out
    }

    fn ok(out: &BinOutput) {
        assert_eq!(out.code, 0, "{}", out.shown());
    }

    /// `xtcmk-provider setup`, then the Atlas invitation for its app; returns the app id.
    fn provider_app_invitation(&self) -> String {
        let out = self.provider(&[
            "--output",
            "json",
            "setup",
            "--tenant",
            PROVIDER_TENANT_ID,
            "--subscription",
            PROVIDER_SUBSCRIPTION_ID,
            "--resource-group",
            PROVIDER_RESOURCE_GROUP,
            "--location",
            LOCATION,
            "--app-name",
            "Contoso Atlas",
            "--identity-name",
            "uami-atlas",
            "--invitation-out",
            &self.file("setup-invitation.json"),
        ]);
        Self::ok(&out);
        let doc: Value = serde_json::from_str(&out.stdout).unwrap();
        let app = doc["appId"].as_str().unwrap().to_string();
        Self::ok(&self.provider(&[
            "atlas",
            "invite",
            "--app-id",
            &app,
            "--group-id",
            GROUP,
            "--invitation-out",
            &self.file("invitation.json"),
        ]));
        app
    }

    fn onboard(&self) -> BinOutput {
        self.customer(&[
            "onboard",
            "--invitation",
            &self.file("invitation.json"),
            "--subscription",
            CUSTOMER_SUBSCRIPTION_ID,
            "--resource-group",
            CUSTOMER_RESOURCE_GROUP,
            "--location",
            LOCATION,
            "--vault",
            VAULT,
            "--key",
            KEY,
            "--handoff-out",
            &self.file("handoff.json"),
            "--yes",
        ])
    }

    fn handoff(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.file("handoff.json")).unwrap()).unwrap()
    }

    fn ear(&self) -> Value {
        let mut state = self.sim.state();
        xtcmk_sim::atlas::encryption_at_rest::refresh(self.sim.shared(), &mut state, GROUP).unwrap()
            ["azureKeyVault"]
            .clone()
    }

    /// Nothing any run printed, nothing the simulator logged, and no file but `allowed` holds `secret`.
    fn assert_nowhere(&self, secret: &str, allowed: &[&str]) {
        assert!(secret.len() >= 16, "a real secret: {secret:?}");
        for out in self.outputs.borrow().iter() {
            assert!(!out.stdout.contains(secret), "stdout: {}", out.shown());
            assert!(!out.stderr.contains(secret), "stderr: {}", out.shown());
        }
        let log = serde_json::to_string(&self.sim.log().entries()).unwrap();
        assert!(!log.contains(secret), "the simulator's request log");
        for (path, text) in atlas_common::files_below(self.dir.path()) {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if allowed.contains(&name.as_str()) {
                continue;
            }
            assert!(
                !text.contains(secret),
                "{} holds the secret",
                path.display()
            );
        }
    }
}

fn versioned(key_identifier: &str) -> bool {
    key_identifier
        .rsplit('/')
        .next()
        .is_some_and(|v| v.len() == 32 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

#[test]
fn secret_mode_from_invitation_to_valid_with_no_secret_anywhere_else() {
    let e = E2e::start();
    let app = e.provider_app_invitation();
    let inv: Value =
        serde_json::from_str(&std::fs::read_to_string(e.file("invitation.json")).unwrap()).unwrap();
    assert_eq!(inv["schemaVersion"], 2);
    assert_eq!(inv["atlas"]["mode"], "secret");
    assert!(inv["nextCommand"].as_str().unwrap().contains("--for atlas"));

    let out = e.onboard();
    E2e::ok(&out);
    let handoff = e.handoff();
    assert_eq!(
        handoff["target"], "atlas",
        "the invitation decides the target"
    );
    assert_eq!(handoff["appId"], app);
    assert_eq!(handoff["keyVersion"].as_str().unwrap().len(), 32);
    assert!(handoff["servicePrincipalObjectId"].is_string());

    // The secret goes to a file of mode 0600, then only to Atlas.
    E2e::ok(&e.provider(&[
        "atlas",
        "secret",
        "create",
        "--app-id",
        &app,
        "--group-id",
        GROUP,
        "--out",
        &e.file("atlas.secret"),
    ]));
    let secret = std::fs::read_to_string(e.file("atlas.secret"))
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(
        e.sim.log().count("POST", "/v1.0/applications*/addPassword"),
        1
    );
    let out = e.provider(&[
        "-vv",
        "--output",
        "json",
        "atlas",
        "enable",
        "--handoff",
        &e.file("handoff.json"),
        "--group-id",
        GROUP,
        "--secret-from",
        &e.file("atlas.secret"),
    ]);
    E2e::ok(&out);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["valid"], true, "{doc}");
    let ear = e.ear();
    assert_eq!(ear["valid"], true);
    assert_eq!(ear["tenantID"], CUSTOMER_TENANT_ID, "the key's tenant");
    assert!(versioned(ear["keyIdentifier"].as_str().unwrap()), "{ear}");
    assert_eq!(
        ear["keyIdentifier"].as_str().unwrap(),
        format!(
            "{}/{}",
            handoff["keyUri"].as_str().unwrap(),
            handoff["keyVersion"].as_str().unwrap()
        )
    );

    let out = e.provider(&["-vv", "atlas", "status", "--group-id", GROUP]);
    E2e::ok(&out);
    e.assert_nowhere(&secret, &["atlas.secret"]);
    e.assert_nowhere(ATLAS_PRIVATE_KEY, &[]);
    let state = serde_json::to_string(&*e.sim.state()).unwrap();
    assert!(!state.contains(&secret), "the simulator keeps hashes only");
}

#[test]
fn role_mode_with_atlas_own_app_and_no_secret_at_all() {
    let e = E2e::start();
    E2e::ok(&e.provider(&[
        "atlas",
        "invite",
        "--atlas-app",
        "--tenant",
        PROVIDER_TENANT_ID,
        "--group-id",
        GROUP,
        "--invitation-out",
        &e.file("invitation.json"),
    ]));
    let out = e.onboard();
    E2e::ok(&out);
    let handoff = e.handoff();
    assert_eq!(
        handoff["appId"],
        xtcmk::atlas::ATLAS_AZURE_APP_ID,
        "Atlas's app was installed"
    );
    let out = e.provider(&[
        "--output",
        "json",
        "atlas",
        "register-access",
        "--handoff",
        &e.file("handoff.json"),
        "--group-id",
        GROUP,
    ]);
    E2e::ok(&out);
    let role = serde_json::from_str::<Value>(&out.stdout).unwrap()["roleId"]
        .as_str()
        .unwrap()
        .to_string();
    let out = e.provider(&[
        "atlas",
        "enable",
        "--handoff",
        &e.file("handoff.json"),
        "--group-id",
        GROUP,
        "--role-id",
        &role,
    ]);
    E2e::ok(&out);
    assert!(out.stdout.contains("valid: true"), "{}", out.shown());
    let ear = e.ear();
    assert_eq!(ear["valid"], true);
    assert_eq!(ear["roleId"], role);
    assert!(ear.get("clientID").is_none() && ear.get("tenantID").is_none());
    // No secret exists anywhere: none added to any app, none held by Atlas.
    assert!(
        e.sim
            .state()
            .atlas
            .project(GROUP)
            .unwrap()
            .azure_secret_sha256
            .is_none()
    );
    assert_eq!(
        e.sim.log().count("POST", "/v1.0/applications*/addPassword"),
        0
    );
    let state = e.sim.state();
    let secrets: usize = state
        .tenants
        .iter()
        .flat_map(|t| t.applications.iter())
        // The demo's two CI apps (provider and customer) are seeded with their own secrets.
        .filter(|a| ![CI_APP_ID, CUSTOMER_CI_APP_ID].contains(&a.app_id.to_string().as_str()))
        .map(|a| a.password_credentials.len())
        .sum();
    assert_eq!(secrets, 0);
}

#[test]
fn private_endpoints_approved_by_the_customer_a_rejection_explained_and_disable_in_order() {
    let e = E2e::start();
    e.provider_app_invitation();
    E2e::ok(&e.onboard());
    E2e::ok(&e.provider(&[
        "atlas",
        "enable",
        "--handoff",
        &e.file("handoff.json"),
        "--group-id",
        GROUP,
        "--private-networking",
    ]));
    let out = e.provider(&[
        "atlas",
        "private-endpoint",
        "add",
        "--group-id",
        GROUP,
        "--region",
        "westeurope",
    ]);
    E2e::ok(&out);
    // The exact command the provider printed, run by the customer.
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("xtcmk-customer private-endpoints"))
        .unwrap_or_else(|| panic!("{}", out.shown()));
    let command = line[line.find("xtcmk-customer").unwrap()..].to_string();
    let words: Vec<&str> = command.split_whitespace().skip(1).collect();
    let mut args = words.clone();
    args.push("--yes");
    let out = e.customer(&args);
    E2e::ok(&out);
    assert!(out.stdout.contains("Approved"), "{}", out.shown());
    let out = e.provider(&[
        "--output",
        "json",
        "atlas",
        "private-endpoint",
        "status",
        "--group-id",
        GROUP,
    ]);
    E2e::ok(&out);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["endpoints"][0]["status"], "ACTIVE", "{doc}");

    // A second region, approved with --approve-atlas; another requester's connection stays pending.
    E2e::ok(&e.provider(&[
        "atlas",
        "private-endpoint",
        "add",
        "--group-id",
        GROUP,
        "--region",
        "uksouth",
    ]));
    let vault_id = {
        let state = e.sim.state();
        state.vault(VAULT).unwrap().id.clone()
    };
    xtcmk_sim::arm::private_endpoint_connections::request(
        &mut e.sim.state(),
        &vault_id,
        "someone-else.0f7c",
        "/subscriptions/40000000-0000-4000-8000-0000000000a1/resourceGroups/rg-x/providers/Microsoft.Network/privateEndpoints/someone-else",
        "please let me in",
    );
    let out = e.customer(&[
        "private-endpoints",
        "--handoff",
        &e.file("handoff.json"),
        "--approve-atlas",
        "--invitation",
        &e.file("invitation.json"),
        "--yes",
    ]);
    E2e::ok(&out);
    assert!(
        out.stderr.contains("left pending: someone-else.0f7c"),
        "{}",
        out.shown()
    );
    let conns = xtcmk_sim::arm::private_endpoint_connections::status(
        &e.sim.state(),
        &format!("{vault_id}/privateEndpointConnections/someone-else.0f7c"),
    );
    assert_eq!(conns.as_deref(), Some("Pending"), "never others");
    let out = e.provider(&[
        "--output",
        "json",
        "atlas",
        "private-endpoint",
        "status",
        "--group-id",
        GROUP,
    ]);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let states: Vec<&str> = doc["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["ACTIVE", "ACTIVE"], "{doc}");

    // The customer rejects one: the provider sees PENDING_RECREATION and what it means.
    let name = doc["endpoints"][1]["connectionName"]
        .as_str()
        .unwrap()
        .to_string();
    E2e::ok(&e.customer(&[
        "private-endpoints",
        "--handoff",
        &e.file("handoff.json"),
        "--reject",
        &name,
        "--yes",
    ]));
    let out = e.provider(&["atlas", "private-endpoint", "status", "--group-id", GROUP]);
    E2e::ok(&out);
    assert!(out.stdout.contains("PENDING_RECREATION"), "{}", out.stdout);
    assert!(out.stdout.contains("rejected or removed"), "{}", out.stdout);

    // Disable follows Atlas's order: refused while endpoints exist, then done.
    let out = e.provider(&["atlas", "disable", "--group-id", GROUP]);
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(
        out.stderr.contains("private-endpoint remove --group-id"),
        "{}",
        out.stderr
    );
    E2e::ok(&e.provider(&[
        "atlas",
        "private-endpoint",
        "remove",
        "--group-id",
        GROUP,
        "--all",
    ]));
    E2e::ok(&e.provider(&["atlas", "disable", "--group-id", GROUP]));
    assert_eq!(e.ear()["enabled"], false);
}

#[test]
fn a_revoke_by_the_customer_shows_as_valid_false_with_the_cause() {
    let e = E2e::start();
    e.provider_app_invitation();
    E2e::ok(&e.onboard());
    E2e::ok(&e.provider(&[
        "atlas",
        "enable",
        "--handoff",
        &e.file("handoff.json"),
        "--group-id",
        GROUP,
    ]));
    E2e::ok(&e.customer(&["revoke", "--handoff", &e.file("handoff.json"), "--yes"]));
    let out = e.provider(&["--output", "json", "atlas", "status", "--group-id", GROUP]);
    assert_eq!(out.code, 3, "{}", out.shown());
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["status"]["valid"], false, "{doc}");
    assert!(
        doc["status"]["cause"]
            .as_str()
            .unwrap()
            .contains("revoked the grant"),
        "{doc}"
    );
    let out = e.provider(&["atlas", "status", "--group-id", GROUP]);
    assert_eq!(out.code, 3);
    assert!(out.stdout.contains("FAIL    valid"), "{}", out.stdout);
}
