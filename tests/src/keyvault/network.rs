//! A vault's network rules on its data plane (keyvault-mgmt 2026-02-01 `NetworkRuleSet`,
//! `publicNetworkAccess`; Key Vault "Configure firewalls and virtual networks"):
//! - `publicNetworkAccess: Disabled` blocks all public traffic; only trusted Azure services
//!   pass ("allowlisted services still bypass", overview-vnet-service-endpoints, "Grant access to
//!   trusted Azure services"), and only while `networkAcls.bypass` is `AzureServices` (its default) — otherwise 403
//!   `ForbiddenByConnection`: "Public network access is disabled and request is not from a
//!   trusted service nor via an approved private link." (microsoft/multimodal-ai#171), or with
//!   `bypass: None` "Connection is not an approved private link and caller was ignored because
//!   bypass is not set to 'AzureServices' and PublicNetworkAccess is set to 'Disabled'." (Key
//!   Vault network security, "Key Vault firewall enabled (private link)");
//! - `networkAcls.defaultAction: Deny` lets through a client whose address matches an IP rule,
//!   and trusted services when `bypass` is `AzureServices` — otherwise 403 `ForbiddenByFirewall`:
//!   "Client address is not authorized and caller is not a trusted service."
//!   (microsoft/AzureTRE#3789, MicrosoftDocs/azure-docs#52649), or with `bypass: None` "Client
//!   address is not authorized and caller was ignored because bypass is set to None"
//!   (troubleshoot-cmk 1.1).
//!
//! Requests that reach the simulator over HTTPS are clients (their address is the TCP peer's).
//! Simulated Cosmos DB calls [`allows`] as a trusted service (and is refused outright by disabled
//! public access, `arm/cosmos/chain.rs`); simulated Atlas as a public client from its address.

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

/// Whether the vault lets trusted Azure services bypass its rules: an absent bypass means
/// AzureServices (NetworkRuleSet.bypass: "If not specified the default is 'AzureServices'").
fn bypass_azure_services(vault: &Value) -> bool {
    vault["properties"]["networkAcls"]["bypass"]
        .as_str()
        .is_none_or(|b| b.eq_ignore_ascii_case("AzureServices"))
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
    let bypass = bypass_azure_services(vault);
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
    let bypass = bypass_azure_services(&vault.body);
    let (inner, message) = match blocked {
        Blocked::Connection => {
            let why = if bypass {
                "Public network access is disabled and request is not from a trusted service nor via an approved private link."
            } else {
                "Connection is not an approved private link and caller was ignored because bypass is not set to 'AzureServices' and PublicNetworkAccess is set to 'Disabled'."
            };
            (
                "ForbiddenByConnection",
                format!(
                    "{why}\r\nCaller: {caller}\r\nVault: {};location={location}",
                    vault.name
                ),
            )
        }
        Blocked::Firewall => {
            let address = match origin {
                Origin::Client(a) => a.to_string(),
                Origin::TrustedService(name) => name.to_string(),
            };
            let why = if bypass {
                "Client address is not authorized and caller is not a trusted service."
            } else {
                "Client address is not authorized and caller was ignored because bypass is set to None"
            };
            (
                "ForbiddenByFirewall",
                format!(
                    "{why}\r\nClient address: {address}\r\nCaller: {caller}\r\nVault: {};location={location}",
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

    #[test]
    fn refusals_say_whether_trusted_services_could_bypass() {
        let resource = |props: Value| ArmResource {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1".into(),
            subscription: "10000000-0000-4000-8000-0000000000a1".parse().unwrap(),
            resource_group: "rg".into(),
            kind: "Microsoft.KeyVault/vaults".into(),
            name: "kv1".into(),
            body: json!({ "location": "westeurope", "properties": props }),
        };
        let message = |props: Value, blocked: Blocked| {
            let origin = Origin::Client("127.0.0.1".parse().unwrap());
            match refusal(&resource(props), blocked, &origin, "appid=a;oid=o").body {
                crate::reply::Body::Json(v) => v["error"]["message"].as_str().unwrap().to_string(),
                _ => panic!("a JSON error"),
            }
        };
        let deny =
            |bypass: &str| json!({ "networkAcls": { "defaultAction": "Deny", "bypass": bypass } });
        assert!(message(deny("AzureServices"), Blocked::Firewall).starts_with("Client address is not authorized and caller is not a trusted service.\r\nClient address: 127.0.0.1\r\n"));
        assert!(message(deny("None"), Blocked::Firewall).starts_with("Client address is not authorized and caller was ignored because bypass is set to None\r\n"));
        assert!(
            message(
                json!({ "publicNetworkAccess": "Disabled" }),
                Blocked::Connection
            )
            .starts_with("Public network access is disabled")
        );
        let sealed =
            json!({ "publicNetworkAccess": "Disabled", "networkAcls": { "bypass": "None" } });
        assert!(message(sealed, Blocked::Connection).starts_with("Connection is not an approved private link and caller was ignored because bypass is not set to 'AzureServices'"));
    }
}
