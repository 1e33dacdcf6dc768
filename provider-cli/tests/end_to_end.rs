//! The three phases through the built binaries on the simulator's demo world: `setup` writes the
//! invitation, the customer's `onboard` writes the handoff, `cosmos deploy` creates the account on
//! the customer's key. The stored account has the versionless key URI and the exact default
//! identity; the PUT sent is the builder's body (which `shared/tests/cosmos_schema.rs` validates
//! against the published 2022-05-15 and 2026-07-15 schemas); a second deploy writes nothing; the
//! template `cosmos template` writes, deployed through ARM's deployments route, gives the same
//! account.

mod common;

use common::{BIN, workspace_bin};
use serde_json::Value;
use tempfile::TempDir;
use xtcmk::cosmos::{AccountName, CosmosCmkAccount, Location};
use xtcmk::{Handoff, ResourceId};
use xtcmk_sim::bin_run::run_bin;
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::{Scenario, Sim};

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|s| s.to_string()).collect()
}

/// The account as compared across names and runs.
fn comparable(account: &Value, name: &str) -> Value {
    let mut a = account.clone();
    a["properties"]
        .as_object_mut()
        .unwrap()
        .remove("instanceId");
    serde_json::from_str(&a.to_string().replace(name, "NAME")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitation_onboard_deploy_through_the_binaries() {
    let sim = Sim::start(Scenario::demo());
    let dir = TempDir::new().unwrap();
    let provider = sim.env_as_user(PROVIDER, PROVIDER_ADMIN);
    let customer = sim.env_as_user(CUSTOMER, CUSTOMER_ADMIN);
    let uami = format!(
        "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-cmk"
    );

    let setup = run_bin(
        BIN,
        dir.path(),
        &args(&[
            "setup",
            "--tenant",
            PROVIDER_TENANT_ID,
            "--subscription",
            PROVIDER_SUBSCRIPTION_ID,
            "--resource-group",
            PROVIDER_RESOURCE_GROUP,
            "--location",
            LOCATION,
            "--app-name",
            "Contoso CMK",
            "--identity-name",
            "uami-cmk",
            "--invitation-out",
            "invitation.json",
        ]),
        &provider,
    );
    assert_eq!(setup.code, 0, "{}", setup.shown());

    let customer_bin = workspace_bin("xtcmk-customer");
    let onboard = run_bin(
        customer_bin.to_str().unwrap(),
        dir.path(),
        &args(&[
            "onboard",
            "--invitation",
            "invitation.json",
            "--subscription",
            CUSTOMER_SUBSCRIPTION_ID,
            "--resource-group",
            CUSTOMER_RESOURCE_GROUP,
            "--location",
            LOCATION,
            "--vault",
            "fabrikam-cmk",
            "--key",
            "cmk",
            "--handoff-out",
            "handoff.json",
            "--yes",
        ]),
        &customer,
    );
    assert_eq!(onboard.code, 0, "{}", onboard.shown());

    let deploy_args = args(&[
        "cosmos",
        "deploy",
        "--handoff",
        "handoff.json",
        "--identity",
        &uami,
        "--subscription",
        PROVIDER_SUBSCRIPTION_ID,
        "--resource-group",
        PROVIDER_RESOURCE_GROUP,
        "--account",
        "fabrikam-data",
        "--location",
        LOCATION,
        "--output",
        "json",
    ]);
    let mark = sim.log().mark();
    let deploy = run_bin(BIN, dir.path(), &deploy_args, &provider);
    assert_eq!(deploy.code, 0, "{}", deploy.shown());
    let doc: Value = serde_json::from_str(&deploy.stdout).unwrap();
    assert_eq!(doc["steps"][0]["step"], "cosmos-account");
    assert_eq!(doc["steps"][0]["outcome"], "created");
    assert_eq!(doc["customerManagedKeyStatus"]["state"], "confirmed");

    // What was stored: the versionless key URI and the exact default identity.
    let handoff =
        Handoff::read_from_file("handoff", &dir.path().join("handoff.json"), sim.cloud()).unwrap();
    let app_id = handoff.app_id;
    let key = handoff.key.versionless();
    assert!(key.to_string().ends_with("/keys/cmk"), "{key}");
    let account_id = ResourceId::cosmos_account(
        PROVIDER_SUBSCRIPTION_ID.parse().unwrap(),
        PROVIDER_RESOURCE_GROUP,
        "fabrikam-data",
    );
    let stored = sim
        .state()
        .resource(&account_id.to_string())
        .unwrap()
        .body
        .clone();
    assert_eq!(stored["properties"]["keyVaultKeyUri"], key.to_string());
    assert_eq!(
        stored["properties"]["defaultIdentity"],
        format!("UserAssignedIdentity={uami}&FederatedClientId={app_id}")
    );
    assert_eq!(doc["keyVaultKeyUri"], key.to_string());

    // The PUT sent is the builder's body, which the schema tests validate.
    let puts: Vec<Value> = sim
        .log()
        .since(mark)
        .into_iter()
        .filter(|e| e.method == "PUT" && e.path.ends_with("/databaseAccounts/fabrikam-data"))
        .map(|e| e.body.unwrap())
        .collect();
    let expected = CosmosCmkAccount::new(
        AccountName::parse_field("--account", "fabrikam-data").unwrap(),
        Location::parse_field("--location", LOCATION).unwrap(),
        uami.parse().unwrap(),
        app_id,
        key.clone(),
    )
    .unwrap();
    assert_eq!(puts, [expected.account_body()]);
    assert_eq!(
        sim.log()
            .since(mark)
            .iter()
            .find(|e| e.method == "PUT")
            .unwrap()
            .query,
        format!("api-version={}", xtcmk::cosmos::API_VERSION)
    );

    // A second deploy writes nothing.
    let mark = sim.log().mark();
    let again = run_bin(BIN, dir.path(), &deploy_args, &provider);
    assert_eq!(again.code, 0, "{}", again.shown());
    let doc: Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(doc["writes"], 0);
    assert!(
        sim.log()
            .since(mark)
            .iter()
            .all(|e| !e.is_effective_write()),
        "{:#?}",
        sim.log().since(mark)
    );

    // The template of the same handoff, deployed through ARM's deployments route, gives the same
    // account.
    let template = run_bin(
        BIN,
        dir.path(),
        &args(&[
            "cosmos",
            "template",
            "--handoff",
            "handoff.json",
            "--identity",
            &uami,
            "--account",
            "fabrikam-tpl",
            "--location",
            LOCATION,
            "--out",
            "tpl",
        ]),
        &provider,
    );
    assert_eq!(template.code, 0, "{}", template.shown());
    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("tpl").join(f)).unwrap())
            .unwrap()
    };
    let body = serde_json::json!({ "properties": {
        "mode": "Incremental",
        "template": read(xtcmk::cosmos::TEMPLATE_FILE_NAME),
        "parameters": read(xtcmk::cosmos::PARAMETERS_FILE_NAME)["parameters"],
    }});
    let arm = sim
        .stack_as_user(PROVIDER, PROVIDER_ADMIN)
        .arm(None)
        .unwrap();
    let deployment = format!(
        "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.Resources/deployments/fabrikam-tpl"
    );
    let done: Value = arm.put_lro(&deployment, "2026-09-01", &body).await.unwrap();
    assert_eq!(
        done["properties"]["provisioningState"], "Succeeded",
        "{done}"
    );
    let tpl_id = ResourceId::cosmos_account(
        PROVIDER_SUBSCRIPTION_ID.parse().unwrap(),
        PROVIDER_RESOURCE_GROUP,
        "fabrikam-tpl",
    );
    let deployed = sim
        .state()
        .resource(&tpl_id.to_string())
        .unwrap()
        .body
        .clone();
    let stored = sim
        .state()
        .resource(&account_id.to_string())
        .unwrap()
        .body
        .clone();
    assert_eq!(
        comparable(&deployed, "fabrikam-tpl"),
        comparable(&stored, "fabrikam-data")
    );
}
