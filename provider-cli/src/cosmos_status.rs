//! `xtcmk-provider cosmos status`: a Cosmos DB account's customer-managed-key settings and its
//! `customerManagedKeyStatus` in words, read-only; exit 3 unless the status is confirmed.

use crate::batch::{self, BatchArgs};
use std::sync::Arc;
use xtcmk::cli::{GlobalArgs, Printer};
use xtcmk::cosmos::AccountName;
use xtcmk::http::{AuthArgs, HttpStack};
use xtcmk::ops::batch::{Needs, items};
use xtcmk::ops::cosmos_status;
use xtcmk::resource_id::check_resource_group_name;
use xtcmk::{Ctx, ResourceId, TenantId};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The subscription of the account (default: the signed-in account's, as `az`).
    #[arg(long, value_name = "GUID")]
    pub subscription: Option<String>,

    /// The resource group of the account.
    #[arg(long, short = 'g', value_name = "NAME")]
    pub resource_group: String,

    /// The account's name.
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    pub account: Option<String>,

    /// The provider's tenant (default: the signed-in principal's).
    #[arg(long, value_name = "GUID")]
    pub tenant: Option<String>,

    #[command(flatten)]
    pub batch: BatchArgs,

    #[command(flatten)]
    pub auth: AuthArgs,
}

/// `cosmos status --batch`: every row's account (the handoff is not needed).
async fn run_batch(
    args: Args,
    path: &std::path::Path,
    global: &GlobalArgs,
    printer: Arc<Printer>,
) -> anyhow::Result<()> {
    let cloud = global.cloud()?;
    let source = batch::source(path)?;
    let given = xtcmk::cli::optional_subscription(args.subscription.as_deref())?;
    check_resource_group_name("--resource-group", &args.resource_group)?;
    let tenant = args
        .tenant
        .as_deref()
        .map(|t| TenantId::parse_field("--tenant", t))
        .transpose()?;
    let needs = Needs {
        handoff: false,
        account: true,
        location: false,
        default_location: None,
        project: false,
    };
    // The rows are checked before signing in: a bad manifest needs no credentials.
    let checked = xtcmk::ops::batch::check(&source, &needs, &cloud).await?;
    let stack = HttpStack::from_env(cloud.clone(), args.auth.auth)?;
    let ctx = Ctx::connect(stack, tenant, printer.clone()).await?;
    let subscription = xtcmk::cli::subscription_or_default(given, &ctx, &printer).await?;
    printer.context(Some(ctx.tenant.to_string()), false);
    let shared = Arc::new(items::StatusShared {
        subscription,
        resource_group: args.resource_group.clone(),
    });
    batch::run_and_summarise(
        &printer,
        &source,
        needs,
        &cloud,
        checked,
        args.batch.concurrency(),
        move |row, reporter| items::status(ctx.clone(), shared.clone(), row, reporter),
    )
    .await
}

pub async fn run(args: Args, global: &GlobalArgs, printer: Arc<Printer>) -> anyhow::Result<()> {
    if let Some(path) = args.batch.path()? {
        return run_batch(args, &path, global, printer).await;
    }
    let given = xtcmk::cli::optional_subscription(args.subscription.as_deref())?;
    check_resource_group_name("--resource-group", &args.resource_group)?;
    let name = AccountName::parse_field(
        "--account",
        crate::cosmos_deploy::required(args.account.as_deref(), "--account")?,
    )?;
    let tenant = args
        .tenant
        .as_deref()
        .map(|t| TenantId::parse_field("--tenant", t))
        .transpose()?;
    let stack = HttpStack::from_env(global.cloud()?, args.auth.auth)?;
    let ctx = Ctx::connect(stack, tenant, printer.clone()).await?;
    let subscription = xtcmk::cli::subscription_or_default(given, &ctx, &printer).await?;
    let id = ResourceId::cosmos_account(subscription, &args.resource_group, name.as_str());
    printer.context(Some(ctx.tenant.to_string()), false);
    let report = cosmos_status::run(&ctx, &id).await?;
    if printer.is_json() {
        printer.json(&serde_json::json!({
            "command": printer.command(),
            "tenant": ctx.tenant,
            "account": id,
            "ok": report.confirmed(),
            "keyVaultKeyUri": report.account.key_uri(),
            "defaultIdentity": report.account.default_identity(),
            "customerManagedKeyStatus": report.status,
            "checks": report.checks,
            "warnings": printer.warnings(),
        }));
    } else {
        printer.text(format!("Cosmos DB account {name} ({id}):"));
        for c in &report.checks {
            printer.text(c.mark_line());
        }
        if let Some(s) = &report.status {
            printer.text(format!("  as the account says it: {}", s.text()));
        }
    }
    Ok(report.health()?)
}
