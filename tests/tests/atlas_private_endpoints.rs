//! Atlas's encryption-at-rest private endpoints and the connections they request on the
//! customer's vault (ARM `privateEndpointConnections`), probed raw: each refusal with its code and
//! its well-formed twin, and every state of an endpoint's life.

mod atlas_common;

use atlas_common::*;
use serde_json::{Value, json};
use xtcmk_sim::scenario::atlas_world::{AtlasWorld, Break};
use xtcmk_sim::scenario::demo::*;

fn endpoints() -> String {
    format!("groups/{GROUP}/encryptionAtRest/AZURE/privateEndpoints")
}

async fn enable(atlas: &Atlas, world: &AtlasWorld, private: bool) {
    let mut body = world.secret_body();
    body["azureKeyVault"]["requirePrivateNetworking"] = json!(private);
    let a = atlas.patch_ear(&body).await;
    assert_eq!(a.status, 200, "{}", a.body);
}

async fn status_of(atlas: &Atlas, id: &str) -> Answer {
    atlas.get(&format!("{}/{id}", endpoints())).await
}

fn connections_path(world: &AtlasWorld) -> String {
    format!("{}/privateEndpointConnections", world.vault_id)
}

async fn answer(azure: &Azure<'_>, world: &AtlasWorld, name: &str, status: &str) -> Answer {
    azure
        .arm(
            "PUT",
            &format!("{}/{name}", connections_path(world)),
            Some(&json!({ "properties": { "privateLinkServiceConnectionState": { "status": status, "description": "by the customer" } } })),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_need_encryption_at_rest_with_private_networking_and_an_azure_region() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    let body = json!({ "regionName": "EUROPE_WEST" });
    atlas
        .send("POST", &endpoints(), Some(&body))
        .await
        .assert_atlas_error(400, "ENCRYPTION_AT_REST_NOT_ENABLED");
    enable(&atlas, &world, false).await;
    atlas
        .send("POST", &endpoints(), Some(&body))
        .await
        .assert_atlas_error(400, "VALIDATION_ERROR");
    enable(&atlas, &world, true).await;
    let a = atlas
        .send(
            "POST",
            &endpoints(),
            Some(&json!({ "regionName": "westeurope" })),
        )
        .await;
    a.assert_atlas_error(400, "INVALID_REGION");
    let a = atlas
        .send(
            "POST",
            &format!("groups/{GROUP}/encryptionAtRest/GCP/privateEndpoints"),
            Some(&body),
        )
        .await;
    a.assert_atlas_error(400, "INVALID_ENUM_VALUE");
    let a = atlas.send("POST", &endpoints(), Some(&body)).await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body["status"], "INITIATING");
    assert_eq!(a.body["cloudProvider"], "AZURE");
    assert_eq!(a.body["regionName"], "EUROPE_WEST");
    atlas
        .send("POST", &endpoints(), Some(&body))
        .await
        .assert_atlas_error(400, "VALIDATION_ERROR");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_waits_for_the_vault_owner_then_is_active() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    enable(&atlas, &world, true).await;
    let created = atlas
        .send(
            "POST",
            &endpoints(),
            Some(&json!({ "regionName": "EUROPE_WEST" })),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let pending = status_of(&atlas, &id).await;
    assert_eq!(
        pending.body["status"], "PENDING_ACCEPTANCE",
        "{}",
        pending.body
    );
    let name = pending.body["privateEndpointConnectionName"]
        .as_str()
        .unwrap()
        .to_string();
    // The customer sees the request on the vault: Pending, from Atlas's private endpoint.
    let azure = Azure::customer_admin(&sim);
    let list = azure.arm("GET", &connections_path(&world), None).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let item = &list.body["value"][0];
    assert_eq!(item["name"], name);
    assert_eq!(
        item["properties"]["privateLinkServiceConnectionState"]["status"],
        "Pending"
    );
    assert!(
        item["properties"]["privateLinkServiceConnectionState"]["description"]
            .as_str()
            .unwrap()
            .contains(GROUP)
    );
    assert!(
        item["properties"]["privateEndpoint"]["id"]
            .as_str()
            .unwrap()
            .contains("/providers/Microsoft.Network/privateEndpoints/")
    );
    assert_eq!(
        status_of(&atlas, &id).await.body["status"],
        "PENDING_ACCEPTANCE"
    );
    let approved = answer(&azure, &world, &name, "Approved").await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(status_of(&atlas, &id).await.body["status"], "ACTIVE");
    // The vault lists it too.
    let vault = azure.arm("GET", &world.vault_id, None).await;
    assert_eq!(
        vault.body["properties"]["privateEndpointConnections"][0]["properties"]["privateLinkServiceConnectionState"]
            ["status"],
        "Approved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_private_link_gets_through_a_closed_firewall() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    enable(&atlas, &world, true).await;
    let created = atlas
        .send(
            "POST",
            &endpoints(),
            Some(&json!({ "regionName": "EUROPE_WEST" })),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let name = status_of(&atlas, &id).await.body["privateEndpointConnectionName"]
        .as_str()
        .unwrap()
        .to_string();
    world.break_link(&sim, Break::FirewallClosed);
    assert_eq!(
        atlas.ear().await["valid"],
        false,
        "pending: not private yet"
    );
    let azure = Azure::customer_admin(&sim);
    assert_eq!(answer(&azure, &world, &name, "Approved").await.status, 200);
    assert_eq!(status_of(&atlas, &id).await.body["status"], "ACTIVE");
    assert_eq!(atlas.ear().await["valid"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_connection_is_recreated() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    enable(&atlas, &world, true).await;
    let created = atlas
        .send(
            "POST",
            &endpoints(),
            Some(&json!({ "regionName": "EUROPE_WEST" })),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let first = status_of(&atlas, &id).await.body["privateEndpointConnectionName"]
        .as_str()
        .unwrap()
        .to_string();
    let azure = Azure::customer_admin(&sim);
    assert_eq!(answer(&azure, &world, &first, "Rejected").await.status, 200);
    // A rejected connection cannot be approved: the requester must ask again.
    let a = answer(&azure, &world, &first, "Approved").await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "BadRequest");
    assert_eq!(
        status_of(&atlas, &id).await.body["status"],
        "PENDING_RECREATION"
    );
    assert_eq!(status_of(&atlas, &id).await.body["status"], "INITIATING");
    let again = status_of(&atlas, &id).await;
    assert_eq!(again.body["status"], "PENDING_ACCEPTANCE");
    let second = again.body["privateEndpointConnectionName"]
        .as_str()
        .unwrap();
    assert_ne!(second, first);
    let list = azure.arm("GET", &connections_path(&world), None).await;
    let names: Vec<&str> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![second],
        "the rejected one is gone with its endpoint"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_only_requests_the_deletion_and_pins_the_vault_until_gone() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    enable(&atlas, &world, true).await;
    let created = atlas
        .send(
            "POST",
            &endpoints(),
            Some(&json!({ "regionName": "EUROPE_WEST" })),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        status_of(&atlas, &id).await.body["status"],
        "PENDING_ACCEPTANCE"
    );
    // While an endpoint exists the vault is pinned, and encryption at rest cannot be turned off.
    let mut moved = world.secret_body();
    moved["azureKeyVault"]["resourceGroupName"] = json!("rg-other");
    moved["azureKeyVault"]["requirePrivateNetworking"] = json!(true);
    let a = atlas.patch_ear(&moved).await;
    a.assert_atlas_error(400, "ATTRIBUTE_READ_ONLY");
    assert!(a.detail().contains("resourceGroupName"));
    let a = atlas
        .patch_ear(&json!({ "azureKeyVault": { "enabled": false } }))
        .await;
    a.assert_atlas_error(400, "VALIDATION_ERROR");
    let a = atlas
        .patch_ear(&json!({ "azureKeyVault": { "requirePrivateNetworking": false } }))
        .await;
    a.assert_atlas_error(400, "VALIDATION_ERROR");

    let deleted = atlas
        .send("DELETE", &format!("{}/{id}", endpoints()), None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let list = atlas.get(&endpoints()).await;
    assert_eq!(
        list.body["results"],
        Value::Array(vec![]),
        "gone on the next read"
    );
    let gone = status_of(&atlas, &id).await;
    gone.assert_atlas_error(404, "RESOURCE_NOT_FOUND");
    let azure = Azure::customer_admin(&sim);
    let conns = azure.arm("GET", &connections_path(&world), None).await;
    assert_eq!(conns.body["value"], json!([]));
    let a = atlas
        .patch_ear(&json!({ "azureKeyVault": { "enabled": false } }))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_that_is_not_there_fails_the_endpoint_with_a_message() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    enable(&atlas, &world, true).await;
    let created = atlas
        .send(
            "POST",
            &endpoints(),
            Some(&json!({ "regionName": "US_EAST_2" })),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    // The vault disappears between the request and Atlas's work on it.
    let removed = sim
        .state()
        .resources
        .remove(&world.vault_id.to_ascii_lowercase());
    assert!(removed.is_some());
    let failed = status_of(&atlas, &id).await;
    assert_eq!(failed.body["status"], "FAILED");
    assert!(
        failed.body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("kv-fabrikam-atlas")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vault_owners_answer_connections_with_the_right_to_and_cannot_create_them() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    enable(&atlas, &world, true).await;
    let created = atlas
        .send(
            "POST",
            &endpoints(),
            Some(&json!({ "regionName": "EUROPE_WEST" })),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let name = status_of(&atlas, &id).await.body["privateEndpointConnectionName"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = Azure::customer_admin(&sim);
    let a = answer(&admin, &world, "made-up-connection", "Approved").await;
    assert_eq!(a.status, 404, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "PrivateEndpointConnectionNotFound");
    let a = answer(&admin, &world, &name, "Pending").await;
    assert_eq!(a.status, 400, "{}", a.body);
    let a = admin
        .arm(
            "PUT",
            &format!("{}/{name}", connections_path(&world)),
            Some(&json!({ "properties": { "privateLinkServiceConnectionState": { "status": "Approved", "bogus": 1 } } })),
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["error"]["code"], "InvalidRequestContent");
    let user = Azure::user(&sim, CUSTOMER, CUSTOMER_USER);
    let a = answer(&user, &world, &name, "Approved").await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "AuthorizationFailed");
    let a = user.arm("GET", &connections_path(&world), None).await;
    assert_eq!(a.status, 403, "reading needs a right too: {}", a.body);
    assert_eq!(answer(&admin, &world, &name, "Approved").await.status, 200);
}
