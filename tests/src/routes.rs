//! The route table every service module fills: method, path pattern, read/write class and a
//! handler. A pattern's segments are literals (compared case-insensitively, as ARM does) with at
//! most one `{capture}` each (`applications(appId='{app_id}')` works), and a last segment
//! `{*rest}` takes the remainder. One trailing `/` on a request path is ignored.
//!
//! To add a route: write `fn handler(call: &Call) -> Reply` in the service's module and add
//! `Route::get("/pattern/{name}", handler)` (or `put`, `post`, `post_read`, ...) to its `routes()`.

pub use crate::log::Kind;
use crate::reply::Reply;
use crate::service::Service;
use crate::shared::Shared;
use crate::tokens::Claims;
use http::{HeaderMap, Method};
use std::sync::Arc;

pub type Handler = fn(&Call) -> Reply;

/// One route of a service.
#[derive(Clone)]
pub struct Route {
    pub method: Method,
    pub pattern: &'static str,
    pub kind: Kind,
    pub handler: Handler,
}

impl Route {
    pub fn new(method: Method, pattern: &'static str, kind: Kind, handler: Handler) -> Self {
        Self {
            method,
            pattern,
            kind,
            handler,
        }
    }

    pub fn get(pattern: &'static str, handler: Handler) -> Self {
        Self::new(Method::GET, pattern, Kind::Read, handler)
    }

    pub fn head(pattern: &'static str, handler: Handler) -> Self {
        Self::new(Method::HEAD, pattern, Kind::Read, handler)
    }

    pub fn put(pattern: &'static str, handler: Handler) -> Self {
        Self::new(Method::PUT, pattern, Kind::Write, handler)
    }

    pub fn patch(pattern: &'static str, handler: Handler) -> Self {
        Self::new(Method::PATCH, pattern, Kind::Write, handler)
    }

    pub fn delete(pattern: &'static str, handler: Handler) -> Self {
        Self::new(Method::DELETE, pattern, Kind::Write, handler)
    }

    pub fn post(pattern: &'static str, handler: Handler) -> Self {
        Self::new(Method::POST, pattern, Kind::Write, handler)
    }

    /// A POST that changes nothing (token requests, `checkNameAvailability`, permission lists).
    pub fn post_read(pattern: &'static str, handler: Handler) -> Self {
        Self::new(Method::POST, pattern, Kind::Read, handler)
    }

    /// A POST that runs a cryptographic operation with a key (logged as [`Kind::Crypto`]).
    pub fn post_crypto(pattern: &'static str, handler: Handler) -> Self {
        Self::new(Method::POST, pattern, Kind::Crypto, handler)
    }
}

/// The result of looking a request up.
pub enum Lookup<'a> {
    Found(&'a Route, Vec<(String, String)>),
    /// The path is known but not with this method.
    MethodNotAllowed(Vec<Method>),
    NotFound,
}

/// A service's routes, searched in order.
#[derive(Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    pub fn new(routes: Vec<Route>) -> Self {
        Self { routes }
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    pub fn lookup(&self, method: &Method, path: &str) -> Lookup<'_> {
        let segments = split(path);
        let mut allowed = Vec::new();
        for route in &self.routes {
            if let Some(params) = match_pattern(route.pattern, &segments) {
                if route.method == *method {
                    return Lookup::Found(route, params);
                }
                allowed.push(route.method.clone());
            }
        }
        if allowed.is_empty() {
            Lookup::NotFound
        } else {
            Lookup::MethodNotAllowed(allowed)
        }
    }
}

/// Percent-decoded segments, one trailing empty segment dropped.
fn split(path: &str) -> Vec<String> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

fn match_pattern(pattern: &str, segments: &[String]) -> Option<Vec<(String, String)>> {
    let parts = split(pattern);
    let mut params = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if let Some(name) = part.strip_prefix("{*").and_then(|p| p.strip_suffix('}')) {
            params.push((name.to_string(), segments.get(i..)?.join("/")));
            return Some(params);
        }
        let segment = segments.get(i)?;
        match_segment(part, segment, &mut params)?;
    }
    (parts.len() == segments.len()).then_some(params)
}

fn match_segment(part: &str, segment: &str, params: &mut Vec<(String, String)>) -> Option<()> {
    let Some(open) = part.find('{') else {
        return part.eq_ignore_ascii_case(segment).then_some(());
    };
    let close = part[open..].find('}')? + open;
    let (prefix, name, suffix) = (&part[..open], &part[open + 1..close], &part[close + 1..]);
    if segment.len() < prefix.len() + suffix.len()
        || !segment.is_char_boundary(prefix.len())
        || !segment.is_char_boundary(segment.len() - suffix.len())
    {
        return None;
    }
    let head = &segment[..prefix.len()];
    let tail = &segment[segment.len() - suffix.len()..];
    if !head.eq_ignore_ascii_case(prefix) || !tail.eq_ignore_ascii_case(suffix) {
        return None;
    }
    let value = &segment[prefix.len()..segment.len() - suffix.len()];
    if value.is_empty() {
        return None;
    }
    params.push((name.to_string(), value.to_string()));
    Some(())
}

/// The verified principal behind a request's bearer token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub claims: Claims,
}

impl Caller {
    pub fn tenant(&self) -> Option<xtcmk::TenantId> {
        self.claims.tid.as_deref()?.parse().ok()
    }

    pub fn object_id(&self) -> Option<xtcmk::ObjectId> {
        self.claims.oid.as_deref()?.parse().ok()
    }

    pub fn is_app(&self) -> bool {
        self.claims.is_app()
    }
}

/// One request as a handler sees it.
pub struct Call {
    pub sim: Arc<Shared>,
    pub service: Service,
    /// The vault or HSM name of a per-instance host.
    pub instance: Option<String>,
    pub method: Method,
    /// The `Host` header as sent (with port).
    pub host: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
    pub params: Vec<(String, String)>,
    pub caller: Option<Caller>,
    /// The request id this answer carries (`x-ms-request-id` / `request-id`).
    pub request_id: String,
    /// The client's address (what a Key Vault firewall sees).
    pub peer: Option<std::net::SocketAddr>,
}

impl Call {
    /// A path capture of the matched route (empty if the route has none of that name).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// A query parameter (names compared case-insensitively, as Azure does).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The caller; routes behind a service's token check always have one.
    pub fn caller(&self) -> &Caller {
        self.caller
            .as_ref()
            .expect("the service checked the bearer token before the handler")
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, crate::state::State> {
        self.sim.state()
    }

    /// `https://{host}` of this request (the port included).
    pub fn origin(&self) -> String {
        format!("https://{}", self.host)
    }

    /// The host name of this request, without its port.
    pub fn host_name(&self) -> String {
        crate::service::strip_port(&self.host).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(_: &Call) -> Reply {
        Reply::empty(200)
    }

    #[test]
    fn patterns_match_case_insensitively_with_captures() {
        let table = RouteTable::new(vec![
            Route::get("/subscriptions/{sub}/resourcegroups/{rg}", ok),
            Route::put("/subscriptions/{sub}/resourcegroups/{rg}", ok),
            Route::get("/v1.0/applications(appId='{app_id}')", ok),
            Route::get("/keys/{name}", ok),
            Route::get("/files/{*rest}", ok),
        ]);
        let Lookup::Found(r, p) =
            table.lookup(&Method::GET, "/subscriptions/S1/resourceGroups/rg-A")
        else {
            panic!("no match")
        };
        assert_eq!(r.pattern, "/subscriptions/{sub}/resourcegroups/{rg}");
        assert_eq!(
            p,
            vec![("sub".into(), "S1".into()), ("rg".into(), "rg-A".into())]
        );
        let Lookup::Found(_, p) = table.lookup(&Method::GET, "/v1.0/applications(appId=%27abc%27)")
        else {
            panic!("no match")
        };
        assert_eq!(p, vec![("app_id".into(), "abc".into())]);
        assert!(matches!(
            table.lookup(&Method::GET, "/keys/k1/"),
            Lookup::Found(..)
        ));
        assert!(matches!(
            table.lookup(&Method::GET, "/keys/k1/v/x"),
            Lookup::NotFound
        ));
        assert!(matches!(
            table.lookup(&Method::DELETE, "/subscriptions/s/resourcegroups/r"),
            Lookup::MethodNotAllowed(m) if m.len() == 2
        ));
        let Lookup::Found(_, p) = table.lookup(&Method::GET, "/files/a/b/c") else {
            panic!("no match")
        };
        assert_eq!(p, vec![("rest".into(), "a/b/c".into())]);
        assert!(matches!(
            table.lookup(&Method::GET, "/v1.0/applications(appId='')"),
            Lookup::NotFound
        ));
    }
}
