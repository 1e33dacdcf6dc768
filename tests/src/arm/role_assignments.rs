//! Role assignments (authorization 2022-04-01, `RoleAssignments_Create/Get/Delete/ListForScope`)
//! at the scopes onboarding uses: subscription, resource group, vault and key. Stored as ARM
//! resources of type `Microsoft.Authorization/roleAssignments` (the Key Vault data plane reads
//! them to authorize key operations).
//!
//! Azure's rules kept here:
//! - reads, lists, writes and deletes need `Microsoft.Authorization/roleAssignments/read|write|delete`
//!   at the scope (403 `AuthorizationFailed`), checked before anything else;
//! - the name is a GUID; the body needs `properties.roleDefinitionId` and `properties.principalId`;
//! - the scope must exist, down to the key of a key scope (404 `ResourceNotFound`);
//! - `roleDefinitionId` is a fully qualified id, `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}`
//!   or `/providers/Microsoft.Authorization/roleDefinitions/{guid}` (400 `InvalidRoleDefinitionId`,
//!   "The role definition ID '…' is not valid.", terraform-provider-azurerm#8547), naming a role
//!   that exists (400 `RoleDefinitionDoesNotExist`);
//! - with a `principalType`, ARM skips the directory lookup, so a principal created moments ago
//!   is accepted at once; only a principal ARM does see with another type is refused (400
//!   `UnmatchedPrincipalType`). Without one, the principal must exist in the subscription's
//!   directory *as ARM sees it*: a principal not replicated yet → 400 `PrincipalNotFound`
//!   (replication kind [`PRINCIPAL`]; https://aka.ms/docs-principaltype);
//! - the same role for the same principal at the same scope under another name → 409
//!   `RoleAssignmentExists`; the same name with other content → 409 `RoleAssignmentUpdateNotPermitted`.

use super::error;
use super::permissions;
use super::role_definitions;
use super::{authorize, path_scope};
use crate::contract::{Dialect, SpecModel, SpecRef, decode};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::{ArmResource, State};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::ops::Bound;
use xtcmk::SubscriptionId;

pub const KIND: &str = "Microsoft.Authorization/roleAssignments";

/// Replication kind: a principal as ARM's authorization service sees it (key `{tenant}/{oid}`).
pub const PRINCIPAL: &str = "principal";

/// Replication kind: a new role assignment as the Key Vault data plane sees it (key: its id).
/// RBAC changes take a while to reach data planes ("please observe propagation time", the
/// text of Key Vault's 403 `ForbiddenByRbac`).
pub const PROPAGATION: &str = "roleAssignmentPropagation";

/// Whether the assignment with this id has reached the data plane (a counted read).
pub fn propagated(shared: &crate::shared::Shared, id: &str) -> bool {
    shared.replication.visible(PROPAGATION, id)
}

const SPEC: &str = "authorization/2022-04-01/authorization-RoleAssignmentsCalls.json";

const SCOPES: [&str; 4] = [
    "/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments",
    "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Authorization/roleAssignments",
    "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/providers/Microsoft.Authorization/roleAssignments",
    "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/keys/{key}/providers/Microsoft.Authorization/roleAssignments",
];
const NAMED: [&str; 4] = [
    "/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/{name}",
    "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Authorization/roleAssignments/{name}",
    "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/providers/Microsoft.Authorization/roleAssignments/{name}",
    "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/keys/{key}/providers/Microsoft.Authorization/roleAssignments/{name}",
];

pub fn routes() -> Vec<Route> {
    let mut routes = Vec::new();
    for p in NAMED {
        routes.push(Route::get(p, get));
        routes.push(Route::put(p, put));
        routes.push(Route::delete(p, delete));
    }
    for p in SCOPES {
        routes.push(Route::get(p, list));
    }
    routes
}

/// The fields of a stored assignment the rules look at.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub id: String,
    pub scope: String,
    pub principal_id: String,
    pub role_definition_id: String,
}

/// The stored role assignments whose scope is `scope`, above it or below it (the candidates
/// of [`permissions::covers`] either way; callers apply the exact test). Found by key range, not
/// by a walk over every resource in the cloud: an assignment's key is its scope, lowercased,
/// then `/providers/microsoft.authorization/roleassignments/{name}`.
pub fn related(state: &State, scope: &str) -> Vec<Assignment> {
    const AT: &str = "/providers/microsoft.authorization/roleassignments/";
    let scope = scope.trim_end_matches('/').to_ascii_lowercase();
    // At or below the scope, then at each scope above it, up to the root.
    let mut prefixes = vec![format!("{scope}/")];
    let mut end = scope.len();
    while let Some(i) = scope[..end].rfind('/') {
        prefixes.push(format!("{}{AT}", &scope[..i]));
        end = i;
    }
    let mut found: BTreeMap<&str, Assignment> = BTreeMap::new();
    for prefix in &prefixes {
        let keys = state
            .resources
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix.as_str()));
        for (key, r) in keys {
            if r.kind.eq_ignore_ascii_case(KIND) {
                found.entry(key).or_insert_with(|| assignment(r));
            }
        }
    }
    found.into_values().collect()
}

fn assignment(r: &ArmResource) -> Assignment {
    let p = &r.body["properties"];
    let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
    Assignment {
        id: r.id.clone(),
        scope: p["scope"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| scope_of(&r.id)),
        principal_id: s("principalId"),
        role_definition_id: s("roleDefinitionId"),
    }
}

/// The scope part of a path: everything before `/providers/Microsoft.Authorization/`.
fn scope_of(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    let cut = lower
        .find("/providers/microsoft.authorization/")
        .unwrap_or(path.len());
    path[..cut].to_string()
}

fn subscription_of(scope: &str) -> Option<SubscriptionId> {
    scope.split('/').nth(2)?.parse().ok()
}

fn resource_group_of(scope: &str) -> String {
    let parts: Vec<&str> = scope.split('/').collect();
    match parts.get(3) {
        Some(s) if s.eq_ignore_ascii_case("resourcegroups") => {
            parts.get(4).copied().unwrap_or_default().to_string()
        }
        _ => String::new(),
    }
}

/// Stores an assignment directly (scenario set-up in tests: "this user is Owner of the
/// subscription"). Returns its id.
pub fn assign(
    state: &mut State,
    scope: &str,
    role_guid: &str,
    principal: &str,
    principal_type: &str,
) -> String {
    let name = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("{scope}|{role_guid}|{principal}")
            .to_ascii_lowercase()
            .as_bytes(),
    )
    .to_string();
    let sub = subscription_of(scope).expect("a scope below /subscriptions/{id}");
    let body = assignment_body(
        scope,
        &name,
        &format!(
            "/subscriptions/{sub}/providers/{}/{role_guid}",
            role_definitions::KIND
        ),
        principal,
        principal_type,
        None,
        "",
    );
    let id = body["id"].as_str().unwrap_or_default().to_string();
    state.put_resource(ArmResource {
        id: id.clone(),
        subscription: sub,
        resource_group: resource_group_of(scope),
        kind: KIND.into(),
        name,
        body,
    });
    id
}

fn assignment_body(
    scope: &str,
    name: &str,
    role_definition_id: &str,
    principal: &str,
    principal_type: &str,
    description: Option<&str>,
    created_by: &str,
) -> Value {
    let now = crate::auth::utc(crate::tokens::now());
    json!({
        "id": format!("{scope}/providers/{KIND}/{name}"),
        "name": name,
        "type": KIND,
        "properties": {
            "roleDefinitionId": role_definition_id,
            "principalId": principal,
            "principalType": principal_type,
            "scope": scope,
            "condition": null,
            "conditionVersion": null,
            "description": description,
            "createdOn": now,
            "updatedOn": now,
            "createdBy": created_by,
            "updatedBy": created_by,
            "delegatedManagedIdentityResourceId": null,
        }
    })
}

/// `RoleAssignmentCreateParameters`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleAssignmentCreateParameters {
    pub properties: RoleAssignmentProperties,
}

impl SpecModel for RoleAssignmentCreateParameters {
    const SPEC: SpecRef = SpecRef {
        file: SPEC,
        definition: "RoleAssignmentCreateParameters",
    };
    fn example() -> Value {
        json!({ "properties": RoleAssignmentProperties::example() })
    }
}

/// `RoleAssignmentProperties` (read-only members are accepted and ignored).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleAssignmentProperties {
    pub role_definition_id: String,
    pub principal_id: String,
    #[serde(default)]
    pub principal_type: Option<PrincipalType>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default)]
    pub condition_version: Option<String>,
    #[serde(default)]
    pub delegated_managed_identity_resource_id: Option<String>,
    #[serde(default)]
    pub scope: Option<Value>,
    #[serde(default)]
    pub created_on: Option<Value>,
    #[serde(default)]
    pub updated_on: Option<Value>,
    #[serde(default)]
    pub created_by: Option<Value>,
    #[serde(default)]
    pub updated_by: Option<Value>,
}

impl SpecModel for RoleAssignmentProperties {
    const SPEC: SpecRef = SpecRef {
        file: SPEC,
        definition: "RoleAssignmentProperties",
    };
    fn example() -> Value {
        json!({
            "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6",
            "principalId": "00000000-0000-0000-0000-000000000001",
        })
    }
}

/// `PrincipalType` (default `User`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PrincipalType {
    User,
    Group,
    ServicePrincipal,
    ForeignGroup,
}

impl PrincipalType {
    fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "User",
            PrincipalType::Group => "Group",
            PrincipalType::ServicePrincipal => "ServicePrincipal",
            PrincipalType::ForeignGroup => "ForeignGroup",
        }
    }
}

/// The models of this module, for the conformance test.
pub fn registry() -> Vec<crate::contract::ModelInfo> {
    vec![
        crate::contract::struct_info::<RoleAssignmentCreateParameters>(),
        crate::contract::struct_info::<RoleAssignmentProperties>(),
    ]
}

/// The subscription's tenant must exist; the resource group and vault of the scope too.
fn check_scope(call: &Call, state: &State) -> Result<SubscriptionId, Reply> {
    check_scope_of(call, state, false)
}

/// [`check_scope`], and with `key_must_exist` the key of a key scope (a new assignment needs an
/// existing scope; one left over after its key was deleted can still be read and deleted).
fn check_scope_of(
    call: &Call,
    state: &State,
    key_must_exist: bool,
) -> Result<SubscriptionId, Reply> {
    let (_, sub) = super::subscription(state, call)?;
    let rg = call.param("rg");
    if !rg.is_empty()
        && !sub
            .resource_groups
            .iter()
            .any(|g| g.name.eq_ignore_ascii_case(rg))
    {
        return Err(super::resource_group_not_found(call));
    }
    let vault = call.param("vault");
    if !vault.is_empty() {
        let id = crate::state::resource_id(&sub.id, rg, "Microsoft.KeyVault/vaults", vault);
        if state.resource(&id).is_none() {
            return Err(error(
                404,
                "ResourceNotFound",
                &format!(
                    "The Resource 'Microsoft.KeyVault/vaults/{vault}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
                ),
            ));
        }
        let key = call.param("key");
        // A key scope names an ARM resource (`Microsoft.KeyVault/vaults/keys`) that must exist.
        if key_must_exist
            && !key.is_empty()
            && !state
                .keys
                .get(&vault.to_ascii_lowercase())
                .is_some_and(|keys| keys.contains_key(&key.to_ascii_lowercase()))
        {
            return Err(error(
                404,
                "ResourceNotFound",
                &format!(
                    "The Resource 'Microsoft.KeyVault/vaults/{vault}/keys/{key}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
                ),
            ));
        }
    }
    Ok(sub.id)
}

fn not_found(call: &Call) -> Reply {
    error(
        404,
        "RoleAssignmentNotFound",
        &format!("The role assignment '{}' is not found.", call.param("name")),
    )
}

const READ: &str = "Microsoft.Authorization/roleAssignments/read";
const WRITE: &str = "Microsoft.Authorization/roleAssignments/write";
const DELETE: &str = "Microsoft.Authorization/roleAssignments/delete";

fn get(call: &Call) -> Reply {
    if let Err(reply) = authorize(call, &path_scope(call), READ) {
        return reply;
    }
    let state = call.state();
    if let Err(reply) = check_scope(call, &state) {
        return reply;
    }
    let id = format!(
        "{}/providers/{KIND}/{}",
        scope_of(&call.path),
        call.param("name")
    );
    match state.resource(&id) {
        Some(r) => Reply::ok(r.body.clone()),
        None => not_found(call),
    }
}

/// What kind of principal `oid` is in `tenant`: `User` or `ServicePrincipal`.
fn principal_kind(
    state: &State,
    sub: &SubscriptionId,
    oid: &str,
) -> Option<(String, &'static str)> {
    let (tenant, _) = state.subscription(&sub.to_string())?;
    if tenant
        .users
        .iter()
        .any(|u| u.id.to_string().eq_ignore_ascii_case(oid))
    {
        return Some((tenant.id.to_string(), "User"));
    }
    if tenant
        .service_principals
        .iter()
        .any(|s| s.id.to_string().eq_ignore_ascii_case(oid))
    {
        return Some((tenant.id.to_string(), "ServicePrincipal"));
    }
    None
}

/// The GUID of a fully qualified role definition id: `/subscriptions/{guid}/providers/Microsoft.Authorization/roleDefinitions/{guid}`
/// or `/providers/Microsoft.Authorization/roleDefinitions/{guid}` (RoleAssignmentProperties.roleDefinitionId).
pub fn qualified_role_guid(id: &str) -> Option<String> {
    let segments: Vec<&str> = id.split('/').collect();
    let guid = |s: &str| uuid::Uuid::parse_str(s).ok().map(|u| u.to_string());
    let tail = match segments.as_slice() {
        ["", subscriptions, sub, rest @ ..]
            if subscriptions.eq_ignore_ascii_case("subscriptions") =>
        {
            guid(sub)?;
            rest
        }
        ["", rest @ ..] => rest,
        _ => return None,
    };
    match tail {
        [providers, namespace, kind, role]
            if providers.eq_ignore_ascii_case("providers")
                && namespace.eq_ignore_ascii_case("Microsoft.Authorization")
                && kind.eq_ignore_ascii_case("roleDefinitions") =>
        {
            guid(role)
        }
        _ => None,
    }
}

fn put(call: &Call) -> Reply {
    let scope = scope_of(&call.path);
    if let Err(reply) = authorize(call, &scope, WRITE) {
        return reply;
    }
    let request: RoleAssignmentCreateParameters = match decode(call, Dialect::Arm) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let p = request.properties;
    let name = call.param("name").to_string();
    if uuid::Uuid::parse_str(&name).is_err() {
        return error(
            400,
            "InvalidRoleAssignmentId",
            &format!(
                "The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID."
            ),
        );
    }
    let sub = {
        let state = call.state();
        match check_scope_of(call, &state, true) {
            Ok(s) => s,
            Err(reply) => return reply,
        }
    };
    if p.condition_version.as_deref().is_some_and(|v| v != "2.0") {
        return error(
            400,
            "InvalidConditionVersion",
            "The only accepted condition version is '2.0'.",
        );
    }
    let Some(role_guid) = qualified_role_guid(&p.role_definition_id) else {
        return error(
            400,
            "InvalidRoleDefinitionId",
            &format!(
                "The role definition ID '{}' is not valid.",
                p.role_definition_id
            ),
        );
    };
    let state = call.state();
    if role_definitions::definition(&state, &role_guid).is_none() {
        return error(
            400,
            "RoleDefinitionDoesNotExist",
            &format!("The specified role definition with ID '{role_guid}' does not exist."),
        );
    }
    let tenant = state
        .subscription(&sub.to_string())
        .map(|(t, _)| t.id.to_string())
        .unwrap_or_default();
    let principal = p.principal_id.to_ascii_lowercase();
    let kind = principal_kind(&state, &sub, &principal);
    drop(state);
    // A principal just created is not yet visible to ARM (Entra replication).
    let visible = call
        .sim
        .replication
        .visible(PRINCIPAL, &format!("{tenant}/{principal}"));
    let seen = kind.filter(|_| visible).map(|(_, actual)| actual);
    let principal_type = match (p.principal_type.map(PrincipalType::as_str), seen) {
        (Some(given), Some(actual)) if given != actual => {
            return error(
                400,
                "UnmatchedPrincipalType",
                &format!(
                    "The PrincipalId '{}' has type '{actual}' , which is different from specified PrincipalType '{given}'.",
                    p.principal_id.replace('-', "")
                ),
            );
        }
        // With a principalType, ARM does not look the principal up (https://aka.ms/docs-principaltype).
        (Some(given), _) => given,
        (None, Some(actual)) => actual,
        (None, None) => {
            return error(
                400,
                "PrincipalNotFound",
                &format!(
                    "Principal {} does not exist in the directory {tenant}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
                    p.principal_id.replace('-', "")
                ),
            );
        }
    };
    let mut state = call.state();
    let id = format!("{scope}/providers/{KIND}/{name}");
    let same = |a: &Assignment| {
        a.principal_id.eq_ignore_ascii_case(&principal)
            && a.role_definition_id
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .eq_ignore_ascii_case(&role_guid)
            && a.scope.eq_ignore_ascii_case(&scope)
    };
    if let Some(existing) = state.resource(&id) {
        let a = related(&state, &scope)
            .into_iter()
            .find(|a| a.id.eq_ignore_ascii_case(&existing.id));
        return match a {
            Some(a) if same(&a) => Reply::json(201, existing.body.clone()),
            _ => error(
                409,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            ),
        };
    }
    if related(&state, &scope).iter().any(same) {
        return error(
            409,
            "RoleAssignmentExists",
            "The role assignment already exists.",
        );
    }
    let created_by = call.caller().claims.oid.clone().unwrap_or_default();
    let body = assignment_body(
        &scope,
        &name,
        &p.role_definition_id,
        &principal,
        principal_type,
        p.description.as_deref(),
        &created_by,
    );
    state.put_resource(ArmResource {
        id: id.clone(),
        subscription: sub,
        resource_group: resource_group_of(&scope),
        kind: KIND.into(),
        name,
        body: body.clone(),
    });
    drop(state);
    call.sim.replication.created(PROPAGATION, &id);
    Reply::json(201, body)
}

fn delete(call: &Call) -> Reply {
    let scope = scope_of(&call.path);
    if let Err(reply) = authorize(call, &scope, DELETE) {
        return reply;
    }
    {
        let state = call.state();
        if let Err(reply) = check_scope(call, &state) {
            return reply;
        }
    }
    let id = format!("{scope}/providers/{KIND}/{}", call.param("name"));
    let mut state = call.state();
    // DELETE of a missing assignment answers 204 (RoleAssignments_Delete: 200, 204).
    match state.resources.remove(&id.to_ascii_lowercase()) {
        Some(r) => Reply::ok(r.body),
        None => Reply::empty(204),
    }
}

/// `$filter`: `atScope()`, `assignedTo('{id}')`, `principalId eq '{id}'`, or both joined by `and`.
fn list(call: &Call) -> Reply {
    let scope = scope_of(&call.path);
    if let Err(reply) = authorize(call, &scope, READ) {
        return reply;
    }
    let state = call.state();
    if let Err(reply) = check_scope(call, &state) {
        return reply;
    }
    let filter = call.query("$filter").unwrap_or_default().to_string();
    let at_scope = filter.contains("atScope()");
    let principal = filter
        .split('\'')
        .nth(1)
        .filter(|_| filter.contains("assignedTo(") || filter.contains("principalId eq"))
        .map(str::to_ascii_lowercase);
    let value: Vec<Value> = related(&state, &scope)
        .into_iter()
        .filter(|a| {
            let related = if at_scope {
                permissions::covers(&a.scope, &scope)
            } else {
                permissions::covers(&a.scope, &scope) || permissions::covers(&scope, &a.scope)
            };
            related
                && principal
                    .as_deref()
                    .is_none_or(|p| a.principal_id.eq_ignore_ascii_case(p))
        })
        .filter_map(|a| state.resource(&a.id).map(|r| r.body.clone()))
        .collect();
    Reply::ok(json!({ "value": value }))
}

#[cfg(test)]
mod tests {
    use super::qualified_role_guid;

    #[test]
    fn role_definition_ids_must_be_fully_qualified() {
        let g = "e147488a-f6f5-4113-8e2d-b22465e65bf6";
        let sub = "20000000-0000-4000-8000-0000000000a1";
        assert_eq!(
            qualified_role_guid(&format!(
                "/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{g}"
            ))
            .as_deref(),
            Some(g)
        );
        assert_eq!(
            qualified_role_guid(&format!(
                "/providers/microsoft.authorization/roledefinitions/{g}"
            ))
            .as_deref(),
            Some(g)
        );
        assert_eq!(qualified_role_guid(g), None);
        assert_eq!(qualified_role_guid(&format!("garbage/{g}")), None);
        assert_eq!(
            qualified_role_guid(&format!(
                "/x/providers/Microsoft.Authorization/roleDefinitions/{g}"
            )),
            None
        );
        assert_eq!(
            qualified_role_guid(&format!(
                "/subscriptions/{sub}/providers/Microsoft.KeyVault/roleDefinitions/{g}"
            )),
            None
        );
    }
}
