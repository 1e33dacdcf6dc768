//! The world the customer-side end-to-end tests run in: the simulator with a provider tenant
//! holding a multi-tenant app, and a customer tenant whose admin and user are Owners of the
//! customer subscription; helpers to run the built `xtcmk-customer` against it and to snapshot
//! its output with ports, GUIDs, key versions and temp paths filtered.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use tempfile::TempDir;
use xtcmk::{AppId, ObjectId};
use xtcmk_sim::arm::role_assignments;
use xtcmk_sim::arm::role_definitions;
use xtcmk_sim::bin_run::{BinOutput, run_bin};
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::snapshot::Filters;
use xtcmk_sim::{Scenario, Sim};

pub const BIN: &str = env!("CARGO_BIN_EXE_xtcmk-customer");
pub const APP_ID: &str = "10000000-0000-4000-8000-0000000000d1";
pub const APP_NAME: &str = "Contoso CMK";
pub const VAULT: &str = "kv-fabrikam-cmk";
pub const KEY: &str = "cmk";

pub struct World {
    pub sim: Sim,
    pub dir: TempDir,
}

/// Exit code, stdout and stderr of one run.
pub type Run = BinOutput;

/// The demo tenants plus the provider's multi-tenant app.
pub fn scenario() -> Scenario {
    let mut scenario = Scenario::demo();
    let app = Scenario::builder()
        .tenant(PROVIDER, "Contoso SaaS", PROVIDER_DOMAIN, |t| {
            t.application(APP_NAME, |a| {
                a.app_id(APP_ID.parse().unwrap())
                    .object_ids(
                        "10000000-0000-4000-8000-0000000000d2".parse().unwrap(),
                        "10000000-0000-4000-8000-0000000000d3".parse().unwrap(),
                    )
                    .multi_tenant()
            })
        })
        .build()
        .unwrap();
    let spec = app.tenants[0].applications[0].clone();
    scenario
        .tenants
        .iter_mut()
        .find(|t| t.alias == PROVIDER)
        .unwrap()
        .applications
        .push(spec);
    scenario
}

impl World {
    /// The simulator with [`scenario`]; both customer users are Owner of the subscription.
    pub fn new() -> World {
        Self::with(scenario())
    }

    pub fn with(scenario: Scenario) -> World {
        let sim = Sim::start(scenario);
        {
            let mut state = sim.state();
            let scope = format!("/subscriptions/{CUSTOMER_SUBSCRIPTION_ID}");
            for user in [CUSTOMER_ADMIN_ID, CUSTOMER_USER_ID] {
                role_assignments::assign(&mut state, &scope, role_definitions::OWNER, user, "User");
            }
        }
        World {
            sim,
            dir: tempfile::Builder::new()
                .prefix("xtcmk-customer-")
                .tempdir()
                .unwrap(),
        }
    }

    pub fn handoff_path(&self) -> PathBuf {
        self.dir.path().join("handoff.json")
    }

    /// `onboard` with the usual options, `--yes`, and `extra`.
    pub fn onboard_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = [
            "onboard",
            "--app-id",
            APP_ID,
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
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(self.handoff_path().display().to_string());
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// Runs the binary as customer user `upn` (through the `az` shim), without a terminal.
    pub fn run_as(&self, upn: &str, args: &[String]) -> Run {
        run_bin(
            BIN,
            self.dir.path(),
            args,
            &self.sim.env_as_user(CUSTOMER, upn),
        )
    }

    /// Runs as the customer's Global Administrator.
    pub fn run(&self, args: &[String]) -> Run {
        self.run_as(CUSTOMER_ADMIN, args)
    }

    /// The provider app's service principal in the customer tenant, if installed.
    pub fn service_principal(&self) -> Option<ObjectId> {
        let app: AppId = APP_ID.parse().unwrap();
        let tenant = CUSTOMER_TENANT_ID.parse().unwrap();
        self.sim
            .state()
            .service_principal(&tenant, &app)
            .map(|sp| sp.id)
    }

    /// `METHOD service path` of every effective write so far.
    pub fn writes(&self) -> Vec<String> {
        self.sim
            .log()
            .writes()
            .iter()
            .map(|e| format!("{} {} {}", e.method, e.service, e.path))
            .collect()
    }

    /// Snapshot of `text` through the one filter policy, the known ids by name.
    pub fn snapshot(&self, name: &str, text: &str) {
        let mut filters = Filters::new()
            .dir(self.dir.path(), "[TMP]")
            .dir(self.sim.dir(), "[TMP]");
        for (id, label) in [
            (APP_ID, "[APP_ID]"),
            (CUSTOMER_TENANT_ID, "[CUSTOMER_TENANT]"),
            (CUSTOMER_SUBSCRIPTION_ID, "[SUBSCRIPTION]"),
            (CUSTOMER_ADMIN_ID, "[ADMIN_ID]"),
            (CUSTOMER_USER_ID, "[USER_ID]"),
        ] {
            filters = filters.known(id, label);
        }
        xtcmk_sim::assert_output_snapshot!(filters, name, text);
    }
}

/// `../shared/specs` from the workspace root, when present.
pub fn specs_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs");
    dir.is_dir().then_some(dir)
}

/// [`scenario`] with the customer vault already there.
pub fn scenario_with_vault(purge_protection: bool, rbac: bool) -> Scenario {
    let mut s = scenario();
    let sub = s
        .tenants
        .iter_mut()
        .find(|t| t.alias == CUSTOMER)
        .unwrap()
        .subscriptions
        .first_mut()
        .unwrap();
    sub.vaults.push(xtcmk_sim::scenario::VaultSpec {
        name: VAULT.into(),
        resource_group: CUSTOMER_RESOURCE_GROUP.into(),
        location: None,
        sku: "standard".into(),
        enable_soft_delete: true,
        enable_purge_protection: purge_protection,
        enable_rbac_authorization: rbac,
    });
    s
}

impl World {
    /// The vault's ARM id.
    pub fn vault_id(&self) -> String {
        format!(
            "/subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourceGroups/{CUSTOMER_RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/{VAULT}"
        )
    }

    /// Changes the stored vault's body.
    pub fn edit_vault(&self, f: impl FnOnce(&mut serde_json::Value)) {
        let id = self.vault_id();
        let mut state = self.sim.state();
        let vault = state.resource_mut(&id).expect("the vault exists");
        f(&mut vault.body);
    }

    /// Stores key [`KEY`] in the vault with this type and operations.
    pub fn seed_key(&self, kty: &str, ops: &[&str]) {
        use xtcmk_sim::state::{KeyVersion, StoredKey};
        let mut public = std::collections::BTreeMap::new();
        if kty.starts_with("EC") {
            public.insert("crv".to_string(), "P-256".to_string());
            public.insert("x".to_string(), "AAAA".to_string());
            public.insert("y".to_string(), "AAAA".to_string());
        } else {
            public.insert("n".to_string(), "A".repeat(512));
            public.insert("e".to_string(), "AQAB".to_string());
        }
        let version = KeyVersion {
            version: "0123456789abcdef0123456789abcdef".into(),
            kty: kty.into(),
            key_ops: ops.iter().map(|s| s.to_string()).collect(),
            public,
            enabled: true,
            created: 1_700_000_000,
            updated: 1_700_000_000,
            nbf: None,
            exp: None,
            exportable: None,
            tags: Default::default(),
        };
        self.sim
            .state()
            .keys
            .entry(VAULT.to_ascii_lowercase())
            .or_default()
            .insert(
                KEY.to_ascii_lowercase(),
                StoredKey {
                    name: KEY.into(),
                    versions: vec![version],
                },
            );
    }

    /// Gives customer user `principal` a role at `scope` directly in the simulator's state.
    pub fn grant(&self, scope: &str, role: &str, principal: &str) {
        role_assignments::assign(&mut self.sim.state(), scope, role, principal, "User");
    }
}
