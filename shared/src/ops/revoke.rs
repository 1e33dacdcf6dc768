//! `revoke`: removes exactly the grant onboarding made — the role assignment named in the
//! handoff, or the service principal's access policy — never the key, the vault or the service
//! principal. The provider's resources lose access to the data.

use crate::Refusal;
use crate::clients::arm::vaults::{AccessPermissions, AccessPolicyEntry};
use crate::context::Ctx;
use crate::documents::{Handoff, PermissionModel};
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::{Event, ReporterExt};

/// What revoking removes.
#[derive(Debug, Clone)]
enum Removal {
    /// The grant is gone already.
    Nothing,
    RoleAssignment(String),
    AccessPolicy(AccessPolicyEntry),
}

/// Every decision of a revoke run.
#[derive(Debug, Clone)]
pub struct RevokePlan {
    pub handoff: Handoff,
    removal: Removal,
    label: String,
}

impl RevokePlan {
    pub fn steps(&self) -> Vec<PlannedStep> {
        let step = match &self.removal {
            Removal::Nothing => PlannedStep::new(StepKind::Grant, Action::Keep, &self.label)
                .detail("already removed"),
            Removal::RoleAssignment(_) => {
                PlannedStep::new(StepKind::Grant, Action::Remove, &self.label)
                    .detail("role assignment")
            }
            Removal::AccessPolicy(_) => {
                PlannedStep::new(StepKind::Grant, Action::Remove, &self.label)
                    .detail("access policy")
            }
        };
        vec![step]
    }

    /// Whether there is anything to remove.
    pub fn removes(&self) -> bool {
        !matches!(self.removal, Removal::Nothing)
    }

    /// What removing the grant means, in words.
    pub fn consequence(&self) -> String {
        let h = &self.handoff;
        format!(
            "the provider's service principal {} can no longer use key {}: the provider's resources encrypted with it (Cosmos DB accounts, Atlas clusters) lose access to their data until access is granted again. The key and vault {} are kept.",
            h.service_principal_object_id,
            h.key.versionless(),
            h.vault_name
        )
    }
}

/// Finds the grant the handoff names.
pub async fn plan(ctx: &Ctx, handoff: &Handoff) -> anyhow::Result<RevokePlan> {
    let sp = handoff.service_principal_object_id.to_string();
    let (removal, label) = match handoff.permission_model {
        PermissionModel::Rbac => {
            let Some(id) = &handoff.role_assignment_id else {
                return Err(Refusal::new(
                    "the handoff names no role assignment, so there is nothing this tool made to remove",
                )
                .hint("remove the grant in the portal (Access control (IAM) of the key or vault)")
                .into());
            };
            let label = id.to_string();
            match ctx.arm.role_assignment_by_id(&label).await? {
                None => (Removal::Nothing, label),
                Some(ra) if !ra.properties.principal_id.eq_ignore_ascii_case(&sp) => {
                    return Err(Refusal::new(format!(
                        "role assignment {label} is for principal {}, not the provider's service principal {sp}; not removing it",
                        ra.properties.principal_id
                    ))
                    .hint("check that the handoff file is the one onboarding wrote")
                    .into());
                }
                Some(_) => (Removal::RoleAssignment(label.clone()), label),
            }
        }
        PermissionModel::AccessPolicy => {
            let vault_id = handoff.vault_id();
            let label = format!("{}/accessPolicies/{sp}", handoff.vault_name);
            let Some(vault) = ctx.arm.vault(&vault_id).await? else {
                return Err(Refusal::new(format!("vault {vault_id} does not exist"))
                    .hint("check the handoff file; a deleted vault holds no grant")
                    .into());
            };
            let entry = vault
                .properties
                .access_policies
                .iter()
                .find(|p| p.object_id.eq_ignore_ascii_case(&sp))
                .cloned();
            match entry {
                None => (Removal::Nothing, label),
                Some(e) => (
                    Removal::AccessPolicy(AccessPolicyEntry {
                        tenant_id: e.tenant_id,
                        object_id: e.object_id,
                        permissions: AccessPermissions {
                            keys: e.permissions.keys,
                        },
                    }),
                    label,
                ),
            }
        }
    };
    let plan = RevokePlan {
        handoff: handoff.clone(),
        removal,
        label,
    };
    ctx.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

/// Removes the grant.
pub async fn apply(ctx: &Ctx, plan: RevokePlan) -> anyhow::Result<Vec<StepReport>> {
    let report = match &plan.removal {
        Removal::Nothing => plan.steps()[0].predicted(),
        Removal::RoleAssignment(id) => {
            ctx.reporter.started(StepKind::Grant, id);
            ctx.arm.delete_role_assignment(id).await?;
            StepReport::new(StepKind::Grant, Outcome::Removed, id).detail("role assignment")
        }
        Removal::AccessPolicy(entry) => {
            ctx.reporter.started(StepKind::Grant, &plan.label);
            ctx.arm
                .update_access_policy(
                    &plan.handoff.vault_id(),
                    "remove",
                    std::slice::from_ref(entry),
                )
                .await?;
            StepReport::new(StepKind::Grant, Outcome::Removed, &plan.label).detail("access policy")
        }
    };
    ctx.reporter.finished(&report);
    Ok(vec![report])
}
