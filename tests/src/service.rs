//! The services the simulator plays, and how a request's `Host` header names one. Every service
//! listens on the same port; only the host name tells them apart.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One simulated service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Entra ID: token endpoint, OpenID metadata, keys (`login.localhost`).
    Login,
    /// Microsoft Graph (`graph.localhost`).
    Graph,
    /// Azure Resource Manager (`management.localhost`).
    Arm,
    /// Key Vault data plane (`<vault>.vault.localhost`).
    KeyVault,
    /// Managed HSM data plane (`<hsm>.managedhsm.localhost`).
    ManagedHsm,
    /// MongoDB Atlas Admin API (`atlas.localhost`).
    Atlas,
    /// The App Service–style managed identity endpoint (`identity.localhost`).
    Identity,
    /// The simulator's own control endpoint (`sim.localhost`).
    Admin,
}

impl Service {
    pub const ALL: [Service; 8] = [
        Service::Login,
        Service::Graph,
        Service::Arm,
        Service::KeyVault,
        Service::ManagedHsm,
        Service::Atlas,
        Service::Identity,
        Service::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Login => "login",
            Service::Graph => "graph",
            Service::Arm => "arm",
            Service::KeyVault => "keyvault",
            Service::ManagedHsm => "managedhsm",
            Service::Atlas => "atlas",
            Service::Identity => "identity",
            Service::Admin => "admin",
        }
    }

    /// The host of a service with a fixed name (`None` for vaults and HSMs, named per instance).
    pub fn fixed_host(self) -> Option<&'static str> {
        match self {
            Service::Login => Some(LOGIN_HOST),
            Service::Graph => Some(GRAPH_HOST),
            Service::Arm => Some(ARM_HOST),
            Service::Atlas => Some(ATLAS_HOST),
            Service::Identity => Some(IDENTITY_HOST),
            Service::Admin => Some(ADMIN_HOST),
            Service::KeyVault | Service::ManagedHsm => None,
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Service {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Service::ALL
            .into_iter()
            .find(|svc| svc.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = Service::ALL.iter().map(|s| s.as_str()).collect();
                format!("unknown service `{s}`; one of {}", names.join(", "))
            })
    }
}

pub const LOGIN_HOST: &str = "login.localhost";
pub const GRAPH_HOST: &str = "graph.localhost";
pub const ARM_HOST: &str = "management.localhost";
pub const ATLAS_HOST: &str = "atlas.localhost";
pub const IDENTITY_HOST: &str = "identity.localhost";
pub const ADMIN_HOST: &str = "sim.localhost";
pub const VAULT_SUFFIX: &str = "vault.localhost";
pub const HSM_SUFFIX: &str = "managedhsm.localhost";

/// Every fixed host name the certificate must cover (vault and HSM hosts by wildcard).
pub const CERT_NAMES: [&str; 10] = [
    "localhost",
    "*.localhost",
    LOGIN_HOST,
    GRAPH_HOST,
    ARM_HOST,
    ATLAS_HOST,
    IDENTITY_HOST,
    ADMIN_HOST,
    "*.vault.localhost",
    "*.managedhsm.localhost",
];

/// The service a `Host` header (with or without port) names, and the vault or HSM name for
/// per-instance hosts. `None` for hosts the simulator does not play.
pub fn classify_host(host: &str) -> Option<(Service, Option<String>)> {
    let name = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    for svc in Service::ALL {
        if svc.fixed_host() == Some(name.as_str()) {
            return Some((svc, None));
        }
    }
    for (suffix, svc) in [
        (VAULT_SUFFIX, Service::KeyVault),
        (HSM_SUFFIX, Service::ManagedHsm),
    ] {
        if let Some(label) = name
            .strip_suffix(suffix)
            .and_then(|h| h.strip_suffix('.'))
            .filter(|l| !l.is_empty() && !l.contains('.'))
        {
            return Some((svc, Some(label.to_string())));
        }
    }
    None
}

/// `host:port` → `host` (IPv6 literals in brackets kept whole).
pub fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map(|(h, _)| &host[..=h.len()])
            .unwrap_or(host);
    }
    host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_name_services() {
        assert_eq!(
            classify_host("login.localhost:8443"),
            Some((Service::Login, None))
        );
        assert_eq!(
            classify_host("Management.LocalHost"),
            Some((Service::Arm, None))
        );
        assert_eq!(
            classify_host("kv-1.vault.localhost:1"),
            Some((Service::KeyVault, Some("kv-1".into())))
        );
        assert_eq!(
            classify_host("hsm.managedhsm.localhost"),
            Some((Service::ManagedHsm, Some("hsm".into())))
        );
        assert_eq!(classify_host("vault.localhost"), None);
        assert_eq!(classify_host("a.b.vault.localhost"), None);
        assert_eq!(classify_host("management.azure.com"), None);
        assert_eq!("KeyVault".parse::<Service>(), Ok(Service::KeyVault));
        assert!(
            "nope"
                .parse::<Service>()
                .unwrap_err()
                .contains("one of login")
        );
    }
}
