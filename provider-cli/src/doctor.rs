//! `xtcmk-provider doctor`: every link of the chain from a Cosmos DB account to the customer's
//! key, ✓ / ✗ / ?, with the fix for each broken one; exit 3 when a link is broken. Renders
//! `xtcmk::ops::doctor`.

use crate::batch::{self, BatchArgs};
use crate::cosmos_deploy::{app_id, cosmos_handoff, identity_token_available};
use std::path::PathBuf;
use std::sync::Arc;
use xtcmk::cli::{GlobalArgs, Printer};
use xtcmk::cosmos::{self, AccountName};
use xtcmk::http::{AuthArgs, AuthMethod, HttpStack};
use xtcmk::ops::batch::{Needs, items};
use xtcmk::ops::doctor::{self, DoctorSpec};
use xtcmk::output::CheckState;
use xtcmk::resource_id::check_resource_group_name;
use xtcmk::{Ctx, ResourceId, SubscriptionId, TenantId};

#[derive(Debug, clap::Args)]
#[group(id = "accounts", args = ["account", "batch"], multiple = false, required = false)]
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

    /// A Cosmos DB account to check as well: its identity, default identity, key and key status.
    #[arg(long, value_name = "NAME", conflicts_with = "batch")]
    pub account: Option<String>,

    /// The account's subscription (default: the identity's; with --batch, the rows' accounts').
    #[arg(long, value_name = "GUID", requires = "accounts")]
    pub subscription: Option<String>,

    /// The account's resource group (default: the identity's; with --batch, the rows' accounts').
    #[arg(long, short = 'g', value_name = "NAME", requires = "accounts")]
    pub resource_group: Option<String>,

    /// Run the real exchange as the identity: its token from this host's managed-identity
    /// endpoint, the app's token in the customer's tenant, then get/wrapKey/unwrapKey on the key.
    /// Also done without the flag when IDENTITY_ENDPOINT is set.
    #[arg(long)]
    pub as_identity: bool,

    /// The provider's tenant (default: the signed-in principal's).
    #[arg(long, value_name = "GUID")]
    pub tenant: Option<String>,

    #[command(flatten)]
    pub batch: BatchArgs,

    #[command(flatten)]
    pub auth: AuthArgs,
}

/// The accounts' subscription and resource group: the flags, or the identity's.
fn account_scope(args: &Args, identity: &ResourceId) -> anyhow::Result<(SubscriptionId, String)> {
    let subscription = match &args.subscription {
        Some(s) => SubscriptionId::parse_field("--subscription", s)?,
        None => identity
            .subscription()
            .expect("a user-assigned identity id names its subscription"),
    };
    let group = match &args.resource_group {
        Some(g) => {
            check_resource_group_name("--resource-group", g)?;
            g.clone()
        }
        None => identity
            .resource_group_name()
            .unwrap_or_default()
            .to_string(),
    };
    Ok((subscription, group))
}

/// `doctor --batch`: every customer's chain (and its account, when the row names one).
async fn run_batch(
    args: Args,
    path: &std::path::Path,
    global: &GlobalArgs,
    printer: Arc<Printer>,
) -> anyhow::Result<()> {
    let cloud = global.cloud()?;
    let source = batch::source(path)?;
    let identity = cosmos::parse_cross_tenant_identity("--identity", &args.identity)?;
    if let Some(id) = &args.app_id {
        xtcmk::AppId::parse_field("--app-id", id)?;
    }
    let (subscription, resource_group) = account_scope(&args, &identity)?;
    let tenant = args
        .tenant
        .as_deref()
        .map(|t| TenantId::parse_field("--tenant", t))
        .transpose()?;
    let exchange = args.as_identity
        || args.auth.auth == AuthMethod::ManagedIdentity
        || identity_token_available();
    let needs = Needs {
        handoff: true,
        account: false,
        location: false,
        default_location: None,
        project: false,
    };
    // The rows are checked before signing in: a bad manifest needs no credentials.
    let checked = xtcmk::ops::batch::check(&source, &needs, &cloud).await?;
    let stack = HttpStack::from_env(cloud.clone(), args.auth.auth)?;
    let ctx = Ctx::connect(stack, tenant, printer.clone()).await?;
    printer.context(Some(ctx.tenant.to_string()), false);
    let shared = Arc::new(items::DoctorShared {
        identity,
        app_id: args.app_id.clone(),
        subscription,
        resource_group,
        exchange,
    });
    batch::run_and_summarise(
        &printer,
        &source,
        needs,
        &cloud,
        checked,
        args.batch.concurrency(),
        move |row, reporter| items::doctor(ctx.clone(), shared.clone(), row, reporter),
    )
    .await
}

pub async fn run(args: Args, global: &GlobalArgs, printer: Arc<Printer>) -> anyhow::Result<()> {
    if let Some(path) = args.batch.path()? {
        return run_batch(args, &path, global, printer).await;
    }
    let cloud = global.cloud()?;
    let path = crate::cosmos_deploy::required(args.handoff.as_deref(), "--handoff")?;
    let (handoff, key_problem) = doctor::read_handoff("--handoff", path, &cloud)?;
    let handoff = cosmos_handoff(path, handoff)?;
    let app_id = app_id(args.app_id.as_deref(), &handoff)?;
    let identity = cosmos::parse_cross_tenant_identity("--identity", &args.identity)?;
    let account = match &args.account {
        None => None,
        Some(name) => {
            let name = AccountName::parse_field("--account", name)?;
            let (subscription, group) = account_scope(&args, &identity)?;
            Some(ResourceId::cosmos_account(
                subscription,
                &group,
                name.as_str(),
            ))
        }
    };
    let tenant = args
        .tenant
        .as_deref()
        .map(|t| TenantId::parse_field("--tenant", t))
        .transpose()?;
    let exchange = args.as_identity
        || args.auth.auth == AuthMethod::ManagedIdentity
        || identity_token_available();
    let stack = HttpStack::from_env(cloud, args.auth.auth)?;
    let ctx = Ctx::connect(stack, tenant, printer.clone()).await?;
    printer.context(Some(ctx.tenant.to_string()), false);
    let spec = DoctorSpec {
        key_problem,
        identity,
        app_id,
        account: account.clone(),
        exchange,
        handoff,
    };
    let report = doctor::run(&ctx, &spec).await?;
    if printer.is_json() {
        printer.json(&serde_json::json!({
            "command": printer.command(),
            "tenant": ctx.tenant,
            "ok": report.failed().is_empty(),
            "customerTenant": spec.handoff.customer_tenant_id,
            "keyUri": spec.handoff.key.versionless(),
            "account": account,
            "checks": report.checks,
            "warnings": printer.warnings(),
        }));
    } else {
        printer.text(format!(
            "The chain from {} to key {} (tenant {}), link by link:",
            account
                .as_ref()
                .map(|a| format!("account {}", a.name()))
                .unwrap_or_else(|| "the provider's Cosmos DB accounts".into()),
            spec.handoff.key.versionless(),
            spec.handoff.customer_tenant_id
        ));
        for c in &report.checks {
            printer.text(c.mark_line());
        }
        let count = |s: CheckState| report.checks.iter().filter(|c| c.state == s).count();
        printer.text(format!(
            "{} intact, {} broken, {} not checked",
            count(CheckState::Ok),
            count(CheckState::Fail),
            count(CheckState::Unknown)
        ));
    }
    Ok(report.health()?)
}
