//! `xtcmk-customer status --handoff FILE`: re-checks every item of an onboarding, read-only —
//! the service principal, the vault's prerequisites, the key and the provider's grant.

use serde::Serialize;
use std::path::PathBuf;
use xtcmk::Handoff;
use xtcmk::cli::GlobalArgs;
use xtcmk::http::AuthArgs;
use xtcmk::steps::customer::session;
use xtcmk::steps::customer::verify::{self, Check};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The handoff file `xtcmk-customer onboard` wrote.
    #[arg(long, value_name = "FILE")]
    pub handoff: PathBuf,

    #[command(flatten)]
    pub auth: AuthArgs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    handoff: &'a Handoff,
    ok: bool,
    checks: &'a [Check],
}

pub async fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let cloud = global.cloud()?;
    let handoff = Handoff::read_from_file("--handoff", &args.handoff, &cloud)?;
    let ctx = session::connect(
        cloud,
        args.auth.auth,
        Some(handoff.customer_tenant_id),
        true,
        printer,
    )
    .await?;
    let checks = verify::run(&ctx, &handoff).await?;
    let failed = checks.iter().filter(|c| !c.ok).count();
    if printer.is_json() {
        printer.json(&Report {
            handoff: &handoff,
            ok: failed == 0,
            checks: &checks,
        });
    } else {
        printer.text(format!(
            "Onboarding of app {} with key {}:",
            handoff.app_id,
            handoff.key.versionless()
        ));
        for c in &checks {
            printer.text(c.line());
        }
    }
    if failed > 0 {
        anyhow::bail!(xtcmk::Refusal::new(format!(
            "{failed} of {} checks failed",
            checks.len()
        ))
        .hint("re-run `xtcmk-customer onboard` with the same options to repair, then send the new handoff"));
    }
    Ok(())
}
