//! The request log and its counters, so a test can assert "this run made exactly these writes".
//! Entries hold no token and no secret: the token endpoint's form body is never kept, and JSON
//! bodies have every member whose name mentions a secret, password or token replaced by `***`.

use crate::service::Service;
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Whether a request changes the cloud's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Read,
    Write,
    /// A data-plane cryptographic operation (wrap, unwrap, encrypt, decrypt): it uses a key
    /// without changing anything, so it is neither a read of state nor a write.
    Crypto,
}

impl Kind {
    /// GET and HEAD read; every other method writes unless its route says otherwise.
    pub fn of_method(method: &Method) -> Kind {
        if method == Method::GET || method == Method::HEAD {
            Kind::Read
        } else {
            Kind::Write
        }
    }
}

/// One request the simulator answered (or dropped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    pub seq: u64,
    pub method: String,
    pub host: String,
    pub service: Service,
    pub path: String,
    /// The raw query string (without `?`).
    pub query: String,
    /// The matched route pattern, if any.
    pub route: Option<String>,
    pub kind: Kind,
    /// 0 = the connection was dropped.
    pub status: u16,
    /// The fault step that answered instead of the service, if any.
    pub fault: Option<String>,
    /// Refused by the service's token check (the request never reached the service's logic).
    pub auth_refused: bool,
    pub tenant: Option<String>,
    /// The caller's object id.
    pub principal: Option<String>,
    pub app_id: Option<String>,
    pub user: Option<String>,
    /// The JSON request body, secrets redacted.
    pub body: Option<Value>,
    /// A fault step that acted after the service handled the request (`commit then drop`:
    /// the answer was lost; `commit then hold`: it was held until a test released it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_commit: Option<String>,
    /// When the answer was given, in milliseconds of the simulator's clock (see
    /// [`crate::SimOptions::clock`]): what requests per second are counted by.
    #[serde(default)]
    pub at_ms: u64,
}

impl LoggedRequest {
    /// A write that reached the service's logic (not answered by a fault or refused for its token).
    pub fn is_effective_write(&self) -> bool {
        self.kind == Kind::Write && self.fault.is_none() && !self.auth_refused
    }

    /// The counter key: `arm PUT /subscriptions/{sub}/resourcegroups/{rg}`.
    pub fn route_key(&self) -> String {
        format!(
            "{} {} {}",
            self.service,
            self.method,
            self.route.as_deref().unwrap_or("(no route)")
        )
    }
}

/// Requests per route, by kind and status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteCount {
    pub reads: u64,
    pub writes: u64,
    /// Data-plane cryptographic operations (see [`Kind::Crypto`]).
    #[serde(default)]
    pub crypto: u64,
    /// Writes that reached the service (see [`LoggedRequest::is_effective_write`]).
    pub effective_writes: u64,
    pub statuses: BTreeMap<u16, u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    pub reads: u64,
    pub writes: u64,
    #[serde(default)]
    pub crypto: u64,
    pub effective_writes: u64,
    pub routes: BTreeMap<String, RouteCount>,
}

#[derive(Debug, Default)]
pub struct RequestLog {
    inner: Mutex<(u64, Vec<LoggedRequest>)>,
}

impl RequestLog {
    pub fn push(&self, mut entry: LoggedRequest) {
        let mut inner = self.lock();
        inner.0 += 1;
        entry.seq = inner.0;
        inner.1.push(entry);
    }

    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.lock().1.clone()
    }

    /// Empties the log (sequence numbers keep counting).
    pub fn reset(&self) {
        self.lock().1.clear();
    }

    pub fn counters(&self) -> Counters {
        let mut c = Counters::default();
        for e in self.lock().1.iter() {
            let route = c.routes.entry(e.route_key()).or_default();
            match e.kind {
                Kind::Read => {
                    c.reads += 1;
                    route.reads += 1;
                }
                Kind::Write => {
                    c.writes += 1;
                    route.writes += 1;
                }
                Kind::Crypto => {
                    c.crypto += 1;
                    route.crypto += 1;
                }
            }
            if e.is_effective_write() {
                c.effective_writes += 1;
                route.effective_writes += 1;
            }
            *route.statuses.entry(e.status).or_default() += 1;
        }
        c
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Vec<LoggedRequest>)> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether a JSON member name may hold a secret.
fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["secret", "password", "token", "assertion", "privatekey"]
        .iter()
        .any(|s| n.contains(s))
}

/// The body with secret-looking members replaced by `***`.
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret_name(k) && !v.is_null() {
                        Value::String("***".into())
                    } else {
                        redact(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redacts_secret_members_at_any_depth() {
        let v = json!({"azureKeyVault": {"secret": "s3cr3t", "clientID": "x"}, "passwordCredentials": [{"secretText": "y"}], "accessToken": "t"});
        let r = redact(&v);
        assert_eq!(r["azureKeyVault"]["secret"], "***");
        assert_eq!(r["azureKeyVault"]["clientID"], "x");
        assert_eq!(r["passwordCredentials"], "***");
        assert_eq!(r["accessToken"], "***");
        assert!(!r.to_string().contains("s3cr3t"));
    }
}
