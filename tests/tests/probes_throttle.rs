//! Raw probes of throttling: ARM's per-subscription token buckets with their remaining-requests
//! headers and `SubscriptionRequestsThrottled` 429s, Graph's `TooManyRequests` 429s, and the
//! refill, on a clock the test moves (no sleeps). No tool and no client library.

use std::sync::Arc;
use std::time::Duration;
use xtcmk_sim::clock::ManualClock;
use xtcmk_sim::harness::probe::Probe;
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::throttle::{ArmLimits, BucketLimit, ThrottleOptions};
use xtcmk_sim::{Scenario, Sim, SimOptions};

const RG_API: &str = "2021-04-01";
const SUBS_API: &str = "2022-12-01";
const READS: &str = "x-ms-ratelimit-remaining-subscription-reads";
const WRITES: &str = "x-ms-ratelimit-remaining-subscription-writes";
const DELETES: &str = "x-ms-ratelimit-remaining-subscription-deletes";

/// The demo with every ARM bucket holding `capacity` and refilling `rate` per second, Graph's
/// holding 1 refilled 1 per second, on a manual clock.
fn throttled(capacity: u32, rate: f64) -> (Sim, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::default());
    let sim = Sim::start_with(
        Some(Scenario::demo()),
        SimOptions {
            throttle: ThrottleOptions {
                arm: Some(ArmLimits::uniform(BucketLimit::new(capacity, rate))),
                graph: Some(BucketLimit::new(1, 1.0)),
            },
            clock: Some(clock.clone()),
            ..SimOptions::default()
        },
    )
    .unwrap();
    (sim, clock)
}

fn rg_url(p: &Probe<'_>, name: &str) -> String {
    p.arm(&format!(
        "/subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourcegroups/{name}?api-version={RG_API}"
    ))
}

#[tokio::test]
async fn an_empty_read_bucket_answers_429_subscription_requests_throttled_with_retry_after() {
    let (sim, _clock) = throttled(2, 0.5);
    let p = Probe::new(&sim);
    let token = p.user_arm(CUSTOMER, CUSTOMER_ADMIN);
    let url = rg_url(&p, CUSTOMER_RESOURCE_GROUP);

    // The well-formed twin: answered, with the reads left on a read.
    let first = p.get(&url, Some(&token)).await;
    first.accepted(200);
    assert_eq!(first.header(READS), Some("1"));
    assert_eq!(
        first.header(WRITES),
        None,
        "a read carries the reads header only"
    );
    p.get(&url, Some(&token)).await.accepted(200);

    let refused = p.get(&url, Some(&token)).await;
    refused.refused(
        429,
        "SubscriptionRequestsThrottled",
        &[
            "Number of 'read' requests for subscription",
            CUSTOMER_SUBSCRIPTION_ID,
            CUSTOMER_ADMIN_ID,
            "exceeded. Please try again after '2' seconds after additional tokens are available.",
        ],
    );
    assert_eq!(refused.header("retry-after"), Some("2"));
    assert!(refused.header("x-ms-request-id").is_some());
    let entry = sim.log().entries().pop().unwrap();
    assert_eq!(entry.status, 429);
    assert!(!entry.is_effective_write());
}

#[tokio::test]
async fn writes_and_deletes_have_their_own_buckets_and_headers() {
    let (sim, _clock) = throttled(2, 0.5);
    let p = Probe::new(&sim);
    let token = p.user_arm(CUSTOMER, CUSTOMER_ADMIN);
    let url = rg_url(&p, "rg-throttle");
    for _ in 0..2 {
        p.get(&rg_url(&p, CUSTOMER_RESOURCE_GROUP), Some(&token))
            .await;
    }

    let put = p
        .put(
            &url,
            Some(&token),
            serde_json::json!({ "location": LOCATION }),
        )
        .await;
    put.accepted(201);
    assert_eq!(put.header(WRITES), Some("1"));
    assert_eq!(put.header(READS), None);

    let vault = p.arm(&format!(
        "/subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourceGroups/{CUSTOMER_RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/kv-none?api-version=2026-02-01"
    ));
    let delete = p.delete(&vault, Some(&token)).await;
    assert!(delete.status < 300, "{}", delete.text);
    assert_eq!(delete.header(DELETES), Some("1"));
    assert_eq!(delete.header(WRITES), None);

    // The second write empties the write bucket; the third is refused as a write.
    let put = p
        .put(
            &url,
            Some(&token),
            serde_json::json!({ "location": LOCATION }),
        )
        .await;
    assert_eq!(put.header(WRITES), Some("0"));
    p.put(
        &url,
        Some(&token),
        serde_json::json!({ "location": LOCATION }),
    )
    .await
    .refused(
        429,
        "SubscriptionRequestsThrottled",
        &["Number of 'write' requests"],
    );
    assert_eq!(
        sim.log().writes().len(),
        3,
        "the refused write never reached the service"
    );
}

#[tokio::test]
async fn the_bucket_refills_at_its_rate() {
    let (sim, clock) = throttled(2, 0.5);
    let p = Probe::new(&sim);
    let token = p.user_arm(CUSTOMER, CUSTOMER_ADMIN);
    let url = rg_url(&p, CUSTOMER_RESOURCE_GROUP);
    for _ in 0..2 {
        p.get(&url, Some(&token)).await.accepted(200);
    }
    assert_eq!(p.get(&url, Some(&token)).await.status, 429);

    // Half of the wait: still empty, and Retry-After says what is left.
    clock.advance(Duration::from_secs(1));
    let early = p.get(&url, Some(&token)).await;
    assert_eq!(
        (early.status, early.header("retry-after")),
        (429, Some("1"))
    );

    clock.advance(Duration::from_secs(1));
    let again = p.get(&url, Some(&token)).await;
    again.accepted(200);
    assert_eq!(again.header(READS), Some("0"));

    // Never more than the bucket holds, however long the pause.
    clock.advance(Duration::from_secs(3600));
    assert_eq!(p.get(&url, Some(&token)).await.header(READS), Some("1"));
}

#[tokio::test]
async fn tenant_level_requests_and_other_subscriptions_are_metered_apart() {
    let (sim, _clock) = throttled(1, 0.5);
    let p = Probe::new(&sim);
    let token = p.user_arm(CUSTOMER, CUSTOMER_ADMIN);
    p.get(&rg_url(&p, CUSTOMER_RESOURCE_GROUP), Some(&token))
        .await
        .accepted(200);
    assert_eq!(
        p.get(&rg_url(&p, CUSTOMER_RESOURCE_GROUP), Some(&token))
            .await
            .status,
        429
    );
    for _ in 0..3 {
        let list = p
            .get(
                &p.arm(&format!("/subscriptions?api-version={SUBS_API}")),
                Some(&token),
            )
            .await;
        list.accepted(200);
        assert_eq!(list.header(READS), None);
    }
    let provider = p.user_arm(PROVIDER, PROVIDER_ADMIN);
    let other = p
        .get(
            &p.arm(&format!(
                "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourcegroups/{PROVIDER_RESOURCE_GROUP}?api-version={RG_API}"
            )),
            Some(&provider),
        )
        .await;
    other.accepted(200);
    assert_eq!(other.header(READS), Some("0"));
}

#[tokio::test]
async fn graph_answers_too_many_requests_with_retry_after() {
    let (sim, clock) = throttled(10, 1.0);
    let p = Probe::new(&sim);
    let token = p.user_graph(CUSTOMER, CUSTOMER_ADMIN);
    let url = p.graph("/v1.0/organization");
    p.get(&url, Some(&token)).await.accepted(200);
    let refused = p.get(&url, Some(&token)).await;
    refused.refused(429, "TooManyRequests", &["Please retry again later."]);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(refused.body["error"]["innerError"]["request-id"].is_string());
    clock.advance(Duration::from_secs(1));
    p.get(&url, Some(&token)).await.accepted(200);
}

#[tokio::test]
async fn off_by_default() {
    let sim = Sim::demo();
    let p = Probe::new(&sim);
    let token = p.user_arm(CUSTOMER, CUSTOMER_ADMIN);
    for _ in 0..300 {
        let answer = p
            .get(&rg_url(&p, CUSTOMER_RESOURCE_GROUP), Some(&token))
            .await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header(READS), None);
    }
    // Switched on while running: Azure's limits, buckets full.
    sim.throttle().set(ThrottleOptions::azure());
    let answer = p
        .get(&rg_url(&p, CUSTOMER_RESOURCE_GROUP), Some(&token))
        .await;
    assert_eq!(answer.header(READS), Some("249"));
}

#[tokio::test]
async fn the_admin_endpoint_sets_the_limits_while_running() {
    let sim = Sim::demo();
    let p = Probe::new(&sim);
    let url = format!("{}/throttle", sim.admin_url());
    let tiny = serde_json::json!({
        "arm": {
            "reads": { "capacity": 1, "refillPerSecond": 1 },
            "writes": { "capacity": 1, "refillPerSecond": 1 },
            "deletes": { "capacity": 1, "refillPerSecond": 1 }
        }
    });
    p.put(&url, None, tiny.clone()).await.accepted(200);
    let shown = p.get(&url, None).await;
    assert_eq!(shown.body["arm"]["writes"]["capacity"], 1);
    assert_eq!(shown.body["graph"], serde_json::Value::Null);
    let token = p.user_arm(CUSTOMER, CUSTOMER_ADMIN);
    let rg = rg_url(&p, CUSTOMER_RESOURCE_GROUP);
    assert_eq!(p.get(&rg, Some(&token)).await.header(READS), Some("0"));
    assert_eq!(p.get(&rg, Some(&token)).await.status, 429);

    let bad = p
        .put(&url, None, serde_json::json!({ "arm": { "reeds": {} } }))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    p.put(&url, None, serde_json::json!({})).await.accepted(200);
    assert_eq!(p.get(&rg, Some(&token)).await.header(READS), None);
}
