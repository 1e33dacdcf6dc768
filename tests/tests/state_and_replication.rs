//! `--state FILE` keeps the clouds across restarts; replication-delay rules hide new objects from
//! reads for a while, as Entra and ARM replicas lag.

use serde_json::{Value, json};
use std::collections::HashMap;
use xtcmk::http::{AuthMethod, HttpStack, RetrySettings};
use xtcmk_sim::replication::ReplicationRule;
use xtcmk_sim::scenario::demo;
use xtcmk_sim::state::kinds;
use xtcmk_sim::{Scenario, Sim, SimOptions};

fn ci_stack(sim: &Sim) -> HttpStack {
    let vars: HashMap<String, String> = sim
        .env_as_app(demo::PROVIDER, demo::CI_APP_ID, demo::CI_SECRET)
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

fn group_path(name: &str) -> String {
    format!(
        "/subscriptions/{}/resourcegroups/{name}",
        demo::PROVIDER_SUBSCRIPTION_ID
    )
}

#[tokio::test]
async fn the_state_file_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let options = SimOptions {
        state_file: Some(dir.path().join("state.json")),
        ..SimOptions::default()
    };
    let sim = Sim::start_with(Some(Scenario::demo()), options.clone()).unwrap();
    let _: Value = ci_stack(&sim)
        .arm(None)
        .unwrap()
        .put(
            &group_path("rg-kept"),
            "2022-09-01",
            &json!({ "location": "westeurope" }),
        )
        .await
        .unwrap();
    sim.stop();

    // Restarted without a scenario: everything comes from the file.
    let sim = Sim::start_with(None, options).unwrap();
    let kept: Option<Value> = ci_stack(&sim)
        .arm(None)
        .unwrap()
        .get(&group_path("rg-kept"), "2022-09-01")
        .await
        .unwrap();
    assert_eq!(kept.unwrap()["location"], "westeurope");
}

#[tokio::test]
async fn a_new_object_stays_invisible_for_the_reads_a_rule_says() {
    let sim = Sim::demo();
    sim.replication()
        .add(ReplicationRule::reads(kinds::RESOURCE_GROUP, 2));
    let arm = ci_stack(&sim).arm(None).unwrap();
    let _: Value = arm
        .put(
            &group_path("rg-new"),
            "2022-09-01",
            &json!({ "location": "westeurope" }),
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        // A missing group answers 404 ResourceGroupNotFound, which the client reports as an error.
        let found = match arm.get::<Value>(&group_path("rg-new"), "2022-09-01").await {
            Ok(found) => found.is_some(),
            Err(e) if e.status() == Some(404) => false,
            Err(e) => panic!("{e:#}"),
        };
        seen.push(found);
    }
    assert_eq!(seen, vec![false, false, true]);
}
