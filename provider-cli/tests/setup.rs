//! `xtcmk-provider setup` end to end: the built binary against the simulator, signed in as a
//! provider user through the Azure CLI shim. Each test asserts the exit code, the output
//! (snapshots with ports, GUIDs and temp paths filtered) and the simulator's request log.

mod common;

use common::*;
use tempfile::TempDir;
use xtcmk::Invitation;
use xtcmk_sim::Sim;
use xtcmk_sim::faults::{FaultRule, Step};
use xtcmk_sim::replication::ReplicationRule;

const APP_UPSERT: &str = "graph PATCH /v1.0/applications(uniqueName='{unique_name}')";
const UAMI_PUT: &str = "arm PUT /subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}";
const FIC_UPSERT: &str =
    "graph PATCH /v1.0/applications/{id}/federatedIdentityCredentials(name='{name}')";

fn apps_named(sim: &Sim, unique: &str) -> usize {
    sim.state().tenants[0]
        .applications
        .iter()
        .filter(|a| a.unique_name.as_deref() == Some(unique))
        .count()
}

#[test]
fn first_run_creates_app_identity_credential_and_invitation_then_a_rerun_changes_nothing() {
    let sim = Sim::start(scenario(|t| t));
    let dir = TempDir::new().unwrap();

    let first = run_as(&sim, dir.path(), ADMIN, &setup_args(&sim, &[]));
    assert_eq!(first.code, 0, "{}", first.shown());
    assert_eq!(
        all_writes(&sim),
        vec![APP_UPSERT, UAMI_PUT, FIC_UPSERT],
        "the first run writes exactly the app, the identity and the credential"
    );
    snapshot("setup_first_run", &sim, dir.path(), &first.shown());

    // The app is multi-tenant, the credential trusts the new identity exactly.
    let uami_principal = principal_id(&sim, UAMI);
    let expected_issuer = issuer(&sim);
    {
        let state = sim.state();
        let app = &state.tenants[0].applications[0];
        assert_eq!(app.sign_in_audience, "AzureADMultipleOrgs");
        let unique = app.unique_name.as_deref().unwrap_or_default();
        assert!(unique.starts_with("xtcmk-contoso-cmk-"), "{unique}");
        let [fic] = app.federated_identity_credentials.as_slice() else {
            panic!("one credential: {:?}", app.federated_identity_credentials)
        };
        assert_eq!(fic.name, "xtcmk-uami-cmk");
        assert_eq!(fic.subject, uami_principal.to_string());
        assert_eq!(fic.issuer, expected_issuer);
        assert_eq!(fic.audiences, vec!["api://AzureADTokenExchange"]);
    }

    // The invitation parses and names the app and the customer's next command.
    let text = std::fs::read_to_string(dir.path().join("invitation.json")).unwrap();
    let invitation = Invitation::parse(&text, "invitation.json", sim.cloud()).unwrap();
    let app_id = sim.state().tenants[0].applications[0].app_id;
    assert_eq!(invitation.app_id, app_id);
    assert_eq!(invitation.app_display_name, APP_NAME);
    assert!(
        invitation
            .next_command
            .starts_with("xtcmk-customer onboard --invitation invitation.json")
    );
    assert!(
        first.stdout.contains(&invitation.next_command),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains(invitation.admin_consent_url.as_str()));

    let mark = sim.log().mark();
    let second = run_as(&sim, dir.path(), ADMIN, &setup_args(&sim, &[]));
    assert_eq!(second.code, 0, "{}", second.shown());
    assert_eq!(
        writes_since(&sim, mark),
        Vec::<String>::new(),
        "a re-run writes nothing"
    );
    let unchanged = second.stdout.matches(" unchanged ").count();
    assert_eq!(unchanged, 4, "every step unchanged:\n{}", second.stdout);
    snapshot("setup_second_run", &sim, dir.path(), &second.shown());
    assert_eq!(sim.state().tenants[0].applications.len(), 1);
}

#[test]
fn json_output_reports_the_steps_and_the_invitation() {
    let sim = Sim::start(scenario(|t| t));
    let dir = TempDir::new().unwrap();
    let mut args = vec!["--output".to_string(), "json".to_string()];
    args.extend(setup_args(&sim, &[]));
    let run = run_as(&sim, dir.path(), ADMIN, &args);
    assert_eq!(run.code, 0, "{}", run.shown());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    let outcomes: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["created", "created", "created", "created"]);
    // Three changes in the tenant; the invitation is a local file, a step but not a write.
    assert_eq!(report["writes"], 3);
    assert_eq!(report["invitation"]["kind"], "xtcmk.invitation");
    assert!(report["identityPrincipalId"].is_string());
}

#[test]
fn dry_run_on_a_fresh_tenant_writes_nothing_and_lists_four_would_create_steps() {
    let sim = Sim::start(scenario(|t| t));
    let dir = TempDir::new().unwrap();
    let run = run_as(&sim, dir.path(), ADMIN, &setup_args(&sim, &["--dry-run"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert!(sim.log().writes().is_empty(), "{:?}", sim.log().writes());
    assert_eq!(
        run.stdout.matches(" would-create ").count(),
        4,
        "{}",
        run.stdout
    );
    assert!(!dir.path().join("invitation.json").exists());
    snapshot("setup_dry_run", &sim, dir.path(), &run.shown());
}

#[test]
fn a_21st_credential_is_refused_before_any_write_listing_the_20() {
    let sim = Sim::start(scenario(|t| {
        let sub = t.subscription_id("Contoso SaaS production").unwrap();
        let mut t = t.application(SEEDED_APP, |a| a.multi_tenant());
        for i in 1..=20 {
            t = t.managed_identity(&format!("uami-{i:02}"), sub, RG);
        }
        t
    }));
    for i in 1..=20 {
        let name = format!("uami-{i:02}");
        let subject = principal_id(&sim, &name).to_string();
        add_credential(
            &sim,
            SEEDED_APP,
            &format!("fic-{name}"),
            &issuer(&sim),
            &subject,
        );
    }
    let dir = TempDir::new().unwrap();
    let app = app_id(&sim, SEEDED_APP).to_string();
    let run = run_as(
        &sim,
        dir.path(),
        ADMIN,
        &setup_args(&sim, &["--app-id", &app, "--identity-name", "uami-new"]),
    );
    assert_eq!(run.code, 1, "{}", run.shown());
    assert!(sim.log().writes().is_empty(), "refused before any write");
    for i in 1..=20 {
        assert!(
            run.stderr.contains(&format!("fic-uami-{i:02}")),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains(&format!("userAssignedIdentities/uami-{i:02}"))
        );
    }
    snapshot("setup_21st_credential", &sim, dir.path(), &run.shown());
}

#[test]
fn a_credential_with_the_same_name_and_another_subject_is_refused_with_an_explanation() {
    let sim = Sim::start(scenario(|t| {
        let sub = t.subscription_id("Contoso SaaS production").unwrap();
        t.application(SEEDED_APP, |a| a.multi_tenant())
            .managed_identity(UAMI, sub, RG)
    }));
    add_credential(
        &sim,
        SEEDED_APP,
        "xtcmk-uami-cmk",
        &issuer(&sim),
        "00000000-0000-4000-8000-00000000dead",
    );
    let dir = TempDir::new().unwrap();
    let app = app_id(&sim, SEEDED_APP).to_string();
    let run = run_as(
        &sim,
        dir.path(),
        ADMIN,
        &setup_args(&sim, &["--app-id", &app]),
    );
    assert_eq!(run.code, 1, "{}", run.shown());
    assert!(sim.log().writes().is_empty());
    assert!(
        run.stderr
            .contains("already has a federated credential named `xtcmk-uami-cmk`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--credential-name"), "{}", run.stderr);
    snapshot(
        "setup_same_name_other_subject",
        &sim,
        dir.path(),
        &run.shown(),
    );

    // With --fix the same-named credential is pointed at this identity: one write.
    let fixed = run_as(
        &sim,
        dir.path(),
        ADMIN,
        &setup_args(&sim, &["--app-id", &app, "--fix"]),
    );
    assert_eq!(fixed.code, 0, "{}", fixed.shown());
    let subject = principal_id(&sim, UAMI).to_string();
    let state = sim.state();
    let fic = &state.tenants[0].applications[0].federated_identity_credentials[0];
    assert_eq!(fic.subject, subject);
}

#[test]
fn a_single_tenant_app_is_refused_with_the_fix() {
    let sim = Sim::start(scenario(|t| t.application(SEEDED_APP, |a| a)));
    let dir = TempDir::new().unwrap();
    let app = app_id(&sim, SEEDED_APP).to_string();
    let run = run_as(
        &sim,
        dir.path(),
        ADMIN,
        &setup_args(&sim, &["--app-id", &app]),
    );
    assert_eq!(run.code, 1, "{}", run.shown());
    assert!(sim.log().writes().is_empty());
    assert!(
        run.stderr.contains("signInAudience `AzureADMyOrg`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--fix"), "{}", run.stderr);
}

#[test]
fn a_user_without_an_app_registering_role_is_told_which_roles_would_do_before_any_write() {
    let sim = Sim::start(scenario(|t| t));
    let dir = TempDir::new().unwrap();
    let run = run_as(&sim, dir.path(), NOBODY, &setup_args(&sim, &[]));
    assert_eq!(run.code, 1, "{}", run.shown());
    assert!(sim.log().writes().is_empty());
    assert!(
        run.stderr.contains("Application Developer"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Cloud Application Administrator"));
    snapshot("setup_no_role", &sim, dir.path(), &run.shown());

    // An Application Developer may create (and then owns) the app.
    let dev = run_as(&sim, dir.path(), DEVELOPER, &setup_args(&sim, &[]));
    assert_eq!(dev.code, 0, "{}", dev.shown());
}

#[test]
fn throttling_and_a_503_on_every_route_are_survived() {
    let sim = Sim::start(scenario(|t| t));
    let routes = [
        ("GET", "/v1.0/applications(uniqueName=*)"),
        ("PATCH", "/v1.0/applications(uniqueName=*)"),
        ("GET", "/subscriptions/*/resourcegroups/*"),
        ("GET", "/subscriptions/**/userAssignedIdentities/*"),
        ("PUT", "/subscriptions/**/userAssignedIdentities/*"),
        ("GET", "/v1.0/applications/*/federatedIdentityCredentials"),
        (
            "PATCH",
            "/v1.0/applications/*/federatedIdentityCredentials(name=*)",
        ),
    ];
    let ids: Vec<u64> = routes
        .iter()
        .map(|(method, path)| {
            sim.faults()
                .add(FaultRule::on(method, path).sequence([Step::throttle(2), Step::status(503)]))
        })
        .collect();
    let dir = TempDir::new().unwrap();
    let first = run_as(&sim, dir.path(), ADMIN, &setup_args(&sim, &[]));
    assert_eq!(first.code, 0, "{}", first.shown());
    let second = run_as(&sim, dir.path(), ADMIN, &setup_args(&sim, &[]));
    assert_eq!(second.code, 0, "{}", second.shown());
    for ((method, path), id) in routes.iter().zip(&ids) {
        assert!(
            sim.faults().hits(*id) >= 2,
            "{method} {path}: the 429 and the 503 were both met"
        );
    }
    assert_eq!(
        all_writes(&sim),
        vec![APP_UPSERT, UAMI_PUT, FIC_UPSERT],
        "retries made no extra writes"
    );
    assert_eq!(sim.state().tenants[0].applications.len(), 1);
}

#[test]
fn replication_delay_after_app_creation_does_not_produce_a_duplicate_app() {
    let sim = Sim::start(scenario(|t| t));
    // A new app stays invisible to its next 3 reads (a lagging replica).
    sim.replication().add(ReplicationRule::reads(
        xtcmk_sim::graph::applications::APPLICATION,
        3,
    ));
    let dir = TempDir::new().unwrap();
    let first = run_as(&sim, dir.path(), ADMIN, &setup_args(&sim, &[]));
    assert_eq!(first.code, 0, "{}", first.shown());
    let unique = sim.state().tenants[0].applications[0]
        .unique_name
        .clone()
        .unwrap();
    // The re-run's first read misses the app; the upsert by unique name finds it.
    let second = run_as(&sim, dir.path(), ADMIN, &setup_args(&sim, &[]));
    assert_eq!(second.code, 0, "{}", second.shown());
    assert_eq!(apps_named(&sim, &unique), 1);
    assert_eq!(
        sim.state().tenants[0].applications.len(),
        1,
        "no duplicate app"
    );
    assert!(
        second
            .stdout
            .contains("directory replication had hidden it from the first read"),
        "{}",
        second.stdout
    );
    assert_eq!(
        sim.state().tenants[0].applications[0]
            .federated_identity_credentials
            .len(),
        1
    );
}

/// The credential body the tool sends fits the published shapes: ManagedIdentity 2026-05-31
/// `FederatedIdentityCredentialProperties` (required issuer/subject/audiences, issuer a URI),
/// its name pattern, exactly one audience, and only members of Graph's
/// `federatedIdentityCredential`.
#[test]
fn the_credential_body_validates_against_the_published_shapes() {
    let specs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs");
    if !specs.is_dir() {
        println!("skipped: ../shared/specs not found");
        return;
    }
    let sim = Sim::start(scenario(|t| t));
    let dir = TempDir::new().unwrap();
    let run = run_as(&sim, dir.path(), ADMIN, &setup_args(&sim, &[]));
    assert_eq!(run.code, 0, "{}", run.shown());
    let sent = sim
        .log()
        .matching(
            "PATCH",
            "/v1.0/applications/*/federatedIdentityCredentials(name=*)",
        )
        .into_iter()
        .find_map(|e| e.body)
        .expect("the credential body is logged");

    let mi: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(specs.join("managedidentity/2026-05-31/ManagedIdentity.json"))
            .unwrap(),
    )
    .unwrap();
    let mut properties = mi["definitions"]["FederatedIdentityCredentialProperties"].clone();
    properties["additionalProperties"] = serde_json::json!(false);
    properties["properties"]["name"] = serde_json::json!({ "type": "string" });
    properties["properties"]["description"] = serde_json::json!({ "type": "string" });
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&properties)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sent)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?} in {sent}");

    let pattern = mi["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|p| p.as_object().unwrap().values())
        .filter_map(|op| op["parameters"].as_array())
        .flatten()
        .find(|p| p["name"] == "federatedIdentityCredentialResourceName")
        .and_then(|p| p["pattern"].as_str())
        .expect("the spec declares the name pattern")
        .to_string();
    let name = sent["name"].as_str().unwrap();
    assert!(regex_lite_match(&pattern, name), "{name} !~ {pattern}");
    assert_eq!(sent["audiences"].as_array().unwrap().len(), 1);

    let csdl = std::fs::read_to_string(specs.join("msgraph/v1.0-Prod.csdl.excerpt.xml")).unwrap();
    let start = csdl
        .find(r#"<EntityType Name="federatedIdentityCredential""#)
        .unwrap();
    let end = start + csdl[start..].find("</EntityType>").unwrap();
    for key in sent.as_object().unwrap().keys() {
        assert!(
            csdl[start..end].contains(&format!(r#"Property Name="{key}""#)),
            "`{key}` is not a member of microsoft.graph.federatedIdentityCredential"
        );
    }
}

/// The spec's name pattern `^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$`, checked by hand (no regex crate).
fn regex_lite_match(pattern: &str, name: &str) -> bool {
    assert_eq!(
        pattern, "^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$",
        "the spec's pattern changed"
    );
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && (3..=120).contains(&name.chars().count())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[test]
fn a_consent_redirect_uri_is_registered_and_carried_by_the_invitation() {
    let sim = Sim::start(scenario(|t| t));
    let dir = TempDir::new().unwrap();
    let uri = "https://portal.contoso-saas.example/consented";
    let run = run_as(
        &sim,
        dir.path(),
        ADMIN,
        &setup_args(&sim, &["--consent-redirect-uri", uri]),
    );
    assert_eq!(run.code, 0, "{}", run.shown());
    assert_eq!(
        sim.state().tenants[0].applications[0].redirect_uris,
        vec![uri]
    );
    let text = std::fs::read_to_string(dir.path().join("invitation.json")).unwrap();
    let invitation = Invitation::parse(&text, "invitation.json", sim.cloud()).unwrap();
    assert!(invitation.redirect_uri_registered);
    assert!(
        invitation
            .admin_consent_url
            .as_str()
            .contains("redirect_uri=")
    );
    assert!(!run.stderr.contains("AADSTS500113"), "{}", run.stderr);
}
