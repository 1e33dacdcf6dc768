//! Raw requests for probe tests: no tool, no client library, only HTTPS to the simulator's hosts
//! with a bearer token the test chooses, so each probe shows exactly what the service answers.
//!
//! ```no_run
//! # async fn probe() {
//! use xtcmk_sim::harness::probe::Probe;
//! use xtcmk_sim::scenario::demo;
//! let sim = xtcmk_sim::Sim::demo();
//! let p = Probe::new(&sim);
//! let token = p.user_arm(demo::CUSTOMER, demo::CUSTOMER_ADMIN);
//! let answer = p.get(&p.arm("/subscriptions?api-version=2022-12-01"), Some(&token)).await;
//! assert_eq!(answer.status, 200);
//! # }
//! ```

use super::Sim;
use serde_json::Value;
use xtcmk::AppId;

/// What a service answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    /// The JSON body (`Null` when there is none or it is not JSON).
    pub body: Value,
    /// The body as text.
    pub text: String,
}

impl Answer {
    /// `error.code` (ARM, Graph, Key Vault) or `error` (Entra).
    pub fn code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .or_else(|| self.body["error"].as_str())
            .unwrap_or_default()
    }

    /// Key Vault's inner error code (`ForbiddenByRbac`, `ForbiddenByFirewall`, ...).
    pub fn inner_code(&self) -> &str {
        self.body["error"]["innererror"]["code"]
            .as_str()
            .unwrap_or_default()
    }

    /// `error.message` (ARM, Graph, Key Vault) or `error_description` (Entra).
    pub fn message(&self) -> &str {
        self.body["error"]["message"]
            .as_str()
            .or_else(|| self.body["error_description"].as_str())
            .unwrap_or_default()
    }

    /// Entra's numeric `error_codes[0]`.
    pub fn aadsts(&self) -> u64 {
        self.body["error_codes"][0].as_u64().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a refusal: the status, the error code (ARM/Graph/Key Vault `error.code`, Entra's
    /// `error`) and message fragments, in order.
    #[track_caller]
    pub fn refused(&self, status: u16, code: &str, fragments: &[&str]) -> &Self {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "unexpected answer: {}",
            self.text
        );
        let message = self.message();
        let mut rest = message;
        for f in fragments {
            match rest.find(f) {
                Some(i) => rest = &rest[i + f.len()..],
                None => panic!("the message lacks `{f}` (in order): {message}"),
            }
        }
        self
    }

    /// Asserts success with `status`.
    #[track_caller]
    pub fn accepted(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text);
        self
    }
}

/// A raw HTTPS client for one simulator.
pub struct Probe<'a> {
    sim: &'a Sim,
    client: reqwest::Client,
}

impl<'a> Probe<'a> {
    pub fn new(sim: &'a Sim) -> Self {
        let client = xtcmk::http::transport::build_client(sim.cloud())
            .expect("a client trusting the simulator's CA");
        Self { sim, client }
    }

    /// `https://management.localhost:PORT{path}`.
    pub fn arm(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.sim.cloud().resource_manager_endpoint,
            path.trim_start_matches('/')
        )
    }

    /// `https://graph.localhost:PORT{path}`.
    pub fn graph(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.sim.cloud().graph_endpoint,
            path.trim_start_matches('/')
        )
    }

    /// `https://login.localhost:PORT{path}`.
    pub fn login(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.sim.cloud().login_endpoint,
            path.trim_start_matches('/')
        )
    }

    /// `https://{vault}.vault.localhost:PORT{path}`.
    pub fn vault(&self, vault: &str, path: &str) -> String {
        format!(
            "{}{}",
            self.sim.cloud().vault_url(vault),
            path.trim_start_matches('/')
        )
    }

    /// A user's token for ARM.
    pub fn user_arm(&self, tenant: &str, upn: &str) -> String {
        let audience = self.sim.cloud().resource_manager_audience.clone();
        self.sim.user_token(tenant, upn, &audience)
    }

    /// A user's token for Graph.
    pub fn user_graph(&self, tenant: &str, upn: &str) -> String {
        let audience = self.sim.cloud().graph_audience.clone();
        self.sim.user_token(tenant, upn, &audience)
    }

    /// A user's token for Key Vault.
    pub fn user_vault(&self, tenant: &str, upn: &str) -> String {
        let audience = self.sim.cloud().key_vault_audience.clone();
        self.sim.user_token(tenant, upn, &audience)
    }

    /// An application's token for ARM, Graph or Key Vault (`audience`).
    pub fn app(&self, tenant: &str, app_id: &str, audience: &str) -> String {
        let app: AppId = app_id.parse().expect("an app id");
        self.sim.app_token(tenant, &app, audience)
    }

    pub async fn get(&self, url: &str, token: Option<&str>) -> Answer {
        self.send("GET", url, token, None).await
    }

    /// `GET` with extra headers (Atlas's versioned `Accept`, for one).
    pub async fn get_with(
        &self,
        url: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.send_with("GET", url, token, None, headers).await
    }

    pub async fn put(&self, url: &str, token: Option<&str>, body: Value) -> Answer {
        self.send("PUT", url, token, Some(body)).await
    }

    pub async fn patch(&self, url: &str, token: Option<&str>, body: Value) -> Answer {
        self.send("PATCH", url, token, Some(body)).await
    }

    pub async fn post(&self, url: &str, token: Option<&str>, body: Value) -> Answer {
        self.send("POST", url, token, Some(body)).await
    }

    pub async fn delete(&self, url: &str, token: Option<&str>) -> Answer {
        self.send("DELETE", url, token, None).await
    }

    /// A form POST (the token endpoint).
    pub async fn form(&self, url: &str, form: &[(&str, &str)]) -> Answer {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter())
            .finish();
        let request = self
            .client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        Self::answer(request.send().await.expect("the simulator answers")).await
    }

    /// Any request: `method url`, an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.send_with(method, url, token, body, &[]).await
    }

    /// [`Probe::send`] with extra headers.
    pub async fn send_with(
        &self,
        method: &str,
        url: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut request = self.client.request(method, url);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        Self::answer(request.send().await.expect("the simulator answers")).await
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }
}
