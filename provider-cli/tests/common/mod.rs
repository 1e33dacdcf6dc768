//! What the provider's end-to-end tests share: a simulated provider tenant, running the built
//! binary as one of its users, and snapshot filters for ports, GUIDs and temp paths.
#![allow(dead_code)]

pub mod cmk;

use std::path::Path;
use xtcmk::{AppId, ObjectId, SubscriptionId};
use xtcmk_sim::arm::role_definitions;
use xtcmk_sim::bin_run::{BinOutput, run_bin};
use xtcmk_sim::snapshot::Filters;
use xtcmk_sim::state::FederatedCredential;
use xtcmk_sim::{Scenario, Sim, roles};

pub const BIN: &str = env!("CARGO_BIN_EXE_xtcmk-provider");
pub const PROVIDER: &str = "provider";
pub const ADMIN: &str = "alex@contoso-saas.example";
pub const DEVELOPER: &str = "dana@contoso-saas.example";
pub const NOBODY: &str = "nina@contoso-saas.example";
pub const RG: &str = "rg-cmk";
pub const LOCATION: &str = "westeurope";
pub const APP_NAME: &str = "Contoso CMK";
pub const UAMI: &str = "uami-cmk";
pub const SEEDED_APP: &str = "Contoso legacy";

/// The provider tenant: a subscription with `rg-cmk`, an Application Administrator (Owner of the
/// subscription), an Application Developer and a user without directory roles (both
/// Contributors: ARM authorizes every read and write); `with` adds more.
pub fn scenario(
    with: impl FnOnce(xtcmk_sim::scenario::TenantBuilder) -> xtcmk_sim::scenario::TenantBuilder,
) -> Scenario {
    Scenario::builder()
        .tenant(PROVIDER, "Contoso SaaS", "contoso-saas.example", |t| {
            let t = t
                .subscription("Contoso SaaS production", |s| {
                    s.resource_group(RG, LOCATION)
                        .role_assignment(ADMIN, role_definitions::OWNER)
                        .role_assignment(DEVELOPER, role_definitions::CONTRIBUTOR)
                        .role_assignment(NOBODY, role_definitions::CONTRIBUTOR)
                })
                .user(ADMIN, "Alex Admin", &[roles::APPLICATION_ADMINISTRATOR])
                .user(DEVELOPER, "Dana Developer", &[roles::APPLICATION_DEVELOPER])
                .user(NOBODY, "Nina Nobody", &[]);
            with(t)
        })
        .build()
        .expect("a valid scenario")
}

pub fn subscription(sim: &Sim) -> SubscriptionId {
    sim.state().tenants[0].subscriptions[0].id
}

/// The app seeded under `display_name`.
pub fn app_id(sim: &Sim, display_name: &str) -> AppId {
    let state = sim.state();
    state.tenants[0]
        .applications
        .iter()
        .find(|a| a.display_name == display_name)
        .map(|a| a.app_id)
        .expect("the app is seeded")
}

/// The principal id of a seeded managed identity.
pub fn principal_id(sim: &Sim, name: &str) -> ObjectId {
    let id = format!(
        "/subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
        subscription(sim)
    );
    let state = sim.state();
    let body = &state.resource(&id).expect("the identity is seeded").body;
    body["properties"]["principalId"]
        .as_str()
        .and_then(|p| p.parse().ok())
        .expect("a principal id")
}

/// Adds a federated credential to the seeded app named `display_name`.
pub fn add_credential(sim: &Sim, display_name: &str, name: &str, issuer: &str, subject: &str) {
    let mut state = sim.state();
    let app = state.tenants[0]
        .applications
        .iter_mut()
        .find(|a| a.display_name == display_name)
        .expect("the app is seeded");
    app.federated_identity_credentials
        .push(FederatedCredential {
            id: uuid::Uuid::new_v4(),
            name: name.into(),
            issuer: issuer.into(),
            subject: subject.into(),
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
        });
}

/// The issuer a credential for the provider tenant must carry in the simulated cloud.
pub fn issuer(sim: &Sim) -> String {
    sim.cloud().issuer(&sim.tenant_id(PROVIDER))
}

/// Exit code, stdout and stderr of one run.
pub type Run = BinOutput;

/// Runs the binary in `dir` as `upn` of the provider tenant (Azure CLI sign-in through the shim).
pub fn run_as(sim: &Sim, dir: &Path, upn: &str, args: &[String]) -> Run {
    run_bin(BIN, dir, args, &sim.env_as_user(PROVIDER, upn))
}

/// `setup` for `Contoso CMK` and `uami-cmk` in `rg-cmk`, plus `extra`.
pub fn setup_args(sim: &Sim, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "setup".into(),
        "--tenant".into(),
        sim.tenant_id(PROVIDER).to_string(),
        "--subscription".into(),
        subscription(sim).to_string(),
        "--resource-group".into(),
        RG.into(),
        "--location".into(),
        LOCATION.into(),
        "--app-name".into(),
        APP_NAME.into(),
        "--identity-name".into(),
        UAMI.into(),
    ];
    // A flag in `extra` replaces the default's value.
    let mut extra = extra.iter().map(|s| s.to_string()).peekable();
    while let Some(flag) = extra.next() {
        match args.iter().position(|a| *a == flag) {
            Some(i) if flag.starts_with("--") && i + 1 < args.len() => {
                args[i + 1] = extra.next().expect("a value for the flag");
            }
            _ => args.push(flag),
        }
    }
    args
}

/// Snapshots `shown` through the one filter policy (`[SIM]`, `[TMP]`, ports, GUIDs).
pub fn snapshot(name: &str, sim: &Sim, dir: &Path, shown: &str) {
    let filters = Filters::new().sim(sim).dir(dir, "[TMP]");
    xtcmk_sim::assert_output_snapshot!(filters, name, shown);
}

/// `service METHOD route` of every effective write since `mark`, in order.
pub fn writes_since(sim: &Sim, mark: xtcmk_sim::harness::Mark) -> Vec<String> {
    sim.log()
        .since(mark)
        .into_iter()
        .filter(|e| e.is_effective_write() && e.status < 400)
        .map(|e| e.route_key())
        .collect()
}

/// `service METHOD route` of every effective write so far, in order.
pub fn all_writes(sim: &Sim) -> Vec<String> {
    sim.log()
        .entries()
        .into_iter()
        .filter(|e| e.is_effective_write() && e.status < 400)
        .map(|e| e.route_key())
        .collect()
}

/// Another binary of the workspace (`xtcmk-customer`, `xtcmk-sim`), next to this one, brought up
/// to date with cargo once per test process (`cargo test -p xtcmk-provider` alone does not build
/// it; when it is fresh, cargo only checks).
pub fn workspace_bin(name: &str) -> std::path::PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let dir = Path::new(BIN).parent().expect("the binary has a folder");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|b| b == name) {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--locked", "--bins", "-p", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build -p {name} failed");
        built.push(name.to_string());
    }
    path
}
