//! `atlas register-access`: registers the service principal of MongoDB Atlas's own Azure app in
//! the customer's tenant with the Atlas project (`cloudProviderAccess`, `providerName: AZURE`),
//! or adopts the role that already names it. Its id is the `roleId` encryption at rest uses, with
//! no secret at all.

use super::AtlasCtx;
use crate::Refusal;
use crate::atlas::{GroupId, atlas_app_id};
use crate::clients::atlas::cloud_provider_access::AzureServicePrincipalRole;
use crate::documents::{EncryptionTarget, Handoff};
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::{Event, ReporterExt};

#[derive(Debug, Clone)]
pub struct RegisterSpec {
    pub handoff: Handoff,
    pub group: GroupId,
}

#[derive(Debug, Clone)]
pub struct RegisterPlan {
    pub spec: RegisterSpec,
    pub existing: Option<AzureServicePrincipalRole>,
}

impl RegisterPlan {
    pub fn steps(&self) -> Vec<PlannedStep> {
        let h = &self.spec.handoff;
        let detail = format!(
            "Atlas's app, service principal {} in tenant {}",
            h.service_principal_object_id, h.customer_tenant_id
        );
        vec![
            match &self.existing {
                Some(role) => {
                    PlannedStep::new(StepKind::AtlasAccess, Action::Keep, role.id.clone())
                }
                None => PlannedStep::new(
                    StepKind::AtlasAccess,
                    Action::Create,
                    format!("project {} cloudProviderAccess (AZURE)", self.spec.group),
                ),
            }
            .detail(detail),
        ]
    }
}

#[derive(Debug, Clone)]
pub struct RegisterOutcome {
    pub steps: Vec<StepReport>,
    pub role: AzureServicePrincipalRole,
}

/// The handoff must grant MongoDB Atlas's own app (the customer onboarded with an Atlas
/// invitation in role mode).
pub fn check_atlas_handoff(handoff: &Handoff) -> Result<(), Refusal> {
    if handoff.target != EncryptionTarget::Atlas {
        return Err(Refusal::new(format!(
            "the handoff is for {}, not MongoDB Atlas",
            handoff.target.as_str()
        ))
        .hint("ask the customer to onboard for Atlas (`xtcmk-customer onboard --invitation <Atlas invitation>`) and send that handoff"));
    }
    if handoff.app_id != atlas_app_id() {
        return Err(Refusal::new(format!(
            "the handoff grants app {}, not MongoDB Atlas's own app ({}): a cloudProviderAccess role is for Atlas's app only",
            handoff.app_id,
            atlas_app_id()
        ))
        .hint("in secret mode enable encryption at rest with the app's client secret (`xtcmk-provider atlas enable --handoff <file> --group-id <group id>`); for the secretless way send the customer an invitation for Atlas's app (`xtcmk-provider atlas invite --atlas-app`)"));
    }
    Ok(())
}

pub async fn plan(atlas: &AtlasCtx, spec: &RegisterSpec) -> anyhow::Result<RegisterPlan> {
    check_atlas_handoff(&spec.handoff)?;
    let roles = atlas.atlas.azure_service_principals(&spec.group).await?;
    let existing = roles.into_iter().find(|r| {
        r.is_for(
            &spec.handoff.customer_tenant_id,
            &spec.handoff.service_principal_object_id,
        )
    });
    let plan = RegisterPlan {
        spec: spec.clone(),
        existing,
    };
    atlas.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

pub async fn apply(atlas: &AtlasCtx, plan: RegisterPlan) -> anyhow::Result<RegisterOutcome> {
    let step = plan.steps().remove(0);
    let (role, outcome) = match plan.existing {
        Some(role) => (role, Outcome::Unchanged),
        None => {
            atlas
                .reporter
                .started(StepKind::AtlasAccess, &step.resource);
            let h = &plan.spec.handoff;
            let role = atlas
                .atlas
                .create_azure_service_principal(
                    &plan.spec.group,
                    &h.customer_tenant_id,
                    &h.service_principal_object_id,
                    &atlas_app_id(),
                )
                .await?;
            (role, Outcome::Created)
        }
    };
    let report = StepReport::new(StepKind::AtlasAccess, outcome, role.id.clone())
        .detail(step.detail.unwrap_or_default());
    atlas.reporter.finished(&report);
    Ok(RegisterOutcome {
        steps: vec![report],
        role,
    })
}
