//! One customer of a batch: its row made into the single command's spec, and that command's
//! library operation run for it — `cosmos deploy` ([`deploy`]), `doctor` ([`doctor`]),
//! `cosmos status` ([`status`]), `atlas status` ([`atlas_status`]). What every customer shares
//! (the identity, the subscription, the resource group) comes from the flags; what is each
//! customer's own comes from the row.

use super::{ItemOutcome, ItemState, Row};
use crate::atlas::GroupId;
use crate::context::Ctx;
use crate::cosmos::{AccountName, CosmosCmkAccount, Location};
use crate::documents::Handoff;
use crate::ops::atlas::AtlasCtx;
use crate::output::{Action, Check, StepKind, cloud_writes};
use crate::report::{Event, SharedReporter};
use crate::{AppId, Refusal, ResourceId, SubscriptionId};
use std::path::PathBuf;

/// What every customer's `cosmos deploy` shares.
#[derive(Debug, Clone)]
pub struct DeployShared {
    pub identity: ResourceId,
    /// `--app-id`: every handoff must name this app.
    pub app_id: Option<String>,
    pub subscription: SubscriptionId,
    pub resource_group: String,
    pub exchange: bool,
    pub dry_run: bool,
    /// `--yes`: a key change of an existing account (irreversible) may go ahead.
    pub yes: bool,
}

/// What every customer's `doctor` shares.
#[derive(Debug, Clone)]
pub struct DoctorShared {
    pub identity: ResourceId,
    pub app_id: Option<String>,
    /// Where the rows' accounts are.
    pub subscription: SubscriptionId,
    pub resource_group: String,
    pub exchange: bool,
}

/// What every customer's `cosmos status` shares.
#[derive(Debug, Clone)]
pub struct StatusShared {
    pub subscription: SubscriptionId,
    pub resource_group: String,
}

/// What every customer's `atlas status` shares.
#[derive(Debug, Clone)]
pub struct AtlasStatusShared {
    pub atlas: AtlasCtx,
    /// The provider's tenant, for the secrets' expiry (`None`: it could not be read).
    pub ctx: Option<Ctx>,
    /// `--cloud` as given, for the commands the status suggests.
    pub cloud_arg: String,
}

/// The context of one customer: the batch's clients, reporting to the customer's reporter.
fn item_ctx(ctx: &Ctx, reporter: SharedReporter) -> anyhow::Result<Ctx> {
    Ok(ctx.with_reporter(reporter)?)
}

/// A field of the row the command needs (the check already refused rows without it).
fn needed<'r, T>(row: &Row, value: Option<&'r T>, field: &str, fix: &str) -> anyhow::Result<&'r T> {
    value.ok_or_else(|| {
        crate::InputError::new(format!("{} {field}", row.at), "", "it is empty")
            .with_fix(fix)
            .into()
    })
}

fn handoff_path(row: &Row) -> anyhow::Result<&PathBuf> {
    needed(
        row,
        row.handoff.as_ref(),
        "handoff",
        "give the customer's handoff file",
    )
}

fn account(row: &Row) -> anyhow::Result<&AccountName> {
    needed(
        row,
        row.account.as_ref(),
        "account",
        "give the customer's account name",
    )
}

fn project(row: &Row) -> anyhow::Result<&GroupId> {
    needed(
        row,
        row.project.as_ref(),
        "project",
        "give the customer's Atlas project id",
    )
}

fn location(row: &Row) -> anyhow::Result<&Location> {
    needed(
        row,
        row.location.as_ref(),
        "location",
        "give the row a location, or pass --location",
    )
}

/// The failed checks in one line: `item: detail; item: detail`, or `None` when none failed.
fn failed_checks(checks: &[Check]) -> Option<String> {
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| c.failed())
        .map(|c| format!("{}: {}", c.item, c.detail))
        .collect();
    (!failed.is_empty()).then(|| failed.join("; "))
}

fn app(flag: Option<&str>, handoff: &Handoff) -> anyhow::Result<AppId> {
    super::super::cosmos_deploy::app_id(flag, handoff)
}

/// `cosmos deploy` for one customer: plan (the links, the account), then apply unless a dry run.
pub async fn deploy(
    ctx: Ctx,
    shared: std::sync::Arc<DeployShared>,
    row: Row,
    reporter: SharedReporter,
) -> anyhow::Result<ItemOutcome> {
    let ctx = item_ctx(&ctx, reporter)?;
    let path = handoff_path(&row)?;
    let name = account(&row)?.clone();
    let handoff = Handoff::read_from_file("handoff", path, ctx.cloud())?;
    let handoff = super::super::cosmos_deploy::cosmos_handoff(path, handoff)?;
    let app_id = app(shared.app_id.as_deref(), &handoff)?;
    let account = CosmosCmkAccount::new(
        name.clone(),
        location(&row)?.clone(),
        shared.identity.clone(),
        app_id,
        handoff.key.versionless(),
    )?;
    let spec = super::super::cosmos_deploy::DeploySpec {
        handoff,
        account,
        subscription: shared.subscription,
        resource_group: shared.resource_group.clone(),
        exchange: shared.exchange,
    };
    let plan = super::super::cosmos_deploy::plan(&ctx, &spec).await?;
    let id = spec.account_id().to_string();
    let name = Some(name.as_str().to_string());
    let steps = plan.steps();
    if shared.dry_run {
        for step in &steps {
            ctx.reporter.report(Event::StepFinished(step.predicted()));
        }
        let mut outcome =
            ItemOutcome::new(&row.customer, name, ItemState::Planned).field("accountId", &id);
        outcome.plan = steps.iter().map(|s| s.predicted()).collect();
        return Ok(outcome);
    }
    if !shared.yes
        && let Some(step) = steps
            .iter()
            .find(|s| s.step == StepKind::AccountKey && s.action == Action::Update)
    {
        return Err(Refusal::new(format!(
            "nothing was sent: account {} would change its customer-managed key ({}), which needs a confirmation",
            spec.account.name,
            step.detail.as_deref().unwrap_or("irreversible")
        ))
        .hint("review the batch with --dry-run, then run it again with --yes")
        .into());
    }
    let outcome = super::super::cosmos_deploy::apply(&ctx, plan).await?;
    let writes = cloud_writes(&outcome.steps);
    let status = outcome.status.clone();
    let (state, reason) = match &status {
        Some(s) if !s.is_confirmed() => (ItemState::Broken, Some(s.words())),
        _ if writes > 0 => (ItemState::Done, None),
        _ => (ItemState::Adopted, None),
    };
    let mut item = ItemOutcome::new(&row.customer, name, state)
        .field("accountId", &id)
        .field("steps", &outcome.steps)
        .field("customerManagedKeyStatus", &status);
    item.writes = writes;
    item.reason = reason;
    Ok(item)
}

/// `doctor` for one customer: every link from its account to its key.
pub async fn doctor(
    ctx: Ctx,
    shared: std::sync::Arc<DoctorShared>,
    row: Row,
    reporter: SharedReporter,
) -> anyhow::Result<ItemOutcome> {
    let ctx = item_ctx(&ctx, reporter)?;
    let path = handoff_path(&row)?;
    let (handoff, key_problem) = super::super::doctor::read_handoff("handoff", path, ctx.cloud())?;
    let handoff = super::super::cosmos_deploy::cosmos_handoff(path, handoff)?;
    let app_id = app(shared.app_id.as_deref(), &handoff)?;
    let account = row.account.as_ref().map(|name| {
        ResourceId::cosmos_account(shared.subscription, &shared.resource_group, name.as_str())
    });
    let spec = super::super::doctor::DoctorSpec {
        handoff,
        key_problem,
        identity: shared.identity.clone(),
        app_id,
        account: account.clone(),
        exchange: shared.exchange,
    };
    let report = super::super::doctor::run(&ctx, &spec).await?;
    let failed = failed_checks(&report.checks);
    let state = if failed.is_none() {
        ItemState::Intact
    } else {
        ItemState::Broken
    };
    let mut item = ItemOutcome::new(
        &row.customer,
        row.account.as_ref().map(|a| a.as_str().to_string()),
        state,
    )
    .field("accountId", &account)
    .field("checks", &report.checks);
    item.reason = failed;
    Ok(item)
}

/// `cosmos status` for one customer's account.
pub async fn status(
    ctx: Ctx,
    shared: std::sync::Arc<StatusShared>,
    row: Row,
    reporter: SharedReporter,
) -> anyhow::Result<ItemOutcome> {
    let ctx = item_ctx(&ctx, reporter)?;
    let name = account(&row)?;
    let id = ResourceId::cosmos_account(shared.subscription, &shared.resource_group, name.as_str());
    let report = super::super::cosmos_status::run(&ctx, &id).await?;
    let state = if report.confirmed() {
        ItemState::Intact
    } else {
        ItemState::Broken
    };
    let mut item = ItemOutcome::new(&row.customer, Some(name.as_str().to_string()), state)
        .field("accountId", &id)
        .field("keyVaultKeyUri", report.account.key_uri())
        .field("customerManagedKeyStatus", &report.status)
        .field("checks", &report.checks);
    if state == ItemState::Broken {
        item.reason = Some(failed_checks(&report.checks).unwrap_or_else(|| {
            report
                .status
                .as_ref()
                .map(|s| s.words())
                .unwrap_or_else(|| "no key status reported".into())
        }));
    }
    Ok(item)
}

/// `atlas status` for one customer's project: `intact` when Atlas can use the key.
pub async fn atlas_status(
    shared: std::sync::Arc<AtlasStatusShared>,
    row: Row,
    reporter: SharedReporter,
) -> anyhow::Result<ItemOutcome> {
    let group = project(&row)?;
    let atlas = shared.atlas.with_reporter(reporter.clone());
    let ctx = shared
        .ctx
        .as_ref()
        .map(|c| item_ctx(c, reporter))
        .transpose()?;
    let report =
        super::super::atlas::status::run(&atlas, ctx.as_ref(), group, &shared.cloud_arg).await?;
    let failed = failed_checks(&report.checks);
    let state = if failed.is_none() {
        ItemState::Intact
    } else {
        ItemState::Broken
    };
    let mut item = ItemOutcome::new(&row.customer, None, state).field("status", &report);
    item.reason = failed;
    Ok(item)
}
