//! The signed-in principal's claims, read from the payload of its access token for preflight
//! checks (right tenant? a user or an app? which directory roles?).
//!
//! The signature is deliberately not verified here: the token came straight from Entra ID (or the
//! Azure CLI) to this process, and these claims only steer the tool's own early warnings — every
//! service that acts on the token verifies its signature, issuer and audience itself, so a forged
//! token could only mislead a local check, never grant access. The token itself is never logged
//! or shown; only the decoded claims are kept.

use crate::{AppId, ObjectId, TenantId};
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// The claims of an Entra ID access token that the tool looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// Tenant that issued the token.
    #[serde(default)]
    pub tid: Option<String>,
    /// Object id of the principal (user, service principal or managed identity) in `tid`.
    #[serde(default)]
    pub oid: Option<String>,
    /// User principal name (users only).
    #[serde(default)]
    pub upn: Option<String>,
    /// v2 tokens' user name.
    #[serde(default)]
    pub preferred_username: Option<String>,
    /// v1 tokens' user name for guests and some accounts.
    #[serde(default)]
    pub unique_name: Option<String>,
    /// Client (application) id of the caller (v1 tokens).
    #[serde(default)]
    pub appid: Option<String>,
    /// Client (application) id of the caller (v2 tokens).
    #[serde(default)]
    pub azp: Option<String>,
    /// `app` for application-only tokens.
    #[serde(default)]
    pub idtyp: Option<String>,
    /// Directory role template ids held by the principal.
    #[serde(default)]
    pub wids: Vec<String>,
    /// Audience(s) the token was issued for.
    #[serde(default, deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// Issuer, e.g. `https://sts.windows.net/{tid}/` or `https://login.microsoftonline.com/{tid}/v2.0`.
    #[serde(default)]
    pub iss: Option<String>,
    /// Subject: for a managed identity's token, its principal (object) id, which a federated
    /// credential's subject must equal.
    #[serde(default)]
    pub sub: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    #[serde(default)]
    pub exp: Option<i64>,
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

/// The token could not be read as a JWT. Never contains the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimsError(pub String);

impl fmt::Display for ClaimsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the access token cannot be read: {}", self.0)
    }
}

impl std::error::Error for ClaimsError {}

impl TokenClaims {
    /// Decodes the claims of a compact JWS (`header.payload.signature`), without verifying it.
    pub fn decode(token: &str) -> Result<Self, ClaimsError> {
        let mut parts = token.trim().split('.');
        let (Some(_header), Some(payload), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ClaimsError(
                "it is not a JWT (three dot-separated parts expected)".into(),
            ));
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| ClaimsError("its payload is not base64url".into()))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ClaimsError(format!("its payload is not the expected JSON ({e})")))
    }

    pub fn tenant_id(&self) -> Option<TenantId> {
        self.tid.as_deref().and_then(|t| t.parse().ok())
    }

    pub fn object_id(&self) -> Option<ObjectId> {
        self.oid.as_deref().and_then(|t| t.parse().ok())
    }

    /// The calling application's client id (`appid`, or `azp` in v2 tokens).
    pub fn app_id(&self) -> Option<AppId> {
        self.appid
            .as_deref()
            .or(self.azp.as_deref())
            .and_then(|t| t.parse().ok())
    }

    /// The user's sign-in name, if the token is a user's.
    pub fn user_name(&self) -> Option<&str> {
        self.upn
            .as_deref()
            .or(self.preferred_username.as_deref())
            .or(self.unique_name.as_deref())
    }

    /// Whether the token is an application's (service principal or managed identity), not a user's.
    pub fn is_application(&self) -> bool {
        self.idtyp.as_deref() == Some("app")
            || (self.user_name().is_none() && self.app_id().is_some())
    }

    /// Whether the principal holds the directory role with this template id (`wids` claim).
    pub fn has_directory_role(&self, template_id: &str) -> bool {
        self.wids
            .iter()
            .any(|w| w.eq_ignore_ascii_case(template_id))
    }

    /// Who this is, for messages: the user name, else the app id, else the object id.
    pub fn display_name(&self) -> String {
        if let Some(u) = self.user_name() {
            return u.to_string();
        }
        if let Some(a) = self.appid.as_deref().or(self.azp.as_deref()) {
            return format!("application {a}");
        }
        self.oid
            .clone()
            .map(|o| format!("principal {o}"))
            .unwrap_or_else(|| "an unknown principal".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &serde_json::Value) -> String {
        let e = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        format!(
            "{}.{}.{}",
            e(br#"{"alg":"RS256","typ":"JWT"}"#),
            e(payload.to_string().as_bytes()),
            e(b"sig")
        )
    }

    #[test]
    fn decodes_user_and_app_tokens() {
        let user = TokenClaims::decode(&jwt(&serde_json::json!({
            "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "oid": "11111111-2222-3333-4444-555555555555",
            "upn": "admin@contoso.example",
            "wids": ["62e90394-69f5-4237-9190-012177145e10"],
            "aud": "https://management.azure.com/",
            "iss": "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
            "exp": 1700000000
        })))
        .unwrap();
        assert_eq!(
            user.tenant_id().unwrap().to_string(),
            "72f988bf-86f1-41af-91ab-2d7cd011db47"
        );
        assert_eq!(user.user_name(), Some("admin@contoso.example"));
        assert!(!user.is_application());
        assert!(user.has_directory_role("62E90394-69F5-4237-9190-012177145E10"));
        assert_eq!(user.aud, vec!["https://management.azure.com/".to_string()]);

        let app = TokenClaims::decode(&jwt(&serde_json::json!({
            "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "azp": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "idtyp": "app",
            "aud": ["https://graph.microsoft.com"]
        })))
        .unwrap();
        assert!(app.is_application());
        assert_eq!(
            app.app_id().unwrap().to_string(),
            "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
        );
        assert_eq!(
            app.display_name(),
            "application aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
        );
        assert!(app.wids.is_empty());
    }

    #[test]
    fn refuses_non_jwts_without_echoing_them() {
        let secret = "opaque-secret-token-value";
        let err = TokenClaims::decode(secret).unwrap_err();
        assert!(!err.to_string().contains(secret));
        let err = TokenClaims::decode("a.!!!.c").unwrap_err();
        assert!(err.to_string().contains("base64url"));
        let err = TokenClaims::decode("a.bm90IGpzb24.c").unwrap_err();
        assert!(err.to_string().contains("JSON"));
    }
}
