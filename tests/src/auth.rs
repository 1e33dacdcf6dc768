//! Pieces of the bearer-token checks every service makes (each answers failures in its own shape).

use crate::routes::Call;
use crate::tokens::{Claims, TokenProblem};

/// The token of an `Authorization: Bearer …` header (scheme case-insensitive).
pub fn bearer(call: &Call) -> Option<&str> {
    let value = call.header("authorization")?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Audiences compare case-insensitively and with or without one trailing slash, as the services
/// accept both `https://management.azure.com` and `https://management.azure.com/`.
pub fn audience_matches(aud: &str, expected: &str) -> bool {
    aud.trim_end_matches('/')
        .eq_ignore_ascii_case(expected.trim_end_matches('/'))
}

/// Why the token was refused, or its claims.
pub enum Checked {
    Missing,
    Refused(TokenProblem),
    Valid(Box<Claims>),
}

/// Reads and verifies the call's bearer token (signature and lifetime only).
pub fn check(call: &Call) -> Checked {
    match bearer(call) {
        None => Checked::Missing,
        Some(token) => match call.sim.signer.verify(token) {
            Ok(claims) => Checked::Valid(Box::new(claims)),
            Err(problem) => Checked::Refused(problem),
        },
    }
}

/// RFC 3339 UTC time of a Unix timestamp, for messages.
pub fn utc(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ts.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_tolerate_one_trailing_slash() {
        assert!(audience_matches(
            "https://management.localhost/",
            "https://management.localhost"
        ));
        assert!(audience_matches(
            "https://vault.localhost",
            "https://vault.localhost/"
        ));
        assert!(!audience_matches(
            "https://graph.localhost",
            "https://vault.localhost"
        ));
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
    }
}
