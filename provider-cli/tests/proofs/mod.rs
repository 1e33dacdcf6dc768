//! What the proofs under faults share: a world of one provider and a few customers, the three
//! phases run in-process through `xtcmk::ops` (each phase a fresh sign-in, reading the documents
//! the previous phase wrote, as a new process would), and the state compared across runs.
#![allow(dead_code)]

use std::path::PathBuf;
use tempfile::TempDir;
use xtcmk::cosmos::{AccountName, CosmosCmkAccount};
use xtcmk::ops::cosmos_deploy::{self, DeploySpec};
use xtcmk::ops::onboard::{self, GrantScope, InstallVia, OnboardSpec};
use xtcmk::ops::setup::{self, SetupSpec};
use xtcmk::report::RecordingReporter;
use xtcmk::{Ctx, EncryptionTarget, FicName, Handoff, Invitation, Location, ResourceId};
use xtcmk_sim::arm::role_definitions::OWNER;
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::{Scenario, Sim, roles};

pub const APP_NAME: &str = "Contoso CMK";
pub const UAMI: &str = "uami-cmk";
pub const KEY: &str = "cmk";

/// One customer tenant of the world.
#[derive(Debug, Clone)]
pub struct Customer {
    pub alias: String,
    pub tenant_id: String,
    pub subscription_id: String,
    pub admin: String,
    /// The customer's vault (vault names are global) and the provider's account for it.
    pub vault: String,
    pub account: String,
}

impl Customer {
    /// Customer `n` (1-based); the first is the demo's Fabrikam.
    pub fn number(n: usize) -> Customer {
        if n == 1 {
            return Customer {
                alias: CUSTOMER.into(),
                tenant_id: CUSTOMER_TENANT_ID.into(),
                subscription_id: CUSTOMER_SUBSCRIPTION_ID.into(),
                admin: CUSTOMER_ADMIN.into(),
                vault: "kv-fabrikam-cmk".into(),
                account: "fabrikam-data".into(),
            };
        }
        Customer {
            alias: format!("customer{n}"),
            tenant_id: format!("2{n:07}-0000-4000-8000-000000000002"),
            subscription_id: format!("2{n:07}-0000-4000-8000-0000000000a1"),
            admin: format!("admin@customer{n}.example"),
            vault: format!("kv-customer{n}-cmk"),
            account: format!("customer{n}-data"),
        }
    }
}

/// The demo world plus customers 2..=`customers`, each with a Global Administrator who owns its
/// subscription (fixed ids, so runs in different simulators compare).
pub fn scenario(customers: usize) -> Scenario {
    let mut scenario = Scenario::demo();
    for n in 2..=customers {
        let c = Customer::number(n);
        let extra = Scenario::builder()
            .tenant(
                &c.alias,
                &format!("Customer {n}"),
                &format!("customer{n}.example"),
                |t| {
                    t.id(c.tenant_id.parse().unwrap())
                        .subscription(&format!("Customer {n} data"), |s| {
                            s.id(c.subscription_id.parse().unwrap())
                                .resource_group(CUSTOMER_RESOURCE_GROUP, LOCATION)
                                .role_assignment(&c.admin, OWNER)
                        })
                        .user_with_id(
                            &c.admin,
                            format!("2{n:07}-0000-4000-8000-0000000000b1")
                                .parse()
                                .unwrap(),
                            &format!("Admin {n}"),
                            &[roles::GLOBAL_ADMINISTRATOR],
                        )
                },
            )
            .build()
            .expect("a valid customer tenant");
        scenario.tenants.extend(extra.tenants);
    }
    scenario
}

/// A step of the whole procedure: setup once, then onboard and deploy per customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Setup,
    Onboard(usize),
    Deploy(usize),
}

impl Phase {
    /// Every phase in order for `customers` customers.
    pub fn all(customers: usize) -> Vec<Phase> {
        let mut phases = vec![Phase::Setup];
        for n in 1..=customers {
            phases.push(Phase::Onboard(n));
            phases.push(Phase::Deploy(n));
        }
        phases
    }
}

/// The simulator, the folder holding the invitation and the handoffs, and the customers.
pub struct World {
    pub sim: Sim,
    pub dir: TempDir,
    pub customers: Vec<Customer>,
}

/// The clouds and the documents between two phases, to start a phase again from there.
#[derive(Clone)]
pub struct Boundary {
    pub state: xtcmk_sim::state::State,
    pub files: Vec<(PathBuf, Vec<u8>)>,
}

impl World {
    pub fn start(customers: usize) -> World {
        World {
            sim: Sim::start(scenario(customers)),
            dir: TempDir::new().unwrap(),
            customers: (1..=customers).map(Customer::number).collect(),
        }
    }

    /// A world whose simulator really waits where a fault adds latency (it is not zero-delay;
    /// the tools still record their own waits instead of sleeping).
    pub fn start_with_delays(customers: usize) -> World {
        let options = xtcmk_sim::SimOptions {
            zero_delay: false,
            ..xtcmk_sim::SimOptions::default()
        };
        World {
            sim: Sim::start_with(Some(scenario(customers)), options).unwrap(),
            dir: TempDir::new().unwrap(),
            customers: (1..=customers).map(Customer::number).collect(),
        }
    }

    /// The state and the documents as they are now.
    pub fn save(&self) -> Boundary {
        let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (p, bytes)
            })
            .collect();
        files.sort();
        Boundary {
            state: self.sim.state().clone(),
            files,
        }
    }

    /// Puts the state and the documents back as saved; no fault, no replication rule, no hidden
    /// object remains.
    pub fn restore(&self, boundary: &Boundary) {
        self.sim.faults().clear();
        self.sim.replication().clear();
        *self.sim.state() = boundary.state.clone();
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::remove_file(path).unwrap();
            }
        }
        for (path, bytes) in &boundary.files {
            std::fs::write(path, bytes).unwrap();
        }
    }

    /// The state and the documents, compared across runs: the simulator's normalised snapshot
    /// and each document with its ids and times replaced.
    pub fn comparable(&self) -> Vec<String> {
        let mut lines = self.snapshot();
        for (path, bytes) in self.save().files {
            lines.push(format!(
                "file {} {}",
                path.file_name().unwrap().to_string_lossy(),
                xtcmk_sim::audit::placeholders(&String::from_utf8_lossy(&bytes))
            ));
        }
        lines
    }

    pub fn invitation_path(&self) -> PathBuf {
        self.dir.path().join("invitation.json")
    }

    pub fn handoff_path(&self, n: usize) -> PathBuf {
        self.dir.path().join(format!("handoff-{n}.json"))
    }

    pub fn uami_id(&self) -> ResourceId {
        ResourceId::user_assigned_identity(
            PROVIDER_SUBSCRIPTION_ID.parse().unwrap(),
            PROVIDER_RESOURCE_GROUP,
            UAMI,
        )
    }

    pub fn customer(&self, n: usize) -> &Customer {
        &self.customers[n - 1]
    }

    pub fn setup_spec(&self) -> SetupSpec {
        SetupSpec {
            tenant: PROVIDER_TENANT_ID.parse().unwrap(),
            subscription: PROVIDER_SUBSCRIPTION_ID.parse().unwrap(),
            resource_group: PROVIDER_RESOURCE_GROUP.into(),
            location: Location::parse_field("--location", LOCATION).unwrap(),
            app_name: APP_NAME.into(),
            identity_name: UAMI.into(),
            app_id: None,
            identity: None,
            credential_name: FicName::for_identity(UAMI),
            consent_redirect_uri: None,
            invitation_out: self.invitation_path(),
            cloud_arg: self.sim.profile_path().display().to_string(),
            fix: false,
        }
    }

    /// The customer's `onboard` as the invitation asks for it.
    pub fn onboard_spec(&self, n: usize) -> anyhow::Result<OnboardSpec> {
        let invitation =
            Invitation::read_from_file("--invitation", &self.invitation_path(), self.sim.cloud())?;
        let c = self.customer(n);
        Ok(OnboardSpec {
            app_id: invitation.app_id,
            app_display_name: Some(invitation.app_display_name),
            subscription: c.subscription_id.parse().unwrap(),
            resource_group: CUSTOMER_RESOURCE_GROUP.into(),
            location: Location::parse_field("--location", LOCATION).unwrap(),
            vault: c.vault.clone(),
            key: KEY.into(),
            target: EncryptionTarget::Cosmos,
            permission_model: None,
            scope: GrantScope::Key,
            key_size: 3072,
            fix: false,
            recover: false,
            via: InstallVia::Graph,
            consent_url: None,
            handoff_out: self.handoff_path(n),
        })
    }

    /// The provider's `cosmos deploy` for the customer's handoff.
    pub fn deploy_spec(&self, n: usize) -> anyhow::Result<DeploySpec> {
        let handoff =
            Handoff::read_from_file("--handoff", &self.handoff_path(n), self.sim.cloud())?;
        let account = CosmosCmkAccount::new(
            AccountName::parse_field("--account", &self.customer(n).account)?,
            Location::parse_field("--location", LOCATION)?,
            self.uami_id(),
            handoff.app_id,
            handoff.key.versionless(),
        )?;
        Ok(DeploySpec {
            account,
            handoff,
            subscription: PROVIDER_SUBSCRIPTION_ID.parse().unwrap(),
            resource_group: PROVIDER_RESOURCE_GROUP.into(),
            exchange: false,
        })
    }

    /// A signed-in context for the provider's administrator.
    pub fn provider_ctx(&self) -> Ctx {
        Ctx::new(
            self.sim.stack_as_user(PROVIDER, PROVIDER_ADMIN),
            PROVIDER_TENANT_ID.parse().unwrap(),
            RecordingReporter::new(),
        )
        .unwrap()
    }

    /// A signed-in context for customer `n`'s administrator.
    pub fn customer_ctx(&self, n: usize) -> Ctx {
        let c = self.customer(n);
        Ctx::new(
            self.sim.stack_as_user(&c.alias, &c.admin),
            c.tenant_id.parse().unwrap(),
            RecordingReporter::new(),
        )
        .unwrap()
    }

    /// One phase, plan then apply, as one run of its command.
    pub async fn run(&self, phase: Phase) -> anyhow::Result<()> {
        match phase {
            Phase::Setup => {
                let ctx = self.provider_ctx();
                let plan = setup::plan(&ctx, &self.setup_spec()).await?;
                setup::apply(&ctx, plan).await?;
            }
            Phase::Onboard(n) => {
                let ctx = self.customer_ctx(n);
                let plan = onboard::plan(&ctx, &self.onboard_spec(n)?).await?;
                onboard::apply(&ctx, plan).await?;
            }
            Phase::Deploy(n) => {
                let ctx = self.provider_ctx();
                let plan = cosmos_deploy::plan(&ctx, &self.deploy_spec(n)?).await?;
                cosmos_deploy::apply(&ctx, plan).await?;
            }
        }
        Ok(())
    }

    /// Every phase in order; the first failure with its phase.
    pub async fn run_all(&self) -> Result<(), (Phase, anyhow::Error)> {
        for phase in Phase::all(self.customers.len()) {
            self.run(phase).await.map_err(|e| (phase, e))?;
        }
        Ok(())
    }

    /// The state as compared across runs (see [`xtcmk_sim::audit`]).
    pub fn snapshot(&self) -> Vec<String> {
        xtcmk_sim::audit::snapshot(&self.sim.state())
    }
}
