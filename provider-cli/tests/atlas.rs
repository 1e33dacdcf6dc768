//! `xtcmk-provider atlas …` end to end against the simulator, both ways in: the provider's app
//! with a client secret, and MongoDB Atlas's own app through a cloudProviderAccess role.

mod atlas_common;

use atlas_common::*;
use serde_json::json;
use xtcmk_sim::scenario::atlas_world::{self, Break};

#[test]
fn secret_mode_enable_makes_a_secret_for_atlas_and_a_rerun_changes_nothing() {
    let w = World::start();
    let handoff = w.handoff(Way::Secret);
    let handoff = handoff.to_str().unwrap();
    let before = w.app_secrets().len();
    let (out, doc) = w.json(&["enable", "--handoff", handoff, "--group-id", GROUP]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        World::steps(&doc),
        vec![
            ("atlas-secret".to_string(), "created".to_string()),
            ("atlas-encryption".to_string(), "created".to_string())
        ]
    );
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["keyIdentifier"], w.world.key_identifier);
    let secrets = w.app_secrets();
    assert_eq!(secrets.len(), before + 1);
    assert!(
        secrets
            .iter()
            .any(|(_, n)| n == &format!("xtcmk-atlas-{GROUP}"))
    );
    let ear = w.ear();
    assert_eq!(ear["valid"], true);
    assert_eq!(ear["clientID"], atlas_world::APP_ID);
    assert_eq!(
        ear["tenantID"],
        xtcmk_sim::scenario::demo::CUSTOMER_TENANT_ID
    );

    let mark = w.sim.log().mark();
    let (out, doc) = w.json(&["enable", "--handoff", handoff, "--group-id", GROUP]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-encryption".to_string(), "unchanged".to_string())]
    );
    assert_eq!(w.writes_since(mark), Vec::<String>::new(), "no new secret");
    assert_eq!(w.app_secrets().len(), before + 1);
}

#[test]
fn a_secret_from_a_file_or_a_pipe_goes_only_to_atlas() {
    let w = World::start();
    let handoff = w.handoff(Way::Secret);
    let handoff = handoff.to_str().unwrap();
    // Into a file (mode 0600), then from it.
    let out = w.run(&[
        "secret",
        "create",
        "--app-id",
        atlas_world::APP_ID,
        "--group-id",
        GROUP,
        "--out",
        "atlas.secret",
        "--expires-in",
        "90d",
    ]);
    assert_eq!(out.code, 0, "{}", out.shown());
    let file = w.path("atlas.secret");
    let secret = std::fs::read_to_string(&file).unwrap().trim().to_string();
    assert!(secret.len() >= 16);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));
    let again = w.run(&[
        "secret",
        "create",
        "--app-id",
        atlas_world::APP_ID,
        "--out",
        "atlas.secret",
    ]);
    assert_eq!(again.code, 1, "never overwritten: {}", again.shown());
    assert!(
        again.stderr.contains("never overwritten"),
        "{}",
        again.stderr
    );

    let out = w.run(&[
        "enable",
        "--handoff",
        handoff,
        "--group-id",
        GROUP,
        "--secret-from",
        "atlas.secret",
    ]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert!(out.stdout.contains("valid: true"), "{}", out.shown());
    assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));

    // Through a pipe: the secret alone on stdout, then on the next command's stdin.
    let out = w.run(&[
        "secret",
        "create",
        "--app-id",
        atlas_world::APP_ID,
        "--group-id",
        GROUP,
    ]);
    assert_eq!(out.code, 0, "{}", out.shown());
    let piped = out.stdout.trim().to_string();
    assert_eq!(
        out.stdout.lines().count(),
        1,
        "only the secret: {:?}",
        out.stdout
    );
    assert!(!out.stderr.contains(&piped), "{}", out.stderr);
    let out = run_with_stdin(
        &w,
        &[
            "enable",
            "--handoff",
            handoff,
            "--group-id",
            GROUP,
            "--secret-from",
            "-",
        ],
        &format!("{piped}\n"),
    );
    assert_eq!(out.code, 0, "{}", out.shown());
    assert!(!out.stdout.contains(&piped) && !out.stderr.contains(&piped));
    assert_eq!(w.ear()["valid"], true);

    // JSON output keeps stdout for the report: the secret must go to a file.
    let out = w.run(&[
        "--output",
        "json",
        "secret",
        "create",
        "--app-id",
        atlas_world::APP_ID,
    ]);
    assert_eq!(out.code, 2, "{}", out.shown());
}

#[test]
fn secret_list_shows_hints_and_expiry_and_warns_inside_sixty_days() {
    let w = World::start();
    w.world.add_secret(
        &w.sim,
        "soon-to-expire-secret-value",
        xtcmk_sim::tokens::now() + 10 * 86400,
    );
    let (out, doc) = w.json(&["secret", "list", "--app-id", atlas_world::APP_ID]);
    assert_eq!(out.code, 0, "{}", out.shown());
    let secrets = doc["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 2, "{doc}");
    let soon = secrets.iter().find(|s| s["hint"] == "soo").unwrap();
    assert_eq!(soon["state"], "expiring");
    assert!(soon["daysLeft"].as_i64().unwrap() < 60);
    assert!(out.stderr.contains("expires in"), "{}", out.stderr);
    assert!(!out.stdout.contains("soon-to-expire-secret-value"));
    assert!(!out.stdout.contains(atlas_world::CLIENT_SECRET));

    let key = soon["keyId"].as_str().unwrap().to_string();
    let (out, doc) = w.json(&[
        "secret",
        "remove",
        "--app-id",
        atlas_world::APP_ID,
        "--key-id",
        &key,
        "--dry-run",
    ]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-secret".into(), "would-remove".into())]
    );
    let (out, doc) = w.json(&[
        "secret",
        "remove",
        "--app-id",
        atlas_world::APP_ID,
        "--key-id",
        &key,
    ]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-secret".into(), "removed".into())]
    );
    assert_eq!(w.app_secrets().len(), 1);
    let out = w.run(&[
        "secret",
        "create",
        "--app-id",
        atlas_world::APP_ID,
        "--expires-in",
        "3y",
        "--out",
        "x",
    ]);
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(out.stderr.contains("at most two years"), "{}", out.stderr);
}

#[test]
fn role_mode_registers_atlas_app_and_enables_without_any_secret() {
    let w = World::start();
    let handoff = w.handoff(Way::Role);
    let handoff = handoff.to_str().unwrap();
    let secrets_before = w.app_secrets();
    let (out, doc) = w.json(&["register-access", "--handoff", handoff, "--group-id", GROUP]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-access".into(), "created".into())]
    );
    let role = doc["roleId"].as_str().unwrap().to_string();
    let out = w.run(&["register-access", "--handoff", handoff, "--group-id", GROUP]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains(&format!("role id: {role}")),
        "adopted: {}",
        out.stdout
    );
    assert_eq!(
        w.sim
            .state()
            .atlas
            .project(GROUP)
            .unwrap()
            .azure_service_principals
            .len(),
        1
    );

    let (out, doc) = w.json(&["enable", "--handoff", handoff, "--group-id", GROUP]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-encryption".into(), "created".into())]
    );
    assert_eq!(doc["valid"], true);
    let ear = w.ear();
    assert_eq!(ear["roleId"], role);
    assert!(ear.get("clientID").is_none());
    // No secret anywhere: none made, none given to Atlas.
    assert_eq!(w.app_secrets(), secrets_before);
    assert!(
        w.sim
            .state()
            .atlas
            .project(GROUP)
            .unwrap()
            .azure_secret_sha256
            .is_none()
    );
    let log = w.sim.log().entries();
    assert!(
        !log.iter().any(|e| e.path.contains("addPassword")),
        "no addPassword"
    );
}

#[test]
fn the_way_in_must_match_the_handoff() {
    let w = World::start();
    let secret_handoff = w.handoff(Way::Secret);
    let role_handoff = w.handoff(Way::Role);
    let out = w.run(&[
        "register-access",
        "--handoff",
        secret_handoff.to_str().unwrap(),
        "--group-id",
        GROUP,
    ]);
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(
        out.stderr.contains("not MongoDB Atlas's own app"),
        "{}",
        out.stderr
    );
    let out = w.run(&[
        "enable",
        "--handoff",
        role_handoff.to_str().unwrap(),
        "--group-id",
        GROUP,
        "--role-id",
        "0123456789abcdef01234567",
    ]);
    assert_eq!(out.code, 1, "unregistered role: {}", out.shown());
    assert!(
        out.stderr.contains("has no cloudProviderAccess role"),
        "{}",
        out.stderr
    );
    assert_eq!(
        w.sim.log().count("PATCH", "/api/atlas/v2/**"),
        0,
        "refused before sending"
    );
    let out = w.run(&[
        "enable",
        "--handoff",
        role_handoff.to_str().unwrap(),
        "--group-id",
        GROUP,
    ]);
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(out.stderr.contains("register-access"), "{}", out.stderr);
    let out = w.run(&[
        "enable",
        "--handoff",
        secret_handoff.to_str().unwrap(),
        "--group-id",
        GROUP,
        "--role-id",
        "0123456789abcdef01234567",
    ]);
    assert_eq!(out.code, 2, "{}", out.shown());
}

#[test]
fn a_versionless_key_never_reaches_atlas() {
    let w = World::start();
    let path = w.handoff(Way::Secret);
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("keyVersion");
    std::fs::write(&path, doc.to_string()).unwrap();
    let out = w.run(&[
        "enable",
        "--handoff",
        path.to_str().unwrap(),
        "--group-id",
        GROUP,
    ]);
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(out.stderr.contains("handoff.keyVersion"), "{}", out.stderr);
    assert_eq!(w.sim.log().count("PATCH", "/api/atlas/v2/**"), 0);
}

#[test]
fn a_wrong_atlas_key_is_named_in_the_401() {
    let w = World::start();
    let handoff = w.handoff(Way::Secret);
    let mut env = w.env();
    env.retain(|(k, _)| k != "MONGODB_ATLAS_PRIVATE_API_KEY");
    env.push((
        "MONGODB_ATLAS_PRIVATE_API_KEY".into(),
        "wrong-private-key".into(),
    ));
    let out = xtcmk_sim::bin_run::run_bin(
        BIN,
        w.dir.path(),
        &["atlas", "status", "--group-id", GROUP],
        &env,
    );
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(
        out.stderr.contains("the Atlas API key `xtcmkdemo`"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("wrong-private-key"));
    let creds = w.path("atlas.json");
    std::fs::write(&creds, r#"{"publicApiKey":"xtcmkdemo","privateApiKey":"demo-atlas-private-key-for-the-simulator-only"}"#).unwrap();
    let out = xtcmk_sim::bin_run::run_bin(
        BIN,
        w.dir.path(),
        &[
            "atlas",
            "enable",
            "--handoff",
            handoff.to_str().unwrap(),
            "--group-id",
            GROUP,
            "--atlas-credentials",
            creds.to_str().unwrap(),
        ],
        &env,
    );
    assert_eq!(
        out.code,
        0,
        "the file wins over the environment: {}",
        out.shown()
    );
}

#[test]
fn status_is_exit_3_with_the_cause_when_atlas_cannot_use_the_key() {
    let w = World::start();
    let handoff = w.handoff(Way::Secret);
    assert_eq!(
        w.run(&[
            "enable",
            "--handoff",
            handoff.to_str().unwrap(),
            "--group-id",
            GROUP
        ])
        .code,
        0
    );
    let (out, doc) = w.json(&["status", "--group-id", GROUP]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(doc["status"]["valid"], true);
    assert_eq!(doc["status"]["mode"], "secret");
    assert!(doc["status"]["secrets"][0]["daysLeft"].as_i64().unwrap() > 300);
    assert_eq!(doc["status"]["daysSinceConfigurationChanged"], 0);

    w.world.break_link(&w.sim, Break::GrantsMissing);
    let out = w.run(&["status", "--group-id", GROUP]);
    assert_eq!(out.code, 3, "{}", out.shown());
    assert!(out.stdout.contains("FAIL    valid"), "{}", out.stdout);
    assert!(out.stdout.contains("revoked the grant"), "{}", out.stdout);
    assert!(
        out.stderr.contains("xtcmk-customer status"),
        "{}",
        out.stderr
    );

    w.world.break_link(&w.sim, Break::SecretExpired);
    let (out, doc) = w.json(&["status", "--group-id", GROUP]);
    assert_eq!(out.code, 3, "{}", out.shown());
    assert!(
        doc["status"]["cause"]
            .as_str()
            .unwrap()
            .contains("has expired"),
        "{doc}"
    );
}

#[test]
fn rotate_key_moves_to_the_new_version_and_resets_the_count() {
    let w = World::start();
    let handoff = w.handoff(Way::Secret);
    assert_eq!(
        w.run(&[
            "enable",
            "--handoff",
            handoff.to_str().unwrap(),
            "--group-id",
            GROUP
        ])
        .code,
        0
    );
    // Ninety-five days later.
    for e in &mut w.sim.state().atlas.project_mut(GROUP).unwrap().events {
        e.created -= 95 * 86400;
    }
    let (out, doc) = w.json(&["status", "--group-id", GROUP]);
    assert_eq!(
        doc["status"]["daysSinceConfigurationChanged"],
        95,
        "{}",
        out.shown()
    );
    assert!(
        out.stderr.contains("key-rotation alert is due"),
        "{}",
        out.stderr
    );

    let next = w.world.new_key_version(&w.sim);
    let new_handoff = w.handoff_with(Way::Secret, &next);
    let (out, doc) = w.json(&[
        "rotate-key",
        "--group-id",
        GROUP,
        "--handoff",
        new_handoff.to_str().unwrap(),
        "--dry-run",
    ]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-encryption".into(), "would-update".into())]
    );
    let (out, doc) = w.json(&[
        "rotate-key",
        "--group-id",
        GROUP,
        "--handoff",
        new_handoff.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-encryption".into(), "updated".into())]
    );
    assert_eq!(doc["keyIdentifier"], next);
    assert_eq!(w.ear()["keyIdentifier"], next);
    let (_, doc) = w.json(&["status", "--group-id", GROUP]);
    assert_eq!(doc["status"]["daysSinceConfigurationChanged"], 0);
    // The same key again changes nothing; another vault is refused.
    let (_, doc) = w.json(&[
        "rotate-key",
        "--group-id",
        GROUP,
        "--handoff",
        new_handoff.to_str().unwrap(),
    ]);
    assert_eq!(
        World::steps(&doc),
        vec![("atlas-encryption".into(), "unchanged".into())]
    );
    let other = w.handoff_with(
        Way::Secret,
        &next.replace(atlas_world::VAULT, "kv-other-vault"),
    );
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&other).unwrap()).unwrap();
    doc["vaultName"] = json!("kv-other-vault");
    std::fs::write(&other, doc.to_string()).unwrap();
    let out = w.run(&[
        "rotate-key",
        "--group-id",
        GROUP,
        "--handoff",
        other.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(
        out.stderr.contains("stays in the project's vault"),
        "{}",
        out.stderr
    );
}

#[test]
fn rotate_secret_replaces_the_project_secret_and_keeps_the_old_one_when_atlas_refuses() {
    let w = World::start();
    let handoff = w.handoff(Way::Secret);
    assert_eq!(
        w.run(&[
            "enable",
            "--handoff",
            handoff.to_str().unwrap(),
            "--group-id",
            GROUP
        ])
        .code,
        0
    );
    let name = format!("xtcmk-atlas-{GROUP}");
    let first: Vec<String> = w
        .app_secrets()
        .into_iter()
        .filter(|(_, n)| *n == name)
        .map(|(k, _)| k)
        .collect();
    assert_eq!(first.len(), 1);

    // Atlas refuses every new secret (it never replicates in time): the old one stays.
    w.sim
        .replication()
        .add(xtcmk_sim::replication::ReplicationRule::reads(
            xtcmk_sim::graph::passwords::PASSWORD_CREDENTIAL,
            100,
        ));
    let out = w.run(&["rotate-secret", "--group-id", GROUP]);
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(
        out.stderr.contains("Atlas still uses the old secret"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("waiting"),
        "retried while it replicates: {}",
        out.stderr
    );
    let now: Vec<String> = w
        .app_secrets()
        .into_iter()
        .filter(|(_, n)| *n == name)
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        now, first,
        "the new secret was removed again, the old one kept"
    );
    w.sim.replication().clear();
    assert_eq!(w.ear()["valid"], true, "Atlas stays valid");

    let (out, doc) = w.json(&["rotate-secret", "--group-id", GROUP]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert_eq!(
        World::steps(&doc),
        vec![
            ("atlas-secret".into(), "created".into()),
            ("atlas-encryption".into(), "updated".into()),
            ("atlas-secret".into(), "removed".into()),
        ]
    );
    let after: Vec<String> = w
        .app_secrets()
        .into_iter()
        .filter(|(_, n)| *n == name)
        .map(|(k, _)| k)
        .collect();
    assert_eq!(after.len(), 1);
    assert_ne!(after, first);
    assert!(
        w.app_secrets().iter().any(|(_, n)| n == "atlas"),
        "a secret of another purpose stays"
    );
    assert_eq!(w.ear()["valid"], true);
}

#[test]
fn a_service_account_reads_with_project_read_only_but_only_a_project_owner_enables() {
    const CLIENT_ID: &str = "mdb_sa_id_65f00000000000000000b001";
    const CLIENT_SECRET: &str = "mdb_sa_sk_read-only-secret-for-this-test";
    let w = World::start();
    let handoff = w.handoff(Way::Secret);
    w.sim.state().atlas.add_service_account(
        CLIENT_ID,
        CLIENT_SECRET,
        &[GROUP],
        &["GROUP_READ_ONLY"],
    );
    let with_account = |secret: &str| {
        let mut env = w.env();
        env.retain(|(k, _)| !k.starts_with("MONGODB_ATLAS_"));
        env.push(("MONGODB_ATLAS_CLIENT_ID".into(), CLIENT_ID.into()));
        env.push(("MONGODB_ATLAS_CLIENT_SECRET".into(), secret.into()));
        env
    };
    let run = |args: &[&str], secret: &str| {
        let mut all = vec!["atlas"];
        all.extend_from_slice(args);
        xtcmk_sim::bin_run::run_bin(BIN, w.dir.path(), &all, &with_account(secret))
    };
    // The Project Owner key enables; the read-only account reads the status (private endpoints,
    // which need Project Owner even to list, are shown as not checked, naming that role).
    let out = w.run(&[
        "enable",
        "--handoff",
        handoff.to_str().unwrap(),
        "--group-id",
        GROUP,
    ]);
    assert_eq!(out.code, 0, "{}", out.shown());
    let out = run(
        &["--output", "json", "status", "--group-id", GROUP],
        CLIENT_SECRET,
    );
    assert_eq!(out.code, 0, "{}", out.shown());
    assert!(w.sim.log().count("POST", "/api/oauth/token") >= 1);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["status"]["valid"], true, "{doc}");
    let unknown: Vec<&serde_json::Value> = doc["status"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "unknown")
        .collect();
    assert_eq!(unknown.len(), 1, "{doc}");
    assert_eq!(unknown[0]["item"], "private endpoints");
    assert!(
        unknown[0]["detail"]
            .as_str()
            .unwrap()
            .contains("needs Project Owner"),
        "{doc}"
    );
    // Changing needs Project Owner: refused naming the account and the role, nothing changed.
    let out = run(&["disable", "--group-id", GROUP], CLIENT_SECRET);
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(out.stderr.contains(CLIENT_ID), "{}", out.stderr);
    assert!(out.stderr.contains("needs Project Owner"), "{}", out.stderr);
    let ear = w
        .sim
        .state()
        .atlas
        .project(GROUP)
        .unwrap()
        .encryption_at_rest
        .clone();
    assert_eq!(ear["azureKeyVault"]["enabled"], true, "{ear}");
    // A wrong secret: the 401 names the service account tried, never a secret.
    let out = run(
        &["status", "--group-id", GROUP],
        "mdb_sa_sk_wrong-secret-for-this-test",
    );
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(
        out.stderr
            .contains(&format!("the Atlas service account `{CLIENT_ID}`")),
        "{}",
        out.stderr
    );
    for o in [&out.stdout, &out.stderr] {
        assert!(!o.contains("wrong-secret") && !o.contains(CLIENT_SECRET));
    }
}
