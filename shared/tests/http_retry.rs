//! The retry policy inside real `azure_core` pipelines, against a scripted responder.

#[allow(dead_code)]
mod http_support;

use azure_core::http::Method;
use http_support::stack as new_stack;
use http_support::{Answer, Scripted, answer, json, zero_time};
use serde_json::{Value, json as j};
use std::time::Duration;
use xtcmk::http::{HttpError, RetrySettings, Service};

const RG: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1";
const API: &str = "2024-03-01";

#[tokio::test]
async fn throttled_twice_then_ok_takes_three_attempts_and_waits_as_told() {
    let scripted = Scripted::new();
    let throttled = answer(
        429,
        &[("retry-after", "1")],
        r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#,
    );
    scripted.on(
        Method::Get,
        RG,
        vec![throttled.clone(), throttled, json(200, j!({"name": "rg1"}))],
    );
    let (stack, sleeper, _) = new_stack(&scripted, zero_time());

    let rg: Option<Value> = stack.arm(None).unwrap().get(RG, API).await.unwrap();

    assert_eq!(rg.unwrap()["name"], "rg1");
    assert_eq!(scripted.count(Method::Get, RG), 3);
    assert_eq!(
        sleeper.requested(),
        vec![Duration::from_secs(1), Duration::from_secs(1)]
    );
    // Every attempt carried the bearer token and the api-version.
    for seen in scripted.seen() {
        assert!(
            seen.header("authorization")
                .unwrap()
                .starts_with("Bearer ey")
        );
        assert_eq!(seen.url.query(), Some("api-version=2024-03-01"));
        assert!(seen.header("user-agent").unwrap().starts_with("xtcmk/"));
    }
}

#[tokio::test]
async fn one_pipeline_per_audience_and_tenant_shares_its_token() {
    let scripted = Scripted::new();
    scripted.on(Method::Get, RG, vec![json(200, j!({}))]);
    let (stack, _, credential) = new_stack(&scripted, zero_time());
    for _ in 0..3 {
        let _: Option<Value> = stack.arm(None).unwrap().get(RG, API).await.unwrap();
    }
    assert_eq!(
        credential.scopes.lock().unwrap().len(),
        1,
        "one token for three clients"
    );
    let other: xtcmk::TenantId = "22222222-2222-2222-2222-222222222222".parse().unwrap();
    let _: Option<Value> = stack.arm(Some(&other)).unwrap().get(RG, API).await.unwrap();
    assert_eq!(
        credential.scopes.lock().unwrap().len(),
        2,
        "another tenant, another pipeline"
    );
}

#[tokio::test]
async fn default_sleeper_records_waits_on_the_stack() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Get,
        RG,
        vec![answer(503, &[("retry-after", "2")], ""), json(200, j!({}))],
    );
    let stack = xtcmk::http::HttpStack::builder(xtcmk::Cloud::public())
        .http_client(scripted.clone())
        .credential(
            "test",
            http_support::RecordingCredential::new(http_support::fake_jwt(j!({}))),
        )
        .retry(zero_time())
        .build()
        .unwrap();
    let _: Option<Value> = stack.arm(None).unwrap().get(RG, API).await.unwrap();
    assert_eq!(stack.requested_waits(), vec![Duration::from_secs(2)]);
}

#[tokio::test]
async fn unavailable_forever_stops_after_the_configured_attempts() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Get,
        RG,
        vec![answer(
            503,
            &[("x-ms-request-id", "r-503")],
            r#"{"error":{"code":"ServiceUnavailable","message":"try later"}}"#,
        )],
    );
    let (stack, sleeper, _) = new_stack(&scripted, zero_time());

    let err = stack
        .arm(None)
        .unwrap()
        .get::<Value>(RG, API)
        .await
        .unwrap_err();

    assert_eq!(scripted.count(Method::Get, RG), 5, "default: 4 retries");
    assert_eq!(sleeper.requested().len(), 4);
    let HttpError::Service(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (e.status, e.attempts, e.code.as_deref()),
        (503, 5, Some("ServiceUnavailable"))
    );
    let text = err.to_string();
    assert!(text.contains("gave up after 5 attempts"), "{text}");
    assert!(text.contains("(request id r-503)"), "{text}");
    assert!(err.hint().is_some());

    // Exponential backoff without Retry-After: each wait at least the previous one's nominal.
    let waits = sleeper.requested();
    for pair in waits.windows(2) {
        assert!(pair[1] > pair[0].mul_f64(1.3), "{waits:?}");
    }
}

#[tokio::test]
async fn max_retries_and_max_delay_are_configurable() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Get,
        RG,
        vec![answer(429, &[("retry-after", "600")], "")],
    );
    let settings = RetrySettings {
        max_retries: 1,
        max_delay: Duration::from_secs(30),
        ..zero_time()
    };
    let (stack, sleeper, _) = new_stack(&scripted, settings);
    let err = stack
        .arm(None)
        .unwrap()
        .get::<Value>(RG, API)
        .await
        .unwrap_err();
    assert_eq!(scripted.count(Method::Get, RG), 2);
    assert_eq!(
        sleeper.requested(),
        vec![Duration::from_secs(30)],
        "Retry-After 600 is capped at the max delay"
    );
    assert!(err.to_string().contains("gave up after 2 attempts"));
}

#[tokio::test]
async fn post_is_retried_only_when_the_service_says_it_did_not_process_it() {
    let action = format!("{RG}/providers/Microsoft.Test/things/t1/action");
    let scripted = Scripted::new();
    scripted.on(
        Method::Post,
        &action,
        vec![answer(
            500,
            &[],
            r#"{"error":{"code":"InternalServerError","message":"boom"}}"#,
        )],
    );
    let (stack, sleeper, _) = new_stack(&scripted, zero_time());
    let err = stack
        .arm(None)
        .unwrap()
        .post::<_, Value>(&action, API, &j!({}))
        .await
        .unwrap_err();
    assert_eq!(
        scripted.count(Method::Post, &action),
        1,
        "a 500 to a POST may have taken effect"
    );
    assert_eq!(err.service_error().unwrap().attempts, 1);
    assert!(sleeper.requested().is_empty());

    let scripted = Scripted::new();
    scripted.on(
        Method::Post,
        &action,
        vec![
            answer(429, &[("retry-after", "3")], ""),
            json(200, j!({"ok": true})),
        ],
    );
    let (stack, sleeper, _) = new_stack(&scripted, zero_time());
    let ok: Value = stack
        .arm(None)
        .unwrap()
        .post(&action, API, &j!({}))
        .await
        .unwrap();
    assert_eq!(ok["ok"], true);
    assert_eq!(scripted.count(Method::Post, &action), 2);
    assert_eq!(sleeper.requested(), vec![Duration::from_secs(3)]);

    let scripted = Scripted::new();
    scripted.on(Method::Post, &action, vec![answer(429, &[], "")]);
    let (stack, _, _) = new_stack(&scripted, zero_time());
    assert_eq!(
        stack
            .arm(None)
            .unwrap()
            .post::<_, Value>(&action, API, &j!({}))
            .await
            .unwrap_err()
            .status(),
        Some(429)
    );
    assert_eq!(
        scripted.count(Method::Post, &action),
        1,
        "429 without Retry-After is not retried for POST"
    );
}

#[tokio::test]
async fn connection_errors_are_retried_for_idempotent_methods_only() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Put,
        RG,
        vec![Answer::ConnectionReset, json(201, j!({"name": "rg1"}))],
    );
    let (stack, sleeper, _) = new_stack(&scripted, zero_time());
    let created: Value = stack
        .arm(None)
        .unwrap()
        .put(RG, API, &j!({"location": "westeurope"}))
        .await
        .unwrap();
    assert_eq!(created["name"], "rg1");
    assert_eq!(scripted.count(Method::Put, RG), 2);
    assert_eq!(sleeper.requested().len(), 1);
    // The body was sent again on the retry.
    assert!(
        scripted
            .seen()
            .iter()
            .all(|s| s.body == br#"{"location":"westeurope"}"#)
    );

    let action = format!("{RG}/providers/Microsoft.Test/things/t1/action");
    scripted.on(Method::Post, &action, vec![Answer::ConnectionReset]);
    let err = stack
        .arm(None)
        .unwrap()
        .post::<_, Value>(&action, API, &j!({}))
        .await
        .unwrap_err();
    assert_eq!(scripted.count(Method::Post, &action), 1);
    let HttpError::Transport(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!((t.service, t.attempts), (Service::Arm, 1));

    let scripted = Scripted::new();
    scripted.on(Method::Get, RG, vec![Answer::ConnectionReset]);
    let (stack, _, _) = new_stack(&scripted, zero_time());
    let err = stack
        .arm(None)
        .unwrap()
        .get::<Value>(RG, API)
        .await
        .unwrap_err();
    assert_eq!(scripted.count(Method::Get, RG), 5);
    let text = err.to_string();
    assert!(
        text.contains("could not reach Azure Resource Manager at management.azure.com"),
        "{text}"
    );
    assert!(
        text.contains("gave up after 5 attempts") && text.contains("connection reset by peer"),
        "{text}"
    );
    assert_eq!(text.matches("gave up").count(), 1, "{text}");
}

#[tokio::test]
async fn errors_that_are_not_transient_are_not_retried() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Get,
        RG,
        vec![answer(
            403,
            &[],
            r#"{"error":{"code":"AuthorizationFailed","message":"no access"}}"#,
        )],
    );
    let (stack, sleeper, _) = new_stack(&scripted, zero_time());
    let err = stack
        .arm(None)
        .unwrap()
        .get::<Value>(RG, API)
        .await
        .unwrap_err();
    assert_eq!(scripted.count(Method::Get, RG), 1);
    assert!(sleeper.requested().is_empty());
    assert!(err.is(403, "authorizationfailed"));
    assert!(xtcmk::diagnostics::hints(&anyhow::Error::new(err))[0].contains("Azure role"));
}

#[tokio::test]
async fn tokens_never_go_over_plain_http() {
    let scripted = Scripted::new();
    scripted.on(Method::Get, RG, vec![json(200, j!({}))]);
    let mut cloud = xtcmk::Cloud::public();
    cloud.resource_manager_endpoint = "http://management.example.test/".parse().unwrap();
    let stack = xtcmk::http::HttpStack::builder(cloud)
        .http_client(scripted.clone())
        .credential(
            "test",
            http_support::RecordingCredential::new(http_support::fake_jwt(j!({}))),
        )
        .retry(zero_time())
        .build()
        .unwrap();
    let err = stack
        .arm(None)
        .unwrap()
        .get::<Value>(RG, API)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("non-TLS"), "{err}");
    assert!(scripted.seen().is_empty(), "nothing was sent");
}
