//! The caller's effective permissions (`Permissions_ListForResourceGroup`,
//! `Permissions_ListForResource`, authorization 2022-04-01): the permissions of every role
//! assigned to the caller at the scope or above it. Also the one check every ARM route makes
//! before it reads or writes anything: may principal P perform action A at scope S
//! ([`allowed`], [`require`]), refused with ARM's 403 `AuthorizationFailed`.

use super::role_assignments;
use super::role_definitions;
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::State;
use serde_json::{Value, json};

pub fn routes() -> Vec<Route> {
    vec![
        Route::get(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Authorization/permissions",
            list,
        ),
        Route::get(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/providers/Microsoft.Authorization/permissions",
            list,
        ),
    ]
}

/// Whether `outer` is `inner` or one of its ancestors (ARM ids compare case-insensitively).
pub fn covers(outer: &str, inner: &str) -> bool {
    let (o, i) = (
        outer.trim_end_matches('/').to_ascii_lowercase(),
        inner.trim_end_matches('/').to_ascii_lowercase(),
    );
    o.is_empty() || i == o || i.starts_with(&format!("{o}/"))
}

/// The `Permission` objects of every role `principal` holds at `scope` or above.
pub fn effective(state: &State, principal: &str, scope: &str) -> Vec<Value> {
    role_assignments::related(state, scope)
        .into_iter()
        .filter(|ra| ra.principal_id.eq_ignore_ascii_case(principal) && covers(&ra.scope, scope))
        .filter_map(|ra| role_definitions::definition(state, &ra.role_definition_id))
        .flat_map(|d| {
            d["properties"]["permissions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

/// RBAC action patterns: `*` matches any run of characters, case-insensitively.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match p {
            [] => a.is_empty(),
            [b'*', rest @ ..] => (0..=a.len()).any(|i| go(rest, &a[i..])),
            [c, rest @ ..] => a
                .first()
                .is_some_and(|d| d.eq_ignore_ascii_case(c) && go(rest, &a[1..])),
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `principal` may perform control-plane `action` at `scope`.
pub fn allowed(state: &State, principal: &str, scope: &str, action: &str) -> bool {
    effective(state, principal, scope).iter().any(|p| {
        strings(p, "actions")
            .iter()
            .any(|a| action_matches(a, action))
            && !strings(p, "notActions")
                .iter()
                .any(|a| action_matches(a, action))
    })
}

/// ARM's 403 when the caller lacks `action` at `scope`: a user is named by UPN, an application
/// by its object id (azure-sdk-for-net#5026, azure-tools-for-java#3643 show both shapes).
pub fn authorization_failed(call: &Call, action: &str, scope: &str) -> Reply {
    let claims = &call.caller().claims;
    let oid = claims.oid.clone().unwrap_or_default();
    let client = claims.upn.clone().unwrap_or_else(|| oid.clone());
    super::error(
        403,
        "AuthorizationFailed",
        &format!(
            "The client '{client}' with object id '{oid}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials."
        ),
    )
}

/// Whether the caller may perform `action` at `scope` (no answer built).
pub fn may(call: &Call, scope: &str, action: &str) -> bool {
    let oid = call.caller().claims.oid.clone().unwrap_or_default();
    allowed(&call.state(), &oid, scope, action)
}

/// Whether `principal` holds any role assignment at `scope`, above it or below it: what makes
/// ARM list a subscription for a caller and let it read the subscription (Subscriptions_List
/// returns the subscriptions the caller has access to).
pub fn has_any_access(state: &State, principal: &str, scope: &str) -> bool {
    role_assignments::related(state, scope).iter().any(|ra| {
        ra.principal_id.eq_ignore_ascii_case(principal)
            && (covers(&ra.scope, scope) || covers(scope, &ra.scope))
    })
}

/// Checks the caller may do `action` at `scope`.
pub fn require(call: &Call, scope: &str, action: &str) -> Result<(), Reply> {
    let oid = call.caller().claims.oid.clone().unwrap_or_default();
    if allowed(&call.state(), &oid, scope, action) {
        Ok(())
    } else {
        Err(authorization_failed(call, action, scope))
    }
}

fn list(call: &Call) -> Reply {
    let scope = call
        .path
        .to_ascii_lowercase()
        .find("/providers/microsoft.authorization/permissions")
        .map(|i| call.path[..i].to_string())
        .unwrap_or_default();
    let state = call.state();
    if let Err(reply) = super::subscription(&state, call) {
        return reply;
    }
    let (_, sub) = super::subscription(&state, call).expect("checked above");
    if !sub
        .resource_groups
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case(call.param("rg")))
    {
        return super::resource_group_not_found(call);
    }
    let oid = call.caller().claims.oid.clone().unwrap_or_default();
    Reply::ok(json!({ "value": effective(&state, &oid, &scope) }))
}
