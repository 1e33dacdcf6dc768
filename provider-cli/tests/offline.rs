//! The provider's offline commands (`cosmos template`, `consent-url`) run as built binaries: exit code,
//! stdout and stderr snapshotted, temp paths filtered.

use std::path::Path;
use tempfile::TempDir;
use xtcmk_sim::bin_run::run_bin;
use xtcmk_sim::snapshot::Filters;

const BIN: &str = env!("CARGO_BIN_EXE_xtcmk-provider");
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const APP: &str = "33333333-3333-3333-3333-333333333333";
const SP: &str = "44444444-4444-4444-4444-444444444444";
const VERSION: &str = "0123456789abcdef0123456789abcdef";
const UAMI: &str = "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-cmk";

/// Runs the binary in `dir` with a clean environment for the tool's own variables.
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = run_bin(BIN, dir, args, &[]);
    (out.code, out.shown())
}

fn snapshot(name: &str, dir: &Path, shown: &str) {
    let filters = Filters::new()
        .dir(dir, "[TMP]")
        .known(TENANT, "[TENANT]")
        .known(APP, "[APP_ID]")
        .known(SP, "[SP_ID]");
    xtcmk_sim::assert_output_snapshot!(filters, name, shown);
}

fn template_args<'a>(out: &'a str, key_uri: &'a str) -> Vec<&'a str> {
    vec![
        "cosmos",
        "template",
        "--customer-tenant",
        TENANT,
        "--key-uri",
        key_uri,
        "--identity",
        UAMI,
        "--app-id",
        APP,
        "--account",
        "orders",
        "--location",
        "West Europe",
        "--out",
        out,
    ]
}

fn handoff_json(target: &str, key_uri: &str) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "kind": "xtcmk.handoff",
        "schemaVersion": 1,
        "customerTenantId": TENANT,
        "subscriptionId": "00000000-0000-0000-0000-0000000000bb",
        "resourceGroup": "rg-keys",
        "vaultName": "contoso-kv",
        "keyUri": key_uri,
        "keyVersion": VERSION,
        "appId": APP,
        "servicePrincipalObjectId": SP,
        "permissionModel": "rbac",
        "target": target,
    }))
    .unwrap()
}

fn read(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn template_from_flags_drops_the_version_and_writes_both_files() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    let out_s = out.display().to_string();
    let uri = format!("https://Contoso-KV.vault.azure.net/keys/cosmos-cmk/{VERSION}/");
    let (code, shown) = run(tmp.path(), &template_args(&out_s, &uri));
    assert_eq!(code, 0, "{shown}");
    snapshot("template_from_flags", tmp.path(), &shown);

    let template = std::fs::read_to_string(out.join("cosmos-cross-tenant-cmk.json")).unwrap();
    assert_eq!(template, xtcmk::cosmos::TEMPLATE_JSON);
    let params = read(&out.join("cosmos-cross-tenant-cmk.parameters.json"));
    assert_eq!(
        params["parameters"]["keyVaultKeyUri"]["value"],
        "https://contoso-kv.vault.azure.net/keys/cosmos-cmk"
    );
    assert_eq!(params["parameters"]["location"]["value"], "westeurope");
    assert_eq!(params["parameters"]["identityResourceId"]["value"], UAMI);
    assert_eq!(params["parameters"]["federatedClientId"]["value"], APP);
    // Every parameter the template declares is given, and nothing else.
    let template: serde_json::Value = serde_json::from_str(&template).unwrap();
    let declared: Vec<&String> = template["parameters"].as_object().unwrap().keys().collect();
    let given: Vec<&String> = params["parameters"].as_object().unwrap().keys().collect();
    assert_eq!(declared, given);

    // A second run changes nothing and says so.
    let (code, shown) = run(tmp.path(), &template_args(&out_s, &uri));
    assert_eq!(code, 0, "{shown}");
    snapshot("template_rerun_unchanged", tmp.path(), &shown);
}

#[test]
fn template_from_handoff_as_json() {
    let tmp = TempDir::new().unwrap();
    let handoff = tmp.path().join("handoff.json");
    std::fs::write(
        &handoff,
        handoff_json(
            "cosmos",
            "https://contoso-kv.vault.azure.net/keys/cosmos-cmk",
        ),
    )
    .unwrap();
    let (code, shown) = run(
        tmp.path(),
        &[
            "cosmos",
            "template",
            "--handoff",
            "handoff.json",
            "--identity",
            UAMI,
            "--account",
            "orders",
            "--location",
            "westeurope",
            "--out",
            "deploy",
            "--output",
            "json",
        ],
    );
    assert_eq!(code, 0, "{shown}");
    snapshot("template_from_handoff_json", tmp.path(), &shown);
    let params = read(
        &tmp.path()
            .join("deploy/cosmos-cross-tenant-cmk.parameters.json"),
    );
    assert_eq!(params["parameters"]["federatedClientId"]["value"], APP);
}

#[test]
fn template_for_sovereign_clouds_and_managed_hsm() {
    let tmp = TempDir::new().unwrap();
    let (code, shown) = run(
        tmp.path(),
        &[
            &["--cloud", "china"][..],
            &template_args("cn", "https://contoso-hsm.managedhsm.azure.cn/keys/cmk")[..],
        ]
        .concat()
        .into_iter()
        .map(|a| if a == "West Europe" { "chinaeast2" } else { a })
        .collect::<Vec<_>>(),
    );
    assert_eq!(code, 0, "{shown}");
    snapshot("template_china_managed_hsm", tmp.path(), &shown);

    let (code, shown) = run(
        tmp.path(),
        &[
            &["--cloud", "usgov"][..],
            &template_args("gov", "https://contoso-kv.vault.azure.net/keys/cmk")[..],
        ]
        .concat()
        .into_iter()
        .map(|a| {
            if a == "West Europe" {
                "usgovvirginia"
            } else {
                a
            }
        })
        .collect::<Vec<_>>(),
    );
    assert_eq!(code, 1, "{shown}");
    snapshot(
        "template_refuses_public_suffix_in_usgov",
        tmp.path(),
        &shown,
    );
    assert!(
        !tmp.path().join("gov").exists(),
        "nothing written on refusal"
    );
}

#[test]
fn template_refuses_bad_input_with_exit_1() {
    let tmp = TempDir::new().unwrap();
    let good_uri = "https://contoso-kv.vault.azure.net/keys/cmk";
    let mut cases: Vec<(&str, Vec<String>)> = Vec::new();
    let with = |flag: &str, value: &str| -> Vec<String> {
        let mut a: Vec<String> = template_args("out", good_uri)
            .into_iter()
            .map(String::from)
            .collect();
        let i = a.iter().position(|x| x == flag).unwrap();
        a[i + 1] = value.to_string();
        a
    };
    cases.push((
        "template_vault_azure_com",
        with("--key-uri", "https://contoso-kv.vault.azure.com/keys/cmk"),
    ));
    cases.push((
        "template_secret_path",
        with(
            "--key-uri",
            "https://contoso-kv.vault.azure.net/secrets/cmk",
        ),
    ));
    cases.push((
        "template_bad_app_id",
        with("--app-id", "33333333-3333-3333-3333-33333333333g"),
    ));
    cases.push(("template_bad_tenant", with("--customer-tenant", "contoso")));
    cases.push((
        "template_system_assigned",
        with("--identity", "SystemAssigned"),
    ));
    cases.push((
        "template_identity_is_a_vault",
        with(
            "--identity",
            "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1",
        ),
    ));
    cases.push(("template_bad_account", with("--account", "Orders_DB")));
    for (name, args) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, shown) = run(tmp.path(), &args);
        assert_eq!(code, 1, "{name}: {shown}");
        snapshot(name, tmp.path(), &shown);
    }
    assert!(
        !tmp.path().join("out").exists(),
        "nothing written on refusal"
    );
}

#[test]
fn template_handoff_refusals() {
    let tmp = TempDir::new().unwrap();
    let base = [
        "cosmos",
        "template",
        "--handoff",
        "handoff.json",
        "--identity",
        UAMI,
        "--account",
        "orders",
        "--location",
        "westeurope",
        "--out",
        "out",
    ];

    let (code, shown) = run(tmp.path(), &base);
    assert_eq!(code, 1, "{shown}");
    assert!(shown.contains("--handoff") && shown.contains("handoff.json"));
    snapshot("template_missing_handoff", tmp.path(), &shown);

    std::fs::write(
        tmp.path().join("handoff.json"),
        handoff_json("atlas", "https://contoso-kv.vault.azure.net/keys/cmk"),
    )
    .unwrap();
    let (code, shown) = run(tmp.path(), &base);
    assert_eq!(code, 1, "{shown}");
    snapshot("template_handoff_for_atlas", tmp.path(), &shown);

    std::fs::write(
        tmp.path().join("handoff.json"),
        handoff_json("cosmos", "https://contoso-kv.vault.azure.com/keys/cmk"),
    )
    .unwrap();
    let (code, shown) = run(tmp.path(), &base);
    assert_eq!(code, 1, "{shown}");
    snapshot("template_handoff_bad_key_uri", tmp.path(), &shown);

    std::fs::write(
        tmp.path().join("handoff.json"),
        handoff_json("cosmos", "https://contoso-kv.vault.azure.net/keys/cmk"),
    )
    .unwrap();
    let other_app = [
        &base[..],
        &["--app-id", "55555555-5555-5555-5555-555555555555"][..],
    ]
    .concat();
    let (code, shown) = run(tmp.path(), &other_app);
    assert_eq!(code, 2, "{shown}");
    snapshot("template_handoff_app_id_conflict", tmp.path(), &shown);
    assert!(
        !tmp.path().join("out").exists(),
        "nothing written on refusal"
    );
}

#[test]
fn template_usage_errors_exit_2() {
    let tmp = TempDir::new().unwrap();
    let handoff_and_flags = [
        "cosmos",
        "template",
        "--handoff",
        "h.json",
        "--key-uri",
        "https://contoso-kv.vault.azure.net/keys/cmk",
        "--identity",
        UAMI,
        "--account",
        "orders",
        "--location",
        "westeurope",
    ];
    let (code, shown) = run(tmp.path(), &handoff_and_flags);
    assert_eq!(code, 2, "{shown}");
    snapshot("template_handoff_and_key_uri", tmp.path(), &shown);

    let key_without_tenant = [
        "cosmos",
        "template",
        "--key-uri",
        "https://contoso-kv.vault.azure.net/keys/cmk",
        "--identity",
        UAMI,
        "--app-id",
        APP,
        "--account",
        "orders",
        "--location",
        "westeurope",
    ];
    let (code, shown) = run(tmp.path(), &key_without_tenant);
    assert_eq!(code, 2, "{shown}");
    snapshot("template_key_uri_without_tenant", tmp.path(), &shown);

    let no_app = [
        "cosmos",
        "template",
        "--customer-tenant",
        TENANT,
        "--key-uri",
        "https://contoso-kv.vault.azure.net/keys/cmk",
        "--identity",
        UAMI,
        "--account",
        "orders",
        "--location",
        "westeurope",
    ];
    let (code, shown) = run(tmp.path(), &no_app);
    assert_eq!(code, 2, "{shown}");
    snapshot("template_without_app_id", tmp.path(), &shown);
}

#[test]
fn consent_url_good_runs() {
    let tmp = TempDir::new().unwrap();
    let (code, shown) = run(tmp.path(), &["consent-url", "--app-id", APP]);
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("AADSTS500113"));
    snapshot("consent_url_organizations", tmp.path(), &shown);

    let (code, shown) = run(
        tmp.path(),
        &[
            "--cloud",
            "usgov",
            "consent-url",
            "--app-id",
            APP,
            "--tenant",
            "Contoso.OnMicrosoft.com",
            "--redirect-uri",
            "https://app.example.com/onboarded?step=2",
            "--output",
            "json",
        ],
    );
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains("AADSTS500113"));
    snapshot("consent_url_usgov_json", tmp.path(), &shown);

    let (code, shown) = run(
        tmp.path(),
        &[
            "--cloud",
            "china",
            "consent-url",
            "--app-id",
            APP,
            "--tenant",
            TENANT,
        ],
    );
    assert_eq!(code, 0, "{shown}");
    snapshot("consent_url_china_tenant", tmp.path(), &shown);
}

#[test]
fn consent_url_refusals() {
    let tmp = TempDir::new().unwrap();
    for (name, args, expected) in [
        (
            "consent_url_bad_app_id",
            vec!["consent-url", "--app-id", "not-a-guid"],
            1,
        ),
        (
            "consent_url_common_tenant",
            vec!["consent-url", "--app-id", APP, "--tenant", "common"],
            1,
        ),
        (
            "consent_url_http_redirect",
            vec![
                "consent-url",
                "--app-id",
                APP,
                "--redirect-uri",
                "http://app.example.com/done",
            ],
            1,
        ),
        ("consent_url_missing_app_id", vec!["consent-url"], 2),
    ] {
        let (code, shown) = run(tmp.path(), &args);
        assert_eq!(code, expected, "{name}: {shown}");
        snapshot(name, tmp.path(), &shown);
    }
}
