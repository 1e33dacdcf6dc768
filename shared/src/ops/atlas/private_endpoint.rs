//! `atlas private-endpoint add | status | remove`: Atlas's private endpoints to the customer's
//! vault, one per region (Atlas's "Manage Customer Keys with Azure Key Vault Over Private
//! Endpoints"). A POST answers 202 and the endpoint goes INITIATING → PENDING_ACCEPTANCE, where it
//! waits for the customer to approve the connection it requested on their vault, → ACTIVE; a
//! rejected or removed connection makes it PENDING_RECREATION (Atlas then asks again); FAILED
//! carries Atlas's `errorMessage`; a DELETE (204) only requests the deletion: DELETING, then gone.
//!
//! `add` and `remove` follow the endpoints with progress until they settle: for `add` until each
//! is PENDING_ACCEPTANCE (then the customer's exact command is shown), ACTIVE or FAILED; for
//! `remove` until each is gone.

use super::{AtlasCtx, cloud_flag};
use crate::Refusal;
use crate::atlas::{AtlasRegion, AzureKeyVaultView, EndpointId, GroupId};
use crate::clients::atlas::private_endpoints::{EarPrivateEndpoint, EndpointStatus};
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::{Event, Progress, ReporterExt};
use serde::Serialize;
use std::time::Duration;

/// How long `add` and `remove` follow endpoints ("it takes up to 3 minutes" for a state to show).
const FOLLOW_BOUND: Duration = Duration::from_secs(15 * 60);
const POLL_EVERY: Duration = Duration::from_secs(10);

/// One endpoint as the commands show it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointRow {
    pub id: String,
    pub region: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// What the state means and what to do.
    pub explanation: String,
    /// The customer's command that approves this endpoint's connection (PENDING_ACCEPTANCE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_command: Option<String>,
}

/// `xtcmk-customer private-endpoints --vault … --approve <connection>` for the project's vault.
pub fn customer_command(config: &AzureKeyVaultView, connection: &str, cloud_arg: &str) -> String {
    format!(
        "xtcmk-customer private-endpoints --vault {} --subscription {} --resource-group {} --approve {}{}",
        config.key_vault_name.as_deref().unwrap_or("<vault>"),
        config
            .subscription_id
            .as_deref()
            .unwrap_or("<subscription>"),
        config
            .resource_group_name
            .as_deref()
            .unwrap_or("<resource-group>"),
        connection,
        cloud_flag(cloud_arg)
    )
}

/// The row of one endpoint: its state explained.
pub fn row(e: &EarPrivateEndpoint, config: &AzureKeyVaultView, cloud_arg: &str) -> EndpointRow {
    let vault = config
        .key_vault_name
        .as_deref()
        .unwrap_or("the customer's vault");
    let (explanation, command) = match &e.status {
        EndpointStatus::Initiating => ("Atlas is creating the private endpoint".to_string(), None),
        EndpointStatus::PendingAcceptance => match &e.private_endpoint_connection_name {
            Some(name) => (
                format!("waiting for the customer to approve connection {name} on vault {vault}"),
                Some(customer_command(config, name, cloud_arg)),
            ),
            None => ("waiting for the customer's approval".to_string(), None),
        },
        EndpointStatus::Active => (
            format!("approved: Atlas reaches {vault} over Azure Private Link"),
            None,
        ),
        EndpointStatus::Failed => (
            format!(
                "Atlas could not create it: {}",
                e.error_message.as_deref().unwrap_or("(no message)")
            ),
            None,
        ),
        EndpointStatus::PendingRecreation => (
            format!(
                "its connection was rejected or removed on {vault}; Atlas is creating a new one, which the customer must approve when it is PENDING_ACCEPTANCE"
            ),
            None,
        ),
        EndpointStatus::Deleting => ("Atlas is deleting it".to_string(), None),
        EndpointStatus::Other(s) => (format!("state {s}"), None),
    };
    EndpointRow {
        id: e.id.clone(),
        region: e.region_name.clone(),
        status: e.status.to_string(),
        connection_name: e.private_endpoint_connection_name.clone(),
        error_message: e.error_message.clone(),
        explanation,
        customer_command: command,
    }
}

/// The endpoints and the configuration they serve.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointsReport {
    pub group_id: GroupId,
    pub require_private_networking: bool,
    pub endpoints: Vec<EndpointRow>,
}

/// `status`: every endpoint of the project with its state explained.
pub async fn status(
    atlas: &AtlasCtx,
    group: &GroupId,
    cloud_arg: &str,
) -> anyhow::Result<EndpointsReport> {
    let config = atlas.atlas.encryption_at_rest(group).await?.azure();
    let endpoints = atlas.atlas.private_endpoints(group).await?;
    Ok(EndpointsReport {
        group_id: group.clone(),
        require_private_networking: config.private_networking(),
        endpoints: endpoints
            .iter()
            .map(|e| row(e, &config, cloud_arg))
            .collect(),
    })
}

#[derive(Debug, Clone)]
pub struct AddSpec {
    pub group: GroupId,
    pub regions: Vec<AtlasRegion>,
    /// The `--cloud` value, repeated in the customer's command.
    pub cloud_arg: String,
}

#[derive(Debug, Clone)]
pub struct AddPlan {
    pub spec: AddSpec,
    pub config: AzureKeyVaultView,
    /// Per region: the endpoint that exists there, if any.
    pub existing: Vec<(AtlasRegion, Option<EarPrivateEndpoint>)>,
}

impl AddPlan {
    pub fn steps(&self) -> Vec<PlannedStep> {
        self.existing
            .iter()
            .map(|(region, found)| match found {
                Some(e) => PlannedStep::new(StepKind::AtlasEndpoint, Action::Keep, e.id.clone())
                    .detail(format!("{region}: {}", e.status)),
                None => PlannedStep::new(
                    StepKind::AtlasEndpoint,
                    Action::Create,
                    format!("{} {region}", self.spec.group),
                )
                .detail(format!(
                    "a private endpoint to vault {} in {}",
                    self.config.key_vault_name.as_deref().unwrap_or_default(),
                    region.azure_location()
                )),
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct AddOutcome {
    pub steps: Vec<StepReport>,
    pub report: EndpointsReport,
}

/// Refuses unless encryption at rest is on with private networking (Atlas's order).
fn check_private_networking(config: &AzureKeyVaultView, group: &GroupId) -> Result<(), Refusal> {
    if !config.is_enabled() {
        return Err(Refusal::new(format!(
            "encryption at rest with Azure Key Vault is not on in project {group}"
        ))
        .hint(format!(
            "enable it first: xtcmk-provider atlas enable --handoff <file> --group-id {group} --private-networking"
        )));
    }
    if !config.private_networking() {
        return Err(Refusal::new(format!(
            "project {group} does not require private networking for its key (requirePrivateNetworking is false)"
        ))
        .hint(format!(
            "turn it on first: xtcmk-provider atlas enable --handoff <file> --group-id {group} --private-networking"
        )));
    }
    Ok(())
}

pub async fn plan_add(atlas: &AtlasCtx, spec: &AddSpec) -> anyhow::Result<AddPlan> {
    let config = atlas.atlas.encryption_at_rest(&spec.group).await?.azure();
    check_private_networking(&config, &spec.group)?;
    let endpoints = atlas.atlas.private_endpoints(&spec.group).await?;
    let mut existing = Vec::new();
    for region in &spec.regions {
        if existing.iter().any(|(r, _)| r == region) {
            continue;
        }
        let found = endpoints
            .iter()
            .find(|e| e.region_name == region.atlas_name() && e.status != EndpointStatus::Deleting)
            .cloned();
        existing.push((*region, found));
    }
    let plan = AddPlan {
        spec: spec.clone(),
        config,
        existing,
    };
    atlas.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

/// Reads the endpoint again and again until `settled` says so (or it is gone), reporting each
/// state it passes through; bounded by [`FOLLOW_BOUND`].
async fn follow(
    atlas: &AtlasCtx,
    group: &GroupId,
    endpoint: &EarPrivateEndpoint,
    settled: impl Fn(&EndpointStatus) -> bool,
) -> anyhow::Result<Option<EarPrivateEndpoint>> {
    let (id, region) = (endpoint.id.as_str(), endpoint.region_name.as_str());
    let endpoint_id = EndpointId::parse_field("privateEndpoint.id", id)?;
    let sleeper = atlas.sleeper();
    let mut elapsed = Duration::ZERO;
    // The state the endpoint was last seen in (the POST's or the list's answer) is the first shown.
    let mut last = Some(endpoint.status.to_string());
    atlas.reporter.report(Event::Progress(Progress {
        operation: format!("Atlas private endpoint {id} ({region})"),
        state: endpoint.status.to_string(),
        elapsed,
        bound: FOLLOW_BOUND,
    }));
    loop {
        let now = atlas.atlas.private_endpoint(group, &endpoint_id).await?;
        let state = now
            .as_ref()
            .map(|e| e.status.to_string())
            .unwrap_or_else(|| "gone".into());
        if last.as_deref() != Some(state.as_str()) {
            atlas.reporter.report(Event::Progress(Progress {
                operation: format!("Atlas private endpoint {id} ({region})"),
                state: state.clone(),
                elapsed,
                bound: FOLLOW_BOUND,
            }));
            last = Some(state);
        }
        match &now {
            None => return Ok(None),
            Some(e) if settled(&e.status) => return Ok(now),
            _ => {}
        }
        if elapsed >= FOLLOW_BOUND {
            return Err(Refusal::new(format!(
                "Atlas private endpoint {id} ({region}) is still {} after {} minutes",
                last.unwrap_or_default(),
                FOLLOW_BOUND.as_secs() / 60
            ))
            .hint(format!(
                "check again later with `xtcmk-provider atlas private-endpoint status --group-id {group}`"
            ))
            .into());
        }
        sleeper.sleep(POLL_EVERY).await;
        elapsed += POLL_EVERY;
    }
}

pub async fn apply_add(atlas: &AtlasCtx, plan: AddPlan) -> anyhow::Result<AddOutcome> {
    let spec = &plan.spec;
    let mut steps = Vec::new();
    let mut followed = Vec::new();
    for ((region, found), step) in plan.existing.iter().zip(plan.steps()) {
        let endpoint = match found {
            Some(e) => {
                let report = step.predicted();
                atlas.reporter.finished(&report);
                steps.push(report);
                e.clone()
            }
            None => {
                atlas
                    .reporter
                    .started(StepKind::AtlasEndpoint, &step.resource);
                let created = atlas
                    .atlas
                    .create_private_endpoint(&spec.group, *region)
                    .await?;
                let report = StepReport::new(
                    StepKind::AtlasEndpoint,
                    Outcome::Created,
                    created.id.clone(),
                )
                .detail(step.detail.clone().unwrap_or_default());
                atlas.reporter.finished(&report);
                steps.push(report);
                created
            }
        };
        followed.push(endpoint);
    }
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for e in followed {
        let now = follow(atlas, &spec.group, &e, |s| !s.is_transient()).await?;
        if let Some(now) = now {
            let r = row(&now, &plan.config, &spec.cloud_arg);
            if let Some(cmd) = &r.customer_command {
                atlas.reporter.notice(format!(
                    "{} ({}) waits for the customer's approval; they run:\n  {cmd}",
                    r.id, r.region
                ));
            }
            if now.status == EndpointStatus::Failed {
                failed.push(r.clone());
            }
            rows.push(r);
        }
    }
    if let Some(f) = failed.first() {
        return Err(Refusal::new(format!(
            "Atlas could not create the private endpoint {} in {}: {}",
            f.id,
            f.region,
            f.error_message.as_deref().unwrap_or("(no message)")
        ))
        .hint(format!(
            "fix the cause, remove it (`xtcmk-provider atlas private-endpoint remove --group-id {} --region {}`) and add it again",
            spec.group, f.region
        ))
        .into());
    }
    Ok(AddOutcome {
        steps,
        report: EndpointsReport {
            group_id: spec.group.clone(),
            require_private_networking: plan.config.private_networking(),
            endpoints: rows,
        },
    })
}

/// Which endpoints `remove` deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Which {
    All,
    Regions(Vec<AtlasRegion>),
    Ids(Vec<EndpointId>),
}

#[derive(Debug, Clone)]
pub struct RemoveSpec {
    pub group: GroupId,
    pub which: Which,
}

#[derive(Debug, Clone)]
pub struct RemovePlan {
    pub spec: RemoveSpec,
    pub endpoints: Vec<EarPrivateEndpoint>,
}

impl RemovePlan {
    pub fn steps(&self) -> Vec<PlannedStep> {
        self.endpoints
            .iter()
            .map(|e| {
                PlannedStep::new(StepKind::AtlasEndpoint, Action::Remove, e.id.clone())
                    .detail(format!("{} ({})", e.region_name, e.status))
            })
            .collect()
    }
}

pub async fn plan_remove(atlas: &AtlasCtx, spec: &RemoveSpec) -> anyhow::Result<RemovePlan> {
    let all = atlas.atlas.private_endpoints(&spec.group).await?;
    let endpoints = all
        .into_iter()
        .filter(|e| match &spec.which {
            Which::All => true,
            Which::Regions(r) => r.iter().any(|r| r.atlas_name() == e.region_name),
            Which::Ids(ids) => ids.iter().any(|i| i.as_str() == e.id),
        })
        .collect();
    let plan = RemovePlan {
        spec: spec.clone(),
        endpoints,
    };
    atlas.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

pub async fn apply_remove(atlas: &AtlasCtx, plan: RemovePlan) -> anyhow::Result<Vec<StepReport>> {
    let mut steps = Vec::new();
    for (e, step) in plan.endpoints.iter().zip(plan.steps()) {
        atlas
            .reporter
            .started(StepKind::AtlasEndpoint, &step.resource);
        if e.status != EndpointStatus::Deleting {
            let id = EndpointId::parse_field("privateEndpoint.id", &e.id)?;
            atlas
                .atlas
                .request_private_endpoint_deletion(&plan.spec.group, &id)
                .await?;
        }
        // DELETE only requests the deletion: the endpoint exists until Atlas has removed it.
        let deleting = EarPrivateEndpoint {
            status: EndpointStatus::Deleting,
            ..e.clone()
        };
        follow(atlas, &plan.spec.group, &deleting, |_| false).await?;
        let report = StepReport {
            outcome: Outcome::Removed,
            ..step.predicted()
        };
        atlas.reporter.finished(&report);
        steps.push(report);
    }
    Ok(steps)
}
