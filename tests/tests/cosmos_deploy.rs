//! The repository's template `templates/cosmos-cross-tenant-cmk.json`, deployed through the
//! simulated deployments route, gives the same account as a direct PUT; its parameters are checked
//! as ARM checks them; a broken chain fails the deployment with Cosmos DB's error as its detail.

mod cosmos_common;

use cosmos_common::*;
use serde_json::{Value, json};
use xtcmk_sim::scenario::cross_tenant::{APP_ID, Break, CmkWorld};
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::state::cosmos::{Check, Link};

fn template() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../templates/cosmos-cross-tenant-cmk.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn parameters(world: &CmkWorld, name: &str) -> Value {
    json!({
        "accountName": { "value": name },
        "identityResourceId": { "value": world.uami_id },
        "federatedClientId": { "value": APP_ID },
        "keyVaultKeyUri": { "value": world.key_uri },
    })
}

fn deployment_path(name: &str) -> String {
    format!(
        "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.Resources/deployments/{name}"
    )
}

fn deployment(parameters: Value) -> Value {
    json!({ "properties": { "mode": "Incremental", "template": template(), "parameters": parameters } })
}

/// The account as compared across names: its name-bound and generated members normalised.
fn comparable(account: &Value, name: &str) -> String {
    let mut a = account.clone();
    a["properties"]
        .as_object_mut()
        .unwrap()
        .remove("instanceId");
    a.to_string().replace(name, "NAME")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_template_deploys_the_same_account_as_a_direct_put() {
    let (sim, world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    let put = arm
        .send(
            "PUT",
            &deployment_path("cmk-1"),
            "2026-09-01",
            Some(&deployment(parameters(&world, "orders-tpl"))),
        )
        .await;
    assert_eq!(put.status, 201, "{}", put.body);
    assert_eq!(
        arm.wait(put.header("azure-asyncoperation").unwrap()).await["status"],
        "Succeeded"
    );
    let deployed = arm.get(&deployment_path("cmk-1"), "2026-09-01").await;
    let outputs = &deployed.body["properties"]["outputs"];
    assert_eq!(
        outputs["accountId"]["value"],
        world.account_path("orders-tpl")
    );
    assert_eq!(
        outputs["defaultIdentity"]["value"],
        world.default_identity()
    );
    assert_eq!(outputs["keyVaultKeyUri"]["value"], world.key_uri);
    assert_eq!(
        outputs["documentEndpoint"]["value"],
        "https://orders-tpl.documents.localhost:443/"
    );
    assert_eq!(
        deployed.body["properties"]["outputResources"][0]["id"],
        world.account_path("orders-tpl")
    );
    create_cmk_account(&arm, &world, "orders-put").await;
    let from_template = arm.get(&world.account_path("orders-tpl"), API).await.body;
    let direct = arm.get(&world.account_path("orders-put"), API).await.body;
    assert_eq!(
        comparable(&from_template, "orders-tpl"),
        comparable(&direct, "orders-put")
    );
    assert_eq!(
        from_template["properties"]["customerManagedKeyStatus"],
        "Access to the configured customer managed key confirmed."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_parameters_are_checked_as_arm_checks_them() {
    let (sim, world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    let mut missing = parameters(&world, "orders");
    missing.as_object_mut().unwrap().remove("keyVaultKeyUri");
    let answer = arm
        .send(
            "PUT",
            &deployment_path("d1"),
            "2026-09-01",
            Some(&deployment(missing)),
        )
        .await;
    answer.assert_arm_error(400, "InvalidTemplate");
    assert!(
        answer
            .message()
            .contains("The value for the template parameter 'keyVaultKeyUri' is not provided."),
        "{}",
        answer.message()
    );
    let mut short = parameters(&world, "orders");
    short["federatedClientId"]["value"] = json!("1234");
    let answer = arm
        .send(
            "PUT",
            &deployment_path("d2"),
            "2026-09-01",
            Some(&deployment(short)),
        )
        .await;
    answer.assert_arm_error(400, "InvalidTemplate");
    assert!(
        answer
            .message()
            .contains("Length of the value should be greater than or equal to '36'"),
        "{}",
        answer.message()
    );
    let mut extra = parameters(&world, "orders");
    extra["bogus"] = json!({ "value": 1 });
    arm.send(
        "PUT",
        &deployment_path("d3"),
        "2026-09-01",
        Some(&deployment(extra)),
    )
    .await
    .assert_arm_error(400, "InvalidTemplate");
    // The location parameter defaults to the resource group's.
    let put = arm
        .send(
            "PUT",
            &deployment_path("d4"),
            "2026-09-01",
            Some(&deployment(parameters(&world, "orders"))),
        )
        .await;
    assert_eq!(put.status, 201, "{}", put.body);
    assert_eq!(
        arm.get(&world.account_path("orders"), API).await.body["location"],
        LOCATION
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_chain_fails_the_deployment_with_cosmos_db_s_error() {
    let (sim, world) = CmkWorld::start();
    world.break_link(&sim, Break::GrantMissing);
    let arm = Arm::provider(&sim);
    let put = arm
        .send(
            "PUT",
            &deployment_path("cmk-1"),
            "2026-09-01",
            Some(&deployment(parameters(&world, "orders"))),
        )
        .await;
    assert_eq!(put.status, 201, "{}", put.body);
    let ended = arm.wait(put.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(ended["status"], "Failed", "{ended}");
    assert_eq!(ended["error"]["code"], "DeploymentFailed");
    let detail = &ended["error"]["details"][0];
    assert_eq!(detail["code"], "ServiceUnavailable");
    assert!(
        detail["message"]
            .as_str()
            .unwrap()
            .contains("Error contacting the Azure Key Vault resource.")
    );
    let state = sim.state();
    let failure = state.cosmos.last_failure("orders").unwrap();
    assert_eq!(failure.check, Check::Create);
    assert_eq!(
        failure.link,
        Link::NotAuthorized {
            permission: "get".into()
        }
    );
    assert!(state.resource(&world.account_path("orders")).is_none());
}
