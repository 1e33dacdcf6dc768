//! `DatabaseAccounts_CreateOrUpdate` / `_Update` / `_Get` / `_Delete` / `_List*` /
//! `_CheckNameExists` and Cosmos DB's rules for customer-managed keys (troubleshoot-cmk, the
//! cross-tenant CMK article and the issue threads named at each rule).

use super::chain::{self, Account, Broken};
use super::models::{
    AccountCreate, AccountUpdate, CreateProperties2022, CreateProperties2026, GET_PROPERTIES_2022,
    GET_RESULTS_2022, UpdateProperties2022, UpdateProperties2026,
};
use super::operations::{self, CREATE, DELETE, UPDATE};
use super::rules::{self, DefaultIdentity, KeyUriProblem};
use super::status::{self, CONFIRMED};
use super::{
    CROSS_TENANT_SINCE, KEY_URI_SINCE, KIND, STATUS_SINCE, api_version, bad_request, rp_error,
};
use crate::arm::{error, permissions};
use crate::contract::{self, Dialect};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::cosmos::Check;
use crate::state::{ArmResource, State};
use serde_json::{Map, Value, json};
use xtcmk::{SubscriptionId, TenantId};

const ACCOUNT: &str = "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.DocumentDB/databaseAccounts/{name}";

pub fn routes() -> Vec<Route> {
    vec![
        Route::get(ACCOUNT, get),
        Route::put(ACCOUNT, put),
        Route::patch(ACCOUNT, patch),
        Route::delete(ACCOUNT, delete),
        Route::get(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.DocumentDB/databaseAccounts",
            list,
        ),
        Route::get(
            "/subscriptions/{sub}/providers/Microsoft.DocumentDB/databaseAccounts",
            list,
        ),
        Route::head(
            "/providers/Microsoft.DocumentDB/databaseAccountNames/{name}",
            check_name,
        ),
    ]
}

// Cosmos DB's texts (troubleshoot-cmk sections 1.2–1.9 unless named otherwise).
/// MicrosoftDocs/azure-docs#70179.
pub const VERSIONED_KEY: &str =
    "Please provide KeyVault Key Uri without version. We will use latest version of the key";
pub const KEY_VAULT_UNREACHABLE: &str =
    "Error contacting the Azure Key Vault resource. Please try again.";
pub const KEY_URI_NOT_UPDATABLE: &str = "Updating KeyVaultKeyUri is not supported";
pub const REVOKED: &str =
    "No Update is allowed on Database Account with Customer Managed Key in Revoked Status";
pub const CROSS_TENANT_SYSTEM_ASSIGNED: &str = "Cross-tenant CMK is not supported with System Assigned identities as Default identities. Please use a User Assigned Identity instead.";
pub const CROSS_TENANT_FIRST_PARTY: &str = "Cross-tenant CMK is not supported with First Party identities as Default identities. Please use a User Assigned identity instead";
pub const SYSTEM_ASSIGNED_AT_CREATE: &str = "Updating default identity not allowed. Cannot set SystemAssignedIdentity as the default identity during provision.";

pub fn invalid_key_uri(uri: &str) -> String {
    format!("Provided KeyVaultKeyUri {uri} is Invalid.")
}

/// Azure/azure-cli#28511.
pub fn invalid_default_identity_format(account: &str) -> String {
    format!(
        "The given default identity for {account} is not valid. The format for the default identity is not valid, please use 'FirstPartyIdentity'/'SystemAssignedIdentity'/'UserAssignedIdentity=<UA_resource_id>'"
    )
}

/// The prefix is Azure's (Azure/azure-cli#28511); the reason after it is the simulator's wording.
pub fn invalid_default_identity(account: &str, reason: &str) -> String {
    format!("The given default identity for {account} is not valid. {reason}")
}

pub fn pinned_tenant(new: &TenantId, old: &TenantId) -> String {
    format!(
        "The tenant for the new Key Vault {new} does not match the one in the old Key Vault {old}. New Key Vaults must be on the same tenant as the old ones."
    )
}

pub fn creation_failed(operation: &str, error: &str) -> String {
    format!("Database account creation failed. Operation Id: {operation}, Error: {error}")
}

/// OfficeDev/microsoft-teams-apps-callrecord-insights#26.
fn name_taken(name: &str) -> String {
    format!(
        "Dns record for {name} under zone Document is already taken. Please use a different name for the account."
    )
}

/// hashicorp/terraform-provider-azurerm#15842 (412 PreconditionFailed).
fn busy(name: &str) -> Reply {
    rp_error(
        412,
        "PreconditionFailed",
        &format!(
            "There is another user operation in progress which requires an exclusive lock on [{name}]. Please retry after sometime."
        ),
    )
}

/// Where an account lives.
#[derive(Debug, Clone)]
pub struct Target {
    pub sub: SubscriptionId,
    pub rg: String,
    pub tenant: TenantId,
    pub rg_location: String,
    pub name: String,
}

impl Target {
    pub fn id(&self) -> String {
        crate::state::resource_id(&self.sub, &self.rg, KIND, &self.name)
    }
}

/// The subscription and resource group of the call's `sub` / `rg` captures (ARM's 404s).
pub fn target(state: &State, call: &Call, name: &str) -> Result<Target, Reply> {
    let (tenant, sub) = crate::arm::subscription(state, call)?;
    let rg = sub
        .resource_groups
        .iter()
        .find(|g| g.name.eq_ignore_ascii_case(call.param("rg")))
        .ok_or_else(|| crate::arm::resource_group_not_found(call))?;
    Ok(Target {
        sub: sub.id,
        rg: rg.name.clone(),
        tenant: tenant.id,
        rg_location: rg.location.clone(),
        name: name.to_string(),
    })
}

fn not_found(name: &str, rg: &str) -> Reply {
    error(
        404,
        "ResourceNotFound",
        &format!(
            "The Resource '{KIND}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    )
}

/// The account as a GET with api-version `api` shows it: before 2023-09-15 only the members of
/// the 2022-05-15 `DatabaseAccountGetProperties`; from then on also `customerManagedKeyStatus`.
pub fn view(state: &State, body: &Value, api: &str) -> Value {
    let mut out = body.clone();
    if let Some(top) = out.as_object_mut() {
        top.retain(|k, _| GET_RESULTS_2022.contains(&k.as_str()));
    }
    let id = body["id"].as_str().unwrap_or_default();
    if let Some(props) = out["properties"].as_object_mut() {
        if api < STATUS_SINCE {
            props.retain(|k, _| GET_PROPERTIES_2022.contains(&k.as_str()));
        } else if let Some(status) = state.cosmos.meta(id).and_then(|m| m.status.clone())
            && props
                .get("keyVaultKeyUri")
                .and_then(Value::as_str)
                .is_some_and(|k| !k.is_empty())
        {
            props.insert("customerManagedKeyStatus".into(), json!(status));
        }
    }
    out
}

fn get(call: &Call) -> Reply {
    let name = call.param("name").to_string();
    let mut state = call.state();
    let target = match target(&state, call, &name) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let api = match api_version(call, &target.rg_location) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let id = target.id();
    if state.resource(&id).is_none() {
        return not_found(&name, &target.rg);
    }
    // Time passes for a running operation as it does for its poller.
    if let Some(op) = operations::running(&state, &id) {
        operations::advance(&mut state, &op);
    }
    status::refresh(&call.sim, &mut state, &id);
    match state.resource(&id).map(|r| r.body.clone()) {
        Some(body) => Reply::ok(view(&state, &body, &api)),
        None => not_found(&name, &target.rg),
    }
}

/// `DatabaseAccounts_ListByResourceGroup` / `DatabaseAccounts_List` (one page).
fn list(call: &Call) -> Reply {
    let mut state = call.state();
    let (sub_id, location) = match crate::arm::subscription(&state, call) {
        Ok((_, sub)) => {
            let rg = call.param("rg");
            if rg.is_empty() {
                (sub.id, String::new())
            } else {
                match sub
                    .resource_groups
                    .iter()
                    .find(|g| g.name.eq_ignore_ascii_case(rg))
                {
                    Some(g) => (sub.id, g.location.clone()),
                    None => return crate::arm::resource_group_not_found(call),
                }
            }
        }
        Err(r) => return r,
    };
    let api = match api_version(call, &location) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let rg = call.param("rg").to_string();
    let ids: Vec<String> = state
        .resources
        .values()
        .filter(|r| {
            r.kind.eq_ignore_ascii_case(KIND)
                && r.subscription == sub_id
                && (rg.is_empty() || r.resource_group.eq_ignore_ascii_case(&rg))
        })
        .map(|r| r.id.clone())
        .collect();
    let mut value = Vec::new();
    for id in ids {
        status::refresh(&call.sim, &mut state, &id);
        if let Some(body) = state.resource(&id).map(|r| r.body.clone()) {
            value.push(view(&state, &body, &api));
        }
    }
    Reply::ok(json!({ "value": value }))
}

/// `HEAD /providers/Microsoft.DocumentDB/databaseAccountNames/{name}`: 200 when an account of that
/// name exists anywhere (names are global, they become DNS names), 404 otherwise.
/// The api-version was checked by ARM ([`crate::arm::api_versions`], `databaseAccountNames`).
fn check_name(call: &Call) -> Reply {
    let name = call.param("name");
    let taken = call
        .state()
        .resources
        .values()
        .any(|r| r.kind.eq_ignore_ascii_case(KIND) && r.name.eq_ignore_ascii_case(name));
    Reply::empty(if taken { 200 } else { 404 })
}

/// PUT (replace what it sends) or PATCH (change what it sends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Put,
    Patch,
}

/// A write Cosmos DB accepted.
#[derive(Debug, Clone)]
pub struct Done {
    pub created: bool,
    pub id: String,
    pub location: String,
    pub operation: String,
    pub view: Value,
}

fn put(call: &Call) -> Reply {
    write_request(call, Mode::Put)
}

fn patch(call: &Call) -> Reply {
    write_request(call, Mode::Patch)
}

fn write_request(call: &Call, mode: Mode) -> Reply {
    let body: Value = match contract::decode(call, Dialect::Arm) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let name = call.param("name").to_string();
    let mut state = call.state();
    let api = {
        let location = match target(&state, call, &name) {
            Ok(t) => t.rg_location,
            Err(r) => return r,
        };
        match api_version(call, &location) {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
    match write(call, &mut state, &api, &name, &body, mode) {
        Ok(done) => {
            let sub = done.id.split('/').nth(2).unwrap_or_default().to_string();
            let url = operations::status_url(call, &sub, &done.location, &done.operation, &api);
            Reply::json(200, done.view)
                .header("Azure-AsyncOperation", url)
                .header("Retry-After", call.sim.lro_retry_after().to_string())
        }
        Err(r) => r,
    }
}

/// Decodes the body strictly with the model of `api` and `mode` (see [`super::models`]).
fn validate_body(call: &Call, api: &str, body: &Value, mode: Mode) -> Result<(), Reply> {
    let bytes = body.to_string();
    let bytes = bytes.as_bytes();
    let checked = match (mode, api >= STATUS_SINCE) {
        (Mode::Put, false) => {
            contract::parse::<AccountCreate<CreateProperties2022>>(bytes).map(|_| ())
        }
        (Mode::Put, true) => {
            contract::parse::<AccountCreate<CreateProperties2026>>(bytes).map(|_| ())
        }
        (Mode::Patch, false) => {
            contract::parse::<AccountUpdate<UpdateProperties2022>>(bytes).map(|_| ())
        }
        (Mode::Patch, true) => {
            contract::parse::<AccountUpdate<UpdateProperties2026>>(bytes).map(|_| ())
        }
    };
    checked.map_err(|e| contract::refuse(call, Dialect::Arm, &e))
}

/// Creates or updates the account `name` in the call's subscription and resource group with
/// `body` as api-version `api` defines it: everything a PUT or PATCH of the account — or a template
/// deployment of one — goes through.
pub fn write(
    call: &Call,
    state: &mut State,
    api: &str,
    name: &str,
    body: &Value,
    mode: Mode,
) -> Result<Done, Reply> {
    let target = target(state, call, name)?;
    if let Some(problem) = rules::name_problem(name) {
        return Err(bad_request(&problem));
    }
    validate_body(call, api, body, mode)?;
    let id = target.id();
    let oid = call.caller().claims.oid.clone().unwrap_or_default();
    let action = "Microsoft.DocumentDB/databaseAccounts/write";
    if !permissions::allowed(state, &oid, &id, action) {
        return Err(permissions::authorization_failed(call, action, &id));
    }
    match state.resource(&id).cloned() {
        None if mode == Mode::Patch => Err(not_found(name, &target.rg)),
        None => create(call, state, api, &target, body),
        Some(current) => update(call, state, api, &target, &current, body, mode),
    }
}

/// The user-assigned identity ids of an `identity` block, as sent.
fn identity_ids(identity: &Value) -> Vec<String> {
    identity["userAssignedIdentities"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// ARM's checks of the identities a write assigns: each must exist (FailedIdentityOperation, the
/// wrapper of Azure/azure-libraries-for-net#690) and the caller needs `assign/action` on it
/// (LinkedAuthorizationFailed, Azure/aad-pod-identity#443).
fn check_identities(
    state: &State,
    account_id: &str,
    oid: &str,
    ids: &[String],
) -> Result<(), Reply> {
    for uami in ids {
        let exists = rules::is_uami_id(uami)
            && state.resource(uami).is_some_and(|r| {
                r.kind
                    .eq_ignore_ascii_case("Microsoft.ManagedIdentity/userAssignedIdentities")
            });
        if !exists {
            let inner = json!({ "error": { "code": "NotFound", "message": format!("Resource '{uami}' does not exist or one of its queried reference-property objects are not present.") } });
            return Err(error(
                400,
                "FailedIdentityOperation",
                &format!(
                    "Identity operation for resource '{account_id}' failed with error 'Failed to perform resource identity operation. Status: 'NotFound'. Response: '{inner}'.'."
                ),
            ));
        }
        let assign = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action";
        if !permissions::allowed(state, oid, uami, assign) {
            return Err(error(
                403,
                "LinkedAuthorizationFailed",
                &format!(
                    "The client '{oid}' with object id '{oid}' has permission to perform action 'Microsoft.DocumentDB/databaseAccounts/write' on scope '{account_id}'; however, it does not have permission to perform action '{assign}' on the linked scope(s) '{uami}' or the linked scope(s) are invalid."
                ),
            ));
        }
    }
    Ok(())
}

/// The stored `identity`: the type, and for each user-assigned identity its principal and client
/// ids; a system-assigned identity keeps its principal id across updates.
fn identity_body(state: &State, sent: &Value, previous: &Value, tenant: &TenantId) -> Value {
    let kind = sent["type"].as_str().unwrap_or("None");
    let mut out = json!({ "type": kind });
    if kind.contains("SystemAssigned") {
        let principal = previous["principalId"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        out["principalId"] = json!(principal);
        out["tenantId"] = json!(tenant.to_string());
    }
    let ids = identity_ids(sent);
    if !ids.is_empty() {
        let mut map = Map::new();
        for uami in ids {
            let props = state
                .resource(&uami)
                .map(|r| r.body["properties"].clone())
                .unwrap_or(Value::Null);
            map.insert(
                uami,
                json!({ "principalId": props["principalId"], "clientId": props["clientId"] }),
            );
        }
        out["userAssignedIdentities"] = Value::Object(map);
    }
    out
}

/// `(type, sorted lower-cased ids)`: what makes two identity blocks the same.
fn identity_key(identity: &Value) -> (String, Vec<String>) {
    let mut ids: Vec<String> = identity_ids(identity)
        .iter()
        .map(|i| i.to_ascii_lowercase())
        .collect();
    ids.sort();
    let kind = identity["type"]
        .as_str()
        .unwrap_or("None")
        .replace(' ', "")
        .to_ascii_lowercase();
    (kind, ids)
}

fn location_segment(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// `locations` as the service shows them, and the write/read locations and failover policies.
fn set_locations(props: &mut Map<String, Value>, name: &str, sent: &Value) {
    let mut locations = Vec::new();
    for (i, l) in sent
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let location = l["locationName"].as_str().unwrap_or_default();
        let segment = location_segment(location);
        locations.push(json!({
            "id": format!("{name}-{segment}"),
            "locationName": location,
            "documentEndpoint": format!("https://{name}-{segment}.documents.localhost:443/"),
            "provisioningState": "Succeeded",
            "failoverPriority": l["failoverPriority"].as_i64().unwrap_or(i as i64),
            "isZoneRedundant": l["isZoneRedundant"].as_bool().unwrap_or(false),
        }));
    }
    let failover: Vec<Value> = locations
        .iter()
        .map(|l| json!({ "id": l["id"], "locationName": l["locationName"], "failoverPriority": l["failoverPriority"] }))
        .collect();
    let write: Vec<Value> = locations
        .iter()
        .filter(|l| l["failoverPriority"] == json!(0))
        .cloned()
        .collect();
    props.insert("writeLocations".into(), json!(write));
    props.insert("readLocations".into(), json!(locations));
    props.insert("locations".into(), json!(locations));
    props.insert("failoverPolicies".into(), json!(failover));
}

/// Members a request may carry that the service computes itself.
const IGNORED: [&str; 2] = ["keysMetadata", "customerManagedKeyStatus"];

/// The properties of a new account: the service's defaults under what the request sets.
fn new_properties(name: &str, sent: &Map<String, Value>) -> Map<String, Value> {
    let mut props = json!({
        "provisioningState": CREATE[0],
        "documentEndpoint": format!("https://{name}.documents.localhost:443/"),
        "databaseAccountOfferType": "Standard",
        "ipRules": [],
        "isVirtualNetworkFilterEnabled": false,
        "enableAutomaticFailover": false,
        "consistencyPolicy": { "defaultConsistencyLevel": "Session", "maxIntervalInSeconds": 5, "maxStalenessPrefix": 100 },
        "capabilities": [],
        "virtualNetworkRules": [],
        "privateEndpointConnections": [],
        "enableMultipleWriteLocations": false,
        "enableCassandraConnector": false,
        "connectorOffer": "",
        "disableKeyBasedMetadataWriteAccess": false,
        // Cosmos DB's default identity when none is given (troubleshoot-cmk 1.9, terraform `default_identity_type`).
        "defaultIdentity": "FirstPartyIdentity",
        "minimalTlsVersion": "Tls12",
        "publicNetworkAccess": "Enabled",
        "enableFreeTier": false,
        "enableAnalyticalStorage": false,
        "instanceId": uuid::Uuid::new_v4().to_string(),
        "createMode": "Default",
        "backupPolicy": { "type": "Periodic", "periodicModeProperties": { "backupIntervalInMinutes": 240, "backupRetentionIntervalInHours": 8, "backupStorageRedundancy": "Geo" } },
        "cors": [],
        "networkAclBypass": "None",
        "networkAclBypassResourceIds": [],
        "disableLocalAuth": false,
        "enablePartitionMerge": false,
        "enableBurstCapacity": false,
    });
    let props = props.as_object_mut().expect("an object");
    for (k, v) in sent {
        if !IGNORED.contains(&k.as_str()) && k != "locations" {
            props.insert(k.clone(), v.clone());
        }
    }
    set_locations(props, name, &sent["locations"]);
    props.clone()
}

/// `keyVaultKeyUri` as Cosmos DB checks its format.
fn check_key_uri(call: &Call, uri: &str) -> Result<rules::KeyRef, Reply> {
    rules::parse_key_uri(&call.sim.cloud, uri).map_err(|problem| match problem {
        KeyUriProblem::Versioned => bad_request(VERSIONED_KEY),
        KeyUriProblem::Invalid => bad_request(&invalid_key_uri(uri)),
    })
}

/// Parses a `defaultIdentity` the request sets; the cross-tenant form needs 2022-05-15.
fn check_default_identity(account: &str, api: &str, raw: &str) -> Result<DefaultIdentity, Reply> {
    let parsed = rules::parse_default_identity(raw)
        .ok_or_else(|| bad_request(&invalid_default_identity_format(account)))?;
    if parsed.federated().is_some() && api < CROSS_TENANT_SINCE {
        return Err(bad_request(&invalid_default_identity_format(account)));
    }
    Ok(parsed)
}

/// A user-assigned default identity must be one of the account's user-assigned identities.
fn check_membership(account: &str, di: &DefaultIdentity, ids: &[String]) -> Result<(), Reply> {
    if let DefaultIdentity::UserAssigned { identity, .. } = di
        && !ids.iter().any(|i| i.eq_ignore_ascii_case(identity))
    {
        return Err(bad_request(&invalid_default_identity(
            account,
            &format!(
                "The user assigned identity {identity} is not one of the account's user assigned identities."
            ),
        )));
    }
    Ok(())
}

/// The tenant of the vault a key URI names, if that vault exists.
fn key_tenant(state: &State, key: &rules::KeyRef) -> Option<TenantId> {
    state.vault(&key.vault).and_then(chain::vault_tenant)
}

/// Cosmos DB's answer when the chain fails while the account is created.
fn create_refusal(operation: &str, broken: &Broken) -> Reply {
    match &broken.key_vault_error {
        // troubleshoot-cmk 1.1: Key Vault's firewall answer, inside a 403.
        Some(kv) => rp_error(
            403,
            "Forbidden",
            &creation_failed(operation, &kv.to_string()),
        ),
        // troubleshoot-cmk 1.2: everything else is the same 503.
        None => rp_error(
            503,
            "ServiceUnavailable",
            &creation_failed(operation, KEY_VAULT_UNREACHABLE),
        ),
    }
}

fn create(
    call: &Call,
    state: &mut State,
    api: &str,
    target: &Target,
    body: &Value,
) -> Result<Done, Reply> {
    let name = &target.name;
    let id = target.id();
    let oid = call.caller().claims.oid.clone().unwrap_or_default();
    let operation = uuid::Uuid::new_v4().to_string();
    if state
        .resources
        .values()
        .any(|r| r.kind.eq_ignore_ascii_case(KIND) && r.name.eq_ignore_ascii_case(name))
    {
        return Err(bad_request(&name_taken(name)));
    }
    let sent_props = body["properties"].as_object().cloned().unwrap_or_default();
    let sent_identity = body
        .get("identity")
        .cloned()
        .unwrap_or(json!({ "type": "None" }));
    let ids = identity_ids(&sent_identity);
    check_identities(state, &id, &oid, &ids)?;
    let di = match sent_props.get("defaultIdentity").and_then(Value::as_str) {
        Some(raw) => Some(check_default_identity(name, api, raw)?),
        None => None,
    };
    if matches!(di, Some(DefaultIdentity::SystemAssigned { .. })) {
        return Err(bad_request(&creation_failed(
            &operation,
            SYSTEM_ASSIGNED_AT_CREATE,
        )));
    }
    if let Some(di) = &di {
        check_membership(name, di, &ids)?;
    }
    let key_uri = sent_props
        .get("keyVaultKeyUri")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty());
    let mut reached = None;
    if let Some(uri) = key_uri {
        if api < KEY_URI_SINCE {
            return Err(bad_request(KEY_URI_NOT_UPDATABLE));
        }
        let key = check_key_uri(call, uri)?;
        let federated = di.as_ref().and_then(DefaultIdentity::federated).is_some();
        let cross = federated || key_tenant(state, &key).is_some_and(|t| t != target.tenant);
        if cross && matches!(di, None | Some(DefaultIdentity::FirstParty { .. })) {
            return Err(bad_request(CROSS_TENANT_FIRST_PARTY));
        }
        let outcome = chain::run(
            &call.sim,
            state,
            &Account {
                key_uri: uri,
                default_identity: sent_props.get("defaultIdentity").and_then(Value::as_str),
                user_assigned: &ids,
            },
        );
        match outcome {
            Ok(r) => reached = Some(r),
            Err(broken) => {
                status::record(state, &id, Check::Create, &broken);
                return Err(create_refusal(&operation, &broken));
            }
        }
    }
    let location = body["location"]
        .as_str()
        .map(location_segment)
        .unwrap_or_else(|| location_segment(&target.rg_location));
    let stored = json!({
        "id": id,
        "name": name,
        "type": KIND,
        "location": location,
        "tags": body.get("tags").cloned().unwrap_or(json!({})),
        "kind": body.get("kind").cloned().unwrap_or(json!("GlobalDocumentDB")),
        "identity": identity_body(state, &sent_identity, &Value::Null, &target.tenant),
        "properties": new_properties(name, &sent_props),
    });
    state.put_resource(ArmResource {
        id: id.clone(),
        subscription: target.sub,
        resource_group: target.rg.clone(),
        kind: KIND.into(),
        name: name.clone(),
        body: stored.clone(),
    });
    let meta = state.cosmos.meta_mut(&id);
    *meta = Default::default();
    if let Some(r) = reached {
        meta.key_tenant = r.cross_tenant.then_some(r.vault_tenant);
        meta.status = Some(CONFIRMED.to_string());
    }
    let op = operations::start(state, &id, &CREATE);
    let shown = state
        .resource(&id)
        .map(|r| r.body.clone())
        .unwrap_or(stored);
    Ok(Done {
        created: true,
        id: id.clone(),
        location,
        operation: op,
        view: view(state, &shown, api),
    })
}

fn update(
    call: &Call,
    state: &mut State,
    api: &str,
    target: &Target,
    current: &ArmResource,
    body: &Value,
    mode: Mode,
) -> Result<Done, Reply> {
    let name = &target.name;
    let id = target.id();
    let oid = call.caller().claims.oid.clone().unwrap_or_default();
    if operations::running(state, &id).is_some() {
        return Err(busy(name));
    }
    let cur_props = current.body["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let sent_props = body["properties"].as_object().cloned().unwrap_or_default();
    let cur_key = cur_props
        .get("keyVaultKeyUri")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    let cmk_on = cur_key.is_some();

    // What the request touches: for a PATCH every member it sends, for a PUT every member it changes.
    let mut touched: Vec<String> = sent_props
        .iter()
        .filter(|(k, v)| {
            !IGNORED.contains(&k.as_str()) && (mode == Mode::Patch || cur_props.get(*k) != Some(*v))
        })
        .map(|(k, _)| k.clone())
        .collect();
    for member in ["tags", "location", "kind"] {
        if let Some(v) = body.get(member)
            && (mode == Mode::Patch || current.body.get(member) != Some(v))
        {
            touched.push(member.to_string());
        }
    }
    let sent_identity = body.get("identity").cloned();
    let identity_changed = sent_identity
        .as_ref()
        .is_some_and(|i| identity_key(i) != identity_key(&current.body["identity"]));

    // troubleshoot-cmk 1.5: while revoked only the identities and the default identity may change.
    if cmk_on {
        let revoked =
            status::refresh(&call.sim, state, &id).is_some_and(|s| status::is_revoked(&s));
        if revoked
            && touched
                .iter()
                .any(|m| m != "identity" && m != "defaultIdentity")
        {
            return Err(bad_request(REVOKED));
        }
    }

    // troubleshoot-cmk 1.4: a customer-managed key cannot be removed.
    let sent_key = sent_props.get("keyVaultKeyUri");
    let removes_key = match sent_key {
        Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        None => mode == Mode::Put,
        Some(_) => false,
    };
    if cmk_on && removes_key {
        return Err(bad_request(KEY_URI_NOT_UPDATABLE));
    }
    let new_key = match sent_key.and_then(Value::as_str).filter(|k| !k.is_empty()) {
        Some(k) => Some(k.to_string()),
        None => cur_key.clone(),
    };
    let key_changed = new_key != cur_key;
    if key_changed && api < KEY_URI_SINCE {
        return Err(bad_request(KEY_URI_NOT_UPDATABLE));
    }
    let new_key_ref = match (&new_key, key_changed) {
        (Some(k), true) => Some(check_key_uri(call, k)?),
        (Some(k), false) => rules::parse_key_uri(&call.sim.cloud, k).ok(),
        (None, _) => None,
    };

    let new_identity = sent_identity
        .clone()
        .unwrap_or_else(|| current.body["identity"].clone());
    let ids = identity_ids(&new_identity);
    if sent_identity.is_some() {
        check_identities(state, &id, &oid, &ids)?;
    }

    let cur_di = cur_props
        .get("defaultIdentity")
        .and_then(Value::as_str)
        .unwrap_or("FirstPartyIdentity")
        .to_string();
    let sent_di = sent_props.get("defaultIdentity").and_then(Value::as_str);
    // Updating the identities and the default identity in one request silently keeps the old
    // default identity (Azure bug 2209567, hashicorp/terraform-provider-azurerm#21780): two requests.
    let di_changed = sent_di.is_some_and(|d| d != cur_di) && !identity_changed;
    let new_di = if di_changed {
        sent_di.unwrap_or_default().to_string()
    } else {
        cur_di.clone()
    };
    let parsed_di = if di_changed {
        let parsed = check_default_identity(name, api, &new_di)?;
        check_membership(name, &parsed, &ids)?;
        Some(parsed)
    } else {
        rules::parse_default_identity(&new_di)
    };

    let meta = state.cosmos.meta(&id).cloned().unwrap_or_default();
    if let Some(key) = &new_key_ref {
        let federated = parsed_di
            .as_ref()
            .and_then(DefaultIdentity::federated)
            .is_some();
        let cross = federated
            || meta.key_tenant.is_some()
            || key_tenant(state, key).is_some_and(|t| t != target.tenant);
        if cross && (di_changed || key_changed) {
            match parsed_di {
                Some(DefaultIdentity::SystemAssigned { .. }) => {
                    return Err(bad_request(CROSS_TENANT_SYSTEM_ASSIGNED));
                }
                Some(DefaultIdentity::FirstParty { .. }) | None => {
                    return Err(bad_request(CROSS_TENANT_FIRST_PARTY));
                }
                _ => {}
            }
        }
        // troubleshoot-cmk 1.7: a cross-tenant account stays with its key's tenant.
        if key_changed
            && let (Some(old), Some(new)) = (meta.key_tenant, key_tenant(state, key))
            && old != new
        {
            return Err(bad_request(&pinned_tenant(&new, &old)));
        }
    }

    let mut reached = None;
    if let Some(uri) = new_key.as_deref()
        && (key_changed || di_changed)
    {
        let outcome = chain::run(
            &call.sim,
            state,
            &Account {
                key_uri: uri,
                default_identity: Some(&new_di),
                user_assigned: &ids,
            },
        );
        match outcome {
            Ok(r) => reached = Some(r),
            Err(broken) => {
                let check = if key_changed {
                    Check::KeyChange
                } else {
                    Check::DefaultIdentityChange
                };
                status::record(state, &id, check, &broken);
                return Err(if key_changed {
                    match &broken.key_vault_error {
                        Some(kv) => rp_error(403, "Forbidden", &kv.to_string()),
                        None => rp_error(503, "ServiceUnavailable", KEY_VAULT_UNREACHABLE),
                    }
                } else {
                    // The change is refused and the default identity stays as it was
                    // (Azure/azure-cli#17583, the Cosmos DB team's note on default identity validation).
                    bad_request(&invalid_default_identity(name, KEY_VAULT_UNREACHABLE))
                });
            }
        }
    }

    let mut stored = current.body.clone();
    let props = stored["properties"]
        .as_object_mut()
        .expect("an account has properties");
    for (k, v) in &sent_props {
        if IGNORED.contains(&k.as_str()) || k == "locations" {
            continue;
        }
        props.insert(k.clone(), v.clone());
    }
    if sent_props.get("locations").is_some() {
        set_locations(props, name, &sent_props["locations"]);
    }
    props.insert("defaultIdentity".into(), json!(new_di));
    match &new_key {
        Some(k) => props.insert("keyVaultKeyUri".into(), json!(k)),
        None => props.remove("keyVaultKeyUri"),
    };
    if let Some(sent) = &sent_identity {
        stored["identity"] = identity_body(state, sent, &current.body["identity"], &target.tenant);
    }
    for member in ["tags", "kind"] {
        if let Some(v) = body.get(member) {
            stored[member] = v.clone();
        }
    }
    let location = stored["location"].as_str().unwrap_or_default().to_string();
    if let Some(account) = state.resource_mut(&id) {
        account.body = stored;
    }
    if let Some(r) = reached {
        let meta = state.cosmos.meta_mut(&id);
        if r.cross_tenant {
            meta.key_tenant = Some(r.vault_tenant);
        }
        meta.status = Some(CONFIRMED.to_string());
        meta.pending_status = None;
        meta.last_failure = None;
    }
    let op = operations::start(state, &id, &UPDATE);
    let shown = state
        .resource(&id)
        .map(|r| r.body.clone())
        .unwrap_or_default();
    Ok(Done {
        created: false,
        id,
        location,
        operation: op,
        view: view(state, &shown, api),
    })
}

fn delete(call: &Call) -> Reply {
    let name = call.param("name").to_string();
    let mut state = call.state();
    let target = match target(&state, call, &name) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let api = match api_version(call, &target.rg_location) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let id = target.id();
    let oid = call.caller().claims.oid.clone().unwrap_or_default();
    let action = "Microsoft.DocumentDB/databaseAccounts/delete";
    if !permissions::allowed(&state, &oid, &id, action) {
        return permissions::authorization_failed(call, action, &id);
    }
    let Some(account) = state.resource(&id).cloned() else {
        return Reply::empty(204);
    };
    if operations::running(&state, &id).is_some() {
        return busy(&name);
    }
    let op = operations::start(&mut state, &id, &DELETE);
    let location = account.body["location"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Reply::empty(202)
        .header(
            "Location",
            operations::results_url(call, &target.sub.to_string(), &location, &op, &api),
        )
        .header("Retry-After", call.sim.lro_retry_after().to_string())
}

/// Stores a scenario's account as a finished create would have: `Succeeded`, its key status
/// unset until the first read runs the chain.
pub fn seed(
    state: &mut State,
    tenant: TenantId,
    sub: SubscriptionId,
    spec: &crate::scenario::CosmosAccountSpec,
) {
    let Some(rg) = state.subscription(&sub.to_string()).and_then(|(_, s)| {
        s.resource_groups
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(&spec.resource_group))
            .cloned()
    }) else {
        return;
    };
    let location = location_segment(spec.location.as_deref().unwrap_or(&rg.location));
    let id = crate::state::resource_id(&sub, &rg.name, KIND, &spec.name);
    let uai: Map<String, Value> = spec
        .user_assigned_identities
        .iter()
        .map(|i| (i.clone(), json!({})))
        .collect();
    let identity = if uai.is_empty() {
        json!({ "type": "None" })
    } else {
        json!({ "type": "UserAssigned", "userAssignedIdentities": uai })
    };
    let mut sent = json!({
        "locations": [{ "locationName": location, "failoverPriority": 0 }],
        "databaseAccountOfferType": "Standard",
    });
    if let Some(key) = &spec.key_vault_key_uri {
        sent["keyVaultKeyUri"] = json!(key);
    }
    if let Some(di) = &spec.default_identity {
        sent["defaultIdentity"] = json!(di);
    }
    let mut properties = new_properties(&spec.name, sent.as_object().expect("an object"));
    properties.insert("provisioningState".into(), json!("Succeeded"));
    let body = json!({
        "id": id,
        "name": spec.name,
        "type": KIND,
        "location": location,
        "tags": {},
        "kind": "GlobalDocumentDB",
        "identity": identity_body(state, &identity, &Value::Null, &tenant),
        "properties": properties,
    });
    state.put_resource(ArmResource {
        id: id.clone(),
        subscription: sub,
        resource_group: rg.name.clone(),
        kind: KIND.into(),
        name: spec.name.clone(),
        body,
    });
    // A cross-tenant account is pinned to its vault's tenant from the start.
    let federated = spec
        .default_identity
        .as_deref()
        .and_then(rules::parse_default_identity)
        .and_then(|d| d.federated())
        .is_some();
    let vault_tenant = spec
        .key_vault_key_uri
        .as_deref()
        .and_then(|k| k.split("//").nth(1))
        .and_then(|rest| rest.split('.').next())
        .and_then(|vault| state.vault(vault))
        .and_then(chain::vault_tenant);
    let meta = state.cosmos.meta_mut(&id);
    meta.key_tenant = vault_tenant.filter(|_| federated);
}
