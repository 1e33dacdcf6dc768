//! `xtcmk-provider cosmos status`: a Cosmos DB account's customer-managed-key settings and its
//! `customerManagedKeyStatus` in words, read-only; exit 3 unless the status is confirmed.

use std::sync::Arc;
use xtcmk::cli::{GlobalArgs, Printer};
use xtcmk::cosmos::AccountName;
use xtcmk::http::{AuthArgs, HttpStack};
use xtcmk::ops::cosmos_status;
use xtcmk::resource_id::check_resource_group_name;
use xtcmk::{Ctx, ResourceId, SubscriptionId, TenantId};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The subscription of the account.
    #[arg(long, value_name = "GUID")]
    pub subscription: String,

    /// The resource group of the account.
    #[arg(long, value_name = "NAME")]
    pub resource_group: String,

    /// The account's name.
    #[arg(long, value_name = "NAME")]
    pub account: String,

    /// The provider's tenant (default: the signed-in principal's).
    #[arg(long, value_name = "GUID")]
    pub tenant: Option<String>,

    #[command(flatten)]
    pub auth: AuthArgs,
}

pub async fn run(args: Args, global: &GlobalArgs, printer: Arc<Printer>) -> anyhow::Result<()> {
    let subscription = SubscriptionId::parse_field("--subscription", &args.subscription)?;
    check_resource_group_name("--resource-group", &args.resource_group)?;
    let name = AccountName::parse_field("--account", &args.account)?;
    let tenant = args
        .tenant
        .as_deref()
        .map(|t| TenantId::parse_field("--tenant", t))
        .transpose()?;
    let id = ResourceId::cosmos_account(subscription, &args.resource_group, name.as_str());
    let stack = HttpStack::from_env(global.cloud()?, args.auth.auth)?;
    let ctx = Ctx::connect(stack, tenant, printer.clone()).await?;
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
