//! Pacing through the real HTTP stack against a throttling simulator, in virtual time (the
//! simulator's buckets refill by the same clock the stack's waits pass in; nothing sleeps):
//! many concurrent operations on one subscription follow the refill rate with no 429, and when
//! the client's idea of the rate is wrong, a 429 holds the whole subscription instead of
//! starting a retry storm.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use xtcmk::http::{HttpStack, PacingSettings};
use xtcmk_sim::log::LoggedRequest;
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::service::Service;
use xtcmk_sim::throttle::{ArmLimits, BucketLimit, ThrottleOptions};
use xtcmk_sim::virtual_time::VirtualTime;
use xtcmk_sim::{Scenario, Sim, SimOptions};

const RG_API: &str = "2021-04-01";
/// Every ARM bucket: 4 tokens, 2 back per second.
const BUCKET: BucketLimit = BucketLimit::new(4, 2.0);
const OPERATIONS: usize = 24;

fn sim(time: &Arc<VirtualTime>, graph: Option<BucketLimit>) -> Sim {
    Sim::start_with(
        Some(Scenario::demo()),
        SimOptions {
            throttle: ThrottleOptions {
                arm: Some(ArmLimits::uniform(BUCKET)),
                graph,
            },
            clock: Some(time.clone()),
            ..SimOptions::default()
        },
    )
    .unwrap()
}

fn stack(sim: &Sim, time: &Arc<VirtualTime>, rate: f64) -> HttpStack {
    sim.stack_builder_as_user(CUSTOMER, CUSTOMER_ADMIN)
        .sleeper(time.clone())
        .pacing(PacingSettings {
            reads_per_second: rate,
            writes_per_second: rate,
            deletes_per_second: rate,
            graph_per_second: rate,
            ..PacingSettings::default()
        })
        .build()
        .unwrap()
}

/// One customer's operation: read the shared resource group, create its own, read it back.
async fn operation(stack: HttpStack, i: usize) -> Result<(), xtcmk::http::HttpError> {
    let arm = stack.arm(Some(&CUSTOMER_TENANT_ID.parse().unwrap()))?;
    let sub = format!("/subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourceGroups");
    arm.get::<Value>(&format!("{sub}/{CUSTOMER_RESOURCE_GROUP}"), RG_API)
        .await?;
    let own = format!("{sub}/rg-op-{i}");
    arm.put::<_, Value>(&own, RG_API, &json!({ "location": LOCATION }))
        .await?;
    arm.get::<Value>(&own, RG_API).await?;
    Ok(())
}

async fn run_all(stack: &HttpStack, time: &Arc<VirtualTime>) {
    let runs = (0..OPERATIONS).map(|i| time.run(operation(stack.clone(), i)));
    for result in futures::future::join_all(runs).await {
        result.expect("every operation completes");
    }
}

fn arm_requests(sim: &Sim) -> Vec<LoggedRequest> {
    sim.log()
        .entries()
        .into_iter()
        .filter(|e| e.service == Service::Arm && e.path.starts_with("/subscriptions/"))
        .collect()
}

/// Requests answered in each virtual second.
fn per_second(entries: &[LoggedRequest]) -> BTreeMap<u64, usize> {
    let mut counts = BTreeMap::new();
    for e in entries {
        *counts.entry(e.at_ms / 1000).or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn concurrent_operations_follow_the_refill_rate_without_a_429() {
    let time = VirtualTime::new();
    let sim = sim(&time, None);
    let stack = stack(&sim, &time, BUCKET.refill_per_second);
    run_all(&stack, &time).await;

    let requests = arm_requests(&sim);
    assert_eq!(requests.len(), OPERATIONS * 3);
    let throttled = requests.iter().filter(|e| e.status == 429).count();
    assert_eq!(throttled, 0, "pacing kept every request within the buckets");
    // The run took about what the buckets allow: the reads (2 per operation) are the bound.
    let reads = 2.0 * OPERATIONS as f64;
    let bound = (reads - BUCKET.capacity as f64) / BUCKET.refill_per_second;
    let took = xtcmk::http::Sleeper::now(&*time).as_secs_f64();
    assert!(
        took >= bound - 1.0 && took <= bound * 1.25 + 2.0,
        "took {took:.1}s of virtual time, the buckets allow {bound:.1}s"
    );
    for (second, count) in per_second(&requests) {
        // Reads and writes: each bucket's burst in the first second, its rate after.
        let allowed = if second == 0 { 2 * (4 + 2) } else { 2 * 2 + 1 };
        assert!(count <= allowed, "{count} requests in second {second}");
    }
}

#[tokio::test]
async fn a_429_holds_the_subscription_instead_of_a_retry_storm() {
    let time = VirtualTime::new();
    let sim = sim(&time, None);
    // The client believes in ten times the real refill: it will run into 429s.
    let stack = stack(&sim, &time, 10.0 * BUCKET.refill_per_second);
    run_all(&stack, &time).await;

    let requests = arm_requests(&sim);
    let throttled: Vec<&LoggedRequest> = requests.iter().filter(|e| e.status == 429).collect();
    assert!(!throttled.is_empty(), "the wrong rate does meet 429s");
    // Every operation succeeded, and 429s stayed a fraction of the traffic: after each one, the
    // waiting callers leave one by one, not all at the end of Retry-After.
    assert!(
        throttled.len() * 8 < requests.len(),
        "{} of {} requests were 429s",
        throttled.len(),
        requests.len()
    );
    // Never more in one second than both buckets' bursts, 429s included: 24 callers retrying
    // together would be twice that.
    for (second, count) in per_second(&requests) {
        assert!(
            count <= 2 * (4 + 2),
            "{count} requests in second {second}: a storm"
        );
    }
}

#[tokio::test]
async fn graph_429s_hold_the_tenant() {
    let time = VirtualTime::new();
    let sim = sim(&time, Some(BucketLimit::new(2, 1.0)));
    let stack = stack(&sim, &time, 1.0);
    let tenant = CUSTOMER_TENANT_ID.parse().unwrap();
    let runs = (0..10).map(|_| {
        let stack = stack.clone();
        time.run(async move {
            let graph = stack.graph(Some(&tenant))?;
            graph.get::<Value>("organization").await
        })
    });
    for result in futures::future::join_all(runs).await {
        result.expect("every read completes");
    }
    let graph: Vec<LoggedRequest> = sim
        .log()
        .entries()
        .into_iter()
        .filter(|e| e.service == Service::Graph)
        .collect();
    let throttled = graph.iter().filter(|e| e.status == 429).count();
    // The first wave meets the empty bucket (Graph sends no count to pace by); after it, the
    // hold and the rate let one through at a time.
    assert!(throttled <= 8, "{throttled} 429s from Graph");
    for (second, count) in per_second(&graph).into_iter().skip(1) {
        assert!(count <= 2, "{count} Graph requests in second {second}");
    }
}

/// Zero-delay mode, as the tools' tests run (waits recorded, not slept): every 429 moves the
/// simulator's clock on until its bucket is full again, so a throttled run still completes. The
/// callers retry at once and in no order; here the bucket holds half the reads, so one refill
/// serves every read left and no caller can lose all its attempts (with a bucket much smaller
/// than the demand, one unlucky caller could).
#[tokio::test]
async fn zero_delay_runs_complete_with_throttling_on() {
    let sim = Sim::start_with(
        Some(Scenario::demo()),
        SimOptions {
            throttle: ThrottleOptions {
                arm: Some(ArmLimits::uniform(BucketLimit::new(OPERATIONS as u32, 2.0))),
                graph: None,
            },
            ..SimOptions::default()
        },
    )
    .unwrap();
    let stack = sim.stack_as_user(CUSTOMER, CUSTOMER_ADMIN);
    let runs = (0..OPERATIONS).map(|i| operation(stack.clone(), i));
    for result in futures::future::join_all(runs).await {
        result.expect("every operation completes");
    }
    let requests = arm_requests(&sim);
    let throttled = requests.iter().filter(|e| e.status == 429).count();
    // Reads after the 24th meet the empty bucket; a 429 fills it again.
    assert!(throttled > 0, "the bucket ran dry");
    assert!(
        throttled * 4 < requests.len(),
        "{throttled} 429s of {} requests",
        requests.len()
    );
    assert!(
        !stack.requested_waits().is_empty(),
        "the waits were recorded"
    );
}
