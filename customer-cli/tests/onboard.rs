//! `xtcmk-customer onboard` end to end against the simulator: a fresh tenant gets exactly the
//! expected writes and a handoff, a second run writes nothing, the grant is right, and every
//! wrong starting state ends with exit 1 and the fix, before any write where possible.

mod common;

use common::*;
use serde_json::Value;
use xtcmk_sim::scenario::demo::*;

#[test]
fn fresh_tenant_installs_everything_then_a_second_run_writes_nothing() {
    let w = World::new();
    let first = w.run(&w.onboard_args(&["--yes"]));
    assert_eq!(first.code, 0, "{}", first.shown());

    let sp = w
        .service_principal()
        .expect("the service principal is installed");
    let writes = w.writes();
    let expected_writes = [
        format!("PATCH graph /v1.0/servicePrincipals(appId='{APP_ID}')"),
        format!(
            "PUT arm /subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourceGroups/{CUSTOMER_RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/{VAULT}"
        ),
    ];
    assert_eq!(writes[..2], expected_writes[..], "{writes:#?}");
    assert_eq!(writes.len(), 5, "{writes:#?}");
    assert!(writes[2].starts_with(&format!("PUT arm /subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourceGroups/{CUSTOMER_RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/{VAULT}/providers/Microsoft.Authorization/roleAssignments/")), "{writes:#?}");
    // The key is made through Resource Manager's create-if-not-exist, never a second version.
    assert_eq!(
        writes[3],
        format!(
            "PUT arm /subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourceGroups/{CUSTOMER_RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/{VAULT}/keys/{KEY}"
        ),
        "{writes:#?}"
    );
    assert!(writes[4].starts_with(&format!("PUT arm /subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourceGroups/{CUSTOMER_RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/{VAULT}/keys/{KEY}/providers/Microsoft.Authorization/roleAssignments/")), "{writes:#?}");

    let handoff: Value =
        serde_json::from_str(&std::fs::read_to_string(w.handoff_path()).unwrap()).unwrap();
    assert_eq!(handoff["servicePrincipalObjectId"], sp.to_string());
    assert_eq!(handoff["appId"], APP_ID);
    assert_eq!(handoff["permissionModel"], "rbac");
    w.snapshot("onboard_fresh", &first.shown());

    let mark = w.sim.log().mark();
    let second = w.run(&w.onboard_args(&["--yes"]));
    assert_eq!(second.code, 0, "{}", second.shown());
    let again: Vec<_> = w
        .sim
        .log()
        .since(mark)
        .into_iter()
        .filter(|e| e.is_effective_write())
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(
        again.is_empty(),
        "a second run wrote: {again:#?}\n{}",
        second.shown()
    );
    w.snapshot("onboard_second_run", &second.shown());
}

#[test]
fn the_grant_is_on_the_key_for_the_service_principal_object_id_and_fits_the_spec() {
    let w = World::new();
    let run = w.run(&w.onboard_args(&["--yes"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    let sp = w.service_principal().unwrap().to_string();
    assert_ne!(sp, APP_ID);
    let key_scope = format!("{}/keys/{KEY}", w.vault_id());
    let puts = w.sim.log().matching(
        "PUT",
        &format!("{key_scope}/providers/Microsoft.Authorization/roleAssignments/*"),
    );
    let put = puts.last().expect("a role assignment PUT at the key");
    assert_eq!(put.status, 201);
    let body = put.body.clone().expect("the PUT has a body");
    let props = &body["properties"];
    assert_eq!(
        props["principalId"],
        sp.as_str(),
        "the principal is the SP object id"
    );
    assert_eq!(props["principalType"], "ServicePrincipal");
    assert!(
        props["roleDefinitionId"]
            .as_str()
            .unwrap()
            .ends_with("/e147488a-f6f5-4113-8e2d-b22465e65bf6"),
        "{body}"
    );
    let state = w.sim.state();
    let stored = state
        .resources
        .values()
        .find(|r| {
            r.kind == "Microsoft.Authorization/roleAssignments"
                && r.body["properties"]["principalId"] == sp.as_str()
        })
        .expect("the assignment is stored");
    assert_eq!(
        stored.body["properties"]["scope"]
            .as_str()
            .unwrap()
            .to_ascii_lowercase(),
        key_scope.to_ascii_lowercase()
    );
    drop(state);

    let Some(specs) = specs_dir() else {
        eprintln!("skipped: ../shared/specs not found");
        return;
    };
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(
            specs.join("authorization/2022-04-01/authorization-RoleAssignmentsCalls.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let schema = serde_json::json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "definitions": spec["definitions"],
        "$ref": "#/definitions/RoleAssignmentCreateParameters",
    });
    let validator = jsonschema::validator_for(&schema).expect("the spec compiles");
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{body}");
    // Unknown members would pass the schema (no additionalProperties): check the names too.
    let known = &spec["definitions"]["RoleAssignmentProperties"]["properties"];
    for name in props.as_object().unwrap().keys() {
        assert!(
            known.get(name).is_some(),
            "`{name}` is not in RoleAssignmentProperties"
        );
    }
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["properties"]
    );
}

#[test]
fn replication_and_propagation_delays_and_throttling_are_ridden_out() {
    use xtcmk_sim::faults::{FaultRule, Step};
    use xtcmk_sim::replication::ReplicationRule;
    use xtcmk_sim::service::Service;
    let w = World::new();
    // The new service principal is invisible to ARM's directory lookups for a while; the
    // assignment names principalType ServicePrincipal, so ARM does not look it up at all.
    w.sim.replication().add(ReplicationRule::reads(
        xtcmk_sim::arm::role_assignments::PRINCIPAL,
        2,
    ));
    // The admin's fresh Crypto Officer role reaches the vault's data plane after two requests.
    w.sim.replication().add(ReplicationRule::reads(
        xtcmk_sim::arm::role_assignments::PROPAGATION,
        2,
    ));
    let throttle = w.sim.faults().add(
        FaultRule::on(
            "PUT",
            "/subscriptions/*/resourceGroups/*/providers/Microsoft.KeyVault/vaults/*",
        )
        .sequence([Step::throttle(3)]),
    );
    let unavailable = w.sim.faults().add(
        FaultRule::on("GET", "/v1.0/servicePrincipals*")
            .in_service(Service::Graph)
            .sequence([Step::status(503)]),
    );
    let run = w.run(&w.onboard_args(&["--yes"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert_eq!(w.sim.faults().hits(throttle), 1);
    assert_eq!(w.sim.faults().hits(unavailable), 1);
    let statuses: Vec<u16> = w
        .sim
        .log()
        .matching(
            "PUT",
            &format!(
                "{}/keys/{KEY}/providers/Microsoft.Authorization/roleAssignments/*",
                w.vault_id()
            ),
        )
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(
        statuses,
        [201],
        "principalType ServicePrincipal: created at once, no PrincipalNotFound and no retry"
    );
    assert!(
        w.sim
            .log()
            .entries()
            .iter()
            .all(|e| e.body.is_none() || e.status != 400 || !e.path.contains("roleAssignments")),
        "no refused role assignment: {:?}",
        w.sim.log().summary()
    );
    // The plan knew the vault is new: the admin's key access is granted first; the key's
    // create goes through Resource Manager, which needs no data-plane role, so it succeeds at
    // once, and the data-plane reads ride out the role's propagation (the 403s).
    let creates: Vec<u16> = w
        .sim
        .log()
        .matching("PUT", &format!("{}/keys/{KEY}", w.vault_id()))
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(creates, [200], "{creates:?}");
    assert!(
        w.sim
            .log()
            .matching("POST", &format!("/keys/{KEY}/create"))
            .is_empty(),
        "no data-plane create"
    );
    let reads: Vec<u16> = w
        .sim
        .log()
        .matching("GET", &format!("/keys/{KEY}/"))
        .iter()
        .map(|e| e.status)
        .filter(|s| *s != 401)
        .collect();
    assert_eq!(
        reads.last(),
        Some(&200),
        "the final check reads the created key: {reads:?}"
    );
    assert!(reads.contains(&403), "propagation ridden out: {reads:?}");
    assert!(run.stderr.contains("waiting"), "{}", run.shown());
}

#[test]
fn dry_run_reads_only_and_says_what_it_would_do() {
    let w = World::new();
    let run = w.run(&w.onboard_args(&["--dry-run"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert!(w.writes().is_empty(), "{:#?}", w.writes());
    assert!(!w.handoff_path().exists());
    w.snapshot("onboard_dry_run", &run.shown());
}

/// `(step, outcome, resource)` of a JSON report's steps.
fn steps_of(report: &Value) -> Vec<(String, String, String)> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let text = |k: &str| s[k].as_str().unwrap().to_string();
            (text("step"), text("outcome"), text("resource"))
        })
        .collect()
}

#[test]
fn dry_run_on_a_new_vault_names_the_crypto_officer_grant_the_real_run_makes() {
    let w = World::new();
    let dry = w.run(&w.onboard_args(&["--dry-run", "--output", "json"]));
    assert_eq!(dry.code, 0, "{}", dry.shown());
    let report: Value = serde_json::from_str(&dry.stdout).expect("stdout is JSON");
    // The dry run shows each step once, as its predicted row (the plan's sentences are for the
    // real run's question).
    assert!(
        !dry.stderr.contains("  - your key access:"),
        "{}",
        dry.shown()
    );
    let detail = report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["step"] == "key-access")
        .and_then(|s| s["detail"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(
        detail.contains(CUSTOMER_ADMIN)
            && detail.contains("Key Vault Crypto Officer on the vault")
            && detail.contains("a new RBAC vault gives no one key access"),
        "{}",
        dry.shown()
    );
    let would: Vec<(String, String, String)> = steps_of(&report)
        .into_iter()
        .filter(|(step, ..)| step == "key-access")
        .collect();
    assert_eq!(would.len(), 1, "{would:#?}");
    assert_eq!(would[0].1, "would-create");
    assert!(w.writes().is_empty(), "{:#?}", w.writes());

    // The real run creates exactly the role assignment the dry run named.
    let run = w.run(&w.onboard_args(&["--yes", "--output", "json"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    let report: Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let made: Vec<(String, String, String)> = steps_of(&report)
        .into_iter()
        .filter(|(step, ..)| step == "key-access")
        .collect();
    assert_eq!(
        made,
        [(
            "key-access".to_string(),
            "created".to_string(),
            would[0].2.clone()
        )]
    );
    assert!(
        would[0].2.starts_with(&format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/",
            w.vault_id()
        )),
        "{would:#?}"
    );
}

#[test]
fn an_admin_with_inherited_key_access_is_granted_nothing_and_the_plan_says_nothing() {
    let w = World::new();
    w.grant(
        &format!(
            "/subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourceGroups/{CUSTOMER_RESOURCE_GROUP}"
        ),
        xtcmk_sim::arm::role_definitions::KEY_VAULT_ADMINISTRATOR,
        CUSTOMER_ADMIN_ID,
    );
    let dry = w.run(&w.onboard_args(&["--dry-run"]));
    assert_eq!(dry.code, 0, "{}", dry.shown());
    assert!(!dry.shown().contains("your key access"), "{}", dry.shown());
    let run = w.run(&w.onboard_args(&["--yes"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert!(!run.shown().contains("your key access"), "{}", run.shown());
}

#[test]
fn dry_run_on_an_rbac_vault_without_key_access_names_the_crypto_officer_grant() {
    let w = World::with(scenario_with_vault(true, true));
    let run = w.run(&w.onboard_args(&["--dry-run"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("  your key access    would-create")
                && l.contains(&format!(
                    "Key Vault Crypto Officer on the vault for {CUSTOMER_ADMIN}"
                ))),
        "{}",
        run.shown()
    );
    assert!(
        run.stdout.contains("your key access    would-create"),
        "{}",
        run.shown()
    );
    assert!(w.writes().is_empty(), "{:#?}", w.writes());
}

#[test]
fn json_output_lists_the_steps_and_the_handoff() {
    let w = World::new();
    let run = w.run(&w.onboard_args(&["--yes", "--output", "json"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    let report: Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let outcomes: Vec<(&str, &str)> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap(), s["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("service-principal", "created"),
            ("vault", "created"),
            ("key-access", "created"),
            ("key", "created"),
            ("grant", "created"),
            ("handoff", "created"),
        ]
    );
    assert_eq!(report["writes"], 5);
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["state"] == "ok")
    );
    assert_eq!(report["handoff"]["kind"], "xtcmk.handoff");
    assert!(
        !run.stdout.to_ascii_lowercase().contains("secret\":"),
        "{}",
        run.stdout
    );
}

#[test]
fn atlas_gets_an_encrypt_decrypt_key_and_a_least_privilege_custom_role_made_once() {
    let w = World::new();
    let run = w.run(&w.onboard_args(&["--yes", "--for", "atlas"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    let state = w.sim.state();
    let role = state
        .resources
        .values()
        .find(|r| r.kind == "Microsoft.Authorization/roleDefinitions")
        .expect("the custom role exists")
        .body
        .clone();
    let key_ops = state.keys[VAULT][KEY].versions[0].key_ops.clone();
    drop(state);
    assert_eq!(
        role["properties"]["permissions"][0]["dataActions"],
        serde_json::json!([
            "Microsoft.KeyVault/vaults/keys/read",
            "Microsoft.KeyVault/vaults/keys/encrypt/action",
            "Microsoft.KeyVault/vaults/keys/decrypt/action"
        ])
    );
    assert_eq!(key_ops, ["encrypt", "decrypt"]);
    let handoff: Value =
        serde_json::from_str(&std::fs::read_to_string(w.handoff_path()).unwrap()).unwrap();
    assert_eq!(handoff["target"], "atlas");
    let sp = w.service_principal().unwrap().to_string();
    let grant = w
        .sim
        .log()
        .matching(
            "PUT",
            "**/keys/cmk/providers/Microsoft.Authorization/roleAssignments/*",
        )
        .pop()
        .and_then(|e| e.body)
        .unwrap();
    assert_eq!(grant["properties"]["principalId"], sp.as_str());
    assert!(
        grant["properties"]["roleDefinitionId"]
            .as_str()
            .unwrap()
            .ends_with(role["name"].as_str().unwrap())
    );

    let mark = w.sim.log().mark();
    let again = w.run(&w.onboard_args(&["--yes", "--for", "atlas"]));
    assert_eq!(again.code, 0, "{}", again.shown());
    assert!(
        w.sim
            .log()
            .since(mark)
            .iter()
            .all(|e| !e.is_effective_write()),
        "{}",
        again.shown()
    );
}

#[test]
fn scope_vault_puts_the_grant_on_the_vault() {
    let w = World::new();
    let run = w.run(&w.onboard_args(&["--yes", "--scope", "vault"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    let sp = w.service_principal().unwrap().to_string();
    let state = w.sim.state();
    let scopes: Vec<String> = state
        .resources
        .values()
        .filter(|r| r.body["properties"]["principalId"] == sp.as_str())
        .map(|r| {
            r.body["properties"]["scope"]
                .as_str()
                .unwrap()
                .to_ascii_lowercase()
        })
        .collect();
    assert_eq!(scopes, [w.vault_id().to_ascii_lowercase()]);
}

#[test]
fn a_vault_in_another_region_is_adopted_where_it_is_with_a_warning() {
    let w = World::with(scenario_with_vault(true, true));
    w.edit_vault(|v| v["location"] = "northeurope".into());
    let run = w.run(&w.onboard_args(&["--yes"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert!(
        run.stderr.contains(&format!(
            "warning: vault {VAULT} is in northeurope, not in --location {LOCATION}: it is adopted where it is (a vault cannot be moved to another region)"
        )),
        "{}",
        run.shown()
    );
    assert!(
        run.stderr.contains(&format!(
            "  - vault: keep {} (in northeurope, not --location {LOCATION}: a vault cannot be moved)",
            w.vault_id()
        )),
        "{}",
        run.shown()
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains("vault              unchanged")
                && l.ends_with(
                    "(in northeurope, not --location westeurope: a vault cannot be moved)"
                )),
        "{}",
        run.shown()
    );
    let vault_writes: Vec<String> = w
        .writes()
        .into_iter()
        .filter(|e| e.ends_with(&format!("/vaults/{VAULT}")))
        .collect();
    assert!(vault_writes.is_empty(), "{vault_writes:#?}");
    let state = w.sim.state();
    assert_eq!(
        state.resource(&w.vault_id()).unwrap().body["location"],
        "northeurope"
    );
}

#[test]
fn a_vault_in_the_asked_region_is_adopted_without_a_warning() {
    let w = World::with(scenario_with_vault(true, true));
    let mut args = w.onboard_args(&["--yes"]);
    let at = args.iter().position(|a| a == "--location").unwrap();
    args[at + 1] = "West Europe".into();
    let run = w.run(&args);
    assert_eq!(run.code, 0, "{}", run.shown());
    assert!(!run.stderr.contains("warning:"), "{}", run.shown());
}
