//! Verify what the customer can see, read-only: the service principal, the vault's
//! prerequisites, the key (enabled, RSA, operations for the target) and the grant. Used at the
//! end of `onboard` and by `status`. A check the signed-in principal may not make is `unknown`,
//! with the role that would let it.

use super::grant::{policy_permissions, role_name};
use super::key::{KeyFacts, needed_ops};
use crate::clients::arm::role_definitions::{builtin, role_definition_guid};
use crate::clients::arm::vaults::Vault;
use crate::context::Ctx;
use crate::documents::{EncryptionTarget, Handoff, PermissionModel};
use crate::http::HttpError;
use crate::output::Check;
use url::Url;

fn forbidden(e: &HttpError) -> bool {
    e.status() == Some(403)
}

/// Checks every item of an onboarding described by `handoff`.
pub async fn run(ctx: &Ctx, handoff: &Handoff) -> anyhow::Result<Vec<Check>> {
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
            return Ok(checks);
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
    checks.push(grant_check(ctx, handoff, vault.as_ref()).await?);
    Ok(checks)
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

async fn grant_check(ctx: &Ctx, handoff: &Handoff, vault: Option<&Vault>) -> anyhow::Result<Check> {
    let target = handoff.target;
    let sp_id = handoff.service_principal_object_id;
    Ok(match handoff.permission_model {
        PermissionModel::Rbac => match &handoff.role_assignment_id {
            None => Check::new("grant", false, "the handoff names no role assignment"),
            Some(id) => match ctx.arm.role_assignment_by_id(&id.to_string()).await {
                Ok(Some(ra))
                    if ra
                        .properties
                        .principal_id
                        .eq_ignore_ascii_case(&sp_id.to_string()) =>
                {
                    let role = role_definition_guid(&ra.properties.role_definition_id);
                    let expected = target != EncryptionTarget::Cosmos
                        || role.eq_ignore_ascii_case(
                            builtin::KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
                        );
                    Check::new(
                        "grant",
                        expected,
                        format!(
                            "{} for service principal {sp_id} at {}",
                            role_name(target),
                            ra.properties.scope.clone().unwrap_or_default()
                        ),
                    )
                }
                Ok(Some(ra)) => Check::new(
                    "grant",
                    false,
                    format!(
                        "{} is for principal {}, not {sp_id}",
                        ra.id, ra.properties.principal_id
                    ),
                ),
                Ok(None) => Check::new(
                    "grant",
                    false,
                    format!(
                        "role assignment {id} does not exist (revoked?): the provider's service has no access to the key"
                    ),
                ),
                Err(e) if forbidden(&e) => Check::unknown(
                    "grant",
                    "you may not read role assignments on the key: the Reader role on the vault lets status check it",
                ),
                Err(e) => return Err(e.into()),
            },
        },
        PermissionModel::AccessPolicy => match vault {
            None => Check::unknown(
                "grant",
                "you may not read the vault's access policies: the Reader role on the vault lets status check it",
            ),
            Some(vault) => {
                let wanted = policy_permissions(target);
                let present = vault.properties.access_policies.iter().any(|p| {
                    p.object_id.eq_ignore_ascii_case(&sp_id.to_string()) && p.allows_keys(&wanted)
                });
                Check::new(
                    "grant",
                    present,
                    if present {
                        format!("access policy keys {} for {sp_id}", wanted.join("/"))
                    } else {
                        format!(
                            "no access policy with keys {} for {sp_id} (revoked?)",
                            wanted.join("/")
                        )
                    },
                )
            }
        },
    })
}
