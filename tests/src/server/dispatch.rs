//! One request, start to end: find the service by host and the route by path, apply a scripted
//! fault, check the token, run the handler, stamp the service's headers, log, answer.

use super::{ServiceDef, Shared};
use crate::after_commit;
use crate::faults::{RequestFacts, Step};
use crate::log::{LoggedRequest, redact};
use crate::reply::{Body, Reply};
use crate::routes::{Call, Kind, Lookup};
use crate::service::{Service, classify_host};
use crate::throttle::{self, ArmOp, Verdict};
use axum::body::Body as HttpBody;
use http::{HeaderValue, Request, Response, header};
use hyper::body::Incoming;
use std::sync::Arc;
use std::time::Duration;

/// Largest request body read.
const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Returned to hyper to close the connection without an answer.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the simulator")
    }
}

impl std::error::Error for Dropped {}

pub async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
    peer: Option<std::net::SocketAddr>,
) -> Result<Response<HttpBody>, Dropped> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(HttpBody::new(body), BODY_LIMIT)
        .await
        .unwrap_or_default();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let Some((service, instance)) = classify_host(&host) else {
        return Ok(respond(Reply::text(
            421,
            format!("xtcmk-sim does not serve the host `{host}`"),
        )));
    };
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let mut call = Call {
        sim: shared.clone(),
        service,
        instance,
        method: parts.method.clone(),
        host: host.clone(),
        path: collapse_slashes(parts.uri.path()),
        query,
        headers: parts.headers.clone(),
        body,
        params: Vec::new(),
        caller: None,
        request_id: uuid::Uuid::new_v4().to_string(),
        peer,
    };
    let def = crate::registry::def(service);
    let lookup = def.routes.lookup(&call.method, &call.path);
    let (route, kind) = match &lookup {
        Lookup::Found(route, params) => {
            call.params = params.clone();
            (Some(route.pattern), route.kind)
        }
        _ => (None, Kind::of_method(&call.method)),
    };
    if service == Service::Admin {
        let reply = match lookup {
            Lookup::Found(route, _) => (route.handler)(&call),
            _ => (def.not_found)(&call),
        };
        return Ok(respond(reply));
    }

    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    let mut fault = None;
    let mut auth_refused = false;
    // ARM's remaining tokens, put on the answer as its header (crate::throttle).
    let mut remaining = None;
    // A step that acts once the service has handled the request (crate::after_commit).
    let mut after = None;
    let mut operations_before = None;
    let mut reply = 'answer: {
        if let Some(step) = shared.faults.next_step_for(&RequestFacts {
            method: call.method.as_str(),
            service,
            path: &call.path,
            route,
            kind,
        }) {
            let label = step.label();
            match step {
                Step::Pass => {}
                Step::CommitThenDrop | Step::CommitThenHold => after = Some(step),
                Step::SlowOperation { .. } => {
                    operations_before = Some(after_commit::operation_ids(&shared.state()));
                    after = Some(step);
                }
                Step::Latency { ms } => {
                    if !shared.zero_delay {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                    }
                }
                Step::Drop => {
                    fault = Some(label);
                    break 'answer Reply::drop_connection();
                }
                Step::Status {
                    status,
                    retry_after,
                    code,
                    message,
                } => {
                    fault = Some(label);
                    break 'answer fault_reply(
                        def,
                        &call,
                        status,
                        retry_after,
                        code.as_deref(),
                        message.as_deref(),
                    );
                }
            }
        }
        match (def.admit)(&call) {
            Ok(caller) => call.caller = caller,
            Err(refused) => {
                auth_refused = true;
                break 'answer refused;
            }
        }
        match throttled(def, &call) {
            Ok(left) => remaining = left,
            Err(reply) => {
                fault = Some("throttled".to_string());
                break 'answer reply;
            }
        }
        match lookup {
            Lookup::Found(route, _) => (route.handler)(&call),
            Lookup::MethodNotAllowed(allowed) => {
                let names: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
                (def.error)(
                    &call,
                    405,
                    "MethodNotAllowed",
                    &format!(
                        "The requested resource does not support http method '{}' (it supports {}).",
                        call.method,
                        names.join(", ")
                    ),
                )
            }
            Lookup::NotFound => (def.not_found)(&call),
        }
    };
    if !reply.drop_connection {
        (def.stamp)(&call, &mut reply);
        if let Some((op, left)) = remaining {
            reply = reply.header(op.header(), left.to_string());
        }
    }
    if auth_refused {
        after = None;
    }
    if let (Some(Step::SlowOperation { polls }), Some(before)) = (&after, &operations_before) {
        after_commit::slow_down(&mut shared.state(), before, *polls);
    }
    let kind = if reply.changed_nothing {
        Kind::Read
    } else {
        kind
    };
    let mut entry = log_entry(&call, route, kind, &reply, fault, auth_refused);
    entry.after_commit = after.as_ref().map(Step::label);
    // Only method, host, path and status: never a token, a query string or a body.
    tracing::info!(
        "{} {}{} -> {}",
        call.method,
        call.host,
        call.path,
        reply.logged_status()
    );
    let effective_write = entry.is_effective_write() && entry.status < 400;
    shared.log.push(entry);
    if effective_write {
        shared.persist();
    }
    match after {
        Some(Step::CommitThenHold) => shared.faults.holds().hold().await,
        Some(Step::CommitThenDrop) => return Err(Dropped),
        _ => {}
    }
    if reply.drop_connection {
        return Err(Dropped);
    }
    Ok(respond(reply))
}

/// The path with runs of `/` collapsed: Azure's front ends treat `//metadata/endpoints` (what
/// `az cloud register` sends for an endpoint given with a trailing slash) as `/metadata/endpoints`.
fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

/// Takes a token from the request's bucket: the operation type and tokens left for ARM's
/// header, or the 429 an empty bucket answers (crate::throttle).
fn throttled(def: &ServiceDef, call: &Call) -> Result<Option<(ArmOp, u32)>, Reply> {
    let actor = || {
        call.caller
            .as_ref()
            .and_then(|c| c.claims.oid.clone())
            .unwrap_or_default()
    };
    match call.service {
        Service::Arm => {
            let Some(subscription) = throttle::subscription_of(&call.path) else {
                return Ok(None);
            };
            let op = ArmOp::of_method(&call.method);
            match call.sim.throttle.arm(&subscription, op) {
                None => Ok(None),
                Some(Verdict::Admitted { remaining }) => Ok(Some((op, remaining))),
                Some(Verdict::Throttled { retry_after }) => {
                    let seconds = throttle::retry_after_seconds(retry_after);
                    let message = throttle::arm_message(op, &subscription, &actor(), seconds);
                    Err(
                        (def.error)(call, 429, "SubscriptionRequestsThrottled", &message)
                            .header("Retry-After", seconds.to_string()),
                    )
                }
            }
        }
        Service::Graph => {
            let tenant = call.caller.as_ref().and_then(|c| c.claims.tid.clone());
            let app = call.caller.as_ref().and_then(|c| c.claims.appid.clone());
            let key = (tenant.unwrap_or_default(), app.unwrap_or_default());
            match call.sim.throttle.graph(&key.0, &key.1) {
                Some(Verdict::Throttled { retry_after }) => {
                    let seconds = throttle::retry_after_seconds(retry_after);
                    // Graph's throttling answer (learn.microsoft.com/graph/throttling): 429,
                    // `Retry-After`, code `TooManyRequests`.
                    Err(
                        (def.error)(call, 429, "TooManyRequests", "Please retry again later.")
                            .header("Retry-After", seconds.to_string()),
                    )
                }
                _ => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

/// The answer a scripted status fault gives, in the service's error shape.
fn fault_reply(
    def: &ServiceDef,
    call: &Call,
    status: u16,
    retry_after: Option<u64>,
    code: Option<&str>,
    message: Option<&str>,
) -> Reply {
    let (default_code, default_message) = default_fault(def.service, status);
    let mut reply = (def.error)(
        call,
        status,
        code.unwrap_or(default_code),
        message.unwrap_or(default_message),
    );
    if let Some(seconds) = retry_after {
        reply = reply.header("Retry-After", seconds.to_string());
    }
    reply
}

/// The code and message each service uses for throttling and transient failures.
fn default_fault(service: Service, status: u16) -> (&'static str, &'static str) {
    match (service, status) {
        (Service::Arm, 429) => (
            "SubscriptionRequestsThrottled",
            "Number of requests for this subscription exceeded the limit. Please try again after the time in the Retry-After header.",
        ),
        (Service::Graph, 429) => ("TooManyRequests", "Too many requests."),
        (Service::KeyVault | Service::ManagedHsm, 429) => (
            "Throttled",
            "Request was not processed because too many requests were received.",
        ),
        (Service::Login, 429) => (
            "temporarily_unavailable",
            "The server is busy. Please try again later.",
        ),
        (_, 429) => ("TooManyRequests", "Too many requests."),
        (_, 500) => (
            "InternalServerError",
            "The server encountered an internal error. Please retry the request.",
        ),
        (_, 502) => (
            "BadGateway",
            "The gateway did not receive a response from the service.",
        ),
        (_, 503) => (
            "ServiceUnavailable",
            "The service is currently unavailable. Please try again later.",
        ),
        (_, 504) => (
            "GatewayTimeout",
            "The gateway did not receive a response from the service in time.",
        ),
        _ => (
            "ScriptedFault",
            "The simulator was told to answer this request with an error.",
        ),
    }
}

fn log_entry(
    call: &Call,
    route: Option<&'static str>,
    kind: Kind,
    reply: &Reply,
    fault: Option<String>,
    auth_refused: bool,
) -> LoggedRequest {
    let claims = call.caller.as_ref().map(|c| &c.claims);
    // The token endpoint's form carries secrets and assertions: never kept.
    let body = if call.service == Service::Login {
        None
    } else {
        serde_json::from_slice(&call.body).ok().map(|v| redact(&v))
    };
    LoggedRequest {
        seq: 0,
        method: call.method.to_string(),
        host: call.host.clone(),
        service: call.service,
        path: call.path.clone(),
        query: url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(call.query.iter())
            .finish(),
        route: route.map(str::to_string),
        kind,
        status: reply.logged_status(),
        fault,
        auth_refused,
        tenant: claims.and_then(|c| c.tid.clone()),
        principal: claims.and_then(|c| c.oid.clone()),
        app_id: claims.and_then(|c| c.appid.clone()),
        user: claims.and_then(|c| c.upn.clone()),
        body,
        after_commit: None,
        at_ms: call.sim.throttle.now().as_millis() as u64,
    }
}

fn respond(reply: Reply) -> Response<HttpBody> {
    let (bytes, content_type) = match reply.body {
        Body::Empty => (Vec::new(), None),
        Body::Json(v) => (
            serde_json::to_vec(&v).unwrap_or_default(),
            Some("application/json; charset=utf-8"),
        ),
        Body::Text(t) => (t.into_bytes(), Some("text/plain; charset=utf-8")),
    };
    let mut response = Response::new(HttpBody::from(bytes));
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    for (name, value) in &reply.headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    if let Some(ct) = content_type
        && !headers.contains_key(header::CONTENT_TYPE)
    {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    response
}
