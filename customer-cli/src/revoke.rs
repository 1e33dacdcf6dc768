//! `xtcmk-customer revoke --handoff FILE`: removes every grant onboarding made for the
//! provider's service principal on the key (with `--all`, every other grant found too), never
//! the key, the vault or the service principal, and says what access remains.

use std::path::PathBuf;
use std::sync::Arc;
use xtcmk::cli::{GlobalArgs, Printer};
use xtcmk::http::{AuthArgs, HttpStack};
use xtcmk::ops::revoke::{self, RevokeSpec};
use xtcmk::report::{Event, Reporter};
use xtcmk::{Ctx, Handoff};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The handoff file `xtcmk-customer onboard` wrote.
    #[arg(long, value_name = "FILE")]
    pub handoff: PathBuf,

    /// Also remove the grants onboarding did not make (role assignments or access policies
    /// someone made by hand); they are listed first.
    #[arg(long)]
    pub all: bool,

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
    let plan = revoke::plan(
        &ctx,
        RevokeSpec {
            handoff,
            all: args.all,
        },
    )
    .await?;
    let consequence = plan.consequence();
    let steps = plan.steps();
    if plan.writes() == 0 || args.dry_run {
        for step in &steps {
            printer.report(Event::StepFinished(step.predicted()));
        }
        printer.json(
            &printer
                .report_document()
                .field("consequence", &consequence)
                .field("grants", &plan.found),
        );
        if args.dry_run && plan.writes() > 0 {
            printer.text(format!(
                "Dry run: nothing was changed. Revoking would mean: {consequence}"
            ));
        } else if plan.found.is_empty() {
            printer.text("Nothing to revoke: no grant of the provider reaches the key. The key and vault are kept.");
        } else {
            printer.text(format!(
                "Nothing this tool made is left to revoke: {consequence}"
            ));
        }
        return Ok(());
    }
    for step in &steps {
        printer.status(format!("  - {}", step.sentence()));
    }
    printer.status(format!("Consequence: {consequence}"));
    printer.confirm("Remove these grants?", args.yes).await?;
    let target = plan.spec.handoff.target;
    let outcome = revoke::apply(&ctx, plan).await?;
    let still: Vec<String> = outcome
        .remaining
        .iter()
        .filter(|g| g.suffices(target))
        .map(|g| g.describe())
        .collect();
    printer.json(
        &printer
            .report_document()
            .field("consequence", &consequence)
            .field("remaining", &outcome.remaining),
    );
    if still.is_empty() {
        printer.text(format!("Revoked: {consequence}"));
    } else {
        printer.text(format!(
            "Revoked what onboarding made, but the provider's service principal can still use the key through: {}",
            still.join("; ")
        ));
    }
    Ok(())
}
