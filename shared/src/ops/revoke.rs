//! `revoke`: finds every grant of the provider's service principal on the key — role
//! assignments at the key, vault, resource group or subscription whose role reaches the key, and
//! access-policy entries — removes the ones this toolkit made (or all of them with `--all`), never
//! the key, the vault or the service principal, and says what access remains.

use crate::clients::arm::vaults::{AccessPermissions, AccessPolicyEntry, Vault};
use crate::context::Ctx;
use crate::documents::Handoff;
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::{Event, ReporterExt};
use crate::steps::customer::grants::{self, FoundGrant, GrantSource};

/// What the user asked to revoke.
#[derive(Debug, Clone)]
pub struct RevokeSpec {
    pub handoff: Handoff,
    /// Remove every grant found, not only those onboarding made.
    pub all: bool,
}

/// Every decision of a revoke run.
#[derive(Debug, Clone)]
pub struct RevokePlan {
    pub spec: RevokeSpec,
    vault: Option<Vault>,
    /// Every grant found, ours first.
    pub found: Vec<FoundGrant>,
}

impl RevokePlan {
    fn removes(&self, g: &FoundGrant) -> bool {
        g.ours || self.spec.all
    }

    pub fn steps(&self) -> Vec<PlannedStep> {
        if self.found.is_empty() {
            return vec![
                PlannedStep::new(StepKind::Grant, Action::Keep, self.spec.handoff.key_id().to_string())
                    .detail("no grant of the provider's service principal reaches the key (already removed)"),
            ];
        }
        self.found
            .iter()
            .map(|g| {
                if self.removes(g) {
                    PlannedStep::new(StepKind::Grant, Action::Remove, &g.id).detail(g.describe())
                } else {
                    PlannedStep::new(StepKind::Grant, Action::Keep, &g.id).detail(format!(
                        "{}; kept: pass --all to remove it too",
                        g.describe()
                    ))
                }
            })
            .collect()
    }

    /// Whether the run removes anything.
    pub fn writes(&self) -> usize {
        self.found.iter().filter(|g| self.removes(g)).count()
    }

    /// The grants that still give the provider's service principal what it needs once the plan
    /// is carried out.
    pub fn remaining_access(&self) -> Vec<&FoundGrant> {
        self.found
            .iter()
            .filter(|g| !self.removes(g) && g.suffices(self.spec.handoff.target))
            .collect()
    }

    /// What revoking means, in words — honest about access that remains.
    pub fn consequence(&self) -> String {
        let h = &self.spec.handoff;
        let remaining = self.remaining_access();
        if remaining.is_empty() {
            format!(
                "the provider's service principal {} can no longer use key {}: the provider's resources encrypted with it (Cosmos DB accounts, Atlas clusters) lose access to their data until access is granted again. The key and vault {} are kept.",
                h.service_principal_object_id,
                h.key.versionless(),
                h.vault_name
            )
        } else {
            format!(
                "the provider's service principal {} can STILL use key {} through {}: remove that too with --all, or in the portal (Access control (IAM) / Access policies). The key and vault {} are kept.",
                h.service_principal_object_id,
                h.key.versionless(),
                remaining
                    .iter()
                    .map(|g| g.describe())
                    .collect::<Vec<_>>()
                    .join("; "),
                h.vault_name
            )
        }
    }
}

/// Finds every grant on the key.
pub async fn plan(ctx: &Ctx, spec: RevokeSpec) -> anyhow::Result<RevokePlan> {
    let h = &spec.handoff;
    let vault = ctx.arm.vault(&h.vault_id()).await?;
    let found = grants::find(
        ctx,
        &h.key_id(),
        vault.as_ref(),
        &h.service_principal_object_id,
        h.permission_model,
    )
    .await?;
    // A handoff may name a role assignment elsewhere (edited, or from another vault): it is not
    // on this key's chain, so it is left alone, and said so.
    if let Some(named) = &h.role_assignment_id
        && !found
            .iter()
            .any(|g| g.id.eq_ignore_ascii_case(&named.to_string()))
    {
        ctx.reporter.warn(format!(
            "the handoff names role assignment {named}, which grants nothing on key {} now; it is left alone",
            h.key.versionless()
        ));
    }
    let plan = RevokePlan { spec, vault, found };
    ctx.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

/// What a revoke run did.
#[derive(Debug, Clone)]
pub struct RevokeOutcome {
    pub steps: Vec<StepReport>,
    /// The grants found after the removals.
    pub remaining: Vec<FoundGrant>,
}

/// Removes the planned grants, then reads again what remains.
pub async fn apply(ctx: &Ctx, plan: RevokePlan) -> anyhow::Result<RevokeOutcome> {
    let mut steps = Vec::new();
    for (planned, grant) in plan.steps().into_iter().zip(plan.found.iter()) {
        let report = if planned.action == Action::Remove {
            ctx.reporter.started(StepKind::Grant, &grant.id);
            match &grant.source {
                GrantSource::RoleAssignment { .. } => {
                    ctx.arm.delete_role_assignment(&grant.id).await?;
                }
                GrantSource::AccessPolicy { keys } => {
                    let h = &plan.spec.handoff;
                    let entry = AccessPolicyEntry {
                        tenant_id: h.customer_tenant_id.to_string(),
                        object_id: h.service_principal_object_id.to_string(),
                        permissions: AccessPermissions { keys: keys.clone() },
                    };
                    ctx.arm
                        .update_access_policy(&h.vault_id(), "remove", &[entry])
                        .await?;
                }
            }
            StepReport {
                outcome: Outcome::Removed,
                ..planned.predicted()
            }
        } else {
            planned.predicted()
        };
        ctx.reporter.finished(&report);
        steps.push(report);
    }
    if plan.found.is_empty() {
        let report = plan.steps()[0].predicted();
        ctx.reporter.finished(&report);
        steps.push(report);
    }
    let h = &plan.spec.handoff;
    let vault = match plan.vault {
        Some(_) => ctx.arm.vault(&h.vault_id()).await?,
        None => None,
    };
    let remaining = grants::find(
        ctx,
        &h.key_id(),
        vault.as_ref(),
        &h.service_principal_object_id,
        h.permission_model,
    )
    .await?;
    Ok(RevokeOutcome { steps, remaining })
}
