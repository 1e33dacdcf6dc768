//! `xtcmk-provider cosmos deploy`: phase 3 — the Cosmos DB account in the provider's tenant,
//! encrypted with the customer's key. Renders `xtcmk::ops::cosmos_deploy`.

use crate::batch::{self, BatchArgs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use xtcmk::cli::{GlobalArgs, Printer, UsageError};
use xtcmk::cosmos::{self, AccountName, CosmosCmkAccount, Location};
use xtcmk::http::{AuthArgs, HttpStack};
use xtcmk::ops::batch::{Needs, items};
use xtcmk::ops::cosmos_deploy::{self, DeploySpec};
use xtcmk::output::{Action, Check};
use xtcmk::report::{Event, Reporter};
use xtcmk::resource_id::check_resource_group_name;
use xtcmk::{AppId, Cloud, Ctx, Handoff, SubscriptionId, TenantId};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The handoff file the customer sent (written by `xtcmk-customer onboard`).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    pub handoff: Option<PathBuf>,

    /// Resource id of the provider's user-assigned managed identity.
    #[arg(long, value_name = "UAMI_RESOURCE_ID")]
    pub identity: String,

    /// Client id of the provider's multi-tenant app (taken from the handoff when omitted).
    #[arg(long, value_name = "GUID")]
    pub app_id: Option<String>,

    /// The subscription of the account (default: the signed-in account's, as `az`).
    #[arg(long, value_name = "GUID")]
    pub subscription: Option<String>,

    /// The resource group of the account (it must exist).
    #[arg(long, short = 'g', value_name = "NAME")]
    pub resource_group: String,

    /// The account's name (3–44 lowercase letters, digits and hyphens; global).
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    pub account: Option<String>,

    /// The account's region, e.g. westeurope (with --batch: for the rows that name none).
    #[arg(
        long,
        short = 'l',
        value_name = "REGION",
        required_unless_present = "batch"
    )]
    pub location: Option<String>,

    /// The provider's tenant (default: the signed-in principal's).
    #[arg(long, value_name = "GUID")]
    pub tenant: Option<String>,

    /// Check everything and show what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask before turning customer-managed keys on for an existing account (irreversible).
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub batch: BatchArgs,

    #[command(flatten)]
    pub auth: AuthArgs,
}

pub use xtcmk::ops::cosmos_deploy::{app_id, cosmos_handoff};

/// Whether a token for the managed identity can be had here (a managed-identity endpoint).
pub fn identity_token_available() -> bool {
    xtcmk::http::federation::identity_endpoint_set(&|n| std::env::var(n).ok())
}

/// A flag clap requires outside `--batch`.
pub fn required<'a, T: ?Sized>(value: Option<&'a T>, flag: &str) -> Result<&'a T, UsageError> {
    value.ok_or_else(|| UsageError::new(format!("{flag} is required without --batch")))
}

fn spec(args: &Args, cloud: &Cloud) -> anyhow::Result<DeploySpec> {
    let path = required(args.handoff.as_deref(), "--handoff")?;
    let handoff = Handoff::read_from_file("--handoff", path, cloud)?;
    let handoff = cosmos_handoff(path, handoff)?;
    let app_id = app_id(args.app_id.as_deref(), &handoff)?;
    // Filled in with the signed-in account's default when the flag is not given.
    let subscription = xtcmk::cli::optional_subscription(args.subscription.as_deref())?
        .unwrap_or_else(|| SubscriptionId::from_uuid(uuid::Uuid::nil()));
    check_resource_group_name("--resource-group", &args.resource_group)?;
    let identity = cosmos::parse_cross_tenant_identity("--identity", &args.identity)?;
    let location = Location::parse_field(
        "--location",
        required(args.location.as_deref(), "--location")?,
    )?;
    cloud.check_location("--location", &location)?;
    let account = CosmosCmkAccount::new(
        AccountName::parse_field("--account", required(args.account.as_deref(), "--account")?)?,
        location,
        identity,
        app_id,
        handoff.key.versionless(),
    )?;
    Ok(DeploySpec {
        handoff,
        account,
        subscription,
        resource_group: args.resource_group.clone(),
        exchange: identity_token_available(),
    })
}

fn checked_line(checks: &[Check]) -> String {
    let ok: Vec<&str> = checks
        .iter()
        .filter(|c| c.ok())
        .map(|c| c.item.as_str())
        .collect();
    let unknown: Vec<&str> = checks
        .iter()
        .filter(|c| !c.ok() && !c.failed())
        .map(|c| c.item.as_str())
        .collect();
    let mut line = format!("checked before sending: {} intact", ok.join(", "));
    if !unknown.is_empty() {
        line.push_str(&format!(
            "; not checked here (they need the identity's token): {}",
            unknown.join(", ")
        ));
    }
    line
}

/// `cosmos deploy --batch`: every customer of the source, the flags shared.
async fn run_batch(
    args: Args,
    path: &Path,
    global: &GlobalArgs,
    printer: Arc<Printer>,
) -> anyhow::Result<()> {
    let cloud = global.cloud()?;
    let source = batch::source(path)?;
    check_resource_group_name("--resource-group", &args.resource_group)?;
    let identity = cosmos::parse_cross_tenant_identity("--identity", &args.identity)?;
    if let Some(id) = &args.app_id {
        AppId::parse_field("--app-id", id)?;
    }
    let default_location = args
        .location
        .as_deref()
        .map(|l| Location::parse_field("--location", l))
        .transpose()?;
    if let Some(l) = &default_location {
        cloud.check_location("--location", l)?;
    }
    let tenant = args
        .tenant
        .as_deref()
        .map(|t| TenantId::parse_field("--tenant", t))
        .transpose()?;
    let given = xtcmk::cli::optional_subscription(args.subscription.as_deref())?;
    let needs = Needs {
        handoff: true,
        account: true,
        location: true,
        default_location,
        project: false,
    };
    // The rows are checked before signing in: a bad manifest needs no credentials.
    let checked = xtcmk::ops::batch::check(&source, &needs, &cloud).await?;
    let stack = HttpStack::from_env(cloud.clone(), args.auth.auth)?;
    let ctx = Ctx::connect(stack, tenant, printer.clone()).await?;
    printer.context(Some(ctx.tenant.to_string()), args.dry_run);
    let subscription = xtcmk::cli::subscription_or_default(given, &ctx, &printer).await?;
    printer.status(format!(
        "cosmos deploy{} --batch {} in tenant {}: {} customer(s) at a time",
        if args.dry_run { " (dry run)" } else { "" },
        path.display(),
        ctx.tenant,
        args.batch.concurrency()
    ));
    let shared = Arc::new(items::DeployShared {
        identity,
        app_id: args.app_id.clone(),
        subscription,
        resource_group: args.resource_group.clone(),
        exchange: identity_token_available(),
        dry_run: args.dry_run,
        yes: args.yes,
    });
    batch::run_and_summarise(
        &printer,
        &source,
        needs,
        &cloud,
        checked,
        args.batch.concurrency(),
        move |row, reporter| items::deploy(ctx.clone(), shared.clone(), row, reporter),
    )
    .await
}

pub async fn run(args: Args, global: &GlobalArgs, printer: Arc<Printer>) -> anyhow::Result<()> {
    if let Some(path) = args.batch.path()? {
        return run_batch(args, &path, global, printer).await;
    }
    let cloud = global.cloud()?;
    let mut spec = spec(&args, &cloud)?;
    let tenant = args
        .tenant
        .as_deref()
        .map(|t| TenantId::parse_field("--tenant", t))
        .transpose()?;
    let stack = HttpStack::from_env(cloud, args.auth.auth)?;
    let ctx = Ctx::connect(stack, tenant, printer.clone()).await?;
    printer.context(Some(ctx.tenant.to_string()), args.dry_run);
    let given = xtcmk::cli::optional_subscription(args.subscription.as_deref())?;
    spec.subscription = xtcmk::cli::subscription_or_default(given, &ctx, &printer).await?;
    printer.status(format!(
        "cosmos deploy{} in tenant {}: account {} with key {} of tenant {}",
        if args.dry_run { " (dry run)" } else { "" },
        ctx.tenant,
        spec.account.name,
        spec.account.key,
        spec.handoff.customer_tenant_id
    ));
    let plan = cosmos_deploy::plan(&ctx, &spec).await?;
    printer.status(checked_line(&plan.checks));
    let id = spec.account_id().to_string();
    if args.dry_run {
        let steps = plan.steps();
        for step in &steps {
            printer.report(Event::StepFinished(step.predicted()));
        }
        let would = steps.iter().filter(|s| s.action.writes()).count();
        printer.json(
            &printer
                .report_document()
                .field("account", &id)
                .field("keyVaultKeyUri", spec.account.key.to_string())
                .field("defaultIdentity", spec.account.default_identity())
                .field("checks", &plan.checks),
        );
        printer.text(format!(
            "dry run: nothing was changed; {would} step(s) would change something"
        ));
        return Ok(());
    }
    let irreversible = plan
        .steps()
        .into_iter()
        .find(|s| s.step == xtcmk::output::StepKind::AccountKey && s.action == Action::Update);
    if let Some(step) = irreversible {
        printer.status(format!(
            "account {}: {}",
            spec.account.name,
            step.detail.as_deref().unwrap_or("the key changes")
        ));
        printer
            .confirm("Change the account's customer-managed key?", args.yes)
            .await?;
    }
    let outcome = cosmos_deploy::apply(&ctx, plan.clone()).await?;
    let status = outcome.status.clone();
    printer.json(
        &printer
            .report_document()
            .field("account", &id)
            .field("keyVaultKeyUri", outcome.account.key_uri())
            .field("defaultIdentity", outcome.account.default_identity())
            .field("customerManagedKeyStatus", &status)
            .field("checks", &plan.checks),
    );
    let writes = xtcmk::output::cloud_writes(&outcome.steps);
    printer.text(format!(
        "{writes} change(s) made in tenant {}; account {} reads back:",
        ctx.tenant, spec.account.name
    ));
    printer.text(format!(
        "  {:<18} {}",
        "keyVaultKeyUri",
        outcome.account.key_uri().unwrap_or("(none)")
    ));
    printer.text(format!(
        "  {:<18} {}",
        "defaultIdentity",
        outcome.account.default_identity()
    ));
    printer.text(format!(
        "  {:<18} {}",
        "key status",
        status
            .as_ref()
            .map(|s| s.words())
            .unwrap_or_else(|| "not reported by the account".to_string())
    ));
    match status {
        Some(s) if !s.is_confirmed() => Err(xtcmk::diagnostics::BrokenLink {
            failed: 1,
            total: 1,
            hint: Some(
                s.fix()
                    .map(|f| format!("{f}; `xtcmk-provider doctor` checks every link"))
                    .unwrap_or_else(|| "`xtcmk-provider doctor` checks every link".into()),
            ),
        }
        .into()),
        _ => Ok(()),
    }
}
