//! The federated identity credential (FIC) on the provider's app that trusts the provider's
//! user-assigned managed identity (UAMI), and a matcher that tells whether an existing one does.
//!
//! Entra accepts a wrong issuer, subject or audience when the credential is created and only fails at
//! token exchange (AADSTS700211 wrong issuer, AADSTS700213 wrong subject), so the values are checked here.

use crate::{Cloud, InputError, ObjectId, TenantId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Name rules: 3–120 characters, `^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$`
/// (managedidentity 2026-05-31, `federatedIdentityCredentialResourceName`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FicName(String);

/// Graph's limit on a credential's description (federatedIdentityCredential resource type docs).
pub const MAX_DESCRIPTION_CHARS: usize = 600;

impl FicName {
    /// Parses a credential name, naming `field` in the error.
    pub fn parse_field(field: &str, value: &str) -> Result<Self, InputError> {
        let fix = "a federated credential name is 3–120 letters, digits, `-` or `_`, starting with a letter or digit";
        let count = value.chars().count();
        if !(3..=120).contains(&count) {
            return Err(InputError::new(
                field,
                value,
                format!("a federated credential name has 3–120 characters, this has {count}"),
            )
            .with_fix(fix));
        }
        if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(InputError::new(
                field,
                value,
                "a federated credential name starts with a letter or digit",
            )
            .with_fix(fix));
        }
        if let Some(c) = value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        {
            return Err(InputError::new(
                field,
                value,
                format!("a federated credential name cannot contain `{c}`"),
            )
            .with_fix(fix));
        }
        Ok(Self(value.to_string()))
    }

    /// The default name for the credential that trusts the UAMI named `uami_name`: `xtcmk-<uami name>`,
    /// with characters the name rules refuse replaced by `-`; if that changed or shortened the name, a
    /// short hash of the original keeps distinct UAMIs apart. Deterministic, so re-runs find it.
    pub fn for_identity(uami_name: &str) -> Self {
        const PREFIX: &str = "xtcmk-";
        let cleaned: String = uami_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let fits = PREFIX.len() + cleaned.len() <= 120;
        if cleaned == uami_name && fits {
            return Self(format!("{PREFIX}{cleaned}"));
        }
        let hash = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, uami_name.as_bytes())
            .simple()
            .to_string();
        let tag = &hash[..8];
        let room = 120 - PREFIX.len() - 1 - tag.len();
        let head: String = cleaned.chars().take(room).collect();
        Self(format!("{PREFIX}{head}-{tag}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for FicName {
    type Error = InputError;
    fn try_from(value: String) -> Result<Self, InputError> {
        Self::parse_field("name", &value)
    }
}

impl From<FicName> for String {
    fn from(n: FicName) -> String {
        n.0
    }
}

/// The body of `POST /applications/{id}/federatedIdentityCredentials` (Graph v1.0
/// `federatedIdentityCredential`: name, issuer, subject, audiences, description).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FederatedIdentityCredential {
    pub name: FicName,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl FederatedIdentityCredential {
    /// The credential that lets the UAMI with principal id `uami_principal` (in `provider_tenant`)
    /// act as the app: issuer `{login}{tenant}/v2.0`, subject = the principal id, one audience
    /// (`api://AzureADTokenExchange` or the sovereign cloud's).
    pub fn for_uami(
        cloud: &Cloud,
        provider_tenant: &TenantId,
        uami_principal: &ObjectId,
        name: FicName,
        uami_name: &str,
    ) -> Self {
        let mut description = format!(
            "Lets the managed identity {uami_name} ({uami_principal}) act as this app for cross-tenant customer-managed keys"
        );
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            description = description.chars().take(MAX_DESCRIPTION_CHARS).collect();
        }
        Self {
            name,
            issuer: cloud.issuer(provider_tenant),
            subject: uami_principal.to_string(),
            audiences: vec![cloud.fic_audience.clone()],
            description: Some(description),
        }
    }
}

/// A federated identity credential as Graph returns it (`GET /applications/{id}/federatedIdentityCredentials`).
/// `subject` is nullable in v1.0 (credentials may use a claims-matching expression instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphFederatedIdentityCredential {
    pub id: String,
    pub name: String,
    pub issuer: String,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub audiences: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// What an existing credential means for a given UAMI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FicMatch {
    /// It trusts the UAMI exactly: nothing to do.
    Trusts,
    /// It is meant for the UAMI (same subject, ignoring case) but token exchange would fail; each
    /// reason says what differs and what it should be.
    NearMiss(Vec<String>),
    /// It is about another identity.
    Unrelated,
}

/// The expected values, for matching credentials read from Graph.
#[derive(Debug, Clone)]
pub struct FicExpectation {
    pub issuer: String,
    pub subject: String,
    pub audience: String,
    cloud_name: String,
    login_host: String,
    tenant: TenantId,
}

impl FicExpectation {
    pub fn new(cloud: &Cloud, provider_tenant: &TenantId, uami_principal: &ObjectId) -> Self {
        Self {
            issuer: cloud.issuer(provider_tenant),
            subject: uami_principal.to_string(),
            audience: cloud.fic_audience.clone(),
            cloud_name: cloud.name.clone(),
            login_host: cloud
                .login_endpoint
                .host_str()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            tenant: *provider_tenant,
        }
    }

    /// Decides whether `existing` trusts the UAMI. Entra compares issuer, subject and audience exactly.
    pub fn classify(&self, issuer: &str, subject: Option<&str>, audiences: &[String]) -> FicMatch {
        let Some(subject) = subject else {
            return FicMatch::Unrelated;
        };
        if !subject.trim().eq_ignore_ascii_case(&self.subject) {
            return FicMatch::Unrelated;
        }
        let mut reasons = Vec::new();
        if subject != self.subject {
            reasons.push(format!(
                "subject `{subject}` differs from the managed identity's principal id `{}` (Entra compares the subject exactly, including case and spaces)",
                self.subject
            ));
        }
        if issuer != self.issuer {
            reasons.push(self.issuer_reason(issuer));
        }
        match audiences {
            [a] if *a == self.audience => {}
            [] => reasons.push(format!(
                "it has no audience; it needs exactly `{}`",
                self.audience
            )),
            list => {
                let others: Vec<&String> = list.iter().filter(|a| **a != self.audience).collect();
                let sovereign: Vec<String> = Cloud::builtins()
                    .into_iter()
                    .filter(|c| {
                        c.name != self.cloud_name && others.iter().any(|a| **a == c.fic_audience)
                    })
                    .map(|c| c.name)
                    .collect();
                let shown: Vec<String> = list.iter().map(|a| format!("`{a}`")).collect();
                let mut r = if list.len() == others.len() {
                    format!("audience {} is not `{}`", shown.join(", "), self.audience)
                } else {
                    format!(
                        "audiences {} hold more than the one audience `{}`",
                        shown.join(", "),
                        self.audience
                    )
                };
                if !sovereign.is_empty() {
                    r.push_str(&format!(
                        " ({} is the audience of {})",
                        others
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        sovereign.join(", ")
                    ));
                }
                reasons.push(r);
            }
        }
        if reasons.is_empty() {
            FicMatch::Trusts
        } else {
            FicMatch::NearMiss(reasons)
        }
    }

    /// Decides whether a credential read from Graph trusts the UAMI.
    pub fn classify_credential(&self, existing: &GraphFederatedIdentityCredential) -> FicMatch {
        self.classify(
            &existing.issuer,
            existing.subject.as_deref(),
            &existing.audiences,
        )
    }

    fn issuer_reason(&self, issuer: &str) -> String {
        let expected = &self.issuer;
        if issuer.trim_end_matches('/') == expected {
            return format!(
                "issuer `{issuer}` has a trailing slash; Entra compares it exactly with `{expected}`"
            );
        }
        let lower = issuer.to_ascii_lowercase();
        if lower.starts_with("https://sts.windows.net/") {
            return format!(
                "issuer `{issuer}` is the v1 (sts.windows.net) issuer; managed identity tokens for token exchange carry `{expected}`"
            );
        }
        let Ok(url) = url::Url::parse(issuer) else {
            return format!("issuer `{issuer}` is not a URL; it must be `{expected}`");
        };
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if host != self.login_host {
            if let Some(other) = Cloud::builtins()
                .into_iter()
                .find(|c| c.login_endpoint.host_str() == Some(host.as_str()))
            {
                return format!(
                    "issuer `{issuer}` is the login host of {}, but the selected cloud is {}; it must be `{expected}`",
                    other.name, self.cloud_name
                );
            }
            return format!(
                "issuer `{issuer}` is not an Entra ID issuer of {}; it must be `{expected}`",
                self.cloud_name
            );
        }
        let segments: Vec<&str> = url.path().trim_matches('/').split('/').collect();
        if let Some(first) = segments.first()
            && let Ok(t) = first.parse::<TenantId>()
            && t != self.tenant
        {
            return format!(
                "issuer `{issuer}` names tenant {t}, not the provider tenant {}; it must be `{expected}`",
                self.tenant
            );
        }
        if segments.len() == 1 {
            return format!("issuer `{issuer}` lacks `/v2.0`; it must be `{expected}`");
        }
        format!("issuer `{issuer}` differs from `{expected}`")
    }
}

/// Decides whether `existing` (as read from Graph) trusts the UAMI with principal id `uami_principal`
/// in `provider_tenant` on `cloud`.
pub fn match_credential(
    existing: &GraphFederatedIdentityCredential,
    cloud: &Cloud,
    provider_tenant: &TenantId,
    uami_principal: &ObjectId,
) -> FicMatch {
    FicExpectation::new(cloud, provider_tenant, uami_principal).classify_credential(existing)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "11111111-1111-1111-1111-111111111111";
    const OTHER_TENANT: &str = "22222222-2222-2222-2222-222222222222";
    const PRINCIPAL: &str = "abcdef01-2345-6789-abcd-ef0123456789";

    fn expectation(cloud: &Cloud) -> FicExpectation {
        FicExpectation::new(cloud, &TENANT.parse().unwrap(), &PRINCIPAL.parse().unwrap())
    }

    fn near_miss(m: FicMatch) -> String {
        match m {
            FicMatch::NearMiss(r) => r.join(" | "),
            other => panic!("expected a near miss, got {other:?}"),
        }
    }

    #[test]
    fn names_follow_the_spec_pattern() {
        assert!(FicName::parse_field("--fic-name", "ok-name_1").is_ok());
        for (bad, needle) in [
            ("ab", "3–120"),
            ("-abc", "starts with"),
            ("abc.d", "cannot contain `.`"),
            (&"a".repeat(121) as &str, "3–120"),
        ] {
            let e = FicName::parse_field("--fic-name", bad).unwrap_err();
            assert!(e.problem.contains(needle), "{bad}: {e}");
        }
        assert_eq!(FicName::for_identity("uami-cmk").as_str(), "xtcmk-uami-cmk");
        let odd = FicName::for_identity("uami.with.dots");
        assert!(odd.as_str().starts_with("xtcmk-uami-with-dots-"), "{odd}");
        assert_ne!(odd, FicName::for_identity("uami-with-dots"));
        let long = FicName::for_identity(&"u".repeat(128));
        assert_eq!(long.as_str().len(), 120);
        assert!(FicName::parse_field("n", long.as_str()).is_ok());
        assert_eq!(long, FicName::for_identity(&"u".repeat(128)));
    }

    #[test]
    fn body_per_cloud() {
        for (cloud, issuer, audience) in [
            (
                Cloud::public(),
                "https://login.microsoftonline.com/",
                "api://AzureADTokenExchange",
            ),
            (
                Cloud::us_government(),
                "https://login.microsoftonline.us/",
                "api://AzureADTokenExchangeUSGov",
            ),
            (
                Cloud::china(),
                "https://login.chinacloudapi.cn/",
                "api://AzureADTokenExchangeChina",
            ),
        ] {
            let body = FederatedIdentityCredential::for_uami(
                &cloud,
                &TENANT.parse().unwrap(),
                &PRINCIPAL.parse().unwrap(),
                FicName::for_identity("u1"),
                "u1",
            );
            let json = serde_json::to_value(&body).unwrap();
            assert_eq!(json["issuer"], format!("{issuer}{TENANT}/v2.0"));
            assert_eq!(json["subject"], PRINCIPAL);
            assert_eq!(json["audiences"], serde_json::json!([audience]));
            assert_eq!(json["name"], "xtcmk-u1");
            assert_eq!(
                expectation(&cloud).classify(&body.issuer, Some(&body.subject), &body.audiences),
                FicMatch::Trusts
            );
        }
    }

    #[test]
    fn matcher_explains_near_misses() {
        let exp = expectation(&Cloud::public());
        let aud = vec!["api://AzureADTokenExchange".to_string()];
        let issuer = format!("https://login.microsoftonline.com/{TENANT}/v2.0");
        assert_eq!(
            exp.classify(&issuer, Some("99999999-2345-6789-abcd-ef0123456789"), &aud),
            FicMatch::Unrelated
        );
        assert_eq!(exp.classify(&issuer, None, &aud), FicMatch::Unrelated);
        assert!(
            near_miss(exp.classify(&format!("{issuer}/"), Some(PRINCIPAL), &aud))
                .contains("trailing slash")
        );
        assert!(
            near_miss(exp.classify(
                &format!("https://login.microsoftonline.com/{OTHER_TENANT}/v2.0"),
                Some(PRINCIPAL),
                &aud
            ))
            .contains(&format!("names tenant {OTHER_TENANT}"))
        );
        assert!(
            near_miss(exp.classify(
                &format!("https://sts.windows.net/{TENANT}/"),
                Some(PRINCIPAL),
                &aud
            ))
            .contains("v1")
        );
        assert!(
            near_miss(exp.classify(
                &format!("https://login.microsoftonline.us/{TENANT}/v2.0"),
                Some(PRINCIPAL),
                &aud
            ))
            .contains("login host of AzureUSGovernment")
        );
        assert!(
            near_miss(exp.classify(
                &format!("https://login.microsoftonline.com/{TENANT}"),
                Some(PRINCIPAL),
                &aud
            ))
            .contains("lacks `/v2.0`")
        );
        assert!(
            near_miss(exp.classify(&issuer, Some(&PRINCIPAL.to_uppercase()), &aud))
                .contains("Entra compares the subject exactly")
        );
        let usgov = vec!["api://AzureADTokenExchangeUSGov".to_string()];
        assert!(
            near_miss(exp.classify(&issuer, Some(PRINCIPAL), &usgov))
                .contains("audience of AzureUSGovernment")
        );
        let extra = vec![
            "api://AzureADTokenExchange".to_string(),
            "api://other".to_string(),
        ];
        assert!(
            near_miss(exp.classify(&issuer, Some(PRINCIPAL), &extra))
                .contains("more than the one audience")
        );
        assert!(near_miss(exp.classify(&issuer, Some(PRINCIPAL), &[])).contains("no audience"));
    }

    #[test]
    fn reads_graph_credentials() {
        let json = format!(
            r#"{{"@odata.context":"x","id":"c1","name":"xtcmk-u1","issuer":"https://login.microsoftonline.com/{TENANT}/v2.0","subject":"{PRINCIPAL}","audiences":["api://AzureADTokenExchange"],"description":null}}"#
        );
        let fic: GraphFederatedIdentityCredential = serde_json::from_str(&json).unwrap();
        assert_eq!(
            match_credential(
                &fic,
                &Cloud::public(),
                &TENANT.parse().unwrap(),
                &PRINCIPAL.parse().unwrap()
            ),
            FicMatch::Trusts
        );
    }
}
