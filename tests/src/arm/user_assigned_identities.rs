//! User-assigned managed identities (managedidentity 2026-05-31, `UserAssignedIdentities_Get` and
//! `UserAssignedIdentities_CreateOrUpdate`): PUT answers 201 when it created and 200 when it
//! updated (not long-running); `tenantId`, `principalId` and `clientId` are read-only and assigned
//! here; GET of a missing identity is 404 `ResourceNotFound`, of a missing resource group 404
//! `ResourceGroupNotFound`. The request body is the spec's `Identity` (a `TrackedResource`, so
//! `location` is required), decoded strictly. Every route is authorized first:
//! `Microsoft.ManagedIdentity/userAssignedIdentities/read|write` at the identity's id (403
//! `AuthorizationFailed`); lists show only the identities the caller may read.

use super::{authorize, error, path_scope, permissions, resource_group_not_found};
use crate::contract::{
    Dialect, ModelInfo, SpecEnum, SpecModel, SpecRef, decode, enum_info, struct_info,
};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::{ArmResource, PrincipalType, ServicePrincipal};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use xtcmk::{AppId, ObjectId, SubscriptionId};

const KIND: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";
const PATTERN: &str = "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}";
const SPEC_FILE: &str = "managedidentity/2026-05-31/ManagedIdentity.json";

const fn spec(definition: &'static str) -> SpecRef {
    SpecRef {
        file: SPEC_FILE,
        definition,
    }
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::get(PATTERN, get),
        Route::put(PATTERN, put),
        Route::get(
            "/subscriptions/{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
            list,
        ),
        Route::get(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
            list,
        ),
    ]
}

/// The models of this module with a spec definition, for the conformance test.
pub fn registry() -> Vec<ModelInfo> {
    vec![
        struct_info::<UserAssignedIdentityProperties>(),
        struct_info::<AssignmentRestrictions>(),
        enum_info::<IsolationScope>(),
    ]
}

/// `Identity`: `TrackedResource` (location required, tags) + flattened-by-clients `properties`.
/// `id`, `name`, `type` and `systemData` are read-only and ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdentityBody {
    pub location: String,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub properties: Option<UserAssignedIdentityProperties>,
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub name: Option<Value>,
    #[serde(default, rename = "type")]
    pub kind: Option<Value>,
    #[serde(default)]
    pub system_data: Option<Value>,
}

/// `UserAssignedIdentityProperties`; the read-only ids are accepted and ignored, as ARM does.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserAssignedIdentityProperties {
    #[serde(default)]
    pub tenant_id: Option<Value>,
    #[serde(default)]
    pub principal_id: Option<Value>,
    #[serde(default)]
    pub client_id: Option<Value>,
    #[serde(default)]
    pub isolation_scope: Option<IsolationScope>,
    #[serde(default)]
    pub assignment_restrictions: Option<AssignmentRestrictions>,
}

impl SpecModel for UserAssignedIdentityProperties {
    const SPEC: SpecRef = spec("UserAssignedIdentityProperties");
    fn example() -> Value {
        json!({})
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssignmentRestrictions {
    #[serde(default)]
    pub providers: Option<Vec<String>>,
}

impl SpecModel for AssignmentRestrictions {
    const SPEC: SpecRef = spec("AssignmentRestrictions");
    fn example() -> Value {
        json!({})
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum IsolationScope {
    None,
    Regional,
}

impl SpecEnum for IsolationScope {
    const SPEC: SpecRef = spec("IsolationScope");
}

fn resource_id(call: &Call, sub: &SubscriptionId, rg: &str) -> String {
    crate::state::resource_id(sub, rg, KIND, call.param("name"))
}

/// The subscription id and resource group name (as stored), or ARM's 404.
fn scope(call: &Call) -> Result<(SubscriptionId, String), Reply> {
    let state = call.state();
    let (_, sub) = super::subscription(&state, call)?;
    let rg = sub
        .resource_groups
        .iter()
        .find(|g| g.name.eq_ignore_ascii_case(call.param("rg")))
        .ok_or_else(|| resource_group_not_found(call))?;
    Ok((sub.id, rg.name.clone()))
}

fn not_found(call: &Call) -> Reply {
    error(
        404,
        "ResourceNotFound",
        &format!(
            "The Resource '{KIND}/{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            call.param("name"),
            call.param("rg")
        ),
    )
}

const READ: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/read";
const WRITE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/write";

fn get(call: &Call) -> Reply {
    if let Err(r) = authorize(call, &path_scope(call), READ) {
        return r;
    }
    let (sub, rg) = match scope(call) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match call.state().resource(&resource_id(call, &sub, &rg)) {
        Some(r) if r.kind.eq_ignore_ascii_case(KIND) => Reply::ok(r.body.clone()),
        _ => not_found(call),
    }
}

/// `UserAssignedIdentities_ListBySubscription` / `_ListByResourceGroup` (one page).
fn list(call: &Call) -> Reply {
    let oid = call.caller().claims.oid.clone().unwrap_or_default();
    let state = call.state();
    let sub = match super::subscription(&state, call) {
        Ok((_, sub)) => sub.id,
        Err(r) => return r,
    };
    let rg = call.param("rg");
    if !rg.is_empty() {
        let exists = state.subscription(&sub.to_string()).is_some_and(|(_, s)| {
            s.resource_groups
                .iter()
                .any(|g| g.name.eq_ignore_ascii_case(rg))
        });
        if !exists {
            return resource_group_not_found(call);
        }
    }
    let value: Vec<Value> = state
        .resources
        .values()
        .filter(|r| {
            r.kind.eq_ignore_ascii_case(KIND)
                && r.subscription == sub
                && (rg.is_empty() || r.resource_group.eq_ignore_ascii_case(rg))
                && permissions::allowed(&state, &oid, &r.id, READ)
        })
        .map(|r| r.body.clone())
        .collect();
    Reply::ok(json!({ "value": value }))
}

/// ARM names: 3–128 characters, letters, digits, `-` and `_`, starting with a letter or digit
/// (the managed identity naming rules, learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    (3..=128).contains(&name.chars().count())
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn put(call: &Call) -> Reply {
    if let Err(r) = authorize(call, &path_scope(call), WRITE) {
        return r;
    }
    let body: IdentityBody = match decode(call, Dialect::Arm) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let name = call.param("name").to_string();
    if !valid_name(&name) {
        return error(
            400,
            "InvalidResourceName",
            &format!(
                "Resource name '{name}' is invalid. The name can contain only letters, numbers, underscores and hyphens, has 3-128 characters and starts with a letter or number."
            ),
        );
    }
    let (sub, rg) = match scope(call) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let location: String = body
        .location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let id = resource_id(call, &sub, &rg);
    let tags = body.tags.unwrap_or_default();
    let mut state = call.state();
    if let Some(existing) = state.resource_mut(&id) {
        let current = existing.body["location"].as_str().unwrap_or_default();
        // A tracked resource's location is fixed (ARM's code and text, fortinetsolutions/Azure-Templates#8).
        if !current.eq_ignore_ascii_case(&location) {
            return error(
                400,
                "InvalidResourceLocation",
                &format!(
                    "The resource '{name}' already exists in location '{current}' in resource group '{rg}'. A resource with the same name cannot be created in location '{location}'. Please select a new resource name."
                ),
            );
        }
        existing.body["tags"] = json!(tags);
        return Reply::ok(existing.body.clone());
    }
    let Some(tenant_id) = state.subscription(&sub.to_string()).map(|(t, _)| t.id) else {
        return error(500, "InternalServerError", "the subscription vanished");
    };
    let principal = ObjectId::from_uuid(uuid::Uuid::new_v4());
    let client = AppId::from_uuid(uuid::Uuid::new_v4());
    let body = json!({
        "id": id,
        "name": name,
        "type": KIND,
        "location": location,
        "tags": tags,
        "properties": {
            "tenantId": tenant_id.to_string(),
            "principalId": principal.to_string(),
            "clientId": client.to_string(),
            "isolationScope": body.properties.as_ref().and_then(|p| p.isolation_scope).unwrap_or(IsolationScope::None),
        }
    });
    state.put_resource(ArmResource {
        id: id.clone(),
        subscription: sub,
        resource_group: rg,
        kind: KIND.into(),
        name: name.clone(),
        body: body.clone(),
    });
    if let Some(tenant) = state.tenant_mut(&tenant_id) {
        tenant.service_principals.push(ServicePrincipal {
            id: principal,
            app_id: client,
            display_name: name,
            service_principal_type: PrincipalType::ManagedIdentity,
            app_owner_organization_id: tenant_id,
            directory_roles: Vec::new(),
            app_roles: Vec::new(),
            alternative_names: vec!["isExplicit=True".into(), id],
        });
    }
    Reply::json(201, body)
}
