//! Trust under attack and accident, for the customer: nothing is written before every local
//! check passes, text from the provider's invitation cannot take over the terminal, and one
//! transient failure of a POST that changes nothing does not abort onboarding.

mod common;

use common::*;
use std::path::PathBuf;
use xtcmk::{AppId, Cloud, Invitation};
use xtcmk_sim::faults::{FaultRule, Step};
use xtcmk_sim::scenario::demo::*;

fn invitation(w: &World, display_name: &str) -> PathBuf {
    let app: AppId = APP_ID.parse().unwrap();
    let cloud: &Cloud = w.sim.cloud();
    let doc = Invitation {
        cloud: cloud.name.clone(),
        provider_tenant_id: PROVIDER_TENANT_ID.parse().unwrap(),
        app_id: app,
        app_display_name: display_name.into(),
        admin_consent_url: xtcmk::consent::admin_consent_url(
            cloud,
            &xtcmk::ConsentTenant::Organizations,
            &app,
            None,
        ),
        redirect_uri_registered: false,
        next_command: "xtcmk-customer onboard --invitation invitation.json".into(),
        atlas: None,
    };
    let path = w.dir.path().join("invitation.json");
    std::fs::write(&path, doc.to_json()).unwrap();
    path
}

fn with_invitation(w: &World, path: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let mut args = w.onboard_args(extra);
    args.splice(
        1..3,
        ["--invitation".to_string(), path.display().to_string()],
    );
    args
}

fn writes_attempted(w: &World) -> Vec<String> {
    w.sim
        .log()
        .write_attempts()
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect()
}

#[test]
fn a_bad_output_path_is_refused_before_anything_is_written() {
    let w = World::new();
    let inv = invitation(&w, APP_NAME);
    let folder = w.dir.path().join("a-folder");
    std::fs::create_dir(&folder).unwrap();
    let mut cases: Vec<(&str, String, &str)> = vec![
        ("a folder", folder.display().to_string(), "it is a folder"),
        (
            "a missing folder",
            w.dir
                .path()
                .join("no/such/handoff.json")
                .display()
                .to_string(),
            "does not exist",
        ),
        ("a device", "/dev/full".into(), "not a regular file"),
        (
            "a pseudo file system",
            "/proc/handoff.json".into(),
            "cannot be written",
        ),
        (
            "the invitation itself",
            inv.display().to_string(),
            "the --invitation file",
        ),
    ];
    // A read-only folder stops only a user that is not root.
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(true);
    if !root {
        let ro = w.dir.path().join("read-only");
        std::fs::create_dir(&ro).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        cases.push((
            "a read-only folder",
            ro.join("handoff.json").display().to_string(),
            "cannot be written",
        ));
    }
    for (name, path, needle) in cases {
        let mut args = with_invitation(&w, &inv, &["--yes"]);
        let at = args.iter().position(|a| a == "--handoff-out").unwrap();
        args[at + 1] = path.clone();
        let run = w.run(&args);
        assert_eq!(run.code, 1, "{name}: {}", run.shown());
        assert!(
            run.stderr.contains("invalid --handoff-out"),
            "{name}: {}",
            run.shown()
        );
        assert!(run.stderr.contains(needle), "{name}: {}", run.shown());
        assert!(run.stderr.contains("hint:"), "{name}: {}", run.shown());
        assert!(
            writes_attempted(&w).is_empty(),
            "{name}: {:#?}",
            writes_attempted(&w)
        );
    }
}

#[test]
fn a_broken_cloud_profile_is_refused_before_anything_is_sent() {
    let w = World::new();
    let good: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.sim.profile_path()).unwrap()).unwrap();
    for (name, edit, field) in [
        (
            "a Key Vault suffix with a port",
            ("keyVaultDnsSuffix", serde_json::json!("vault.localhost:1")),
            "keyVaultDnsSuffix",
        ),
        (
            "an empty suffix label",
            ("keyVaultDnsSuffix", serde_json::json!("vault..localhost")),
            "keyVaultDnsSuffix",
        ),
        (
            "port 0",
            ("servicePort", serde_json::json!(0)),
            "servicePort",
        ),
        (
            "a plain-http endpoint",
            (
                "resourceManagerEndpoint",
                serde_json::json!("http://management.localhost/"),
            ),
            "resourceManagerEndpoint",
        ),
    ] {
        let mut profile = good.clone();
        profile[edit.0] = edit.1;
        let path = w.dir.path().join("broken-cloud.json");
        std::fs::write(&path, serde_json::to_string(&profile).unwrap()).unwrap();
        let mut args = w.onboard_args(&["--yes"]);
        args.extend(["--cloud".to_string(), path.display().to_string()]);
        let run = w.run(&args);
        assert_eq!(run.code, 1, "{name}: {}", run.shown());
        assert!(run.stderr.contains(field), "{name}: {}", run.shown());
        assert!(run.stderr.contains("hint:"), "{name}: {}", run.shown());
    }
    assert!(w.sim.log().entries().is_empty(), "nothing was sent");
}

#[test]
fn a_hostile_display_name_in_the_invitation_is_shown_not_obeyed() {
    let w = World::new();
    let hostile = "Contoso\u{1b}[2J\u{1b}]0;all good\u{7}\r\u{202e}sey epyT";
    let inv = invitation(&w, hostile);
    let run = w.run(&with_invitation(&w, &inv, &["--dry-run"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    let all = format!("{}{}", run.stdout, run.stderr);
    for c in ['\u{1b}', '\u{7}', '\r', '\u{202e}'] {
        assert!(!all.contains(c), "{c:?} reached the terminal: {all:?}");
    }
    assert!(all.contains("Contoso\\u{1b}[2J"), "{all}");
    assert!(all.contains("\\u{202e}"), "{all}");
}

#[test]
fn a_503_and_a_dropped_connection_on_check_name_availability_are_ridden_out() {
    let w = World::new();
    let rule = w.sim.faults().add(
        FaultRule::on(
            "POST",
            "/subscriptions/*/providers/Microsoft.KeyVault/checkNameAvailability",
        )
        .sequence([Step::status(503), Step::drop_connection()]),
    );
    let run = w.run(&w.onboard_args(&["--yes"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert_eq!(w.sim.faults().hits(rule), 2);
    assert_eq!(
        w.sim
            .log()
            .matching(
                "POST",
                "/subscriptions/*/providers/Microsoft.KeyVault/checkNameAvailability"
            )
            .len(),
        3
    );
}

#[test]
fn a_failed_write_of_the_result_is_an_error() {
    let w = World::new();
    let out = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let status = std::process::Command::new(BIN)
        .args([
            "check-key-uri",
            "https://contoso-kv.vault.azure.net/keys/cmk",
            "--for",
            "cosmos",
        ])
        .current_dir(w.dir.path())
        .env_remove("XTCMK_CLOUD")
        .env_remove("XTCMK_OUTPUT")
        .stdout(out)
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&status.stderr).contains("cannot write the result to stdout"),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
}

#[test]
fn a_vault_still_being_provisioned_is_not_used_as_if_ready() {
    let w = World::with(scenario_with_vault(true, true));
    w.edit_vault(|v| v["properties"]["provisioningState"] = "RegisteringDns".into());
    let run = w.run(&w.onboard_args(&["--yes"]));
    assert_eq!(run.code, 1, "{}", run.shown());
    assert!(
        run.stderr.contains("provisioningState is RegisteringDns"),
        "{}",
        run.shown()
    );
    assert!(
        run.stderr.contains("hint: wait a minute"),
        "{}",
        run.shown()
    );
    assert!(
        writes_attempted(&w).is_empty(),
        "{:#?}",
        writes_attempted(&w)
    );
}

#[test]
fn logs_carry_no_colour_codes_without_a_terminal() {
    let w = World::new();
    let run = w.run(&w.onboard_args(&["--dry-run", "-vv"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert!(
        run.stderr.contains("DEBUG") || run.stderr.contains("INFO"),
        "{}",
        run.shown()
    );
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
}
