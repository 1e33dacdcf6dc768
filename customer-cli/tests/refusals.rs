//! Every wrong starting state of `onboard` ends with exit 1 and a message naming the fix —
//! before any write where the tool can tell in advance.

mod common;

use common::*;
use xtcmk_sim::arm::role_definitions;
use xtcmk_sim::scenario::demo::*;

/// Runs onboard, expects exit 1, no write, and the message naming `fix`; snapshots stderr.
fn refused(w: &World, upn: &str, extra: &[&str], fix: &str, snapshot: &str) {
    let run = w.run_as(upn, &w.onboard_args(extra));
    assert_eq!(run.code, 1, "{}", run.shown());
    assert!(run.stderr.contains(fix), "no `{fix}` in:\n{}", run.shown());
    assert!(w.writes().is_empty(), "wrote: {:#?}", w.writes());
    w.snapshot(snapshot, &run.shown());
}

#[test]
fn a_user_without_a_directory_role_cannot_install_the_app() {
    let w = World::new();
    refused(
        &w,
        CUSTOMER_USER,
        &["--yes"],
        "Cloud Application Administrator",
        "refused_no_directory_role",
    );
    assert!(w.service_principal().is_none());
}

#[test]
fn a_vault_without_purge_protection_is_refused_then_fixed_with_fix() {
    let w = World::with(scenario_with_vault(false, true));
    refused(
        &w,
        CUSTOMER_ADMIN,
        &["--yes"],
        "--fix",
        "refused_no_purge_protection",
    );
    let run = w.run(&w.onboard_args(&["--yes", "--fix"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert!(
        w.writes()
            .iter()
            .any(|e| e.starts_with("PATCH arm ") && e.ends_with(VAULT)),
        "{:#?}",
        w.writes()
    );
    let state = w.sim.state();
    let vault = state.resource(&w.vault_id()).unwrap();
    assert_eq!(vault.body["properties"]["enablePurgeProtection"], true);
}

#[test]
fn a_vault_name_taken_elsewhere_is_refused() {
    let mut s = scenario();
    let provider = s.tenants.iter_mut().find(|t| t.alias == PROVIDER).unwrap();
    provider.subscriptions[0]
        .vaults
        .push(xtcmk_sim::scenario::VaultSpec {
            name: VAULT.into(),
            resource_group: PROVIDER_RESOURCE_GROUP.into(),
            location: None,
            sku: "standard".into(),
            enable_soft_delete: true,
            enable_purge_protection: true,
            enable_rbac_authorization: true,
        });
    let w = World::with(s);
    refused(
        &w,
        CUSTOMER_ADMIN,
        &["--yes"],
        "choose another --vault",
        "refused_name_taken",
    );
}

#[test]
fn a_soft_deleted_vault_is_refused_then_recovered_with_recover() {
    let w = World::with(scenario_with_vault(true, true));
    {
        let mut state = w.sim.state();
        let vault = state
            .resources
            .remove(&w.vault_id().to_ascii_lowercase())
            .unwrap();
        state.deleted_vaults.add(
            CUSTOMER_SUBSCRIPTION_ID.parse().unwrap(),
            CUSTOMER_RESOURCE_GROUP,
            vault.body,
        );
    }
    refused(
        &w,
        CUSTOMER_ADMIN,
        &["--yes"],
        "--recover",
        "refused_soft_deleted",
    );
    let run = w.run(&w.onboard_args(&["--yes", "--recover"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert!(w.sim.state().resource(&w.vault_id()).is_some());
    assert!(w.sim.state().deleted_vaults.0.is_empty());
}

#[test]
fn a_firewall_that_blocks_azure_services_is_refused() {
    let w = World::with(scenario_with_vault(true, true));
    w.edit_vault(|v| {
        v["properties"]["networkAcls"] =
            serde_json::json!({ "defaultAction": "Deny", "bypass": "None", "ipRules": [], "virtualNetworkRules": [] });
    });
    refused(
        &w,
        CUSTOMER_ADMIN,
        &["--yes"],
        "--bypass AzureServices",
        "refused_firewall",
    );
}

#[test]
fn an_ec_key_is_refused() {
    let w = World::with(scenario_with_vault(true, true));
    w.grant(
        &w.vault_id(),
        role_definitions::KEY_VAULT_CRYPTO_OFFICER,
        CUSTOMER_ADMIN_ID,
    );
    w.seed_key("EC", &["sign", "verify"]);
    refused(
        &w,
        CUSTOMER_ADMIN,
        &["--yes"],
        "must be RSA",
        "refused_ec_key",
    );
}

#[test]
fn a_key_without_wrap_key_is_refused() {
    let w = World::with(scenario_with_vault(true, true));
    w.grant(
        &w.vault_id(),
        role_definitions::KEY_VAULT_CRYPTO_OFFICER,
        CUSTOMER_ADMIN_ID,
    );
    w.seed_key("RSA", &["encrypt", "decrypt"]);
    refused(
        &w,
        CUSTOMER_ADMIN,
        &["--yes"],
        "--ops encrypt decrypt wrapKey unwrapKey",
        "refused_key_without_wrap",
    );
}

#[test]
fn an_access_policy_vault_with_rbac_requested_is_refused() {
    let w = World::with(scenario_with_vault(true, false));
    refused(
        &w,
        CUSTOMER_ADMIN,
        &["--yes", "--permission-model", "rbac"],
        "omit --permission-model",
        "refused_access_policy_vault",
    );
}

#[test]
fn without_a_terminal_and_without_yes_nothing_is_written() {
    let w = World::new();
    let run = w.run(&w.onboard_args(&[]));
    assert_eq!(run.code, 2, "{}", run.shown());
    assert!(run.stderr.contains("--yes"), "{}", run.shown());
    assert!(w.writes().is_empty(), "{:#?}", w.writes());
}

#[test]
fn a_missing_resource_group_is_named() {
    let w = World::new();
    let mut args = w.onboard_args(&["--yes"]);
    let i = args.iter().position(|a| a == "--resource-group").unwrap();
    args[i + 1] = "rg-missing".into();
    let run = w.run(&args);
    assert_eq!(run.code, 1, "{}", run.shown());
    assert!(run.stderr.contains("rg-missing"), "{}", run.shown());
    assert!(w.writes().is_empty(), "{:#?}", w.writes());
    w.snapshot("refused_missing_resource_group", &run.shown());
}
