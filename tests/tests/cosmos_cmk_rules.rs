//! Cosmos DB's refusals for customer-managed keys, each with its text and shape (troubleshoot-cmk,
//! the cross-tenant CMK article, the issue threads named in the simulator), and the well-formed
//! twin of each passing.

mod cosmos_common;

use cosmos_common::*;
use serde_json::{Value, json};
use xtcmk_sim::scenario::cross_tenant::{APP_ID, Break, CmkWorld, KEY, VAULT, seed_key};
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::state::cosmos::Link;

const CONFIRMED: &str = "Access to the configured customer managed key confirmed.";

fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    *body.pointer_mut(pointer).unwrap() = value;
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_uris_are_versionless_key_vault_key_uris() {
    let (sim, world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    let path = world.account_path("orders");
    let versioned = format!("{}/0123456789abcdef0123456789abcdef", world.key_uri);
    let answer = arm
        .send(
            "PUT",
            &path,
            API,
            Some(&with(
                world.account_body(),
                "/properties/keyVaultKeyUri",
                json!(versioned),
            )),
        )
        .await;
    answer.assert_rp_error(
        400,
        "BadRequest",
        "Please provide KeyVault Key Uri without version. We will use latest version of the key\r\n",
    );
    for bad in [
        format!("{}/", world.key_uri),
        world.key_uri.replace("vault.localhost", "vault.azure.com"),
        world.key_uri.replace("/keys/", "/secrets/"),
    ] {
        let answer = arm
            .send(
                "PUT",
                &path,
                API,
                Some(&with(
                    world.account_body(),
                    "/properties/keyVaultKeyUri",
                    json!(bad),
                )),
            )
            .await;
        answer.assert_rp_error(
            400,
            "BadRequest",
            &format!("Provided KeyVaultKeyUri {bad} is Invalid.\r\n"),
        );
    }
    assert!(
        sim.state().cosmos.failures.is_empty(),
        "format refusals come before the chain"
    );
    create_cmk_account(&arm, &world, "orders").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_identities_have_cosmos_db_formats() {
    let (sim, world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    let path = world.account_path("orders");
    for bad in [
        format!(
            "UserAssignedIdentity={}&FederatedClientId=not-a-guid",
            world.uami_id
        ),
        format!("SystemAssignedIdentity={}", world.uami_id),
        "userAssignedIdentity".to_string(),
    ] {
        let answer = arm
            .send(
                "PUT",
                &path,
                API,
                Some(&with(
                    world.account_body(),
                    "/properties/defaultIdentity",
                    json!(bad),
                )),
            )
            .await;
        answer.assert_rp_error(
            400,
            "BadRequest",
            "The given default identity for orders is not valid. The format for the default identity is not valid, please use 'FirstPartyIdentity'/'SystemAssignedIdentity'/'UserAssignedIdentity=<UA_resource_id>'\r\n",
        );
    }
    // The cross-tenant form needs api-version 2022-05-15.
    let answer = arm
        .send("PUT", &path, "2021-10-15", Some(&world.account_body()))
        .await;
    answer.assert_rp_error(
        400,
        "BadRequest",
        "The given default identity for orders is not valid.",
    );
    // The identity must be one of the account's.
    let other = world.uami_id.replace("uami-cmk", "uami-other");
    let answer = arm
        .send(
            "PUT",
            &path,
            API,
            Some(&with(
                world.account_body(),
                "/properties/defaultIdentity",
                json!(format!(
                    "UserAssignedIdentity={other}&FederatedClientId={APP_ID}"
                )),
            )),
        )
        .await;
    answer.assert_rp_error(
        400,
        "BadRequest",
        "The given default identity for orders is not valid. The user assigned identity",
    );
    create_cmk_account(&arm, &world, "orders").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_tenant_key_needs_a_user_assigned_default_identity() {
    let (sim, world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    let path = world.account_path("orders");
    let mut first_party = world.account_body();
    first_party["properties"]["defaultIdentity"] = json!("FirstPartyIdentity");
    let mut absent = world.account_body();
    absent["properties"]
        .as_object_mut()
        .unwrap()
        .remove("defaultIdentity");
    for body in [first_party, absent] {
        let answer = arm.send("PUT", &path, API, Some(&body)).await;
        answer.assert_rp_error(
            400,
            "BadRequest",
            "Cross-tenant CMK is not supported with First Party identities as Default identities. Please use a User Assigned identity instead\r\n",
        );
    }
    let system = with(
        world.account_body(),
        "/properties/defaultIdentity",
        json!(format!("SystemAssignedIdentity&FederatedClientId={APP_ID}")),
    );
    let answer = arm.send("PUT", &path, API, Some(&system)).await;
    answer.assert_rp_error(
        400,
        "BadRequest",
        "Database account creation failed. Operation Id: ",
    );
    assert!(answer.message().contains(", Error: Updating default identity not allowed. Cannot set SystemAssignedIdentity as the default identity during provision."));
    // Without `&FederatedClientId=` the identity's own token reaches a vault of another tenant.
    let same_tenant_form = with(
        world.account_body(),
        "/properties/defaultIdentity",
        json!(format!("UserAssignedIdentity={}", world.uami_id)),
    );
    let answer = arm.send("PUT", &path, API, Some(&same_tenant_form)).await;
    answer.assert_rp_error(
        503,
        "ServiceUnavailable",
        "Database account creation failed. Operation Id: ",
    );
    assert_eq!(
        sim.state().cosmos.last_failure("orders").unwrap().link,
        Link::TokenTenantMismatch
    );

    create_cmk_account(&arm, &world, "orders").await;
    // On an existing cross-tenant account a system-assigned default identity is refused (1.8).
    let answer = arm
        .send(
            "PATCH",
            &path,
            API,
            Some(&json!({ "properties": { "defaultIdentity": format!("SystemAssignedIdentity&FederatedClientId={APP_ID}") } })),
        )
        .await;
    answer.assert_rp_error(
        400,
        "BadRequest",
        "Cross-tenant CMK is not supported with System Assigned identities as Default identities. Please use a User Assigned Identity instead.\r\n",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_cannot_be_removed_and_stays_in_its_tenant() {
    let (sim, world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    let path = world.account_path("orders");
    create_cmk_account(&arm, &world, "orders").await;
    for body in [
        json!({ "properties": { "keyVaultKeyUri": null } }),
        json!({ "properties": { "keyVaultKeyUri": "" } }),
    ] {
        let answer = arm.send("PATCH", &path, API, Some(&body)).await;
        answer.assert_rp_error(
            400,
            "BadRequest",
            "Updating KeyVaultKeyUri is not supported\r\n",
        );
    }
    let mut without_key = world.account_body();
    without_key["properties"]
        .as_object_mut()
        .unwrap()
        .remove("keyVaultKeyUri");
    arm.send("PUT", &path, API, Some(&without_key))
        .await
        .assert_rp_error(
            400,
            "BadRequest",
            "Updating KeyVaultKeyUri is not supported\r\n",
        );

    // A key in a vault of the provider's tenant: the account is pinned to the customer's tenant.
    let vault = arm
        .write(
            "PUT",
            &format!("/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/kv-contoso-keys"),
            "2026-02-01",
            &json!({ "location": LOCATION, "properties": { "tenantId": PROVIDER_TENANT_ID, "sku": { "family": "A", "name": "standard" }, "enablePurgeProtection": true } }),
        )
        .await;
    assert!(vault.status < 300, "{}", vault.body);
    seed_key(&mut sim.state(), "kv-contoso-keys", "other");
    let foreign = format!("{}keys/other", sim.cloud().vault_url("kv-contoso-keys"));
    let answer = arm
        .send(
            "PATCH",
            &path,
            API,
            Some(&json!({ "properties": { "keyVaultKeyUri": foreign } })),
        )
        .await;
    answer.assert_rp_error(
        400,
        "BadRequest",
        &format!("The tenant for the new Key Vault {PROVIDER_TENANT_ID} does not match the one in the old Key Vault {CUSTOMER_TENANT_ID}. New Key Vaults must be on the same tenant as the old ones.\r\n"),
    );
    // Another key of the customer's vault, granted too, is a key change Cosmos DB accepts.
    seed_key(&mut sim.state(), VAULT, "cmk-2");
    xtcmk_sim::arm::role_assignments::assign(
        &mut sim.state(),
        &format!("{}/keys/cmk-2", world.vault_id),
        xtcmk_sim::arm::role_definitions::KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
        xtcmk_sim::scenario::cross_tenant::CUSTOMER_SP_OBJECT_ID,
        "ServicePrincipal",
    );
    let second = world.key_uri.replace(KEY, "cmk-2");
    let answer = arm
        .write(
            "PATCH",
            &path,
            API,
            &json!({ "properties": { "keyVaultKeyUri": second } }),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let account = arm.get(&path, API).await;
    assert_eq!(account.body["properties"]["keyVaultKeyUri"], second);
    assert_eq!(
        account.body["properties"]["customerManagedKeyStatus"],
        CONFIRMED
    );
}

/// A second identity of the provider, trusted by the app: what a revoked account is repaired with.
async fn second_identity(arm: &Arm<'_>, world: &CmkWorld) -> (String, String) {
    let path = format!(
        "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-2"
    );
    let answer = arm
        .send(
            "PUT",
            &path,
            "2023-01-31",
            Some(&json!({ "location": LOCATION })),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let principal = answer.body["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    world.trust(arm.sim, "uami-2", &principal);
    (answer.body["id"].as_str().unwrap().to_string(), principal)
}

fn identities(ids: &[&str]) -> Value {
    let map: serde_json::Map<String, Value> =
        ids.iter().map(|i| (i.to_string(), json!({}))).collect();
    json!({ "type": "UserAssigned", "userAssignedIdentities": map })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_account_takes_only_identity_and_default_identity_updates() {
    let (sim, world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    let path = world.account_path("orders");
    create_cmk_account(&arm, &world, "orders").await;
    world.break_link(&sim, Break::FicWrongSubject);
    assert!(
        key_status(&arm, &world, "orders")
            .await
            .ends_with("(4000).")
    );
    for body in [
        json!({ "tags": { "team": "orders" } }),
        json!({ "properties": { "enableAutomaticFailover": true } }),
    ] {
        arm.send("PATCH", &path, API, Some(&body)).await.assert_rp_error(
            400,
            "BadRequest",
            "No Update is allowed on Database Account with Customer Managed Key in Revoked Status\r\n",
        );
    }
    let (uami2, _) = second_identity(&arm, &world).await;
    let answer = arm
        .write(
            "PATCH",
            &path,
            API,
            &json!({ "identity": identities(&[&world.uami_id, &uami2]) }),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let repaired = format!("UserAssignedIdentity={uami2}&FederatedClientId={APP_ID}");
    let answer = arm
        .write(
            "PATCH",
            &path,
            API,
            &json!({ "properties": { "defaultIdentity": repaired } }),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(key_status(&arm, &world, "orders").await, CONFIRMED);
    // No longer revoked: other updates pass again.
    let answer = arm
        .write(
            "PATCH",
            &path,
            API,
            &json!({ "tags": { "team": "orders" } }),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_and_default_identity_in_one_request_keep_the_old_default_identity() {
    let (sim, world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    let path = world.account_path("orders");
    create_cmk_account(&arm, &world, "orders").await;
    let (uami2, _) = second_identity(&arm, &world).await;
    let wanted = format!("UserAssignedIdentity={uami2}&FederatedClientId={APP_ID}");
    let both = json!({
        "identity": identities(&[&world.uami_id, &uami2]),
        "properties": { "defaultIdentity": wanted },
    });
    let answer = arm.write("PATCH", &path, API, &both).await;
    assert_eq!(
        answer.status, 200,
        "accepted without a word: {}",
        answer.body
    );
    let account = arm.get(&path, API).await;
    assert!(
        account.body["identity"]["userAssignedIdentities"]
            .get(&uami2)
            .is_some()
    );
    assert_eq!(
        account.body["properties"]["defaultIdentity"],
        world.default_identity(),
        "silently kept"
    );
    // The second request, alone, changes it.
    let answer = arm
        .write(
            "PATCH",
            &path,
            API,
            &json!({ "properties": { "defaultIdentity": wanted } }),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        arm.get(&path, API).await.body["properties"]["defaultIdentity"],
        wanted
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_default_identity_that_cannot_reach_the_key_is_refused_and_kept() {
    let (sim, world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    let path = world.account_path("orders");
    create_cmk_account(&arm, &world, "orders").await;
    let (uami2, _) = second_identity(&arm, &world).await;
    arm.write(
        "PATCH",
        &path,
        API,
        &json!({ "identity": identities(&[&world.uami_id, &uami2]) }),
    )
    .await;
    // The app trusts uami-2, but the app has no service principal in the customer tenant any more.
    world.break_link(&sim, Break::SpMissing);
    let wanted = format!("UserAssignedIdentity={uami2}&FederatedClientId={APP_ID}");
    let answer = arm
        .send(
            "PATCH",
            &path,
            API,
            Some(&json!({ "properties": { "defaultIdentity": wanted } })),
        )
        .await;
    answer.assert_rp_error(400, "BadRequest", "The given default identity for orders is not valid. Error contacting the Azure Key Vault resource.");
    assert_eq!(
        arm.get(&path, API).await.body["properties"]["defaultIdentity"],
        world.default_identity()
    );
    assert_eq!(
        sim.state().cosmos.last_failure("orders").unwrap().link,
        Link::ServicePrincipalMissing
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cmk_can_be_enabled_on_an_existing_account_by_patch() {
    let (sim, world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    let path = world.account_path("orders");
    let mut plain = world.account_body();
    let props = plain["properties"].as_object_mut().unwrap();
    props.remove("keyVaultKeyUri");
    props.remove("defaultIdentity");
    assert_eq!(arm.write("PUT", &path, API, &plain).await.status, 200);
    let account = arm.get(&path, API).await;
    assert_eq!(
        account.body["properties"]["defaultIdentity"],
        "FirstPartyIdentity"
    );
    assert!(
        account.body["properties"]
            .get("customerManagedKeyStatus")
            .is_none()
    );
    let enable = json!({ "properties": { "defaultIdentity": world.default_identity() } });
    assert_eq!(arm.write("PATCH", &path, API, &enable).await.status, 200);
    // A broken link refuses the enabling with the same Key Vault error.
    world.break_link(&sim, Break::KeyDisabled);
    let key = json!({ "properties": { "keyVaultKeyUri": world.key_uri } });
    arm.send("PATCH", &path, API, Some(&key))
        .await
        .assert_rp_error(
            503,
            "ServiceUnavailable",
            "Error contacting the Azure Key Vault resource. Please try again.\r\n",
        );
    for v in sim
        .state()
        .keys
        .get_mut(VAULT)
        .unwrap()
        .get_mut(KEY)
        .unwrap()
        .versions
        .iter_mut()
    {
        v.enabled = true;
    }
    let answer = arm.send("PATCH", &path, API, Some(&key)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["properties"]["provisioningState"], "Updating");
    assert!(answer.header("azure-asyncoperation").is_some());
    arm.wait(answer.header("azure-asyncoperation").unwrap())
        .await;
    assert_eq!(key_status(&arm, &world, "orders").await, CONFIRMED);
}
