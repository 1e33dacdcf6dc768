//! `xtcmk-provider identities`: renders `xtcmk::ops::identities` — the app's federated
//! credentials, the managed identity each trusts, and the broken ones.

use std::sync::Arc;
use xtcmk::cli::{GlobalArgs, Printer};
use xtcmk::http::{AuthArgs, HttpStack};
use xtcmk::ops::identities::{self, CredentialStatus};
use xtcmk::{AppId, Ctx, SubscriptionId, TenantId};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The app (client) id.
    #[arg(long, value_name = "GUID")]
    pub app_id: String,

    /// The provider's tenant (default: the signed-in principal's).
    #[arg(long, value_name = "GUID")]
    pub tenant: Option<String>,

    /// Subscriptions to look for the managed identities in (default: every one you can read).
    #[arg(long = "subscription", value_name = "GUID")]
    pub subscriptions: Vec<String>,

    #[command(flatten)]
    pub auth: AuthArgs,
}

pub async fn run(args: Args, global: &GlobalArgs, printer: Arc<Printer>) -> anyhow::Result<()> {
    let app_id = AppId::parse_field("--app-id", &args.app_id)?;
    let tenant = args
        .tenant
        .as_deref()
        .map(|t| TenantId::parse_field("--tenant", t))
        .transpose()?;
    let subscriptions = args
        .subscriptions
        .iter()
        .map(|s| SubscriptionId::parse_field("--subscription", s))
        .collect::<Result<Vec<_>, _>>()?;
    let stack = HttpStack::from_env(global.cloud()?, args.auth.auth)?;
    let ctx = Ctx::connect(stack, tenant, printer.clone()).await?;
    let report = identities::run(&ctx, &app_id, &subscriptions).await?;
    printer.json(&report);
    printer.text(format!(
        "{} (app id {}): {}/{} federated credentials used",
        report.app_display_name.as_deref().unwrap_or("(no name)"),
        app_id,
        report.used,
        report.limit
    ));
    for row in &report.credentials {
        let status = match row.status {
            CredentialStatus::Ok => "ok",
            CredentialStatus::Broken => "BROKEN",
            CredentialStatus::Other => "other",
        };
        printer.text(format!(
            "  {status:<7} {}  subject {}",
            row.name,
            row.subject.as_deref().unwrap_or("(none)")
        ));
        printer.text(format!(
            "          issuer {}  audiences [{}]",
            row.issuer,
            row.audiences.join(", ")
        ));
        match (&row.identity, row.status) {
            (Some(id), CredentialStatus::Ok) => printer.text(format!("          trusts {id}")),
            (Some(id), _) => printer.text(format!("          meant for {id}")),
            (None, CredentialStatus::Other) => {
                printer.text("          not a managed identity of this cloud")
            }
            _ => {}
        }
        for p in &row.problems {
            printer.text(format!("          problem: {p}"));
        }
    }
    let broken = report.broken();
    if broken > 0 {
        printer.status(format!(
            "{broken} credential(s) would fail token exchange: re-run `xtcmk-provider setup` with --fix and the same --credential-name, or delete them (az ad app federated-credential delete)"
        ));
    }
    Ok(())
}
