//! The provider's grant on the key: a role assignment (RBAC vaults) or an access policy.
//!
//! Role assignments (authorization 2022-04-01): the name is any GUID, so it is derived from
//! scope, role and principal (UUID v5) and a re-run finds it; `principalType` is sent so a
//! service principal that is not replicated yet does not fail with `PrincipalNotFound` (which
//! can still happen for a while, so it is retried, bounded); 409 `RoleAssignmentExists` means
//! the same grant exists under another name, which is success.

use super::wait::retrying;
use super::{Ctx, OnboardSpec};
use crate::clients::arm_authorization::{
    RoleAssignment, builtin, role_assignment_body, role_definition_id,
};
use crate::clients::arm_vaults::{AccessPermissions, AccessPolicyEntry, Vault};
use crate::documents::{EncryptionTarget, PermissionModel};
use crate::http::HttpError;
use crate::output::{Outcome, StepReport};
use crate::{ObjectId, ResourceId, SubscriptionId};
use serde_json::json;
use uuid::Uuid;

/// Namespace of the deterministic role assignment and custom role names.
const NAMESPACE: Uuid = Uuid::from_u128(0x5d1c_8a0e_7f43_4b6a_9c2e_0b1f_3a7d_c4e8);

/// Who a role assignment is for (`principalType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    ServicePrincipal,
}

impl PrincipalKind {
    /// A signed-in user, or an application (service principal, managed identity).
    pub fn of(claims: &crate::http::TokenClaims) -> Self {
        if claims.is_application() {
            PrincipalKind::ServicePrincipal
        } else {
            PrincipalKind::User
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "User",
            PrincipalKind::ServicePrincipal => "ServicePrincipal",
        }
    }
}

/// The role assignment name for `principal` holding `role` at `scope`: UUID v5 of the three,
/// lower-cased, so every run computes the same one.
pub fn assignment_name(scope: &ResourceId, role: &str, principal: &ObjectId) -> Uuid {
    let text = format!("{scope}|{role}|{principal}").to_ascii_lowercase();
    Uuid::new_v5(&NAMESPACE, text.as_bytes())
}

/// The role the provider's service principal gets, by name.
pub fn role_name(target: EncryptionTarget) -> &'static str {
    match target {
        EncryptionTarget::Cosmos => "Key Vault Crypto Service Encryption User",
        EncryptionTarget::Atlas => ATLAS_ROLE_NAME,
    }
}

/// The access-policy key permissions the provider gets (DESIGN.md §3).
pub fn policy_permissions(target: EncryptionTarget) -> Vec<&'static str> {
    match target {
        EncryptionTarget::Cosmos => vec!["get", "wrapKey", "unwrapKey"],
        EncryptionTarget::Atlas => vec!["get", "encrypt", "decrypt"],
    }
}

/// The least-privilege custom role for Atlas: exactly the actions DESIGN.md §3 lists.
pub const ATLAS_ROLE_NAME: &str = "xtcmk Atlas Key Encryption User";

/// The custom Atlas role's GUID in a subscription (one per subscription, reused).
pub fn atlas_role_guid(subscription: SubscriptionId) -> Uuid {
    Uuid::new_v5(
        &NAMESPACE,
        format!("atlas-role|{subscription}")
            .to_ascii_lowercase()
            .as_bytes(),
    )
}

/// The role definition GUID the provider's grant uses.
fn provider_role(spec: &OnboardSpec) -> String {
    match spec.target {
        EncryptionTarget::Cosmos => builtin::KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER.into(),
        EncryptionTarget::Atlas => atlas_role_guid(spec.subscription).to_string(),
    }
}

fn principal_not_found(e: &HttpError) -> bool {
    e.is(400, "PrincipalNotFound")
}

/// Reads, then creates if absent, the assignment of `role` to `principal` at `scope`.
/// Returns what happened and the assignment's id.
pub async fn assign_role(
    ctx: &Ctx,
    scope: &ResourceId,
    role: &str,
    principal: &ObjectId,
    kind: PrincipalKind,
    subscription: SubscriptionId,
) -> anyhow::Result<(Outcome, ResourceId)> {
    let name = assignment_name(scope, role, principal).to_string();
    let id = scope.extension("Microsoft.Authorization", "roleAssignments", &name);
    if let Some(existing) = ctx.arm.role_assignment(scope, &name).await?
        && existing.grants(principal, role)
    {
        return Ok((Outcome::Unchanged, id));
    }
    if let Some(other) = same_grant(ctx, scope, role, principal).await? {
        return Ok((Outcome::Adopted, parse_id(&other.id)?));
    }
    if ctx.dry_run {
        return Ok((Outcome::WouldCreate, id));
    }
    let body = {
        let mut b = role_assignment_body(
            &role_definition_id(&subscription.to_string(), role),
            principal,
        );
        b["properties"]["principalType"] = json!(kind.as_str());
        b
    };
    let put = retrying(
        ctx,
        "the service principal to replicate to Azure RBAC",
        principal_not_found,
        || ctx.arm.put_role_assignment(scope, &name, &body),
    )
    .await;
    match put {
        Ok(_) => Ok((Outcome::Created, id)),
        Err(e) if e.is(409, "RoleAssignmentExists") => {
            match same_grant(ctx, scope, role, principal).await? {
                Some(other) => Ok((Outcome::Adopted, parse_id(&other.id)?)),
                None => Ok((Outcome::Adopted, id)),
            }
        }
        Err(e) => Err(e.into()),
    }
}

fn parse_id(id: &str) -> anyhow::Result<ResourceId> {
    Ok(ResourceId::parse_field("roleAssignment.id", id)?)
}

/// An assignment of the same role to the same principal at exactly this scope, under any name.
async fn same_grant(
    ctx: &Ctx,
    scope: &ResourceId,
    role: &str,
    principal: &ObjectId,
) -> Result<Option<RoleAssignment>, HttpError> {
    let list = ctx.arm.role_assignments_for(scope, principal).await?;
    let scope_text = scope.to_string();
    Ok(list.into_iter().find(|ra| {
        ra.grants(principal, role)
            && ra
                .properties
                .scope
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(&scope_text))
    }))
}

/// Creates the custom Atlas role in the subscription once; later runs find it.
async fn ensure_atlas_role(
    ctx: &Ctx,
    spec: &OnboardSpec,
    reports: &mut Vec<StepReport>,
) -> anyhow::Result<()> {
    let guid = atlas_role_guid(spec.subscription).to_string();
    let scope = ResourceId::subscription_scope(spec.subscription);
    let label = role_definition_id(&spec.subscription.to_string(), &guid);
    if ctx.arm.role_definition(&scope, &guid).await?.is_some() {
        ctx.report(
            reports,
            StepReport::new("atlas role", Outcome::Unchanged, label),
        );
        return Ok(());
    }
    if ctx.dry_run {
        ctx.report(
            reports,
            StepReport::new("atlas role", Outcome::WouldCreate, label),
        );
        return Ok(());
    }
    let body = json!({
        "properties": {
            "roleName": ATLAS_ROLE_NAME,
            "description": "Lets MongoDB Atlas read a customer-managed key and encrypt and decrypt with it (least privilege).",
            "type": "CustomRole",
            "permissions": [{
                "actions": ["Microsoft.KeyVault/vaults/read", "Microsoft.KeyVault/vaults/keys/read"],
                "notActions": [],
                "dataActions": [
                    "Microsoft.KeyVault/vaults/keys/read",
                    "Microsoft.KeyVault/vaults/keys/encrypt/action",
                    "Microsoft.KeyVault/vaults/keys/decrypt/action"
                ],
                "notDataActions": []
            }],
            "assignableScopes": [scope.to_string()],
        }
    });
    ctx.arm.put_role_definition(&scope, &guid, &body).await?;
    ctx.report(
        reports,
        StepReport::new("atlas role", Outcome::Created, label),
    );
    Ok(())
}

/// The provider's grant as made (or found).
#[derive(Debug, Clone)]
pub struct Granted {
    pub outcome: Outcome,
    pub role_assignment_id: Option<ResourceId>,
}

/// Grants the provider's service principal access to the key.
pub async fn ensure(
    ctx: &Ctx,
    spec: &OnboardSpec,
    sp: &ObjectId,
    vault: Option<&Vault>,
    model: PermissionModel,
    reports: &mut Vec<StepReport>,
) -> anyhow::Result<Granted> {
    match model {
        PermissionModel::Rbac => {
            if spec.target == EncryptionTarget::Atlas {
                ensure_atlas_role(ctx, spec, reports).await?;
            }
            let role = provider_role(spec);
            let scope = spec.grant_scope_id();
            let (outcome, id) = if vault.is_none() {
                let name = assignment_name(&scope, &role, sp).to_string();
                (
                    Outcome::WouldCreate,
                    scope.extension("Microsoft.Authorization", "roleAssignments", &name),
                )
            } else {
                assign_role(
                    ctx,
                    &scope,
                    &role,
                    sp,
                    PrincipalKind::ServicePrincipal,
                    spec.subscription,
                )
                .await?
            };
            ctx.report(
                reports,
                StepReport::new("grant", outcome, id.to_string()).detail(format!(
                    "{} for service principal {sp}",
                    role_name(spec.target)
                )),
            );
            Ok(Granted {
                outcome,
                role_assignment_id: Some(id),
            })
        }
        PermissionModel::AccessPolicy => {
            let wanted = policy_permissions(spec.target);
            let label = format!("{}/accessPolicies/{sp}", spec.vault);
            let present = vault.is_some_and(|v| {
                v.properties.access_policies.iter().any(|p| {
                    p.object_id.eq_ignore_ascii_case(&sp.to_string()) && p.allows_keys(&wanted)
                })
            });
            let outcome = if present {
                Outcome::Unchanged
            } else if ctx.dry_run {
                Outcome::WouldCreate
            } else {
                let entry = AccessPolicyEntry {
                    tenant_id: ctx.tenant.to_string(),
                    object_id: sp.to_string(),
                    permissions: AccessPermissions {
                        keys: wanted.iter().map(|s| s.to_string()).collect(),
                    },
                };
                ctx.arm
                    .update_access_policy(&spec.vault_id(), "add", &[entry])
                    .await?;
                Outcome::Created
            };
            ctx.report(
                reports,
                StepReport::new("grant", outcome, label)
                    .detail(format!("access policy keys {}", wanted.join("/"))),
            );
            Ok(Granted {
                outcome,
                role_assignment_id: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_names_are_stable_and_differ_per_scope_role_and_principal() {
        let sub: SubscriptionId = "20000000-0000-4000-8000-0000000000a1".parse().unwrap();
        let key = ResourceId::key(sub, "rg", "kv", "cmk");
        let vault = ResourceId::vault(sub, "rg", "kv");
        let sp: ObjectId = "30000000-0000-4000-8000-000000000001".parse().unwrap();
        let other: ObjectId = "30000000-0000-4000-8000-000000000002".parse().unwrap();
        let role = builtin::KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER;
        let name = assignment_name(&key, role, &sp);
        assert_eq!(name, assignment_name(&key, role, &sp));
        assert_eq!(name.get_version_num(), 5);
        assert_ne!(name, assignment_name(&vault, role, &sp));
        assert_ne!(
            name,
            assignment_name(&key, builtin::KEY_VAULT_CRYPTO_USER, &sp)
        );
        assert_ne!(name, assignment_name(&key, role, &other));
        // Case does not matter: ARM ids compare case-insensitively.
        let upper = ResourceId::key(sub, "RG", "KV", "CMK");
        assert_eq!(name, assignment_name(&upper, role, &sp));
    }

    #[test]
    fn the_atlas_role_is_one_per_subscription() {
        let a: SubscriptionId = "20000000-0000-4000-8000-0000000000a1".parse().unwrap();
        let b: SubscriptionId = "20000000-0000-4000-8000-0000000000a2".parse().unwrap();
        assert_eq!(atlas_role_guid(a), atlas_role_guid(a));
        assert_ne!(atlas_role_guid(a), atlas_role_guid(b));
        assert_eq!(
            policy_permissions(EncryptionTarget::Cosmos),
            ["get", "wrapKey", "unwrapKey"]
        );
        assert_eq!(
            policy_permissions(EncryptionTarget::Atlas),
            ["get", "encrypt", "decrypt"]
        );
    }
}
