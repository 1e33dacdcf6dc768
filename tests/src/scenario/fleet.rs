//! A provider with many customers, each in its own tenant with its own subscription and a Global
//! Administrator who owns it (as in real life): the demo's provider plus customers `1..=n`.
//! [`Fleet`] runs phase 1 (`setup`) and phase 2 (`onboard`, per customer) in-process through
//! `xtcmk::ops`, writing each customer's handoff as `customerN.json` into one folder — a folder
//! `--batch` takes as it is (customer and account `customerN`).

use super::Scenario;
use super::demo::*;
use crate::arm::role_definitions::OWNER;
use crate::{Sim, roles};
use std::path::{Path, PathBuf};
use xtcmk::Ctx;
use xtcmk::http::HttpStack;
use xtcmk::ops::onboard::{self, GrantScope, InstallVia, OnboardSpec};
use xtcmk::ops::setup::{self, SetupSpec};
use xtcmk::report::{NullReporter, SharedReporter};
use xtcmk::{EncryptionTarget, FicName, Invitation, Location, ResourceId};

pub const APP_NAME: &str = "Contoso CMK";
pub const UAMI: &str = "uami-cmk";
pub const KEY: &str = "cmk";

/// Customer `n` (1-based) of a fleet.
#[derive(Debug, Clone)]
pub struct FleetCustomer {
    pub n: usize,
    pub alias: String,
    pub tenant_id: String,
    pub subscription_id: String,
    pub admin: String,
    /// The customer's vault (vault names are global).
    pub vault: String,
    /// The customer's name in the batch: its handoff is `{name}.json`, its account `{name}`.
    pub name: String,
}

impl FleetCustomer {
    pub fn number(n: usize) -> FleetCustomer {
        FleetCustomer {
            n,
            alias: format!("customer{n}"),
            tenant_id: format!("4{n:07}-0000-4000-8000-000000000004"),
            subscription_id: format!("4{n:07}-0000-4000-8000-0000000000a4"),
            admin: format!("admin@customer{n}.example"),
            vault: format!("kv-customer{n}"),
            name: format!("customer{n}"),
        }
    }
}

/// The demo plus customers `1..=customers` (fixed ids).
pub fn scenario(customers: usize) -> Scenario {
    let mut scenario = Scenario::demo();
    let extra = (1..=customers).fold(Scenario::builder(), |b, n| {
        let c = FleetCustomer::number(n);
        b.tenant(
            &c.alias,
            &format!("Customer {n}"),
            &format!("customer{n}.example"),
            |t| {
                t.id(c.tenant_id.parse().expect("a GUID"))
                    .subscription(&format!("Customer {n} data"), |s| {
                        s.id(c.subscription_id.parse().expect("a GUID"))
                            .resource_group(CUSTOMER_RESOURCE_GROUP, LOCATION)
                            .role_assignment(&c.admin, OWNER)
                    })
                    .user_with_id(
                        &c.admin,
                        format!("4{n:07}-0000-4000-8000-0000000000b4")
                            .parse()
                            .expect("a GUID"),
                        &format!("Admin {n}"),
                        &[roles::GLOBAL_ADMINISTRATOR],
                    )
            },
        )
    });
    let extra = extra.build().expect("valid customer tenants");
    scenario.tenants.extend(extra.tenants);
    scenario
}

/// A started fleet: the simulator and the folder of the invitation and the handoffs.
pub struct Fleet<'a> {
    pub sim: &'a Sim,
    /// Where `invitation.json` goes.
    pub dir: PathBuf,
    /// Where the handoffs go (`customerN.json`).
    pub handoffs: PathBuf,
}

impl<'a> Fleet<'a> {
    pub fn new(sim: &'a Sim, dir: &Path) -> Self {
        let handoffs = dir.join("handoffs");
        std::fs::create_dir_all(&handoffs).expect("the handoffs folder");
        Fleet {
            sim,
            dir: dir.to_path_buf(),
            handoffs,
        }
    }

    pub fn invitation_path(&self) -> PathBuf {
        self.dir.join("invitation.json")
    }

    pub fn handoff_path(&self, c: &FleetCustomer) -> PathBuf {
        self.handoffs.join(format!("{}.json", c.name))
    }

    /// The provider's identity (made by [`Fleet::setup`]).
    pub fn uami_id(&self) -> ResourceId {
        ResourceId::user_assigned_identity(
            PROVIDER_SUBSCRIPTION_ID.parse().expect("a GUID"),
            PROVIDER_RESOURCE_GROUP,
            UAMI,
        )
    }

    /// The provider administrator's stack.
    pub fn provider_stack(&self) -> HttpStack {
        self.sim.stack_as_user(PROVIDER, PROVIDER_ADMIN)
    }

    /// Phase 1: the app, the identity, its credential and the invitation.
    pub async fn setup(&self, reporter: SharedReporter) -> anyhow::Result<()> {
        let ctx = Ctx::new(self.provider_stack(), PROVIDER_TENANT_ID.parse()?, reporter)?;
        let spec = SetupSpec {
            tenant: PROVIDER_TENANT_ID.parse()?,
            subscription: PROVIDER_SUBSCRIPTION_ID.parse()?,
            resource_group: PROVIDER_RESOURCE_GROUP.into(),
            location: Location::parse_field("--location", LOCATION)?,
            app_name: APP_NAME.into(),
            identity_name: UAMI.into(),
            app_id: None,
            identity: None,
            credential_name: FicName::for_identity(UAMI),
            consent_redirect_uri: None,
            invitation_out: self.invitation_path(),
            cloud_arg: self.sim.profile_path().display().to_string(),
            fix: false,
        };
        let plan = setup::plan(&ctx, &spec).await?;
        setup::apply(&ctx, plan).await?;
        Ok(())
    }

    /// Phase 2 for customer `c`, as its administrator: the handoff in the handoffs folder.
    pub async fn onboard(&self, c: &FleetCustomer) -> anyhow::Result<()> {
        self.onboard_with(c, self.sim.stack_as_user(&c.alias, &c.admin))
            .await
    }

    /// Phase 2 for customer `c` over `stack` (signed in as its administrator).
    pub async fn onboard_with(&self, c: &FleetCustomer, stack: HttpStack) -> anyhow::Result<()> {
        let invitation =
            Invitation::read_from_file("--invitation", &self.invitation_path(), self.sim.cloud())?;
        let ctx = Ctx::new(
            stack,
            c.tenant_id.parse()?,
            std::sync::Arc::new(NullReporter),
        )?;
        let spec = OnboardSpec {
            app_id: invitation.app_id,
            app_display_name: Some(invitation.app_display_name),
            subscription: c.subscription_id.parse()?,
            resource_group: CUSTOMER_RESOURCE_GROUP.into(),
            location: Location::parse_field("--location", LOCATION)?,
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
            handoff_out: self.handoff_path(c),
        };
        let plan = onboard::plan(&ctx, &spec).await?;
        onboard::apply(&ctx, plan).await?;
        Ok(())
    }

    /// Phases 1 and 2 for customers `1..=n`, `concurrency` customers at a time.
    pub async fn prepare(&self, n: usize, concurrency: usize) -> anyhow::Result<()> {
        use futures::StreamExt;
        self.setup(std::sync::Arc::new(NullReporter)).await?;
        let mut runs = futures::stream::iter(1..=n)
            .map(|i| async move {
                let c = FleetCustomer::number(i);
                self.onboard(&c)
                    .await
                    .map_err(|e| e.context(format!("onboarding {}", c.name)))
            })
            .buffer_unordered(concurrency.max(1));
        while let Some(r) = runs.next().await {
            r?;
        }
        Ok(())
    }
}
