//! Key Vault's network rules for a data-plane caller that is not a trusted Azure service (every
//! caller of the simulator's data plane is: they reach it from 127.0.0.1). Cosmos DB's own access,
//! as a trusted service, is decided in `arm/cosmos/chain.rs`.
//!
//! - `publicNetworkAccess: Disabled` → 403 `ForbiddenByConnection` "Connection is not an approved
//!   private link and caller was ignored because bypass is not set to 'AzureServices' and
//!   PublicNetworkAccess is set to 'Disabled'." (the answer quoted for vaults with public access
//!   disabled, Key Vault network security: "Key Vault firewall enabled (private link)");
//! - `networkAcls.defaultAction: Deny` without an IP rule for the caller → 403
//!   `ForbiddenByFirewall` "Client address is not authorized and caller is not a trusted service."
//!   (MicrosoftDocs/azure-docs#52649), or "… caller was ignored because bypass is set to None" when
//!   no trusted service may bypass the firewall (troubleshoot-cmk 1.1).

use super::forbidden;
use crate::reply::Reply;
use crate::state::ArmResource;
use crate::tokens::Claims;
use serde_json::Value;
use std::net::Ipv4Addr;

/// Where the simulator's callers come from.
pub const CLIENT_ADDRESS: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// Whether `rule` (`a.b.c.d` or `a.b.c.d/n`) covers `address`.
fn covers(rule: &str, address: Ipv4Addr) -> bool {
    let (ip, bits) = match rule.split_once('/') {
        Some((ip, bits)) => (ip, bits.parse::<u32>().ok()),
        None => (rule, Some(32)),
    };
    let (Ok(ip), Some(bits @ 0..=32)) = (ip.trim().parse::<Ipv4Addr>(), bits) else {
        return false;
    };
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    u32::from(ip) & mask == u32::from(address) & mask
}

/// The vault's answer to a data-plane caller its network rules keep out, if they do.
pub fn check(vault: &ArmResource, claims: &Claims) -> Result<(), Reply> {
    let props = &vault.body["properties"];
    let location = vault.body["location"].as_str().unwrap_or_default();
    let caller = format!(
        "Caller: appid={};oid={}",
        claims.appid.as_deref().unwrap_or_default(),
        claims.oid.as_deref().unwrap_or_default()
    );
    let footer = format!("Vault: {};location={location}", vault.name);
    if props["publicNetworkAccess"]
        .as_str()
        .is_some_and(|p| p.eq_ignore_ascii_case("Disabled"))
    {
        return Err(forbidden(
            "ForbiddenByConnection",
            &format!(
                "Connection is not an approved private link and caller was ignored because bypass is not set to 'AzureServices' and PublicNetworkAccess is set to 'Disabled'.\r\n{caller}\r\n{footer}"
            ),
        ));
    }
    let acls = &props["networkAcls"];
    let deny = acls["defaultAction"]
        .as_str()
        .is_some_and(|a| a.eq_ignore_ascii_case("Deny"));
    if !deny {
        return Ok(());
    }
    let allowed = acls["ipRules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("value").and_then(Value::as_str))
        .any(|r| covers(r, CLIENT_ADDRESS));
    if allowed {
        return Ok(());
    }
    // `bypass` defaults to AzureServices (keyvault-mgmt 2026-02-01 `NetworkRuleSet`).
    let bypass = acls["bypass"].as_str().unwrap_or("AzureServices");
    let why = if bypass.eq_ignore_ascii_case("AzureServices") {
        "Client address is not authorized and caller is not a trusted service."
    } else {
        "Client address is not authorized and caller was ignored because bypass is set to None"
    };
    Err(forbidden(
        "ForbiddenByFirewall",
        &format!("{why}\r\nClient address: {CLIENT_ADDRESS}\r\n{caller}\r\n{footer}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vault(props: Value) -> ArmResource {
        ArmResource {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1".into(),
            subscription: "10000000-0000-4000-8000-0000000000a1".parse().unwrap(),
            resource_group: "rg".into(),
            kind: "Microsoft.KeyVault/vaults".into(),
            name: "kv1".into(),
            body: json!({ "location": "westeurope", "properties": props }),
        }
    }

    fn inner(r: Reply) -> (String, String) {
        match r.body {
            crate::reply::Body::Json(v) => (
                v["error"]["innererror"]["code"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                v["error"]["message"].as_str().unwrap().to_string(),
            ),
            _ => panic!("a JSON error"),
        }
    }

    #[test]
    fn open_vaults_and_allowed_addresses_pass() {
        let c = Claims::default();
        assert!(check(&vault(json!({})), &c).is_ok());
        assert!(
            check(
                &vault(json!({"networkAcls": {"defaultAction": "Allow"}})),
                &c
            )
            .is_ok()
        );
        let allowed = json!({"networkAcls": {"defaultAction": "Deny", "ipRules": [{"value": "127.0.0.0/8"}]}});
        assert!(check(&vault(allowed), &c).is_ok());
    }

    #[test]
    fn closed_vaults_say_why() {
        let c = Claims::default();
        let trusted = check(&vault(json!({"networkAcls": {"defaultAction": "Deny", "ipRules": [{"value": "10.0.0.1"}]}})), &c).unwrap_err();
        let (code, message) = inner(trusted);
        assert_eq!(code, "ForbiddenByFirewall");
        assert!(
            message.starts_with(
                "Client address is not authorized and caller is not a trusted service."
            )
        );
        let none = check(
            &vault(json!({"networkAcls": {"defaultAction": "Deny", "bypass": "None"}})),
            &c,
        )
        .unwrap_err();
        assert!(inner(none).1.contains("bypass is set to None"));
        let private = check(&vault(json!({"publicNetworkAccess": "Disabled"})), &c).unwrap_err();
        assert_eq!(inner(private).0, "ForbiddenByConnection");
        assert!(!covers("not an ip", CLIENT_ADDRESS));
    }
}
