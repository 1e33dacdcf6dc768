//! Key Vault and Managed HSM key URIs, parsed against the selected cloud.
//!
//! The same customer key yields two strings: Cosmos DB wants it **without** a version (and follows the
//! key's current version), MongoDB Atlas wants the full versioned key identifier. [`VersionlessKeyUri`]
//! and [`VersionedKeyUri`] are distinct types so the wrong one cannot be passed.

use crate::{Cloud, InputError};
use serde::{Serialize, Serializer};
use std::fmt;
use url::Url;

/// Where a key lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum KeyStoreKind {
    /// A Key Vault (`{vault}.vault.azure.net`).
    Vault,
    /// A Managed HSM (`{hsm}.managedhsm.azure.net`).
    ManagedHsm,
}

impl KeyStoreKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyStoreKind::Vault => "vault",
            KeyStoreKind::ManagedHsm => "managedHsm",
        }
    }
}

/// The vault (or HSM) and key a URI names, without a version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct KeyLocation {
    kind: KeyStoreKind,
    /// Lowercase, as DNS host names are.
    store_name: String,
    dns_suffix: String,
    port: Option<u16>,
    key_name: String,
}

impl KeyLocation {
    fn base(&self) -> String {
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("https://{}.{}{port}/", self.store_name, self.dns_suffix)
    }

    fn versionless(&self) -> String {
        format!("{}keys/{}", self.base(), self.key_name)
    }
}

/// A parsed key URI, with or without a version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyUri {
    loc: KeyLocation,
    version: Option<String>,
}

/// A key URI without a version, as Cosmos DB's `keyVaultKeyUri` requires
/// ("No version is permitted during provisioning").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VersionlessKeyUri {
    loc: KeyLocation,
}

/// A key URI with its 32-hex-character version, as Atlas's `azureKeyVault.keyIdentifier` requires.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VersionedKeyUri {
    loc: KeyLocation,
    version: String,
}

macro_rules! location_accessors {
    ($t:ty) => {
        impl $t {
            /// Key Vault or Managed HSM.
            pub fn kind(&self) -> KeyStoreKind {
                self.loc.kind
            }

            /// The vault's (or HSM's) name, lowercase.
            pub fn vault_name(&self) -> &str {
                &self.loc.store_name
            }

            /// The key's name as given.
            pub fn key_name(&self) -> &str {
                &self.loc.key_name
            }

            /// The vault's (or HSM's) base URL, `https://{name}.{suffix}[:port]/`.
            pub fn vault_url(&self) -> Url {
                Url::parse(&self.loc.base()).expect("a parsed key URI has a valid base URL")
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}

location_accessors!(KeyUri);
location_accessors!(VersionlessKeyUri);
location_accessors!(VersionedKeyUri);

const KEY_KID_FIX: &str = "copy the key identifier from the portal (Key Vault › Keys › key › version) or from `az keyvault key show --vault-name <vault> --name <key> --query key.kid -o tsv`";

/// The `--cloud` value that selects a built-in cloud.
fn cloud_flag(cloud: &Cloud) -> &str {
    match cloud.name.as_str() {
        "AzureCloud" => "public",
        "AzureChinaCloud" => "china",
        "AzureUSGovernment" => "usgov",
        _ => "<profile file>",
    }
}

/// Suffixes that look like a Key Vault's but are not one, with what to use instead.
fn known_wrong_suffix(cloud: &Cloud, suffix: &str) -> Option<(String, String)> {
    match suffix {
        // Microsoft's Cosmos DB cross-tenant CMK article shows `vault.azure.com` in its example.
        "vault.azure.com" => Some((
            "`vault.azure.com` is not a Key Vault DNS suffix (Microsoft's Cosmos DB cross-tenant CMK article uses it by mistake)".into(),
            cloud.key_vault_dns_suffix.clone(),
        )),
        "managedhsm.azure.com" => {
            Some(("`managedhsm.azure.com` is not a Managed HSM DNS suffix".into(), cloud.managed_hsm_dns_suffix.clone()))
        }
        // privatelink.vaultcore.azure.net is the private DNS zone; clients keep using vault.azure.net.
        s if s.ends_with("vaultcore.azure.net") => Some((
            format!("`{s}` is Key Vault's private DNS zone, not the name clients use for the vault"),
            cloud.key_vault_dns_suffix.clone(),
        )),
        _ => None,
    }
}

/// Key Vault and Managed HSM names: 3–24 characters, letters, digits and hyphens, starting with a
/// letter, not ending with a hyphen, no consecutive hyphens (spec pattern `^[a-zA-Z0-9-]{3,24}$`,
/// keyvault-mgmt 2026-02-01; the rest from Azure's Key Vault naming rules).
pub fn check_vault_name(field: &str, value: &str, name: &str) -> Result<(), InputError> {
    let fix = "vault and Managed HSM names are 3–24 letters, digits and hyphens, start with a letter, end with a letter or digit, and have no `--`";
    let problem = if name.len() < 3 || name.len() > 24 {
        Some(format!(
            "the vault name `{name}` has {} characters; Azure allows 3–24",
            name.chars().count()
        ))
    } else if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        Some(format!(
            "the vault name `{name}` contains `{c}`; only letters, digits and hyphens are allowed"
        ))
    } else if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        Some(format!(
            "the vault name `{name}` does not start with a letter"
        ))
    } else if name.ends_with('-') {
        Some(format!("the vault name `{name}` ends with a hyphen"))
    } else if name.contains("--") {
        Some(format!(
            "the vault name `{name}` contains consecutive hyphens"
        ))
    } else {
        None
    };
    match problem {
        Some(p) => Err(InputError::new(field, value, p).with_fix(fix)),
        None => Ok(()),
    }
}

/// Key names: `^[0-9a-zA-Z-]+$` (keyvault-data 2025-07-01 CreateKey), at most 127 characters
/// (keyvault-mgmt 2026-02-01 `^[a-zA-Z0-9-]{1,127}$`).
pub fn check_key_name(field: &str, value: &str, name: &str) -> Result<(), InputError> {
    let fix = "key names are 1–127 letters, digits and hyphens";
    if name.is_empty() {
        return Err(InputError::new(field, value, "the key name is empty").with_fix(fix));
    }
    if name.len() > 127 {
        return Err(InputError::new(
            field,
            value,
            format!(
                "the key name has {} characters; Azure allows at most 127",
                name.len()
            ),
        )
        .with_fix(fix));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(InputError::new(
            field,
            value,
            format!(
                "the key name `{name}` contains `{c}`; only letters, digits and hyphens are allowed"
            ),
        )
        .with_fix(fix));
    }
    Ok(())
}

/// Key versions: 32 hexadecimal characters (keyvault-mgmt 2026-02-01 `^[a-fA-F0-9]{32}$`).
pub fn check_key_version(field: &str, value: &str, version: &str) -> Result<(), InputError> {
    if version.len() == 32 && version.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(());
    }
    Err(InputError::new(
        field,
        value,
        format!(
            "the key version `{version}` is not 32 hexadecimal characters (it has {})",
            version.chars().count()
        ),
    )
    .with_fix(format!(
        "{KEY_KID_FIX}; versions look like 0123456789abcdef0123456789abcdef"
    )))
}

impl KeyUri {
    /// Parses a key URI of `cloud`, naming `field` in errors. A trailing slash is dropped.
    pub fn parse(cloud: &Cloud, field: &str, value: &str) -> Result<Self, InputError> {
        let e = |problem: String, fix: String| InputError::new(field, value, problem).with_fix(fix);
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(e(
                "it is empty".into(),
                format!(
                    "pass a key URI like https://<vault>.{}/keys/<key>",
                    cloud.key_vault_dns_suffix
                ),
            ));
        }
        let url = Url::parse(trimmed).map_err(|err| {
            let fix = if trimmed.contains("://") {
                KEY_KID_FIX.to_string()
            } else {
                format!(
                    "a key URI starts with https://, e.g. https://{}",
                    trimmed.trim_start_matches('/')
                )
            };
            e(format!("not a URL ({err})"), fix)
        })?;
        if url.scheme() != "https" {
            let rest = trimmed.split_once("://").map(|(_, r)| r).unwrap_or(trimmed);
            return Err(e(
                format!(
                    "it uses `{}`; Key Vault serves keys over https only",
                    url.scheme()
                ),
                format!("use https://{rest}"),
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(e(
                "it carries a user name or password (`user@`), which key URIs never have".into(),
                "remove everything between `https://` and the vault host".into(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(e(
                "it has a query (`?…`) or fragment (`#…`); a key URI has neither".into(),
                "remove everything from the `?` or `#` on".into(),
            ));
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_ascii_lowercase(),
            Some(other) => {
                return Err(e(
                    format!("the host `{other}` is an IP address, not a vault host"),
                    KEY_KID_FIX.into(),
                ));
            }
            None => return Err(e("it has no host".into(), KEY_KID_FIX.into())),
        };

        let (kind, store_name, suffix) = classify_host(cloud, field, value, &host)?;

        match (cloud.service_port, url.port()) {
            (_, None) => {}
            (Some(expected), Some(p)) if p == expected => {}
            (Some(expected), Some(p)) => {
                return Err(e(
                    format!("the port {p} is not the cloud's service port {expected}"),
                    format!(
                        "use port {expected}, as in {}",
                        cloud.vault_url(&store_name)
                    ),
                ));
            }
            (None, Some(p)) => {
                return Err(e(
                    format!("it names port {p}; Key Vault listens on the default https port only"),
                    format!("remove `:{p}`"),
                ));
            }
        }
        check_vault_name(field, value, &store_name)?;

        let path = url.path();
        let path = path.strip_prefix('/').unwrap_or(path);
        let path = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<&str> = if path.is_empty() {
            Vec::new()
        } else {
            path.split('/').collect()
        };
        let Some(collection) = segments.first() else {
            return Err(e(
                "this is the vault's URL, not a key's (the path is empty)".into(),
                format!(
                    "append /keys/<key name>, e.g. {}keys/<key name>",
                    cloud_base(cloud, kind, &store_name)
                ),
            ));
        };
        match collection.to_ascii_lowercase().as_str() {
            "keys" => {}
            "secrets" => {
                return Err(e(
                    "this is a secret's URI (/secrets/); customer-managed keys need a key (/keys/)"
                        .into(),
                    format!(
                        "create or pick an RSA key and pass its URI, e.g. {}keys/<key name>",
                        cloud_base(cloud, kind, &store_name)
                    ),
                ));
            }
            "certificates" => {
                return Err(e(
                    "this is a certificate's URI (/certificates/); customer-managed keys need a key (/keys/)".into(),
                    format!(
                        "pass a key URI, e.g. {}keys/<key name> (a certificate's own key is at /keys/<certificate name>, but use a dedicated RSA key)",
                        cloud_base(cloud, kind, &store_name)
                    ),
                ));
            }
            other => {
                return Err(e(
                    format!(
                        "the path starts with `/{other}/`; a key URI's path is /keys/<name>[/<version>]"
                    ),
                    KEY_KID_FIX.into(),
                ));
            }
        }
        let Some(key_name) = segments.get(1) else {
            return Err(e(
                "the key name is missing after /keys/".into(),
                format!(
                    "append the key's name: {}keys/<key name>",
                    cloud_base(cloud, kind, &store_name)
                ),
            ));
        };
        if segments.len() > 3 || segments.iter().any(|s| s.is_empty()) {
            return Err(e(
                format!(
                    "the path `/{path}` has extra segments; a key URI's path is /keys/<name>[/<version>]"
                ),
                KEY_KID_FIX.into(),
            ));
        }
        check_key_name(field, value, key_name)?;
        let version = match segments.get(2) {
            Some(v) => {
                check_key_version(field, value, v)?;
                Some((*v).to_string())
            }
            None => None,
        };
        Ok(KeyUri {
            loc: KeyLocation {
                kind,
                store_name,
                dns_suffix: suffix,
                port: cloud.service_port,
                key_name: (*key_name).to_string(),
            },
            version,
        })
    }

    /// The version, if the URI carries one.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The URI without its version, for Cosmos DB.
    pub fn versionless(&self) -> VersionlessKeyUri {
        VersionlessKeyUri {
            loc: self.loc.clone(),
        }
    }

    /// The URI with its version, for Atlas; refused when the URI has none.
    pub fn versioned(&self) -> Result<VersionedKeyUri, InputError> {
        match &self.version {
            Some(v) => Ok(VersionedKeyUri { loc: self.loc.clone(), version: v.clone() }),
            None => Err(InputError::new("key URI", self.to_string(), "it has no version; MongoDB Atlas needs the full versioned key identifier").with_fix(
                format!("`az keyvault key show --id {self} --query key.kid -o tsv` prints the current version's identifier"),
            )),
        }
    }
}

fn cloud_base(cloud: &Cloud, kind: KeyStoreKind, name: &str) -> Url {
    match kind {
        KeyStoreKind::Vault => cloud.vault_url(name),
        KeyStoreKind::ManagedHsm => cloud.managed_hsm_url(name),
    }
}

/// Splits a host into kind, store name and DNS suffix of the selected cloud, or explains why it is not one.
fn classify_host(
    cloud: &Cloud,
    field: &str,
    value: &str,
    host: &str,
) -> Result<(KeyStoreKind, String, String), InputError> {
    let split = |suffix: &str| -> Option<String> {
        let prefix = host.strip_suffix(suffix)?.strip_suffix('.')?;
        Some(prefix.to_string())
    };
    for (kind, suffix) in [
        (KeyStoreKind::Vault, &cloud.key_vault_dns_suffix),
        (KeyStoreKind::ManagedHsm, &cloud.managed_hsm_dns_suffix),
    ] {
        if let Some(name) = split(suffix) {
            if name.contains('.') {
                return Err(InputError::new(
                    field,
                    value,
                    format!(
                        "`{name}` is not a vault name: the host has extra labels before `.{suffix}`"
                    ),
                )
                .with_fix(format!("the host is <vault name>.{suffix}")));
            }
            return Ok((kind, name, suffix.to_string()));
        }
    }
    for other in Cloud::builtins() {
        if other.name == cloud.name {
            continue;
        }
        for (what, suffix) in [
            ("Key Vault", &other.key_vault_dns_suffix),
            ("Managed HSM", &other.managed_hsm_dns_suffix),
        ] {
            if split(suffix).is_some() {
                return Err(InputError::new(
                    field,
                    value,
                    format!(
                        "`{suffix}` is the {what} suffix of {}, but the selected cloud is {}",
                        other.name, cloud.name
                    ),
                )
                .with_fix(format!(
                    "pass --cloud {} (or set XTCMK_CLOUD) to work with a key in {}",
                    cloud_flag(&other),
                    other.name
                )));
            }
        }
    }
    let (name, suffix) = host.split_once('.').unwrap_or((host, ""));
    if let Some((problem, right)) = known_wrong_suffix(cloud, suffix) {
        let corrected = value.trim().replacen(suffix, &right, 1);
        let corrected = if corrected.eq_ignore_ascii_case(value.trim()) {
            format!("https://{name}.{right}/keys/<key name>")
        } else {
            corrected
        };
        return Err(
            InputError::new(field, value, problem).with_fix(format!("use `{right}`: {corrected}"))
        );
    }
    Err(InputError::new(
        field,
        value,
        format!(
            "`{host}` is not a Key Vault (`*.{}`) or Managed HSM (`*.{}`) host of {}",
            cloud.key_vault_dns_suffix, cloud.managed_hsm_dns_suffix, cloud.name
        ),
    )
    .with_fix(KEY_KID_FIX))
}

impl VersionlessKeyUri {
    /// The versioned URI for `version` (e.g. the handoff's current key version), for Atlas.
    pub fn with_version(&self, field: &str, version: &str) -> Result<VersionedKeyUri, InputError> {
        check_key_version(field, version, version)?;
        Ok(VersionedKeyUri {
            loc: self.loc.clone(),
            version: version.to_string(),
        })
    }
}

impl VersionedKeyUri {
    /// The version (32 hexadecimal characters).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The same key without its version, for Cosmos DB.
    pub fn versionless(&self) -> VersionlessKeyUri {
        VersionlessKeyUri {
            loc: self.loc.clone(),
        }
    }
}

impl From<VersionedKeyUri> for KeyUri {
    fn from(v: VersionedKeyUri) -> Self {
        KeyUri {
            loc: v.loc,
            version: Some(v.version),
        }
    }
}

impl From<VersionlessKeyUri> for KeyUri {
    fn from(v: VersionlessKeyUri) -> Self {
        KeyUri {
            loc: v.loc,
            version: None,
        }
    }
}

impl fmt::Display for KeyUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.loc.versionless())?;
        if let Some(v) = &self.version {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl fmt::Display for VersionlessKeyUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.loc.versionless())
    }
}

impl fmt::Display for VersionedKeyUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.loc.versionless(), self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: &str = "0123456789abcdef0123456789ABCDEF";

    #[test]
    fn versioned_and_versionless_views() {
        let k = KeyUri::parse(
            &Cloud::public(),
            "--key-uri",
            &format!("https://KV-1.vault.azure.net/keys/cmk/{V}/"),
        )
        .unwrap();
        assert_eq!(
            k.to_string(),
            format!("https://kv-1.vault.azure.net/keys/cmk/{V}")
        );
        assert_eq!(
            k.versionless().to_string(),
            "https://kv-1.vault.azure.net/keys/cmk"
        );
        assert_eq!(k.versioned().unwrap().version(), V);
        assert_eq!(k.vault_url().as_str(), "https://kv-1.vault.azure.net/");
        assert_eq!(k.kind(), KeyStoreKind::Vault);
        let versionless = k.versionless();
        assert_eq!(
            versionless.with_version("keyVersion", V).unwrap(),
            k.versioned().unwrap()
        );
        assert!(
            versionless
                .with_version("keyVersion", "abc")
                .unwrap_err()
                .problem
                .contains("32 hexadecimal")
        );
        let e = KeyUri::from(versionless).versioned().unwrap_err();
        assert!(
            e.problem
                .contains("needs the full versioned key identifier"),
            "{e}"
        );
        assert!(e.fix.unwrap().contains(
            "az keyvault key show --id https://kv-1.vault.azure.net/keys/cmk --query key.kid"
        ));
    }

    #[test]
    fn custom_cloud_key_uris_carry_the_service_port() {
        let mut sim = Cloud::public();
        sim.name = "sim".into();
        sim.key_vault_dns_suffix = "vault.localhost".into();
        sim.managed_hsm_dns_suffix = "managedhsm.localhost".into();
        sim.service_port = Some(8443);
        let k = KeyUri::parse(&sim, "u", "https://kv1.vault.localhost:8443/keys/k1").unwrap();
        assert_eq!(k.to_string(), "https://kv1.vault.localhost:8443/keys/k1");
        assert_eq!(k.vault_url().as_str(), "https://kv1.vault.localhost:8443/");
        let e = KeyUri::parse(&sim, "u", "https://kv1.vault.localhost:9443/keys/k1").unwrap_err();
        assert!(
            e.problem.contains("not the cloud's service port 8443"),
            "{e}"
        );
        let e = KeyUri::parse(&sim, "u", "https://kv1.vault.azure.net/keys/k1").unwrap_err();
        assert!(e.problem.contains("suffix of AzureCloud"), "{e}");
        assert!(e.fix.unwrap().contains("--cloud public"));
    }

    #[test]
    fn serializes_as_the_normalised_string() {
        let k = KeyUri::parse(
            &Cloud::public(),
            "u",
            "https://kv1.vault.azure.net/keys/k1/",
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&k.versionless()).unwrap(),
            "\"https://kv1.vault.azure.net/keys/k1\""
        );
    }
}
