//! Role definitions (authorization 2022-04-01): the built-in roles onboarding meets, with their
//! real ids and permissions (Key Vault roles from specs/authorization/builtin-roles; Owner,
//! Contributor, Reader, User Access Administrator, Key Vault Contributor from the Azure built-in
//! roles reference), and custom roles created with `PUT {scope}/providers/Microsoft.Authorization/roleDefinitions/{id}`.
//!
//! Reads and lists at a subscription or below need `Microsoft.Authorization/roleDefinitions/read`
//! there, writes `…/roleDefinitions/write` (403 `AuthorizationFailed`); the built-in roles at the
//! tenant root (`/providers/Microsoft.Authorization/roleDefinitions/{id}`) are readable by any
//! signed-in principal. `RoleDefinitions_List` at a scope takes `$filter=roleName eq '…'` (what
//! `az role assignment create --role "<name>"` sends, azure-cli `_resolve_role_id`) or
//! `type eq 'BuiltInRole'|'CustomRole'`, and names built-in roles by the subscription's id.

use super::{authorize, error, path_scope};
use crate::contract::{Dialect, decode};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::{ArmResource, State};
use serde::Deserialize;
use serde_json::{Value, json};

pub const KIND: &str = "Microsoft.Authorization/roleDefinitions";

pub const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
pub const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
/// User Access Administrator (Azure built-in roles reference, "User Access Administrator").
pub const USER_ACCESS_ADMINISTRATOR: &str = "18d7d88d-d35e-4fb5-a5c3-7773c6a72a9d";
pub const KEY_VAULT_CONTRIBUTOR: &str = "f25e0fa2-a7c8-4377-a976-54943a77a395";
pub const KEY_VAULT_ADMINISTRATOR: &str = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
pub const KEY_VAULT_CRYPTO_OFFICER: &str = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603";
pub const KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER: &str = "e147488a-f6f5-4113-8e2d-b22465e65bf6";
pub const KEY_VAULT_CRYPTO_USER: &str = "12338af0-0e69-4776-bea7-57ae8d297424";
pub const KEY_VAULT_READER: &str = "21090545-7ca7-4776-b22c-e363652d74d2";

const KV_READ_ACTIONS: [&str; 10] = [
    "Microsoft.Authorization/*/read",
    "Microsoft.Insights/alertRules/*",
    "Microsoft.Resources/deployments/*",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Support/*",
    "Microsoft.KeyVault/checkNameAvailability/read",
    "Microsoft.KeyVault/deletedVaults/read",
    "Microsoft.KeyVault/locations/*/read",
    "Microsoft.KeyVault/vaults/*/read",
    "Microsoft.KeyVault/operations/read",
];

/// `(id, roleName, actions, notActions, dataActions)` of a built-in role.
type Builtin = (
    &'static str,
    &'static str,
    Vec<&'static str>,
    Vec<&'static str>,
    Vec<&'static str>,
);

/// Every built-in role this simulator knows.
fn builtins() -> Vec<Builtin> {
    vec![
        (OWNER, "Owner", vec!["*"], vec![], vec![]),
        (
            CONTRIBUTOR,
            "Contributor",
            vec!["*"],
            vec![
                "Microsoft.Authorization/*/Delete",
                "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/elevateAccess/Action",
                "Microsoft.Blueprint/blueprintAssignments/write",
                "Microsoft.Blueprint/blueprintAssignments/delete",
                "Microsoft.Compute/galleries/share/action",
                "Microsoft.Purview/consents/write",
                "Microsoft.Purview/consents/delete",
                "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                "Microsoft.Subscription/cancel/action",
                "Microsoft.Subscription/enable/action",
            ],
            vec![],
        ),
        (READER, "Reader", vec!["*/read"], vec![], vec![]),
        (
            USER_ACCESS_ADMINISTRATOR,
            "User Access Administrator",
            vec!["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
            vec![],
            vec![],
        ),
        (
            KEY_VAULT_CONTRIBUTOR,
            "Key Vault Contributor",
            vec![
                "Microsoft.Authorization/*/read",
                "Microsoft.Insights/alertRules/*",
                "Microsoft.KeyVault/*",
                "Microsoft.Resources/deployments/*",
                "Microsoft.Resources/subscriptions/resourceGroups/read",
                "Microsoft.Support/*",
            ],
            vec![
                "Microsoft.KeyVault/locations/deletedVaults/purge/action",
                "Microsoft.KeyVault/hsmPools/*",
                "Microsoft.KeyVault/managedHsms/*",
            ],
            vec![],
        ),
        (
            KEY_VAULT_ADMINISTRATOR,
            "Key Vault Administrator",
            KV_READ_ACTIONS.to_vec(),
            vec![],
            vec!["Microsoft.KeyVault/vaults/*"],
        ),
        (
            KEY_VAULT_CRYPTO_OFFICER,
            "Key Vault Crypto Officer",
            KV_READ_ACTIONS.to_vec(),
            vec![],
            vec![
                "Microsoft.KeyVault/vaults/keys/*",
                "Microsoft.KeyVault/vaults/keyrotationpolicies/*",
            ],
        ),
        (
            KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
            "Key Vault Crypto Service Encryption User",
            vec![
                "Microsoft.EventGrid/eventSubscriptions/write",
                "Microsoft.EventGrid/eventSubscriptions/read",
                "Microsoft.EventGrid/eventSubscriptions/delete",
            ],
            vec![],
            vec![
                "Microsoft.KeyVault/vaults/keys/read",
                "Microsoft.KeyVault/vaults/keys/wrap/action",
                "Microsoft.KeyVault/vaults/keys/unwrap/action",
            ],
        ),
        (
            KEY_VAULT_CRYPTO_USER,
            "Key Vault Crypto User",
            vec![],
            vec![],
            vec![
                "Microsoft.KeyVault/vaults/keys/read",
                "Microsoft.KeyVault/vaults/keys/update/action",
                "Microsoft.KeyVault/vaults/keys/backup/action",
                "Microsoft.KeyVault/vaults/keys/encrypt/action",
                "Microsoft.KeyVault/vaults/keys/decrypt/action",
                "Microsoft.KeyVault/vaults/keys/wrap/action",
                "Microsoft.KeyVault/vaults/keys/unwrap/action",
                "Microsoft.KeyVault/vaults/keys/sign/action",
                "Microsoft.KeyVault/vaults/keys/verify/action",
            ],
        ),
        (
            KEY_VAULT_READER,
            "Key Vault Reader",
            KV_READ_ACTIONS.to_vec(),
            vec![],
            vec![
                "Microsoft.KeyVault/vaults/*/read",
                "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
            ],
        ),
    ]
}

/// A built-in role's definition as ARM returns it.
pub fn builtin(guid: &str) -> Option<Value> {
    builtins()
        .into_iter()
        .find(|(id, ..)| id.eq_ignore_ascii_case(guid))
        .map(|(id, name, actions, not_actions, data_actions)| {
            json!({
                "id": format!("/providers/{KIND}/{id}"),
                "name": id,
                "type": KIND,
                "properties": {
                    "roleName": name,
                    "type": "BuiltInRole",
                    "description": "",
                    "assignableScopes": ["/"],
                    "permissions": [{
                        "actions": actions,
                        "notActions": not_actions,
                        "dataActions": data_actions,
                        "notDataActions": [],
                    }],
                }
            })
        })
}

/// The definition a role assignment's `roleDefinitionId` names (built-in, or custom in the
/// subscription), by the GUID at its end.
pub fn definition(state: &State, role_definition_id: &str) -> Option<Value> {
    let guid = role_definition_id.rsplit('/').next().unwrap_or_default();
    builtin(guid).or_else(|| {
        state
            .resources
            .values()
            .find(|r| r.kind.eq_ignore_ascii_case(KIND) && r.name.eq_ignore_ascii_case(guid))
            .map(|r| r.body.clone())
    })
}

pub fn routes() -> Vec<Route> {
    const AT_SUBSCRIPTION: &str =
        "/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{id}";
    vec![
        Route::get(AT_SUBSCRIPTION, get),
        Route::put(AT_SUBSCRIPTION, put),
        Route::get(
            "/providers/Microsoft.Authorization/roleDefinitions/{id}",
            get,
        ),
        Route::get("/providers/Microsoft.Authorization/roleDefinitions", list),
        Route::get(
            "/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions",
            list,
        ),
        Route::get(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Authorization/roleDefinitions",
            list,
        ),
        Route::get(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/providers/Microsoft.Authorization/roleDefinitions",
            list,
        ),
        Route::get(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/keys/{key}/providers/Microsoft.Authorization/roleDefinitions",
            list,
        ),
    ]
}

const READ: &str = "Microsoft.Authorization/roleDefinitions/read";
const WRITE: &str = "Microsoft.Authorization/roleDefinitions/write";

/// The scope part of a path: everything before `/providers/Microsoft.Authorization/`.
fn scope_of(path: &str) -> String {
    let lower = path.to_ascii_lowercase();
    let cut = lower
        .find("/providers/microsoft.authorization/")
        .unwrap_or(path.len());
    path[..cut].to_string()
}

/// `$filter`: `roleName eq '…'` or `type eq '…'` (OData quotes doubled inside the value).
fn parse_filter(filter: &str) -> Option<(&'static str, String)> {
    let (property, value) = filter.split_once(" eq ")?;
    let value = value.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    let property = match property.trim() {
        p if p.eq_ignore_ascii_case("roleName") => "roleName",
        p if p.eq_ignore_ascii_case("type") => "type",
        _ => return None,
    };
    Some((property, value.replace("''", "'")))
}

/// `RoleDefinitions_List` at a scope: the built-in roles (named under the subscription when
/// the scope has one) and the custom roles assignable there.
fn list(call: &Call) -> Reply {
    let scope = scope_of(&call.path);
    if !call.param("sub").is_empty()
        && let Err(r) = authorize(call, &scope, READ)
    {
        return r;
    }
    let filter = match call.query("$filter") {
        None => None,
        Some(f) => match parse_filter(f) {
            Some(parsed) => Some(parsed),
            None => {
                // ARM accepts only these filters on role definitions (wording ours).
                return error(
                    400,
                    "InvalidFilter",
                    &format!(
                        "The filter '{f}' is not supported. Supported filters are roleName eq '{{name}}' and type eq 'BuiltInRole|CustomRole'."
                    ),
                );
            }
        },
    };
    let sub = call.param("sub").to_string();
    let state = call.state();
    let mut value: Vec<Value> = builtins()
        .into_iter()
        .filter_map(|(id, ..)| builtin(id))
        .map(|mut body| {
            if !sub.is_empty() {
                body["id"] = json!(format!(
                    "/subscriptions/{sub}/providers/{KIND}/{}",
                    body["name"].as_str().unwrap_or_default()
                ));
            }
            body
        })
        .collect();
    value.extend(
        state
            .resources
            .values()
            .filter(|r| r.kind.eq_ignore_ascii_case(KIND))
            .filter(|r| {
                r.body["properties"]["assignableScopes"]
                    .as_array()
                    .is_some_and(|scopes| {
                        scopes
                            .iter()
                            .filter_map(Value::as_str)
                            .any(|s| super::permissions::covers(s, &scope))
                    })
            })
            .map(|r| r.body.clone()),
    );
    let value: Vec<Value> = value
        .into_iter()
        .filter(|d| match &filter {
            None => true,
            Some(("roleName", name)) => d["properties"]["roleName"].as_str() == Some(name.as_str()),
            Some((_, kind)) => d["properties"]["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(kind)),
        })
        .collect();
    Reply::ok(json!({ "value": value }))
}

fn not_found(call: &Call) -> Reply {
    error(
        404,
        "RoleDefinitionDoesNotExist",
        &format!(
            "The specified role definition with ID '{}' does not exist.",
            call.param("id")
        ),
    )
}

fn get(call: &Call) -> Reply {
    if !call.param("sub").is_empty()
        && let Err(r) = authorize(call, &format!("/subscriptions/{}", call.param("sub")), READ)
    {
        return r;
    }
    let state = call.state();
    match definition(&state, call.param("id")) {
        Some(mut body) => {
            if !call.param("sub").is_empty() && body["properties"]["type"] == "BuiltInRole" {
                body["id"] = json!(format!(
                    "/subscriptions/{}/providers/{KIND}/{}",
                    call.param("sub"),
                    call.param("id")
                ));
            }
            Reply::ok(body)
        }
        None => not_found(call),
    }
}

/// `RoleDefinition` body: `properties` with roleName, type, permissions, assignableScopes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RoleDefinitionBody {
    properties: RoleDefinitionProperties,
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    name: Option<Value>,
    #[serde(default, rename = "type")]
    kind: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RoleDefinitionProperties {
    #[serde(default)]
    role_name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    permissions: Vec<PermissionBody>,
    #[serde(default)]
    assignable_scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PermissionBody {
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    not_actions: Vec<String>,
    #[serde(default)]
    data_actions: Vec<String>,
    #[serde(default)]
    not_data_actions: Vec<String>,
}

/// Creates or updates a custom role in the subscription; the id must be a GUID, the name and
/// assignable scopes are required, and a built-in role cannot be overwritten.
fn put(call: &Call) -> Reply {
    if let Err(r) = authorize(call, &path_scope(call), WRITE) {
        return r;
    }
    let body: RoleDefinitionBody = match decode(call, Dialect::Arm) {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    let _ = (&body.id, &body.name, &body.kind);
    let guid = call.param("id").to_ascii_lowercase();
    if uuid::Uuid::parse_str(&guid).is_err() {
        return error(
            400,
            "InvalidRoleDefinitionId",
            &format!(
                "The role definition ID '{guid}' is not valid. The role definition ID must be a GUID."
            ),
        );
    }
    if builtin(&guid).is_some() {
        return error(
            403,
            "RoleDefinitionUpdateNotPermitted",
            "Built-in role definitions cannot be updated.",
        );
    }
    let p = body.properties;
    let Some(role_name) = p.role_name.filter(|n| !n.trim().is_empty()) else {
        return error(
            400,
            "RoleDefinitionNameNullOrEmpty",
            "The role definition name cannot be null or empty.",
        );
    };
    if p.assignable_scopes.is_empty() {
        return error(
            400,
            "InvalidAssignableScopes",
            "The role definition must have at least one assignable scope.",
        );
    }
    let mut state = call.state();
    let sub = match super::subscription(&state, call) {
        Ok((_, s)) => s.id,
        Err(reply) => return reply,
    };
    // Role names are unique within a tenant's custom roles.
    let taken = state.resources.values().any(|r| {
        r.kind.eq_ignore_ascii_case(KIND)
            && !r.name.eq_ignore_ascii_case(&guid)
            && r.body["properties"]["roleName"].as_str() == Some(role_name.as_str())
    });
    if taken {
        return error(
            409,
            "RoleDefinitionWithSameNameExists",
            &format!(
                "A custom role with the same name '{role_name}' already exists in this directory. Use a different name."
            ),
        );
    }
    let id = format!("/subscriptions/{sub}/providers/{KIND}/{guid}");
    let existed = state.resource(&id).is_some();
    let permissions: Vec<Value> = p
        .permissions
        .iter()
        .map(|x| {
            json!({
                "actions": x.actions,
                "notActions": x.not_actions,
                "dataActions": x.data_actions,
                "notDataActions": x.not_data_actions,
            })
        })
        .collect();
    let body = json!({
        "id": id,
        "name": guid,
        "type": KIND,
        "properties": {
            "roleName": role_name,
            "type": p.kind.unwrap_or_else(|| "CustomRole".into()),
            "description": p.description,
            "assignableScopes": p.assignable_scopes,
            "permissions": permissions,
        }
    });
    state.put_resource(ArmResource {
        id: id.clone(),
        subscription: sub,
        resource_group: String::new(),
        kind: KIND.into(),
        name: guid,
        body: body.clone(),
    });
    Reply::json(if existed { 200 } else { 201 }, body)
}
