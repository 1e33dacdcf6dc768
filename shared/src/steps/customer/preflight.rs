//! Preflight: every read the plan needs, and every refusal that can come before a write — the
//! signed-in principal and its directory roles, the app's service principal, the resource
//! group permissions (ARM's permissions API), the vault (or a soft-deleted one, or the name held
//! elsewhere) and, where the signed-in principal may read it, the key.

use super::key::{KeyFacts, check_key, read_key};
use super::vault::{VaultFixes, check_vault, vault_model};
use super::{Ctx, InstallVia, OnboardSpec};
use crate::clients::arm_authorization::{Permission, allows_action, allows_data_action};
use crate::clients::arm_vaults::{DeletedVault, Vault};
use crate::clients::graph_sps::ServicePrincipalInfo;
use crate::consent::{ConsentTenant, admin_consent_url};
use crate::documents::PermissionModel;
use crate::http::{Audience, TokenClaims};
use crate::{ObjectId, Refusal};

/// Entra directory roles that may create the service principal of another tenant's app
/// (DESIGN.md §3; graph serviceprincipal-upsert permissions).
pub const SP_CREATOR_ROLES: [(&str, &str); 3] = [
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
    ),
];

pub const VAULT_WRITE: &str = "Microsoft.KeyVault/vaults/write";
pub const ROLE_ASSIGNMENT_WRITE: &str = "Microsoft.Authorization/roleAssignments/write";
pub const ACCESS_POLICY_WRITE: &str = "Microsoft.KeyVault/vaults/accessPolicies/write";

/// The vault as preflight found it.
#[derive(Debug, Clone)]
pub enum VaultFound {
    Existing {
        vault: Vault,
        fixes: VaultFixes,
    },
    Absent,
    /// Soft-deleted, and `--recover` was given.
    Recoverable(DeletedVault),
}

/// The key as preflight found it.
#[derive(Debug, Clone)]
pub enum KeyFound {
    Existing(KeyFacts),
    Absent,
    /// The vault does not exist yet, or the signed-in principal may not read its keys yet.
    NotReadable,
}

#[derive(Debug, Clone)]
pub struct Preflight {
    pub user: TokenClaims,
    pub user_id: ObjectId,
    pub service_principal: Option<ServicePrincipalInfo>,
    pub vault: VaultFound,
    pub key: KeyFound,
    pub permission_model: PermissionModel,
    /// The signed-in principal's roles on the resource group already allow reading and
    /// creating keys (data actions inherited by a new vault).
    pub inherits_key_access: bool,
}

impl Preflight {
    /// The plan, one line per step, for the confirmation prompt.
    pub fn plan(&self, spec: &OnboardSpec) -> Vec<String> {
        let mut lines = Vec::new();
        lines.push(match &self.service_principal {
            Some(sp) => format!(
                "service principal: adopt {} (object id {})",
                spec.app_label(),
                sp.id
            ),
            None if spec.via == InstallVia::Consent => format!(
                "service principal: wait for an administrator to install {} through the admin-consent URL",
                spec.app_label()
            ),
            None => format!(
                "service principal: install {} in tenant {}",
                spec.app_label(),
                self.user.tid.as_deref().unwrap_or_default()
            ),
        });
        lines.push(match &self.vault {
            VaultFound::Existing { vault, fixes } => {
                let mut line = format!("vault: adopt {}", spec.vault);
                if super::vault::location_warning(spec, vault).is_some() {
                    line.push_str(&format!(
                        " where it is, in {} (not --location {}: a vault cannot be moved)",
                        vault.location, spec.location
                    ));
                }
                if fixes.any() {
                    line.push_str(&format!(" and {}", fixes.describe()));
                }
                line
            }
            VaultFound::Absent => format!("vault: create {} in {} ({}) with soft delete, purge protection and RBAC authorization", spec.vault, spec.resource_group, spec.location),
            VaultFound::Recoverable(_) => format!("vault: recover the soft-deleted vault {}", spec.vault),
        });
        if let Some(line) = self.self_grant_line(spec) {
            lines.push(line);
        }
        lines.push(match &self.key {
            KeyFound::Existing(k) => format!("key: adopt {} ({})", spec.key, k.kid),
            _ => format!(
                "key: create {} if absent (RSA {}, operations for {})",
                spec.key,
                spec.key_size,
                spec.target.as_str()
            ),
        });
        lines.push(match self.permission_model {
            PermissionModel::Rbac => format!(
                "grant: {} on the {} to the service principal",
                super::grant::role_name(spec.target),
                match spec.scope {
                    super::GrantScope::Key => "key",
                    super::GrantScope::Vault => "vault",
                }
            ),
            PermissionModel::AccessPolicy => format!(
                "grant: access policy keys {} for the service principal",
                super::grant::policy_permissions(spec.target).join("/")
            ),
        });
        lines.push("handoff: write the handoff document for the provider".into());
        lines
    }
}

impl Preflight {
    /// Whether onboarding will grant the signed-in principal Key Vault Crypto Officer on a vault
    /// it creates (it holds no inherited key data actions).
    pub fn grants_self_on_new_vault(&self) -> bool {
        matches!(self.vault, VaultFound::Absent) && !self.inherits_key_access
    }

    /// The plan's line for the signed-in principal's own key access, when onboarding will grant
    /// it: a new vault uses Azure RBAC, where even the subscription's Owner holds no data-plane
    /// role (Key Vault RBAC guide), so creating the key needs Key Vault Crypto Officer first; an
    /// existing vault whose keys the principal may not read needs the same (or an access policy).
    fn self_grant_line(&self, spec: &OnboardSpec) -> Option<String> {
        let who = self.user.display_name();
        match (&self.vault, &self.key) {
            (VaultFound::Absent, _) if self.inherits_key_access => None,
            (VaultFound::Absent, _) => Some(format!(
                "your key access: grant {who} Key Vault Crypto Officer on the new vault {} (a new RBAC vault gives no one key access, not even its Owner), so the key can be created",
                spec.vault
            )),
            (VaultFound::Recoverable(_), _) => Some(format!(
                "your key access: if {who} cannot read the recovered vault's keys, grant Key Vault Crypto Officer (RBAC) or an access policy (keys get, create) on {}",
                spec.vault
            )),
            (VaultFound::Existing { vault, .. }, KeyFound::NotReadable) if vault.rbac() => {
                Some(format!(
                    "your key access: grant {who} Key Vault Crypto Officer on vault {} (no data-plane role there yet), so the key can be read or created",
                    spec.vault
                ))
            }
            (VaultFound::Existing { .. }, KeyFound::NotReadable) => Some(format!(
                "your key access: add an access policy (keys get, create) for {who} on vault {}, so the key can be read or created",
                spec.vault
            )),
            _ => None,
        }
    }
}

/// Runs every check that needs no write.
pub async fn run(ctx: &Ctx, spec: &OnboardSpec) -> anyhow::Result<Preflight> {
    let user = ctx
        .stack
        .signed_in(Some(&ctx.tenant), Audience::Arm)
        .await?;
    let user_id = user.object_id().ok_or_else(|| {
        Refusal::new("the access token carries no object id (oid claim)")
            .hint("sign in as a user or service principal of the customer's tenant (`az login --tenant <tenant>`)")
    })?;

    let service_principal = ctx.graph.service_principal(&spec.app_id).await?;
    if service_principal.is_none()
        && spec.via == InstallVia::Graph
        && !SP_CREATOR_ROLES
            .iter()
            .any(|(id, _)| user.has_directory_role(id))
    {
        let url = admin_consent_url(
            ctx.stack.cloud(),
            &ConsentTenant::Id(ctx.tenant),
            &spec.app_id,
            None,
        );
        return Err(Refusal::new(format!(
            "{} cannot install {} in this tenant: creating the service principal of another tenant's app needs the Global Administrator, Application Administrator or Cloud Application Administrator directory role",
            user.display_name(),
            spec.app_label()
        ))
        .hint(format!(
            "ask an administrator with one of these roles to run this command, or re-run with --via consent and have one open the admin-consent URL {url}"
        ))
        .into());
    }

    let vault = match ctx.arm.vault(&spec.vault_id()).await? {
        Some(vault) => vault,
        None => return absent_vault(ctx, spec, user, user_id, service_principal).await,
    };
    let model = vault_model(&vault);
    let fixes = check_vault(ctx, spec, &vault, model)?;
    let permissions = ctx.arm.permissions(&spec.resource_group_id()).await?;
    check_permissions(spec, &permissions, fixes.any(), model)?;
    let key = match read_key(ctx, &vault, &spec.key).await {
        Ok(Some(facts)) => {
            check_key(spec, &facts)?;
            KeyFound::Existing(facts)
        }
        Ok(None) => KeyFound::Absent,
        Err(e) if e.status() == Some(403) => KeyFound::NotReadable,
        Err(e) => return Err(e.into()),
    };
    Ok(Preflight {
        user,
        user_id,
        service_principal,
        vault: VaultFound::Existing { vault, fixes },
        key,
        permission_model: model,
        inherits_key_access: inherits_key_access(&permissions),
    })
}

/// The vault does not exist: is the name held by a soft-deleted vault, or by someone else?
async fn absent_vault(
    ctx: &Ctx,
    spec: &OnboardSpec,
    user: TokenClaims,
    user_id: ObjectId,
    service_principal: Option<ServicePrincipalInfo>,
) -> anyhow::Result<Preflight> {
    if spec.permission_model == Some(PermissionModel::AccessPolicy) {
        return Err(Refusal::new(format!(
            "--permission-model access-policy asks for a new vault {} without RBAC authorization; new vaults use Azure RBAC",
            spec.vault
        ))
        .hint("omit --permission-model (new vaults use RBAC), or create the vault with access policies yourself and re-run")
        .into());
    }
    let deleted = ctx
        .arm
        .deleted_vault(spec.subscription, &spec.location, &spec.vault)
        .await?;
    let found = match deleted {
        Some(d) if spec.recover => VaultFound::Recoverable(d),
        Some(d) => {
            let purge = d
                .scheduled_purge_date()
                .map(|p| format!(" (it will be purged on {p})"))
                .unwrap_or_default();
            return Err(Refusal::new(format!(
                "the vault name {} is held by a soft-deleted vault in {}{purge}",
                spec.vault, spec.location
            ))
            .hint(format!(
                "re-run with --recover to recover it with its keys, or choose another --vault name (purging it with `az keyvault purge --name {}` destroys its keys for good)",
                spec.vault
            ))
            .into());
        }
        None => {
            let availability = ctx
                .arm
                .check_vault_name(spec.subscription, &spec.vault)
                .await?;
            if !availability.name_available {
                return Err(Refusal::new(format!(
                    "the vault name {} is taken: {}",
                    spec.vault,
                    availability
                        .message
                        .unwrap_or_else(|| "vault names are unique across Azure".into())
                ))
                .hint("choose another --vault name (3-24 letters, digits and hyphens, unique across Azure)")
                .into());
            }
            VaultFound::Absent
        }
    };
    let permissions = ctx.arm.permissions(&spec.resource_group_id()).await?;
    check_permissions(spec, &permissions, true, PermissionModel::Rbac)?;
    Ok(Preflight {
        user,
        user_id,
        service_principal,
        vault: found,
        key: KeyFound::NotReadable,
        permission_model: PermissionModel::Rbac,
        inherits_key_access: inherits_key_access(&permissions),
    })
}

/// Key Vault RBAC data actions to read and create keys, held at the resource group or above
/// (authorization/builtin-roles: Key Vault Administrator, Crypto Officer).
fn inherits_key_access(permissions: &[Permission]) -> bool {
    [
        "Microsoft.KeyVault/vaults/keys/read",
        "Microsoft.KeyVault/vaults/keys/create/action",
    ]
    .iter()
    .all(|a| allows_data_action(permissions, a))
}

/// The signed-in principal must be able to write vaults (when one is created or fixed) and the
/// grant (role assignments or access policies) on the resource group.
fn check_permissions(
    spec: &OnboardSpec,
    permissions: &[Permission],
    writes_vault: bool,
    model: PermissionModel,
) -> Result<(), Refusal> {
    let mut missing = Vec::new();
    if writes_vault && !allows_action(permissions, VAULT_WRITE) {
        missing.push(VAULT_WRITE);
    }
    let grant = match model {
        PermissionModel::Rbac => ROLE_ASSIGNMENT_WRITE,
        PermissionModel::AccessPolicy => ACCESS_POLICY_WRITE,
    };
    if !allows_action(permissions, grant) {
        missing.push(grant);
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(Refusal::new(format!(
        "you may not do everything onboarding needs on resource group {}: missing {}",
        spec.resource_group,
        missing.join(", ")
    ))
    .hint(format!(
        "ask for the Owner role (or Key Vault Contributor plus Role Based Access Control Administrator) on resource group {} in subscription {}, then re-run",
        spec.resource_group, spec.subscription
    )))
}
