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
    assert_eq!(
        writes[3],
        format!("POST keyvault /keys/{KEY}/create"),
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
