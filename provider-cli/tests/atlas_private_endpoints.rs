//! `xtcmk-provider atlas private-endpoint …` and `disable` end to end: endpoints followed with
//! progress until the customer must approve them, the customer's exact command, a rejection
//! explained, a pinned vault, and Atlas's order for turning encryption at rest off.

mod atlas_common;

use atlas_common::*;

fn enable_private(w: &World) {
    let handoff = w.handoff(Way::Secret);
    let out = w.run(&[
        "enable",
        "--handoff",
        handoff.to_str().unwrap(),
        "--group-id",
        GROUP,
        "--private-networking",
    ]);
    assert_eq!(out.code, 0, "{}", out.shown());
}

#[test]
fn endpoints_are_followed_to_the_customer_approval_and_the_command_is_printed() {
    let w = World::start();
    let out = w.run(&[
        "private-endpoint",
        "add",
        "--group-id",
        GROUP,
        "--region",
        "westeurope",
    ]);
    assert_eq!(out.code, 1, "not enabled yet: {}", out.shown());
    assert!(
        out.stderr.contains("--private-networking"),
        "{}",
        out.stderr
    );
    enable_private(&w);

    let (out, doc) = w.json(&[
        "private-endpoint",
        "add",
        "--group-id",
        GROUP,
        "--region",
        "westeurope",
        "--dry-run",
    ]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-endpoint".into(), "would-create".into())]
    );
    assert!(
        w.sim
            .state()
            .atlas
            .project(GROUP)
            .unwrap()
            .private_endpoints
            .is_empty()
    );

    let out = w.run(&[
        "private-endpoint",
        "add",
        "--group-id",
        GROUP,
        "--region",
        "westeurope",
    ]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert!(
        out.stderr.contains("INITIATING"),
        "progress: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("PENDING_ACCEPTANCE"),
        "progress: {}",
        out.stderr
    );
    let name = {
        let state = w.sim.state();
        state.atlas.project(GROUP).unwrap().private_endpoints[0]
            .connection_name
            .clone()
            .unwrap()
    };
    let command = format!(
        "xtcmk-customer private-endpoints --vault {} --subscription {} --resource-group {} --approve {name}",
        xtcmk_sim::scenario::atlas_world::VAULT,
        xtcmk_sim::scenario::demo::CUSTOMER_SUBSCRIPTION_ID,
        xtcmk_sim::scenario::demo::CUSTOMER_RESOURCE_GROUP,
    );
    assert!(out.stdout.contains(&command), "{}", out.stdout);
    // A second add keeps the endpoint of that region.
    let (_, doc) = w.json(&[
        "private-endpoint",
        "add",
        "--group-id",
        GROUP,
        "--region",
        "EUROPE_WEST",
    ]);
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-endpoint".into(), "unchanged".into())]
    );

    w.answer(&name, "Approved");
    let (out, doc) = w.json(&["private-endpoint", "status", "--group-id", GROUP]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(doc["endpoints"][0]["status"], "ACTIVE", "{doc}");
    assert!(doc["endpoints"][0].get("customerCommand").is_none());
    let (_, doc) = w.json(&["status", "--group-id", GROUP]);
    assert_eq!(doc["status"]["endpoints"][0]["status"], "ACTIVE");
    assert_eq!(doc["status"]["requirePrivateNetworking"], true);
}

#[test]
fn a_rejected_connection_shows_pending_recreation_with_the_advice() {
    let w = World::start();
    enable_private(&w);
    assert_eq!(
        w.run(&[
            "private-endpoint",
            "add",
            "--group-id",
            GROUP,
            "--region",
            "westeurope"
        ])
        .code,
        0
    );
    let name = w
        .sim
        .state()
        .atlas
        .project(GROUP)
        .unwrap()
        .private_endpoints[0]
        .connection_name
        .clone()
        .unwrap();
    w.answer(&name, "Rejected");
    let out = w.run(&["private-endpoint", "status", "--group-id", GROUP]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert!(out.stdout.contains("PENDING_RECREATION"), "{}", out.stdout);
    assert!(
        out.stdout.contains("rejected or removed") && out.stdout.contains("must approve"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_failed_endpoint_shows_atlas_error_message() {
    let w = World::start();
    enable_private(&w);
    w.sim
        .state()
        .resources
        .remove(&w.world.vault_id.to_ascii_lowercase());
    let out = w.run(&[
        "private-endpoint",
        "add",
        "--group-id",
        GROUP,
        "--region",
        "westeurope",
    ]);
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(
        out.stderr.contains("was not found in resource group"),
        "{}",
        out.stderr
    );
}

#[test]
fn with_endpoints_the_vault_is_pinned_and_disable_follows_atlas_order() {
    let w = World::start();
    enable_private(&w);
    assert_eq!(
        w.run(&[
            "private-endpoint",
            "add",
            "--group-id",
            GROUP,
            "--region",
            "westeurope"
        ])
        .code,
        0
    );

    // A handoff naming another resource group is refused before anything is sent.
    let path = w.handoff(Way::Secret);
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    doc["resourceGroup"] = serde_json::json!("rg-elsewhere");
    std::fs::write(&path, doc.to_string()).unwrap();
    let mark = w.sim.log().mark();
    let out = w.run(&[
        "enable",
        "--handoff",
        path.to_str().unwrap(),
        "--group-id",
        GROUP,
        "--private-networking",
    ]);
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(out.stderr.contains("resourceGroupName"), "{}", out.stderr);
    assert!(
        out.stderr.contains("private-endpoint remove"),
        "{}",
        out.stderr
    );
    assert!(w.writes_since(mark).is_empty());

    let out = w.run(&["disable", "--group-id", GROUP]);
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(out.stderr.contains("private endpoint(s)"), "{}", out.stderr);
    assert!(
        out.stderr.contains("private-endpoint remove --group-id"),
        "{}",
        out.stderr
    );

    let (out, doc) = w.json(&["private-endpoint", "remove", "--group-id", GROUP, "--all"]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-endpoint".into(), "removed".into())]
    );
    assert!(
        w.sim
            .state()
            .atlas
            .project(GROUP)
            .unwrap()
            .private_endpoints
            .is_empty(),
        "followed until gone"
    );

    let (out, doc) = w.json(&["disable", "--group-id", GROUP, "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-encryption".into(), "would-remove".into())]
    );
    let (out, doc) = w.json(&["disable", "--group-id", GROUP]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-encryption".into(), "removed".into())]
    );
    assert_eq!(w.ear()["enabled"], false);
    let (_, doc) = w.json(&["disable", "--group-id", GROUP]);
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-encryption".into(), "unchanged".into())]
    );
}
