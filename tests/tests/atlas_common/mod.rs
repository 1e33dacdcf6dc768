//! Raw requests for the Atlas probes: the Admin API with the demo's Project Owner API key (Digest
//! through the library's Atlas client), and ARM / Graph as a user of a tenant.

#![allow(dead_code)]

use serde_json::Value;
use xtcmk::Secret;
use xtcmk::clients::atlas::{AtlasAuth, AtlasClient};
use xtcmk::http::{AuthMethod, HttpStack};
use xtcmk_sim::Sim;
use xtcmk_sim::scenario::demo;

pub const GROUP: &str = demo::ATLAS_GROUP_ID;

pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// An Atlas `ApiError` with this status and code (its `error` repeats the status).
    pub fn assert_atlas_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["errorCode"], code, "{}", self.body);
        assert_eq!(self.body["error"], status, "{}", self.body);
        assert!(self.body["detail"].is_string(), "{}", self.body);
        assert!(self.body["reason"].is_string(), "{}", self.body);
    }

    pub fn detail(&self) -> &str {
        self.body["detail"].as_str().unwrap_or_default()
    }
}

pub struct Atlas {
    client: AtlasClient,
}

fn stack(sim: &Sim) -> HttpStack {
    HttpStack::builder(sim.cloud().clone())
        .auth(AuthMethod::Cli)
        .build()
        .unwrap()
}

impl Atlas {
    /// The demo's Project Owner API key.
    pub fn owner(sim: &Sim) -> Self {
        Self::key(sim, demo::ATLAS_PUBLIC_KEY, demo::ATLAS_PRIVATE_KEY)
    }

    pub fn key(sim: &Sim, public: &str, private: &str) -> Self {
        let client = stack(sim)
            .atlas(AtlasAuth::ApiKey {
                public_key: public.into(),
                private_key: Secret::new(private),
            })
            .unwrap();
        Atlas { client }
    }

    /// `method` on `path` (below `/api/atlas/v2/`) with the versioned media type, or `accept`.
    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        accept: Option<&str>,
        body: Option<&str>,
    ) -> Answer {
        let method = match method {
            "GET" => azure_core::http::Method::Get,
            "PATCH" => azure_core::http::Method::Patch,
            "POST" => azure_core::http::Method::Post,
            "DELETE" => azure_core::http::Method::Delete,
            other => panic!("no method {other}"),
        };
        let mut request = self.client.request(method, path).unwrap();
        if let Some(a) = accept {
            request = request.header("accept", a);
        }
        if let Some(b) = body {
            request = request.body(xtcmk::atlas::MEDIA_TYPE, b.to_string());
        }
        let response = self.client.send(request).await.unwrap();
        Answer {
            status: response.status,
            body: response.json_value().unwrap_or(Value::Null),
        }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let text = body.map(|b| b.to_string());
        self.send_with(method, path, None, text.as_deref()).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None).await
    }

    pub async fn patch_ear(&self, body: &Value) -> Answer {
        self.send(
            "PATCH",
            &format!("groups/{GROUP}/encryptionAtRest"),
            Some(body),
        )
        .await
    }

    pub async fn ear(&self) -> Value {
        let a = self.get(&format!("groups/{GROUP}/encryptionAtRest")).await;
        assert_eq!(a.status, 200, "{}", a.body);
        a.body["azureKeyVault"].clone()
    }
}

/// Raw ARM or Graph requests as a user of a tenant.
pub struct Azure<'a> {
    sim: &'a Sim,
    client: reqwest::Client,
    arm_token: String,
    graph_token: String,
}

impl<'a> Azure<'a> {
    pub fn user(sim: &'a Sim, tenant: &str, upn: &str) -> Self {
        Azure {
            sim,
            client: xtcmk::http::transport::build_client(sim.cloud()).unwrap(),
            arm_token: sim.user_token(tenant, upn, &sim.cloud().resource_manager_audience),
            graph_token: sim.user_token(tenant, upn, &sim.cloud().graph_audience),
        }
    }

    pub fn customer_admin(sim: &'a Sim) -> Self {
        Self::user(sim, demo::CUSTOMER, demo::CUSTOMER_ADMIN)
    }

    async fn send(&self, url: String, token: &str, method: &str, body: Option<&Value>) -> Answer {
        let mut request = self
            .client
            .request(method.parse().unwrap(), url)
            .header("authorization", format!("Bearer {token}"));
        if let Some(b) = body {
            request = request
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// ARM `method` on `path` with api-version 2026-02-01.
    pub async fn arm(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let url = format!(
            "{}{}?api-version=2026-02-01",
            self.sim.cloud().resource_manager_endpoint,
            path.trim_start_matches('/')
        );
        self.send(url, &self.arm_token, method, body).await
    }

    /// Graph `method` on `path` (below `/v1.0/`).
    pub async fn graph(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let url = format!("{}v1.0/{path}", self.sim.cloud().graph_endpoint);
        self.send(url, &self.graph_token, method, body).await
    }
}
