//! `GET /subscriptions/{subscriptionId}`.

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
