//! `customerManagedKeyStatus`: what a Cosmos DB account says about its access to the customer's key,
//! decoded into a cause and a fix.
//!
//! The property is readable from api-version 2023-09-15 (an enum there, a free string in 2026-07-15),
//! so it is matched by its trailing code — `… (4002).` — never by its wording. The codes, their causes
//! and their remedies are those of Microsoft's Cosmos DB "cmk-troubleshooting-guide"
//! (learn.microsoft.com/azure/cosmos-db/cmk-troubleshooting-guide); the healthy text is the
//! `CustomerManagedKeyStatus` value of cosmos-db.json 2023-09-15.

use serde::Serialize;
use std::fmt;

/// The text a healthy account shows (cosmos-db.json 2023-09-15 `CustomerManagedKeyStatus`).
pub const CONFIRMED_TEXT: &str = "Access to the configured customer managed key confirmed.";

/// A revocation reason, by the code `customerManagedKeyStatus` ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevokedCode {
    /// 4000: no Entra token could be obtained for the default identity.
    TokenAcquisition,
    /// 4002: the default identity lost its permission on the key, or the key is disabled or expired.
    DefaultIdentityUnauthorized,
    /// 4003: the key is not found in the vault.
    KeyNotFound,
    /// 4005: wrapping or unwrapping with the key failed.
    WrapUnwrapFailed,
    /// 4006: `keyVaultKeyUri` is not a key URI.
    KeyUriFormat,
    /// 4009: the vault's DNS name does not resolve.
    VaultDns,
    /// 4015: the default identity is not defined (not one of the account's identities).
    UndefinedDefaultIdentity,
    /// 4016: network rules block the account's requests to the vault.
    OutboundBlocked,
    /// 4017: the vault is not found.
    VaultNotFound,
}

impl RevokedCode {
    pub const ALL: [RevokedCode; 9] = [
        RevokedCode::TokenAcquisition,
        RevokedCode::DefaultIdentityUnauthorized,
        RevokedCode::KeyNotFound,
        RevokedCode::WrapUnwrapFailed,
        RevokedCode::KeyUriFormat,
        RevokedCode::VaultDns,
        RevokedCode::UndefinedDefaultIdentity,
        RevokedCode::OutboundBlocked,
        RevokedCode::VaultNotFound,
    ];

    /// The numeric code Cosmos DB prints.
    pub fn code(self) -> u16 {
        match self {
            RevokedCode::TokenAcquisition => 4000,
            RevokedCode::DefaultIdentityUnauthorized => 4002,
            RevokedCode::KeyNotFound => 4003,
            RevokedCode::WrapUnwrapFailed => 4005,
            RevokedCode::KeyUriFormat => 4006,
            RevokedCode::VaultDns => 4009,
            RevokedCode::UndefinedDefaultIdentity => 4015,
            RevokedCode::OutboundBlocked => 4016,
            RevokedCode::VaultNotFound => 4017,
        }
    }

    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// What the code means, in one line.
    pub fn cause(self) -> &'static str {
        match self {
            RevokedCode::TokenAcquisition => {
                "Cosmos DB cannot get an Entra token for the account's default identity (the federated credential, the app, or its service principal in the key's tenant)"
            }
            RevokedCode::DefaultIdentityUnauthorized => {
                "the default identity no longer has get/wrapKey/unwrapKey on the key, or the key is disabled or expired"
            }
            RevokedCode::KeyNotFound => "the key is not found in the vault",
            RevokedCode::WrapUnwrapFailed => "Cosmos DB cannot wrap or unwrap with the key",
            RevokedCode::KeyUriFormat => "the account's keyVaultKeyUri is not a valid key URI",
            RevokedCode::VaultDns => "the vault's DNS name does not resolve",
            RevokedCode::UndefinedDefaultIdentity => {
                "the account's default identity is not one of its identities"
            }
            RevokedCode::OutboundBlocked => {
                "the vault's network rules block Cosmos DB (no trusted-services bypass, or private endpoints only)"
            }
            RevokedCode::VaultNotFound => "the vault is not found (deleted or soft-deleted)",
        }
    }

    /// What restores access, in one line.
    pub fn fix(self) -> &'static str {
        match self {
            RevokedCode::TokenAcquisition => {
                "run `xtcmk-provider doctor` to find the broken link: the federated credential on the app, the app itself, or its service principal in the customer's tenant"
            }
            RevokedCode::DefaultIdentityUnauthorized => {
                "the customer re-grants the app's service principal Key Vault Crypto Service Encryption User on the key (re-run `xtcmk-customer onboard`) and enables the key"
            }
            RevokedCode::KeyNotFound => {
                "the customer recovers the deleted key, or the provider deploys again with a handoff naming an existing key"
            }
            RevokedCode::WrapUnwrapFailed => {
                "the key must be RSA with wrapKey and unwrapKey allowed in its key_ops"
            }
            RevokedCode::KeyUriFormat => {
                "deploy again with a versionless key URI of this cloud's Key Vault suffix"
            }
            RevokedCode::VaultDns => {
                "check the vault name in keyVaultKeyUri; the customer recovers the vault if it was deleted"
            }
            RevokedCode::UndefinedDefaultIdentity => {
                "deploy again: the UAMI goes on the account first, then defaultIdentity names it"
            }
            RevokedCode::OutboundBlocked => {
                "the customer allows trusted Microsoft services through the vault firewall (networkAcls.bypass AzureServices) or opens public access"
            }
            RevokedCode::VaultNotFound => {
                "the customer recovers the soft-deleted vault (`az keyvault recover`)"
            }
        }
    }
}

/// A decoded `customerManagedKeyStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStatus {
    /// "Access to the configured customer managed key confirmed."
    Confirmed,
    /// Revoked for a known reason; `text` is what the account said.
    Revoked { code: RevokedCode, text: String },
    /// A status this tool does not know (another code, or no code), shown verbatim.
    Unknown { code: Option<u16>, text: String },
}

/// The number in a trailing `(NNNN)` (Cosmos DB ends its status texts with `… (4002).`), or a bare
/// trailing number.
fn trailing_code(text: &str) -> Option<u16> {
    let t = text.trim_end().trim_end_matches('.').trim_end();
    let t = t.strip_suffix(')').map(str::trim_end).unwrap_or(t);
    let digits: String = t
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if digits.len() < 3 || digits.len() > 5 {
        return None;
    }
    let before = &t[..t.len() - digits.len()];
    let delimited = before.ends_with('(') || before.ends_with(' ') || before.is_empty();
    delimited.then(|| digits.parse().ok()).flatten()
}

impl KeyStatus {
    /// Decodes the status by its trailing code; the healthy text has none.
    pub fn decode(text: &str) -> Self {
        let text = text.trim().to_string();
        match trailing_code(&text) {
            Some(n) => match RevokedCode::from_code(n) {
                Some(code) => KeyStatus::Revoked { code, text },
                None => KeyStatus::Unknown {
                    code: Some(n),
                    text,
                },
            },
            None if text
                .to_ascii_lowercase()
                .contains("customer managed key confirmed") =>
            {
                KeyStatus::Confirmed
            }
            None => KeyStatus::Unknown { code: None, text },
        }
    }

    pub fn is_confirmed(&self) -> bool {
        matches!(self, KeyStatus::Confirmed)
    }

    /// `confirmed`, `revoked-4002`, `revoked-unknown`.
    pub fn state(&self) -> String {
        match self {
            KeyStatus::Confirmed => "confirmed".into(),
            KeyStatus::Revoked { code, .. } => format!("revoked-{}", code.code()),
            KeyStatus::Unknown { .. } => "revoked-unknown".into(),
        }
    }

    /// The status in words: the cause, or the text verbatim when the code is unknown.
    pub fn words(&self) -> String {
        match self {
            KeyStatus::Confirmed => "confirmed: Cosmos DB reaches the customer's key".into(),
            KeyStatus::Revoked { code, .. } => {
                format!("revoked ({}): {}", code.code(), code.cause())
            }
            KeyStatus::Unknown { text, .. } => format!("revoked-unknown: {text}"),
        }
    }

    /// What restores access, when known.
    pub fn fix(&self) -> Option<&'static str> {
        match self {
            KeyStatus::Revoked { code, .. } => Some(code.fix()),
            _ => None,
        }
    }

    /// What the account said.
    pub fn text(&self) -> &str {
        match self {
            KeyStatus::Confirmed => CONFIRMED_TEXT,
            KeyStatus::Revoked { text, .. } | KeyStatus::Unknown { text, .. } => text,
        }
    }
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words())
    }
}

/// The status as JSON: `state`, `code`, `cause`, `fix`, `text`.
impl Serialize for KeyStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("state", &self.state())?;
        let code = match self {
            KeyStatus::Revoked { code, .. } => Some(code.code()),
            KeyStatus::Unknown { code, .. } => *code,
            KeyStatus::Confirmed => None,
        };
        if let Some(c) = code {
            m.serialize_entry("code", &c)?;
        }
        if let KeyStatus::Revoked { code, .. } = self {
            m.serialize_entry("cause", code.cause())?;
            m.serialize_entry("fix", code.fix())?;
        }
        m.serialize_entry("text", self.text())?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE: &str = "for more details about this error and how to restore access to your account please visit https://learn.microsoft.com/en-us/azure/cosmos-db/cmk-troubleshooting-guide";

    #[test]
    fn every_known_code_decodes_by_its_number_not_its_words() {
        for code in RevokedCode::ALL {
            let text = format!(
                "Access to your account is currently revoked because of something else entirely; {GUIDE} ({}).",
                code.code()
            );
            let decoded = KeyStatus::decode(&text);
            assert_eq!(
                decoded,
                KeyStatus::Revoked {
                    code,
                    text: text.clone()
                }
            );
            assert_eq!(decoded.state(), format!("revoked-{}", code.code()));
            assert!(!code.cause().is_empty() && !code.fix().is_empty());
            assert!(decoded.words().contains(code.cause()));
        }
        // The code decides, whatever the wording says.
        let text = "Access to your account is currently revoked because the correspondent key is not found on the specified Key Vault (4002)";
        assert!(matches!(
            KeyStatus::decode(text),
            KeyStatus::Revoked {
                code: RevokedCode::DefaultIdentityUnauthorized,
                ..
            }
        ));
    }

    #[test]
    fn confirmed_and_unknown() {
        assert_eq!(KeyStatus::decode(CONFIRMED_TEXT), KeyStatus::Confirmed);
        assert!(
            KeyStatus::decode("  access to the configured customer managed key confirmed ")
                .is_confirmed()
        );
        let odd = "Access to your account is currently revoked; something new (4099).";
        let decoded = KeyStatus::decode(odd);
        assert_eq!(
            decoded,
            KeyStatus::Unknown {
                code: Some(4099),
                text: odd.into()
            }
        );
        assert_eq!(decoded.state(), "revoked-unknown");
        assert!(decoded.words().ends_with(odd), "shown verbatim");
        assert!(decoded.fix().is_none());
        let none = KeyStatus::decode("Access to your account is currently revoked; see the guide");
        assert!(matches!(none, KeyStatus::Unknown { code: None, .. }));
        // A number inside the text is not a trailing code.
        assert!(matches!(
            KeyStatus::decode("error 4002 happened, details follow"),
            KeyStatus::Unknown { code: None, .. }
        ));
    }

    #[test]
    fn trailing_codes_with_and_without_parentheses() {
        assert_eq!(trailing_code("x (4016)."), Some(4016));
        assert_eq!(trailing_code("x (4016)"), Some(4016));
        assert_eq!(trailing_code("x 4016"), Some(4016));
        assert_eq!(trailing_code("x4016"), None);
        assert_eq!(trailing_code(CONFIRMED_TEXT), None);
    }

    #[test]
    fn json_shape() {
        let v = serde_json::to_value(KeyStatus::decode("revoked (4003).")).unwrap();
        assert_eq!(v["state"], "revoked-4003");
        assert_eq!(v["code"], 4003);
        assert_eq!(v["cause"], RevokedCode::KeyNotFound.cause());
        let v = serde_json::to_value(KeyStatus::Confirmed).unwrap();
        assert_eq!(v["state"], "confirmed");
        assert!(v.get("code").is_none());
    }
}
