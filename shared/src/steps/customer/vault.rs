//! The vault: adopt one that meets the CMK prerequisites (soft delete, purge protection, a
//! firewall Azure services can pass), create one (a long-running PUT), or recover a
//! soft-deleted one with `--recover`. Purge protection is turned on for an adopted vault only
//! with `--fix`, since it can never be turned off again (keyvault-mgmt 2026-02-01:
//! `enablePurgeProtection` "does not accept false" once enabled).

use crate::clients::arm::vaults::{DeletedVault, Vault, new_vault_body};
use crate::context::Ctx;
use crate::documents::PermissionModel;
use crate::ops::onboard::OnboardSpec;
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::ReporterExt;
use crate::{Refusal, TenantId};
use serde_json::{Map, Value, json};

/// The vault as the plan found it.
#[derive(Debug, Clone)]
pub enum VaultFound {
    Existing {
        vault: Box<Vault>,
        fixes: VaultFixes,
    },
    Absent,
    /// Soft-deleted, and `--recover` was given.
    Recoverable(Box<DeletedVault>),
}

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

/// The provisioning state of a vault still being set up (not `Succeeded`).
fn provisioning(vault: &Vault) -> Option<&str> {
    vault
        .properties
        .provisioning_state
        .as_deref()
        .filter(|s| !s.eq_ignore_ascii_case("Succeeded"))
}

/// A vault still being set up — by another run, or by one that was interrupted before its
/// creation finished — is read again, bounded, until it is ready; the last read is returned
/// (ready or not, or `None` if it went away).
pub async fn when_ready(
    ctx: &Ctx,
    id: &crate::ResourceId,
    vault: Vault,
) -> anyhow::Result<Option<Vault>> {
    ctx.while_pending(
        Some(vault),
        |v| {
            v.as_ref().and_then(|v| {
                provisioning(v).map(|s| format!("vault {} to finish provisioning ({s})", v.name))
            })
        },
        || async { Ok(ctx.arm.vault(id).await?) },
    )
    .await
}

/// Checks an existing vault against the prerequisites; returns what `--fix` will change.
pub fn check_vault(
    tenant: &TenantId,
    spec: &OnboardSpec,
    vault: &Vault,
    model: PermissionModel,
) -> Result<VaultFixes, Refusal> {
    let name = &spec.vault;
    // A vault still being set up (keyvault-mgmt VaultProvisioningState: Succeeded,
    // RegisteringDns) cannot take keys yet.
    if let Some(state) = provisioning(vault) {
        return Err(Refusal::new(format!(
            "vault {name} is not ready yet: its provisioningState is {state}"
        ))
        .hint("wait a minute for Azure to finish setting it up, then re-run the same command"));
    }
    if !vault
        .properties
        .tenant_id
        .eq_ignore_ascii_case(&tenant.to_string())
    {
        return Err(Refusal::new(format!(
            "vault {name} belongs to tenant {}, not to the signed-in tenant {}",
            vault.properties.tenant_id, tenant
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

/// The warning for an adopted vault outside `--location`: it is used where it is, since a
/// vault's location is fixed at creation (keyvault-mgmt: `location` is required on create and
/// a vault cannot be moved to another region).
pub fn location_warning(spec: &OnboardSpec, vault: &Vault) -> Option<String> {
    (!vault.location.is_empty() && !spec.location.is(&vault.location)).then(|| {
        format!(
            "vault {} is in {}, not in --location {}: it is adopted where it is (a vault cannot be moved to another region); the provider's resources will use a key in {}",
            spec.vault, vault.location, spec.location, vault.location
        )
    })
}

/// The plan's step for the vault.
pub fn step(spec: &OnboardSpec, found: &VaultFound) -> PlannedStep {
    let id = spec.vault_id().to_string();
    match found {
        VaultFound::Existing { vault, fixes } => {
            let mut detail = Vec::new();
            if fixes.any() {
                detail.push(fixes.describe());
            }
            if location_warning(spec, vault).is_some() {
                detail.push(format!(
                    "in {}, not --location {}: a vault cannot be moved",
                    vault.location, spec.location
                ));
            }
            let action = if fixes.any() {
                Action::Update
            } else {
                Action::Keep
            };
            let step = PlannedStep::new(StepKind::Vault, action, id);
            if detail.is_empty() {
                step
            } else {
                step.detail(detail.join("; "))
            }
        }
        VaultFound::Absent => {
            PlannedStep::new(StepKind::Vault, Action::Create, id).detail(format!(
                "in {} ({}), soft delete, purge protection, RBAC authorization",
                spec.resource_group, spec.location
            ))
        }
        VaultFound::Recoverable(_) => PlannedStep::new(StepKind::Vault, Action::Create, id)
            .detail("recovered from soft delete, with its keys"),
    }
}

/// Creates, recovers, fixes or keeps the vault.
pub async fn apply(
    ctx: &Ctx,
    spec: &OnboardSpec,
    found: &VaultFound,
) -> anyhow::Result<(Vault, StepReport)> {
    let planned = step(spec, found);
    let id = planned.resource.clone();
    let report = |outcome: Outcome| {
        let r = StepReport::new(StepKind::Vault, outcome, id.clone());
        match &planned.detail {
            Some(d) => r.detail(d.clone()),
            None => r,
        }
    };
    match found {
        VaultFound::Existing { vault, fixes } if fixes.any() => {
            ctx.reporter.started(StepKind::Vault, &id);
            let updated = ctx
                .arm
                .patch_vault(&spec.vault_id(), &fixes.patch())
                .await?;
            Ok((updated, report(Outcome::Updated)))
        }
        VaultFound::Existing { vault, .. } => Ok(((**vault).clone(), report(Outcome::Unchanged))),
        VaultFound::Absent | VaultFound::Recoverable(_) => {
            let recover = matches!(found, VaultFound::Recoverable(_));
            ctx.reporter.started(StepKind::Vault, &id);
            let body = new_vault_body(spec.location.as_str(), &ctx.tenant.to_string(), recover);
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
            Ok((vault, report(Outcome::Created)))
        }
    }
}
