//! Atlas's encryption at rest with Azure Key Vault, probed raw: each refusal with Atlas's code and
//! shape, and its well-formed twin passing. The settings are checked by reaching the key through
//! the simulated Entra ID and Key Vault, both ways in (client secret, `roleId`).

mod atlas_common;

use atlas_common::*;
use serde_json::{Value, json};
use xtcmk_sim::scenario::atlas_world::{self, AtlasWorld, Break};
use xtcmk_sim::scenario::demo::*;

fn with(mut body: Value, member: &str, value: Value) -> Value {
    body["azureKeyVault"][member] = value;
    body
}

fn without(mut body: Value, member: &str) -> Value {
    body["azureKeyVault"]
        .as_object_mut()
        .unwrap()
        .remove(member);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_wants_a_versioned_accept_header() {
    let (sim, _world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    let path = format!("groups/{GROUP}/encryptionAtRest");
    for accept in ["application/json", "application/vnd.atlas.latest+json"] {
        let a = atlas.send_with("GET", &path, Some(accept), None).await;
        a.assert_atlas_error(406, "INVALID_VERSION_DATE");
        assert_eq!(a.detail(), "Invalid accept header or version date.");
    }
    let a = atlas
        .send_with(
            "GET",
            &path,
            Some("application/vnd.atlas.2025-03-12+json"),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_needs_a_project_role_and_changing_needs_project_owner() {
    let (sim, world) = AtlasWorld::start();
    sim.state()
        .atlas
        .add_api_key("reader", "reader-private", &[GROUP], &["GROUP_READ_ONLY"]);
    let reader = Atlas::key(&sim, "reader", "reader-private");
    assert_eq!(
        reader
            .get(&format!("groups/{GROUP}/encryptionAtRest"))
            .await
            .status,
        200
    );
    let a = reader.patch_ear(&world.secret_body()).await;
    a.assert_atlas_error(401, "USER_UNAUTHORIZED");
    assert_eq!(sim.state().atlas.project(GROUP).unwrap().events.len(), 0);
    let owner = Atlas::owner(&sim);
    let a = owner.patch_ear(&world.secret_body()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["azureKeyVault"]["valid"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_mode_reaches_the_key_and_never_answers_the_secret() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    let a = atlas.patch_ear(&world.secret_body()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let akv = atlas.ear().await;
    assert_eq!(akv["valid"], true, "{akv}");
    assert_eq!(akv["enabled"], true);
    assert_eq!(akv["clientID"], atlas_world::APP_ID);
    assert_eq!(akv["keyIdentifier"], world.key_identifier);
    assert!(akv.get("secret").is_none(), "write-only: {akv}");
    assert!(!a.body.to_string().contains(atlas_world::CLIENT_SECRET));
    let state = serde_json::to_string(&*sim.state()).unwrap();
    assert!(
        !state.contains(atlas_world::CLIENT_SECRET),
        "kept as a hash only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_expired_secrets_and_a_missing_service_principal_are_invalid_credentials() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    let a = atlas
        .patch_ear(&with(
            world.secret_body(),
            "secret",
            json!("not-the-secret"),
        ))
        .await;
    a.assert_atlas_error(400, "INVALID_AZURE_CREDENTIALS");
    assert_eq!(a.detail(), "Invalid Azure credentials.");
    let failure = sim
        .state()
        .atlas
        .project(GROUP)
        .unwrap()
        .last_key_failure
        .clone();
    assert!(failure.unwrap().contains("AADSTS7000215"));

    world.break_link(&sim, Break::SecretExpired);
    atlas
        .patch_ear(&world.secret_body())
        .await
        .assert_atlas_error(400, "INVALID_AZURE_CREDENTIALS");
    let failure = sim
        .state()
        .atlas
        .project(GROUP)
        .unwrap()
        .last_key_failure
        .clone();
    assert!(failure.unwrap().contains("AADSTS7000222"));
    // The twin: a fresh secret of the same app works.
    world.add_secret(
        &sim,
        "a-fresh-secret-value",
        xtcmk_sim::tokens::now() + 3600,
    );
    let a = atlas
        .patch_ear(&with(
            world.secret_body(),
            "secret",
            json!("a-fresh-secret-value"),
        ))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);

    world.break_link(&sim, Break::SpMissing);
    let a = atlas
        .patch_ear(&with(
            world.secret_body(),
            "secret",
            json!("a-fresh-secret-value"),
        ))
        .await;
    a.assert_atlas_error(400, "INVALID_AZURE_CREDENTIALS");
    let failure = sim
        .state()
        .atlas
        .project(GROUP)
        .unwrap()
        .last_key_failure
        .clone();
    assert!(failure.unwrap().contains("AADSTS700016"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_get_encrypt_decrypt_on_the_key_atlas_finds_no_key() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    world.break_link(&sim, Break::GrantsMissing);
    let a = atlas.patch_ear(&world.secret_body()).await;
    a.assert_atlas_error(400, "AZURE_KEY_VAULT_KEY_NOT_FOUND");
    let failure = sim
        .state()
        .atlas
        .project(GROUP)
        .unwrap()
        .last_key_failure
        .clone();
    assert!(
        failure.unwrap().contains("not authorized"),
        "ForbiddenByRbac"
    );
    // The twin: Key Vault Crypto User on the key again.
    xtcmk_sim::arm::role_assignments::assign(
        &mut sim.state(),
        &format!("{}/keys/{}", world.vault_id, atlas_world::KEY),
        xtcmk_sim::arm::role_definitions::KEY_VAULT_CRYPTO_USER,
        atlas_world::CUSTOMER_SP_OBJECT_ID,
        "ServicePrincipal",
    );
    assert_eq!(atlas.patch_ear(&world.secret_body()).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_identifier_is_the_full_versioned_one_of_the_named_vault() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    let versionless = world.key_identifier.rsplit_once('/').unwrap().0.to_string();
    for bad in [
        versionless.clone(),
        format!("{versionless}/"),
        world.key_identifier.replace("/keys/", "/secrets/"),
        world
            .key_identifier
            .replace("vault.localhost", "vault.azure.com"),
    ] {
        let a = atlas
            .patch_ear(&with(world.secret_body(), "keyIdentifier", json!(bad)))
            .await;
        a.assert_atlas_error(400, "AZURE_KEY_VAULT_KEY_IDENTIFIER_INVALID_FORMAT");
        assert_eq!(
            a.detail(),
            "Invalid format for Azure Key Vault Key Identifier."
        );
    }
    assert!(sim.state().atlas.project(GROUP).unwrap().events.is_empty());
    let a = atlas
        .patch_ear(&with(
            world.secret_body(),
            "keyVaultName",
            json!("kv-other"),
        ))
        .await;
    a.assert_atlas_error(400, "INVALID_AZURE_API_REQUEST");
    assert_eq!(atlas.patch_ear(&world.secret_body()).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_outside_the_named_resource_group_is_refused() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    let a = atlas
        .patch_ear(&with(
            world.secret_body(),
            "resourceGroupName",
            json!("rg-elsewhere"),
        ))
        .await;
    a.assert_atlas_error(400, "INVALID_AZURE_API_REQUEST");
    assert_eq!(
        a.detail(),
        "One or more provided Azure parameters were invalid."
    );
    let failure = sim
        .state()
        .atlas
        .project(GROUP)
        .unwrap()
        .last_key_failure
        .clone();
    assert!(failure.unwrap().contains("rg-elsewhere"));
    assert_eq!(atlas.patch_ear(&world.secret_body()).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_strict_and_complete_when_enabling() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    for member in [
        "clientID",
        "tenantID",
        "secret",
        "keyIdentifier",
        "subscriptionID",
    ] {
        let a = atlas.patch_ear(&without(world.secret_body(), member)).await;
        a.assert_atlas_error(400, "MISSING_ATTRIBUTE");
        assert_eq!(
            a.detail(),
            format!("The required attribute {member} was not specified.")
        );
    }
    let a = atlas
        .patch_ear(&with(world.secret_body(), "keyVaultUri", json!("x")))
        .await;
    a.assert_atlas_error(400, "INVALID_ATTRIBUTE");
    assert_eq!(a.detail(), "Invalid attribute keyVaultUri specified.");
    let a = atlas
        .patch_ear(&with(world.secret_body(), "enabled", json!("yes")))
        .await;
    a.assert_atlas_error(400, "INVALID_JSON_ATTRIBUTE");
    let a = atlas
        .patch_ear(&with(
            world.secret_body(),
            "azureEnvironment",
            json!("AZURE_GERMANY"),
        ))
        .await;
    a.assert_atlas_error(400, "INVALID_JSON_ATTRIBUTE");
    let a = atlas
        .send_with(
            "PATCH",
            &format!("groups/{GROUP}/encryptionAtRest"),
            None,
            Some("{\"azureKeyVault\":"),
        )
        .await;
    a.assert_atlas_error(400, "MALFORMED_JSON");
    let role = world.register_role(&sim);
    let a = atlas
        .patch_ear(&with(world.secret_body(), "roleId", json!(role)))
        .await;
    a.assert_atlas_error(400, "INVALID_ATTRIBUTE");
    let a = atlas
        .patch_ear(&with(world.secret_body(), "clientID", json!("not-a-guid")))
        .await;
    a.assert_atlas_error(400, "INVALID_JSON_ATTRIBUTE");
    // `valid` is read-only: sent along, it is ignored.
    let a = atlas
        .patch_ear(&with(world.secret_body(), "valid", json!(false)))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["azureKeyVault"]["valid"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_mode_signs_in_as_atlas_own_app_without_a_secret() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    let a = atlas
        .patch_ear(&world.role_body("0123456789abcdef01234567"))
        .await;
    a.assert_atlas_error(400, "INVALID_ATTRIBUTE");
    assert_eq!(a.detail(), "Invalid attribute roleId specified.");
    let role = world.register_role(&sim);
    let a = atlas.patch_ear(&world.role_body(&role)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let akv = atlas.ear().await;
    assert_eq!(akv["valid"], true);
    assert_eq!(akv["roleId"], role);
    assert!(akv.get("clientID").is_none() && akv.get("tenantID").is_none());
    assert!(
        sim.state()
            .atlas
            .project(GROUP)
            .unwrap()
            .azure_secret_sha256
            .is_none()
    );
    // Without Atlas's service principal in the customer tenant there is no token.
    world.break_link(&sim, Break::AtlasSpMissing);
    atlas
        .patch_ear(&world.role_body(&role))
        .await
        .assert_atlas_error(400, "INVALID_AZURE_CREDENTIALS");
    assert_eq!(atlas.ear().await["valid"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_is_checked_on_every_read_and_a_new_failure_is_an_event() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    assert_eq!(atlas.patch_ear(&world.secret_body()).await.status, 200);
    world.break_link(&sim, Break::KeyDisabled);
    assert_eq!(atlas.ear().await["valid"], false);
    assert_eq!(atlas.ear().await["valid"], false);
    let events = atlas
        .get(&format!(
            "groups/{GROUP}/events?eventType=ENCRYPTION_AT_REST_CONFIGURATION_VALIDATION_FAILED"
        ))
        .await;
    assert_eq!(events.status, 200, "{}", events.body);
    assert_eq!(
        events.body["totalCount"], 1,
        "once per failure: {}",
        events.body
    );
    // Changing the key while the current one is unreachable is refused.
    let next = world.new_key_version(&sim);
    let a = atlas
        .patch_ear(&json!({ "azureKeyVault": { "keyIdentifier": next } }))
        .await;
    a.assert_atlas_error(400, "ENCRYPTION_AT_REST_SETTINGS_INVALID");
    let updates = atlas
        .get(&format!(
            "groups/{GROUP}/events?eventType=ENCRYPTION_AT_REST_CONFIGURATION_UPDATED"
        ))
        .await;
    assert_eq!(updates.body["totalCount"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_on_only_the_changed_fields_are_sent_and_off_is_enabled_false() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    assert_eq!(atlas.patch_ear(&world.secret_body()).await.status, 200);
    let next = world.new_key_version(&sim);
    let a = atlas
        .patch_ear(&json!({ "azureKeyVault": { "keyIdentifier": next } }))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(atlas.ear().await["keyIdentifier"], next);
    let a = atlas
        .patch_ear(&json!({ "azureKeyVault": { "enabled": false } }))
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(atlas.ear().await, json!({ "enabled": false }));
    // Off again, a partial body is not enough to turn it on.
    atlas
        .patch_ear(&json!({ "azureKeyVault": { "keyIdentifier": next } }))
        .await
        .assert_atlas_error(400, "MISSING_ATTRIBUTE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_dedicated_tiers_can_use_it() {
    let (sim, world) = AtlasWorld::start();
    sim.state().atlas.project_mut(GROUP).unwrap().cluster_tier = "M0".into();
    let atlas = Atlas::owner(&sim);
    let a = atlas.patch_ear(&world.secret_body()).await;
    a.assert_atlas_error(400, "INSUFFICIENT_INSTANCE_SIZE");
    sim.state().atlas.project_mut(GROUP).unwrap().cluster_tier = "M10".into();
    assert_eq!(atlas.patch_ear(&world.secret_body()).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_firewall_keeps_atlas_out() {
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    world.break_link(&sim, Break::FirewallClosed);
    let a = atlas.patch_ear(&world.secret_body()).await;
    a.assert_atlas_error(400, "AZURE_KEY_VAULT_KEY_NOT_FOUND");
    let failure = sim
        .state()
        .atlas
        .project(GROUP)
        .unwrap()
        .last_key_failure
        .clone();
    assert!(failure.unwrap().contains("ForbiddenByFirewall"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firewall_lets_atlas_in_only_from_its_listed_control_plane_address() {
    // Atlas is not a trusted service: bypass AzureServices does not help, an IP rule for its
    // outbound control-plane address does, and disabled public access keeps it out regardless.
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    let azure = Azure::customer_admin(&sim);
    let address = xtcmk_sim::atlas::key_check::CONTROL_PLANE_ADDRESS;
    let set = |properties: Value| {
        let azure = &azure;
        let path = world.vault_id.clone();
        async move {
            let a = azure
                .arm("PATCH", &path, Some(&json!({ "properties": properties })))
                .await;
            assert_eq!(a.status, 200, "{}", a.body);
        }
    };
    let failure = |sim: &xtcmk_sim::Sim| {
        sim.state()
            .atlas
            .project(GROUP)
            .unwrap()
            .last_key_failure
            .clone()
            .unwrap_or_default()
    };
    set(json!({ "networkAcls": { "defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [{ "value": "127.0.0.0/8" }] } })).await;
    atlas
        .patch_ear(&world.secret_body())
        .await
        .assert_atlas_error(400, "AZURE_KEY_VAULT_KEY_NOT_FOUND");
    let said = failure(&sim);
    assert!(
        said.starts_with(
            "ForbiddenByFirewall: Client address is not authorized and caller is not a trusted service."
        ),
        "{said}"
    );
    set(json!({ "networkAcls": { "defaultAction": "Deny", "bypass": "None", "ipRules": [{ "value": format!("{address}/32") }] } })).await;
    assert_eq!(atlas.patch_ear(&world.secret_body()).await.status, 200);
    set(json!({ "publicNetworkAccess": "Disabled", "networkAcls": { "bypass": "AzureServices" } }))
        .await;
    atlas
        .patch_ear(&world.secret_body())
        .await
        .assert_atlas_error(400, "AZURE_KEY_VAULT_KEY_NOT_FOUND");
    let said = failure(&sim);
    assert!(
        said.starts_with("ForbiddenByConnection: Public network access is disabled"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atlas_signs_in_to_a_tenant_entra_knows_by_id_only() {
    // Entra resolves a tenant by its id or a verified domain (AADSTS90002 otherwise); the
    // simulator's own handle for a tenant is no name Entra knows, even when it looks like a GUID.
    let (sim, world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    let handle = "30000000-0000-4000-8000-00000000a11a";
    sim.state()
        .tenants
        .iter_mut()
        .find(|t| t.id.to_string() == CUSTOMER_TENANT_ID)
        .unwrap()
        .alias = handle.into();
    for tenant in [handle, "30000000-0000-4000-8000-00000000beef"] {
        let a = atlas
            .patch_ear(&with(world.secret_body(), "tenantID", json!(tenant)))
            .await;
        a.assert_atlas_error(400, "INVALID_AZURE_CREDENTIALS");
        let failure = sim
            .state()
            .atlas
            .project(GROUP)
            .unwrap()
            .last_key_failure
            .clone()
            .unwrap_or_default();
        assert!(
            failure.contains(&format!("AADSTS90002: Tenant '{tenant}' not found.")),
            "{failure}"
        );
    }
    assert_eq!(atlas.patch_ear(&world.secret_body()).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_provider_access_registers_atlas_service_principals() {
    let (sim, _world) = AtlasWorld::start();
    let atlas = Atlas::owner(&sim);
    let path = format!("groups/{GROUP}/cloudProviderAccess");
    let a = atlas
        .send(
            "POST",
            &path,
            Some(&json!({ "providerName": "AZURE", "tenantId": CUSTOMER_TENANT_ID })),
        )
        .await;
    a.assert_atlas_error(400, "MISSING_ATTRIBUTE");
    let a = atlas
        .send("POST", &path, Some(&json!({ "providerName": "GCP" })))
        .await;
    a.assert_atlas_error(400, "INVALID_PROVIDER");
    let a = atlas
        .send("POST", &path, Some(&json!({ "providerName": "AZURE", "tenantId": CUSTOMER_TENANT_ID, "servicePrincipalId": atlas_world::CUSTOMER_ATLAS_SP_OBJECT_ID, "region": "x" })))
        .await;
    a.assert_atlas_error(400, "INVALID_ATTRIBUTE");
    let a = atlas
        .send(
            "POST",
            &path,
            Some(&json!({ "providerName": "AZURE", "tenantId": CUSTOMER_TENANT_ID, "servicePrincipalId": atlas_world::CUSTOMER_ATLAS_SP_OBJECT_ID })),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["atlasAzureAppId"],
        xtcmk::atlas::ATLAS_AZURE_APP_ID,
        "derived"
    );
    let id = a.body["_id"].as_str().unwrap().to_string();
    assert!(xtcmk::atlas::RoleId::parse_field("_id", &id).is_ok());
    let list = atlas.get(&path).await;
    assert_eq!(list.body["azureServicePrincipals"][0]["_id"], id);
    assert_eq!(atlas.get(&format!("{path}/{id}")).await.status, 200);
}
