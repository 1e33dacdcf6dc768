//! The formats Cosmos DB checks before it touches anything: the account name, `keyVaultKeyUri`
//! and `defaultIdentity`.

use xtcmk::{AppId, Cloud};

/// Account names: 3–44 characters (the resource-name-rules doc for Microsoft.DocumentDB; the spec's
/// `maxLength` 50 is not what the service allows), lowercase letters, digits and single inner
/// hyphens (the spec pattern `^[a-z0-9]+(-[a-z0-9]+)*`, anchored at the end as the service does).
/// The message for a bad character is Cosmos DB's (microsoft/vscode-cosmosdb#1617,
/// microsoft/azurechat#77); for a bad length the portal's (CompositionalIT/farmer#381).
pub fn name_problem(name: &str) -> Option<String> {
    let chars: Vec<char> = name.chars().collect();
    if !(3..=44).contains(&chars.len()) {
        return Some(
            "The name can contain only lowercase letters, numbers and the '-' character, and must be between 3 and 44 characters".into(),
        );
    }
    let bad = chars.iter().enumerate().find(|(i, c)| {
        let hyphen_misplaced =
            **c == '-' && (*i == 0 || *i == chars.len() - 1 || chars[i - 1] == '-');
        !(c.is_ascii_lowercase() || c.is_ascii_digit() || **c == '-') || hyphen_misplaced
    });
    bad.map(|(i, c)| {
        format!("The character '{c}' at index {i} is not allowed in the DatabaseAccount name")
    })
}

/// A key named by a versionless Key Vault key URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    pub vault: String,
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUriProblem {
    /// Not `https://{vault}.{Key Vault suffix}/keys/{name}`.
    Invalid,
    /// A version follows the key name.
    Versioned,
}

/// Vault names: 3–24 letters, digits and hyphens (keyvault-mgmt `vaultName` pattern).
fn vault_name_ok(name: &str) -> bool {
    (3..=24).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Key names: `^[0-9a-zA-Z-]+$`, at most 127 characters (keyvault-data `key-name`).
fn key_name_ok(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Parses `keyVaultKeyUri` for `cloud`: https, a vault host of the cloud's Key Vault suffix (on the
/// cloud's port, if it has one), `/keys/{name}` and nothing more. A trailing version is refused
/// (Cosmos DB takes the key's latest version itself), and so is a trailing slash.
pub fn parse_key_uri(cloud: &Cloud, uri: &str) -> Result<KeyRef, KeyUriProblem> {
    let url = url::Url::parse(uri).map_err(|_| KeyUriProblem::Invalid)?;
    if url.scheme() != "https" || url.query().is_some() || url.fragment().is_some() {
        return Err(KeyUriProblem::Invalid);
    }
    if url.port().is_some() && url.port() != cloud.service_port {
        return Err(KeyUriProblem::Invalid);
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let suffix = format!(".{}", cloud.key_vault_dns_suffix.to_ascii_lowercase());
    let vault = host
        .strip_suffix(&suffix)
        .filter(|v| vault_name_ok(v))
        .ok_or(KeyUriProblem::Invalid)?;
    let segments: Vec<&str> = url.path().trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        [keys, name] if keys.eq_ignore_ascii_case("keys") && key_name_ok(name) => Ok(KeyRef {
            vault: vault.to_string(),
            key: name.to_string(),
        }),
        [keys, name, version]
            if keys.eq_ignore_ascii_case("keys") && key_name_ok(name) && !version.is_empty() =>
        {
            Err(KeyUriProblem::Versioned)
        }
        _ => Err(KeyUriProblem::Invalid),
    }
}

/// `defaultIdentity`: `FirstPartyIdentity`, `SystemAssignedIdentity` or
/// `UserAssignedIdentity=<UAMI resource id>`, each optionally followed by
/// `&FederatedClientId=<multi-tenant app id>` for a key in another tenant
/// (how-to-setup-cross-tenant-customer-managed-keys; troubleshoot-cmk 1.6 and 1.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultIdentity {
    FirstParty {
        federated: Option<AppId>,
    },
    SystemAssigned {
        federated: Option<AppId>,
    },
    UserAssigned {
        identity: String,
        federated: Option<AppId>,
    },
}

impl DefaultIdentity {
    pub fn federated(&self) -> Option<AppId> {
        match self {
            DefaultIdentity::FirstParty { federated }
            | DefaultIdentity::SystemAssigned { federated }
            | DefaultIdentity::UserAssigned { federated, .. } => *federated,
        }
    }
}

/// `/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}`.
pub fn is_uami_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('/').collect();
    match parts.as_slice() {
        ["", subs, sub, rgs, rg, providers, ns, kind, name] => {
            subs.eq_ignore_ascii_case("subscriptions")
                && sub.parse::<uuid::Uuid>().is_ok()
                && rgs.eq_ignore_ascii_case("resourceGroups")
                && !rg.is_empty()
                && providers.eq_ignore_ascii_case("providers")
                && ns.eq_ignore_ascii_case("Microsoft.ManagedIdentity")
                && kind.eq_ignore_ascii_case("userAssignedIdentities")
                && !name.is_empty()
        }
        _ => false,
    }
}

/// Parses `defaultIdentity`; `None` when its format is not one of the accepted ones.
pub fn parse_default_identity(value: &str) -> Option<DefaultIdentity> {
    let (head, federated) = match value.split_once('&') {
        Some((head, tail)) => {
            let id = tail.strip_prefix("FederatedClientId=")?;
            (head, Some(id.parse::<AppId>().ok()?))
        }
        None => (value, None),
    };
    match head {
        "FirstPartyIdentity" => Some(DefaultIdentity::FirstParty { federated }),
        "SystemAssignedIdentity" => Some(DefaultIdentity::SystemAssigned { federated }),
        _ => {
            let identity = head.strip_prefix("UserAssignedIdentity=")?;
            is_uami_id(identity).then(|| DefaultIdentity::UserAssigned {
                identity: identity.to_string(),
                federated,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloud() -> Cloud {
        crate::profile::cloud(8443, std::path::PathBuf::from("/tmp/ca.pem"))
    }

    #[test]
    fn names() {
        assert_eq!(name_problem("orders-eu"), None);
        assert_eq!(name_problem("a1b"), None);
        assert!(name_problem("ab").unwrap().contains("between 3 and 44"));
        assert!(name_problem(&"a".repeat(45)).is_some());
        assert_eq!(name_problem(&"a".repeat(44)), None);
        assert_eq!(
            name_problem("Orders").unwrap(),
            "The character 'O' at index 0 is not allowed in the DatabaseAccount name"
        );
        assert!(name_problem("test-").unwrap().contains("'-' at index 4"));
        assert!(name_problem("a--b").unwrap().contains("'-' at index 2"));
        assert!(name_problem("-ab").unwrap().contains("index 0"));
        assert!(name_problem("a_b").unwrap().contains("'_' at index 1"));
    }

    #[test]
    fn key_uris() {
        let c = cloud();
        let ok = parse_key_uri(&c, "https://kv-1.vault.localhost:8443/keys/cmk").unwrap();
        assert_eq!(ok.vault, "kv-1");
        assert_eq!(ok.key, "cmk");
        assert_eq!(
            parse_key_uri(
                &c,
                "https://kv-1.vault.localhost:8443/keys/cmk/0123456789abcdef0123456789abcdef"
            ),
            Err(KeyUriProblem::Versioned)
        );
        for bad in [
            "http://kv-1.vault.localhost:8443/keys/cmk",
            "https://kv-1.vault.azure.com/keys/cmk",
            "https://kv-1.vault.localhost:9999/keys/cmk",
            "https://kv-1.vault.localhost:8443/keys/cmk/",
            "https://kv-1.vault.localhost:8443/secrets/cmk",
            "https://kv-1.vault.localhost:8443/keys/",
            "https://kv_1.vault.localhost:8443/keys/cmk",
            "https://kv-1.vault.localhost:8443",
            "not a uri",
        ] {
            assert_eq!(parse_key_uri(&c, bad), Err(KeyUriProblem::Invalid), "{bad}");
        }
    }

    #[test]
    fn default_identities() {
        let uami = "/subscriptions/10000000-0000-4000-8000-0000000000a1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1";
        let app = "10000000-0000-4000-8000-0000000000c1";
        assert_eq!(
            parse_default_identity(&format!(
                "UserAssignedIdentity={uami}&FederatedClientId={app}"
            )),
            Some(DefaultIdentity::UserAssigned {
                identity: uami.into(),
                federated: Some(app.parse().unwrap())
            })
        );
        assert!(matches!(
            parse_default_identity(&format!("UserAssignedIdentity={uami}")),
            Some(DefaultIdentity::UserAssigned {
                federated: None,
                ..
            })
        ));
        assert_eq!(
            parse_default_identity("FirstPartyIdentity"),
            Some(DefaultIdentity::FirstParty { federated: None })
        );
        assert!(matches!(
            parse_default_identity(&format!("SystemAssignedIdentity&FederatedClientId={app}")),
            Some(DefaultIdentity::SystemAssigned { federated: Some(_) })
        ));
        for bad in [
            "UserAssignedIdentity=/subscriptions/x/resourceGroups/rg",
            "SystemAssignedIdentity=subscriptions/a/b",
            &format!("UserAssignedIdentity={uami}&FederatedClientId=not-a-guid"),
            &format!("UserAssignedIdentity={uami}&ClientId={app}"),
            "userassignedidentity",
            "",
        ] {
            assert_eq!(parse_default_identity(bad), None, "{bad}");
        }
    }
}
