//! Long-running operations (ARM async pattern): a write answers 201/202 with an
//! `Azure-AsyncOperation` URL; each GET of that URL moves the operation one step
//! (`Accepted` → `InProgress` → `Succeeded` by default) and mirrors the status into the
//! resource's `properties.provisioningState`.

use super::error;
use crate::reply::Reply;
use crate::routes::Call;
use crate::state::{Operation, State};
use serde_json::json;

/// The steps an operation goes through, one per poll.
pub const DEFAULT_STEPS: [&str; 3] = ["Accepted", "InProgress", "Succeeded"];

/// Starts an operation on the resource with this id; returns the operation id.
pub fn start(state: &mut State, resource_id: &str, steps: &[&str]) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    state.operations.insert(
        id.clone(),
        Operation {
            id: id.clone(),
            resource_key: resource_id.to_ascii_lowercase(),
            steps: steps.iter().map(|s| s.to_string()).collect(),
            polls: 0,
            error: None,
        },
    );
    id
}

/// Whether an operation on this resource is still running.
pub fn running(state: &State, resource_id: &str) -> bool {
    let key = resource_id.to_ascii_lowercase();
    state
        .operations
        .values()
        .any(|op| op.resource_key == key && !op.is_terminal())
}

/// Moves the running operation on this resource one step (a read that observes it) and mirrors
/// its status into the resource's `properties.provisioningState`; returns the status, or `None`
/// when no operation runs on the resource.
pub fn advance(state: &mut State, resource_id: &str) -> Option<String> {
    let key = resource_id.to_ascii_lowercase();
    let op = state
        .operations
        .values_mut()
        .find(|op| op.resource_key == key && !op.is_terminal())?;
    op.polls += 1;
    let status = op.status().to_string();
    if let Some(resource) = state.resources.get_mut(&key) {
        resource.body["properties"]["provisioningState"] = serde_json::json!(status);
    }
    Some(status)
}

/// The `Azure-AsyncOperation` URL of operation `op_id` under `path` (an ARM path).
pub fn status_url(call: &Call, path: &str, op_id: &str) -> String {
    let api = call.query("api-version").unwrap_or_default();
    format!(
        "{}{}/operationStatuses/{op_id}?api-version={api}",
        call.sim.cloud.resource_manager_endpoint,
        path.trim_start_matches('/')
    )
}

/// `GET …/operationStatuses/{op}`: the next step of the operation.
pub fn poll(call: &Call) -> Reply {
    let op_id = call.param("op");
    let mut state = call.state();
    let Some(op) = state.operations.get_mut(op_id) else {
        return error(
            404,
            "OperationNotFound",
            &format!("The operation '{op_id}' could not be found."),
        );
    };
    if op.polls < op.steps.len() {
        op.polls += 1;
    }
    let status = op.status().to_string();
    let op_error = op.error.clone();
    let resource_key = op.resource_key.clone();
    if let Some(resource) = state.resources.get_mut(&resource_key) {
        resource.body["properties"]["provisioningState"] = json!(status);
    }
    let mut body = json!({
        "id": call.path,
        "name": op_id,
        "status": status,
    });
    if let Some(e) = op_error.filter(|_| status == "Failed") {
        body["error"] = e;
    }
    Reply::ok(body).header("Retry-After", call.sim.lro_retry_after().to_string())
}
