//! `status`: re-checks every item of an onboarding, read-only — the service principal, the
//! vault's prerequisites, the key and the provider's grant. A broken link is a
//! [`BrokenLink`](crate::diagnostics::BrokenLink) for the binary to exit 3 with.

use crate::context::Ctx;
use crate::diagnostics::BrokenLink;
use crate::documents::Handoff;
use crate::output::Check;
use crate::steps::customer::grants::FoundGrant;
use crate::steps::customer::verify;

/// The checks, and whether any link is broken.
#[derive(Debug, Clone)]
pub struct StatusReport {
    pub checks: Vec<Check>,
    /// Every grant of the provider's service principal that reaches the key.
    pub grants: Vec<FoundGrant>,
}

impl StatusReport {
    pub fn failed(&self) -> usize {
        self.checks.iter().filter(|c| c.failed()).count()
    }

    /// `Err` when a check failed (exit code 3).
    pub fn health(&self) -> Result<(), BrokenLink> {
        match self.failed() {
            0 => Ok(()),
            failed => Err(BrokenLink {
                failed,
                total: self.checks.len(),
                hint: Some(
                    "re-run `xtcmk-customer onboard` with the same options to repair, then send the new handoff".into(),
                ),
            }),
        }
    }
}

/// Checks every item of the onboarding `handoff` describes.
pub async fn run(ctx: &Ctx, handoff: &Handoff) -> anyhow::Result<StatusReport> {
    let verification = verify::run(ctx, handoff).await?;
    Ok(StatusReport {
        checks: verification.checks,
        grants: verification.grants,
    })
}
