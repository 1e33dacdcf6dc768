//! Key Vault management (keyvault-mgmt 2026-02-01): vault PUT (long-running), GET, PATCH,
//! DELETE (soft delete), the global name check, soft-deleted vaults, and access-policy updates.
//!
//! Azure's rules kept here:
//! - vault names are unique across the cloud: a name used by another vault → 409
//!   `VaultAlreadyExists`; held by a soft-deleted vault → 409 `ConflictError` unless
//!   `createMode: recover` (which without such a vault is `SoftDeletedVaultDoesNotExist`);
//! - `enablePurgeProtection` never accepts false, and once on it stays on; soft delete cannot be
//!   turned off once on;
//! - writes need `Microsoft.KeyVault/vaults/write` (access policies:
//!   `Microsoft.KeyVault/vaults/accessPolicies/write`) on the scope: 403 `AuthorizationFailed`.

use super::operations::{self, DEFAULT_STEPS};
use super::{error, permissions};
use crate::contract::{Dialect, ModelInfo, SpecModel, SpecRef, decode, struct_info};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::scenario::valid_vault_name;
use crate::state::{ArmResource, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use xtcmk::SubscriptionId;

const KIND: &str = "Microsoft.KeyVault/vaults";
const SPEC: &str = "keyvault-mgmt/2026-02-01/openapi.vaults.excerpt.json";
const VAULT: &str =
    "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}";

pub fn routes() -> Vec<Route> {
    vec![
        Route::get(VAULT, get),
        Route::put(VAULT, put),
        Route::patch(VAULT, patch),
        Route::delete(VAULT, delete),
        Route::get(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/operationStatuses/{op}",
            operations::poll,
        ),
        Route::put(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/accessPolicies/{kind}",
            access_policies,
        ),
        Route::post_read(
            "/subscriptions/{sub}/providers/Microsoft.KeyVault/checkNameAvailability",
            check_name,
        ),
        Route::get(
            "/subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{vault}",
            deleted,
        ),
    ]
}

const fn spec(definition: &'static str) -> SpecRef {
    SpecRef {
        file: SPEC,
        definition,
    }
}

/// `VaultCreateOrUpdateParameters`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultCreateOrUpdateParameters {
    pub location: String,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    pub properties: VaultProperties,
}

impl SpecModel for VaultCreateOrUpdateParameters {
    const SPEC: SpecRef = spec("VaultCreateOrUpdateParameters");
    fn example() -> Value {
        json!({ "location": "westeurope", "properties": VaultProperties::example() })
    }
}

/// `VaultProperties` (read-only members accepted and ignored).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultProperties {
    pub tenant_id: String,
    pub sku: Sku,
    #[serde(default)]
    pub access_policies: Option<Vec<Value>>,
    #[serde(default)]
    pub vault_uri: Option<String>,
    #[serde(default)]
    pub hsm_pool_resource_id: Option<Value>,
    #[serde(default)]
    pub enabled_for_deployment: Option<bool>,
    #[serde(default)]
    pub enabled_for_disk_encryption: Option<bool>,
    #[serde(default)]
    pub enabled_for_template_deployment: Option<bool>,
    #[serde(default)]
    pub enable_soft_delete: Option<bool>,
    #[serde(default)]
    pub soft_delete_retention_in_days: Option<i64>,
    #[serde(default)]
    pub enable_rbac_authorization: Option<bool>,
    #[serde(default)]
    pub create_mode: Option<CreateMode>,
    #[serde(default)]
    pub enable_purge_protection: Option<bool>,
    #[serde(default)]
    pub network_acls: Option<Value>,
    #[serde(default)]
    pub provisioning_state: Option<Value>,
    #[serde(default)]
    pub private_endpoint_connections: Option<Value>,
    #[serde(default)]
    pub public_network_access: Option<String>,
}

impl SpecModel for VaultProperties {
    const SPEC: SpecRef = spec("VaultProperties");
    fn example() -> Value {
        json!({
            "tenantId": "00000000-0000-0000-0000-000000000001",
            "sku": { "family": "A", "name": "standard" },
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sku {
    pub family: SkuFamily,
    pub name: SkuName,
}

impl SpecModel for Sku {
    const SPEC: SpecRef = spec("Sku");
    fn example() -> Value {
        json!({ "family": "A", "name": "standard" })
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum SkuFamily {
    A,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SkuName {
    Standard,
    Premium,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CreateMode {
    Recover,
    Default,
}

/// `VaultPatchParameters`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultPatchParameters {
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub properties: Option<Map<String, Value>>,
}

/// The members `VaultPatchProperties` has (2026-02-01).
const PATCH_MEMBERS: [&str; 13] = [
    "tenantId",
    "sku",
    "accessPolicies",
    "enabledForDeployment",
    "enabledForDiskEncryption",
    "enabledForTemplateDeployment",
    "enableSoftDelete",
    "enableRbacAuthorization",
    "softDeleteRetentionInDays",
    "createMode",
    "enablePurgeProtection",
    "networkAcls",
    "publicNetworkAccess",
];

/// `VaultAccessPolicyParameters`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultAccessPolicyParameters {
    pub properties: VaultAccessPolicyProperties,
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub name: Option<Value>,
    #[serde(default, rename = "type")]
    pub kind: Option<Value>,
    #[serde(default)]
    pub location: Option<Value>,
}

impl SpecModel for VaultAccessPolicyParameters {
    const SPEC: SpecRef = spec("VaultAccessPolicyParameters");
    fn example() -> Value {
        json!({ "properties": { "accessPolicies": [] } })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultAccessPolicyProperties {
    pub access_policies: Vec<AccessPolicyEntry>,
}

/// `AccessPolicyEntry`: tenantId, objectId, permissions required.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessPolicyEntry {
    pub tenant_id: String,
    pub object_id: String,
    #[serde(default)]
    pub application_id: Option<String>,
    pub permissions: Permissions,
}

impl SpecModel for AccessPolicyEntry {
    const SPEC: SpecRef = spec("AccessPolicyEntry");
    fn example() -> Value {
        json!({ "tenantId": "00000000-0000-0000-0000-000000000001", "objectId": "00000000-0000-0000-0000-000000000002", "permissions": {} })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Permissions {
    #[serde(default)]
    pub keys: Vec<String>,
    #[serde(default)]
    pub secrets: Vec<String>,
    #[serde(default)]
    pub certificates: Vec<String>,
    #[serde(default)]
    pub storage: Vec<String>,
}

/// `VaultCheckNameAvailabilityParameters`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultCheckNameAvailabilityParameters {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl SpecModel for VaultCheckNameAvailabilityParameters {
    const SPEC: SpecRef = spec("VaultCheckNameAvailabilityParameters");
    fn example() -> Value {
        json!({ "name": "kv-1", "type": KIND })
    }
}

/// The models of this module, for the conformance test.
pub fn registry() -> Vec<ModelInfo> {
    vec![
        struct_info::<VaultCreateOrUpdateParameters>(),
        struct_info::<VaultProperties>(),
        struct_info::<Sku>(),
        struct_info::<VaultAccessPolicyParameters>(),
        struct_info::<AccessPolicyEntry>(),
        struct_info::<VaultCheckNameAvailabilityParameters>(),
    ]
}

fn vault_not_found(call: &Call) -> Reply {
    error(
        404,
        "ResourceNotFound",
        &format!(
            "The Resource '{KIND}/{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            call.param("vault"),
            call.param("rg")
        ),
    )
}

/// The subscription and resource group of the path (ARM's errors when missing).
fn scope(call: &Call, state: &State) -> Result<(SubscriptionId, String, String), Reply> {
    let (tenant, sub) = super::subscription(state, call)?;
    let rg = sub
        .resource_groups
        .iter()
        .find(|g| g.name.eq_ignore_ascii_case(call.param("rg")))
        .ok_or_else(|| super::resource_group_not_found(call))?;
    Ok((sub.id, rg.name.clone(), tenant.id.to_string()))
}

fn vault_id(sub: &SubscriptionId, rg: &str, name: &str) -> String {
    crate::state::resource_id(sub, rg, KIND, name)
}

fn get(call: &Call) -> Reply {
    let mut state = call.state();
    let (sub, rg, _) = match scope(call, &state) {
        Ok(s) => s,
        Err(reply) => return reply,
    };
    let id = vault_id(&sub, &rg, call.param("vault"));
    // A read observes the creation moving on, whether or not anyone polls its operation (Azure
    // finishes provisioning on its own; an interrupted client never polls).
    let key = id.to_ascii_lowercase();
    if let Some(op) = state
        .operations
        .values_mut()
        .find(|op| op.resource_key == key && !op.is_terminal())
    {
        op.polls += 1;
        let status = op.status().to_string();
        if let Some(vault) = state.resources.get_mut(&key) {
            vault.body["properties"]["provisioningState"] = json!(status);
        }
    }
    match state.resource(&id) {
        Some(v) => Reply::ok(v.body.clone()),
        None => vault_not_found(call),
    }
}

fn name_in_use(name: &str) -> String {
    format!(
        "The vault name '{name}' is already in use. Vault names are globally unique so it is possible that the name is already taken. If you are sure that the vault name was not taken then it is possible that a vault with the same name was recently deleted but not purged after being placed in a recoverable state. If the vault is in a recoverable state then the vault will need to be purged before reusing the name. For more information on soft delete and purging a vault follow this link https://go.microsoft.com/fwlink/?linkid=2147740."
    )
}

fn purge_protection_false() -> Reply {
    error(
        400,
        "BadRequest",
        "The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.",
    )
}

fn soft_delete_false() -> Reply {
    error(
        400,
        "BadRequest",
        "The property \"enableSoftDelete\" cannot be set to false. Enabling the soft delete for a vault is an irreversible action.",
    )
}

fn put(call: &Call) -> Reply {
    let request: VaultCreateOrUpdateParameters = match decode(call, Dialect::Arm) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let name = call.param("vault").to_string();
    if !valid_vault_name(&name) {
        return error(
            400,
            "VaultNameNotValid",
            &format!(
                "The vault name '{name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens."
            ),
        );
    }
    let (sub, rg, tenant) = {
        let state = call.state();
        match scope(call, &state) {
            Ok(s) => s,
            Err(reply) => return reply,
        }
    };
    let id = vault_id(&sub, &rg, &name);
    let rg_scope = format!("/subscriptions/{sub}/resourceGroups/{rg}");
    if let Err(reply) = permissions::require(call, &rg_scope, "Microsoft.KeyVault/vaults/write") {
        return reply;
    }
    let p = request.properties;
    if p.enable_purge_protection == Some(false) {
        return purge_protection_false();
    }
    if !p.tenant_id.eq_ignore_ascii_case(&tenant) {
        return error(
            400,
            "BadRequest",
            &format!(
                "The tenant '{}' of the vault is not the tenant '{tenant}' of the subscription.",
                p.tenant_id
            ),
        );
    }
    let mut state = call.state();
    if let Some(existing) = state.resource(&id).cloned() {
        let mut body = existing.body.clone();
        let props = &mut body["properties"];
        if props["enablePurgeProtection"] == json!(true) && p.enable_purge_protection.is_none() {
            // Absent keeps it on.
        }
        if props["enableSoftDelete"] == json!(true) && p.enable_soft_delete == Some(false) {
            return soft_delete_false();
        }
        apply_properties(props, &p);
        body["location"] = json!(request.location);
        body["tags"] = json!(request.tags.unwrap_or_default());
        state.put_resource(ArmResource {
            body: body.clone(),
            ..existing
        });
        return Reply::ok(body);
    }
    let recover = p.create_mode == Some(CreateMode::Recover);
    if let Some(deleted) = state.deleted_vaults.by_name(&name).cloned() {
        if !recover {
            return error(
                409,
                "ConflictError",
                "A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete.",
            );
        }
        if deleted.subscription != sub || !deleted.resource_group.eq_ignore_ascii_case(&rg) {
            return error(409, "VaultAlreadyExists", &name_in_use(&name));
        }
        state.deleted_vaults.take(&name);
        let mut body = deleted.body;
        body["properties"]["provisioningState"] = json!(DEFAULT_STEPS[0]);
        return finish_create(call, state, sub, rg, id, name, body);
    }
    if recover {
        return error(
            404,
            "SoftDeletedVaultDoesNotExist",
            &format!(
                "A soft deleted vault with the given name '{name}' does not exist. Ensure that the name for the vault that is being attempted to recover is in a recoverably deleted state."
            ),
        );
    }
    if state.vault(&name).is_some() {
        return error(409, "VaultAlreadyExists", &name_in_use(&name));
    }
    let mut properties = json!({
        "tenantId": p.tenant_id,
        "sku": { "family": "A", "name": match p.sku.name { SkuName::Standard => "standard", SkuName::Premium => "premium" } },
        "accessPolicies": [],
        "enabledForDeployment": false,
        "enabledForDiskEncryption": false,
        "enabledForTemplateDeployment": false,
        // Defaults of 2026-02-01: soft delete on, 90 days, RBAC authorization on, public access enabled.
        "enableSoftDelete": true,
        "softDeleteRetentionInDays": 90,
        "enableRbacAuthorization": true,
        "vaultUri": call.sim.cloud.vault_url(&name).as_str(),
        "provisioningState": DEFAULT_STEPS[0],
        "publicNetworkAccess": "Enabled",
    });
    apply_properties(&mut properties, &p);
    let body = json!({
        "id": id,
        "name": name,
        "type": KIND,
        "location": request.location,
        "tags": request.tags.unwrap_or_default(),
        "properties": properties,
    });
    finish_create(call, state, sub, rg, id, name, body)
}

fn finish_create(
    call: &Call,
    mut state: std::sync::MutexGuard<'_, State>,
    sub: SubscriptionId,
    rg: String,
    id: String,
    name: String,
    body: Value,
) -> Reply {
    state.put_resource(ArmResource {
        id: id.clone(),
        subscription: sub,
        resource_group: rg,
        kind: KIND.into(),
        name,
        body: body.clone(),
    });
    let op = operations::start(&mut state, &id, &DEFAULT_STEPS);
    drop(state);
    Reply::json(201, body)
        .header(
            "Azure-AsyncOperation",
            operations::status_url(call, &id, &op),
        )
        .header("Retry-After", call.sim.lro_retry_after().to_string())
}

fn apply_properties(props: &mut Value, p: &VaultProperties) {
    let mut set = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            props[k] = v;
        }
    };
    set("accessPolicies", p.access_policies.clone().map(Value::from));
    set(
        "enabledForDeployment",
        p.enabled_for_deployment.map(Value::from),
    );
    set(
        "enabledForDiskEncryption",
        p.enabled_for_disk_encryption.map(Value::from),
    );
    set(
        "enabledForTemplateDeployment",
        p.enabled_for_template_deployment.map(Value::from),
    );
    set("enableSoftDelete", p.enable_soft_delete.map(Value::from));
    set(
        "softDeleteRetentionInDays",
        p.soft_delete_retention_in_days.map(Value::from),
    );
    set(
        "enableRbacAuthorization",
        p.enable_rbac_authorization.map(Value::from),
    );
    set(
        "enablePurgeProtection",
        p.enable_purge_protection.map(Value::from),
    );
    set("networkAcls", p.network_acls.clone());
    set(
        "publicNetworkAccess",
        p.public_network_access.clone().map(Value::from),
    );
}

fn patch(call: &Call) -> Reply {
    let request: VaultPatchParameters = match decode(call, Dialect::Arm) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    if let Some(unknown) = request
        .properties
        .iter()
        .flat_map(|m| m.keys())
        .find(|k| !PATCH_MEMBERS.contains(&k.as_str()))
    {
        return error(
            400,
            "InvalidRequestContent",
            &format!(
                "The request content was invalid and could not be deserialized: 'Could not find member '{unknown}' on object of type 'VaultPatchProperties'. Path 'properties.{unknown}'.'."
            ),
        );
    }
    let (sub, rg, _) = {
        let state = call.state();
        match scope(call, &state) {
            Ok(s) => s,
            Err(reply) => return reply,
        }
    };
    let id = vault_id(&sub, &rg, call.param("vault"));
    if let Err(reply) = permissions::require(call, &id, "Microsoft.KeyVault/vaults/write") {
        return reply;
    }
    let mut state = call.state();
    let Some(vault) = state.resource_mut(&id) else {
        return vault_not_found(call);
    };
    let props = request.properties.unwrap_or_default();
    if props.get("enablePurgeProtection") == Some(&json!(false)) {
        return purge_protection_false();
    }
    if props.get("enableSoftDelete") == Some(&json!(false))
        && vault.body["properties"]["enableSoftDelete"] == json!(true)
    {
        return soft_delete_false();
    }
    for (k, v) in props {
        vault.body["properties"][k] = v;
    }
    if let Some(tags) = request.tags {
        vault.body["tags"] = json!(tags);
    }
    Reply::ok(vault.body.clone())
}

/// Deleting a vault with soft delete on keeps it (and its name and keys) as a deleted vault.
fn delete(call: &Call) -> Reply {
    let (sub, rg, _) = {
        let state = call.state();
        match scope(call, &state) {
            Ok(s) => s,
            Err(reply) => return reply,
        }
    };
    let id = vault_id(&sub, &rg, call.param("vault"));
    if let Err(reply) = permissions::require(call, &id, "Microsoft.KeyVault/vaults/delete") {
        return reply;
    }
    let mut state = call.state();
    let Some(vault) = state.resources.remove(&id.to_ascii_lowercase()) else {
        return Reply::empty(204);
    };
    if vault.body["properties"]["enableSoftDelete"] != json!(false) {
        state.deleted_vaults.add(sub, &rg, vault.body);
    }
    Reply::empty(200)
}

fn check_name(call: &Call) -> Reply {
    let request: VaultCheckNameAvailabilityParameters = match decode(call, Dialect::Arm) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    if request.kind != KIND {
        return error(
            400,
            "InvalidResourceType",
            &format!(
                "The resource type '{}' is not valid; use '{KIND}'.",
                request.kind
            ),
        );
    }
    let state = call.state();
    if let Err(reply) = super::subscription(&state, call) {
        return reply;
    }
    let name = request.name;
    if !valid_vault_name(&name) {
        return Reply::ok(json!({
            "nameAvailable": false,
            "reason": "AccountNameInvalid",
            "message": format!("Vault name '{name}' is invalid. Vault names must be 3-24 characters long, contain only letters, digits and hyphens."),
        }));
    }
    if state.vault(&name).is_some() || state.deleted_vaults.by_name(&name).is_some() {
        return Reply::ok(json!({
            "nameAvailable": false,
            "reason": "AlreadyExists",
            "message": name_in_use(&name),
        }));
    }
    Reply::ok(json!({ "nameAvailable": true }))
}

fn deleted(call: &Call) -> Reply {
    let state = call.state();
    let sub = match super::subscription(&state, call) {
        Ok((_, s)) => s.id,
        Err(reply) => return reply,
    };
    let location = call.param("location");
    let found = state.deleted_vaults.0.iter().find(|d| {
        d.subscription == sub
            && d.name.eq_ignore_ascii_case(call.param("vault"))
            && d.location.eq_ignore_ascii_case(location)
    });
    let Some(d) = found else {
        return error(
            404,
            "ResourceNotFound",
            &format!(
                "The Resource 'Microsoft.KeyVault/deletedVaults/{}' under location '{location}' was not found.",
                call.param("vault")
            ),
        );
    };
    Reply::ok(json!({
        "id": format!("/subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{}/deletedVaults/{}", d.location, d.name),
        "name": d.name,
        "type": "Microsoft.KeyVault/deletedVaults",
        "properties": {
            "vaultId": d.body["id"],
            "location": d.location,
            "deletionDate": crate::auth::utc(d.deletion_date),
            "scheduledPurgeDate": crate::auth::utc(d.scheduled_purge_date),
            "tags": d.body["tags"],
            "purgeProtectionEnabled": d.body["properties"]["enablePurgeProtection"] == json!(true),
        }
    }))
}

/// `PUT …/accessPolicies/{add|replace|remove}`: add merges permissions into the principal's entry,
/// remove takes the listed permissions away (and the entry when none is left), replace sets them.
fn access_policies(call: &Call) -> Reply {
    let request: VaultAccessPolicyParameters = match decode(call, Dialect::Arm) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let kind = call.param("kind").to_ascii_lowercase();
    if !["add", "replace", "remove"].contains(&kind.as_str()) {
        return error(
            400,
            "InvalidOperationKind",
            &format!(
                "The operation kind '{}' is not valid; use add, replace or remove.",
                call.param("kind")
            ),
        );
    }
    let (sub, rg, tenant) = {
        let state = call.state();
        match scope(call, &state) {
            Ok(s) => s,
            Err(reply) => return reply,
        }
    };
    let id = vault_id(&sub, &rg, call.param("vault"));
    if let Err(reply) =
        permissions::require(call, &id, "Microsoft.KeyVault/vaults/accessPolicies/write")
    {
        return reply;
    }
    let mut state = call.state();
    let Some(vault) = state.resource_mut(&id) else {
        return vault_not_found(call);
    };
    let mut policies: Vec<Value> = vault.body["properties"]["accessPolicies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for entry in request.properties.access_policies {
        if !entry.tenant_id.eq_ignore_ascii_case(&tenant) {
            return error(
                400,
                "BadRequest",
                &format!(
                    "The tenant '{}' of an access policy must be the vault's tenant '{tenant}'.",
                    entry.tenant_id
                ),
            );
        }
        let pos = policies.iter().position(|p| {
            p["objectId"]
                .as_str()
                .is_some_and(|o| o.eq_ignore_ascii_case(&entry.object_id))
        });
        let current: Vec<String> = pos
            .and_then(|i| policies[i]["permissions"]["keys"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let keys: Vec<String> = match kind.as_str() {
            "add" => {
                let mut k = current.clone();
                for p in &entry.permissions.keys {
                    if !k.iter().any(|c| c.eq_ignore_ascii_case(p)) {
                        k.push(p.clone());
                    }
                }
                k
            }
            "remove" => current
                .into_iter()
                .filter(|c| {
                    !entry
                        .permissions
                        .keys
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case(c))
                })
                .collect(),
            _ => entry.permissions.keys.clone(),
        };
        let value = json!({
            "tenantId": entry.tenant_id,
            "objectId": entry.object_id,
            "permissions": { "keys": keys, "secrets": entry.permissions.secrets, "certificates": entry.permissions.certificates },
        });
        match (pos, keys.is_empty() && kind == "remove") {
            (Some(i), true) => {
                policies.remove(i);
            }
            (Some(i), false) => policies[i] = value,
            (None, false) if kind != "remove" => policies.push(value),
            _ => {}
        }
    }
    vault.body["properties"]["accessPolicies"] = json!(policies);
    Reply::ok(json!({
        "id": format!("{id}/accessPolicies/{kind}"),
        "type": "Microsoft.KeyVault/vaults/accessPolicies",
        "properties": { "accessPolicies": policies },
    }))
}
