//! Issue 3 acceptance, client-secret flow: the real HTTP stack of `xtcmk` (azure_identity's
//! ClientSecretCredential, the bearer policy, the retry policy, the LRO poller, the Key Vault
//! SDK's challenge) against an in-process simulator.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use xtcmk::http::{AuthMethod, HttpStack, RetrySettings, StaticTokenCredential};
use xtcmk::{Secret, TenantId};
use xtcmk_sim::faults::{FaultRule, Step};
use xtcmk_sim::scenario::{VaultSpec, demo};
use xtcmk_sim::state::ArmResource;
use xtcmk_sim::{Scenario, Sim};

const ARM_API: &str = "2022-12-01";

/// The stack a binary would build from `env` (plus `extra` settings).
fn stack(sim: &Sim, env: Vec<(String, String)>, extra: &[(&str, &str)]) -> HttpStack {
    let mut vars: HashMap<String, String> = env.into_iter().collect();
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    let vars = Arc::new(vars);
    let lookup = {
        let vars = vars.clone();
        move |name: &str| vars.get(name).cloned()
    };
    let settings = RetrySettings::from_lookup(|name| vars.get(name).cloned()).unwrap();
    HttpStack::builder(sim.cloud().clone())
        .auth(AuthMethod::ClientSecret)
        .env(lookup)
        .retry(settings)
        .build()
        .unwrap()
}

fn ci_stack(sim: &Sim, extra: &[(&str, &str)]) -> HttpStack {
    stack(
        sim,
        sim.env_as_app(demo::PROVIDER, demo::CI_APP_ID, demo::CI_SECRET),
        extra,
    )
}

fn provider_sub() -> String {
    format!("/subscriptions/{}", demo::PROVIDER_SUBSCRIPTION_ID)
}

#[tokio::test]
async fn arm_and_graph_calls_with_client_secret_tokens() {
    let sim = Sim::demo();
    let stack = ci_stack(&sim, &[]);
    let sub: Value = stack
        .arm(None)
        .unwrap()
        .get(&provider_sub(), ARM_API)
        .await
        .unwrap()
        .expect("the provider subscription exists");
    assert_eq!(sub["tenantId"], demo::PROVIDER_TENANT_ID);
    let org: Value = stack
        .graph(None)
        .unwrap()
        .get("/organization")
        .await
        .unwrap()
        .expect("the organization answers");
    assert_eq!(org["value"][0]["id"], demo::PROVIDER_TENANT_ID, "{org}");

    let entries = sim.log().entries();
    let token_requests: Vec<_> = entries
        .iter()
        .filter(|e| e.path.ends_with("/oauth2/v2.0/token"))
        .collect();
    assert_eq!(
        token_requests.len(),
        2,
        "one token per audience: {:?}",
        sim.log().summary()
    );
    let arm = entries.iter().find(|e| e.path == provider_sub()).unwrap();
    assert_eq!(arm.status, 200);
    assert_eq!(arm.app_id.as_deref(), Some(demo::CI_APP_ID));
    assert_eq!(arm.tenant.as_deref(), Some(demo::PROVIDER_TENANT_ID));
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_entra() {
    let sim = Sim::demo();
    let stack = stack(
        &sim,
        sim.env_as_app(demo::PROVIDER, demo::CI_APP_ID, "not-the-secret"),
        &[],
    );
    let err = stack
        .arm(None)
        .unwrap()
        .get::<Value>(&provider_sub(), ARM_API)
        .await
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("7000215"), "{text}");
    assert!(!text.contains("not-the-secret"), "{text}");
}

#[tokio::test]
async fn tokens_for_the_wrong_tenant_or_audience_get_401() {
    let sim = Sim::demo();
    // The CI app signs in to the provider tenant; the customer's subscription lives elsewhere.
    let stack = ci_stack(&sim, &[]);
    let err = stack
        .arm(None)
        .unwrap()
        .get::<Value>(
            &format!("/subscriptions/{}", demo::CUSTOMER_SUBSCRIPTION_ID),
            ARM_API,
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err:#}");
    assert_eq!(
        err.code(),
        Some("InvalidAuthenticationTokenTenant"),
        "{err:#}"
    );

    // A Graph token presented to ARM.
    let graph_token = sim.user_token(
        demo::PROVIDER,
        demo::PROVIDER_ADMIN,
        &sim.cloud().graph_audience,
    );
    let wrong = HttpStack::builder(sim.cloud().clone())
        .credential(
            "static",
            Arc::new(StaticTokenCredential::new(
                Secret::new(graph_token),
                Duration::from_secs(3600),
            )),
        )
        .build()
        .unwrap();
    let err = wrong
        .arm(None)
        .unwrap()
        .get::<Value>(&provider_sub(), ARM_API)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err:#}");
    assert_eq!(
        err.code(),
        Some("InvalidAuthenticationTokenAudience"),
        "{err:#}"
    );
    // And an ARM token presented to Graph.
    let arm_token = sim.user_token(
        demo::PROVIDER,
        demo::PROVIDER_ADMIN,
        &sim.cloud().resource_manager_audience,
    );
    let wrong = HttpStack::builder(sim.cloud().clone())
        .credential(
            "static",
            Arc::new(StaticTokenCredential::new(
                Secret::new(arm_token),
                Duration::from_secs(3600),
            )),
        )
        .build()
        .unwrap();
    let err = wrong
        .graph(None)
        .unwrap()
        .get::<Value>("/organization")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err:#}");
}

#[tokio::test]
async fn throttled_twice_then_ok_takes_three_attempts_and_records_the_waits() {
    let sim = Sim::demo();
    let rule = sim.faults().add(
        FaultRule::on("GET", "/subscriptions/*").sequence([Step::throttle(1), Step::throttle(1)]),
    );
    let stack = ci_stack(&sim, &[]);
    let sub: Option<Value> = stack
        .arm(None)
        .unwrap()
        .get(&provider_sub(), ARM_API)
        .await
        .unwrap();
    assert!(sub.is_some());
    assert_eq!(sim.faults().hits(rule), 2);
    let attempts = sim.log().matching("GET", "/subscriptions/*");
    let statuses: Vec<u16> = attempts.iter().map(|e| e.status).collect();
    assert_eq!(statuses, vec![429, 429, 200]);
    let waits = stack.requested_waits();
    assert_eq!(waits.len(), 2, "{waits:?}");
    assert!(
        waits.iter().all(|w| *w >= Duration::from_secs(1)),
        "{waits:?}"
    );
}

#[tokio::test]
async fn unavailable_forever_gives_up_saying_how_many_attempts() {
    let sim = Sim::demo();
    sim.faults()
        .add(FaultRule::on("GET", "/subscriptions/**").forever(Step::status(503)));
    let stack = ci_stack(&sim, &[("XTCMK_MAX_RETRIES", "3")]);
    let err = stack
        .arm(None)
        .unwrap()
        .get::<Value>(&provider_sub(), ARM_API)
        .await
        .unwrap_err();
    assert_eq!(sim.log().count("GET", "/subscriptions/*"), 4);
    let text = format!("{err:#}");
    assert!(text.contains("4 attempts"), "{text}");
    assert_eq!(stack.requested_waits().len(), 3);
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let sim = Sim::demo();
    sim.faults()
        .add(FaultRule::on("GET", "/subscriptions/*").sequence([Step::drop_connection()]));
    let stack = ci_stack(&sim, &[]);
    let sub: Option<Value> = stack
        .arm(None)
        .unwrap()
        .get(&provider_sub(), ARM_API)
        .await
        .unwrap();
    assert!(sub.is_some());
    let statuses: Vec<u16> = sim
        .log()
        .matching("GET", "/subscriptions/*")
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses, vec![0, 200]);
}

#[tokio::test]
async fn a_long_running_deployment_is_followed_to_the_end() {
    let sim = Sim::demo();
    let stack = ci_stack(&sim, &[]);
    let path = format!(
        "{}/resourcegroups/{}/providers/Microsoft.Resources/deployments/d1",
        provider_sub(),
        demo::PROVIDER_RESOURCE_GROUP
    );
    let body = json!({
        "properties": {
            "mode": "Incremental",
            "template": { "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "resources": [] }
        }
    });
    let done: Value = stack
        .arm(None)
        .unwrap()
        .put_lro(&path, "2025-04-01", &body)
        .await
        .unwrap();
    assert_eq!(
        done["properties"]["provisioningState"], "Succeeded",
        "{done}"
    );
    let polls: Vec<_> = sim.log().matching("GET", "**/operationStatuses/*");
    assert_eq!(polls.len(), 3, "{:?}", sim.log().summary());
    // The operation reported each state once.
    let state = sim.state();
    let op = state.operations.values().next().unwrap();
    assert_eq!(op.steps, vec!["Accepted", "InProgress", "Succeeded"]);
    assert!(op.is_terminal());
}

#[tokio::test]
async fn an_unknown_body_member_gets_arms_error_shape() {
    let sim = Sim::demo();
    let stack = ci_stack(&sim, &[]);
    let path = format!(
        "{}/resourcegroups/{}/providers/Microsoft.Resources/deployments/d2",
        provider_sub(),
        demo::PROVIDER_RESOURCE_GROUP
    );
    let err = stack
        .arm(None)
        .unwrap()
        .put_lro::<_, Value>(
            &path,
            "2025-04-01",
            &json!({ "properties": { "mode": "Incremental", "bogus": 1 } }),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("InvalidRequestContent"));
    assert!(format!("{err}").contains("bogus"), "{err}");
}

fn with_vault() -> Scenario {
    let mut scenario = Scenario::demo();
    let provider = scenario
        .tenants
        .iter_mut()
        .find(|t| t.alias == demo::PROVIDER)
        .unwrap();
    provider.subscriptions[0].vaults.push(VaultSpec {
        name: "kv-provider-1".into(),
        resource_group: demo::PROVIDER_RESOURCE_GROUP.into(),
        location: None,
        sku: "standard".into(),
        enable_soft_delete: true,
        enable_purge_protection: true,
        enable_rbac_authorization: true,
    });
    scenario
}

fn grant_crypto_officer(sim: &Sim, principal: &str) {
    let vault = format!(
        "{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/kv-provider-1",
        provider_sub(),
        demo::PROVIDER_RESOURCE_GROUP
    );
    let id = format!(
        "{vault}/providers/Microsoft.Authorization/roleAssignments/{}",
        uuid::Uuid::new_v4()
    );
    sim.state().put_resource(ArmResource {
        id: id.clone(),
        subscription: demo::PROVIDER_SUBSCRIPTION_ID.parse().unwrap(),
        resource_group: demo::PROVIDER_RESOURCE_GROUP.into(),
        kind: "Microsoft.Authorization/roleAssignments".into(),
        name: id.rsplit('/').next().unwrap().into(),
        body: json!({
            "id": id,
            "properties": {
                "scope": vault,
                "principalId": principal,
                "principalType": "ServicePrincipal",
                "roleDefinitionId": format!("{}/providers/Microsoft.Authorization/roleDefinitions/14b46e9e-c2b7-41b4-b07b-48a6ebf60603", provider_sub()),
            }
        }),
    });
}

#[tokio::test]
async fn key_vault_challenge_then_create_and_get_a_key() {
    let sim = Sim::start(with_vault());
    let stack = ci_stack(&sim, &[]);
    let tenant: TenantId = demo::PROVIDER_TENANT_ID.parse().unwrap();
    let vault_url = sim.cloud().vault_url("kv-provider-1");
    let kv = stack.key_vault(Some(&tenant), &vault_url).unwrap();
    use azure_security_keyvault_keys::models::KeyOperation;
    let ops = [KeyOperation::WrapKey, KeyOperation::UnwrapKey];

    let err = kv.create_rsa_key("cmk", 3072, &ops).await.unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:#}");
    assert!(
        format!("{err:#}").contains("Microsoft.KeyVault/vaults/keys/create/action"),
        "{err:#}"
    );

    grant_crypto_officer(&sim, demo::CI_SP_OBJECT_ID);
    let created = kv.create_rsa_key("cmk", 3072, &ops).await.unwrap();
    let kid = created.key.as_ref().and_then(|k| k.kid.clone()).unwrap();
    assert!(kid.starts_with(&format!("{vault_url}keys/cmk/")), "{kid}");
    let fetched = kv.get_key("cmk").await.unwrap().expect("the key exists");
    assert_eq!(fetched.key.and_then(|k| k.kid), Some(kid));
    assert!(kv.get_key("absent").await.unwrap().is_none());

    // The first request of the client went without a token and met the challenge.
    let first = sim
        .log()
        .entries()
        .into_iter()
        .find(|e| e.service == xtcmk_sim::service::Service::KeyVault)
        .unwrap();
    assert_eq!((first.status, first.auth_refused), (401, true));
}
