//! Resource groups: `GET`, `HEAD` and `PUT /subscriptions/{sub}/resourcegroups/{rg}`, each
//! authorized first (`Microsoft.Resources/subscriptions/resourceGroups/read|write` at the
//! group's id, 403 `AuthorizationFailed`; azure-tools-for-java#3643 shows ARM's refusal of a
//! resource group read).

use super::models::ResourceGroupCreate;
use super::{error, permissions, resource_group_key, resource_group_not_found};
use crate::contract::{Dialect, decode};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::scenario::valid_resource_group_name;
use crate::state::{ResourceGroup, kinds};
use serde_json::{Value, json};

const PATTERN: &str = "/subscriptions/{sub}/resourcegroups/{rg}";

pub fn routes() -> Vec<Route> {
    vec![
        Route::get(PATTERN, get),
        Route::head(PATTERN, head),
        Route::put(PATTERN, put),
    ]
}

fn body(sub: &str, rg: &ResourceGroup) -> Value {
    let mut body = json!({
        "id": format!("/subscriptions/{sub}/resourceGroups/{}", rg.name),
        "name": rg.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": rg.location,
        "properties": { "provisioningState": "Succeeded" },
    });
    if !rg.tags.is_empty() {
        body["tags"] = json!(rg.tags);
    }
    if let Some(m) = &rg.managed_by {
        body["managedBy"] = json!(m);
    }
    body
}

const READ: &str = "Microsoft.Resources/subscriptions/resourceGroups/read";
const WRITE: &str = "Microsoft.Resources/subscriptions/resourceGroups/write";

/// The group's id as the request names it (the scope ARM authorizes).
fn scope(call: &Call) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}",
        call.param("sub"),
        call.param("rg")
    )
}

/// The subscription must exist, then the caller needs `action` at the group.
fn authorize(call: &Call, action: &str) -> Result<(), Reply> {
    {
        let state = call.state();
        super::subscription(&state, call)?;
    }
    permissions::require(call, &scope(call), action)
}

/// The resource group of the path, if it exists and replication lets this read see it.
fn visible(call: &Call) -> Result<Option<Value>, Reply> {
    authorize(call, READ)?;
    let state = call.state();
    let (_, sub) = super::subscription(&state, call)?;
    let Some(rg) = sub
        .resource_groups
        .iter()
        .find(|g| g.name.eq_ignore_ascii_case(call.param("rg")))
    else {
        return Ok(None);
    };
    let key = resource_group_key(&sub.id.to_string(), &rg.name);
    Ok(call
        .sim
        .replication
        .visible(kinds::RESOURCE_GROUP, &key)
        .then(|| body(&sub.id.to_string(), rg)))
}

fn get(call: &Call) -> Reply {
    match visible(call) {
        Ok(Some(body)) => Reply::ok(body),
        Ok(None) => resource_group_not_found(call),
        Err(reply) => reply,
    }
}

/// `ResourceGroups_CheckExistence`: 204 or 404, no body.
fn head(call: &Call) -> Reply {
    match visible(call) {
        Ok(Some(_)) => Reply::empty(204),
        Ok(None) => Reply::empty(404),
        Err(reply) => Reply::empty(reply.status.as_u16()),
    }
}

/// ARM stores locations in their short form (`West Europe` → `westeurope`).
fn normalize_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn put(call: &Call) -> Reply {
    if let Err(reply) = authorize(call, WRITE) {
        return reply;
    }
    let request: ResourceGroupCreate = match decode(call, Dialect::Arm) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let name = call.param("rg").to_string();
    if !valid_resource_group_name(&name) {
        return error(
            400,
            "InvalidResourceGroup",
            &format!(
                "The provided resource group name '{name}' has invalid characters or length. The name can only be 1-90 letters, digits, '-', '.', '(', ')' or '_', and cannot end with '.'."
            ),
        );
    }
    let location = normalize_location(&request.location);
    if location.is_empty() || !location.chars().all(|c| c.is_ascii_alphanumeric()) {
        return error(
            400,
            "LocationNotAvailableForResourceGroup",
            &format!(
                "The provided location '{}' is not available for resource group.",
                request.location
            ),
        );
    }
    let mut state = call.state();
    let sub_id = match super::subscription(&state, call) {
        Ok((_, sub)) => sub.id.to_string(),
        Err(reply) => return reply,
    };
    let Some(sub) = state.subscription_mut(&sub_id) else {
        return error(500, "InternalServerError", "the subscription vanished");
    };
    let tags = request.tags.unwrap_or_default();
    if let Some(rg) = sub
        .resource_groups
        .iter_mut()
        .find(|g| g.name.eq_ignore_ascii_case(&name))
    {
        // A resource group's location cannot change (ARM: InvalidResourceGroupLocation, 409).
        if rg.location != location {
            return error(
                409,
                "InvalidResourceGroupLocation",
                &format!(
                    "Invalid resource group location '{location}'. The Resource group already exists in location '{}'.",
                    rg.location
                ),
            );
        }
        rg.tags = tags;
        if request.managed_by.is_some() {
            rg.managed_by = request.managed_by;
        }
        return Reply::ok(body(&sub_id, rg));
    }
    let rg = ResourceGroup {
        name: name.clone(),
        location,
        tags,
        managed_by: request.managed_by,
    };
    let reply = Reply::json(201, body(&sub_id, &rg));
    sub.resource_groups.push(rg);
    drop(state);
    call.sim
        .replication
        .created(kinds::RESOURCE_GROUP, &resource_group_key(&sub_id, &name));
    reply
}
