//! `GET /v1.0/organization` and `GET /v1.0/me`.

use super::error;
use crate::reply::Reply;
use crate::routes::{Call, Route};
use serde_json::json;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/v1.0/organization", organization),
        Route::get("/v1.0/me", me),
    ]
}

fn context(call: &Call, what: &str) -> String {
    format!("{}v1.0/$metadata#{what}", call.sim.cloud.graph_endpoint)
}

fn organization(call: &Call) -> Reply {
    let state = call.state();
    let Some(tenant) = call.caller().tenant().and_then(|t| state.tenant(&t)) else {
        return error(
            call,
            404,
            "Request_ResourceNotFound",
            "The tenant of the token does not exist.",
        );
    };
    let domains: Vec<_> = tenant
        .verified_domains
        .iter()
        .enumerate()
        .map(|(i, d)| {
            json!({
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": i == 0,
                "isInitial": i == 0,
                "name": d,
                "type": "Managed",
            })
        })
        .collect();
    Reply::ok(json!({
        "@odata.context": context(call, "organization"),
        "value": [{
            "id": tenant.id.to_string(),
            "displayName": tenant.display_name,
            "tenantType": "AAD",
            "verifiedDomains": domains,
        }]
    }))
}

/// `/me` exists only for delegated (user) tokens; an application token gets Graph's 400.
fn me(call: &Call) -> Reply {
    let caller = call.caller();
    if caller.is_app() {
        return error(
            call,
            400,
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
        );
    }
    let state = call.state();
    let user = caller
        .tenant()
        .and_then(|t| state.tenant(&t))
        .and_then(|t| t.users.iter().find(|u| Some(u.id) == caller.object_id()));
    let Some(user) = user else {
        return error(
            call,
            404,
            "Request_ResourceNotFound",
            &format!(
                "Resource '{}' does not exist or one of its queried reference-property objects are not present.",
                caller.claims.oid.clone().unwrap_or_default()
            ),
        );
    };
    Reply::ok(json!({
        "@odata.context": context(call, "users/$entity"),
        "id": user.id.to_string(),
        "displayName": user.display_name,
        "userPrincipalName": user.user_principal_name,
        "mail": null,
        "businessPhones": [],
        "givenName": null,
        "surname": null,
        "jobTitle": null,
        "mobilePhone": null,
        "officeLocation": null,
        "preferredLanguage": null,
    }))
}
