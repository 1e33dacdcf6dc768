//! The one `reqwest` client of the process, built from the cloud profile: rustls with the system
//! roots plus the profile's `caFile`, a resolver that honours the profile's `resolve` rules
//! (`*.localhost` → 127.0.0.1 makes `<vault>.vault.localhost` reach the simulator) before normal
//! DNS, connect/read timeouts and the `xtcmk/<version>` user agent. [`transport`] wraps it as the
//! `azure_core` transport every pipeline and credential uses.

use crate::cloud::ResolveRule;
use crate::{Cloud, InputError};
use azure_core::http::{HttpClient, Transport};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// `xtcmk/<version>`.
pub const USER_AGENT: &str = concat!("xtcmk/", env!("CARGO_PKG_VERSION"));

/// Time to establish a TCP+TLS connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Longest silence while reading a response.
pub const READ_TIMEOUT: Duration = Duration::from_secs(90);

/// How long an unused connection is kept. A batch meets a new vault host with every customer
/// and never returns to it: at 60 s the bench's 1,000-customer batch held 913 files open, most
/// of them idle TLS connections (about 25 KiB each), near the usual limit of 1,024.
/// A run's own requests to one host follow each other within seconds.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// The address a rule maps `host` to: the first rule whose suffix is the host itself or a whole
/// trailing label sequence of it (`localhost` matches `localhost` and `kv1.vault.localhost`,
/// not `notlocalhost`). Case-insensitive; a leading `*.` or `.` in the rule is ignored.
pub fn resolve_by_rules(rules: &[ResolveRule], host: &str) -> Option<IpAddr> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    rules.iter().find_map(|rule| {
        let suffix = rule
            .host_suffix
            .trim_start_matches("*.")
            .trim_start_matches('.')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if suffix.is_empty() {
            return None;
        }
        let matches = host == suffix
            || host
                .strip_suffix(&suffix)
                .is_some_and(|head| head.ends_with('.'));
        matches.then_some(rule.address)
    })
}

/// A DNS resolver applying the cloud's rules, then the system resolver.
#[derive(Debug, Clone)]
pub struct RuleResolver {
    rules: Arc<Vec<ResolveRule>>,
}

impl RuleResolver {
    pub fn new(rules: Vec<ResolveRule>) -> Self {
        Self {
            rules: Arc::new(rules),
        }
    }
}

impl Resolve for RuleResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        if let Some(ip) = resolve_by_rules(&self.rules, &host) {
            tracing::trace!("resolved {host} to {ip} by the cloud profile's rule");
            let addrs: Addrs = Box::new(std::iter::once(SocketAddr::new(ip, 0)));
            return Box::pin(async move { Ok(addrs) });
        }
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// Builds the process's HTTP client for `cloud`.
pub fn build_client(cloud: &Cloud) -> Result<reqwest::Client, InputError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        // Azure REST guidelines discourage redirects; following one could carry a token elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(RuleResolver::new(cloud.resolve.clone()));
    if let Some(path) = &cloud.ca_file {
        let shown = path.display().to_string();
        let pem = std::fs::read(path).map_err(|e| {
            InputError::new(
                "--cloud caFile",
                &shown,
                format!("cannot read the CA certificate ({e})"),
            )
            .with_fix("point caFile at the PEM file the simulator wrote, or remove the field")
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            InputError::new(
                "--cloud caFile",
                &shown,
                format!("not a PEM certificate bundle ({e})"),
            )
            .with_fix("caFile must hold one or more `-----BEGIN CERTIFICATE-----` blocks")
        })?;
        if certs.is_empty() {
            return Err(
                InputError::new("--cloud caFile", &shown, "holds no certificate")
                    .with_fix("caFile must hold one or more `-----BEGIN CERTIFICATE-----` blocks"),
            );
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| {
        InputError::new(
            "--cloud",
            &cloud.name,
            format!("cannot set up HTTPS for this cloud ({e})"),
        )
        .with_fix("check the profile's caFile; the system's CA certificates must be readable")
    })
}

/// The client as the `azure_core` transport of every pipeline.
pub fn transport(client: reqwest::Client) -> Transport {
    Transport::new(Arc::new(client) as Arc<dyn HttpClient>)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(suffix: &str, ip: &str) -> ResolveRule {
        ResolveRule {
            host_suffix: suffix.into(),
            address: ip.parse().unwrap(),
        }
    }

    #[test]
    fn rules_match_whole_labels() {
        let rules = vec![
            rule("localhost", "127.0.0.1"),
            rule("*.sim.test", "10.0.0.2"),
        ];
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(resolve_by_rules(&rules, "localhost"), Some(lo));
        assert_eq!(resolve_by_rules(&rules, "kv1.vault.localhost"), Some(lo));
        assert_eq!(resolve_by_rules(&rules, "KV1.Vault.LocalHost."), Some(lo));
        assert_eq!(resolve_by_rules(&rules, "notlocalhost"), None);
        assert_eq!(
            resolve_by_rules(&rules, "login.sim.test"),
            Some("10.0.0.2".parse().unwrap())
        );
        assert_eq!(resolve_by_rules(&rules, "management.azure.com"), None);
        assert_eq!(resolve_by_rules(&[rule("", "1.2.3.4")], "anything"), None);
    }

    #[tokio::test]
    async fn resolver_uses_rules_then_system() {
        let r = RuleResolver::new(vec![rule("localhost", "127.0.0.9")]);
        let addrs: Vec<SocketAddr> = r
            .resolve("kv.vault.localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert_eq!(addrs, vec!["127.0.0.9:0".parse().unwrap()]);
        let system: Vec<SocketAddr> = r
            .resolve("127.0.0.1".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(system.iter().any(|a| a.ip().is_loopback()));
    }

    #[test]
    fn builds_with_and_refuses_ca_files() {
        let mut cloud = Cloud::public();
        assert!(build_client(&cloud).is_ok());
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.pem");
        std::fs::write(&bad, "not a certificate").unwrap();
        cloud.ca_file = Some(bad);
        let err = build_client(&cloud).unwrap_err();
        assert_eq!(err.field, "--cloud caFile");
        cloud.ca_file = Some(dir.path().join("missing.pem"));
        assert!(
            build_client(&cloud)
                .unwrap_err()
                .problem
                .contains("cannot read")
        );
    }
}
