//! `xtcmk-customer private-endpoints`: the private endpoint connections on the customer's vault —
//! who requested each (the requester's private endpoint and its request message) and its state —
//! and, when asked, the approval or rejection of one named connection, or of every pending one
//! MongoDB Atlas requested for this provider's Atlas project (`--approve-atlas`), never others.
//!
//! A connection is Atlas's for this provider when its name or its request message names the
//! provider's Atlas project id (from the Atlas invitation): the name is what the provider's
//! `xtcmk-provider atlas private-endpoint status` prints. Azure lets a vault's owner approve or
//! reject a connection, not create one; a rejected connection cannot be approved again (Atlas then
//! asks anew: PENDING_RECREATION on its side).

use crate::atlas::GroupId;
use crate::clients::arm::private_endpoint_connections::PrivateEndpointConnection;
use crate::context::Ctx;
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::{Event, ReporterExt};
use crate::{InputError, Refusal, ResourceId};
use serde::Serialize;

/// What the run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Only list.
    List,
    /// Approve every pending connection Atlas requested for this Atlas project.
    ApproveAtlas(GroupId),
    Approve(String),
    Reject(String),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub vault: ResourceId,
    pub choice: Choice,
}

/// One connection, as listed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRow {
    pub name: String,
    pub status: String,
    /// The requester's private endpoint (its ARM id, in the requester's subscription).
    pub requested_by: String,
    pub request_message: String,
    /// Whether it is Atlas's for the invitation's project (with `--approve-atlas`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub atlas_for_this_provider: Option<bool>,
}

/// Whether `c` is a connection MongoDB Atlas requested for project `group`.
pub fn is_atlas_for(c: &PrivateEndpointConnection, group: &GroupId) -> bool {
    c.name.contains(group.as_str())
        || (c.message().contains(group.as_str()) && c.message().contains("Atlas"))
}

fn row(c: &PrivateEndpointConnection, group: Option<&GroupId>) -> ConnectionRow {
    ConnectionRow {
        name: c.name.clone(),
        status: c.status().to_string(),
        requested_by: c.private_endpoint_id().to_string(),
        request_message: c.message().to_string(),
        atlas_for_this_provider: group.map(|g| is_atlas_for(c, g)),
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub spec: Spec,
    pub connections: Vec<PrivateEndpointConnection>,
    /// The connections to answer: (name, `Approved` or `Rejected`, action).
    pub answers: Vec<(String, &'static str, Action)>,
}

impl Plan {
    pub fn steps(&self) -> Vec<PlannedStep> {
        self.answers
            .iter()
            .map(|(name, status, action)| {
                let verb = if *status == "Approved" {
                    "approve"
                } else {
                    "reject"
                };
                let requester = self
                    .connections
                    .iter()
                    .find(|c| c.name == *name)
                    .map(|c| c.private_endpoint_id().to_string())
                    .unwrap_or_default();
                PlannedStep::new(StepKind::EndpointConnection, *action, name.clone())
                    .detail(format!("{verb}: requested by {requester}"))
            })
            .collect()
    }

    pub fn rows(&self) -> Vec<ConnectionRow> {
        let group = match &self.spec.choice {
            Choice::ApproveAtlas(g) => Some(g),
            _ => None,
        };
        self.connections.iter().map(|c| row(c, group)).collect()
    }
}

fn named<'c>(
    connections: &'c [PrivateEndpointConnection],
    flag: &str,
    name: &str,
    vault: &ResourceId,
) -> Result<&'c PrivateEndpointConnection, InputError> {
    connections.iter().find(|c| c.name == name).ok_or_else(|| {
        let known: Vec<&str> = connections.iter().map(|c| c.name.as_str()).collect();
        InputError::new(
            flag,
            name,
            format!(
                "vault {} has no private endpoint connection of this name (it has: {})",
                vault.name(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
        )
        .with_fix("pass a name from the list (run without --approve/--reject to see it)")
    })
}

/// Reads the vault's connections and decides every answer; writes nothing.
pub async fn plan(ctx: &Ctx, spec: &Spec) -> anyhow::Result<Plan> {
    let connections = ctx.arm.private_endpoint_connections(&spec.vault).await?;
    let mut answers = Vec::new();
    match &spec.choice {
        Choice::List => {}
        Choice::Approve(name) => {
            let c = named(&connections, "--approve", name, &spec.vault)?;
            match c.status() {
                "Approved" => answers.push((name.clone(), "Approved", Action::Keep)),
                "Pending" => answers.push((name.clone(), "Approved", Action::Update)),
                other => {
                    return Err(Refusal::new(format!(
                        "connection {name} is {other}: a rejected or disconnected connection cannot be approved again"
                    ))
                    .hint("the requester makes a new connection (Atlas does so by itself: its endpoint shows PENDING_RECREATION); approve the new one")
                    .into());
                }
            }
        }
        Choice::Reject(name) => {
            let c = named(&connections, "--reject", name, &spec.vault)?;
            match c.status() {
                "Rejected" => answers.push((name.clone(), "Rejected", Action::Keep)),
                "Pending" | "Approved" => answers.push((name.clone(), "Rejected", Action::Update)),
                other => {
                    return Err(Refusal::new(format!(
                        "connection {name} is {other}: there is nothing to reject"
                    ))
                    .into());
                }
            }
        }
        Choice::ApproveAtlas(group) => {
            for c in &connections {
                if !is_atlas_for(c, group) {
                    if c.status() == "Pending" {
                        ctx.reporter.warn(format!(
                            "left pending: {} (requested by {}), not MongoDB Atlas's for project {group}",
                            c.name,
                            c.private_endpoint_id()
                        ));
                    }
                    continue;
                }
                match c.status() {
                    "Pending" => answers.push((c.name.clone(), "Approved", Action::Update)),
                    "Approved" => answers.push((c.name.clone(), "Approved", Action::Keep)),
                    _ => {}
                }
            }
            if answers.is_empty() {
                ctx.reporter.notice(format!(
                    "no connection of MongoDB Atlas's project {group} is on vault {}: the provider adds Atlas's private endpoints first (`xtcmk-provider atlas private-endpoint add`)",
                    spec.vault.name()
                ));
            }
        }
    }
    let plan = Plan {
        spec: spec.clone(),
        connections,
        answers,
    };
    ctx.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

/// Answers the connections the plan decided; returns the reports and the connections after.
pub async fn apply(ctx: &Ctx, plan: Plan) -> anyhow::Result<(Vec<StepReport>, Vec<ConnectionRow>)> {
    let mut steps = Vec::new();
    for ((name, status, action), step) in plan.answers.iter().zip(plan.steps()) {
        if *action == Action::Update {
            ctx.reporter.started(StepKind::EndpointConnection, name);
            let reason = match *status {
                "Approved" => "approved with xtcmk-customer private-endpoints",
                _ => "rejected with xtcmk-customer private-endpoints",
            };
            ctx.arm
                .answer_private_endpoint_connection(&plan.spec.vault, name, status, reason)
                .await?;
        }
        let report = StepReport {
            outcome: match action {
                Action::Keep => Outcome::Unchanged,
                other => other.done(),
            },
            ..step.predicted()
        };
        ctx.reporter.finished(&report);
        steps.push(report);
    }
    let after = ctx
        .arm
        .private_endpoint_connections(&plan.spec.vault)
        .await?;
    let group = match &plan.spec.choice {
        Choice::ApproveAtlas(g) => Some(g),
        _ => None,
    };
    Ok((steps, after.iter().map(|c| row(c, group)).collect()))
}
