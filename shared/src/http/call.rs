//! One service's pipeline and base URL, and the request/response types every client uses:
//! JSON in, JSON out, any status returned as data by [`ServiceClient::send`] or turned into a
//! [`ServiceError`] by [`ServiceClient::call`].

use super::error::{AuthContext, CallInfo, HttpError, RequestError, Service, ServiceError};
use super::retry::{RetrySettings, Sleeper};
use crate::report::{CallObserver, SharedReporter};
use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
use azure_core::http::{Context, Method, Pipeline, PipelineSendOptions, Request};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::Arc;
use url::Url;

/// `application/json`.
pub const JSON: &str = "application/json";

/// A request to one service: method, URL, headers and an optional body.
#[derive(Clone)]
pub struct ApiRequest {
    pub method: Method,
    pub url: Url,
    headers: Vec<(String, String)>,
    body: Option<(String, Bytes)>,
    invalid_body: Option<String>,
    retry_safe: bool,
}

impl fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("path", &self.url.path())
            .field("body_len", &self.body.as_ref().map(|(_, b)| b.len()))
            .finish_non_exhaustive()
    }
}

impl ApiRequest {
    /// A request accepting JSON.
    pub fn new(method: Method, url: Url) -> Self {
        Self {
            method,
            url,
            headers: vec![("accept".into(), JSON.into())],
            body: None,
            invalid_body: None,
            retry_safe: false,
        }
    }

    /// Marks a POST that changes nothing, so transient failures are retried like a GET's.
    pub fn retry_safe(mut self) -> Self {
        self.retry_safe = true;
        self
    }

    /// Sets (replaces) a header. Names are case-insensitive.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.url.query_pairs_mut().append_pair(name, value);
        self
    }

    /// A JSON body (`application/json`).
    pub fn json<B: Serialize + ?Sized>(self, body: &B) -> Self {
        self.json_as(JSON, body)
    }

    /// A JSON body with a vendor media type (Atlas: `application/vnd.atlas.2023-01-01+json`).
    pub fn json_as<B: Serialize + ?Sized>(mut self, content_type: &str, body: &B) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body = Some((content_type.to_string(), Bytes::from(bytes))),
            Err(e) => {
                self.invalid_body =
                    Some(format!("the request body cannot be written as JSON ({e})"))
            }
        }
        self
    }

    /// A raw body.
    pub fn body(mut self, content_type: &str, bytes: impl Into<Bytes>) -> Self {
        self.body = Some((content_type.to_string(), bytes.into()));
        self
    }

    /// The value of a header set on this request.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    fn into_core(self) -> Request {
        let mut request = Request::new(self.url, self.method);
        for (name, value) in self.headers {
            request.insert_header(HeaderName::from(name), HeaderValue::from(value));
        }
        if let Some((content_type, bytes)) = self.body {
            request.insert_header(
                HeaderName::from("content-type".to_string()),
                HeaderValue::from(content_type),
            );
            request.set_body(bytes);
        }
        request
    }
}

/// A service's answer, whatever its status. `Debug` shows no body.
#[derive(Clone)]
pub struct ApiResponse {
    pub service: Service,
    pub method: Method,
    pub url: Url,
    pub status: u16,
    headers: Headers,
    body: Bytes,
}

impl fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiResponse")
            .field("service", &self.service)
            .field("method", &self.method)
            .field("path", &self.url.path())
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl ApiResponse {
    /// Builds a response (used by the poller and by tests of code that consumes responses).
    pub fn new(
        service: Service,
        method: Method,
        url: Url,
        status: u16,
        headers: Headers,
        body: impl Into<Bytes>,
    ) -> Self {
        Self {
            service,
            method,
            url,
            status,
            headers,
            body: body.into(),
        }
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get_optional_str(&HeaderName::from(name.to_ascii_lowercase()))
    }

    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as `T`; an empty body reads as JSON `null` (so `()` and `Option<T>` accept it).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        let bytes: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &self.body
        };
        serde_json::from_slice(bytes).map_err(|e| {
            RequestError {
                service: self.service,
                method: self.method.to_string(),
                path: self.url.path().to_string(),
                message: format!("the {} answer is not the expected JSON ({e})", self.status),
                hint: Some("the service's answer does not match its published contract; re-run with -vv and report it".into()),
            }
            .into()
        })
    }

    /// The body as untyped JSON, if it is JSON.
    pub fn json_value(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// This answer read as the service's error.
    pub fn error(&self) -> ServiceError {
        ServiceError::from_response(
            self.service,
            self.method.as_ref(),
            &self.url,
            self.status,
            &self.headers,
            &self.body,
        )
    }

    /// `Ok(self)` for 2xx, the service's error otherwise.
    pub fn into_result(self) -> Result<Self, HttpError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(self.error().into())
        }
    }
}

/// One service's pipeline (retry, authentication, logging, transport) and base URL.
#[derive(Clone)]
pub struct ServiceClient {
    service: Service,
    base: Url,
    pipeline: Pipeline,
    settings: Arc<RetrySettings>,
    sleeper: Arc<dyn Sleeper>,
    auth: Option<Arc<AuthContext>>,
    /// Where waits (retries, long-running operations) are reported, if anywhere.
    observer: Option<SharedReporter>,
}

impl fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceClient")
            .field("service", &self.service)
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl ServiceClient {
    pub(crate) fn new(
        service: Service,
        base: Url,
        pipeline: Pipeline,
        settings: Arc<RetrySettings>,
        sleeper: Arc<dyn Sleeper>,
        auth: Option<AuthContext>,
    ) -> Self {
        Self {
            service,
            base,
            pipeline,
            settings,
            sleeper,
            auth: auth.map(Arc::new),
            observer: None,
        }
    }

    /// This client reporting its waits (retries, long-running operations) to `reporter`.
    pub fn observed(&self, reporter: SharedReporter) -> Self {
        let mut client = self.clone();
        client.observer = Some(reporter);
        client
    }

    /// The reporter waits go to, if any.
    pub fn observer(&self) -> Option<&SharedReporter> {
        self.observer.as_ref()
    }

    /// A call context carrying the observer, for pipelines and SDK clients.
    pub fn context(&self) -> Context<'static> {
        match &self.observer {
            Some(r) => Context::new().with_value(CallObserver(r.clone())),
            None => Context::new(),
        }
    }

    pub fn service(&self) -> Service {
        self.service
    }

    /// The base URL relative paths are joined to (ends with `/`).
    pub fn base(&self) -> &Url {
        &self.base
    }

    pub fn settings(&self) -> &RetrySettings {
        &self.settings
    }

    pub fn sleeper(&self) -> &Arc<dyn Sleeper> {
        &self.sleeper
    }

    fn refuse(&self, method: &str, path: &str, message: String) -> HttpError {
        RequestError {
            service: self.service,
            method: method.into(),
            path: path.into(),
            message,
            hint: None,
        }
        .into()
    }

    /// `path` resolved against the base URL: a path (leading `/` optional, kept under the base's
    /// own path such as `/v1.0/`), or an absolute URL on the same origin (a `nextLink`, a polling
    /// URL). Other origins are refused so the bearer token never leaves the service.
    pub fn url(&self, path: &str) -> Result<Url, HttpError> {
        if path.starts_with("https://") || path.starts_with("http://") {
            let url = Url::parse(path)
                .map_err(|e| self.refuse("GET", path, format!("not a valid URL ({e})")))?;
            if url.origin() != self.base.origin() {
                return Err(self.refuse(
                    "GET",
                    url.path(),
                    format!(
                        "refusing to follow a link to {} (only {} is trusted with this token)",
                        url.origin().ascii_serialization(),
                        self.base.origin().ascii_serialization()
                    ),
                ));
            }
            return Ok(url);
        }
        let relative = path.trim_start_matches('/');
        // A first segment with a colon would parse as a URL scheme.
        let first = relative.split(['/', '?']).next().unwrap_or_default();
        let relative = if first.contains(':') {
            format!("./{relative}")
        } else {
            relative.to_string()
        };
        self.base.join(&relative).map_err(|e| {
            self.refuse(
                "GET",
                path,
                format!("cannot form a URL from this path ({e})"),
            )
        })
    }

    /// A request to `path` (see [`ServiceClient::url`]).
    pub fn request(&self, method: Method, path: &str) -> Result<ApiRequest, HttpError> {
        Ok(ApiRequest::new(method, self.url(path)?))
    }

    /// Sends `request` through the pipeline and returns the answer whatever its status. Fails
    /// only when no answer could be had (connection, token, retries exhausted).
    pub async fn send(&self, mut request: ApiRequest) -> Result<ApiResponse, HttpError> {
        let method = request.method;
        let url = request.url.clone();
        if let Some(problem) = request.invalid_body.take() {
            return Err(self.refuse(method.as_ref(), url.path(), problem));
        }
        let mut context = self.context();
        if request.retry_safe {
            context = context.with_value(super::retry::RetrySafe);
        }
        let mut core = request.into_core();
        let options = PipelineSendOptions {
            skip_checks: true,
            ..Default::default()
        };
        let result = self.pipeline.send(&context, &mut core, Some(options)).await;
        match result {
            Ok(raw) => {
                let (status, headers, body) = raw.deconstruct();
                let status = u16::from(status);
                tracing::debug!("{} {method} {} -> {status}", self.service, url.path());
                Ok(ApiResponse {
                    service: self.service,
                    method,
                    url,
                    status,
                    headers,
                    body: body.into(),
                })
            }
            Err(e) => {
                let info = CallInfo {
                    service: self.service,
                    method: method.as_ref(),
                    url: &url,
                    auth: self.auth.as_deref(),
                };
                Err(HttpError::from_core(e, &info))
            }
        }
    }

    /// Sends `request`; any status outside 2xx becomes the service's error.
    pub async fn call(&self, request: ApiRequest) -> Result<ApiResponse, HttpError> {
        self.send(request).await?.into_result()
    }
}
