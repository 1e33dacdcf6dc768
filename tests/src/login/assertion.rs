//! Client assertions (`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`).
//! The simulator accepts assertions it signed itself (federated tokens of workloads, managed
//! identity tokens) when one of the app's federated identity credentials trusts them: exact
//! issuer, exact subject, and an audience the credential lists — otherwise the AADSTS7002xx
//! errors of workload identity federation
//! (learn.microsoft.com/entra/workload-id/workload-identity-federation).
//!
//! A new federated credential takes effect only once Entra has replicated it (replication kind
//! [`FEDERATED_CREDENTIAL`], zero delay unless a test sets one): until then — and for a mismatch
//! the AADSTS700211/700212/700213 checks do not name (an assertion without a subject) — the
//! exchange answers AADSTS70021 "No matching federated identity record found for presented
//! assertion. Assertion Issuer: '…'. Assertion Subject: '…'. Assertion Audience: '…'."
//! (Azure/azure-workload-identity#616). A subject that differs only in case is AADSTS7002138
//! (matching is case-sensitive, Azure/login#517).

use super::entra_error;
use crate::reply::Reply;
use crate::shared::Shared;
use crate::state::Application;
use crate::tokens::{Claims, TokenProblem};

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Replication kind of a new federated identity credential as the token endpoint sees it
/// (key: the credential's id).
pub const FEDERATED_CREDENTIAL: &str = "federatedCredential";

const FIC_HELP: &str = "Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

/// Checks `assertion` as a credential of `app`; the answer to send if it is refused.
pub fn check(shared: &Shared, app: &Application, assertion: &str) -> Result<Claims, Reply> {
    let claims = shared.signer.verify(assertion).map_err(|problem| match problem {
        TokenProblem::Signature => entra_error(
            401,
            "invalid_client",
            700027,
            "Client assertion contains an invalid signature. [Reason - The key was not found.]",
        ),
        TokenProblem::Expired { exp } => entra_error(
            400,
            "invalid_client",
            700024,
            &format!(
                "Client assertion is not within its valid time range. Current time: {}, expiry time of assertion {}.",
                crate::auth::utc(crate::tokens::now()),
                crate::auth::utc(exp)
            ),
        ),
        TokenProblem::NotYetValid { nbf } => entra_error(
            400,
            "invalid_client",
            700024,
            &format!(
                "Client assertion is not within its valid time range. Assertion valid from {}.",
                crate::auth::utc(nbf)
            ),
        ),
        TokenProblem::Malformed(_) => entra_error(
            400,
            "invalid_client",
            50027,
            "JWT token is invalid or malformed.",
        ),
    })?;
    federated_match(app, &claims, &|id| {
        shared
            .replication
            .visible(FEDERATED_CREDENTIAL, &id.to_string())
    })?;
    Ok(claims)
}

fn no_record(claims: &Claims) -> Reply {
    entra_error(
        400,
        "invalid_request",
        70021,
        &format!(
            "No matching federated identity record found for presented assertion. Assertion Issuer: '{}'. Assertion Subject: '{}'. Assertion Audience: '{}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation",
            claims.iss,
            claims.sub.as_deref().unwrap_or_default(),
            claims.aud
        ),
    )
}

/// The app's federated identity credentials must hold one with the assertion's exact issuer and
/// subject, listing its audience, that Entra has replicated (`replicated(id)`).
fn federated_match(
    app: &Application,
    claims: &Claims,
    replicated: &dyn Fn(uuid::Uuid) -> bool,
) -> Result<(), Reply> {
    let Some(subject) = claims.sub.as_deref().filter(|s| !s.is_empty()) else {
        return Err(no_record(claims));
    };
    let exact: Vec<_> = app
        .federated_identity_credentials
        .iter()
        .filter(|f| {
            f.issuer == claims.iss
                && f.subject == subject
                && f.audiences.iter().any(|a| a == &claims.aud)
        })
        .collect();
    if !exact.is_empty() {
        // Present on the primary, but maybe not replicated to the token service yet.
        return if exact.iter().any(|f| replicated(f.id)) {
            Ok(())
        } else {
            Err(no_record(claims))
        };
    }
    let by_issuer: Vec<_> = app
        .federated_identity_credentials
        .iter()
        .filter(|f| f.issuer == claims.iss)
        .collect();
    if by_issuer.is_empty() {
        return Err(entra_error(
            400,
            "invalid_client",
            700211,
            &format!(
                "No matching federated identity record found for presented assertion issuer '{}'. {FIC_HELP}",
                claims.iss
            ),
        ));
    }
    let by_subject: Vec<_> = by_issuer.iter().filter(|f| f.subject == subject).collect();
    if by_subject.is_empty()
        && by_issuer
            .iter()
            .any(|f| f.subject.eq_ignore_ascii_case(subject))
    {
        return Err(entra_error(
            400,
            "invalid_client",
            7002138,
            &format!(
                "No matching federated identity record found for presented assertion subject '{subject}'. The subject matches a federated identity credential only when it is the same text, case included. {FIC_HELP}"
            ),
        ));
    }
    if by_subject.is_empty() {
        return Err(entra_error(
            400,
            "invalid_client",
            700213,
            &format!(
                "No matching federated identity record found for presented assertion subject '{subject}'. {FIC_HELP}"
            ),
        ));
    }
    if !by_subject
        .iter()
        .any(|f| f.audiences.iter().any(|a| a == &claims.aud))
    {
        return Err(entra_error(
            400,
            "invalid_client",
            700212,
            &format!(
                "No matching federated identity record found for presented assertion audience '{}'. {FIC_HELP}",
                claims.aud
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::FederatedCredential;

    fn app() -> Application {
        Application {
            id: "10000000-0000-4000-8000-0000000000c2".parse().unwrap(),
            app_id: "10000000-0000-4000-8000-0000000000c1".parse().unwrap(),
            display_name: "app".into(),
            sign_in_audience: "AzureADMultipleOrgs".into(),
            unique_name: None,
            password_credentials: Vec::new(),
            federated_identity_credentials: vec![FederatedCredential {
                id: uuid::Uuid::nil(),
                name: "ci".into(),
                issuer: "https://token.ci.example".into(),
                subject: "repo:contoso/app:ref:refs/heads/main".into(),
                audiences: vec!["api://AzureADTokenExchange".into()],
                description: None,
            }],
            redirect_uris: Vec::new(),
        }
    }

    fn claims(iss: &str, sub: &str, aud: &str) -> Claims {
        Claims {
            iss: iss.into(),
            sub: Some(sub.into()),
            aud: aud.into(),
            ..Default::default()
        }
    }

    fn code(r: Reply) -> u64 {
        match r.body {
            crate::reply::Body::Json(v) => v["error_codes"][0].as_u64().unwrap(),
            _ => 0,
        }
    }

    #[test]
    fn federated_credentials_match_exactly() {
        let a = app();
        let sub = "repo:contoso/app:ref:refs/heads/main";
        let aud = "api://AzureADTokenExchange";
        let yes = |_: uuid::Uuid| true;
        assert!(federated_match(&a, &claims("https://token.ci.example", sub, aud), &yes).is_ok());
        let slash = federated_match(&a, &claims("https://token.ci.example/", sub, aud), &yes);
        assert_eq!(code(slash.unwrap_err()), 700211);
        let other = federated_match(&a, &claims("https://token.ci.example", "repo:x", aud), &yes);
        assert_eq!(code(other.unwrap_err()), 700213);
        let case = federated_match(
            &a,
            &claims("https://token.ci.example", &sub.to_uppercase(), aud),
            &yes,
        );
        assert_eq!(code(case.unwrap_err()), 7002138);
        let wrong_aud = federated_match(
            &a,
            &claims("https://token.ci.example", sub, "api://x"),
            &yes,
        );
        assert_eq!(code(wrong_aud.unwrap_err()), 700212);
        let pending = federated_match(&a, &claims("https://token.ci.example", sub, aud), &|_| {
            false
        });
        assert_eq!(code(pending.unwrap_err()), 70021);
    }
}
