//! `GET /subscriptions/{subscriptionId}`: readable by a principal with any role assignment at,
//! above or below the subscription (the subscriptions ARM lists for it); otherwise 403
//! `AuthorizationFailed` for `Microsoft.Resources/subscriptions/read`.

use crate::reply::Reply;
use crate::routes::{Call, Route};
use serde_json::json;

pub fn routes() -> Vec<Route> {
    vec![Route::get("/subscriptions/{sub}", get)]
}

fn get(call: &Call) -> Reply {
    let state = call.state();
    let (tenant, sub) = match super::subscription(&state, call) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let scope = format!("/subscriptions/{}", call.param("sub"));
    let oid = call.caller().claims.oid.clone().unwrap_or_default();
    if !super::permissions::has_any_access(&state, &oid, &scope) {
        drop(state);
        return super::permissions::authorization_failed(
            call,
            "Microsoft.Resources/subscriptions/read",
            &scope,
        );
    }
    Reply::ok(json!({
        "id": format!("/subscriptions/{}", sub.id),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": sub.id.to_string(),
        "tenantId": tenant.id.to_string(),
        "displayName": sub.display_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off"
        }
    }))
}
