//! Phase 2, the customer's onboarding: one create-or-adopt step per resource. Each step reads
//! first; absent → create (would-create under `--dry-run`); present and right → adopt or
//! unchanged; present and wrong → a [`crate::Refusal`] naming the fix, fixed only when asked
//! (`--fix`, `--recover`).
//!
//! [`preflight`] does every read the plan needs and refuses before any write where it can;
//! then [`service_principal`], [`vault`], [`key`], [`grant`], [`verify`] and [`handoff`] run in
//! that order.

pub mod grant;
pub mod handoff;
pub mod key;
pub mod preflight;
pub mod service_principal;
pub mod session;
pub mod vault;
pub mod verify;
mod wait;

use crate::clients::{ArmClient, GraphClient};
use crate::documents::{EncryptionTarget, PermissionModel};
use crate::http::HttpStack;
use crate::output::{Printer, StepReport};
use crate::{AppId, ResourceId, SubscriptionId, TenantId};

/// Where the provider's grant is scoped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GrantScope {
    /// The single key (least privilege; the default).
    #[default]
    Key,
    /// The whole vault.
    Vault,
}

/// How the provider's app gets installed when its service principal is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InstallVia {
    /// A Graph upsert by appId (needs Global, Application or Cloud Application Administrator).
    #[default]
    Graph,
    /// Print the admin-consent URL and wait (bounded) until an administrator has consented.
    Consent,
}

/// What the customer asked for.
#[derive(Debug, Clone)]
pub struct OnboardSpec {
    pub app_id: AppId,
    /// From the invitation, for messages.
    pub app_display_name: Option<String>,
    pub subscription: SubscriptionId,
    pub resource_group: String,
    pub location: String,
    pub vault: String,
    pub key: String,
    pub target: EncryptionTarget,
    /// `None`: the vault's own model (RBAC for a new vault).
    pub permission_model: Option<PermissionModel>,
    pub scope: GrantScope,
    pub key_size: u32,
    /// Turn purge protection (or soft delete) on for an adopted vault.
    pub fix: bool,
    /// Recover a soft-deleted vault of this name.
    pub recover: bool,
    pub via: InstallVia,
    /// The admin-consent URL (from the invitation, with its registered redirect URI), if known.
    pub consent_url: Option<url::Url>,
}

impl OnboardSpec {
    pub fn resource_group_id(&self) -> ResourceId {
        ResourceId::resource_group(self.subscription, &self.resource_group)
    }

    pub fn vault_id(&self) -> ResourceId {
        ResourceId::vault(self.subscription, &self.resource_group, &self.vault)
    }

    pub fn key_id(&self) -> ResourceId {
        ResourceId::key(
            self.subscription,
            &self.resource_group,
            &self.vault,
            &self.key,
        )
    }

    /// The scope of the provider's role assignment.
    pub fn grant_scope_id(&self) -> ResourceId {
        match self.scope {
            GrantScope::Key => self.key_id(),
            GrantScope::Vault => self.vault_id(),
        }
    }

    /// The app, for messages: its display name and id, or the id alone.
    pub fn app_label(&self) -> String {
        match &self.app_display_name {
            Some(name) => format!("{name} ({})", self.app_id),
            None => format!("app {}", self.app_id),
        }
    }
}

/// What every step uses: the clients in the customer's tenant and the run's mode.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub stack: HttpStack,
    pub arm: ArmClient,
    pub graph: GraphClient,
    /// The signed-in principal's tenant (the customer's).
    pub tenant: TenantId,
    pub dry_run: bool,
    pub printer: Printer,
}

impl Ctx {
    /// Reports a step as it completes and keeps it: the line is data, on stdout in text mode
    /// (as `xtcmk-provider setup` prints its steps); JSON mode prints all steps at the end.
    pub fn report(&self, reports: &mut Vec<StepReport>, report: StepReport) {
        self.printer.text(report.line());
        reports.push(report);
    }
}
