//! The vault: adopt one that meets the CMK prerequisites (soft delete, purge protection, a
//! firewall Azure services can pass), create one (a long-running PUT), or recover a
//! soft-deleted one with `--recover`. Purge protection is turned on for an adopted vault only
//! with `--fix`, since it can never be turned off again (keyvault-mgmt 2026-02-01:
//! `enablePurgeProtection` "does not accept false" once enabled).

use super::preflight::VaultFound;
use super::{Ctx, OnboardSpec};
use crate::Refusal;
use crate::clients::arm_vaults::{Vault, new_vault_body};
use crate::documents::PermissionModel;
use crate::output::{Outcome, StepReport};
use serde_json::{Map, Value, json};

/// What `--fix` would change on an adopted vault.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VaultFixes {
    pub soft_delete: bool,
    pub purge_protection: bool,
}

impl VaultFixes {
    pub fn any(&self) -> bool {
        self.soft_delete || self.purge_protection
    }

    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.soft_delete {
            parts.push("turn soft delete on");
        }
        if self.purge_protection {
            parts.push("turn purge protection on (for good)");
        }
        parts.join(" and ")
    }

    fn patch(&self) -> Value {
        let mut props = Map::new();
        if self.soft_delete {
            props.insert("enableSoftDelete".into(), json!(true));
        }
        if self.purge_protection {
            props.insert("enablePurgeProtection".into(), json!(true));
        }
        Value::Object(props)
    }
}

/// The vault's permission model.
pub fn vault_model(vault: &Vault) -> PermissionModel {
    if vault.rbac() {
        PermissionModel::Rbac
    } else {
        PermissionModel::AccessPolicy
    }
}

/// Checks an existing vault against the prerequisites; returns what `--fix` will change.
pub fn check_vault(
    ctx: &Ctx,
    spec: &OnboardSpec,
    vault: &Vault,
    model: PermissionModel,
) -> Result<VaultFixes, Refusal> {
    let name = &spec.vault;
    if !vault
        .properties
        .tenant_id
        .eq_ignore_ascii_case(&ctx.tenant.to_string())
    {
        return Err(Refusal::new(format!(
            "vault {name} belongs to tenant {}, not to the signed-in tenant {}",
            vault.properties.tenant_id, ctx.tenant
        ))
        .hint("sign in to the vault's tenant, or choose another --vault"));
    }
    if let Some(wanted) = spec.permission_model
        && wanted != model
    {
        let (has, fix) = match model {
            PermissionModel::AccessPolicy => (
                "vault access policies",
                format!(
                    "omit --permission-model to grant with an access policy, or switch the vault to Azure RBAC after recreating its access as role assignments (`az keyvault update --name {name} --enable-rbac-authorization true`)"
                ),
            ),
            PermissionModel::Rbac => (
                "Azure RBAC",
                "omit --permission-model to grant with a role assignment".to_string(),
            ),
        };
        return Err(Refusal::new(format!(
            "--permission-model {} was asked for, but vault {name} uses {has}",
            wanted.as_str()
        ))
        .hint(fix));
    }
    if let Some(problem) = vault.firewall_problem() {
        return Err(Refusal::new(format!(
            "vault {name} would block the provider's service: {problem}"
        ))
        .hint(format!(
            "let trusted Azure services through: `az keyvault update --name {name} --bypass AzureServices` (or --default-action Allow), then re-run"
        )));
    }
    let fixes = VaultFixes {
        soft_delete: !vault.soft_delete(),
        purge_protection: !vault.purge_protection(),
    };
    if fixes.any() && !spec.fix {
        let what = match (fixes.soft_delete, fixes.purge_protection) {
            (true, true) => "soft delete and purge protection are off",
            (true, false) => "soft delete is off",
            _ => "purge protection is off",
        };
        return Err(Refusal::new(format!(
            "vault {name} cannot hold a customer-managed key: {what}"
        ))
        .hint(format!(
            "re-run with --fix to turn it on (purge protection can never be turned off again), or `az keyvault update --name {name} --enable-purge-protection true`"
        )));
    }
    Ok(fixes)
}

/// ARM region names compare without case or spaces (`West Europe` = `westeurope`).
fn same_region(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.replace(' ', "").to_ascii_lowercase();
    norm(a) == norm(b)
}

/// The warning for an adopted vault outside `--location`: it is used where it is, since a
/// vault's location is fixed at creation (keyvault-mgmt: `location` is required on create and
/// a vault cannot be moved to another region).
pub fn location_warning(spec: &OnboardSpec, vault: &Vault) -> Option<String> {
    (!vault.location.is_empty() && !same_region(&vault.location, &spec.location)).then(|| {
        format!(
            "vault {} is in {}, not in --location {}: it is adopted where it is (a vault cannot be moved to another region); the provider's resources will use a key in {}",
            spec.vault, vault.location, spec.location, vault.location
        )
    })
}

/// Creates, recovers, fixes or adopts the vault. `None` only in a dry run that would create it.
pub async fn ensure(
    ctx: &Ctx,
    spec: &OnboardSpec,
    found: &VaultFound,
) -> anyhow::Result<(StepReport, Option<Vault>)> {
    let id = spec.vault_id().to_string();
    let elsewhere = match found {
        VaultFound::Existing { vault, .. } => location_warning(spec, vault).map(|w| {
            ctx.printer.warn(&w);
            format!("in {}", vault.location)
        }),
        _ => None,
    };
    let located = |r: StepReport| match &elsewhere {
        Some(d) => {
            let detail = match &r.detail {
                Some(existing) => format!("{existing}; {d}"),
                None => d.clone(),
            };
            r.detail(detail)
        }
        None => r,
    };
    match found {
        VaultFound::Existing { vault, fixes } if fixes.any() => {
            if ctx.dry_run {
                let r = StepReport::new("vault", Outcome::WouldUpdate, id).detail(fixes.describe());
                return Ok((located(r), Some(vault.clone())));
            }
            let updated = ctx
                .arm
                .patch_vault(&spec.vault_id(), &fixes.patch())
                .await?;
            Ok((
                located(StepReport::new("vault", Outcome::Updated, id).detail(fixes.describe())),
                Some(updated),
            ))
        }
        VaultFound::Existing { vault, .. } => Ok((
            located(StepReport::new("vault", Outcome::Adopted, id)),
            Some(vault.clone()),
        )),
        VaultFound::Absent | VaultFound::Recoverable(_) => {
            let recover = matches!(found, VaultFound::Recoverable(_));
            let detail = if recover {
                "recovered from soft delete"
            } else {
                "soft delete, purge protection, RBAC authorization"
            };
            if ctx.dry_run {
                return Ok((
                    StepReport::new("vault", Outcome::WouldCreate, id).detail(detail),
                    None,
                ));
            }
            ctx.printer.status(format!(
                "  creating vault {} (a long-running operation)…",
                spec.vault
            ));
            let body = new_vault_body(&spec.location, &ctx.tenant.to_string(), recover);
            let mut vault = ctx.arm.put_vault(&spec.vault_id(), &body).await?;
            if recover && !vault.purge_protection() && spec.fix {
                let fixes = VaultFixes {
                    soft_delete: false,
                    purge_protection: true,
                };
                vault = ctx
                    .arm
                    .patch_vault(&spec.vault_id(), &fixes.patch())
                    .await?;
            }
            if recover && !vault.purge_protection() {
                return Err(Refusal::new(format!(
                    "vault {} was recovered, but purge protection is off",
                    spec.vault
                ))
                .hint("re-run with --fix to turn purge protection on")
                .into());
            }
            Ok((
                StepReport::new("vault", Outcome::Created, id).detail(detail),
                Some(vault),
            ))
        }
    }
}
