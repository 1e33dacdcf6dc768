//! Signing in to the customer's tenant and asking before writing.

use super::Ctx;
use crate::cli::UsageError;
use crate::http::{Audience, AuthMethod, HttpStack};
use crate::output::Printer;
use crate::{Cloud, Refusal, TenantId};
use std::io::{BufRead, IsTerminal, Write};

/// Builds the clients for the tenant the signed-in principal belongs to (or `tenant`).
pub async fn connect(
    cloud: Cloud,
    auth: AuthMethod,
    tenant: Option<TenantId>,
    dry_run: bool,
    printer: Printer,
) -> anyhow::Result<Ctx> {
    let stack = HttpStack::from_env(cloud, auth)?;
    let tenant = match tenant {
        Some(t) => t,
        None => {
            let claims = stack.signed_in(None, Audience::Arm).await?;
            claims.tenant_id().ok_or_else(|| {
                Refusal::new("the access token names no tenant (tid claim)")
                    .hint("pass --tenant <customer tenant id>")
            })?
        }
    };
    Ok(Ctx {
        arm: stack.arm(Some(&tenant))?,
        graph: stack.graph(Some(&tenant))?,
        stack,
        tenant,
        dry_run,
        printer,
    })
}

/// Asks `question` on a terminal unless `yes`; without a terminal and without `--yes`, refuses
/// (exit 2) rather than wait for an answer that cannot come.
pub fn confirm(question: &str, yes: bool, command: &str) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(UsageError::new(format!(
            "{command} changes your tenant and needs a confirmation, but there is no terminal to ask on"
        ))
        .hint(format!(
            "review the plan with `{command} --dry-run`, then re-run with --yes"
        ))
        .into());
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question} [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Refusal::new("stopped: nothing was changed").into())
    }
}
