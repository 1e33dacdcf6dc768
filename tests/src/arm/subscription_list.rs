//! `GET /subscriptions` (`Subscriptions_List`, 2022-12-01): the subscriptions of the token's
//! tenant that the caller has access to (a role assignment at, above or below the
//! subscription); the others are not listed (Subscriptions_List: "Gets all subscriptions for a
//! tenant" the caller can access).

use crate::reply::Reply;
use crate::routes::{Call, Route};
use serde_json::{Value, json};

pub fn routes() -> Vec<Route> {
    vec![Route::get("/subscriptions", list)]
}

fn list(call: &Call) -> Reply {
    let state = call.state();
    let oid = call.caller().claims.oid.clone().unwrap_or_default();
    let value: Vec<Value> = call
        .caller()
        .tenant()
        .and_then(|t| state.tenant(&t))
        .map(|t| {
            t.subscriptions
                .iter()
                .filter(|s| {
                    super::permissions::has_any_access(
                        &state,
                        &oid,
                        &format!("/subscriptions/{}", s.id),
                    )
                })
                .map(|s| {
                    json!({
                        "id": format!("/subscriptions/{}", s.id),
                        "subscriptionId": s.id.to_string(),
                        "tenantId": t.id.to_string(),
                        "displayName": s.display_name,
                        "state": "Enabled",
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Reply::ok(json!({ "value": value }))
}
