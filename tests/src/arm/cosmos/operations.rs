//! Cosmos DB's long-running operations: a write answers with `Azure-AsyncOperation` (PUT, PATCH) or
//! `Location` (DELETE) under `/subscriptions/{sub}/providers/Microsoft.DocumentDB/locations/{location}/`
//! (`operationsStatus/{op}`, `operationResults/{op}`). Each poll — or read of the account — moves the
//! operation one step; the step is the account's `provisioningState` (`Creating`, `Updating`,
//! `Deleting`) until it ends (`Succeeded`; `Deleted` removes the account).

use super::accounts;
use crate::arm::error;
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::State;
use serde_json::json;

const BASE: &str = "/subscriptions/{sub}/providers/Microsoft.DocumentDB/locations/{location}";

pub fn routes() -> Vec<Route> {
    vec![
        Route::get(
            "/subscriptions/{sub}/providers/Microsoft.DocumentDB/locations/{location}/operationsStatus/{op}",
            status,
        ),
        Route::get(
            "/subscriptions/{sub}/providers/Microsoft.DocumentDB/locations/{location}/operationResults/{op}",
            results,
        ),
    ]
}

pub const CREATE: [&str; 2] = ["Creating", "Succeeded"];
pub const UPDATE: [&str; 2] = ["Updating", "Succeeded"];
pub const DELETE: [&str; 2] = ["Deleting", "Deleted"];

/// Starts an operation on the account; the account shows its first step.
pub fn start(state: &mut State, account_id: &str, steps: &[&str]) -> String {
    if let Some(account) = state.resource_mut(account_id) {
        account.body["properties"]["provisioningState"] = json!(steps[0]);
    }
    crate::arm::operations::start(state, account_id, steps)
}

/// The running operation on the account, if any.
pub fn running(state: &State, account_id: &str) -> Option<String> {
    let key = account_id.to_ascii_lowercase();
    state
        .operations
        .values()
        .find(|op| op.resource_key == key && !op.is_terminal())
        .map(|op| op.id.clone())
}

/// Moves the operation one step; returns its step and whether it has ended.
pub fn advance(state: &mut State, op_id: &str) -> Option<(String, bool)> {
    let op = state.operations.get_mut(op_id)?;
    if op.polls < op.steps.len() {
        op.polls += 1;
    }
    let step = op.status().to_string();
    let done = op.is_terminal();
    let key = op.resource_key.clone();
    if done && step == DELETE[1] {
        state.resources.remove(&key);
        state.cosmos.accounts.remove(&key);
    } else if let Some(account) = state.resources.get_mut(&key) {
        account.body["properties"]["provisioningState"] = json!(step);
    }
    Some((step, done))
}

/// Ends an operation at once (a template deployment waits for its resources).
pub fn finish(state: &mut State, op_id: &str) {
    while let Some((_, false)) = advance(state, op_id) {}
}

fn location_segment(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn url(call: &Call, sub: &str, location: &str, kind: &str, op: &str, api: &str) -> String {
    format!(
        "{}{}/{kind}/{op}?api-version={api}",
        call.sim.cloud.resource_manager_endpoint,
        BASE.replace("{sub}", sub)
            .replace("{location}", &location_segment(location))
            .trim_start_matches('/'),
    )
}

pub fn status_url(call: &Call, sub: &str, location: &str, op: &str, api: &str) -> String {
    url(call, sub, location, "operationsStatus", op, api)
}

pub fn results_url(call: &Call, sub: &str, location: &str, op: &str, api: &str) -> String {
    url(call, sub, location, "operationResults", op, api)
}

fn not_found(op: &str) -> Reply {
    error(
        404,
        "OperationNotFound",
        &format!("The operation '{op}' could not be found."),
    )
}

/// `GET …/operationsStatus/{op}`: `InProgress` until the operation ends, then `Succeeded`.
fn status(call: &Call) -> Reply {
    let op = call.param("op");
    let mut state = call.state();
    let Some((_, done)) = advance(&mut state, op) else {
        return not_found(op);
    };
    let status = if done { "Succeeded" } else { "InProgress" };
    Reply::ok(json!({ "id": call.path, "name": op, "status": status }))
        .header("Retry-After", call.sim.lro_retry_after().to_string())
}

/// `GET …/operationResults/{op}`: 202 while running; then 204 for a delete, else the account.
fn results(call: &Call) -> Reply {
    let op = call.param("op").to_string();
    let mut state = call.state();
    let key = match state.operations.get(&op) {
        Some(o) => o.resource_key.clone(),
        None => return not_found(&op),
    };
    let Some((step, done)) = advance(&mut state, &op) else {
        return not_found(&op);
    };
    let api = call
        .query("api-version")
        .unwrap_or(super::STATUS_SINCE)
        .to_string();
    if !done {
        return Reply::empty(202)
            .header(
                "Location",
                format!("{}{}?api-version={api}", call.origin(), call.path),
            )
            .header("Retry-After", call.sim.lro_retry_after().to_string());
    }
    if step == DELETE[1] {
        return Reply::empty(204);
    }
    match state.resources.get(&key).map(|r| r.body.clone()) {
        Some(body) => Reply::ok(accounts::view(&state, &body, &api)),
        None => Reply::empty(204),
    }
}
