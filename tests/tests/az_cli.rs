//! The real Azure CLI against the simulator: the commands of Microsoft's cross-tenant CMK
//! procedure, run by `az` (azure-cli from PyPI) as a client the project did not write.
//!
//! How it runs: the simulator listens on port 443 of a loopback address of its own
//! (127.0.0.x, so no other listener is in the way) and every `az` command runs in a private
//! mount namespace (`unshare --mount`) whose `/etc/hosts` maps the simulator's host names to
//! that address — the machine's own `/etc/hosts` is never touched. `az` trusts the simulator's
//! CA through `REQUESTS_CA_BUNDLE`, skips instance discovery (`core.instance_discovery=false`),
//! registers the simulator as a custom cloud from ARM's `/metadata/endpoints`, and signs in as
//! the demo's service principals (`az login --service-principal`).
//!
//! Skipped, saying why, when `az` is not installed (`XTCMK_AZ` names it, else `az` on `PATH`
//! that is the real Azure CLI), when not running as root, or when `unshare` or `mount` is
//! missing. CI installs azure-cli into a virtual environment and sets `XTCMK_AZ`.

use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::{Scenario, Sim, SimOptions};

/// The Azure CLI to run: `XTCMK_AZ`, else `az` on `PATH` if it is the real one.
fn find_az() -> Result<PathBuf, String> {
    let candidate = match std::env::var_os("XTCMK_AZ") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from("az"),
    };
    let out = Command::new(&candidate)
        .args(["version", "--output", "json"])
        .output()
        .map_err(|e| {
            format!(
                "the Azure CLI is not installed ({}: {e}); install azure-cli (pip install azure-cli) and set XTCMK_AZ to its az",
                candidate.display()
            )
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !text.contains("azure-cli") {
        return Err(format!(
            "{} is not the Azure CLI (`az version` printed no azure-cli version)",
            candidate.display()
        ));
    }
    Ok(candidate)
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Everything the test needs, or why it cannot run here.
fn precheck() -> Result<PathBuf, String> {
    let az = find_az()?;
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if uid != "0" {
        return Err(format!(
            "not root (uid {uid}): port 443 and a private mount namespace for /etc/hosts need root"
        ));
    }
    for tool in ["unshare", "mount"] {
        if !have(tool) {
            return Err(format!("`{tool}` is not installed (util-linux)"));
        }
    }
    Ok(az)
}

/// A loopback address of this test's own, in 127.0.0.2–127.0.0.250.
fn loopback() -> IpAddr {
    let n = 2 + (std::process::id() % 249) as u8;
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

const VAULT: &str = "kv-az-cmk";

struct Az<'a> {
    az: PathBuf,
    hosts: PathBuf,
    config: &'a Path,
    ca: &'a Path,
}

impl Az<'_> {
    /// Runs `az args…` in a private mount namespace with the simulator's `/etc/hosts`.
    fn run(&self, args: &[&str]) -> Output {
        Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(r#"mount --bind "$1" /etc/hosts && shift && exec "$@""#)
            .arg("sh")
            .arg(&self.hosts)
            .arg(&self.az)
            .args(args)
            .env("AZURE_CONFIG_DIR", self.config)
            .env("REQUESTS_CA_BUNDLE", self.ca)
            .env("AZURE_CORE_INSTANCE_DISCOVERY", "false")
            .env("AZURE_CORE_COLLECT_TELEMETRY", "false")
            .env("AZURE_CORE_SURVEY_MESSAGE", "false")
            .env("AZURE_CORE_NO_COLOR", "true")
            .output()
            .expect("unshare runs")
    }

    /// `run`, which must succeed; its stdout as JSON (`Null` when empty).
    fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "az {} failed:\n--- stdout\n{stdout}\n--- stderr\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(&stdout).unwrap_or(Value::Null)
    }
}

#[test]
fn the_azure_cli_runs_the_cross_tenant_cmk_procedure_against_the_simulator() {
    let az = match precheck() {
        Ok(az) => az,
        Err(reason) => {
            println!("skipped: {reason}");
            return;
        }
    };
    let address = loopback();
    let sim = Sim::start_with(
        Some(Scenario::demo()),
        SimOptions {
            address,
            port: 443,
            ..SimOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("the simulator cannot listen on {address}:443: {e:#}"));
    let work = tempfile::tempdir().unwrap();
    let hosts = work.path().join("hosts");
    let names = [
        "login.localhost",
        "management.localhost",
        "graph.localhost",
        "sim.localhost",
        &format!("{VAULT}.vault.localhost"),
    ];
    std::fs::write(
        &hosts,
        format!("127.0.0.1 localhost\n{address} {}\n", names.join(" ")),
    )
    .unwrap();
    let config = work.path().join("azure");
    let az = Az {
        az,
        hosts,
        config: &config,
        ca: sim.ca_path(),
    };
    let provider_tenant = PROVIDER_TENANT_ID;
    let customer_tenant = CUSTOMER_TENANT_ID;

    // The simulator as a custom cloud: everything else comes from ARM's /metadata/endpoints.
    az.ok(&[
        "cloud",
        "register",
        "--name",
        "xtcmk-sim",
        "--endpoint-resource-manager",
        "https://management.localhost/",
    ]);
    az.ok(&["cloud", "set", "--name", "xtcmk-sim"]);

    // Phase 1, the provider's CI service principal.
    az.ok(&[
        "login",
        "--service-principal",
        "--username",
        CI_APP_ID,
        "--password",
        CI_SECRET,
        "--tenant",
        provider_tenant,
    ]);
    let subscriptions = az.ok(&["account", "list"]);
    assert_eq!(
        subscriptions[0]["id"], PROVIDER_SUBSCRIPTION_ID,
        "{subscriptions}"
    );
    let app = az.ok(&[
        "ad",
        "app",
        "create",
        "--display-name",
        "Contoso CMK (az)",
        "--sign-in-audience",
        "AzureADMultipleOrgs",
    ]);
    let app_id = app["appId"].as_str().expect("an app id").to_string();
    let identity = az.ok(&[
        "identity",
        "create",
        "--resource-group",
        PROVIDER_RESOURCE_GROUP,
        "--name",
        "uami-az",
    ]);
    let uami_principal = identity["principalId"].as_str().unwrap().to_string();
    let issuer = sim.cloud().issuer(&provider_tenant.parse().unwrap());
    let fic = format!(
        r#"{{"name":"uami-az","issuer":"{issuer}","subject":"{uami_principal}","audiences":["api://AzureADTokenExchange"]}}"#
    );
    az.ok(&[
        "ad",
        "app",
        "federated-credential",
        "create",
        "--id",
        &app_id,
        "--parameters",
        &fic,
    ]);

    // Phase 2, the customer's CI service principal.
    az.ok(&[
        "login",
        "--service-principal",
        "--username",
        CUSTOMER_CI_APP_ID,
        "--password",
        CUSTOMER_CI_SECRET,
        "--tenant",
        customer_tenant,
    ]);
    let sp = az.ok(&["ad", "sp", "create", "--id", &app_id]);
    let sp_id = sp["id"]
        .as_str()
        .expect("the service principal's id")
        .to_string();
    let listed = az.ok(&[
        "ad",
        "sp",
        "list",
        "--filter",
        &format!("appId eq '{app_id}'"),
    ]);
    assert_eq!(listed[0]["id"], sp_id.as_str(), "{listed}");
    let vault = az.ok(&[
        "keyvault",
        "create",
        "--name",
        VAULT,
        "--resource-group",
        CUSTOMER_RESOURCE_GROUP,
        "--enable-purge-protection",
        "true",
    ]);
    assert_eq!(
        vault["properties"]["enablePurgeProtection"], true,
        "{vault}"
    );
    let vault_id = vault["id"].as_str().unwrap().to_string();
    // On an RBAC vault even its creator needs a data role to create keys.
    az.ok(&[
        "role",
        "assignment",
        "create",
        "--role",
        "Key Vault Crypto Officer",
        "--assignee-object-id",
        CUSTOMER_CI_SP_OBJECT_ID,
        "--assignee-principal-type",
        "ServicePrincipal",
        "--scope",
        &vault_id,
    ]);
    let key = az.ok(&[
        "keyvault",
        "key",
        "create",
        "--vault-name",
        VAULT,
        "--name",
        "cmk",
        "--kty",
        "RSA",
        "--size",
        "3072",
    ]);
    assert!(
        key["key"]["kid"]
            .as_str()
            .is_some_and(|k| k.starts_with(&format!("https://{VAULT}.vault.localhost/keys/cmk/"))),
        "{key}"
    );
    let grant = az.ok(&[
        "role",
        "assignment",
        "create",
        "--role",
        "Key Vault Crypto Service Encryption User",
        "--assignee-object-id",
        &sp_id,
        "--assignee-principal-type",
        "ServicePrincipal",
        "--scope",
        &format!("{vault_id}/keys/cmk"),
    ]);
    assert_eq!(grant["principalId"], sp_id.as_str(), "{grant}");
    assert!(
        grant["roleDefinitionId"]
            .as_str()
            .is_some_and(|r| r.ends_with("e147488a-f6f5-4113-8e2d-b22465e65bf6")),
        "{grant}"
    );

    // The simulator saw what a real cloud would: the metadata read without a token, and no
    // request refused except Key Vault's authentication challenge and the lookups az makes of
    // things that do not exist yet (`az ad sp create` tries the app id as an object id,
    // `az keyvault create` checks the name is free).
    let log = sim.log().entries();
    let metadata = log
        .iter()
        .find(|e| e.path == "/metadata/endpoints")
        .expect("az cloud register read the metadata");
    assert_eq!(
        (metadata.status, metadata.principal.as_deref()),
        (200, None)
    );
    let refused: Vec<_> = log
        .iter()
        .filter(|e| e.status >= 400 && !(e.status == 401 && e.auth_refused))
        .filter(|e| !(e.method == "GET" && e.status == 404))
        .map(|e| format!("{} {} -> {}", e.method, e.path, e.status))
        .collect();
    assert!(refused.is_empty(), "{refused:#?}");
}
