//! Issue 3 acceptance, Azure CLI and managed-identity flows through the real credentials of
//! `azure_identity`: `AzureCliCredential` runs the harness's `az` shim (found on `PATH`, signed in
//! through `AZURE_CONFIG_DIR`), `ManagedIdentityCredential` calls the simulator's identity
//! endpoint (`IDENTITY_ENDPOINT`/`IDENTITY_HEADER`). Both read the process environment, so each
//! case runs in a child process of this test binary (the `#[ignore]`d `child` test) with the
//! environment the harness gives; the parent owns the simulator and checks its request log.

use serde_json::Value;
use std::process::Command;
use xtcmk::http::{Audience, AuthMethod, HttpStack};
use xtcmk::{Cloud, TenantId};
use xtcmk_sim::Sim;
use xtcmk_sim::scenario::demo;

const CASE: &str = "XTCMK_SIM_TEST_CASE";

/// Runs the `child` test in a child process with `env` and case `case`; returns its output.
fn run_child(case: &str, env: Vec<(String, String)>) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .envs(env)
        .env(CASE, case)
        .output()
        .unwrap()
}

fn assert_child_ok(out: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn az_shim_tokens_reach_arm_and_graph_through_the_real_stack() {
    let sim = Sim::demo();
    let out = run_child(
        "user",
        sim.env_as_user(demo::PROVIDER, demo::PROVIDER_ADMIN),
    );
    assert_child_ok(&out);
    let entries = sim.log().entries();
    let arm = entries
        .iter()
        .find(|e| e.path == format!("/subscriptions/{}", demo::PROVIDER_SUBSCRIPTION_ID))
        .expect("the ARM call reached the simulator");
    assert_eq!(arm.status, 200);
    assert_eq!(arm.user.as_deref(), Some(demo::PROVIDER_ADMIN));
    let graph = entries
        .iter()
        .find(|e| e.path == "/v1.0/me")
        .expect("the Graph call");
    assert_eq!(graph.status, 200);
    assert_eq!(graph.user.as_deref(), Some(demo::PROVIDER_ADMIN));
    // The shim's own requests go to the admin endpoint, which is not logged; no token endpoint use.
    assert!(
        entries.iter().all(|e| !e.path.contains("oauth2")),
        "{:?}",
        sim.log().summary()
    );
}

#[test]
fn az_shim_refuses_a_tenant_the_user_is_not_in() {
    let sim = Sim::demo();
    let out = run_child(
        "foreign-tenant",
        sim.env_as_user(demo::PROVIDER, demo::PROVIDER_ADMIN),
    );
    assert_child_ok(&out);
    assert!(sim.log().entries().is_empty(), "{:?}", sim.log().summary());
}

#[test]
fn without_az_login_the_credential_says_so() {
    let sim = Sim::demo();
    let mut env = sim.env_as_user(demo::PROVIDER, demo::PROVIDER_ADMIN);
    let empty = tempfile::tempdir().unwrap();
    for (k, v) in env.iter_mut() {
        if k == "AZURE_CONFIG_DIR" {
            *v = empty.path().display().to_string();
        }
    }
    let out = run_child("not-signed-in", env);
    assert_child_ok(&out);
}

const MI_CLIENT_ID: &str = "30000000-0000-4000-8000-0000000000d1";
const MI_PRINCIPAL_ID: &str = "30000000-0000-4000-8000-0000000000d2";

#[test]
fn managed_identity_tokens_from_the_identity_endpoint() {
    let mut scenario = xtcmk_sim::Scenario::demo();
    let provider = scenario
        .tenants
        .iter_mut()
        .find(|t| t.alias == demo::PROVIDER)
        .unwrap();
    provider
        .managed_identities
        .push(xtcmk_sim::scenario::ManagedIdentitySpec {
            name: "id-workload".into(),
            subscription: demo::PROVIDER_SUBSCRIPTION_ID.parse().unwrap(),
            resource_group: demo::PROVIDER_RESOURCE_GROUP.into(),
            location: None,
            client_id: MI_CLIENT_ID.parse().unwrap(),
            principal_id: MI_PRINCIPAL_ID.parse().unwrap(),
        });
    // ARM reads need a role: the identity reads the subscription.
    provider.subscriptions[0]
        .role_assignments
        .push(xtcmk_sim::scenario::RoleAssignmentSpec {
            principal: MI_CLIENT_ID.into(),
            role: xtcmk_sim::arm::role_definitions::READER.into(),
            scope: None,
        });
    let sim = Sim::start(scenario);
    let id = MI_CLIENT_ID.parse().unwrap();
    let out = run_child(
        "managed-identity",
        sim.env_as_managed_identity(&[id], Some(&id)),
    );
    assert_child_ok(&out);
    let arm = sim
        .log()
        .matching("GET", "/subscriptions/*")
        .pop()
        .expect("the ARM call reached the simulator");
    assert_eq!(arm.principal.as_deref(), Some(MI_PRINCIPAL_ID));
    assert_eq!(sim.log().count("GET", "/msi/token"), 1);
}

/// The child side: only runs when the parent sets the case.
#[tokio::test]
#[ignore = "run by the tests above in a child process"]
async fn child() {
    let Ok(case) = std::env::var(CASE) else {
        println!("skipped: runs only as a child of the az shim tests");
        return;
    };
    let cloud = Cloud::select(&std::env::var("XTCMK_CLOUD").unwrap()).unwrap();
    let stack = HttpStack::from_env(cloud, AuthMethod::Cli).unwrap();
    let provider: TenantId = demo::PROVIDER_TENANT_ID.parse().unwrap();
    let customer: TenantId = demo::CUSTOMER_TENANT_ID.parse().unwrap();
    match case.as_str() {
        "user" => {
            let sub: Value = stack
                .arm(Some(&provider))
                .unwrap()
                .get(
                    &format!("/subscriptions/{}", demo::PROVIDER_SUBSCRIPTION_ID),
                    "2022-12-01",
                )
                .await
                .unwrap()
                .unwrap();
            assert_eq!(sub["tenantId"], demo::PROVIDER_TENANT_ID);
            let me: Value = stack
                .graph(Some(&provider))
                .unwrap()
                .get("/me")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(me["userPrincipalName"], demo::PROVIDER_ADMIN);
            let claims = stack.signed_in(None, Audience::Arm).await.unwrap();
            assert_eq!(claims.upn.as_deref(), Some(demo::PROVIDER_ADMIN));
            assert_eq!(claims.tid.as_deref(), Some(demo::PROVIDER_TENANT_ID));
        }
        "foreign-tenant" => {
            let err = stack
                .signed_in(Some(&customer), Audience::Graph)
                .await
                .unwrap_err();
            let text = format!("{err:#}");
            assert!(text.contains("AADSTS50020"), "{text}");
            assert!(text.contains(demo::PROVIDER_ADMIN), "{text}");
        }
        "not-signed-in" => {
            let err = stack.signed_in(None, Audience::Arm).await.unwrap_err();
            let text = format!("{err:#}");
            assert!(text.contains("az login"), "{text}");
        }
        "managed-identity" => {
            let stack = HttpStack::from_env(
                Cloud::select(&std::env::var("XTCMK_CLOUD").unwrap()).unwrap(),
                AuthMethod::ManagedIdentity,
            )
            .unwrap();
            let claims = stack.signed_in(None, Audience::Arm).await.unwrap();
            assert_eq!(claims.oid.as_deref(), Some(MI_PRINCIPAL_ID));
            let sub: Option<Value> = stack
                .arm(None)
                .unwrap()
                .get(
                    &format!("/subscriptions/{}", demo::PROVIDER_SUBSCRIPTION_ID),
                    "2022-12-01",
                )
                .await
                .unwrap();
            assert!(sub.is_some());
        }
        other => panic!("unknown case {other}"),
    }
}
