//! Access tokens: JWTs signed RS256 with a 2048-bit RSA key generated at start (so tokens from an
//! earlier run are refused), published as JWKS. The claims are those of Entra v2.0 tokens.

use anyhow::Context;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, jwk::Jwk};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;

/// The audience of the refresh tokens the `az` shim holds (never accepted by a service).
pub const REFRESH_AUDIENCE: &str = "urn:xtcmk-sim:refresh";

/// Entra accepts tokens up to five minutes past `exp` / before `nbf` (clock skew).
pub const CLOCK_SKEW_SECONDS: i64 = 300;

/// Access tokens live an hour, as Entra's default.
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;

/// The claims the simulator puts in (and reads from) its tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub aud: String,
    pub iss: String,
    #[serde(default)]
    pub iat: i64,
    #[serde(default)]
    pub nbf: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// `app` for application tokens, `user` for users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idtyp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wids: Vec<String>,
    /// Application permissions (app roles) granted to an application for this token's
    /// resource, e.g. Graph's `Application.ReadWrite.All`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Managed identities: the identity's ARM resource id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xms_mirid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<String>,
    /// A unique token id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uti: Option<String>,
}

impl Claims {
    /// Fresh timestamps: issued now, valid for `lifetime` seconds.
    pub fn timed(mut self, lifetime: i64) -> Self {
        let now = now();
        self.iat = now;
        self.nbf = now;
        self.exp = now + lifetime;
        self.uti = Some(uuid::Uuid::new_v4().simple().to_string());
        self
    }

    pub fn is_app(&self) -> bool {
        self.idtyp.as_deref() == Some("app")
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenProblem {
    /// Not a JWT the simulator can read.
    Malformed(String),
    /// Not signed by this simulator run.
    Signature,
    Expired {
        exp: i64,
    },
    NotYetValid {
        nbf: i64,
    },
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The signing key of this run.
pub struct Signer {
    kid: String,
    /// Parsed once: building it (and its blinding) costs more than a signature, and the
    /// simulator signs a token for nearly every sign-in.
    key_pair: aws_lc_rs::rsa::KeyPair,
    rng: aws_lc_rs::rand::SystemRandom,
    decoding: DecodingKey,
    jwk: Value,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Signer {
    pub fn generate() -> anyhow::Result<Self> {
        let key =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .context("cannot generate the token-signing RSA key")?;
        let encoding = EncodingKey::from_rsa_pem(key.serialize_pem().as_bytes())
            .context("cannot load the token-signing key")?;
        let key_pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(&key.serialize_der())
            .map_err(|e| anyhow::anyhow!("cannot load the token-signing key: {e}"))?;
        let jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)?;
        let decoding = DecodingKey::from_jwk(&jwk)?;
        let kid = uuid::Uuid::new_v4().simple().to_string();
        let mut jwk = serde_json::to_value(&jwk)?;
        jwk["kid"] = Value::String(kid.clone());
        jwk["use"] = Value::String("sig".into());
        jwk["alg"] = Value::String("RS256".into());
        Ok(Self {
            kid,
            key_pair,
            rng: aws_lc_rs::rand::SystemRandom::new(),
            decoding,
            jwk,
        })
    }

    /// `base64url(header).base64url(claims).base64url(RS256 signature)` (RFC 7515's compact
    /// serialization), the header naming this run's key.
    pub fn sign(&self, claims: &Claims) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        let header = serde_json::to_vec(&header).expect("a header serializes");
        let claims = serde_json::to_vec(claims).expect("claims serialize");
        let mut token = format!("{}.{}", b64.encode(header), b64.encode(claims));
        let mut signature = vec![0; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &self.rng,
                token.as_bytes(),
                &mut signature,
            )
            .expect("RS256 signing with a freshly generated key cannot fail");
        token.push('.');
        token.push_str(&b64.encode(signature));
        token
    }

    /// Checks signature, `exp` and `nbf` (with Entra's clock skew). Audience, issuer and tenant
    /// are for the caller to check, because each service refuses them with its own error.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenProblem> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| TokenProblem::Malformed(e.to_string()))?;
        if header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(TokenProblem::Signature);
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims = HashSet::new();
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenProblem::Signature,
                _ => TokenProblem::Malformed(e.to_string()),
            },
        )?;
        let claims = data.claims;
        let now = now();
        if claims.exp + CLOCK_SKEW_SECONDS < now {
            return Err(TokenProblem::Expired { exp: claims.exp });
        }
        if claims.nbf - CLOCK_SKEW_SECONDS > now {
            return Err(TokenProblem::NotYetValid { nbf: claims.nbf });
        }
        Ok(claims)
    }

    /// The JSON Web Key Set (`/discovery/v2.0/keys`).
    pub fn jwks(&self) -> Value {
        serde_json::json!({ "keys": [self.jwk] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_refuses_expired_or_foreign_tokens() {
        let signer = Signer::generate().unwrap();
        let claims = Claims {
            aud: "https://management.localhost/".into(),
            iss: "https://login.localhost/t/v2.0".into(),
            tid: Some("t".into()),
            ..Default::default()
        }
        .timed(60);
        let token = signer.sign(&claims);
        assert_eq!(signer.verify(&token).unwrap(), claims);

        let mut old = claims.clone();
        old.exp = now() - 3600;
        assert!(matches!(
            signer.verify(&signer.sign(&old)),
            Err(TokenProblem::Expired { .. })
        ));
        let other = Signer::generate().unwrap();
        assert_eq!(other.verify(&token), Err(TokenProblem::Signature));
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"aud":"x","iss":"y","exp":99999999999}"#,
        );
        parts[1] = &forged;
        assert_eq!(
            signer.verify(&parts.join(".")),
            Err(TokenProblem::Signature)
        );
        assert!(matches!(
            signer.verify("nope"),
            Err(TokenProblem::Malformed(_))
        ));
        assert_eq!(signer.jwks()["keys"][0]["kty"], "RSA");
    }
}
