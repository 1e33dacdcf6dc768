//! Graph's `addPassword` / `removePassword` on an application, probed raw: the secret's text only
//! in the answer of addPassword, the hint afterwards, the owner's or an administrator's right, and
//! a new secret that has not replicated yet.

mod atlas_common;

use atlas_common::*;
use serde_json::json;
use xtcmk_sim::replication::ReplicationRule;
use xtcmk_sim::scenario::atlas_world::{self, AtlasWorld};
use xtcmk_sim::scenario::demo::*;

fn app_path() -> String {
    format!("applications(appId='{}')", atlas_world::APP_ID)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_password_answers_the_text_once_and_remove_password_takes_the_key_id() {
    let (sim, _world) = AtlasWorld::start();
    let graph = Azure::user(&sim, PROVIDER, PROVIDER_ADMIN);
    let added = graph
        .graph(
            "POST",
            &format!("{}/addPassword", app_path()),
            Some(&json!({ "passwordCredential": { "displayName": "atlas 2026", "endDateTime": "2030-01-01T00:00:00Z" } })),
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    let text = added.body["secretText"].as_str().unwrap().to_string();
    assert!((16..=64).contains(&text.len()), "{text}");
    assert_eq!(added.body["hint"], text[..3]);
    assert_eq!(added.body["endDateTime"], "2030-01-01T00:00:00Z");
    let key_id = added.body["keyId"].as_str().unwrap().to_string();
    let app = graph.graph("GET", &app_path(), None).await;
    let listed = app.body["passwordCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["keyId"] == key_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(listed["secretText"], serde_json::Value::Null);
    assert_eq!(listed["displayName"], "atlas 2026");
    assert!(!app.body.to_string().contains(&text));

    let bad = graph
        .graph(
            "POST",
            &format!("{}/removePassword", app_path()),
            Some(&json!({ "keyId": uuid::Uuid::new_v4() })),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let a = graph
        .graph(
            "POST",
            &format!("{}/addPassword", app_path()),
            Some(&json!({ "passwordCredential": { "secretText": "mine" } })),
        )
        .await;
    assert_eq!(
        a.status, 400,
        "secretText is generated, not given: {}",
        a.body
    );
    let a = graph
        .graph(
            "POST",
            &format!("{}/addPassword", app_path()),
            Some(&json!({ "passwordCredential": { "endDateTime": "2020-01-01T00:00:00Z" } })),
        )
        .await;
    assert_eq!(a.status, 400, "ends before it starts: {}", a.body);
    let removed = graph
        .graph(
            "POST",
            &format!("{}/removePassword", app_path()),
            Some(&json!({ "keyId": key_id })),
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    let app = graph.graph("GET", &app_path(), None).await;
    assert!(!app.body.to_string().contains(&key_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_owners_and_administrators_add_secrets() {
    let (sim, _world) = AtlasWorld::start();
    sim.state().tenants[0].users.push(xtcmk_sim::state::User {
        id: "10000000-0000-4000-8000-0000000000b9".parse().unwrap(),
        user_principal_name: "dev@contoso-saas.example".into(),
        display_name: "Dev".into(),
        directory_roles: vec![xtcmk_sim::roles::APPLICATION_DEVELOPER.into()],
    });
    let dev = Azure::user(&sim, PROVIDER, "dev@contoso-saas.example");
    let a = dev
        .graph(
            "POST",
            &format!("{}/addPassword", app_path()),
            Some(&json!({})),
        )
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "Authorization_RequestDenied");
    let admin = Azure::user(&sim, PROVIDER, PROVIDER_ADMIN);
    let a = admin
        .graph(
            "POST",
            &format!("{}/addPassword", app_path()),
            Some(&json!({})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_secret_is_refused_until_it_has_replicated() {
    let (sim, world) = AtlasWorld::start();
    sim.replication().add(ReplicationRule::reads(
        xtcmk_sim::graph::passwords::PASSWORD_CREDENTIAL,
        1,
    ));
    let graph = Azure::user(&sim, PROVIDER, PROVIDER_ADMIN);
    let added = graph
        .graph(
            "POST",
            &format!("{}/addPassword", app_path()),
            Some(&json!({})),
        )
        .await;
    let text = added.body["secretText"].as_str().unwrap().to_string();
    let atlas = Atlas::owner(&sim);
    let mut body = world.secret_body();
    body["azureKeyVault"]["secret"] = json!(text);
    atlas
        .patch_ear(&body)
        .await
        .assert_atlas_error(400, "INVALID_AZURE_CREDENTIALS");
    let a = atlas.patch_ear(&body).await;
    assert_eq!(a.status, 200, "replicated now: {}", a.body);
}
