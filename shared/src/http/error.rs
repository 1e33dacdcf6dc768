//! The typed errors of every API call: which service refused which request, with the service's
//! own code and message, the request id, how many attempts were made and a hint.
//!
//! Error bodies parsed here (one tolerant parser, since services mix shapes):
//! - ARM: `{"error":{"code","message","details"}}`, some resource providers (Cosmos DB) send a
//!   top-level `{"code","message"}`; request id in `x-ms-request-id`.
//! - Graph: `{"error":{"code","message","innerError":{"request-id"}}}`; `request-id` header.
//! - Key Vault: `{"error":{"code","message","innererror":{"code"}}}` (specs/keyvault-data,
//!   `KeyVaultError`); the innermost code (e.g. `ForbiddenByFirewall`) is the one reported.
//! - Atlas: `{"error":<status>,"errorCode","detail","reason"}` (Atlas Admin API v2 `ApiError`).
//! - Entra ID token endpoint: `{"error","error_description","error_codes","trace_id"}`, the
//!   code reported as `AADSTS<n>`.

use super::hints;
use super::redact::scrub;
use super::retry::GaveUp;
use azure_core::error::ErrorKind;
use azure_core::http::headers::Headers;
use serde_json::Value;
use std::fmt;
use std::time::Duration;
use url::Url;

/// The service a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Arm,
    Graph,
    KeyVault,
    Atlas,
    Login,
}

impl Service {
    /// Headers carrying the request id, most specific first.
    fn request_id_headers(self) -> &'static [&'static str] {
        match self {
            Service::Arm => &["x-ms-request-id", "x-ms-correlation-request-id"],
            Service::Graph => &["request-id", "client-request-id"],
            Service::KeyVault => &["x-ms-request-id"],
            Service::Atlas => &["x-request-id"],
            Service::Login => &["x-ms-request-id"],
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Arm => "Azure Resource Manager",
            Service::Graph => "Microsoft Graph",
            Service::KeyVault => "Key Vault",
            Service::Atlas => "MongoDB Atlas",
            Service::Login => "Entra ID",
        })
    }
}

/// A service answered with an error status (after any retries), or a long-running operation
/// ended `Failed`/`Canceled`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub service: Service,
    pub method: String,
    /// The URL path of the request (never its query, which may carry parameters we do not log).
    pub path: String,
    pub status: u16,
    /// The service's error code (`PrincipalNotFound`, `AADSTS700016`, `ForbiddenByFirewall`, ...).
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    pub hint: Option<String>,
    /// How many times the request was sent (more than one when retries were exhausted).
    pub attempts: u32,
    /// For a failed long-running operation: its final state (`Failed`, `Canceled`).
    pub operation_state: Option<String>,
}

impl ServiceError {
    /// Parses an error response of `service` to `method url`.
    pub fn from_response(
        service: Service,
        method: &str,
        url: &Url,
        status: u16,
        headers: &Headers,
        body: &[u8],
    ) -> Self {
        let parsed = ParsedBody::parse(body);
        let request_id = service
            .request_id_headers()
            .iter()
            .find_map(|h| headers.get_optional_str(&(*h).into()).map(str::to_owned))
            .or(parsed.request_id);
        let message = match parsed.message {
            Some(m) if !m.trim().is_empty() => m,
            _ => reason(status).to_string(),
        };
        Self::new(
            service,
            method,
            url.path(),
            status,
            parsed.code,
            message,
            request_id,
        )
    }

    /// Builds an error from its parts; the hint is looked up from the code table.
    pub fn new(
        service: Service,
        method: &str,
        path: &str,
        status: u16,
        code: Option<String>,
        message: String,
        request_id: Option<String>,
    ) -> Self {
        let message = scrub(message.trim());
        let hint = hints::lookup(service, status, code.as_deref(), &message);
        Self {
            service,
            method: method.to_string(),
            path: path.to_string(),
            status,
            code,
            message,
            request_id,
            hint,
            attempts: 1,
            operation_state: None,
        }
    }

    /// A long-running operation that ended in `state` with the operation's `error` object.
    pub fn from_operation(
        service: Service,
        method: &str,
        url: &Url,
        status: u16,
        state: &str,
        body: &Value,
    ) -> Self {
        let error = body
            .get("error")
            .or_else(|| body.get("properties").and_then(|p| p.get("error")))
            .filter(|e| e.is_object());
        let (code, message) = match error {
            Some(e) => (
                innermost_code(e).or_else(|| str_field(e, "code")),
                str_field(e, "message").unwrap_or_else(|| format!("the operation ended {state}")),
            ),
            None => (None, format!("the operation ended {state}")),
        };
        let mut err = Self::new(service, method, url.path(), status, code, message, None);
        err.operation_state = Some(state.to_string());
        err
    }

    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} refused {} {}: ",
            self.service, self.method, self.path
        )?;
        match &self.operation_state {
            Some(state) => write!(f, "operation {state}")?,
            None => write!(f, "{}", self.status)?,
        }
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        if self.attempts > 1 {
            write!(f, "; gave up after {} attempts", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

/// What the tolerant parser found in an error body.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ParsedBody {
    pub code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
}

fn str_field(v: &Value, name: &str) -> Option<String> {
    v.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The code of the innermost `innererror`/`innerError` that has one (Key Vault nests the precise
/// reason, e.g. `Forbidden` → `ForbiddenByFirewall`).
fn innermost_code(error: &Value) -> Option<String> {
    let mut best = None;
    let mut current = error;
    for _ in 0..8 {
        let Some(inner) = current
            .get("innererror")
            .or_else(|| current.get("innerError"))
        else {
            break;
        };
        if let Some(code) = str_field(inner, "code") {
            best = Some(code);
        }
        current = inner;
    }
    best
}

/// `AADSTS<digits>` at the start of an Entra error description.
fn aadsts_code(text: &str) -> Option<String> {
    let start = text.find("AADSTS")?;
    let digits: String = text[start + 6..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("AADSTS{digits}"))
}

impl ParsedBody {
    pub(crate) fn parse(body: &[u8]) -> Self {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return Self::from_text(body);
        };
        // Entra ID token endpoint (OAuth 2.0 error response, RFC 6749 §5.2, plus AADSTS codes).
        if let Some(description) = str_field(&v, "error_description") {
            let code = v
                .get("error_codes")
                .and_then(|c| c.get(0))
                .and_then(Value::as_u64)
                .map(|n| format!("AADSTS{n}"))
                .or_else(|| aadsts_code(&description))
                .or_else(|| str_field(&v, "error"));
            let first = description
                .split(['\r', '\n'])
                .next()
                .unwrap_or_default()
                .trim();
            let message = match &code {
                Some(c) => first
                    .strip_prefix(c.as_str())
                    .map(|m| m.trim_start_matches(':').trim())
                    .unwrap_or(first),
                None => first,
            };
            return Self {
                code,
                message: Some(message.to_string()),
                request_id: str_field(&v, "trace_id").or_else(|| str_field(&v, "correlation_id")),
            };
        }
        // ARM, Graph and Key Vault: an `error` object.
        if let Some(error) = v.get("error").filter(|e| e.is_object()) {
            let outer = str_field(error, "code");
            let code = innermost_code(error).or(outer);
            let mut message = str_field(error, "message");
            // ARM puts the real reasons of e.g. `DeploymentFailed` or `InvalidTemplate` in `details`.
            if let Some(details) = error
                .get("details")
                .and_then(Value::as_array)
                .filter(|d| !d.is_empty())
            {
                let listed: Vec<String> = details
                    .iter()
                    .take(3)
                    .filter_map(|d| match (str_field(d, "code"), str_field(d, "message")) {
                        (Some(c), Some(m)) => Some(format!("{c}: {m}")),
                        (None, Some(m)) | (Some(m), None) => Some(m),
                        (None, None) => None,
                    })
                    .collect();
                if !listed.is_empty() {
                    let base = message.unwrap_or_default();
                    message = Some(format!("{base} [{}]", listed.join("; ")).trim().to_string());
                }
            }
            let request_id = error
                .get("innerError")
                .or_else(|| error.get("innererror"))
                .and_then(|i| str_field(i, "request-id"));
            return Self {
                code,
                message,
                request_id,
            };
        }
        // Atlas Admin API: numeric `error` with `errorCode`, `detail`, `reason`.
        if v.get("errorCode").is_some() || v.get("error").is_some_and(Value::is_number) {
            return Self {
                code: str_field(&v, "errorCode"),
                message: str_field(&v, "detail").or_else(|| str_field(&v, "reason")),
                request_id: None,
            };
        }
        // Top-level `{"code","message"}` (Cosmos DB resource provider and a few others).
        if v.get("code").is_some() || v.get("message").is_some() {
            return Self {
                code: str_field(&v, "code"),
                message: str_field(&v, "message"),
                request_id: None,
            };
        }
        // `{"error":"..."}` without a description.
        Self {
            code: str_field(&v, "error"),
            message: None,
            request_id: None,
        }
    }

    /// A non-JSON body (a proxy's HTML page, plain text): its first line, shortened.
    fn from_text(body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body);
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or_default();
        let short: String = line.chars().take(200).collect();
        Self {
            code: None,
            message: (!short.is_empty()).then_some(short),
            request_id: None,
        }
    }
}

/// The reason phrase of a status code.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        412 => "Precondition Failed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "unexpected status",
    }
}

/// The service could not be reached (connection refused or reset, DNS, TLS, timeout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    pub service: Service,
    pub method: String,
    pub host: String,
    pub path: String,
    pub attempts: u32,
    pub cause: String,
}

impl TransportError {
    pub fn hint(&self) -> String {
        format!(
            "check the network and proxy settings and that {} resolves and accepts HTTPS; for a custom cloud profile, check its endpoints and caFile and that the simulator is running",
            self.host
        )
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not reach {} at {} for {} {}",
            self.service, self.host, self.method, self.path
        )?;
        if self.attempts > 1 {
            write!(f, " (gave up after {} attempts)", self.attempts)?;
        }
        write!(f, ": {}", self.cause)
    }
}

impl std::error::Error for TransportError {}

/// No token could be obtained (the credential itself failed, e.g. `az` is not signed in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    /// Which credential was used, in words (`Azure CLI`, `client secret`, ...).
    pub credential: String,
    pub tenant: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot get a token with the {} credential",
            self.credential
        )?;
        if let Some(t) = &self.tenant {
            write!(f, " for tenant {t}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for AuthError {}

/// A request that could not be made or whose answer could not be used (bad URL, plain-http
/// endpoint refused by the bearer policy, a body that is not the documented JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    pub service: Service,
    pub method: String,
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: {}",
            self.service, self.method, self.path, self.message
        )
    }
}

impl std::error::Error for RequestError {}

/// A long-running operation did not reach a terminal state within the configured time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationTimeout {
    pub service: Service,
    pub method: String,
    pub path: String,
    pub state: String,
    pub waited: Duration,
}

impl OperationTimeout {
    pub fn hint(&self) -> String {
        "the operation may still finish: check the resource again later (re-running the command adopts it), or raise XTCMK_OPERATION_TIMEOUT_SECS".to_string()
    }
}

impl fmt::Display for OperationTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: the long-running operation is still {} after {}s",
            self.service,
            self.method,
            self.path,
            self.state,
            self.waited.as_secs()
        )
    }
}

impl std::error::Error for OperationTimeout {}

/// Every way an API call can fail. Boxed variants keep `Result<T, HttpError>` small.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Service(Box<ServiceError>),
    #[error(transparent)]
    Transport(Box<TransportError>),
    #[error(transparent)]
    Auth(Box<AuthError>),
    #[error(transparent)]
    Request(Box<RequestError>),
    #[error(transparent)]
    Timeout(Box<OperationTimeout>),
}

impl From<ServiceError> for HttpError {
    fn from(e: ServiceError) -> Self {
        HttpError::Service(Box::new(e))
    }
}

impl From<TransportError> for HttpError {
    fn from(e: TransportError) -> Self {
        HttpError::Transport(Box::new(e))
    }
}

impl From<AuthError> for HttpError {
    fn from(e: AuthError) -> Self {
        HttpError::Auth(Box::new(e))
    }
}

impl From<RequestError> for HttpError {
    fn from(e: RequestError) -> Self {
        HttpError::Request(Box::new(e))
    }
}

impl From<OperationTimeout> for HttpError {
    fn from(e: OperationTimeout) -> Self {
        HttpError::Timeout(Box::new(e))
    }
}

impl HttpError {
    /// The service's answer, when the failure is one.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            HttpError::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status the service answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        self.service_error().map(|e| e.status)
    }

    /// The service's error code, if it answered with one.
    pub fn code(&self) -> Option<&str> {
        self.service_error().and_then(|e| e.code.as_deref())
    }

    /// Whether the service answered `status` with `code` (case-insensitive code match).
    pub fn is(&self, status: u16, code: &str) -> bool {
        self.status() == Some(status) && self.code().is_some_and(|c| c.eq_ignore_ascii_case(code))
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            HttpError::Service(e) => e.hint.clone(),
            HttpError::Transport(e) => Some(e.hint()),
            HttpError::Auth(e) => e.hint.clone(),
            HttpError::Request(e) => e.hint.clone(),
            HttpError::Timeout(e) => Some(e.hint()),
        }
    }
}

/// What a failed pipeline call was about, to turn an `azure_core::Error` into an [`HttpError`].
#[derive(Debug, Clone)]
pub(crate) struct CallInfo<'a> {
    pub service: Service,
    pub method: &'a str,
    pub url: &'a Url,
    pub auth: Option<&'a AuthContext>,
}

/// The credential behind a pipeline, for messages about token failures.
#[derive(Debug, Clone)]
pub(crate) struct AuthContext {
    /// The service tokens come from (Entra ID, or Atlas for its service accounts).
    pub token_service: Service,
    pub credential: String,
    pub tenant: Option<String>,
    /// Where tokens come from, e.g. `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`.
    pub token_url: Option<Url>,
    pub hint: Option<String>,
}

/// All messages of an error chain, deduplicated, joined with `: ` and scrubbed of tokens.
pub(crate) fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        let text = text.trim();
        // The attempt count is reported by the error itself, not repeated in its cause.
        let is_gave_up = e.downcast_ref::<GaveUp>().is_some() || text.starts_with("gave up after");
        if !text.is_empty() && !is_gave_up && !parts.iter().any(|p| p.contains(text)) {
            parts.push(text.to_string());
        }
        current = e.source();
    }
    scrub(&parts.join(": "))
}

/// Finds the first `azure_core::Error` in the chain for which `f` returns something.
fn find_core<'e, T>(
    err: &'e azure_core::Error,
    f: impl Fn(&'e azure_core::Error) -> Option<T>,
) -> Option<T> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(core) = e.downcast_ref::<azure_core::Error>()
            && let Some(found) = f(core)
        {
            return Some(found);
        }
        current = e.source();
    }
    None
}

fn find_gave_up(err: &azure_core::Error) -> Option<u32> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(g) = e.downcast_ref::<GaveUp>() {
            return Some(g.attempts);
        }
        current = e.source();
    }
    None
}

impl HttpError {
    /// Turns an error from an `azure_core` pipeline (ours or a generated client's) into ours.
    pub(crate) fn from_core(err: azure_core::Error, info: &CallInfo<'_>) -> Self {
        let attempts = find_gave_up(&err).unwrap_or(1);
        let is_credential = find_core(&err, |e| {
            matches!(e.kind(), ErrorKind::Credential).then_some(())
        })
        .is_some();
        let response = find_core(&err, |e| match e.kind() {
            ErrorKind::HttpResponse {
                status,
                raw_response: Some(raw),
                ..
            } => Some((u16::from(*status), raw.clone())),
            _ => None,
        });
        let token_service = info.auth.map(|a| a.token_service).unwrap_or(Service::Login);
        if let Some((status, raw)) = response {
            let mut service_error = if is_credential {
                let token_url = info.auth.and_then(|a| a.token_url.clone());
                let url = token_url.unwrap_or_else(|| info.url.clone());
                ServiceError::from_response(
                    token_service,
                    "POST",
                    &url,
                    status,
                    raw.headers(),
                    raw.body(),
                )
            } else {
                ServiceError::from_response(
                    info.service,
                    info.method,
                    info.url,
                    status,
                    raw.headers(),
                    raw.body(),
                )
            };
            service_error.attempts = attempts;
            // Atlas's token endpoint says only "invalid": the refusal names the credential tried.
            if is_credential
                && token_service == Service::Atlas
                && let Some(auth) = info.auth
            {
                service_error.hint = Some(format!(
                    "Atlas refused the {}: {}",
                    auth.credential,
                    auth.hint.as_deref().unwrap_or("check it")
                ));
            }
            return service_error.into();
        }
        let connection = find_core(&err, |e| {
            matches!(e.kind(), ErrorKind::Io | ErrorKind::Connection).then_some(())
        });
        if is_credential {
            if connection.is_some()
                && let Some(url) = info.auth.and_then(|a| a.token_url.as_ref())
            {
                return TransportError {
                    service: token_service,
                    method: "POST".into(),
                    host: url.host_str().unwrap_or_default().to_string(),
                    path: url.path().to_string(),
                    attempts,
                    cause: chain_text(&err),
                }
                .into();
            }
            return AuthError {
                credential: info
                    .auth
                    .map(|a| a.credential.clone())
                    .unwrap_or_else(|| "configured".into()),
                tenant: info.auth.and_then(|a| a.tenant.clone()),
                message: chain_text(&err),
                hint: info.auth.and_then(|a| a.hint.clone()),
            }
            .into();
        }
        if connection.is_some() {
            return TransportError {
                service: info.service,
                method: info.method.to_string(),
                host: info.url.host_str().unwrap_or_default().to_string(),
                path: info.url.path().to_string(),
                attempts,
                cause: chain_text(&err),
            }
            .into();
        }
        RequestError {
            service: info.service,
            method: info.method.to_string(),
            path: info.url.path().to_string(),
            message: chain_text(&err),
            hint: None,
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> Headers {
        let mut h = Headers::new();
        for (k, v) in pairs {
            h.insert(*k, *v);
        }
        h
    }

    fn url(path: &str) -> Url {
        Url::parse(&format!("https://example.test{path}")).unwrap()
    }

    #[test]
    fn arm_error_with_request_id() {
        let body = br#"{"error":{"code":"PrincipalNotFound","message":"Principal 1234 does not exist in the directory."}}"#;
        let e = ServiceError::from_response(
            Service::Arm,
            "PUT",
            &url(
                "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/r?api-version=2022-04-01",
            ),
            400,
            &headers(&[("x-ms-request-id", "req-1")]),
            body,
        );
        assert_eq!(e.code.as_deref(), Some("PrincipalNotFound"));
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
        assert_eq!(
            e.to_string(),
            "Azure Resource Manager refused PUT /subscriptions/s/providers/Microsoft.Authorization/roleAssignments/r: 400 PrincipalNotFound: Principal 1234 does not exist in the directory. (request id req-1)"
        );
        assert!(e.hint.unwrap().contains("principalType"));
    }

    #[test]
    fn arm_details_are_listed() {
        let body = br#"{"error":{"code":"DeploymentFailed","message":"At least one resource deployment operation failed.","details":[{"code":"BadRequest","message":"No version is permitted during provisioning"}]}}"#;
        let p = ParsedBody::parse(body);
        assert_eq!(p.code.as_deref(), Some("DeploymentFailed"));
        assert!(
            p.message
                .unwrap()
                .ends_with("[BadRequest: No version is permitted during provisioning]")
        );
    }

    #[test]
    fn cosmos_top_level_code() {
        let p = ParsedBody::parse(
            br#"{"code":"BadRequest","message":"Provided KeyVaultKeyUri is Invalid"}"#,
        );
        assert_eq!(p.code.as_deref(), Some("BadRequest"));
        assert_eq!(
            p.message.as_deref(),
            Some("Provided KeyVaultKeyUri is Invalid")
        );
    }

    #[test]
    fn graph_error_with_inner_request_id() {
        let body = br#"{"error":{"code":"Request_MultipleObjectsWithSameKeyValue","message":"Another object with the same value for property appId already exists.","innerError":{"date":"2024-01-01T00:00:00","request-id":"g-req","client-request-id":"c"}}}"#;
        let e = ServiceError::from_response(
            Service::Graph,
            "POST",
            &url("/v1.0/servicePrincipals"),
            409,
            &Headers::new(),
            body,
        );
        assert_eq!(
            e.code.as_deref(),
            Some("Request_MultipleObjectsWithSameKeyValue")
        );
        assert_eq!(e.request_id.as_deref(), Some("g-req"));
        let header_wins = ServiceError::from_response(
            Service::Graph,
            "POST",
            &url("/v1.0/x"),
            409,
            &headers(&[("request-id", "h-req")]),
            body,
        );
        assert_eq!(header_wins.request_id.as_deref(), Some("h-req"));
        assert!(e.hint.is_some());
    }

    #[test]
    fn key_vault_innermost_code() {
        let body = br#"{"error":{"code":"Forbidden","message":"Client address is not authorized and caller is not a trusted service.","innererror":{"code":"ForbiddenByFirewall"}}}"#;
        let e = ServiceError::from_response(
            Service::KeyVault,
            "GET",
            &url("/keys/k"),
            403,
            &Headers::new(),
            body,
        );
        assert_eq!(e.code.as_deref(), Some("ForbiddenByFirewall"));
        assert!(e.hint.unwrap().contains("AzureServices"));
    }

    #[test]
    fn atlas_error() {
        let body = br#"{"detail":"Invalid Azure credentials.","error":400,"errorCode":"INVALID_AZURE_CREDENTIALS","parameters":[],"reason":"Bad Request"}"#;
        let e = ServiceError::from_response(
            Service::Atlas,
            "PATCH",
            &url("/api/atlas/v2/groups/g/encryptionAtRest"),
            400,
            &Headers::new(),
            body,
        );
        assert_eq!(e.code.as_deref(), Some("INVALID_AZURE_CREDENTIALS"));
        assert_eq!(e.message, "Invalid Azure credentials.");
    }

    #[test]
    fn entra_token_error() {
        let body = br#"{"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'abc' was not found in the directory 'Contoso'.\r\nTrace ID: t-1\r\nCorrelation ID: c-1","error_codes":[700016],"trace_id":"t-1","correlation_id":"c-1"}"#;
        let e = ServiceError::from_response(
            Service::Login,
            "POST",
            &url("/t/oauth2/v2.0/token"),
            400,
            &Headers::new(),
            body,
        );
        assert_eq!(e.code.as_deref(), Some("AADSTS700016"));
        assert_eq!(
            e.message,
            "Application with identifier 'abc' was not found in the directory 'Contoso'."
        );
        assert_eq!(e.request_id.as_deref(), Some("t-1"));
        assert!(e.hint.unwrap().contains("consent"));
    }

    #[test]
    fn non_json_and_empty_bodies() {
        let e = ServiceError::from_response(
            Service::Arm,
            "GET",
            &url("/x"),
            502,
            &Headers::new(),
            b"<html>\n<h1>Bad gateway</h1></html>",
        );
        assert_eq!(e.message, "<html>");
        let e =
            ServiceError::from_response(Service::Arm, "GET", &url("/x"), 503, &Headers::new(), b"");
        assert_eq!(
            e.to_string(),
            "Azure Resource Manager refused GET /x: 503: Service Unavailable"
        );
    }

    #[test]
    fn messages_never_carry_tokens() {
        let body = br#"{"error":{"code":"InvalidAuthenticationToken","message":"The token eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ0In0.c2lnbmF0dXJlLXNlY3JldA is invalid"}}"#;
        let e = ServiceError::from_response(
            Service::Arm,
            "GET",
            &url("/x"),
            401,
            &Headers::new(),
            body,
        );
        assert!(!e.to_string().contains("eyJ"), "{e}");
    }

    #[test]
    fn failed_operation_and_attempts_render() {
        let body = serde_json::json!({"status":"Failed","error":{"code":"KeyVaultAccessForbidden","message":"no access"}});
        let mut e = ServiceError::from_operation(
            Service::Arm,
            "PUT",
            &url("/subscriptions/s/x"),
            200,
            "Failed",
            &body,
        );
        assert_eq!(
            e.to_string(),
            "Azure Resource Manager refused PUT /subscriptions/s/x: operation Failed KeyVaultAccessForbidden: no access"
        );
        e.attempts = 5;
        assert!(e.to_string().ends_with("; gave up after 5 attempts"));
    }
}
