//! Verify what the customer can see, read-only: the service principal, the vault's
//! prerequisites, the key (enabled, RSA, operations for the target) and the grant. Used at the
//! end of `onboard` and by `status`. A check the signed-in principal may not make is `unknown`,
//! with the role that would let it.

use super::grants::{self, FoundGrant};
use super::key::{KeyFacts, needed_ops};
use crate::clients::arm::vaults::Vault;
use crate::context::Ctx;
use crate::documents::Handoff;
use crate::http::HttpError;
use crate::output::Check;
use url::Url;

fn forbidden(e: &HttpError) -> bool {
    e.status() == Some(403)
}

/// The checks of an onboarding, and every grant of the provider's service principal found on
/// the key.
#[derive(Debug, Clone)]
pub struct Verification {
    pub checks: Vec<Check>,
    pub grants: Vec<FoundGrant>,
}

/// Checks every item of an onboarding described by `handoff`.
pub async fn run(ctx: &Ctx, handoff: &Handoff) -> anyhow::Result<Verification> {
    let mut checks = vec![service_principal(ctx, handoff).await?];
    let vault_id = handoff.vault_id();
    let vault = match ctx.arm.vault(&vault_id).await {
        Ok(Some(vault)) => {
            checks.push(vault_check(&vault));
            Some(vault)
        }
        Ok(None) => {
            checks.push(Check::new(
                "vault",
                false,
                format!("{vault_id} does not exist: re-run onboard (or --recover it)"),
            ));
            return Ok(Verification {
                checks,
                grants: Vec::new(),
            });
        }
        Err(e) if forbidden(&e) => {
            checks.push(Check::unknown(
                "vault",
                format!(
                    "you may not read {vault_id} ({}): the Reader role on it lets status check it",
                    e.code().unwrap_or("Forbidden")
                ),
            ));
            None
        }
        Err(e) => return Err(e.into()),
    };
    let url = vault
        .as_ref()
        .and_then(|v| v.properties.vault_uri.as_deref())
        .and_then(|u| Url::parse(u).ok())
        .unwrap_or_else(|| handoff.key.vault_url());
    checks.push(key_check(ctx, handoff, &url).await?);
    let (grant, grants) = grant_check(ctx, handoff, vault.as_ref()).await?;
    checks.push(grant);
    Ok(Verification { checks, grants })
}

async fn service_principal(ctx: &Ctx, handoff: &Handoff) -> anyhow::Result<Check> {
    Ok(match ctx.graph.service_principal(&handoff.app_id).await {
        Ok(Some(sp)) if sp.id == handoff.service_principal_object_id => Check::new(
            "service principal",
            true,
            format!("{} installed for app {}", sp.id, handoff.app_id),
        ),
        Ok(Some(sp)) => Check::new(
            "service principal",
            false,
            format!(
                "app {} is installed as {}, not {} as the handoff says: re-run onboard and send the new handoff",
                handoff.app_id, sp.id, handoff.service_principal_object_id
            ),
        ),
        Ok(None) => Check::new(
            "service principal",
            false,
            format!(
                "app {} is not installed in this tenant: re-run onboard",
                handoff.app_id
            ),
        ),
        Err(e) if forbidden(&e) => Check::unknown(
            "service principal",
            "you may not read service principals: a member account (or the Directory Readers role) lets status check it",
        ),
        Err(e) => return Err(e.into()),
    })
}

fn vault_check(vault: &Vault) -> Check {
    let mut problems = Vec::new();
    if !vault.soft_delete() {
        problems.push("soft delete is off".to_string());
    }
    if !vault.purge_protection() {
        problems.push("purge protection is off (onboard --fix turns it on)".to_string());
    }
    if let Some(p) = vault.firewall_problem() {
        problems.push(p);
    }
    if problems.is_empty() {
        Check::new(
            "vault",
            true,
            format!("{} (soft delete, purge protection)", vault.name),
        )
    } else {
        Check::new(
            "vault",
            false,
            format!("{}: {}", vault.name, problems.join("; ")),
        )
    }
}

async fn key_check(ctx: &Ctx, handoff: &Handoff, url: &Url) -> anyhow::Result<Check> {
    let target = handoff.target;
    let name = handoff.key.key_name();
    let read = ctx.key_vault(url)?.get_key(name).await;
    Ok(match read.map(|k| k.as_ref().map(KeyFacts::from_key)) {
        Ok(Some(k)) => {
            let ops = needed_ops(target);
            let mut problems = Vec::new();
            if !k.is_rsa() {
                problems.push(format!("it is {}, not RSA", k.kty));
            }
            if !k.has_ops(&ops) {
                problems.push(format!("it does not allow {}", ops.join("/")));
            }
            if !k.enabled {
                problems.push("it is disabled".into());
            }
            if problems.is_empty() {
                Check::new("key", true, format!("{} enabled, {}", k.kid, ops.join("/")))
            } else {
                Check::new("key", false, format!("{}: {}", k.kid, problems.join("; ")))
            }
        }
        Ok(None) => Check::new(
            "key",
            false,
            format!("{name} does not exist in vault {}", handoff.vault_name),
        ),
        Err(e) if forbidden(&e) => Check::unknown(
            "key",
            format!(
                "you may not read it ({}): Key Vault Reader (RBAC) or an access policy with keys get lets status check it",
                e.code().unwrap_or("Forbidden")
            ),
        ),
        Err(e) => return Err(e.into()),
    })
}

async fn grant_check(
    ctx: &Ctx,
    handoff: &Handoff,
    vault: Option<&Vault>,
) -> anyhow::Result<(Check, Vec<FoundGrant>)> {
    let target = handoff.target;
    let sp = handoff.service_principal_object_id;
    let found = match grants::find(ctx, &handoff.key_id(), vault, &sp, handoff.permission_model)
        .await
    {
        Ok(found) => found,
        Err(e) if forbidden(&e) => {
            return Ok((
                Check::unknown(
                    "grant",
                    "you may not read the role assignments and role definitions on the key: the Reader role on the vault lets status check it",
                ),
                Vec::new(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let needed = grants::needed(target).join("/");
    let through: Vec<String> = found
        .iter()
        .filter(|g| g.suffices(target))
        .map(FoundGrant::describe)
        .collect();
    let check = if through.is_empty() {
        let partial: Vec<String> = found.iter().map(FoundGrant::describe).collect();
        let mut detail = format!(
            "service principal {sp} holds no grant that allows {needed} on the key (revoked?): the provider's service has no access to it"
        );
        if !partial.is_empty() {
            detail.push_str(&format!("; it holds only {}", partial.join("; ")));
        }
        Check::new("grant", false, detail)
    } else {
        Check::new(
            "grant",
            true,
            format!(
                "service principal {sp} may {needed} through {}",
                through.join("; ")
            ),
        )
    };
    Ok((check, found))
}
