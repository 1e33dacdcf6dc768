//! The customer's offline command (`check-key-uri`) run as the built binary: exit code, stdout and
//! stderr snapshotted, temp paths filtered.

use std::path::Path;
use tempfile::TempDir;
use xtcmk_sim::bin_run::run_bin;
use xtcmk_sim::snapshot::Filters;

const BIN: &str = env!("CARGO_BIN_EXE_xtcmk-customer");
const VERSION: &str = "0123456789abcdef0123456789abcdef";

/// Runs the binary in `dir` with a clean environment for the tool's own variables.
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = run_bin(BIN, dir, args, &[]);
    (out.code, out.shown())
}

fn snapshot(name: &str, dir: &Path, shown: &str) {
    let filters = Filters::new().dir(dir, "[TMP]");
    xtcmk_sim::assert_output_snapshot!(filters, name, shown);
}

/// `(snapshot name, arguments, exit code, text the output must hold)`.
type Case = (&'static str, Vec<String>, i32, &'static str);

fn case(name: &'static str, args: &[&str], code: i32, needle: &'static str) -> Case {
    (
        name,
        args.iter().map(|a| a.to_string()).collect(),
        code,
        needle,
    )
}

fn check(dir: &Path, cases: Vec<Case>) {
    for (name, args, expected, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, shown) = run(dir, &args);
        assert_eq!(code, expected, "{name}: {shown}");
        assert!(shown.contains(needle), "{name}: `{needle}` not in\n{shown}");
        snapshot(name, dir, &shown);
    }
}

#[test]
fn good_key_uris_print_the_form_the_target_needs() {
    let tmp = TempDir::new().unwrap();
    let versioned = format!("https://contoso-kv.vault.azure.net/keys/cmk/{VERSION}");
    let versioned_messy = format!("https://Contoso-KV.vault.azure.net/keys/cmk/{VERSION}/");
    let hsm_gov = format!("https://contoso-hsm.managedhsm.usgovcloudapi.net/keys/cmk/{VERSION}");
    check(
        tmp.path(),
        vec![
            case(
                "cosmos_versionless",
                &[
                    "check-key-uri",
                    "https://contoso-kv.vault.azure.net/keys/cmk",
                    "--for",
                    "cosmos",
                ],
                0,
                "https://contoso-kv.vault.azure.net/keys/cmk\n",
            ),
            case(
                "cosmos_versioned_drops_the_version",
                &["check-key-uri", &versioned, "--for", "cosmos"],
                0,
                "dropped the version",
            ),
            case(
                "atlas_versioned",
                &["check-key-uri", &versioned_messy, "--for", "atlas"],
                0,
                "normalised to",
            ),
            case(
                "atlas_managed_hsm_usgov_json",
                &[
                    "--cloud",
                    "usgov",
                    "check-key-uri",
                    &hsm_gov,
                    "--for",
                    "atlas",
                    "--output",
                    "json",
                ],
                0,
                "\"kind\": \"managedHsm\"",
            ),
            case(
                "cosmos_china_json",
                &[
                    "--cloud",
                    "china",
                    "--output",
                    "json",
                    "check-key-uri",
                    "https://contoso-kv.vault.azure.cn/keys/cmk/",
                    "--for",
                    "cosmos",
                ],
                0,
                "\"cloud\": \"AzureChinaCloud\"",
            ),
        ],
    );
}

#[test]
fn refused_key_uris_exit_1_naming_the_problem() {
    let tmp = TempDir::new().unwrap();
    let versioned_short = "https://contoso-kv.vault.azure.net/keys/cmk/0123456789abcdef";
    check(
        tmp.path(),
        vec![
            case(
                "atlas_versionless_refused",
                &[
                    "check-key-uri",
                    "https://contoso-kv.vault.azure.net/keys/cmk",
                    "--for",
                    "atlas",
                ],
                1,
                "az keyvault key show --id https://contoso-kv.vault.azure.net/keys/cmk --query key.kid",
            ),
            case(
                "vault_azure_com",
                &[
                    "check-key-uri",
                    "https://contoso-kv.vault.azure.com/keys/cmk",
                    "--for",
                    "cosmos",
                ],
                1,
                "use `vault.azure.net`: https://contoso-kv.vault.azure.net/keys/cmk",
            ),
            case(
                "china_suffix_in_public_cloud",
                &[
                    "check-key-uri",
                    "https://contoso-kv.vault.azure.cn/keys/cmk",
                    "--for",
                    "cosmos",
                ],
                1,
                "--cloud china",
            ),
            case(
                "public_hsm_in_usgov",
                &[
                    "--cloud",
                    "usgov",
                    "check-key-uri",
                    "https://contoso-hsm.managedhsm.azure.net/keys/cmk",
                    "--for",
                    "cosmos",
                ],
                1,
                "Managed HSM suffix of AzureCloud",
            ),
            case(
                "secret_path",
                &[
                    "check-key-uri",
                    "https://contoso-kv.vault.azure.net/secrets/cmk",
                    "--for",
                    "cosmos",
                ],
                1,
                "secret's URI",
            ),
            case(
                "http_scheme",
                &[
                    "check-key-uri",
                    "http://contoso-kv.vault.azure.net/keys/cmk",
                    "--for",
                    "cosmos",
                ],
                1,
                "https only",
            ),
            case(
                "short_version",
                &["check-key-uri", versioned_short, "--for", "atlas"],
                1,
                "not 32 hexadecimal characters",
            ),
            case(
                "bad_key_name",
                &[
                    "check-key-uri",
                    "https://contoso-kv.vault.azure.net/keys/cmk_1",
                    "--for",
                    "cosmos",
                ],
                1,
                "contains `_`",
            ),
        ],
    );
}

#[test]
fn usage_errors_exit_2() {
    let tmp = TempDir::new().unwrap();
    check(
        tmp.path(),
        vec![
            case(
                "missing_for",
                &[
                    "check-key-uri",
                    "https://contoso-kv.vault.azure.net/keys/cmk",
                ],
                2,
                "--for <TARGET>",
            ),
            case(
                "unknown_target",
                &[
                    "check-key-uri",
                    "https://contoso-kv.vault.azure.net/keys/cmk",
                    "--for",
                    "sql",
                ],
                2,
                "invalid value 'sql'",
            ),
            case(
                "missing_uri",
                &["check-key-uri", "--for", "cosmos"],
                2,
                "<KEY_URI>",
            ),
        ],
    );
}

#[test]
fn custom_cloud_profile_applies_its_suffixes_and_port() {
    let tmp = TempDir::new().unwrap();
    let mut cloud = xtcmk::Cloud::public();
    cloud.name = "LocalSim".into();
    cloud.key_vault_dns_suffix = "vault.localhost".into();
    cloud.managed_hsm_dns_suffix = "managedhsm.localhost".into();
    cloud.service_port = Some(8443);
    let profile = tmp.path().join("cloud.json");
    std::fs::write(&profile, serde_json::to_string_pretty(&cloud).unwrap()).unwrap();
    let profile = profile.display().to_string();
    check(
        tmp.path(),
        vec![
            case(
                "custom_cloud_good",
                &[
                    "--cloud",
                    &profile,
                    "check-key-uri",
                    "https://kv1.vault.localhost:8443/keys/cmk",
                    "--for",
                    "cosmos",
                ],
                0,
                "https://kv1.vault.localhost:8443/keys/cmk\n",
            ),
            case(
                "custom_cloud_refuses_public_suffix",
                &[
                    "--cloud",
                    &profile,
                    "check-key-uri",
                    "https://kv1.vault.azure.net/keys/cmk",
                    "--for",
                    "cosmos",
                ],
                1,
                "--cloud public",
            ),
            case(
                "missing_cloud_profile",
                &[
                    "--cloud",
                    "no-such-profile.json",
                    "check-key-uri",
                    "https://kv1.vault.azure.net/keys/cmk",
                    "--for",
                    "cosmos",
                ],
                1,
                "--cloud",
            ),
        ],
    );
}
