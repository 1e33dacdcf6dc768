//! Tokens and secrets never appear in the logs, at trace level, of the tool's HTTP stack and of
//! the simulator (both run in this process and log through one subscriber), nor in the errors
//! the stack returns, nor in the simulator's request log. A JWT always begins with `eyJ`.

use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};
use xtcmk::TenantId;
use xtcmk::http::{AuthMethod, HttpStack, RetrySettings};
use xtcmk_sim::Sim;
use xtcmk_sim::faults::{FaultRule, Step};
use xtcmk_sim::scenario::demo;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn stack(sim: &Sim, secret: &str) -> HttpStack {
    let vars: std::collections::HashMap<String, String> = sim
        .env_as_app(demo::PROVIDER, demo::CI_APP_ID, secret)
        .into_iter()
        .collect();
    let settings = RetrySettings::from_lookup(|n| vars.get(n).cloned()).unwrap();
    HttpStack::builder(sim.cloud().clone())
        .auth(AuthMethod::ClientSecret)
        .env(move |n| vars.get(n).cloned())
        .retry(settings)
        .build()
        .unwrap()
}

#[tokio::test]
async fn no_token_or_secret_in_any_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let sim = Sim::demo();
    sim.faults()
        .add(FaultRule::on("GET", "/subscriptions/*").sequence([Step::throttle(1)]));
    let tenant: TenantId = demo::PROVIDER_TENANT_ID.parse().unwrap();
    let good = stack(&sim, demo::CI_SECRET);
    let sub: Option<Value> = good
        .arm(Some(&tenant))
        .unwrap()
        .get(
            &format!("/subscriptions/{}", demo::PROVIDER_SUBSCRIPTION_ID),
            "2022-12-01",
        )
        .await
        .unwrap();
    assert!(sub.is_some());
    let org: Option<Value> = good
        .graph(Some(&tenant))
        .unwrap()
        .get("/organization")
        .await
        .unwrap();
    assert!(org.is_some());
    let issued = sim.app_token(
        demo::PROVIDER,
        &demo::CI_APP_ID.parse().unwrap(),
        &sim.cloud().resource_manager_audience,
    );

    let wrong_secret = "wrong-secret-value-that-must-not-leak";
    let bad = stack(&sim, wrong_secret);
    let err = bad
        .graph(Some(&tenant))
        .unwrap()
        .get::<Value>("/organization")
        .await
        .unwrap_err();
    let rendered = format!("{err:#} {err:?}");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("/oauth2/v2.0/token"),
        "the trace log was captured: {logs}"
    );
    let request_log = serde_json::to_string(&sim.log().entries()).unwrap();
    for (name, text) in [
        ("trace log", &logs),
        ("error", &rendered),
        ("request log", &request_log),
    ] {
        for secret in [demo::CI_SECRET, wrong_secret] {
            assert!(!text.contains(secret), "a client secret is in the {name}");
        }
        assert!(!text.contains("eyJ"), "a JWT is in the {name}");
        assert!(!text.contains(&issued[..40]), "a token is in the {name}");
    }
}
