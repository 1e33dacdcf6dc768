//! Raw ARM requests for the Cosmos DB tests: a user's token, one HTTPS client, the answer's status,
//! headers and JSON, and a poller that follows Cosmos DB's long-running operations.

#![allow(dead_code)]

use serde_json::Value;
use xtcmk_sim::Sim;
use xtcmk_sim::scenario::cross_tenant::CmkWorld;
use xtcmk_sim::scenario::demo;

pub const API: &str = "2026-07-15";
pub const API_2022: &str = "2022-05-15";

pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The code of either error shape: Cosmos DB's top-level or ARM's `error`.
    pub fn code(&self) -> &str {
        self.body["code"]
            .as_str()
            .or_else(|| self.body["error"]["code"].as_str())
            .unwrap_or_default()
    }

    pub fn message(&self) -> &str {
        self.body["message"]
            .as_str()
            .or_else(|| self.body["error"]["message"].as_str())
            .unwrap_or_default()
    }

    /// A Cosmos DB resource-provider error: top-level code and message, the message ending in the
    /// `ActivityId` line.
    pub fn assert_rp_error(&self, status: u16, code: &str, message_starts: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert!(self.body.get("error").is_none(), "{}", self.body);
        let message = self.body["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(message_starts),
            "{message:?} should start with {message_starts:?}"
        );
        assert!(
            message.contains("\r\nActivityId: ")
                && message.ends_with("Microsoft.Azure.Documents.Common/2.14.0"),
            "{message:?}"
        );
    }

    /// An ARM error: `{"error":{"code","message"}}`.
    pub fn assert_arm_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["error"]["code"], code, "{}", self.body);
    }
}

pub struct Arm<'a> {
    pub sim: &'a Sim,
    client: reqwest::Client,
    token: String,
}

impl<'a> Arm<'a> {
    /// The provider's administrator (Owner of the provider subscription).
    pub fn provider(sim: &'a Sim) -> Self {
        Self::user(sim, demo::PROVIDER, demo::PROVIDER_ADMIN)
    }

    pub fn user(sim: &'a Sim, tenant: &str, upn: &str) -> Self {
        let token = sim.user_token(tenant, upn, &sim.cloud().resource_manager_audience);
        Arm {
            sim,
            client: xtcmk::http::transport::build_client(sim.cloud()).unwrap(),
            token,
        }
    }

    /// `method` on `path` (or a full URL) with `api-version` `api` (none when the URL has one).
    pub async fn send(&self, method: &str, path: &str, api: &str, body: Option<&Value>) -> Answer {
        let url = if path.starts_with("https://") {
            path.to_string()
        } else {
            format!(
                "{}{}?api-version={api}",
                self.sim.cloud().resource_manager_endpoint,
                path.trim_start_matches('/')
            )
        };
        let mut request = self
            .client
            .request(method.parse().unwrap(), url)
            .header("authorization", format!("Bearer {}", self.token));
        if let Some(b) = body {
            request = request
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        }
    }

    pub async fn get(&self, path: &str, api: &str) -> Answer {
        self.send("GET", path, api, None).await
    }

    /// Polls an `Azure-AsyncOperation` URL until the operation ends; returns the last status body.
    pub async fn wait(&self, operation: &str) -> Value {
        for _ in 0..10 {
            let poll = self.send("GET", operation, "", None).await;
            assert_eq!(poll.status, 200, "{}", poll.body);
            let status = poll.body["status"].as_str().unwrap_or_default();
            if ["Succeeded", "Failed", "Canceled"].contains(&status) {
                return poll.body;
            }
        }
        panic!("the operation did not end: {operation}");
    }

    /// PUT or PATCH, then follow the operation to its end; returns the write's answer.
    pub async fn write(&self, method: &str, path: &str, api: &str, body: &Value) -> Answer {
        let answer = self.send(method, path, api, Some(body)).await;
        if answer.status == 200
            && let Some(op) = answer.header("azure-asyncoperation").map(str::to_string)
        {
            assert_eq!(self.wait(&op).await["status"], "Succeeded");
        }
        answer
    }
}

/// The world's account `name` created on the customer's key, its creation followed to the end.
pub async fn create_cmk_account(arm: &Arm<'_>, world: &CmkWorld, name: &str) -> Answer {
    let answer = arm
        .write("PUT", &world.account_path(name), API, &world.account_body())
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer
}

/// The account's `customerManagedKeyStatus` as a GET at 2026-07-15 shows it.
pub async fn key_status(arm: &Arm<'_>, world: &CmkWorld, name: &str) -> String {
    let account = arm.get(&world.account_path(name), API).await;
    assert_eq!(account.status, 200, "{}", account.body);
    account.body["properties"]["customerManagedKeyStatus"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
