//! Following Azure long-running operations to their end.
//!
//! Patterns (Azure REST API guidelines, "Long-running operations", and ARM's
//! async-operations doc, learn.microsoft.com/azure/azure-resource-manager/management/async-operations):
//! 1. `Azure-AsyncOperation: <url>` on 200/201/202: GET it until its `status` is terminal; then
//!    the result is a GET of the original URL (PUT/PATCH) or of `Location` (POST/DELETE).
//! 2. 202 with `Location: <url>` only: GET it while it answers 202; its first other answer is the
//!    result (200 with a body, or 204), or the failure.
//! 3. PUT/PATCH answered 200/201 whose `properties.provisioningState` is not terminal: GET the
//!    resource until it is.
//!
//! States compare case-insensitively; `Succeeded`, `Failed` and `Canceled` are terminal, anything
//! else (`Accepted`, `InProgress`, `Running`, `Creating`, `Updating`, `Deleting`, ...) is not.
//! The wait between polls is the last answer's `Retry-After` (else the configured default), at
//! least 1 s and at most 60 s, passed to the [`super::Sleeper`] (so it is scaled by the time
//! scale), and the sum of requested waits is bounded by `RetrySettings::operation_timeout`.
//! Progress goes to the client's observer ([`crate::report::Event::Progress`]) and to the log;
//! the binaries' printer turns it into a spinner on a terminal.

use super::call::{ApiRequest, ApiResponse, ServiceClient};
use super::error::{HttpError, OperationTimeout, ServiceError};
use super::retry::retry_after;
use crate::report::{Event, Progress};
use azure_core::http::Method;
use azure_core::time::OffsetDateTime;
use serde_json::Value;
use std::fmt;
use std::time::Duration;
use url::Url;

/// The state of a long-running operation or of a resource's provisioning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationState {
    Succeeded,
    Failed,
    Canceled,
    /// Any non-terminal state, as the service spelled it.
    InProgress(String),
}

impl OperationState {
    /// Parses a state case-insensitively (`Cancelled` is accepted for `Canceled`).
    pub fn parse(value: &str) -> Self {
        match value.trim().to_ascii_lowercase().as_str() {
            "succeeded" => OperationState::Succeeded,
            "failed" => OperationState::Failed,
            "canceled" | "cancelled" => OperationState::Canceled,
            _ => OperationState::InProgress(value.trim().to_string()),
        }
    }

    pub fn is_terminal(&self) -> bool {
        !matches!(self, OperationState::InProgress(_))
    }

    pub fn as_str(&self) -> &str {
        match self {
            OperationState::Succeeded => "Succeeded",
            OperationState::Failed => "Failed",
            OperationState::Canceled => "Canceled",
            OperationState::InProgress(s) => s,
        }
    }
}

impl fmt::Display for OperationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const MIN_POLL: Duration = Duration::from_secs(1);
const MAX_POLL: Duration = Duration::from_secs(60);
const MAX_POLLS: u32 = 100_000;

/// The `provisioningState` of a resource body, if it has one.
pub fn provisioning_state(body: &Value) -> Option<OperationState> {
    body.get("properties")
        .and_then(|p| p.get("provisioningState"))
        .or_else(|| body.get("provisioningState"))
        .and_then(Value::as_str)
        .map(OperationState::parse)
}

/// Waits between polls, keeps the time budget and shows progress.
struct Tracker<'a> {
    client: &'a ServiceClient,
    method: Method,
    url: Url,
    label: String,
    waited: Duration,
    polls: u32,
    last_state: String,
}

impl<'a> Tracker<'a> {
    fn new(client: &'a ServiceClient, method: Method, url: Url) -> Self {
        let label = operation_label(&method, url.path());
        Self {
            client,
            method,
            url,
            label,
            waited: Duration::ZERO,
            polls: 0,
            last_state: String::new(),
        }
    }

    fn show(&mut self, state: &str) {
        let terminal = OperationState::parse(state).is_terminal();
        if let Some(observer) = self.client.observer().filter(|_| !terminal) {
            observer.report(Event::Progress(Progress {
                operation: self.label.clone(),
                state: state.to_string(),
                elapsed: self.waited,
                bound: self.client.settings().operation_timeout,
            }));
        }
        if state != self.last_state {
            tracing::info!(
                "waiting for {} {}: {state}",
                self.client.service(),
                self.label
            );
        } else {
            tracing::debug!("still waiting for {}: {state}", self.label);
        }
        self.last_state = state.to_string();
    }

    /// Waits as `last` asks before the next poll, or fails when the budget is spent.
    async fn wait(&mut self, last: &ApiResponse) -> Result<(), HttpError> {
        let settings = self.client.settings();
        let interval = retry_after(last.headers(), OffsetDateTime::now_utc())
            .unwrap_or(settings.default_poll_interval)
            .clamp(MIN_POLL, MAX_POLL);
        self.polls += 1;
        if self.waited + interval > settings.operation_timeout || self.polls > MAX_POLLS {
            return Err(OperationTimeout {
                service: self.client.service(),
                method: self.method.to_string(),
                path: self.url.path().to_string(),
                state: if self.last_state.is_empty() {
                    "running".into()
                } else {
                    self.last_state.clone()
                },
                waited: self.waited,
            }
            .into());
        }
        self.waited += interval;
        self.client.sleeper().sleep(interval).await;
        Ok(())
    }

    fn failed(&mut self, poll: &ApiResponse, state: &OperationState) -> HttpError {
        let body = poll.json_value().unwrap_or(Value::Null);
        ServiceError::from_operation(
            self.client.service(),
            self.method.as_ref(),
            &self.url,
            poll.status,
            state.as_str(),
            &body,
        )
        .into()
    }
}

/// Follows the operation `initial` started (see the module rules) and returns its final answer.
/// A non-2xx `initial` is returned as the service's error; an answer without LRO markers is
/// returned as is.
pub async fn follow(
    client: &ServiceClient,
    initial: ApiResponse,
) -> Result<ApiResponse, HttpError> {
    let initial = initial.into_result()?;
    let method = initial.method;
    let url = initial.url.clone();
    if let Some(operation) = initial.header("azure-asyncoperation").map(str::to_owned) {
        let location = initial.header("location").map(str::to_owned);
        return follow_async_operation(client, initial, &operation, location.as_deref()).await;
    }
    if initial.status == 202
        && let Some(location) = initial.header("location").map(str::to_owned)
    {
        return follow_location(client, initial, &location).await;
    }
    let state = initial.json_value().as_ref().and_then(provisioning_state);
    if matches!(method, Method::Put | Method::Patch)
        && state.as_ref().is_some_and(|s| !s.is_terminal())
    {
        return follow_provisioning(client, initial).await;
    }
    if let Some(state @ (OperationState::Failed | OperationState::Canceled)) = state {
        let mut tracker = Tracker::new(client, method, url);
        return Err(tracker.failed(&initial, &state));
    }
    Ok(initial)
}

async fn follow_async_operation(
    client: &ServiceClient,
    initial: ApiResponse,
    operation: &str,
    location: Option<&str>,
) -> Result<ApiResponse, HttpError> {
    let method = initial.method;
    let url = initial.url.clone();
    let mut tracker = Tracker::new(client, method, url.clone());
    tracker.show("Accepted");
    let operation_url = client.url(operation)?;
    let mut last = initial;
    loop {
        tracker.wait(&last).await?;
        let poll = client
            .call(ApiRequest::new(Method::Get, operation_url.clone()))
            .await?;
        let state = poll
            .json_value()
            .and_then(|b| {
                b.get("status")
                    .and_then(Value::as_str)
                    .map(OperationState::parse)
            })
            .unwrap_or_else(|| OperationState::InProgress("InProgress".into()));
        tracker.show(state.as_str());
        match state {
            OperationState::Succeeded => break,
            OperationState::Failed | OperationState::Canceled => {
                return Err(tracker.failed(&poll, &state));
            }
            OperationState::InProgress(_) => last = poll,
        }
    }
    match (method, location) {
        (Method::Put | Method::Patch, _) => client.call(ApiRequest::new(Method::Get, url)).await,
        (_, Some(location)) => {
            let result = client
                .send(ApiRequest::new(Method::Get, client.url(location)?))
                .await?;
            if method == Method::Delete && result.status == 404 {
                Ok(result)
            } else {
                result.into_result()
            }
        }
        (_, None) => Ok(last),
    }
}

async fn follow_location(
    client: &ServiceClient,
    initial: ApiResponse,
    location: &str,
) -> Result<ApiResponse, HttpError> {
    let method = initial.method;
    let url = initial.url.clone();
    let mut tracker = Tracker::new(client, method, url.clone());
    tracker.show("Accepted");
    let location_url = client.url(location)?;
    let mut last = initial;
    loop {
        tracker.wait(&last).await?;
        let poll = client
            .send(ApiRequest::new(Method::Get, location_url.clone()))
            .await?;
        if poll.status == 202 {
            tracker.show("InProgress");
            last = poll;
            continue;
        }
        if poll.is_success() || (method == Method::Delete && poll.status == 404) {
            return Ok(poll);
        }
        // The failure is the operation's: report it against the original request.
        let mut error = poll.error();
        error.method = method.to_string();
        error.path = url.path().to_string();
        return Err(error.into());
    }
}

async fn follow_provisioning(
    client: &ServiceClient,
    initial: ApiResponse,
) -> Result<ApiResponse, HttpError> {
    let method = initial.method;
    let url = initial.url.clone();
    let mut tracker = Tracker::new(client, method, url.clone());
    let mut last = initial;
    loop {
        let state = last
            .json_value()
            .as_ref()
            .and_then(provisioning_state)
            .unwrap_or(OperationState::Succeeded);
        tracker.show(state.as_str());
        match state {
            OperationState::Succeeded => {
                return Ok(last);
            }
            OperationState::Failed | OperationState::Canceled => {
                return Err(tracker.failed(&last, &state));
            }
            OperationState::InProgress(_) => {}
        }
        tracker.wait(&last).await?;
        let mut poll = client
            .call(ApiRequest::new(Method::Get, url.clone()))
            .await?;
        // Report the resource's state under the original method.
        poll.method = method;
        last = poll;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_case_insensitively() {
        assert_eq!(
            OperationState::parse("succeeded"),
            OperationState::Succeeded
        );
        assert_eq!(
            OperationState::parse("SUCCEEDED"),
            OperationState::Succeeded
        );
        assert_eq!(OperationState::parse("Failed"), OperationState::Failed);
        assert_eq!(OperationState::parse("cancelled"), OperationState::Canceled);
        assert_eq!(OperationState::parse("Canceled"), OperationState::Canceled);
        let accepted = OperationState::parse("Accepted");
        assert!(!accepted.is_terminal());
        assert_eq!(accepted.as_str(), "Accepted");
        assert!(!OperationState::parse("inprogress").is_terminal());
        assert!(OperationState::Failed.is_terminal());
    }

    #[test]
    fn provisioning_state_is_read_from_properties() {
        let body = serde_json::json!({"properties": {"provisioningState": "Creating"}});
        assert_eq!(
            provisioning_state(&body),
            Some(OperationState::InProgress("Creating".into()))
        );
        assert_eq!(
            provisioning_state(&serde_json::json!({"provisioningState": "succeeded"})),
            Some(OperationState::Succeeded)
        );
        assert_eq!(provisioning_state(&serde_json::json!({"name": "x"})), None);
    }
}

/// What a person waits for, from the request: `vault kv-cmk to be ready` for a PUT of
/// `…/Microsoft.KeyVault/vaults/kv-cmk`.
fn operation_label(method: &Method, path: &str) -> String {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut tail = segments.iter().rev();
    let (name, kind, action) = if matches!(method, Method::Post) {
        let action = tail.next().copied().unwrap_or_default();
        (tail.next(), tail.next(), Some(action))
    } else {
        (tail.next(), tail.next(), None)
    };
    let thing = match kind.copied().unwrap_or_default() {
        "vaults" => "vault",
        "databaseAccounts" => "Cosmos DB account",
        "userAssignedIdentities" => "managed identity",
        "deployments" => "deployment",
        "privateEndpointConnections" => "private endpoint connection",
        "resourcegroups" | "resourceGroups" => "resource group",
        other => other,
    };
    let name = name.copied().unwrap_or_default();
    match (action, method) {
        (Some(action), _) => format!("{action} on {thing} {name}"),
        (None, Method::Delete) => format!("{thing} {name} to be deleted"),
        _ => format!("{thing} {name} to be ready"),
    }
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn labels_name_the_resource_a_person_waits_for() {
        let vault = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-cmk";
        assert_eq!(
            operation_label(&Method::Put, vault),
            "vault kv-cmk to be ready"
        );
        assert_eq!(
            operation_label(&Method::Delete, vault),
            "vault kv-cmk to be deleted"
        );
        let account = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/orders/";
        assert_eq!(
            operation_label(&Method::Patch, account),
            "Cosmos DB account orders to be ready"
        );
        assert_eq!(
            operation_label(&Method::Post, &format!("{account}regenerateKey")),
            "regenerateKey on Cosmos DB account orders"
        );
    }
}
