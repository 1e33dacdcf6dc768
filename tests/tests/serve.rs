//! `xtcmk-sim serve` as a process: it prints where it is, `curl --cacert` reaches it, the profile
//! it writes loads as a cloud, `xtcmk-sim az` signs a user in, the `az` shim answers as the
//! Azure CLI does, and even at trace level its log holds no secret and no token.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use xtcmk::Cloud;
use xtcmk_sim::scenario::demo;

const SIM: &str = env!("CARGO_BIN_EXE_xtcmk-sim");

struct Served {
    child: Child,
    port: u16,
    banner: String,
    /// The server's stderr, drained as it comes so the server never blocks on the pipe.
    log: Option<std::thread::JoinHandle<String>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `xtcmk-sim serve` and reads its banner (printed once it listens).
fn serve(dir: &Path) -> Served {
    serve_with(dir, &[])
}

/// [`serve`] with more flags.
fn serve_with(dir: &Path, extra: &[&str]) -> Served {
    let mut child = Command::new(SIM)
        .args(["serve", "--port", "0", "--zero-delay", "-v"])
        .args(extra)
        .arg("--dir")
        .arg(dir.join("sim"))
        .arg("--profile-out")
        .arg(dir.join("cloud.json"))
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.starts_with("Try it with curl") {
            break;
        }
    }
    let port = banner
        .split("https://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in the banner:\n{banner}"));
    // Keep draining stdout and stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    Served {
        child,
        port,
        banner,
        log: Some(log),
    }
}

#[test]
fn serve_throttles_and_adds_latency_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve_with(dir.path(), &["--arm-bucket", "2/1", "--latency-ms", "5"]);
    assert!(
        served
            .banner
            .contains("throttling:     ARM reads 2/1/s, writes 2/1/s, deletes 2/1/s per subscription; Graph 3500/350/s"),
        "{}",
        served.banner
    );
    let ca = dir.path().join("sim/ca.pem");
    let port = served.port;
    let out = curl(&[
        "--cacert",
        &ca.display().to_string(),
        "--resolve",
        &format!("sim.localhost:{port}:127.0.0.1"),
        &format!("https://sim.localhost:{port}/throttle"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let limits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(limits["arm"]["deletes"]["capacity"], 2);
    assert_eq!(limits["graph"]["capacity"], 3500);
    // Without the flags, no limits.
    let dir = tempfile::tempdir().unwrap();
    let plain = serve(dir.path());
    assert!(!plain.banner.contains("throttling"), "{}", plain.banner);
}

fn curl(args: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args(["-sS", "--fail-with-body", "--max-time", "60"])
        .args(args)
        .output()
        .expect("curl must be installed (the az shim needs it too)")
}

#[test]
fn serve_answers_curl_and_writes_a_loadable_profile() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = serve(dir.path());
    let port = served.port;
    let ca = dir.path().join("sim/ca.pem");
    assert!(
        served
            .banner
            .contains(&format!("CA certificate: {}", ca.display())),
        "{}",
        served.banner
    );
    assert!(
        served.banner.contains("export XTCMK_CLOUD="),
        "{}",
        served.banner
    );
    // The demo's Atlas project and its Project Owner API key, as the README shows them.
    let atlas_line = served
        .banner
        .lines()
        .find(|l| l.contains("Atlas") && l.contains(demo::ATLAS_GROUP_ID));
    assert!(atlas_line.is_some(), "{}", served.banner);
    for export in [
        format!(
            "export MONGODB_ATLAS_PUBLIC_API_KEY={}",
            demo::ATLAS_PUBLIC_KEY
        ),
        format!(
            "export MONGODB_ATLAS_PRIVATE_API_KEY={}",
            demo::ATLAS_PRIVATE_KEY
        ),
    ] {
        assert!(served.banner.contains(&export), "{}", served.banner);
    }

    // The banner names every subscription and resource group of each tenant.
    for line in [
        format!("subscription {}", demo::PROVIDER_SUBSCRIPTION_ID),
        format!("resource group {}", demo::PROVIDER_RESOURCE_GROUP),
        format!("subscription {}", demo::CUSTOMER_SUBSCRIPTION_ID),
        format!("resource group {}", demo::CUSTOMER_RESOURCE_GROUP),
    ] {
        assert!(served.banner.contains(&line), "{line}: {}", served.banner);
    }

    // The admin host's root lists its routes.
    let admin = curl(&[
        "--cacert",
        &ca.display().to_string(),
        "--resolve",
        &format!("sim.localhost:{port}:127.0.0.1"),
        &format!("https://sim.localhost:{port}/"),
    ]);
    let index: serde_json::Value = serde_json::from_slice(&admin.stdout).unwrap();
    let paths: Vec<&str> = index["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    for path in ["/log", "/counters", "/faults", "/replication"] {
        assert!(paths.contains(&path), "{index}");
    }

    // The profile loads as a custom cloud.
    let profile = dir.path().join("cloud.json");
    let cloud = Cloud::select(&profile.display().to_string()).unwrap();
    assert_eq!(cloud.service_port, Some(port));
    assert_eq!(cloud.ca_file.as_deref(), Some(ca.as_path()));
    assert_eq!(
        cloud.login_endpoint.as_str(),
        format!("https://login.localhost:{port}/")
    );

    // curl with the CA only (no -k).
    let resolve = format!("login.localhost:{port}:127.0.0.1");
    let url = format!(
        "https://login.localhost:{port}/{}/v2.0/.well-known/openid-configuration",
        demo::PROVIDER_TENANT_ID
    );
    let out = curl(&[
        "--cacert",
        &ca.display().to_string(),
        "--resolve",
        &resolve,
        &url,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        metadata["issuer"],
        format!(
            "https://login.localhost:{port}/{}/v2.0",
            demo::PROVIDER_TENANT_ID
        )
    );
    // Without the CA, curl refuses the certificate.
    let out = curl(&["--resolve", &resolve, &url]);
    assert!(!out.status.success());

    // A client-secret token through curl (the secret goes in the form, never into a log).
    let token_url = format!(
        "https://login.localhost:{port}/{}/oauth2/v2.0/token",
        demo::PROVIDER_TENANT_ID
    );
    let out = curl(&[
        "--cacert",
        &ca.display().to_string(),
        "--resolve",
        &resolve,
        "--data-urlencode",
        "grant_type=client_credentials",
        "--data-urlencode",
        &format!("client_id={}", demo::CI_APP_ID),
        "--data-urlencode",
        &format!("client_secret={}", demo::CI_SECRET),
        "--data-urlencode",
        "scope=https://management.localhost/.default",
        &token_url,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let granted: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let access_token = granted["access_token"].as_str().unwrap().to_string();

    // `xtcmk-sim az login` signs a user in and installs the shim; the shim answers as az does.
    let config = dir.path().join("az-alex");
    let out = Command::new(SIM)
        .args(["az", "login", "--user", demo::PROVIDER_ADMIN, "--profile"])
        .arg(&profile)
        .arg("--config-dir")
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exports = String::from_utf8_lossy(&out.stdout);
    assert!(exports.contains("export AZURE_CONFIG_DIR="), "{exports}");
    let out = Command::new(config.join("bin/az"))
        .args([
            "account",
            "get-access-token",
            "-o",
            "json",
            "--scope",
            "https://graph.localhost/.default",
        ])
        .env("AZURE_CONFIG_DIR", &config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for member in [
        "accessToken",
        "expiresOn",
        "expires_on",
        "tenant",
        "tokenType",
        "subscription",
    ] {
        assert!(token.get(member).is_some(), "{member} missing: {token}");
    }
    assert_eq!(token["tenant"], demo::PROVIDER_TENANT_ID);
    let user_token = token["accessToken"].as_str().unwrap().to_string();
    let out = Command::new(SIM)
        .args(["az", "account", "show"])
        .env("AZURE_CONFIG_DIR", &config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let account: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(account["user"]["name"], demo::PROVIDER_ADMIN);
    // A tenant the user is not in: az's error on stderr, exit 1.
    let out = Command::new(config.join("bin/az"))
        .args([
            "account",
            "get-access-token",
            "--tenant",
            demo::CUSTOMER_TENANT_ID,
            "--resource",
            "https://management.localhost/",
        ])
        .env("AZURE_CONFIG_DIR", &config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("ERROR: AADSTS50020"));

    // The server's log (trace level) names requests but holds no secret and no token.
    let _ = served.child.kill();
    let _ = served.child.wait();
    let log = served.log.take().unwrap().join().unwrap();
    assert!(log.contains("/oauth2/v2.0/token"), "{log}");
    for secret in [demo::CI_SECRET, &access_token, &user_token] {
        assert!(!log.contains(secret), "a secret or token is in the log");
    }
    assert!(!log.contains("eyJ"), "a JWT is in the log");
}

/// The profile loads in the provider's binary. `cargo test --workspace` builds every binary of
/// the workspace before running tests; run alone with `-p xtcmk-sim`, the binary may be absent.
#[test]
fn the_profile_loads_in_xtcmk_provider() {
    let provider =
        Path::new(SIM).with_file_name(format!("xtcmk-provider{}", std::env::consts::EXE_SUFFIX));
    if !provider.is_file() {
        println!(
            "skipped: {} not built (run `cargo test --workspace`)",
            provider.display()
        );
        return;
    }
    let sim = xtcmk_sim::Sim::demo();
    let out = Command::new(&provider)
        .arg("--cloud")
        .arg(sim.profile_path())
        .args([
            "consent-url",
            "--app-id",
            demo::CI_APP_ID,
            "--customer-tenant",
            demo::CUSTOMER_TENANT_ID,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The consent URL is on the simulator's login host.
    assert!(
        stdout.contains(&format!(
            "https://login.localhost:{}/{}",
            sim.port(),
            demo::CUSTOMER_TENANT_ID
        )),
        "{stdout}"
    );
}
