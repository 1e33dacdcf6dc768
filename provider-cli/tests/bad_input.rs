//! A corpus of bad input for every `xtcmk-provider` command — flags, files, environment
//! variables, cloud profiles: each exits 1 (refused) or 2 (usage), names the field at fault and
//! says how to fix it, never panics, and nothing is written in the simulator.

mod common;

use common::*;
use serde_json::{Value, json};
use tempfile::TempDir;
use xtcmk_sim::Sim;

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

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_bad_input_is_refused_naming_the_field_and_the_fix_with_nothing_written() {
    let sim = Sim::start(scenario(|t| t));
    let dir = TempDir::new().unwrap();
    let setup = setup_args(&sim, &[]);
    let mut cases = Vec::new();

    for flag in ["--tenant", "--subscription", "--app-id"] {
        for bad in [
            "",
            "x",
            "00000000-0000-0000-0000-000000000000",
            "contoso-saas.example",
        ] {
            cases.push(case(
                &format!("setup {flag} {bad:?}"),
                with(&setup, flag, bad),
                1,
                flag,
            ));
        }
    }
    for bad in ["ab", "-uami", "uami.cmk", "uami cmk", &"u".repeat(129)] {
        cases.push(case(
            &format!("--identity-name {bad}"),
            with(&setup, "--identity-name", bad),
            1,
            "--identity-name",
        ));
    }
    for bad in ["", " ", &"n".repeat(121)] {
        cases.push(case(
            &format!("--app-name {bad:?}"),
            with(&setup, "--app-name", bad),
            1,
            "--app-name",
        ));
    }
    for bad in ["", "narnia", "west europe!", "eastus9"] {
        cases.push(case(
            &format!("--location {bad:?}"),
            with(&setup, "--location", bad),
            1,
            "--location",
        ));
    }
    for bad in ["rg/x", "rg.", ""] {
        cases.push(case(
            &format!("--resource-group {bad:?}"),
            with(&setup, "--resource-group", bad),
            1,
            "--resource-group",
        ));
    }
    for bad in ["a", "-cred", "x y"] {
        cases.push(case(
            &format!("--credential-name {bad:?}"),
            with(&setup, "--credential-name", bad),
            1,
            "--credential-name",
        ));
    }
    for bad in [
        "http://contoso.example/ok",
        "not a url",
        "https://contoso.example/#frag",
    ] {
        cases.push(case(
            &format!("--consent-redirect-uri {bad}"),
            with(&setup, "--consent-redirect-uri", bad),
            1,
            "--consent-redirect-uri",
        ));
    }
    cases.push(case(
        "--identity a vault",
        with(
            &setup,
            "--identity",
            "/subscriptions/10000000-0000-4000-8000-0000000000a1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
        ),
        1,
        "--identity",
    ));
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    for (name, path) in [
        ("a folder", folder.display().to_string()),
        (
            "a missing folder",
            dir.path().join("no/invitation.json").display().to_string(),
        ),
        ("a device", "/dev/full".into()),
        ("under /proc", "/proc/xtcmk-invitation.json".into()),
    ] {
        cases.push(case(
            &format!("--invitation-out {name}"),
            with(&setup, "--invitation-out", &path),
            1,
            "--invitation-out",
        ));
    }
    cases.push(case(
        "setup without --tenant",
        strings(&["setup", "--app-name", "x"]),
        2,
        "--tenant",
    ));

    // identities.
    for bad in ["", "app", "00000000-0000-0000-0000-000000000000"] {
        cases.push(case(
            &format!("identities --app-id {bad:?}"),
            strings(&["identities", "--app-id", bad]),
            1,
            "--app-id",
        ));
    }
    cases.push(case(
        "identities --subscription bad",
        strings(&[
            "identities",
            "--app-id",
            "10000000-0000-4000-8000-0000000000d1",
            "--subscription",
            "sub",
        ]),
        1,
        "--subscription",
    ));

    // consent-url (offline).
    for (flag, bad) in [
        ("--app-id", "nope"),
        ("--customer-tenant", "not a tenant!"),
        ("--redirect-uri", "http://x.example/"),
    ] {
        let mut args = strings(&[
            "consent-url",
            "--app-id",
            "10000000-0000-4000-8000-0000000000d1",
        ]);
        args = with(&args, flag, bad);
        cases.push(case(&format!("consent-url {flag} {bad}"), args, 1, flag));
    }

    // cosmos template (offline).
    let template = strings(&[
        "--cloud",
        "public",
        "cosmos",
        "template",
        "--customer-tenant",
        "20000000-0000-4000-8000-000000000002",
        "--key-uri",
        "https://kv1.vault.azure.net/keys/cmk",
        "--identity",
        "/subscriptions/10000000-0000-4000-8000-0000000000a1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami",
        "--app-id",
        "10000000-0000-4000-8000-0000000000d1",
        "--account",
        "orders",
        "--location",
        "westeurope",
        "--out",
        &dir.path().join("deploy").display().to_string(),
    ]);
    for (flag, bad) in [
        ("--account", "Orders"),
        ("--account", "o"),
        ("--account", "orders_1"),
        ("--location", "narnia"),
        ("--key-uri", "https://kv1.vault.azure.com/keys/cmk"),
        ("--identity", "SystemAssigned"),
        ("--customer-tenant", "nope"),
        ("--app-id", "00000000-0000-0000-0000-000000000000"),
    ] {
        cases.push(case(
            &format!("template {flag} {bad}"),
            with(&template, flag, bad),
            1,
            flag,
        ));
    }
    cases.push(case(
        "template --handoff that does not exist",
        strings(&[
            "cosmos",
            "template",
            "--handoff",
            "nope.json",
            "--identity",
            "x",
            "--account",
            "orders",
            "--location",
            "westeurope",
        ]),
        1,
        "--handoff",
    ));

    // cosmos deploy, cosmos status, doctor: refused before anything is sent.
    let handoff = |key_uri: String| {
        json!({
            "kind": "xtcmk.handoff",
            "schemaVersion": 1,
            "customerTenantId": "20000000-0000-4000-8000-000000000002",
            "subscriptionId": "20000000-0000-4000-8000-0000000000a1",
            "resourceGroup": "rg-customer",
            "vaultName": "kv-cmk",
            "keyUri": key_uri,
            "keyVersion": "0123456789abcdef0123456789abcdef",
            "appId": "10000000-0000-4000-8000-0000000000d1",
            "servicePrincipalObjectId": "20000000-0000-4000-8000-0000000000d3",
            "permissionModel": "rbac",
            "target": "cosmos",
        })
    };
    let key = format!("{}keys/cmk", sim.cloud().vault_url("kv-cmk"));
    std::fs::write(
        dir.path().join("handoff.json"),
        handoff(key.clone()).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("versioned.json"),
        handoff(format!("{key}/0123456789abcdef0123456789abcdef")).to_string(),
    )
    .unwrap();
    let uami = "/subscriptions/10000000-0000-4000-8000-0000000000a1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami";
    let deploy = strings(&[
        "cosmos",
        "deploy",
        "--handoff",
        "handoff.json",
        "--identity",
        uami,
        "--subscription",
        "10000000-0000-4000-8000-0000000000a1",
        "--resource-group",
        "rg-cmk",
        "--account",
        "orders",
        "--location",
        "westeurope",
        "--yes",
    ]);
    let long_name = "a".repeat(45);
    for (flag, bad) in [
        ("--account", "Orders"),
        ("--account", long_name.as_str()),
        ("--identity", "SystemAssigned"),
        ("--subscription", "sub"),
        ("--resource-group", "rg/x"),
        ("--location", "narnia"),
        ("--handoff", "nope.json"),
    ] {
        cases.push(case(
            &format!("cosmos deploy {flag} {bad}"),
            with(&deploy, flag, bad),
            1,
            flag,
        ));
    }
    cases.push(case(
        "cosmos deploy with a versioned keyUri in the handoff",
        with(&deploy, "--handoff", "versioned.json"),
        1,
        "keyUri",
    ));
    cases.push(case(
        "cosmos deploy --app-id other than the handoff's",
        with(&deploy, "--app-id", "10000000-0000-4000-8000-0000000000e9"),
        2,
        "--app-id",
    ));
    let status = strings(&[
        "cosmos",
        "status",
        "--subscription",
        "10000000-0000-4000-8000-0000000000a1",
        "--resource-group",
        "rg-cmk",
        "--account",
        "orders",
    ]);
    for (flag, bad) in [("--account", "Orders"), ("--subscription", "x")] {
        cases.push(case(
            &format!("cosmos status {flag} {bad}"),
            with(&status, flag, bad),
            1,
            flag,
        ));
    }
    let doctor = strings(&["doctor", "--handoff", "handoff.json", "--identity", uami]);
    for (flag, bad) in [
        (
            "--identity",
            "/subscriptions/10000000-0000-4000-8000-0000000000a1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
        ),
        ("--account", "Orders"),
        ("--handoff", "nope.json"),
        ("--app-id", "app"),
    ] {
        cases.push(case(
            &format!("doctor {flag} {bad}"),
            with(&doctor, flag, bad),
            1,
            flag,
        ));
    }
    cases.push(case(
        "doctor --subscription without --account",
        with(
            &doctor,
            "--subscription",
            "10000000-0000-4000-8000-0000000000a1",
        ),
        2,
        "--account",
    ));
    // --concurrency belongs to --batch (clap alone lets it through next to --account).
    for (name, base) in [
        ("cosmos deploy", &deploy),
        ("cosmos status", &status),
        ("doctor", &doctor),
    ] {
        cases.push(case(
            &format!("{name} --concurrency without --batch"),
            with(base, "--concurrency", "4"),
            2,
            "--concurrency",
        ));
    }
    cases.push(case(
        "atlas status --concurrency without --batch",
        strings(&[
            "atlas",
            "status",
            "--group-id",
            "65f00000000000000000a001",
            "--concurrency",
            "4",
        ]),
        2,
        "--concurrency",
    ));

    // Environment variables and cloud profiles.
    for (var, value) in [
        ("XTCMK_OUTPUT", "xml"),
        ("XTCMK_AUTH", "password"),
        ("XTCMK_CLOUD", " "),
    ] {
        let mut c = case(&format!("{var}={value:?}"), setup.clone(), 2, var);
        c.env.push((var.into(), value.into()));
        cases.push(c);
    }
    let profile: Value =
        serde_json::from_str(&std::fs::read_to_string(sim.profile_path()).unwrap()).unwrap();
    for (key, value) in [
        ("keyVaultDnsSuffix", json!("vault.localhost:443")),
        ("servicePort", json!(0)),
        ("graphEndpoint", json!("http://graph.localhost/")),
    ] {
        let mut p = profile.clone();
        p[key] = value;
        let path = dir.path().join(format!("profile-{key}.json"));
        std::fs::write(&path, p.to_string()).unwrap();
        cases.push(case(
            &format!("profile {key}"),
            with(&setup, "--cloud", &path.display().to_string()),
            1,
            key,
        ));
    }

    assert!(cases.len() >= 50, "{} cases", cases.len());
    let base_env = sim.env_as_user(PROVIDER, ADMIN);
    let mut failures = Vec::new();
    for c in &cases {
        let mut env = base_env.clone();
        env.extend(c.env.iter().cloned());
        let run = xtcmk_sim::bin_run::run_bin(BIN, dir.path(), &c.args, &env);
        let stderr = &run.stderr;
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
    let attempts = sim.log().write_attempts();
    assert!(attempts.is_empty(), "bad input wrote: {attempts:#?}");
    assert!(!dir.path().join("deploy").exists(), "no template written");
}
