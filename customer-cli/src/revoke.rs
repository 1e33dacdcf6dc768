//! `xtcmk-customer revoke --handoff FILE`: removes exactly the grant onboarding made — the role
//! assignment named in the handoff, or the service principal's access policy — never the key,
//! the vault or the service principal. The provider's resources lose access to the data.

use std::path::PathBuf;
use std::sync::Arc;
use xtcmk::cli::{GlobalArgs, Printer};
use xtcmk::http::{AuthArgs, HttpStack};
use xtcmk::ops::revoke;
use xtcmk::report::{Event, Reporter};
use xtcmk::{Ctx, Handoff};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The handoff file `xtcmk-customer onboard` wrote.
    #[arg(long, value_name = "FILE")]
    pub handoff: PathBuf,

    /// Show what would be removed; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub auth: AuthArgs,
}

pub async fn run(args: Args, global: &GlobalArgs, printer: Arc<Printer>) -> anyhow::Result<()> {
    let cloud = global.cloud()?;
    let handoff = Handoff::read_from_file("--handoff", &args.handoff, &cloud)?;
    let stack = HttpStack::from_env(cloud, args.auth.auth)?;
    let ctx = Ctx::connect(stack, Some(handoff.customer_tenant_id), printer.clone()).await?;
    printer.context(Some(ctx.tenant.to_string()), args.dry_run);
    let plan = revoke::plan(&ctx, &handoff).await?;
    let consequence = plan.consequence();
    let document = |printer: &Printer| printer.report_document().field("consequence", &consequence);
    if !plan.removes() {
        for step in plan.steps() {
            printer.report(Event::StepFinished(step.predicted()));
        }
        printer.json(&document(&printer));
        printer.text("Nothing to revoke: the grant is already gone. The key and vault are kept.");
        return Ok(());
    }
    if args.dry_run {
        for step in plan.steps() {
            printer.report(Event::StepFinished(step.predicted()));
        }
        printer.json(&document(&printer));
        printer.text(format!(
            "Dry run: nothing was changed. Revoking would mean: {consequence}"
        ));
        return Ok(());
    }
    for step in plan.steps() {
        printer.status(format!(
            "Will remove {} {}.",
            step.detail.as_deref().unwrap_or("the grant"),
            step.resource
        ));
    }
    printer.status(format!("Consequence: {consequence}"));
    printer.confirm("Remove the grant?", args.yes).await?;
    revoke::apply(&ctx, plan).await?;
    printer.json(&document(&printer));
    printer.text(format!("Revoked: {consequence}"));
    Ok(())
}
