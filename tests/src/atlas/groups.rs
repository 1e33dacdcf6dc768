//! Projects (`/api/atlas/v2/groups/{groupId}`). A caller needs a role on the project; group ids
//! are 24 hex digits (`^([a-f0-9]{24})$`, Atlas Admin API v2).

use super::{error, principal};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use serde_json::json;

pub fn routes() -> Vec<Route> {
    vec![Route::get("/api/atlas/v2/groups/{group}", get_group)]
}

/// The project of the `group` capture, if the caller holds a role on it.
pub fn project_for(call: &Call) -> Result<crate::state::atlas::AtlasProject, Reply> {
    let id = call.param("group");
    if id.len() != 24
        || !id
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    {
        return Err(error(
            400,
            "INVALID_GROUP_ID",
            &format!("The specified group ID {id} is invalid."),
        ));
    }
    let state = call.state();
    let Some(project) = state.atlas.project(id) else {
        return Err(error(
            404,
            "GROUP_NOT_FOUND",
            &format!("No group with ID {id} exists."),
        ));
    };
    // USER_CANNOT_ACCESS_GROUP (401) "User cannot access this group." (Atlas API error codes).
    if state.atlas.roles(&principal(call), id).is_empty() {
        return Err(error(
            401,
            "USER_CANNOT_ACCESS_GROUP",
            "User cannot access this group.",
        ));
    }
    Ok(project.clone())
}

fn get_group(call: &Call) -> Reply {
    match project_for(call) {
        Ok(p) => Reply::ok(json!({
            "id": p.id,
            "name": p.name,
            "orgId": p.org_id,
            "clusterCount": 0,
            "created": crate::auth::utc(p.created),
            "links": [{ "href": format!("{}{}", call.origin(), call.path), "rel": "self" }],
        })),
        Err(reply) => reply,
    }
}
