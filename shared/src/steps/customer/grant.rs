//! The provider's grant on the key: a role assignment (RBAC vaults) or an access policy.
//!
//! Role assignments (authorization 2022-04-01): the name is any GUID, so it is derived from
//! scope, role and principal (UUID v5) and a re-run finds it; `principalType` is sent so a
//! service principal that is not replicated yet does not fail with `PrincipalNotFound` (which
//! can still happen for a while, so it is retried, bounded); 409 `RoleAssignmentExists` means
//! the same grant exists under another name, which is success.

use crate::clients::arm::role_assignments::{RoleAssignment, role_assignment_body};
use crate::clients::arm::role_definitions::{builtin, role_definition_id};
use crate::clients::arm::vaults::{AccessPermissions, AccessPolicyEntry, Vault};
use crate::context::{Ctx, PROPAGATION_ATTEMPTS};
use crate::documents::{EncryptionTarget, PermissionModel};
use crate::http::HttpError;
use crate::ops::onboard::OnboardSpec;
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::ReporterExt;
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

/// The signed-in principal, as role assignments name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub id: ObjectId,
    pub kind: PrincipalKind,
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
pub fn provider_role(spec: &OnboardSpec) -> String {
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
    // One read: the principal's assignments at this scope hold ours (by its name) or another
    // one of the same role, which is adopted.
    if let Some(found) = same_grant(ctx, scope, role, principal).await? {
        if found.name.eq_ignore_ascii_case(&name) {
            return Ok((Outcome::Unchanged, id));
        }
        return Ok((Outcome::Adopted, parse_id(&found.id)?));
    }
    let body = {
        let mut b = role_assignment_body(
            &role_definition_id(&subscription.to_string(), role),
            principal,
        );
        b["properties"]["principalType"] = json!(kind.as_str());
        b
    };
    let put = ctx
        .retrying(
            "the principal to replicate to Azure RBAC",
            PROPAGATION_ATTEMPTS,
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
pub async fn same_grant(
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

/// The Atlas custom role's definition body: exactly the actions DESIGN.md §3 lists.
fn atlas_role_body(scope: &ResourceId) -> serde_json::Value {
    json!({
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
    })
}

/// The Atlas role's id in the spec's subscription.
fn atlas_role_label(spec: &OnboardSpec) -> String {
    role_definition_id(
        &spec.subscription.to_string(),
        &atlas_role_guid(spec.subscription).to_string(),
    )
}

/// Whether the custom Atlas role exists in the subscription (one per subscription, reused).
pub async fn plan_atlas_role(ctx: &Ctx, spec: &OnboardSpec) -> anyhow::Result<Action> {
    let guid = atlas_role_guid(spec.subscription).to_string();
    let scope = ResourceId::subscription_scope(spec.subscription);
    Ok(match ctx.arm.role_definition(&scope, &guid).await? {
        Some(_) => Action::Keep,
        None => Action::Create,
    })
}

pub fn atlas_role_step(spec: &OnboardSpec, action: Action) -> PlannedStep {
    let step = PlannedStep::new(StepKind::AtlasRole, action, atlas_role_label(spec));
    match action {
        Action::Create => step.detail(format!(
            "custom role `{ATLAS_ROLE_NAME}` at subscription scope: vaults/read, keys/read, keys/encrypt, keys/decrypt"
        )),
        _ => step,
    }
}

/// Creates the custom Atlas role when the plan found none.
pub async fn apply_atlas_role(
    ctx: &Ctx,
    spec: &OnboardSpec,
    action: Action,
) -> anyhow::Result<StepReport> {
    let planned = atlas_role_step(spec, action);
    if action != Action::Create {
        return Ok(planned.predicted());
    }
    ctx.reporter.started(StepKind::AtlasRole, &planned.resource);
    let guid = atlas_role_guid(spec.subscription).to_string();
    let scope = ResourceId::subscription_scope(spec.subscription);
    ctx.arm
        .put_role_definition(&scope, &guid, &atlas_role_body(&scope))
        .await?;
    Ok(StepReport {
        outcome: Outcome::Created,
        ..planned.predicted()
    })
}

/// What the plan decided for the provider's grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantPlan {
    /// The role assignment under the tool's own name exists.
    KeepAssignment(ResourceId),
    /// The same role for the same principal at the same scope exists under another name.
    AdoptAssignment(ResourceId),
    /// Create the role assignment (its id, when the service principal exists already).
    CreateAssignment(Option<ResourceId>),
    KeepPolicy,
    CreatePolicy,
}

impl GrantPlan {
    /// The role assignment the handoff will name, when known.
    pub fn assignment_id(&self) -> Option<&ResourceId> {
        match self {
            GrantPlan::KeepAssignment(id) | GrantPlan::AdoptAssignment(id) => Some(id),
            GrantPlan::CreateAssignment(id) => id.as_ref(),
            _ => None,
        }
    }
}

/// The deterministic id of the provider's role assignment.
pub fn assignment_id(spec: &OnboardSpec, sp: &ObjectId) -> ResourceId {
    let scope = spec.grant_scope_id();
    let name = assignment_name(&scope, &provider_role(spec), sp).to_string();
    scope.extension("Microsoft.Authorization", "roleAssignments", &name)
}

/// Decides the grant. `sp` and `vault` are what exists now (`None`: the run creates them).
pub async fn plan(
    ctx: &Ctx,
    spec: &OnboardSpec,
    sp: Option<&ObjectId>,
    vault: Option<&Vault>,
    model: PermissionModel,
) -> anyhow::Result<GrantPlan> {
    Ok(match model {
        PermissionModel::Rbac => match (sp, vault) {
            (Some(sp), Some(_)) => {
                let role = provider_role(spec);
                let scope = spec.grant_scope_id();
                let name = assignment_name(&scope, &role, sp).to_string();
                let id = assignment_id(spec, sp);
                if ctx
                    .arm
                    .role_assignment(&scope, &name)
                    .await?
                    .is_some_and(|ra| ra.grants(sp, &role))
                {
                    GrantPlan::KeepAssignment(id)
                } else if let Some(other) = same_grant(ctx, &scope, &role, sp).await? {
                    GrantPlan::AdoptAssignment(parse_id(&other.id)?)
                } else {
                    GrantPlan::CreateAssignment(Some(id))
                }
            }
            (Some(sp), None) => GrantPlan::CreateAssignment(Some(assignment_id(spec, sp))),
            (None, _) => GrantPlan::CreateAssignment(None),
        },
        PermissionModel::AccessPolicy => {
            let wanted = policy_permissions(spec.target);
            let present = match (sp, vault) {
                (Some(sp), Some(v)) => v.properties.access_policies.iter().any(|p| {
                    p.object_id.eq_ignore_ascii_case(&sp.to_string()) && p.allows_keys(&wanted)
                }),
                _ => false,
            };
            if present {
                GrantPlan::KeepPolicy
            } else {
                GrantPlan::CreatePolicy
            }
        }
    })
}

fn policy_label(spec: &OnboardSpec, sp: Option<&ObjectId>) -> String {
    match sp {
        Some(sp) => format!("{}/accessPolicies/{sp}", spec.vault),
        None => format!("{}/accessPolicies (the new service principal)", spec.vault),
    }
}

/// The plan's step for the grant.
pub fn step(spec: &OnboardSpec, plan: &GrantPlan, sp: Option<&ObjectId>) -> PlannedStep {
    let who = match sp {
        Some(sp) => format!("service principal {sp}"),
        None => "the new service principal".to_string(),
    };
    let rbac = format!("{} for {who}", role_name(spec.target));
    let policy = format!(
        "access policy keys {}",
        policy_permissions(spec.target).join("/")
    );
    match plan {
        GrantPlan::KeepAssignment(id) => {
            PlannedStep::new(StepKind::Grant, Action::Keep, id.to_string()).detail(rbac)
        }
        GrantPlan::AdoptAssignment(id) => {
            PlannedStep::new(StepKind::Grant, Action::Adopt, id.to_string()).detail(rbac)
        }
        GrantPlan::CreateAssignment(Some(id)) => {
            PlannedStep::new(StepKind::Grant, Action::Create, id.to_string()).detail(rbac)
        }
        GrantPlan::CreateAssignment(None) => PlannedStep::new(
            StepKind::Grant,
            Action::Create,
            spec.grant_scope_id().to_string(),
        )
        .detail(rbac),
        GrantPlan::KeepPolicy => {
            PlannedStep::new(StepKind::Grant, Action::Keep, policy_label(spec, sp)).detail(policy)
        }
        GrantPlan::CreatePolicy => {
            PlannedStep::new(StepKind::Grant, Action::Create, policy_label(spec, sp)).detail(policy)
        }
    }
}

/// Grants the provider's service principal access to the key; returns the report and the role
/// assignment's id (RBAC).
pub async fn apply(
    ctx: &Ctx,
    spec: &OnboardSpec,
    plan: &GrantPlan,
    sp: &ObjectId,
) -> anyhow::Result<(StepReport, Option<ResourceId>)> {
    let planned = step(spec, plan, Some(sp));
    match plan {
        GrantPlan::KeepAssignment(id) | GrantPlan::AdoptAssignment(id) => {
            Ok((planned.predicted(), Some(id.clone())))
        }
        GrantPlan::CreateAssignment(_) => {
            ctx.reporter.started(StepKind::Grant, &planned.resource);
            let (outcome, id) = assign_role(
                ctx,
                &spec.grant_scope_id(),
                &provider_role(spec),
                sp,
                PrincipalKind::ServicePrincipal,
                spec.subscription,
            )
            .await?;
            let report = StepReport::new(StepKind::Grant, outcome, id.to_string())
                .detail(planned.detail.clone().unwrap_or_default());
            Ok((report, Some(id)))
        }
        GrantPlan::KeepPolicy => Ok((planned.predicted(), None)),
        GrantPlan::CreatePolicy => {
            ctx.reporter.started(StepKind::Grant, &planned.resource);
            let entry = AccessPolicyEntry {
                tenant_id: ctx.tenant.to_string(),
                object_id: sp.to_string(),
                permissions: AccessPermissions {
                    keys: policy_permissions(spec.target)
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                },
            };
            ctx.arm
                .update_access_policy(&spec.vault_id(), "add", &[entry])
                .await?;
            Ok((
                StepReport {
                    outcome: Outcome::Created,
                    ..planned.predicted()
                },
                None,
            ))
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
