//! Key Vault management (keyvault-mgmt 2026-02-01): vault PUT (long-running), GET, PATCH,
//! DELETE (soft delete), the global name check, soft-deleted vaults, and access-policy updates.
//!
//! Azure's rules kept here:
//! - every route is authorized first: `Microsoft.KeyVault/vaults/read|write|delete`,
//!   `…/vaults/accessPolicies/write`, `…/checkNameAvailability/read`,
//!   `…/locations/deletedVaults/read` (403 `AuthorizationFailed`);
//! - names match `^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$` without `--` (400 `VaultNameNotValid`,
//!   and `AccountNameInvalid` from the name check);
//! - vault names are unique across the cloud: a name used by another vault → 409
//!   `VaultAlreadyExists`; held by a soft-deleted vault → 409 `ConflictError` unless
//!   `createMode: recover` (which without such a vault is `SoftDeletedVaultDoesNotExist`, and
//!   recovers only into the deleted vault's location);
//! - an existing vault keeps its location (400 `InvalidResourceLocation`);
//! - soft delete is always on; `softDeleteRetentionInDays` is 7–90 and fixed once set;
//!   `enablePurgeProtection` never accepts false, works only with soft delete, and once on
//!   stays on;
//! - request bodies follow the spec's models, PATCH included (`VaultPatchProperties`): tenant
//!   ids are GUIDs, SKU family `A`, name `standard|premium`, permission names from the spec's
//!   enums (case-insensitive), IP rules IPv4 addresses or ranges;
//! - the PUT that creates is long-running: 201 with `Location` (final-state-via location),
//!   `provisioningState` `RegisteringDns` then `Succeeded` (`VaultProvisioningState`).

use super::operations;
use super::{authorize, error, path_scope};
use crate::contract::{
    Dialect, ModelInfo, SpecEnum, SpecModel, SpecRef, decode, enum_info, list_info, struct_info,
};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::scenario::valid_vault_name;
use crate::state::{ArmResource, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
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
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/operationResults/{op}",
            operation_result,
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
    pub access_policies: Option<Vec<AccessPolicyEntry>>,
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
    pub network_acls: Option<NetworkRuleSet>,
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

/// `VaultPatchProperties`: every member optional, the same rules as a PUT.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultPatchProperties {
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub sku: Option<Sku>,
    #[serde(default)]
    pub access_policies: Option<Vec<AccessPolicyEntry>>,
    #[serde(default)]
    pub enabled_for_deployment: Option<bool>,
    #[serde(default)]
    pub enabled_for_disk_encryption: Option<bool>,
    #[serde(default)]
    pub enabled_for_template_deployment: Option<bool>,
    #[serde(default)]
    pub enable_soft_delete: Option<bool>,
    #[serde(default)]
    pub enable_rbac_authorization: Option<bool>,
    #[serde(default)]
    pub soft_delete_retention_in_days: Option<i64>,
    #[serde(default)]
    pub create_mode: Option<CreateMode>,
    #[serde(default)]
    pub enable_purge_protection: Option<bool>,
    #[serde(default)]
    pub network_acls: Option<NetworkRuleSet>,
    #[serde(default)]
    pub public_network_access: Option<String>,
}

impl SpecModel for VaultPatchProperties {
    const SPEC: SpecRef = spec("VaultPatchProperties");
    fn example() -> Value {
        json!({})
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

impl SpecEnum for SkuFamily {
    const SPEC: SpecRef = spec("SkuFamily");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SkuName {
    Standard,
    Premium,
}

impl SkuName {
    fn as_str(self) -> &'static str {
        match self {
            SkuName::Standard => "standard",
            SkuName::Premium => "premium",
        }
    }
}

impl SpecEnum for SkuName {
    const SPEC: SpecRef = spec("SkuName");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CreateMode {
    Recover,
    Default,
}

impl SpecEnum for CreateMode {
    const SPEC: SpecRef = spec("CreateMode");
}

/// `NetworkRuleSet`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkRuleSet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bypass: Option<NetworkRuleBypassOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_action: Option<NetworkRuleAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_rules: Option<Vec<IpRule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_network_rules: Option<Vec<VirtualNetworkRule>>,
}

impl SpecModel for NetworkRuleSet {
    const SPEC: SpecRef = spec("NetworkRuleSet");
    fn example() -> Value {
        json!({})
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum NetworkRuleBypassOptions {
    AzureServices,
    None,
}

impl SpecEnum for NetworkRuleBypassOptions {
    const SPEC: SpecRef = spec("NetworkRuleBypassOptions");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum NetworkRuleAction {
    Allow,
    Deny,
}

impl SpecEnum for NetworkRuleAction {
    const SPEC: SpecRef = spec("NetworkRuleAction");
}

/// `IPRule`: an IPv4 address or CIDR range.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IpRule {
    pub value: String,
}

impl SpecModel for IpRule {
    const SPEC: SpecRef = spec("IPRule");
    fn example() -> Value {
        json!({ "value": "203.0.113.0/24" })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VirtualNetworkRule {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_missing_vnet_service_endpoint: Option<bool>,
}

impl SpecModel for VirtualNetworkRule {
    const SPEC: SpecRef = spec("VirtualNetworkRule");
    fn example() -> Value {
        json!({ "id": "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s" })
    }
}

/// `VaultProvisioningState`: what a vault's `provisioningState` may say (a new vault registers
/// its DNS name, then succeeds).
pub const PROVISIONING_STATES: [&str; 2] = ["Succeeded", "RegisteringDns"];

/// `VaultPatchParameters`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultPatchParameters {
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub properties: Option<VaultPatchProperties>,
}

impl SpecModel for VaultPatchParameters {
    const SPEC: SpecRef = spec("VaultPatchParameters");
    fn example() -> Value {
        json!({})
    }
}

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

impl SpecModel for VaultAccessPolicyProperties {
    const SPEC: SpecRef = spec("VaultAccessPolicyProperties");
    fn example() -> Value {
        json!({ "accessPolicies": [] })
    }
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

impl SpecModel for Permissions {
    const SPEC: SpecRef = spec("Permissions");
    fn example() -> Value {
        json!({})
    }
}

/// `KeyPermissions` (keyvault-mgmt 2026-02-01).
pub const KEY_PERMISSIONS: [&str; 21] = [
    "all",
    "encrypt",
    "decrypt",
    "wrapKey",
    "unwrapKey",
    "sign",
    "verify",
    "get",
    "list",
    "create",
    "update",
    "import",
    "delete",
    "backup",
    "restore",
    "recover",
    "purge",
    "release",
    "rotate",
    "getrotationpolicy",
    "setrotationpolicy",
];

/// `SecretPermissions`.
pub const SECRET_PERMISSIONS: [&str; 9] = [
    "all", "get", "list", "set", "delete", "backup", "restore", "recover", "purge",
];

/// `CertificatePermissions`.
pub const CERTIFICATE_PERMISSIONS: [&str; 17] = [
    "all",
    "get",
    "list",
    "delete",
    "create",
    "import",
    "update",
    "managecontacts",
    "getissuers",
    "listissuers",
    "setissuers",
    "deleteissuers",
    "manageissuers",
    "recover",
    "purge",
    "backup",
    "restore",
];

/// `StoragePermissions`.
pub const STORAGE_PERMISSIONS: [&str; 15] = [
    "all",
    "get",
    "list",
    "delete",
    "set",
    "update",
    "regeneratekey",
    "recover",
    "purge",
    "backup",
    "restore",
    "setsas",
    "listsas",
    "getsas",
    "deletesas",
];

/// The four permission lists of `Permissions`: (member, spec enum, values).
const PERMISSION_KINDS: [(&str, &str, &[&str]); 4] = [
    ("keys", "KeyPermissions", &KEY_PERMISSIONS),
    ("secrets", "SecretPermissions", &SECRET_PERMISSIONS),
    (
        "certificates",
        "CertificatePermissions",
        &CERTIFICATE_PERMISSIONS,
    ),
    ("storage", "StoragePermissions", &STORAGE_PERMISSIONS),
];

impl Permissions {
    fn list(&self, member: &str) -> &[String] {
        match member {
            "keys" => &self.keys,
            "secrets" => &self.secrets,
            "certificates" => &self.certificates,
            _ => &self.storage,
        }
    }
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
        struct_info::<VaultPatchParameters>(),
        struct_info::<VaultPatchProperties>(),
        struct_info::<Sku>(),
        struct_info::<NetworkRuleSet>(),
        struct_info::<IpRule>(),
        struct_info::<VirtualNetworkRule>(),
        struct_info::<VaultAccessPolicyParameters>(),
        struct_info::<VaultAccessPolicyProperties>(),
        struct_info::<AccessPolicyEntry>(),
        struct_info::<Permissions>(),
        struct_info::<VaultCheckNameAvailabilityParameters>(),
        enum_info::<SkuFamily>(),
        enum_info::<SkuName>(),
        enum_info::<CreateMode>(),
        enum_info::<NetworkRuleBypassOptions>(),
        enum_info::<NetworkRuleAction>(),
        list_info(
            "VaultProvisioningState",
            spec("VaultProvisioningState"),
            &PROVISIONING_STATES,
        ),
        list_info("KeyPermissions", spec("KeyPermissions"), &KEY_PERMISSIONS),
        list_info(
            "SecretPermissions",
            spec("SecretPermissions"),
            &SECRET_PERMISSIONS,
        ),
        list_info(
            "CertificatePermissions",
            spec("CertificatePermissions"),
            &CERTIFICATE_PERMISSIONS,
        ),
        list_info(
            "StoragePermissions",
            spec("StoragePermissions"),
            &STORAGE_PERMISSIONS,
        ),
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

/// The vault's id as the request names it (what ARM authorizes).
fn vault_scope(call: &Call) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{KIND}/{}",
        call.param("sub"),
        call.param("rg"),
        call.param("vault")
    )
}

const READ: &str = "Microsoft.KeyVault/vaults/read";
const WRITE: &str = "Microsoft.KeyVault/vaults/write";
const DELETE: &str = "Microsoft.KeyVault/vaults/delete";
const POLICIES_WRITE: &str = "Microsoft.KeyVault/vaults/accessPolicies/write";

/// The steps of a vault's creation, one per observing read: DNS registration, then done
/// (`VaultProvisioningState`).
const CREATE_STEPS: [&str; 2] = ["RegisteringDns", "Succeeded"];

fn get(call: &Call) -> Reply {
    if let Err(r) = authorize(call, &vault_scope(call), READ) {
        return r;
    }
    let mut state = call.state();
    let (sub, rg, _) = match scope(call, &state) {
        Ok(s) => s,
        Err(reply) => return reply,
    };
    let id = vault_id(&sub, &rg, call.param("vault"));
    // A read observes the creation moving on, whether or not anyone polls its operation (Azure
    // finishes provisioning on its own; an interrupted client never polls).
    operations::advance(&mut state, &id);
    match state.resource(&id) {
        Some(v) => Reply::ok(v.body.clone()),
        None => vault_not_found(call),
    }
}

/// `GET {vault}/operationResults/{op}`: the `Location` of a vault PUT (final-state-via
/// location): 202 while the vault registers its DNS name, then 200 with the vault.
fn operation_result(call: &Call) -> Reply {
    if let Err(r) = authorize(call, &vault_scope(call), READ) {
        return r;
    }
    let mut state = call.state();
    let (sub, rg, _) = match scope(call, &state) {
        Ok(s) => s,
        Err(reply) => return reply,
    };
    let id = vault_id(&sub, &rg, call.param("vault"));
    let op = call.param("op").to_string();
    let Some(operation) = state.operations.get_mut(&op) else {
        return error(
            404,
            "OperationNotFound",
            &format!("The operation '{op}' could not be found."),
        );
    };
    if !operation.is_terminal() {
        operation.polls += 1;
    }
    let status = operation.status().to_string();
    let done = operation.is_terminal();
    if let Some(v) = state.resource_mut(&id) {
        v.body["properties"]["provisioningState"] = json!(status);
    }
    if !done {
        drop(state);
        return Reply::empty(202)
            .header("Location", location_url(call, &id, &op))
            .header("Retry-After", call.sim.lro_retry_after().to_string());
    }
    match state.resource(&id) {
        Some(v) => Reply::ok(v.body.clone()),
        None => vault_not_found(call),
    }
}

/// The `Location` of a vault's creation.
fn location_url(call: &Call, id: &str, op: &str) -> String {
    let api = call.query("api-version").unwrap_or_default();
    format!(
        "{}{}/operationResults/{op}?api-version={api}",
        call.sim.cloud.resource_manager_endpoint,
        id.trim_start_matches('/')
    )
}

fn name_in_use(name: &str) -> String {
    format!(
        "The vault name '{name}' is already in use. Vault names are globally unique so it is possible that the name is already taken. If you are sure that the vault name was not taken then it is possible that a vault with the same name was recently deleted but not purged after being placed in a recoverable state. If the vault is in a recoverable state then the vault will need to be purged before reusing the name. For more information on soft delete and purging a vault follow this link https://go.microsoft.com/fwlink/?linkid=2147740."
    )
}

/// 400 `VaultNameNotValid` (the service's text, microsoft-teams-apps-company-communicator#28).
fn invalid_name_message(name: &str) -> String {
    format!(
        "The vault name '{name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens. Follow this link for more information: https://go.microsoft.com/fwlink/?linkid=2147742"
    )
}

/// Purge protection never goes back to false, and an explicit false is refused (the service's code
/// and text, Azure/azure-rest-api-specs#18106, Azure/ai-hub#241).
fn purge_protection_false() -> Reply {
    error(
        400,
        "BadRequest",
        "The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.",
    )
}

/// Soft delete is on for every vault and cannot be turned off (VaultProperties.enableSoftDelete:
/// "Once set to true, it cannot be reverted to false"; Key Vault soft-delete overview: soft
/// delete can no longer be disabled).
fn soft_delete_false() -> Reply {
    error(
        400,
        "BadRequest",
        "The property \"enableSoftDelete\" cannot be set to false. Enabling the soft delete for a vault is an irreversible action.",
    )
}

fn bad_request(message: &str) -> Reply {
    error(400, "BadRequest", message)
}

/// ARM's answer to a value its model cannot hold (the shape of azure-sdk-for-python#14566).
fn cannot_convert(value: &str, kind: &str, path: &str) -> Reply {
    error(
        400,
        "InvalidRequestContent",
        &format!(
            "The request content was invalid and could not be deserialized: 'Error converting value \"{value}\" to type '{kind}'. Path '{path}'.'."
        ),
    )
}

/// A GUID member (`tenantId` is `Azure.Core.uuid` in the spec).
fn check_guid(value: &str, path: &str) -> Result<(), Reply> {
    match uuid::Uuid::parse_str(value) {
        Ok(_) => Ok(()),
        Err(_) => Err(cannot_convert(value, "System.Guid", path)),
    }
}

/// Every permission name must be one of the spec's enum values (compared case-insensitively).
fn check_permissions(entries: &[AccessPolicyEntry], at: &str) -> Result<(), Reply> {
    for (i, entry) in entries.iter().enumerate() {
        check_guid(&entry.tenant_id, &format!("{at}[{i}].tenantId"))?;
        for (member, kind, allowed) in PERMISSION_KINDS {
            for (j, p) in entry.permissions.list(member).iter().enumerate() {
                if !allowed.iter().any(|a| a.eq_ignore_ascii_case(p)) {
                    return Err(cannot_convert(
                        p,
                        kind,
                        &format!("{at}[{i}].permissions.{member}[{j}]"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// An IPv4 address or CIDR range (`IPRule.value`; Key Vault firewalls take IPv4 only).
pub fn parse_ip_rule(value: &str) -> Option<(std::net::Ipv4Addr, u8)> {
    let (address, bits) = match value.split_once('/') {
        Some((a, b)) => (a, b.parse::<u8>().ok().filter(|b| *b <= 32)?),
        None => (value, 32),
    };
    Some((address.parse().ok()?, bits))
}

fn check_network(acls: Option<&NetworkRuleSet>, public: Option<&str>) -> Result<(), Reply> {
    for (i, rule) in acls
        .and_then(|a| a.ip_rules.as_ref())
        .into_iter()
        .flatten()
        .enumerate()
    {
        if parse_ip_rule(&rule.value).is_none() {
            return Err(bad_request(&format!(
                "The IP rule '{}' at properties.networkAcls.ipRules[{i}] is not valid. Use an IPv4 address or an IPv4 range in CIDR notation, such as 124.56.78.91 or 124.56.78.0/24.",
                rule.value
            )));
        }
    }
    if let Some(p) = public
        && !["enabled", "disabled"].contains(&p.to_ascii_lowercase().as_str())
    {
        return Err(cannot_convert(
            p,
            "PublicNetworkAccess",
            "properties.publicNetworkAccess",
        ));
    }
    Ok(())
}

/// `softDeleteRetentionInDays`: "It accepts >=7 and <=90." (VaultProperties).
fn check_retention(days: Option<i64>) -> Result<(), Reply> {
    match days {
        Some(d) if !(7..=90).contains(&d) => Err(bad_request(&format!(
            "The property \"softDeleteRetentionInDays\" has an invalid value {d}. It accepts >=7 and <=90."
        ))),
        _ => Ok(()),
    }
}

/// The retention is set once, at creation (Key Vault soft-delete overview: "Once set, the
/// retention policy interval cannot be changed"; wording ours).
fn retention_unchangeable(current: i64, wanted: i64) -> Reply {
    bad_request(&format!(
        "The property \"softDeleteRetentionInDays\" cannot be changed once it is set (it is {current}; {wanted} was requested)."
    ))
}

/// Purge protection works only with soft delete on (VaultProperties.enablePurgeProtection:
/// "The setting is effective only if soft delete is also enabled"; wording ours).
fn purge_protection_without_soft_delete() -> Reply {
    bad_request(
        "The property \"enablePurgeProtection\" can be set only on a vault with soft delete enabled (\"enableSoftDelete\": true).",
    )
}

/// A tracked resource keeps its location (ARM's code and text for a PUT that would move it,
/// fortinetsolutions/Azure-Templates#8, MicrosoftDocs/azure-docs#70422).
fn location_fixed(name: &str, rg: &str, current: &str, wanted: &str) -> Reply {
    error(
        400,
        "InvalidResourceLocation",
        &format!(
            "The resource '{name}' already exists in location '{current}' in resource group '{rg}'. A resource with the same name cannot be created in location '{wanted}'. Please select a new resource name."
        ),
    )
}

/// ARM stores locations in their short form (`West Europe` → `westeurope`).
fn normalize_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn put(call: &Call) -> Reply {
    if let Err(r) = authorize(call, &vault_scope(call), WRITE) {
        return r;
    }
    let request: VaultCreateOrUpdateParameters = match decode(call, Dialect::Arm) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let name = call.param("vault").to_string();
    if !valid_vault_name(&name) {
        return error(400, "VaultNameNotValid", &invalid_name_message(&name));
    }
    let (sub, rg, tenant) = {
        let state = call.state();
        match scope(call, &state) {
            Ok(s) => s,
            Err(reply) => return reply,
        }
    };
    let id = vault_id(&sub, &rg, &name);
    let p = &request.properties;
    if let Err(r) = check_guid(&p.tenant_id, "properties.tenantId")
        .and_then(|_| {
            check_permissions(
                p.access_policies.as_deref().unwrap_or_default(),
                "properties.accessPolicies",
            )
        })
        .and_then(|_| check_network(p.network_acls.as_ref(), p.public_network_access.as_deref()))
        .and_then(|_| check_retention(p.soft_delete_retention_in_days))
    {
        return r;
    }
    if p.enable_purge_protection == Some(false) {
        return purge_protection_false();
    }
    if p.enable_soft_delete == Some(false) {
        return soft_delete_false();
    }
    if !p.tenant_id.eq_ignore_ascii_case(&tenant) {
        return bad_request(&format!(
            "The tenant '{}' of the vault is not the tenant '{tenant}' of the subscription.",
            p.tenant_id
        ));
    }
    let location = normalize_location(&request.location);
    let mut state = call.state();
    if let Some(existing) = state.resource(&id).cloned() {
        let mut body = existing.body.clone();
        let current = body["location"].as_str().unwrap_or_default().to_string();
        if !current.eq_ignore_ascii_case(&location) {
            return location_fixed(&name, &rg, &current, &location);
        }
        let props = &mut body["properties"];
        if let (Some(now), Some(wanted)) = (
            props["softDeleteRetentionInDays"].as_i64(),
            p.soft_delete_retention_in_days,
        ) && now != wanted
        {
            return retention_unchangeable(now, wanted);
        }
        if props["enableSoftDelete"] == json!(false)
            && p.enable_soft_delete != Some(true)
            && p.enable_purge_protection == Some(true)
        {
            return purge_protection_without_soft_delete();
        }
        apply_properties(props, p);
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
        // A deleted vault comes back where it was (soft-delete overview, "Key vault recovery": its
        // proxy resource is "available in the same location as the deleted key vault"; the service's
        // text is not published, wording ours).
        if !deleted.location.eq_ignore_ascii_case(&location) {
            return bad_request(&format!(
                "The vault '{name}' was deleted in location '{}' and can be recovered only into that location, not '{location}'.",
                deleted.location
            ));
        }
        state.deleted_vaults.take(&name);
        let mut body = deleted.body;
        body["properties"]["provisioningState"] = json!(CREATE_STEPS[0]);
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
        "sku": { "family": "A", "name": p.sku.name.as_str() },
        "accessPolicies": [],
        "enabledForDeployment": false,
        "enabledForDiskEncryption": false,
        "enabledForTemplateDeployment": false,
        // Defaults of 2026-02-01: soft delete on, 90 days, RBAC authorization on, public access enabled.
        "enableSoftDelete": true,
        "softDeleteRetentionInDays": 90,
        "enableRbacAuthorization": true,
        "vaultUri": call.sim.cloud.vault_url(&name).as_str(),
        "provisioningState": CREATE_STEPS[0],
        "publicNetworkAccess": "Enabled",
    });
    apply_properties(&mut properties, p);
    let body = json!({
        "id": id,
        "name": name,
        "type": KIND,
        "location": location,
        "tags": request.tags.unwrap_or_default(),
        "properties": properties,
    });
    finish_create(call, state, sub, rg, id, name, body)
}

/// A new (or recovered) vault: 201 with `Location` (Vaults_CreateOrUpdate is long-running,
/// `final-state-via: location`) and `provisioningState` `RegisteringDns` until it succeeds.
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
    let op = operations::start(&mut state, &id, &CREATE_STEPS);
    drop(state);
    Reply::json(201, body)
        .header("Location", location_url(call, &id, &op))
        .header("Retry-After", call.sim.lro_retry_after().to_string())
}

fn policies_json(entries: &[AccessPolicyEntry]) -> Value {
    Value::from(
        entries
            .iter()
            .map(|e| {
                let mut v = json!({
                    "tenantId": e.tenant_id,
                    "objectId": e.object_id,
                    "permissions": {
                        "keys": e.permissions.keys,
                        "secrets": e.permissions.secrets,
                        "certificates": e.permissions.certificates,
                        "storage": e.permissions.storage,
                    },
                });
                if let Some(a) = &e.application_id {
                    v["applicationId"] = json!(a);
                }
                v
            })
            .collect::<Vec<_>>(),
    )
}

/// Sets the members a PUT's `VaultProperties` and a PATCH's `VaultPatchProperties` share, each
/// only when the request names it.
macro_rules! set_members_both_name {
    ($set:ident, $p:ident) => {{
        $set(
            "accessPolicies",
            $p.access_policies.as_deref().map(policies_json),
        );
        $set(
            "enabledForDeployment",
            $p.enabled_for_deployment.map(Value::from),
        );
        $set(
            "enabledForDiskEncryption",
            $p.enabled_for_disk_encryption.map(Value::from),
        );
        $set(
            "enabledForTemplateDeployment",
            $p.enabled_for_template_deployment.map(Value::from),
        );
        $set("enableSoftDelete", $p.enable_soft_delete.map(Value::from));
        $set(
            "softDeleteRetentionInDays",
            $p.soft_delete_retention_in_days.map(Value::from),
        );
        $set(
            "enableRbacAuthorization",
            $p.enable_rbac_authorization.map(Value::from),
        );
        $set(
            "enablePurgeProtection",
            $p.enable_purge_protection.map(Value::from),
        );
        $set("networkAcls", $p.network_acls.as_ref().map(|a| json!(a)));
        $set(
            "publicNetworkAccess",
            $p.public_network_access.clone().map(Value::from),
        );
    }};
}

/// Sets the members a PUT names on the stored properties.
fn apply_properties(props: &mut Value, p: &VaultProperties) {
    let mut set = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            props[k] = v;
        }
    };
    set(
        "sku",
        Some(json!({ "family": "A", "name": p.sku.name.as_str() })),
    );
    set_members_both_name!(set, p);
}

fn patch(call: &Call) -> Reply {
    if let Err(r) = authorize(call, &vault_scope(call), WRITE) {
        return r;
    }
    let request: VaultPatchParameters = match decode(call, Dialect::Arm) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let (sub, rg, _) = {
        let state = call.state();
        match scope(call, &state) {
            Ok(s) => s,
            Err(reply) => return reply,
        }
    };
    let id = vault_id(&sub, &rg, call.param("vault"));
    let p = request.properties.unwrap_or_default();
    if let Err(r) = p
        .tenant_id
        .as_deref()
        .map_or(Ok(()), |t| check_guid(t, "properties.tenantId"))
        .and_then(|_| {
            check_permissions(
                p.access_policies.as_deref().unwrap_or_default(),
                "properties.accessPolicies",
            )
        })
        .and_then(|_| check_network(p.network_acls.as_ref(), p.public_network_access.as_deref()))
        .and_then(|_| check_retention(p.soft_delete_retention_in_days))
    {
        return r;
    }
    if p.enable_purge_protection == Some(false) {
        return purge_protection_false();
    }
    if p.enable_soft_delete == Some(false) {
        return soft_delete_false();
    }
    let mut state = call.state();
    let Some(vault) = state.resource_mut(&id) else {
        return vault_not_found(call);
    };
    let props = &mut vault.body["properties"];
    if let (Some(now), Some(wanted)) = (
        props["softDeleteRetentionInDays"].as_i64(),
        p.soft_delete_retention_in_days,
    ) && now != wanted
    {
        return retention_unchangeable(now, wanted);
    }
    if props["enableSoftDelete"] == json!(false)
        && p.enable_soft_delete != Some(true)
        && p.enable_purge_protection == Some(true)
    {
        return purge_protection_without_soft_delete();
    }
    let mut set = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            props[k] = v;
        }
    };
    set("tenantId", p.tenant_id.clone().map(Value::from));
    set(
        "sku",
        p.sku
            .as_ref()
            .map(|s| json!({ "family": "A", "name": s.name.as_str() })),
    );
    set_members_both_name!(set, p);
    if let Some(tags) = request.tags {
        vault.body["tags"] = json!(tags);
    }
    Reply::ok(vault.body.clone())
}

/// Deleting a vault with soft delete on keeps it (and its name and keys) as a deleted vault.
fn delete(call: &Call) -> Reply {
    if let Err(r) = authorize(call, &vault_scope(call), DELETE) {
        return r;
    }
    let (sub, rg, _) = {
        let state = call.state();
        match scope(call, &state) {
            Ok(s) => s,
            Err(reply) => return reply,
        }
    };
    let id = vault_id(&sub, &rg, call.param("vault"));
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
    if let Err(r) = authorize(
        call,
        &format!("/subscriptions/{}", call.param("sub")),
        "Microsoft.KeyVault/checkNameAvailability/read",
    ) {
        return r;
    }
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
    let name = request.name;
    // An invalid name is "not available", reason AccountNameInvalid (CheckNameAvailabilityResult.reason).
    if !valid_vault_name(&name) {
        return Reply::ok(json!({
            "nameAvailable": false,
            "reason": "AccountNameInvalid",
            "message": invalid_name_message(&name),
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
    if let Err(r) = authorize(
        call,
        &path_scope(call),
        "Microsoft.KeyVault/locations/deletedVaults/read",
    ) {
        return r;
    }
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

/// The strings of a stored permission list.
fn stored_list(entry: &Value, member: &str) -> Vec<String> {
    entry["permissions"][member]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `PUT …/accessPolicies/{add|replace|remove}` (Vaults_UpdateAccessPolicy): `add` merges the
/// given permissions into the principal's entry, `remove` takes away only the given ones (the
/// entry goes when nothing is left), `replace` sets the four lists; the entry keeps its
/// `applicationId` and the lists the request does not name.
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
    if let Err(r) = authorize(call, &vault_scope(call), POLICIES_WRITE) {
        return r;
    }
    let (sub, rg, tenant) = {
        let state = call.state();
        match scope(call, &state) {
            Ok(s) => s,
            Err(reply) => return reply,
        }
    };
    if let Err(r) = check_permissions(
        &request.properties.access_policies,
        "properties.accessPolicies",
    ) {
        return r;
    }
    let id = vault_id(&sub, &rg, call.param("vault"));
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
            return bad_request(&format!(
                "The tenant '{}' of an access policy must be the vault's tenant '{tenant}'.",
                entry.tenant_id
            ));
        }
        let pos = policies.iter().position(|p| {
            p["objectId"]
                .as_str()
                .is_some_and(|o| o.eq_ignore_ascii_case(&entry.object_id))
                && entry.application_id.as_deref().is_none_or(|a| {
                    p["applicationId"]
                        .as_str()
                        .is_none_or(|x| x.eq_ignore_ascii_case(a))
                })
        });
        let mut value = match pos {
            Some(i) => policies[i].clone(),
            None => json!({
                "tenantId": entry.tenant_id,
                "objectId": entry.object_id,
                "permissions": { "keys": [], "secrets": [], "certificates": [], "storage": [] },
            }),
        };
        if let Some(a) = &entry.application_id {
            value["applicationId"] = json!(a);
        }
        for (member, _, _) in PERMISSION_KINDS {
            let given = entry.permissions.list(member);
            let current = stored_list(&value, member);
            let next: Vec<String> = match kind.as_str() {
                "add" => {
                    let mut merged = current;
                    for p in given {
                        if !merged.iter().any(|c| c.eq_ignore_ascii_case(p)) {
                            merged.push(p.clone());
                        }
                    }
                    merged
                }
                "remove" => current
                    .into_iter()
                    .filter(|c| !given.iter().any(|p| p.eq_ignore_ascii_case(c)))
                    .collect(),
                _ => given.to_vec(),
            };
            value["permissions"][member] = json!(next);
        }
        let empty = PERMISSION_KINDS
            .iter()
            .all(|(member, _, _)| stored_list(&value, member).is_empty());
        match (pos, empty && kind == "remove") {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_rules_are_ipv4_addresses_or_ranges() {
        assert_eq!(
            parse_ip_rule("203.0.113.7"),
            Some(("203.0.113.7".parse().unwrap(), 32))
        );
        assert_eq!(
            parse_ip_rule("203.0.113.0/24"),
            Some(("203.0.113.0".parse().unwrap(), 24))
        );
        assert_eq!(parse_ip_rule("203.0.113.0/33"), None);
        assert_eq!(parse_ip_rule("2001:db8::1"), None);
        assert_eq!(parse_ip_rule("nope"), None);
    }
}
