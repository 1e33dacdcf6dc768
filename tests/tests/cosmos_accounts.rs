//! The databaseAccounts routes as Azure has them: long-running PUT/PATCH (`Azure-AsyncOperation`,
//! `provisioningState` Creating → Succeeded), DELETE with 202 + Location, lists, the global name
//! check, strict bodies per api-version (2022-05-15 / 2026-07-15 shapes), the name rule, ARM's
//! identity and authorization checks, and reads that write nothing.

mod cosmos_common;

use cosmos_common::*;
use serde_json::{Value, json};
use xtcmk_sim::routes::Kind;
use xtcmk_sim::scenario::cross_tenant::CmkWorld;
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::state::User;

/// An account without a customer-managed key.
fn plain() -> Value {
    json!({
        "location": LOCATION,
        "properties": {
            "databaseAccountOfferType": "Standard",
            "locations": [{ "locationName": LOCATION, "failoverPriority": 0 }],
        },
    })
}

fn path(name: &str) -> String {
    format!(
        "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.DocumentDB/databaseAccounts/{name}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_read_list_and_delete_are_long_running_as_in_azure() {
    let (sim, _world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    let created = arm.send("PUT", &path("orders"), API, Some(&plain())).await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["properties"]["provisioningState"], "Creating");
    let operation = created.header("azure-asyncoperation").unwrap().to_string();
    assert!(
        operation.contains(&format!(
            "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/providers/Microsoft.DocumentDB/locations/westeurope/operationsStatus/"
        )),
        "{operation}"
    );
    // A second write while the first runs is refused (hashicorp/terraform-provider-azurerm#15842).
    arm.send(
        "PATCH",
        &path("orders"),
        API,
        Some(&json!({ "tags": { "a": "b" } })),
    )
    .await
    .assert_rp_error(
        412,
        "PreconditionFailed",
        "There is another user operation in progress which requires an exclusive lock on [orders].",
    );
    let first = arm.send("GET", &operation, "", None).await;
    assert_eq!(first.body["status"], "InProgress");
    assert_eq!(arm.wait(&operation).await["status"], "Succeeded");
    let account = arm.get(&path("orders"), API).await;
    assert_eq!(account.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        account.body["type"],
        "Microsoft.DocumentDB/databaseAccounts"
    );
    assert_eq!(
        account.body["properties"]["defaultIdentity"],
        "FirstPartyIdentity"
    );
    assert_eq!(
        account.body["properties"]["writeLocations"][0]["locationName"],
        LOCATION
    );

    // Lists and the name check.
    let by_group = arm
        .get(&format!("/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.DocumentDB/databaseAccounts"), API)
        .await;
    assert_eq!(by_group.body["value"].as_array().unwrap().len(), 1);
    let by_sub = arm
        .get(&format!("/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/providers/Microsoft.DocumentDB/databaseAccounts"), API)
        .await;
    assert_eq!(by_sub.body["value"][0]["name"], "orders");
    let names = "/providers/Microsoft.DocumentDB/databaseAccountNames";
    assert_eq!(
        arm.send("HEAD", &format!("{names}/orders"), API, None)
            .await
            .status,
        200
    );
    assert_eq!(
        arm.send("HEAD", &format!("{names}/billing"), API, None)
            .await
            .status,
        404
    );

    // Reads write nothing.
    let mark = sim.log().mark();
    arm.get(&path("orders"), API).await;
    arm.send("HEAD", &format!("{names}/orders"), API, None)
        .await;
    assert!(
        sim.log()
            .since(mark)
            .iter()
            .all(|e| e.kind == Kind::Read && !e.is_effective_write())
    );

    // Delete: 202 + Location, polled to 204; then the account and its name are gone.
    let deleted = arm.send("DELETE", &path("orders"), API, None).await;
    assert_eq!(deleted.status, 202);
    let location = deleted.header("location").unwrap().to_string();
    assert_eq!(
        arm.get(&path("orders"), API).await.body["properties"]["provisioningState"],
        "Deleting"
    );
    let mut last = 202;
    for _ in 0..5 {
        last = arm.send("GET", &location, "", None).await.status;
        if last != 202 {
            break;
        }
    }
    assert_eq!(last, 204);
    arm.get(&path("orders"), API)
        .await
        .assert_arm_error(404, "ResourceNotFound");
    assert_eq!(
        arm.send("HEAD", &format!("{names}/orders"), API, None)
            .await
            .status,
        404
    );
    assert_eq!(
        arm.send("DELETE", &path("orders"), API, None).await.status,
        204
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_the_account_moves_its_provisioning_state_too() {
    let (sim, _world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    assert_eq!(
        arm.send("PUT", &path("orders"), API, Some(&plain()))
            .await
            .status,
        200
    );
    assert_eq!(
        arm.get(&path("orders"), API).await.body["properties"]["provisioningState"],
        "Creating"
    );
    assert_eq!(
        arm.get(&path("orders"), API).await.body["properties"]["provisioningState"],
        "Succeeded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_checked_against_the_version_s_schema() {
    let (sim, _world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    let p = path("orders");
    arm.send("PUT", &p, API, Some(&json!({ "location": LOCATION })))
        .await
        .assert_arm_error(400, "MissingRequiredProperty");
    for missing in ["locations", "databaseAccountOfferType"] {
        let mut body = plain();
        body["properties"].as_object_mut().unwrap().remove(missing);
        let answer = arm.send("PUT", &p, API, Some(&body)).await;
        answer.assert_arm_error(400, "MissingRequiredProperty");
        assert!(answer.message().contains(missing), "{}", answer.message());
    }
    let mut premium = plain();
    premium["properties"]["databaseAccountOfferType"] = json!("Premium");
    arm.send("PUT", &p, API, Some(&premium))
        .await
        .assert_arm_error(400, "InvalidRequestContent");
    let mut unknown = plain();
    unknown["properties"]["keyVaultKeyURL"] = json!("x");
    arm.send("PUT", &p, API, Some(&unknown))
        .await
        .assert_arm_error(400, "InvalidRequestContent");
    let mut bad_identity = plain();
    bad_identity["identity"] = json!({ "type": "Managed" });
    arm.send("PUT", &p, API, Some(&bad_identity))
        .await
        .assert_arm_error(400, "InvalidRequestContent");
    // 2026-07-15 members are unknown to 2022-05-15; minimalTlsVersion became an enum.
    let mut newer = plain();
    newer["properties"]["enablePartitionMerge"] = json!(true);
    arm.send("PUT", &p, API_2022, Some(&newer))
        .await
        .assert_arm_error(400, "InvalidRequestContent");
    let mut tls = plain();
    tls["properties"]["minimalTlsVersion"] = json!("1.2");
    arm.send("PUT", &p, API, Some(&tls))
        .await
        .assert_arm_error(400, "InvalidRequestContent");
    assert_eq!(arm.write("PUT", &p, API_2022, &tls).await.status, 200);
    assert_eq!(
        arm.write(
            "PATCH",
            &p,
            API,
            &json!({ "properties": { "enablePartitionMerge": true } })
        )
        .await
        .status,
        200
    );
    // What a GET shows depends on its api-version.
    let old = arm.get(&p, API_2022).await;
    assert!(old.body["properties"].get("enablePartitionMerge").is_none());
    assert_eq!(
        arm.get(&p, API).await.body["properties"]["enablePartitionMerge"],
        true
    );
    // An api-version Microsoft.DocumentDB does not have.
    arm.get(&p, "2024-01-01")
        .await
        .assert_arm_error(400, "NoRegisteredProviderFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_names_follow_cosmos_db_s_rule_and_are_global() {
    let (sim, _world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    for (name, message) in [
        (
            "Orders",
            "The character 'O' at index 0 is not allowed in the DatabaseAccount name\r\n",
        ),
        (
            "orders-",
            "The character '-' at index 6 is not allowed in the DatabaseAccount name\r\n",
        ),
        (
            "or--ders",
            "The character '-' at index 3 is not allowed in the DatabaseAccount name\r\n",
        ),
        (
            "ab",
            "The name can contain only lowercase letters, numbers and the '-' character, and must be between 3 and 44 characters\r\n",
        ),
    ] {
        arm.send("PUT", &path(name), API, Some(&plain()))
            .await
            .assert_rp_error(400, "BadRequest", message);
    }
    let long = "a".repeat(45);
    arm.send("PUT", &path(&long), API, Some(&plain()))
        .await
        .assert_rp_error(400, "BadRequest", "The name can contain");
    assert_eq!(
        arm.write("PUT", &path(&"a".repeat(44)), API, &plain())
            .await
            .status,
        200
    );
    assert_eq!(
        arm.write("PUT", &path("orders"), API, &plain())
            .await
            .status,
        200
    );
    // The same name in the customer's subscription: names become DNS names.
    let customer = Arm::user(&sim, CUSTOMER, CUSTOMER_ADMIN);
    let theirs = format!(
        "/subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourceGroups/{CUSTOMER_RESOURCE_GROUP}/providers/Microsoft.DocumentDB/databaseAccounts/orders"
    );
    customer.send("PUT", &theirs, API, Some(&plain())).await.assert_rp_error(
        400,
        "BadRequest",
        "Dns record for orders under zone Document is already taken. Please use a different name for the account.\r\n",
    );
}

/// A provider user holding `role` at `scope`.
fn user_with_role(sim: &xtcmk_sim::Sim, upn: &str, scope: &str, role: &str) {
    let mut state = sim.state();
    let id = uuid::Uuid::new_v4();
    let tenant = state
        .tenants
        .iter_mut()
        .find(|t| t.alias == PROVIDER)
        .unwrap();
    tenant.users.push(User {
        id: id.to_string().parse().unwrap(),
        user_principal_name: upn.into(),
        display_name: upn.into(),
        directory_roles: Vec::new(),
    });
    xtcmk_sim::arm::role_assignments::assign(&mut state, scope, role, &id.to_string(), "User");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arm_checks_the_caller_and_the_identities_it_assigns() {
    let (sim, world) = CmkWorld::start();
    use xtcmk_sim::arm::role_definitions::{CONTRIBUTOR, READER};
    user_with_role(
        &sim,
        "rita@contoso-saas.example",
        &format!("/subscriptions/{PROVIDER_SUBSCRIPTION_ID}"),
        READER,
    );
    user_with_role(
        &sim,
        "carl@contoso-saas.example",
        &path("orders"),
        CONTRIBUTOR,
    );
    let reader = Arm::user(&sim, PROVIDER, "rita@contoso-saas.example");
    reader
        .send("PUT", &path("orders"), API, Some(&plain()))
        .await
        .assert_arm_error(403, "AuthorizationFailed");
    // Allowed to write the account, not to assign the identity to it.
    let contributor = Arm::user(&sim, PROVIDER, "carl@contoso-saas.example");
    let answer = contributor
        .send("PUT", &path("orders"), API, Some(&world.account_body()))
        .await;
    answer.assert_arm_error(403, "LinkedAuthorizationFailed");
    assert!(
        answer
            .message()
            .contains("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action")
    );
    // An identity that does not exist.
    let arm = Arm::provider(&sim);
    let mut ghost = world.account_body();
    let missing = world.uami_id.replace("uami-cmk", "uami-ghost");
    ghost["identity"]["userAssignedIdentities"] = json!({ missing.clone(): {} });
    ghost["properties"]["defaultIdentity"] = json!(format!(
        "UserAssignedIdentity={missing}&FederatedClientId={}",
        xtcmk_sim::scenario::cross_tenant::APP_ID
    ));
    let answer = arm.send("PUT", &path("orders"), API, Some(&ghost)).await;
    answer.assert_arm_error(400, "FailedIdentityOperation");
    assert!(
        answer
            .message()
            .contains(&format!("Resource '{missing}' does not exist")),
        "{}",
        answer.message()
    );
    // The well-formed twin, by the Owner.
    assert_eq!(create_cmk_account(&arm, &world, "orders").await.status, 200);
}
