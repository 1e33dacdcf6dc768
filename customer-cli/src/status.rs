//! `xtcmk-customer status --handoff FILE`: re-checks every item of an onboarding, read-only —
//! the service principal, the vault's prerequisites, the key and the provider's grant. Exit 3
//! when a link is broken; a check the signed-in principal may not make is `unknown`.

use std::path::PathBuf;
use std::sync::Arc;
use xtcmk::cli::{GlobalArgs, Printer};
use xtcmk::http::{AuthArgs, HttpStack};
use xtcmk::ops::status;
use xtcmk::{Ctx, Handoff};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The handoff file `xtcmk-customer onboard` wrote.
    #[arg(long, value_name = "FILE")]
    pub handoff: PathBuf,

    #[command(flatten)]
    pub auth: AuthArgs,
}

pub async fn run(args: Args, global: &GlobalArgs, printer: Arc<Printer>) -> anyhow::Result<()> {
    let cloud = global.cloud()?;
    let handoff = Handoff::read_from_file("--handoff", &args.handoff, &cloud)?;
    let stack = HttpStack::from_env(cloud, args.auth.auth)?;
    let ctx = Ctx::connect(stack, Some(handoff.customer_tenant_id), printer.clone()).await?;
    printer.context(Some(ctx.tenant.to_string()), false);
    let report = status::run(&ctx, &handoff).await?;
    if printer.is_json() {
        printer.json(&serde_json::json!({
            "command": printer.command(),
            "tenant": ctx.tenant,
            "ok": report.failed() == 0,
            "checks": report.checks,
            "grants": report.grants,
            "handoff": handoff.to_value(),
            "warnings": printer.warnings(),
        }));
    } else {
        printer.text(format!(
            "Onboarding of app {} with key {}:",
            handoff.app_id,
            handoff.key.versionless()
        ));
        for c in &report.checks {
            printer.text(c.line());
        }
    }
    Ok(report.health()?)
}
