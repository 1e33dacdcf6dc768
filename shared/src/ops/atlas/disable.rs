//! `atlas disable`: turns the project's Azure Key Vault encryption at rest off
//! (`{"azureKeyVault":{"enabled":false}}`), in Atlas's order: every private endpoint of the
//! project must be deleted first ("you must first delete all private endpoints associated with
//! the project, regardless of their state"), and each cluster's customer key management must be
//! off (Atlas checks that itself).

use super::{AtlasCtx, explain};
use crate::Refusal;
use crate::atlas::{AzureKeyVaultView, GroupId};
use crate::output::{Action, PlannedStep, StepKind, StepReport};
use crate::report::{Event, ReporterExt};

#[derive(Debug, Clone)]
pub struct DisablePlan {
    pub group: GroupId,
    pub current: AzureKeyVaultView,
    pub action: Action,
}

impl DisablePlan {
    pub fn steps(&self) -> Vec<PlannedStep> {
        let step = PlannedStep::new(
            StepKind::AtlasEncryption,
            self.action,
            format!("project {} encryptionAtRest", self.group),
        );
        vec![match self.action {
            Action::Remove => step.detail(format!(
                "turn off encryption at rest with key {}",
                self.current.key_identifier.as_deref().unwrap_or_default()
            )),
            _ => step.detail("already off"),
        }]
    }
}

pub async fn plan(atlas: &AtlasCtx, group: &GroupId) -> anyhow::Result<DisablePlan> {
    let current = atlas.atlas.encryption_at_rest(group).await?.azure();
    let action = if current.is_enabled() {
        let endpoints = atlas.atlas.private_endpoints(group).await?;
        if !endpoints.is_empty() {
            let list: Vec<String> = endpoints
                .iter()
                .map(|e| format!("{} ({}, {})", e.id, e.region_name, e.status))
                .collect();
            return Err(Refusal::new(format!(
                "project {group} still has {} encryption-at-rest private endpoint(s): {}; Atlas disables encryption at rest only after every one is deleted",
                endpoints.len(),
                list.join(", ")
            ))
            .hint(format!(
                "first `xtcmk-provider atlas private-endpoint remove --group-id {group} --all` (it waits until they are gone), then run disable again"
            ))
            .into());
        }
        Action::Remove
    } else {
        Action::Keep
    };
    let plan = DisablePlan {
        group: group.clone(),
        current,
        action,
    };
    atlas.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

pub async fn apply(atlas: &AtlasCtx, plan: DisablePlan) -> anyhow::Result<Vec<StepReport>> {
    let step = plan.steps().remove(0);
    if plan.action == Action::Remove {
        atlas
            .reporter
            .started(StepKind::AtlasEncryption, &step.resource);
        atlas
            .atlas
            .disable_encryption_at_rest(&plan.group)
            .await
            .map_err(|e| explain(e, plan.current.mode()))?;
    }
    let report = StepReport {
        outcome: plan.action.done(),
        ..step.predicted()
    };
    atlas.reporter.finished(&report);
    Ok(vec![report])
}
