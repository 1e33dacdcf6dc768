//! The user-assigned managed identity: read at its resource id; created in the subscription,
//! resource group and location given (the group must exist); its principal id is what the
//! federated credential's subject names.

use crate::clients::arm::user_assigned_identities::UserAssignedIdentity;
use crate::context::Ctx;
use crate::ops::setup::SetupSpec;
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::ReporterExt;
use crate::{InputError, Refusal, ResourceId};

#[derive(Debug, Clone)]
pub struct IdentityPlan {
    pub id: ResourceId,
    pub found: Option<UserAssignedIdentity>,
}

/// Reads the UAMI; when it is absent, checks that its resource group exists.
pub async fn plan(ctx: &Ctx, spec: &SetupSpec) -> anyhow::Result<IdentityPlan> {
    let id = spec.identity_id();
    // ARM answers 404 ResourceGroupNotFound when the group is missing, ResourceNotFound when
    // only the resource is (learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-not-found).
    let mut group_missing = false;
    let found = match ctx.arm.user_assigned_identity(&id).await {
        Ok(found) => found,
        Err(e) if e.is(404, "ResourceGroupNotFound") => {
            group_missing = true;
            None
        }
        Err(e) => return Err(e.into()),
    };
    if found.is_none() {
        if spec.identity.is_some() {
            let problem = if group_missing {
                format!(
                    "its resource group {} does not exist",
                    id.resource_group_name().unwrap_or("(none)")
                )
            } else {
                "no user-assigned managed identity at this resource id".to_string()
            };
            return Err(InputError::new("--identity", id.to_string(), problem)
                .with_fix("pass the resource id of an existing identity, or omit --identity to create one from --identity-name")
                .into());
        }
        let group = ResourceId::resource_group(spec.subscription, &spec.resource_group);
        if ctx.arm.resource_group(&group).await?.is_none() {
            return Err(Refusal::new(format!(
                "resource group {} does not exist in subscription {}",
                spec.resource_group, spec.subscription
            ))
            .hint(format!(
                "create it first: az group create --subscription {} --name {} --location {}",
                spec.subscription, spec.resource_group, spec.location
            ))
            .into());
        }
    }
    Ok(IdentityPlan { id, found })
}

fn resource(identity: &UserAssignedIdentity) -> String {
    format!(
        "{} (principalId {})",
        identity.id, identity.properties.principal_id
    )
}

impl IdentityPlan {
    pub fn step(&self, spec: &SetupSpec) -> PlannedStep {
        match &self.found {
            Some(found) if spec.identity.is_some() => {
                PlannedStep::new(StepKind::Identity, Action::Adopt, resource(found))
            }
            Some(found) => PlannedStep::new(StepKind::Identity, Action::Keep, resource(found)),
            None => PlannedStep::new(StepKind::Identity, Action::Create, self.id.to_string())
                .detail(format!("in {}", spec.location)),
        }
    }
}

/// Creates the UAMI when absent.
pub async fn apply(
    ctx: &Ctx,
    spec: &SetupSpec,
    plan: &IdentityPlan,
) -> anyhow::Result<(UserAssignedIdentity, StepReport)> {
    if let Some(found) = &plan.found {
        let step = plan.step(spec);
        return Ok((
            found.clone(),
            StepReport::new(StepKind::Identity, step.action.done(), step.resource),
        ));
    }
    ctx.reporter
        .started(StepKind::Identity, plan.id.to_string());
    let created = ctx
        .arm
        .put_user_assigned_identity(&plan.id, spec.location.as_str())
        .await?;
    let report = StepReport::new(StepKind::Identity, Outcome::Created, resource(&created));
    Ok((created, report))
}
