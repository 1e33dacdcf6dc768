//! Scripted faults, per route and per test: added latency, an error status (429 with
//! `Retry-After`, 500, 503, ...), a dropped connection, in sequences that end by passing requests
//! through or repeat their last step forever.
//!
//! A rule matches by method, service and a path glob (`*` = one segment's characters, `**` =
//! anything, case-insensitive), and optionally by route pattern or by kind (every write). Of the
//! rules that match a request, the first one not yet used up decides; each matching request takes
//! that rule's next step. Some steps act after the service handled the request
//! ([`crate::after_commit`]): the answer lost, held, or its long-running operation slowed.

use crate::after_commit::Holds;
use crate::routes::Kind;
use crate::service::Service;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// What happens to one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum Step {
    /// The request goes through untouched.
    Pass,
    /// The service answers with this status in its own error shape.
    #[serde(rename_all = "camelCase")]
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
        /// Overrides the service error code (e.g. `SubscriptionRequestsThrottled`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// The connection is closed without an answer.
    Drop,
    /// The request waits this long, then goes through (no wait in zero-delay mode).
    Latency { ms: u64 },
    /// The service handles the request, then the connection is closed without the answer: it
    /// models a connection lost after the service committed (the client cannot tell it happened).
    CommitThenDrop,
    /// Test control: the service handles the request, then its answer is held until
    /// [`Faults::release_held`] (so a test can kill the client right after a committed write).
    CommitThenHold,
    /// The request goes through; a long-running operation it starts reports `polls` more
    /// in-progress polls before it ends (a slow provisioning).
    #[serde(rename_all = "camelCase")]
    SlowOperation { polls: u32 },
}

impl Step {
    pub fn pass() -> Self {
        Step::Pass
    }

    pub fn status(status: u16) -> Self {
        Step::Status {
            status,
            retry_after: None,
            code: None,
            message: None,
        }
    }

    /// 429 Too Many Requests with `Retry-After: seconds`.
    pub fn throttle(retry_after_seconds: u64) -> Self {
        Step::Status {
            status: 429,
            retry_after: Some(retry_after_seconds),
            code: None,
            message: None,
        }
    }

    pub fn drop_connection() -> Self {
        Step::Drop
    }

    pub fn latency(ms: u64) -> Self {
        Step::Latency { ms }
    }

    pub fn commit_then_drop() -> Self {
        Step::CommitThenDrop
    }

    pub fn commit_then_hold() -> Self {
        Step::CommitThenHold
    }

    pub fn slow_operation(polls: u32) -> Self {
        Step::SlowOperation { polls }
    }

    /// A short name for the request log.
    pub fn label(&self) -> String {
        match self {
            Step::Pass => "pass".into(),
            Step::Status {
                status,
                retry_after: Some(s),
                ..
            } => format!("status {status} retry-after {s}"),
            Step::Status { status, .. } => format!("status {status}"),
            Step::Drop => "drop".into(),
            Step::Latency { ms } => format!("latency {ms}ms"),
            Step::CommitThenDrop => "commit then drop".into(),
            Step::CommitThenHold => "commit then hold".into(),
            Step::SlowOperation { polls } => format!("slow operation +{polls} polls"),
        }
    }
}

/// A scripted fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// `GET`, `PUT`, ...; absent = any method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Service>,
    /// Path glob; absent = any path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The route pattern exactly as the request log names it (`/v1.0/applications/{id}`);
    /// absent = any route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Only requests of this kind (`write`: every write, whatever its route); absent = any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    pub steps: Vec<Step>,
    /// After the last step, keep applying it (otherwise the rule is used up and requests pass).
    #[serde(default)]
    pub forever: bool,
}

impl FaultRule {
    /// Requests with `method` (`*` = any) whose path matches `path_glob`.
    pub fn on(method: &str, path_glob: &str) -> Self {
        Self {
            method: (method != "*").then(|| method.to_ascii_uppercase()),
            service: None,
            path: Some(path_glob.to_string()),
            route: None,
            kind: None,
            steps: Vec::new(),
            forever: false,
        }
    }

    /// Requests of `service` with `method` on the route `pattern` (a logged entry's `route`).
    pub fn on_route(service: Service, method: &str, pattern: &str) -> Self {
        Self {
            method: Some(method.to_ascii_uppercase()),
            service: Some(service),
            path: None,
            route: Some(pattern.to_string()),
            kind: None,
            steps: Vec::new(),
            forever: false,
        }
    }

    /// Every write request (in the order they arrive), whatever its service and route.
    pub fn writes() -> Self {
        Self {
            method: None,
            service: None,
            path: None,
            route: None,
            kind: Some(Kind::Write),
            steps: Vec::new(),
            forever: false,
        }
    }

    /// Every request to `service`.
    pub fn service(service: Service) -> Self {
        Self {
            method: None,
            service: Some(service),
            path: None,
            route: None,
            kind: None,
            steps: Vec::new(),
            forever: false,
        }
    }

    /// Also require this service.
    pub fn in_service(mut self, service: Service) -> Self {
        self.service = Some(service);
        self
    }

    /// These steps, one per matching request, then pass.
    pub fn sequence(mut self, steps: impl IntoIterator<Item = Step>) -> Self {
        self.steps = steps.into_iter().collect();
        self.forever = false;
        self
    }

    /// This step for every matching request.
    pub fn forever(mut self, step: Step) -> Self {
        self.steps = vec![step];
        self.forever = true;
        self
    }

    pub fn matches(&self, method: &str, service: Service, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.service.is_none_or(|s| s == service)
            && self.path.as_deref().is_none_or(|g| glob_match(g, path))
    }

    /// [`FaultRule::matches`], and the request's route pattern and kind fit too.
    pub fn matches_request(&self, request: &RequestFacts<'_>) -> bool {
        self.matches(request.method, request.service, request.path)
            && self
                .route
                .as_deref()
                .is_none_or(|r| request.route == Some(r))
            && self.kind.is_none_or(|k| k == request.kind)
    }
}

/// What a rule can match a request by.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub method: &'a str,
    pub service: Service,
    pub path: &'a str,
    /// The matched route's pattern, if any.
    pub route: Option<&'a str>,
    pub kind: Kind,
}

/// Case-insensitive glob: `*` matches within a segment, `**` across segments.
pub fn glob_match(glob: &str, path: &str) -> bool {
    fn go(g: &[u8], p: &[u8]) -> bool {
        match g {
            [] => p.is_empty(),
            [b'*', b'*', rest @ ..] => (0..=p.len()).any(|i| go(rest, &p[i..])),
            [b'*', rest @ ..] => {
                let limit = p.iter().position(|&c| c == b'/').unwrap_or(p.len());
                (0..=limit).any(|i| go(rest, &p[i..]))
            }
            [c, rest @ ..] => p
                .first()
                .is_some_and(|d| d.eq_ignore_ascii_case(c) && go(rest, &p[1..])),
        }
    }
    go(glob.as_bytes(), path.as_bytes())
}

/// A rule with its id and how often it applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveRule {
    pub id: u64,
    pub rule: FaultRule,
    /// Requests this rule decided (its steps taken so far).
    pub hits: u64,
}

impl ActiveRule {
    fn used_up(&self) -> bool {
        !self.rule.forever && self.hits as usize >= self.rule.steps.len()
    }
}

/// The fault rules of a running simulator.
#[derive(Debug, Default)]
pub struct Faults {
    inner: Mutex<FaultList>,
    holds: Holds,
}

#[derive(Debug, Default)]
struct FaultList {
    next_id: u64,
    rules: Vec<ActiveRule>,
}

impl Faults {
    /// Adds a rule; its id can remove it or read its hits.
    pub fn add(&self, rule: FaultRule) -> u64 {
        let mut list = self.lock();
        list.next_id += 1;
        let id = list.next_id;
        list.rules.push(ActiveRule { id, rule, hits: 0 });
        id
    }

    pub fn remove(&self, id: u64) -> bool {
        let mut list = self.lock();
        let before = list.rules.len();
        list.rules.retain(|r| r.id != id);
        list.rules.len() != before
    }

    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    pub fn list(&self) -> Vec<ActiveRule> {
        self.lock().rules.clone()
    }

    /// How many requests rule `id` decided.
    pub fn hits(&self, id: u64) -> u64 {
        self.lock()
            .rules
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.hits)
            .unwrap_or(0)
    }

    /// The step for this request, if a rule applies (`Pass` steps are returned too). Rules
    /// naming a route or a kind do not match here (see [`Faults::next_step_for`]).
    pub fn next_step(&self, method: &str, service: Service, path: &str) -> Option<Step> {
        self.next_step_for(&RequestFacts {
            method,
            service,
            path,
            route: None,
            kind: if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") {
                Kind::Read
            } else {
                Kind::Write
            },
        })
    }

    /// The step for this request, if a rule applies (`Pass` steps are returned too).
    pub fn next_step_for(&self, request: &RequestFacts<'_>) -> Option<Step> {
        let mut list = self.lock();
        let rule = list
            .rules
            .iter_mut()
            .find(|r| !r.used_up() && r.rule.matches_request(request))?;
        let index = (rule.hits as usize).min(rule.rule.steps.len().saturating_sub(1));
        rule.hits += 1;
        rule.rule.steps.get(index).cloned()
    }

    /// Answers held by [`Step::CommitThenHold`] (test control).
    pub fn holds(&self) -> &Holds {
        &self.holds
    }

    /// Lets every held answer go (test control; answers held later are held again).
    pub fn release_held(&self) {
        self.holds.release();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultList> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(
            "/subscriptions/*/resourcegroups/*",
            "/subscriptions/S/resourceGroups/rg"
        ));
        assert!(!glob_match(
            "/subscriptions/*",
            "/subscriptions/S/resourceGroups/rg"
        ));
        assert!(glob_match(
            "/subscriptions/**",
            "/subscriptions/S/resourceGroups/rg"
        ));
        assert!(glob_match(
            "**/deployments/*",
            "/subscriptions/s/resourcegroups/r/providers/Microsoft.Resources/deployments/d"
        ));
        assert!(glob_match("/keys/*/create", "/keys/k1/create"));
        assert!(!glob_match("/keys/*/create", "/keys/k1/v/create"));
    }

    #[test]
    fn sequences_then_pass_and_forever() {
        let faults = Faults::default();
        let id = faults
            .add(FaultRule::on("GET", "/a/*").sequence([Step::throttle(1), Step::throttle(1)]));
        assert_eq!(
            faults.next_step("GET", Service::Arm, "/a/b"),
            Some(Step::throttle(1))
        );
        assert_eq!(faults.next_step("PUT", Service::Arm, "/a/b"), None);
        assert_eq!(
            faults.next_step("get", Service::Arm, "/A/c"),
            Some(Step::throttle(1))
        );
        assert_eq!(faults.next_step("GET", Service::Arm, "/a/b"), None);
        assert_eq!(faults.hits(id), 2);

        faults.add(FaultRule::service(Service::Graph).forever(Step::status(503)));
        for _ in 0..5 {
            assert_eq!(
                faults.next_step("GET", Service::Graph, "/v1.0/me"),
                Some(Step::status(503))
            );
        }
        faults.clear();
        assert_eq!(faults.next_step("GET", Service::Graph, "/v1.0/me"), None);
    }

    #[test]
    fn rules_read_from_json() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"method":"PUT","service":"arm","path":"/subscriptions/**","steps":[{"kind":"status","status":429,"retryAfter":1},{"kind":"drop"},{"kind":"pass"}]}"#,
        )
        .unwrap();
        assert_eq!(rule.steps[0], Step::throttle(1));
        assert_eq!(rule.steps[1], Step::Drop);
        assert!(serde_json::from_str::<FaultRule>(r#"{"steps":[],"bogus":1}"#).is_err());
    }
}
