//! Verify what the customer can see, read-only: the service principal, the vault's
//! prerequisites, the key (enabled, RSA, operations for the target) and the grant. Used at the
//! end of `onboard` and by `status`.

use super::Ctx;
use super::grant::{policy_permissions, role_name};
use super::key::{needed_ops, read_key};
use crate::clients::arm_authorization::{builtin, role_definition_guid};
use crate::documents::{EncryptionTarget, Handoff, PermissionModel};
use serde::Serialize;

/// One checked item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub item: String,
    pub ok: bool,
    pub detail: String,
}

impl Check {
    fn new(item: &str, ok: bool, detail: impl Into<String>) -> Self {
        Self {
            item: item.into(),
            ok,
            detail: detail.into(),
        }
    }

    /// `  ok   key          …` / `  FAIL grant        …`.
    pub fn line(&self) -> String {
        format!(
            "  {:<4} {:<18} {}",
            if self.ok { "ok" } else { "FAIL" },
            self.item,
            self.detail
        )
    }
}

/// Checks every item of an onboarding described by `handoff`.
pub async fn run(ctx: &Ctx, handoff: &Handoff) -> anyhow::Result<Vec<Check>> {
    let mut checks = Vec::new();
    let sp = ctx.graph.service_principal(&handoff.app_id).await?;
    checks.push(match sp {
        Some(sp) if sp.id == handoff.service_principal_object_id => Check::new(
            "service principal",
            true,
            format!("{} installed for app {}", sp.id, handoff.app_id),
        ),
        Some(sp) => Check::new(
            "service principal",
            false,
            format!(
                "app {} is installed as {}, not {} as the handoff says: re-run onboard and send the new handoff",
                handoff.app_id, sp.id, handoff.service_principal_object_id
            ),
        ),
        None => Check::new(
            "service principal",
            false,
            format!("app {} is not installed in this tenant: re-run onboard", handoff.app_id),
        ),
    });
    let vault_id = handoff.vault_id();
    let Some(vault) = ctx.arm.vault(&vault_id).await? else {
        checks.push(Check::new(
            "vault",
            false,
            format!("{vault_id} does not exist: re-run onboard (or --recover it)"),
        ));
        return Ok(checks);
    };
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
    checks.push(if problems.is_empty() {
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
    });

    let target = handoff.target;
    checks.push(match read_key(ctx, &vault, handoff.key.key_name()).await {
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
            format!("{} does not exist in vault {}", handoff.key.key_name(), vault.name),
        ),
        Err(e) if e.status() == Some(403) => Check::new(
            "key",
            false,
            format!("you may not read it ({}): a Key Vault Reader role on the vault lets status check it", e.code().unwrap_or("Forbidden")),
        ),
        Err(e) => return Err(e.into()),
    });

    let sp_id = handoff.service_principal_object_id;
    checks.push(match handoff.permission_model {
        PermissionModel::Rbac => match &handoff.role_assignment_id {
            None => Check::new("grant", false, "the handoff names no role assignment"),
            Some(id) => match ctx.arm.role_assignment_by_id(&id.to_string()).await? {
                Some(ra) if ra.properties.principal_id.eq_ignore_ascii_case(&sp_id.to_string()) => {
                    let role = role_definition_guid(&ra.properties.role_definition_id);
                    let expected = target != EncryptionTarget::Cosmos
                        || role.eq_ignore_ascii_case(builtin::KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER);
                    Check::new(
                        "grant",
                        expected,
                        format!("{} for service principal {sp_id} at {}", role_name(target), ra.properties.scope.clone().unwrap_or_default()),
                    )
                }
                Some(ra) => Check::new(
                    "grant",
                    false,
                    format!("{} is for principal {}, not {sp_id}", ra.id, ra.properties.principal_id),
                ),
                None => Check::new(
                    "grant",
                    false,
                    format!("role assignment {id} does not exist (revoked?): the provider's service has no access to the key"),
                ),
            },
        },
        PermissionModel::AccessPolicy => {
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
                    format!("no access policy with keys {} for {sp_id} (revoked?)", wanted.join("/"))
                },
            )
        }
    });
    Ok(checks)
}
