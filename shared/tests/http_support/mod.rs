//! A scripted in-process responder implementing `azure_core`'s `HttpClient`, so the real
//! pipelines (retry, bearer and challenge policies, credentials) run against canned answers.

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use azure_core::http::headers::Headers;
use azure_core::http::{AsyncRawResponse, Body, HttpClient, Method, Request, StatusCode};
use base64::Engine;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;
use xtcmk::Cloud;
use xtcmk::http::{HttpStack, RetrySettings, ScaledSleeper};

/// One canned answer.
#[derive(Clone, Debug)]
pub enum Answer {
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    ConnectionReset,
}

pub fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
    Answer::Http {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.to_string(),
    }
}

pub fn json(status: u16, body: serde_json::Value) -> Answer {
    answer(
        status,
        &[("content-type", "application/json")],
        &body.to_string(),
    )
}

/// A request the responder saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Route {
    method: Method,
    path: String,
    answers: VecDeque<Answer>,
}

/// Answers by method and exact URL path; a route's last answer repeats forever.
#[derive(Default)]
pub struct Scripted {
    routes: Mutex<Vec<Route>>,
    seen: Mutex<Vec<Seen>>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scripted")
    }
}

impl Scripted {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn on(&self, method: Method, path: &str, answers: Vec<Answer>) {
        assert!(!answers.is_empty());
        self.routes.lock().unwrap().push(Route {
            method,
            path: path.to_string(),
            answers: answers.into(),
        });
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self, method: Method, path: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.method == method && s.url.path() == path)
            .count()
    }
}

#[async_trait]
impl HttpClient for Scripted {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let body = match request.body() {
            Body::Bytes(b) => b.to_vec(),
            _ => Vec::new(),
        };
        let headers = request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.as_str().to_string()))
            .collect();
        self.seen.lock().unwrap().push(Seen {
            method: request.method(),
            url: request.url().clone(),
            headers,
            body,
        });
        let next = {
            let mut routes = self.routes.lock().unwrap();
            let route = routes
                .iter_mut()
                .find(|r| r.method == request.method() && r.path == request.url().path());
            route.map(|r| {
                if r.answers.len() > 1 {
                    r.answers.pop_front().unwrap()
                } else {
                    r.answers[0].clone()
                }
            })
        };
        match next {
            Some(Answer::Http {
                status,
                headers,
                body,
            }) => {
                let mut h = Headers::new();
                for (k, v) in headers {
                    h.insert(k.to_ascii_lowercase(), v);
                }
                Ok(AsyncRawResponse::from_bytes(
                    StatusCode::from(status),
                    h,
                    body.into_bytes(),
                ))
            }
            Some(Answer::ConnectionReset) => Err(azure_core::Error::with_message(
                ErrorKind::Io,
                "connection reset by peer",
            )),
            None => {
                let body = format!(
                    r#"{{"error":{{"code":"NoRoute","message":"no scripted route for {} {}"}}}}"#,
                    request.method(),
                    request.url().path()
                );
                Ok(AsyncRawResponse::from_bytes(
                    StatusCode::NotFound,
                    Headers::new(),
                    body.into_bytes(),
                ))
            }
        }
    }
}

/// A JWT-shaped token (unsigned) with the given claims.
pub fn fake_jwt(claims: serde_json::Value) -> String {
    let e = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    format!(
        "{}.{}.{}",
        e(br#"{"alg":"RS256","typ":"JWT"}"#),
        e(claims.to_string().as_bytes()),
        e(b"signature-bytes-of-a-test-token")
    )
}

/// A credential returning a fixed token and recording the scopes asked for.
#[derive(Debug)]
pub struct RecordingCredential {
    pub token: String,
    pub scopes: Mutex<Vec<String>>,
}

impl RecordingCredential {
    pub fn new(token: String) -> Arc<Self> {
        Arc::new(Self {
            token,
            scopes: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait]
impl TokenCredential for RecordingCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.scopes
            .lock()
            .unwrap()
            .extend(scopes.iter().map(|s| s.to_string()));
        Ok(AccessToken::new(
            self.token.clone(),
            azure_core::time::OffsetDateTime::now_utc() + Duration::from_secs(3600),
        ))
    }
}

/// Retry settings that never sleep (time scale 0) but record the requested waits.
pub fn zero_time() -> RetrySettings {
    RetrySettings {
        time_scale: 0.0,
        ..RetrySettings::default()
    }
}

/// A stack over `scripted` with a fixed-token credential; returns the sleeper recording waits.
pub fn stack(
    scripted: &Arc<Scripted>,
    settings: RetrySettings,
) -> (HttpStack, Arc<ScaledSleeper>, Arc<RecordingCredential>) {
    let credential =
        RecordingCredential::new(fake_jwt(serde_json::json!({"tid": "t", "oid": "o"})));
    let sleeper = Arc::new(ScaledSleeper::new(0.0));
    let stack = HttpStack::builder(Cloud::public())
        .http_client(scripted.clone())
        .credential("test", credential.clone())
        .sleeper(sleeper.clone())
        .retry(settings)
        .build()
        .unwrap();
    (stack, sleeper, credential)
}
