//! A corpus of bad input for every `xtcmk-customer` command — flags, files, environment
//! variables, cloud profiles: each exits 1 (refused) or 2 (usage), names the field at fault and
//! says how to fix it, never panics, and nothing is written in the simulator.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;
use xtcmk_sim::scenario::demo::*;

struct Case {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    code: i32,
    field: String,
}

fn case(name: &str, args: Vec<String>, code: i32, field: &str) -> Case {
    Case {
        name: name.into(),
        args,
        env: Vec::new(),
        code,
        field: field.into(),
    }
}

fn with(base: &[String], flag: &str, value: &str) -> Vec<String> {
    let mut args = base.to_vec();
    if let Some(i) = args.iter().position(|a| a == flag) {
        args.drain(i..i + 2);
    }
    // `--flag=value`, so a value that starts with `-` is a value, not a flag.
    args.push(format!("{flag}={value}"));
    args
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn every_bad_input_is_refused_naming_the_field_and_the_fix_with_nothing_written() {
    let w = World::new();
    let dir = w.dir.path();
    let onboard = w.onboard_args(&["--yes"]);
    let mut cases = Vec::new();

    // GUID flags.
    for flag in ["--app-id", "--subscription", "--tenant"] {
        for bad in [
            "",
            "not-a-guid",
            "00000000-0000-0000-0000-000000000000",
            "fabrikam.example",
            "{20000000-0000-4000-8000-000000000002}",
            "20000000-0000-4000-8000-00000000000g",
        ] {
            cases.push(case(
                &format!("onboard {flag} {bad:?}"),
                with(&onboard, flag, bad),
                1,
                flag,
            ));
        }
    }
    // Names Azure would refuse.
    for bad in [
        "kv",
        "kv--bad",
        "9kv-bad",
        "kv-bad-",
        "kv_bad",
        &"k".repeat(25),
    ] {
        cases.push(case(
            &format!("--vault {bad}"),
            with(&onboard, "--vault", bad),
            1,
            "--vault",
        ));
    }
    for bad in ["", "cmk!", "k_1", "cmk/1"] {
        cases.push(case(
            &format!("--key {bad:?}"),
            with(&onboard, "--key", bad),
            1,
            "--key",
        ));
    }
    for bad in ["", "rg/x", "rg.", "rg x"] {
        cases.push(case(
            &format!("--resource-group {bad:?}"),
            with(&onboard, "--resource-group", bad),
            1,
            "--resource-group",
        ));
    }
    for bad in ["", "narnia", "west_europe", "westeurpe", "chinaeast2"] {
        cases.push(case(
            &format!("--location {bad:?}"),
            with(&onboard, "--location", bad),
            1,
            "--location",
        ));
    }
    cases.push(case(
        "--key-size 1024",
        with(&onboard, "--key-size", "1024"),
        1,
        "--key-size",
    ));
    cases.push(case(
        "--key-size abc",
        with(&onboard, "--key-size", "abc"),
        2,
        "--key-size",
    ));
    cases.push(case(
        "--for db2",
        with(&onboard, "--for", "db2"),
        2,
        "--for",
    ));
    cases.push(case(
        "--scope tenant",
        with(&onboard, "--scope", "tenant"),
        2,
        "--scope",
    ));
    cases.push(case(
        "--via email",
        with(&onboard, "--via", "email"),
        2,
        "--via",
    ));
    cases.push(case(
        "--permission-model acl",
        with(&onboard, "--permission-model", "acl"),
        2,
        "--permission-model",
    ));
    cases.push(case(
        "an unknown flag",
        with(&onboard, "--vaults", "x"),
        2,
        "--vaults",
    ));

    // Output paths.
    let folder = dir.join("out-folder");
    std::fs::create_dir_all(&folder).unwrap();
    for (name, path) in [
        ("a folder", folder.display().to_string()),
        (
            "a missing folder",
            dir.join("missing/handoff.json").display().to_string(),
        ),
        ("a device", "/dev/full".to_string()),
        ("under /proc", "/proc/xtcmk-handoff.json".to_string()),
    ] {
        cases.push(case(
            &format!("--handoff-out {name}"),
            with(&onboard, "--handoff-out", &path),
            1,
            "--handoff-out",
        ));
    }

    // Invitation files.
    let good = xtcmk::Invitation {
        cloud: w.sim.cloud().name.clone(),
        provider_tenant_id: PROVIDER_TENANT_ID.parse().unwrap(),
        app_id: APP_ID.parse().unwrap(),
        app_display_name: APP_NAME.into(),
        admin_consent_url: xtcmk::consent::admin_consent_url(
            w.sim.cloud(),
            &xtcmk::ConsentTenant::Organizations,
            &APP_ID.parse().unwrap(),
            None,
        ),
        redirect_uri_registered: false,
        next_command: "xtcmk-customer onboard --invitation invitation.json".into(),
        atlas: None,
    }
    .to_value();
    let edited = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        serde_json::to_string_pretty(&v).unwrap()
    };
    let invitation_cases: Vec<(&str, String, &str)> = vec![
        ("not JSON", "{ invitation".into(), "invitation"),
        ("an empty file", String::new(), "invitation"),
        ("an array", "[]".into(), "invitation"),
        (
            "a handoff",
            edited(&|v| v["kind"] = json!("xtcmk.handoff")),
            "invitation.kind",
        ),
        (
            "another kind",
            edited(&|v| v["kind"] = json!("other")),
            "invitation.kind",
        ),
        (
            // 2 is an invitation for MongoDB Atlas; 3 is newer than any this build reads.
            "schema version 3",
            edited(&|v| v["schemaVersion"] = json!(3)),
            "invitation.schemaVersion",
        ),
        (
            "schema version 2 without its target",
            edited(&|v| v["schemaVersion"] = json!(2)),
            "invitation.target",
        ),
        (
            "schema version as a string",
            edited(&|v| v["schemaVersion"] = json!("1")),
            "invitation.schemaVersion",
        ),
        (
            "an unknown field",
            edited(&|v| v["extra"] = json!(1)),
            "invitation.extra",
        ),
        (
            "a nil app id",
            edited(&|v| v["appId"] = json!("00000000-0000-0000-0000-000000000000")),
            "invitation.appId",
        ),
        (
            "a bad app id",
            edited(&|v| v["appId"] = json!("contoso")),
            "invitation.appId",
        ),
        (
            "a missing app id",
            edited(&|v| {
                v.as_object_mut().unwrap().remove("appId");
            }),
            "invitation.appId",
        ),
        (
            "another cloud",
            edited(&|v| v["cloud"] = json!("AzureChinaCloud")),
            "invitation.cloud",
        ),
        (
            "an http consent URL",
            edited(&|v| {
                v["adminConsentUrl"] =
                    json!("http://login.localhost/organizations/adminconsent?client_id=x")
            }),
            "invitation.adminConsentUrl",
        ),
        (
            "a consent URL for another app",
            edited(&|v| {
                let url = v["adminConsentUrl"]
                    .as_str()
                    .unwrap()
                    .replace(APP_ID, "10000000-0000-4000-8000-0000000000ee");
                v["adminConsentUrl"] = json!(url);
            }),
            "invitation.adminConsentUrl",
        ),
        (
            "a next command for another tool",
            edited(&|v| v["nextCommand"] = json!("rm -rf /")),
            "invitation.nextCommand",
        ),
        (
            "a boolean as a string",
            edited(&|v| v["redirectUriRegistered"] = json!("no")),
            "invitation.redirectUriRegistered",
        ),
        (
            "a duplicate key",
            {
                let text = serde_json::to_string_pretty(&good).unwrap();
                text.replacen(
                    "\"appId\"",
                    "\"appId\": \"10000000-0000-4000-8000-0000000000ee\",\n  \"appId\"",
                    1,
                )
            },
            "invitation.appId",
        ),
    ];
    for (i, (name, text, field)) in invitation_cases.into_iter().enumerate() {
        let path = write(dir, &format!("invitation-{i}.json"), &text);
        let mut args = onboard.clone();
        args.splice(1..3, ["--invitation".to_string(), path]);
        cases.push(case(&format!("invitation: {name}"), args, 1, field));
    }
    let mut args = onboard.clone();
    args.splice(
        1..3,
        [
            "--invitation".to_string(),
            dir.join("nope.json").display().to_string(),
        ],
    );
    cases.push(case("a missing invitation", args, 1, "--invitation"));
    let mut args = onboard.clone();
    args.splice(1..3, ["--invitation".to_string(), "/dev/zero".to_string()]);
    cases.push(case("an endless invitation", args, 1, "--invitation"));
    let mut args = onboard.clone();
    args.splice(
        1..3,
        ["--invitation".to_string(), dir.display().to_string()],
    );
    cases.push(case("a folder as the invitation", args, 1, "--invitation"));
    let inv = write(
        dir,
        "invitation.json",
        &serde_json::to_string_pretty(&good).unwrap(),
    );
    let mut args = with(&onboard, "--handoff-out", &inv);
    args.splice(1..3, ["--invitation".to_string(), inv.clone()]);
    cases.push(case(
        "the invitation as the handoff output",
        args,
        1,
        "--handoff-out",
    ));

    // Handoff files for status and revoke.
    let handoff = json!({
        "kind": "xtcmk.handoff", "schemaVersion": 1, "cloud": w.sim.cloud().name,
        "customerTenantId": CUSTOMER_TENANT_ID, "subscriptionId": CUSTOMER_SUBSCRIPTION_ID,
        "resourceGroup": CUSTOMER_RESOURCE_GROUP, "vaultName": VAULT,
        "keyUri": format!("https://{VAULT}.vault.localhost:{}/keys/{KEY}", w.sim.port()),
        "keyVersion": "0123456789abcdef0123456789abcdef", "appId": APP_ID,
        "servicePrincipalObjectId": "20000000-0000-4000-8000-0000000000f1",
        "permissionModel": "rbac", "target": "cosmos"
    });
    let handoff_edit = |f: &dyn Fn(&mut Value)| {
        let mut v = handoff.clone();
        f(&mut v);
        serde_json::to_string_pretty(&v).unwrap()
    };
    let handoff_cases: Vec<(&str, String, &str)> = vec![
        ("not JSON", "nope".into(), "handoff"),
        (
            "an invitation",
            serde_json::to_string(&good).unwrap(),
            "handoff.kind",
        ),
        (
            "a versioned key URI",
            handoff_edit(&|v| {
                let uri = format!(
                    "{}/0123456789abcdef0123456789abcdef",
                    v["keyUri"].as_str().unwrap()
                );
                v["keyUri"] = json!(uri);
            }),
            "handoff.keyUri",
        ),
        (
            "the app id as the principal",
            handoff_edit(&|v| v["servicePrincipalObjectId"] = json!(APP_ID)),
            "handoff.servicePrincipalObjectId",
        ),
        (
            "another cloud",
            handoff_edit(&|v| v["cloud"] = json!("AzureCloud")),
            "handoff.cloud",
        ),
        (
            "a short key version",
            handoff_edit(&|v| v["keyVersion"] = json!("0123")),
            "handoff.keyVersion",
        ),
        (
            "an unknown target",
            handoff_edit(&|v| v["target"] = json!("db2")),
            "handoff.target",
        ),
        (
            "another vault in keyUri",
            handoff_edit(&|v| v["vaultName"] = json!("kv-other")),
            "handoff.vaultName",
        ),
    ];
    for (i, (name, text, field)) in handoff_cases.into_iter().enumerate() {
        let path = write(dir, &format!("handoff-{i}.json"), &text);
        for command in ["status", "revoke"] {
            cases.push(case(
                &format!("{command}: handoff {name}"),
                vec![
                    command.into(),
                    "--handoff".into(),
                    path.clone(),
                    "--yes".into(),
                ]
                .into_iter()
                .filter(|a| command == "revoke" || a != "--yes")
                .collect(),
                1,
                field,
            ));
        }
    }
    cases.push(case(
        "status without --handoff",
        vec!["status".into()],
        2,
        "--handoff",
    ));

    // check-key-uri (offline).
    for (bad, field) in [
        ("http://kv1.vault.azure.net/keys/cmk", "key URI"),
        ("https://kv1.vault.azure.net/secrets/cmk", "key URI"),
        ("https://kv1.vault.azure.com/keys/cmk", "key URI"),
        ("https://kv--1.vault.azure.net/keys/cmk", "key URI"),
        ("https://kv1.vault.azure.net/keys/cmk/123", "key URI"),
        ("not a uri", "key URI"),
    ] {
        cases.push(case(
            &format!("check-key-uri {bad}"),
            vec![
                "check-key-uri".into(),
                bad.into(),
                "--for".into(),
                "cosmos".into(),
            ],
            1,
            field,
        ));
    }

    // Environment variables and cloud profiles.
    for (var, value) in [
        ("XTCMK_OUTPUT", "yaml"),
        ("XTCMK_AUTH", "magic"),
        ("XTCMK_CLOUD", ""),
    ] {
        let mut c = case(&format!("{var}={value:?}"), onboard.clone(), 2, var);
        c.env.push((var.into(), value.into()));
        cases.push(c);
    }
    let profile: Value =
        serde_json::from_str(&std::fs::read_to_string(w.sim.profile_path()).unwrap()).unwrap();
    for (name, key, value, field) in [
        (
            "a port in the vault suffix",
            "keyVaultDnsSuffix",
            json!("vault.localhost:1"),
            "keyVaultDnsSuffix",
        ),
        (
            "an empty HSM label",
            "managedHsmDnsSuffix",
            json!(".managedhsm.localhost"),
            "managedHsmDnsSuffix",
        ),
        ("port 0", "servicePort", json!(0), "servicePort"),
        (
            "an http login endpoint",
            "loginEndpoint",
            json!("http://login.localhost/"),
            "loginEndpoint",
        ),
        (
            "an audience that is not a URL",
            "keyVaultAudience",
            json!("vault"),
            "keyVaultAudience",
        ),
        ("an unknown field", "extra", json!(true), "--cloud"),
    ] {
        let mut p = profile.clone();
        p[key] = value;
        let path = write(dir, &format!("profile-{key}.json"), &p.to_string());
        cases.push(case(
            &format!("profile: {name}"),
            with(&onboard, "--cloud", &path),
            1,
            field,
        ));
    }
    cases.push(case(
        "a profile that does not exist",
        with(&onboard, "--cloud", "no-such-cloud.json"),
        1,
        "--cloud",
    ));

    assert!(cases.len() >= 100, "{} cases", cases.len());
    let base_env = w.sim.env_as_user(CUSTOMER, CUSTOMER_ADMIN);
    let mut failures = Vec::new();
    for c in &cases {
        let mut env = base_env.clone();
        env.extend(c.env.iter().cloned());
        let run = xtcmk_sim::bin_run::run_bin(BIN, dir, &c.args, &env);
        let stderr = &run.stderr;
        // Usage errors from the argument parser name the flag and point at its help (and list
        // the possible values where there are some).
        let fix = stderr.contains("hint:")
            || (c.code == 2 && (stderr.contains("Usage:") || stderr.contains("try '--help'")));
        if run.code != c.code || !stderr.contains(&c.field) || !fix || stderr.contains("panicked") {
            failures.push(format!(
                "{}: expected exit {} naming {}\n{}",
                c.name,
                c.code,
                c.field,
                run.shown()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    let attempts = w.sim.log().write_attempts();
    assert!(attempts.is_empty(), "bad input wrote: {attempts:#?}");
}
