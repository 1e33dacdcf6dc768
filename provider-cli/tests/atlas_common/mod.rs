//! What the provider's Atlas tests share: the Atlas world of the simulator, the customer's
//! handoff for either way in, and running the built binary as the provider's administrator with
//! the demo's Project Owner API key in the environment.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use xtcmk_sim::Sim;
use xtcmk_sim::bin_run::{BinOutput, run_bin};
use xtcmk_sim::scenario::atlas_world::{self, AtlasWorld};
use xtcmk_sim::scenario::demo::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_xtcmk-provider");
pub const GROUP: &str = ATLAS_GROUP_ID;

/// Which app the customer granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// The provider's app (secret mode).
    Secret,
    /// MongoDB Atlas's own app (role mode).
    Role,
}

pub struct World {
    pub sim: Sim,
    pub world: AtlasWorld,
    pub dir: tempfile::TempDir,
}

impl World {
    pub fn start() -> World {
        Self::start_with(atlas_world::scenario())
    }

    /// The world from a changed [`atlas_world::scenario`].
    pub fn start_with(scenario: xtcmk_sim::Scenario) -> World {
        let (sim, world) = AtlasWorld::start_with(scenario);
        World {
            sim,
            world,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The customer's handoff for `way` with the key identifier `key` (versioned), written to
    /// `handoff-<way>.json`; returns its path.
    pub fn handoff_with(&self, way: Way, key: &str) -> PathBuf {
        let (versionless, version) = key.rsplit_once('/').unwrap();
        let (app, sp, grant) = match way {
            Way::Secret => (
                atlas_world::APP_ID,
                atlas_world::CUSTOMER_SP_OBJECT_ID,
                &self.world.grants[0],
            ),
            Way::Role => (
                xtcmk::atlas::ATLAS_AZURE_APP_ID,
                atlas_world::CUSTOMER_ATLAS_SP_OBJECT_ID,
                &self.world.grants[1],
            ),
        };
        let doc = json!({
            "kind": "xtcmk.handoff",
            "schemaVersion": 1,
            "customerTenantId": CUSTOMER_TENANT_ID,
            "subscriptionId": CUSTOMER_SUBSCRIPTION_ID,
            "resourceGroup": CUSTOMER_RESOURCE_GROUP,
            "vaultName": atlas_world::VAULT,
            "keyUri": versionless,
            "keyVersion": version,
            "appId": app,
            "servicePrincipalObjectId": sp,
            "permissionModel": "rbac",
            "target": "atlas",
            "roleAssignmentId": grant,
        });
        let path = self.path(&format!("handoff-{way:?}.json").to_lowercase());
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        path
    }

    pub fn handoff(&self, way: Way) -> PathBuf {
        self.handoff_with(way, &self.world.key_identifier)
    }

    /// The environment: the provider's administrator through the `az` shim, the Project Owner key.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = self.sim.env_as_user(PROVIDER, PROVIDER_ADMIN);
        env.push((
            "MONGODB_ATLAS_PUBLIC_API_KEY".into(),
            ATLAS_PUBLIC_KEY.into(),
        ));
        env.push((
            "MONGODB_ATLAS_PRIVATE_API_KEY".into(),
            ATLAS_PRIVATE_KEY.into(),
        ));
        env.push(("MONGODB_ATLAS_CLIENT_ID".into(), String::new()));
        env.push(("MONGODB_ATLAS_CLIENT_SECRET".into(), String::new()));
        env.push(("MONGODB_ATLAS_PROJECT_ID".into(), String::new()));
        env
    }

    /// `xtcmk-provider atlas <args>` (paths as given; run in the test's folder).
    pub fn run(&self, args: &[&str]) -> BinOutput {
        let mut all = vec!["atlas".to_string()];
        all.extend(args.iter().map(|a| a.to_string()));
        run_bin(BIN, self.dir.path(), &all, &self.env())
    }

    /// [`World::run`] with `--output json`, the document parsed.
    pub fn json(&self, args: &[&str]) -> (BinOutput, Value) {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        let doc = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", out.shown()));
        (out, doc)
    }

    /// The project's `azureKeyVault` as Atlas answers it now (a read, like Atlas's own check).
    pub fn ear(&self) -> Value {
        let mut state = self.sim.state();
        xtcmk_sim::atlas::encryption_at_rest::refresh(self.sim.shared(), &mut state, GROUP).unwrap()
            ["azureKeyVault"]
            .clone()
    }

    /// The secrets of the provider's app: (key id, display name).
    pub fn app_secrets(&self) -> Vec<(String, String)> {
        let state = self.sim.state();
        state
            .tenants
            .iter()
            .flat_map(|t| t.applications.iter())
            .find(|a| a.app_id.to_string() == atlas_world::APP_ID)
            .unwrap()
            .password_credentials
            .iter()
            .map(|p| (p.key_id.to_string(), p.display_name.clone()))
            .collect()
    }

    /// The steps of a JSON report as `(step, outcome)`.
    pub fn steps(doc: &Value) -> Vec<(String, String)> {
        doc["steps"]
            .as_array()
            .unwrap_or(&Vec::new())
            .iter()
            .map(|s| {
                (
                    s["step"].as_str().unwrap().to_string(),
                    s["outcome"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// Answers the pending connection named `name` on the vault as the customer's administrator.
    pub fn answer(&self, name: &str, status: &str) {
        let mut state = self.sim.state();
        let id = format!("{}/privateEndpointConnections/{name}", self.world.vault_id);
        let c = state.resource_mut(&id).expect("the connection exists");
        c.body["properties"]["privateLinkServiceConnectionState"]["status"] = json!(status);
    }

    /// Every effective write since `mark` as `service METHOD route`.
    pub fn writes_since(&self, mark: xtcmk_sim::harness::Mark) -> Vec<String> {
        self.sim
            .log()
            .since(mark)
            .into_iter()
            .filter(|e| e.is_effective_write() && e.status < 400)
            .map(|e| e.route_key())
            .collect()
    }
}

/// Runs `args` with `stdin` fed to the process (for `--secret-from -`).
pub fn run_with_stdin(world: &World, args: &[&str], stdin: &str) -> BinOutput {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(BIN);
    cmd.arg("atlas")
        .args(args)
        .current_dir(world.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "XTCMK_CLOUD",
        "XTCMK_OUTPUT",
        "XTCMK_LOG",
        "XTCMK_AUTH",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(world.env());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    BinOutput {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every file below `dir`, with its text.
pub fn files_below(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
                out.push((p, text));
            }
        }
    }
    out
}
