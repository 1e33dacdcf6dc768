//! The customer's side of MongoDB Atlas: `onboard` with an Atlas invitation installs the app it
//! names (the provider's, or MongoDB Atlas's own) and grants encrypt/decrypt through the
//! least-privilege custom role; `private-endpoints` lists who asked for what and answers only what
//! it is told to, `--approve-atlas` only Atlas's requests for the invitation's project.

mod common;

use common::*;
use serde_json::Value;
use xtcmk::atlas::{AccessMode, GroupId, atlas_app_id};
use xtcmk::consent::admin_consent_url;
use xtcmk::documents::{AtlasInvitation, EncryptionTarget, onboard_command_for};
use xtcmk::{AppId, ConsentTenant, Invitation};
use xtcmk_sim::arm::private_endpoint_connections::{request, status};
use xtcmk_sim::scenario::demo::*;

const GROUP: &str = ATLAS_GROUP_ID;

fn atlas_invitation(w: &World, mode: AccessMode) -> String {
    let app: AppId = match mode {
        AccessMode::Role => atlas_app_id(),
        AccessMode::Secret => APP_ID.parse().unwrap(),
    };
    let doc = Invitation {
        cloud: w.sim.cloud().name.clone(),
        provider_tenant_id: PROVIDER_TENANT_ID.parse().unwrap(),
        app_id: app,
        app_display_name: "MongoDB Atlas".into(),
        admin_consent_url: admin_consent_url(
            w.sim.cloud(),
            &ConsentTenant::Organizations,
            &app,
            None,
        ),
        redirect_uri_registered: false,
        next_command: onboard_command_for("public", "invitation.json", EncryptionTarget::Atlas),
        atlas: Some(AtlasInvitation {
            mode,
            group_id: GroupId::parse_field("g", GROUP).unwrap(),
        }),
    };
    let path = w.dir.path().join("invitation.json");
    std::fs::write(&path, doc.to_json()).unwrap();
    path.display().to_string()
}

/// `onboard --invitation <file>` with the usual options and `extra`.
fn onboard(w: &World, invitation: &str, extra: &[&str]) -> Vec<String> {
    let mut args = w.onboard_args(extra);
    args.splice(1..3, ["--invitation".to_string(), invitation.to_string()]);
    args
}

fn steps(stdout: &str) -> Vec<(String, String)> {
    let doc: Value = serde_json::from_str(stdout).unwrap();
    doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().into(),
                s["outcome"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[test]
fn an_atlas_invitation_installs_atlas_own_app_and_grants_encrypt_decrypt() {
    let w = World::new();
    let inv = atlas_invitation(&w, AccessMode::Role);
    let mut dry = onboard(&w, &inv, &["--dry-run"]);
    dry.splice(0..0, ["--output".to_string(), "json".to_string()]);
    let planned = w.run(&dry);
    assert_eq!(planned.code, 0, "{}", planned.shown());
    let mut real = onboard(&w, &inv, &["--yes"]);
    real.splice(0..0, ["--output".to_string(), "json".to_string()]);
    let done = w.run(&real);
    assert_eq!(done.code, 0, "{}", done.shown());
    let realized: Vec<(String, String)> = steps(&planned.stdout)
        .into_iter()
        .map(|(s, o)| {
            (
                s,
                o.replace("would-create", "created")
                    .replace("would-update", "updated"),
            )
        })
        .collect();
    assert_eq!(realized, steps(&done.stdout), "the plan is the truth");
    assert!(steps(&done.stdout).iter().any(|(s, _)| s == "atlas-role"));
    let handoff: Value =
        serde_json::from_str(&std::fs::read_to_string(w.handoff_path()).unwrap()).unwrap();
    assert_eq!(handoff["target"], "atlas");
    assert_eq!(handoff["appId"], xtcmk::atlas::ATLAS_AZURE_APP_ID);
    let sp = {
        let state = w.sim.state();
        state
            .service_principal(&CUSTOMER_TENANT_ID.parse().unwrap(), &atlas_app_id())
            .map(|sp| sp.id.to_string())
    };
    assert_eq!(
        handoff["servicePrincipalObjectId"].as_str(),
        sp.as_deref(),
        "Atlas's app is installed"
    );
    // `--for cosmos` contradicts an Atlas invitation.
    let out = w.run(&onboard(&w, &inv, &["--yes", "--for", "cosmos"]));
    assert_eq!(out.code, 2, "{}", out.shown());
    assert!(
        out.stderr.contains("contradicts the invitation"),
        "{}",
        out.stderr
    );
}

fn world_with_requests() -> (World, String, String, String) {
    let w = World::new();
    let inv = atlas_invitation(&w, AccessMode::Secret);
    assert_eq!(w.run(&onboard(&w, &inv, &["--yes"])).code, 0);
    let vault_id = w.vault_id();
    let atlas_name = format!("atlas-{GROUP}-65f00000000000000000b001.1c2d");
    let other = "someone-else.0f7c".to_string();
    {
        let mut state = w.sim.state();
        request(
            &mut state,
            &vault_id,
            &atlas_name,
            "/subscriptions/30000000-0000-4000-8000-0000000000a9/resourceGroups/atlas/providers/Microsoft.Network/privateEndpoints/atlas-pe",
            &format!("MongoDB Atlas encryption at rest for project {GROUP}"),
        );
        request(
            &mut state,
            &vault_id,
            &other,
            "/subscriptions/40000000-0000-4000-8000-0000000000a1/resourceGroups/rg-x/providers/Microsoft.Network/privateEndpoints/x",
            "please let me in",
        );
    }
    (w, inv, atlas_name, other)
}

fn pe_args(w: &World, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "private-endpoints".to_string(),
        "--handoff".into(),
        w.handoff_path().display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[test]
fn connections_are_listed_with_who_asked_and_only_atlas_requests_are_approved() {
    let (w, inv, atlas_name, other) = world_with_requests();
    let vault_id = w.vault_id();
    let out = w.run(&pe_args(&w, &[]));
    assert_eq!(out.code, 0, "{}", out.shown());
    assert!(
        out.stdout.contains(&atlas_name) && out.stdout.contains(&other),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("requested by /subscriptions/40000000"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("message: please let me in"),
        "{}",
        out.stdout
    );

    let mark = w.sim.log().mark();
    let mut dry = vec!["--output".to_string(), "json".to_string()];
    dry.extend(pe_args(
        &w,
        &["--approve-atlas", "--invitation", &inv, "--dry-run"],
    ));
    let out = w.run(&dry);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        steps(&out.stdout),
        vec![("endpoint-connection".into(), "would-update".into())]
    );
    assert!(
        w.sim
            .log()
            .since(mark)
            .iter()
            .all(|e| !e.is_effective_write())
    );

    let mut real = vec!["--output".to_string(), "json".to_string()];
    real.extend(pe_args(
        &w,
        &["--approve-atlas", "--invitation", &inv, "--yes"],
    ));
    let out = w.run(&real);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        steps(&out.stdout),
        vec![("endpoint-connection".into(), "updated".into())]
    );
    let state = w.sim.state();
    assert_eq!(
        status(
            &state,
            &format!("{vault_id}/privateEndpointConnections/{atlas_name}")
        )
        .as_deref(),
        Some("Approved")
    );
    assert_eq!(
        status(
            &state,
            &format!("{vault_id}/privateEndpointConnections/{other}")
        )
        .as_deref(),
        Some("Pending")
    );
}

#[test]
fn one_connection_by_name_and_the_refusals() {
    let (w, _inv, atlas_name, other) = world_with_requests();
    let vault_id = w.vault_id();
    let out = w.run(&pe_args(&w, &["--approve", "no-such-connection", "--yes"]));
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(
        out.stderr.contains("--approve") && out.stderr.contains(&atlas_name),
        "{}",
        out.stderr
    );
    let out = w.run(&pe_args(&w, &["--reject", &other, "--yes"]));
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        status(
            &w.sim.state(),
            &format!("{vault_id}/privateEndpointConnections/{other}")
        )
        .as_deref(),
        Some("Rejected")
    );
    let out = w.run(&pe_args(&w, &["--approve", &other, "--yes"]));
    assert_eq!(
        out.code,
        1,
        "a rejected connection cannot be approved: {}",
        out.shown()
    );
    assert!(
        out.stderr.contains("cannot be approved again"),
        "{}",
        out.stderr
    );
    let out = w.run(&pe_args(&w, &["--approve", &atlas_name]));
    assert_eq!(out.code, 2, "no terminal and no --yes: {}", out.shown());
    let out = w.run(&pe_args(&w, &["--approve", &atlas_name, "--yes"]));
    assert_eq!(out.code, 0, "{}", out.shown());
    let out = w.run(&pe_args(&w, &["--approve", &atlas_name, "--yes"]));
    assert_eq!(out.code, 0, "{}", out.shown());
    assert!(
        out.stdout.contains("unchanged"),
        "a re-run changes nothing: {}",
        out.stdout
    );

    // --approve-atlas needs an Atlas invitation: a Cosmos DB one names no project.
    let cosmos = w.dir.path().join("cosmos-invitation.json");
    let app: AppId = APP_ID.parse().unwrap();
    let doc = Invitation {
        cloud: w.sim.cloud().name.clone(),
        provider_tenant_id: PROVIDER_TENANT_ID.parse().unwrap(),
        app_id: app,
        app_display_name: APP_NAME.into(),
        admin_consent_url: admin_consent_url(
            w.sim.cloud(),
            &ConsentTenant::Organizations,
            &app,
            None,
        ),
        redirect_uri_registered: false,
        next_command: "xtcmk-customer onboard --invitation invitation.json".into(),
        atlas: None,
    };
    std::fs::write(&cosmos, doc.to_json()).unwrap();
    let out = w.run(&pe_args(
        &w,
        &[
            "--approve-atlas",
            "--invitation",
            cosmos.to_str().unwrap(),
            "--yes",
        ],
    ));
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(
        out.stderr.contains("names no Atlas project"),
        "{}",
        out.stderr
    );
}
