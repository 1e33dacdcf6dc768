//! Raw probes of the fault steps that act after the service handled a request: a committed write
//! whose answer is lost (the resource exists though the client saw the connection close), an
//! answer held until the test releases it (a test control), and a slowed long-running operation;
//! each beside its twin without the step. Also: a rule on a route pattern, and one on every write.

use serde_json::{Value, json};
use xtcmk_sim::Sim;
use xtcmk_sim::faults::{FaultRule, Step};
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::service::Service;

const RG_API: &str = "2022-09-01";
const VAULT_API: &str = "2026-02-01";

struct Raw {
    client: reqwest::Client,
    token: String,
    base: String,
}

impl Raw {
    fn new(sim: &Sim) -> Raw {
        Raw {
            client: xtcmk::http::transport::build_client(sim.cloud()).unwrap(),
            token: sim.user_token(
                PROVIDER,
                PROVIDER_ADMIN,
                &sim.cloud().resource_manager_audience,
            ),
            base: sim.cloud().resource_manager_endpoint.to_string(),
        }
    }

    /// `(status, headers, body)`, or the transport error's text.
    async fn send(
        &self,
        method: &str,
        path_or_url: &str,
        api: &str,
        body: Option<&Value>,
    ) -> Result<(u16, reqwest::header::HeaderMap, Value), String> {
        let url = if path_or_url.starts_with("https://") {
            path_or_url.to_string()
        } else {
            format!(
                "{}{}?api-version={api}",
                self.base,
                path_or_url.trim_start_matches('/')
            )
        };
        let mut request = self
            .client
            .request(method.parse().unwrap(), url)
            .bearer_auth(&self.token);
        if let Some(b) = body {
            request = request.json(b);
        }
        let response = request.send().await.map_err(|e| format!("{e:?}"))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        Ok((
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        ))
    }
}

fn group(name: &str) -> String {
    format!("/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourcegroups/{name}")
}

fn vault(name: &str) -> String {
    format!(
        "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/{name}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committed_write_whose_answer_is_lost_and_its_twin() {
    let sim = Sim::demo();
    let raw = Raw::new(&sim);
    let body = json!({ "location": LOCATION });
    sim.faults().add(
        FaultRule::on("PUT", "/subscriptions/*/resourcegroups/rg-lost")
            .sequence([Step::commit_then_drop()]),
    );

    let lost = raw
        .send("PUT", &group("rg-lost"), RG_API, Some(&body))
        .await;
    assert!(lost.is_err(), "the client saw no answer: {lost:?}");
    let (status, _, shown) = raw
        .send("GET", &group("rg-lost"), RG_API, None)
        .await
        .unwrap();
    assert_eq!(status, 200, "the write was committed all the same: {shown}");
    let entry = sim
        .log()
        .matching("PUT", "/subscriptions/*/resourcegroups/rg-lost");
    assert_eq!(entry.len(), 1);
    assert!(entry[0].is_effective_write(), "{entry:?}");
    assert_eq!(entry[0].after_commit.as_deref(), Some("commit then drop"));
    assert_eq!(entry[0].status, 201, "the service's own answer is logged");

    // The twin: the same write without the step is answered.
    let (status, _, _) = raw
        .send("PUT", &group("rg-kept"), RG_API, Some(&body))
        .await
        .unwrap();
    assert_eq!(status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_answer_comes_after_its_release_and_the_write_is_there_before() {
    let sim = Sim::demo();
    let raw = std::sync::Arc::new(Raw::new(&sim));
    sim.faults()
        .add(FaultRule::writes().sequence([Step::pass(), Step::commit_then_hold()]));
    let body = json!({ "location": LOCATION });
    // The first write passes; the second is committed and held.
    let (status, _, _) = raw
        .send("PUT", &group("rg-first"), RG_API, Some(&body))
        .await
        .unwrap();
    assert_eq!(status, 201);
    let held = tokio::spawn({
        let raw = raw.clone();
        let body = body.clone();
        async move {
            raw.send("PUT", &group("rg-held"), RG_API, Some(&body))
                .await
        }
    });
    sim.faults().holds().wait_reached(1).await;
    assert!(!held.is_finished(), "the answer is held");
    let (status, _, _) = raw
        .send("GET", &group("rg-held"), RG_API, None)
        .await
        .unwrap();
    assert_eq!(status, 200, "committed before its answer");
    sim.faults().release_held();
    let (status, _, _) = held.await.unwrap().unwrap();
    assert_eq!(status, 201);
    // Used up: the next write is answered at once.
    let (status, _, _) = raw
        .send("PUT", &group("rg-third"), RG_API, Some(&body))
        .await
        .unwrap();
    assert_eq!(status, 201);
    assert_eq!(sim.faults().holds().reached(), 1);
}

/// Polls the creation of `name` (its `Azure-AsyncOperation`, else `Location`) to its end;
/// returns how many polls it took.
async fn create_vault_and_count_polls(raw: &Raw, name: &str) -> usize {
    let body = json!({
        "location": LOCATION,
        "properties": {
            "tenantId": PROVIDER_TENANT_ID,
            "sku": { "family": "A", "name": "standard" },
            "enableRbacAuthorization": true,
            "enablePurgeProtection": true,
        }
    });
    let (status, headers, answer) = raw
        .send("PUT", &vault(name), VAULT_API, Some(&body))
        .await
        .unwrap();
    assert!((200..=202).contains(&status), "{status} {answer}");
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (url, by_status) = match header("azure-asyncoperation") {
        Some(u) => (u, true),
        None => (header("location").expect("a long-running creation"), false),
    };
    for polls in 1..50 {
        let (status, _, shown) = raw.send("GET", &url, "", None).await.unwrap();
        let done = if by_status {
            shown["status"] == "Succeeded"
        } else {
            status == 200
        };
        if done {
            return polls;
        }
    }
    panic!("the creation of {name} did not end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowed_operation_takes_more_polls_than_its_twin() {
    let sim = Sim::demo();
    let raw = Raw::new(&sim);
    let twin = create_vault_and_count_polls(&raw, "kv-probe-twin").await;
    sim.faults().add(
        FaultRule::on(
            "PUT",
            "/subscriptions/*/resourceGroups/*/providers/Microsoft.KeyVault/vaults/*",
        )
        .sequence([Step::slow_operation(3)]),
    );
    let slowed = create_vault_and_count_polls(&raw, "kv-probe-slow").await;
    assert_eq!(slowed, twin + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_on_a_route_pattern_meets_only_that_route() {
    let sim = Sim::demo();
    let raw = Raw::new(&sim);
    let body = json!({ "location": LOCATION });
    let (_, _, _) = raw
        .send("PUT", &group("rg-a"), RG_API, Some(&body))
        .await
        .unwrap();
    let route = sim.log().entries()[0].route.clone().expect("a route");
    let rule = sim
        .faults()
        .add(FaultRule::on_route(Service::Arm, "GET", &route).forever(Step::status(503)));
    let (status, _, _) = raw.send("GET", &group("rg-a"), RG_API, None).await.unwrap();
    assert_eq!(status, 503);
    let (status, _, _) = raw
        .send("PUT", &group("rg-b"), RG_API, Some(&body))
        .await
        .unwrap();
    assert_eq!(status, 201, "another method of the route");
    let (status, _, _) = raw
        .send("GET", &vault("kv-none"), VAULT_API, None)
        .await
        .unwrap();
    assert_eq!(status, 404, "another route");
    assert_eq!(sim.faults().hits(rule), 1);
}
