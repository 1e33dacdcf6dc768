//! A vault's network rules on its data plane (keyvault-mgmt 2026-02-01 `NetworkRuleSet`,
//! `publicNetworkAccess`; Key Vault "Configure firewalls and virtual networks"):
//! - `publicNetworkAccess: Disabled` blocks all public traffic; only trusted Azure services
//!   pass, and only while `networkAcls.bypass` is `AzureServices` (its default) — otherwise 403
//!   `ForbiddenByConnection`, "Public network access is disabled and request is not from a
//!   trusted service nor via an approved private link." (microsoft/multimodal-ai#171);
//! - `networkAcls.defaultAction: Deny` lets through a client whose address matches an IP rule,
//!   and trusted services when `bypass` is `AzureServices` — otherwise 403 `ForbiddenByFirewall`,
//!   "Client address is not authorized and caller is not a trusted service." (microsoft/AzureTRE#3789).
//!
//! Requests that reach the simulator over HTTPS are clients (their address is the TCP peer's).
//! The simulated Azure services that use a customer's key (Cosmos DB, Atlas) call
//! [`allows`] with [`Origin::TrustedService`].

use crate::reply::Reply;
use crate::state::ArmResource;
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};

/// Where a data-plane request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A client on the public network, by address.
    Client(IpAddr),
    /// A trusted Azure service (Key Vault's "trusted services" list), by name.
    TrustedService(&'static str),
}

/// Why the vault's network rules block a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// `publicNetworkAccess` is disabled.
    Connection,
    /// The firewall denies by default and no rule lets the request through.
    Firewall,
}

fn rule_matches(rule: &str, address: &IpAddr) -> bool {
    let IpAddr::V4(address) = address else {
        return false;
    };
    let Some((network, bits)) = crate::arm::vaults::parse_ip_rule(rule) else {
        return false;
    };
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(bits))
    };
    u32::from(*address) & mask == u32::from(network) & mask
}

/// Whether the vault's network rules let a request from `origin` through.
pub fn allows(vault: &Value, origin: &Origin) -> Result<(), Blocked> {
    let props = &vault["properties"];
    let acls = &props["networkAcls"];
    // An absent bypass means AzureServices (NetworkRuleSet.bypass: "If not specified the default is 'AzureServices'").
    let bypass = acls["bypass"]
        .as_str()
        .is_none_or(|b| b.eq_ignore_ascii_case("AzureServices"));
    let trusted = matches!(origin, Origin::TrustedService(_)) && bypass;
    let public_disabled = props["publicNetworkAccess"]
        .as_str()
        .is_some_and(|p| p.eq_ignore_ascii_case("disabled"));
    if public_disabled {
        return if trusted {
            Ok(())
        } else {
            Err(Blocked::Connection)
        };
    }
    let denies = acls["defaultAction"]
        .as_str()
        .is_some_and(|a| a.eq_ignore_ascii_case("deny"));
    if !denies || trusted {
        return Ok(());
    }
    let listed = match origin {
        Origin::Client(address) => acls["ipRules"].as_array().is_some_and(|rules| {
            rules
                .iter()
                .filter_map(|r| r["value"].as_str())
                .any(|r| rule_matches(r, address))
        }),
        Origin::TrustedService(_) => false,
    };
    if listed {
        Ok(())
    } else {
        Err(Blocked::Firewall)
    }
}

/// Key Vault's 403 for a blocked request; `caller` is `appid=…;oid=…;iss=…`.
pub fn refusal(vault: &ArmResource, blocked: Blocked, origin: &Origin, caller: &str) -> Reply {
    let location = vault.body["location"].as_str().unwrap_or_default();
    let (inner, message) = match blocked {
        Blocked::Connection => (
            "ForbiddenByConnection",
            format!(
                "Public network access is disabled and request is not from a trusted service nor via an approved private link.\r\nCaller: {caller}\r\nVault: {};location={location}",
                vault.name
            ),
        ),
        Blocked::Firewall => {
            let address = match origin {
                Origin::Client(a) => a.to_string(),
                Origin::TrustedService(name) => name.to_string(),
            };
            (
                "ForbiddenByFirewall",
                format!(
                    "Client address is not authorized and caller is not a trusted service.\r\nClient address: {address}\r\nCaller: {caller}\r\nVault: {};location={location}",
                    vault.name
                ),
            )
        }
    };
    Reply::json(
        403,
        json!({ "error": { "code": "Forbidden", "message": message, "innererror": { "code": inner } } }),
    )
}

/// The origin of an HTTPS request: its TCP peer (loopback when unknown).
pub fn client_origin(peer: Option<std::net::SocketAddr>) -> Origin {
    Origin::Client(
        peer.map(|p| p.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(props: Value) -> Value {
        json!({ "properties": props })
    }

    #[test]
    fn firewall_and_public_access_rules() {
        let client = Origin::Client("127.0.0.1".parse().unwrap());
        let cosmos = Origin::TrustedService("Microsoft.DocumentDB");
        assert_eq!(allows(&vault(json!({})), &client), Ok(()));
        let deny = vault(json!({ "networkAcls": { "defaultAction": "Deny", "bypass": "None" } }));
        assert_eq!(allows(&deny, &client), Err(Blocked::Firewall));
        assert_eq!(allows(&deny, &cosmos), Err(Blocked::Firewall));
        let deny_bypass = vault(json!({ "networkAcls": { "defaultAction": "Deny" } }));
        assert_eq!(allows(&deny_bypass, &cosmos), Ok(()));
        let listed = vault(
            json!({ "networkAcls": { "defaultAction": "Deny", "bypass": "None", "ipRules": [{ "value": "127.0.0.0/8" }] } }),
        );
        assert_eq!(allows(&listed, &client), Ok(()));
        let closed = vault(
            json!({ "publicNetworkAccess": "Disabled", "networkAcls": { "bypass": "AzureServices" } }),
        );
        assert_eq!(allows(&closed, &client), Err(Blocked::Connection));
        assert_eq!(allows(&closed, &cosmos), Ok(()));
        let sealed = vault(
            json!({ "publicNetworkAccess": "disabled", "networkAcls": { "bypass": "None" } }),
        );
        assert_eq!(allows(&sealed, &cosmos), Err(Blocked::Connection));
    }
}
