//! A project's activity feed: `GET /api/atlas/v2/groups/{groupId}/events` (Project Read Only;
//! `eventType` filters by type, newest first; `itemsPerPage`, `pageNum`; Atlas Admin API v2
//! "Return All Events from One Project"). The simulator records encryption-at-rest events:
//! `ENCRYPTION_AT_REST_CONFIGURATION_UPDATED` and
//! `ENCRYPTION_AT_REST_CONFIGURATION_VALIDATION_FAILED`.

use super::groups::project_for;
use super::require_role;
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::atlas::GROUP_READ_ONLY;
use serde_json::{Value, json};

pub fn routes() -> Vec<Route> {
    vec![Route::get("/api/atlas/v2/groups/{group}/events", list)]
}

fn list(call: &Call) -> Reply {
    let project = match project_for(call) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = require_role(call, &project.id, &[GROUP_READ_ONLY]) {
        return r;
    }
    let types: Vec<&str> = call
        .query
        .iter()
        .filter(|(k, _)| k == "eventType")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut events: Vec<Value> = project
        .events
        .iter()
        .rev()
        .filter(|e| types.is_empty() || types.contains(&e.event_type_name.as_str()))
        .map(|e| {
            json!({
                "id": e.id,
                "created": crate::auth::utc(e.created),
                "eventTypeName": e.event_type_name,
                "groupId": project.id,
                "isGlobalAdmin": false,
            })
        })
        .collect();
    let total = events.len();
    let per_page: usize = call
        .query("itemsPerPage")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
        .clamp(1, 500);
    let page: usize = call
        .query("pageNum")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    events = events
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    Reply::ok(json!({
        "links": [{ "href": format!("{}{}", call.origin(), call.path), "rel": "self" }],
        "results": events,
        "totalCount": total,
    }))
}
