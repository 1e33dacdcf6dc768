//! Every grant the provider's service principal holds on a key, however it was made: role
//! assignments at the key, its vault, the resource group or the subscription whose role (built-in
//! or custom) allows key data actions, and the vault's access-policy entries. `status` reports
//! them, `revoke` removes the ones this toolkit made (or all, when asked) and says what remains,
//! and a re-onboard that moves the grant removes the one it replaces.

use super::grant::{assignment_name, provider_role};
use crate::clients::arm::permissions::allows_data_action;
use crate::clients::arm::role_assignments::RoleAssignment;
use crate::clients::arm::role_definitions::role_definition_guid;
use crate::clients::arm::vaults::Vault;
use crate::context::Ctx;
use crate::documents::{EncryptionTarget, PermissionModel};
use crate::http::HttpError;
use crate::{ObjectId, ResourceId};
use std::collections::BTreeMap;

/// A key data action and how access policies and messages name it.
const KEY_ACTIONS: [(&str, &str); 5] = [
    ("Microsoft.KeyVault/vaults/keys/read", "get"),
    ("Microsoft.KeyVault/vaults/keys/wrap/action", "wrapKey"),
    ("Microsoft.KeyVault/vaults/keys/unwrap/action", "unwrapKey"),
    ("Microsoft.KeyVault/vaults/keys/encrypt/action", "encrypt"),
    ("Microsoft.KeyVault/vaults/keys/decrypt/action", "decrypt"),
];

/// What a target needs of the key, as access policies name it.
pub fn needed(target: EncryptionTarget) -> [&'static str; 3] {
    match target {
        EncryptionTarget::Cosmos => ["get", "wrapKey", "unwrapKey"],
        EncryptionTarget::Atlas => ["get", "encrypt", "decrypt"],
    }
}

/// How a grant was made.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum GrantSource {
    /// A role assignment (its full id) of a role at a scope.
    #[serde(rename_all = "camelCase")]
    RoleAssignment {
        scope: String,
        role_definition_id: String,
        role_name: String,
    },
    /// The vault's access-policy entry for the principal.
    AccessPolicy { keys: Vec<String> },
}

/// One grant of the provider's service principal that reaches the key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundGrant {
    /// The role assignment's id, or `<vault>/accessPolicies/<object id>`.
    pub id: String,
    #[serde(flatten)]
    pub source: GrantSource,
    /// Made by this toolkit (a role assignment under its deterministic name, or the access
    /// policy the handoff says onboarding made).
    pub ours: bool,
    /// The vault's permission model honours it (RBAC vaults ignore access policies and the
    /// other way round).
    pub effective: bool,
    /// The key operations it allows (`get`, `wrapKey`, …).
    pub allows: Vec<&'static str>,
}

impl FoundGrant {
    /// Whether it gives everything `target` needs.
    pub fn suffices(&self, target: EncryptionTarget) -> bool {
        self.effective && needed(target).iter().all(|n| self.allows.contains(n))
    }

    /// `Key Vault Crypto Service Encryption User at /subscriptions/…/keys/cmk (get, wrapKey, unwrapKey)`.
    pub fn describe(&self) -> String {
        let what = match &self.source {
            GrantSource::RoleAssignment {
                scope, role_name, ..
            } => format!("{role_name} at {scope}"),
            GrantSource::AccessPolicy { .. } => format!("access policy {}", self.id),
        };
        let mut s = format!("{what} ({})", self.allows.join(", "));
        if !self.effective {
            s.push_str(", not in effect: the vault uses the other permission model");
        }
        if !self.ours {
            s.push_str(", not made by onboarding");
        }
        s
    }
}

fn scope_id(scope: &str) -> Option<ResourceId> {
    ResourceId::parse_field("scope", scope).ok()
}

/// Every grant of `sp` that reaches key `key_scope` (`…/vaults/{v}/keys/{k}`) of `vault`.
/// `model` is the permission model onboarding used (its access policy counts as ours).
pub async fn find(
    ctx: &Ctx,
    key_scope: &ResourceId,
    vault: Option<&Vault>,
    sp: &ObjectId,
    model: PermissionModel,
) -> Result<Vec<FoundGrant>, HttpError> {
    let rbac = vault.is_none_or(Vault::rbac);
    let mut found = Vec::new();
    let assignments = ctx.arm.role_assignments_for(key_scope, sp).await?;
    let mut definitions: BTreeMap<String, (String, Vec<&'static str>)> = BTreeMap::new();
    for ra in assignments {
        let Some(found_grant) =
            from_assignment(ctx, key_scope, sp, &ra, rbac, &mut definitions).await?
        else {
            continue;
        };
        found.push(found_grant);
    }
    if let Some(vault) = vault {
        for entry in &vault.properties.access_policies {
            if !entry.object_id.eq_ignore_ascii_case(&sp.to_string()) {
                continue;
            }
            let allows: Vec<&'static str> = KEY_ACTIONS
                .iter()
                .map(|(_, name)| *name)
                .filter(|name| entry.allows_keys(&[name]))
                .collect();
            if allows.is_empty() {
                continue;
            }
            found.push(FoundGrant {
                id: format!("{}/accessPolicies/{sp}", vault.name),
                source: GrantSource::AccessPolicy {
                    keys: entry.permissions.keys.clone(),
                },
                ours: model == PermissionModel::AccessPolicy,
                effective: !rbac,
                allows,
            });
        }
    }
    // Ours first, then by id, so reports read the same every time.
    found.sort_by(|a, b| b.ours.cmp(&a.ours).then(a.id.cmp(&b.id)));
    Ok(found)
}

/// A role assignment of `sp` at, above or below the key, if it covers the key and its role
/// allows key data actions.
async fn from_assignment(
    ctx: &Ctx,
    key_scope: &ResourceId,
    sp: &ObjectId,
    ra: &RoleAssignment,
    rbac: bool,
    definitions: &mut BTreeMap<String, (String, Vec<&'static str>)>,
) -> Result<Option<FoundGrant>, HttpError> {
    if !ra
        .properties
        .principal_id
        .eq_ignore_ascii_case(&sp.to_string())
    {
        return Ok(None);
    }
    let scope = ra.properties.scope.clone().unwrap_or_default();
    // Only scopes at or above the key reach it (ARM's list also returns scopes below).
    let key_text = key_scope.to_string().to_ascii_lowercase();
    let scope_text = scope.to_ascii_lowercase();
    if !(key_text == scope_text || key_text.starts_with(&format!("{scope_text}/"))) {
        return Ok(None);
    }
    let definition_id = ra.properties.role_definition_id.clone();
    let key = definition_id.to_ascii_lowercase();
    if !definitions.contains_key(&key) {
        let (name, allows) = match ctx.arm.role_definition_by_id(&definition_id).await? {
            Some(def) => (
                def.properties
                    .role_name
                    .clone()
                    .unwrap_or_else(|| role_definition_guid(&definition_id).to_string()),
                KEY_ACTIONS
                    .iter()
                    .filter(|(action, _)| allows_data_action(&def.properties.permissions, action))
                    .map(|(_, name)| *name)
                    .collect(),
            ),
            None => (role_definition_guid(&definition_id).to_string(), Vec::new()),
        };
        definitions.insert(key.clone(), (name, allows));
    }
    let (role_name, allows) = definitions[&key].clone();
    if allows.is_empty() {
        return Ok(None);
    }
    let guid = role_definition_guid(&definition_id);
    let ours = scope_id(&scope).is_some_and(|s| {
        assignment_name(&s, guid, sp)
            .to_string()
            .eq_ignore_ascii_case(&ra.name)
    });
    Ok(Some(FoundGrant {
        id: ra.id.clone(),
        source: GrantSource::RoleAssignment {
            scope,
            role_definition_id: definition_id,
            role_name,
        },
        ours,
        effective: rbac,
        allows,
    }))
}

/// The provider role this toolkit grants for `target`, for messages.
pub fn is_provider_role(spec_role: &str, found: &FoundGrant) -> bool {
    matches!(&found.source, GrantSource::RoleAssignment { role_definition_id, .. }
        if role_definition_guid(role_definition_id).eq_ignore_ascii_case(spec_role))
}

/// The role GUID onboarding grants for this spec (re-exported for the re-scope check).
pub fn onboarding_role(spec: &crate::ops::onboard::OnboardSpec) -> String {
    provider_role(spec)
}
