//! The admin-consent URL a customer's tenant admin opens to install the provider's app.
//!
//! `{login}{tenant}/adminconsent?client_id={appId}[&redirect_uri=…]` (Microsoft identity platform,
//! "admin consent" endpoint). Add `redirect_uri` only if it is registered on the app, otherwise Entra
//! answers AADSTS500113.

use crate::{AppId, Cloud, InputError, TenantId};
use serde::{Serialize, Serializer};
use std::fmt;
use url::Url;

/// Which tenant the admin consents in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentTenant {
    /// The customer's tenant id.
    Id(TenantId),
    /// A verified domain of the customer's tenant, e.g. `contoso.onmicrosoft.com` (lowercase).
    Domain(String),
    /// `organizations`: the admin's own work or school tenant, whichever it is.
    Organizations,
}

/// DNS host names: labels of 1–63 letters, digits and hyphens, not starting or ending with a hyphen,
/// at least two labels, at most 253 characters, a top-level label that is not all digits (RFC 1035/1123).
pub fn check_domain_name(field: &str, value: &str) -> Result<String, InputError> {
    let fix = "pass the tenant id (a GUID), a verified domain such as contoso.onmicrosoft.com, or `organizations`";
    let name = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let problem = if name.is_empty() {
        Some("it is empty".to_string())
    } else if name.len() > 253 {
        Some(format!(
            "a domain name has at most 253 characters, this has {}",
            name.len()
        ))
    } else if !name.contains('.') {
        Some("a domain name has at least two labels (like contoso.com)".to_string())
    } else if let Some(label) = name.split('.').find(|l| l.is_empty() || l.len() > 63) {
        Some(format!("the label `{label}` must have 1–63 characters"))
    } else if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        Some(format!("a domain name cannot contain `{c}`"))
    } else if let Some(label) = name
        .split('.')
        .find(|l| l.starts_with('-') || l.ends_with('-'))
    {
        Some(format!("the label `{label}` starts or ends with a hyphen"))
    } else if name
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        Some("the last label is all digits (an IP address is not a tenant domain)".to_string())
    } else {
        None
    };
    match problem {
        Some(p) => Err(InputError::new(field, value, p).with_fix(fix)),
        None => Ok(name),
    }
}

impl ConsentTenant {
    /// Parses a tenant id, a verified domain, or `organizations`.
    pub fn parse_field(field: &str, value: &str) -> Result<Self, InputError> {
        let v = value.trim();
        let lower = v.to_ascii_lowercase();
        match lower.as_str() {
            "organizations" => return Ok(Self::Organizations),
            "common" | "consumers" => {
                return Err(InputError::new(field, value, format!("`{lower}` cannot grant admin consent for a tenant"))
                    .with_fix("pass the customer's tenant id or verified domain, or `organizations` to let the admin's own tenant be used"));
            }
            _ => {}
        }
        if !v.contains('.') {
            return TenantId::parse_field(field, value).map(Self::Id);
        }
        check_domain_name(field, value).map(Self::Domain)
    }
}

impl fmt::Display for ConsentTenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsentTenant::Id(t) => write!(f, "{t}"),
            ConsentTenant::Domain(d) => f.write_str(d),
            ConsentTenant::Organizations => f.write_str("organizations"),
        }
    }
}

impl Serialize for ConsentTenant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Redirect URIs Entra accepts on an app: absolute `https://` URLs, or `http://localhost` (any port),
/// without a fragment (Microsoft identity platform "redirect URI restrictions").
pub fn check_redirect_uri(field: &str, value: &str) -> Result<Url, InputError> {
    let fix = "pass a redirect URI exactly as registered on the app (Entra admin center › App registrations › Authentication), e.g. https://app.example.com/onboarded";
    let url = Url::parse(value.trim()).map_err(|e| {
        InputError::new(field, value, format!("not an absolute URL ({e})")).with_fix(fix)
    })?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1"));
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => {
            return Err(InputError::new(
                field,
                value,
                "Entra accepts http redirect URIs only for localhost",
            )
            .with_fix(fix));
        }
        other => {
            return Err(InputError::new(
                field,
                value,
                format!("the scheme `{other}` is not a web redirect URI"),
            )
            .with_fix(fix));
        }
    }
    if url.fragment().is_some() {
        return Err(
            InputError::new(field, value, "a redirect URI cannot have a fragment (`#…`)")
                .with_fix(fix),
        );
    }
    Ok(url)
}

/// The admin-consent URL for `app` in `tenant` on `cloud`. `redirect_uri` must be registered on the app.
pub fn admin_consent_url(
    cloud: &Cloud,
    tenant: &ConsentTenant,
    app: &AppId,
    redirect_uri: Option<&Url>,
) -> Url {
    let mut url = cloud
        .login_endpoint
        .join(&format!("{tenant}/adminconsent"))
        .expect("tenant ids and DNS names are valid path segments");
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", &app.to_string());
        if let Some(r) = redirect_uri {
            q.append_pair("redirect_uri", r.as_str());
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "33333333-3333-3333-3333-333333333333";

    #[test]
    fn urls_per_cloud_and_tenant_kind() {
        let app: AppId = APP.parse().unwrap();
        let t =
            ConsentTenant::parse_field("--tenant", "72F988BF-86F1-41AF-91AB-2D7CD011DB47").unwrap();
        assert_eq!(
            admin_consent_url(&Cloud::public(), &t, &app, None).as_str(),
            format!(
                "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/adminconsent?client_id={APP}"
            )
        );
        let d = ConsentTenant::parse_field("--tenant", "Contoso.OnMicrosoft.com").unwrap();
        assert_eq!(
            admin_consent_url(&Cloud::us_government(), &d, &app, None).as_str(),
            format!(
                "https://login.microsoftonline.us/contoso.onmicrosoft.com/adminconsent?client_id={APP}"
            )
        );
        let o = ConsentTenant::parse_field("--tenant", "organizations").unwrap();
        let r =
            check_redirect_uri("--redirect-uri", "https://app.example.com/done?x=1&y=a b").unwrap();
        assert_eq!(
            admin_consent_url(&Cloud::china(), &o, &app, Some(&r)).as_str(),
            format!(
                "https://login.chinacloudapi.cn/organizations/adminconsent?client_id={APP}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fdone%3Fx%3D1%26y%3Da%2520b"
            )
        );
    }

    #[test]
    fn refuses_bad_tenants_and_redirects() {
        for (bad, needle) in [
            ("common", "cannot grant admin consent"),
            ("contoso", "not a GUID"),
            ("contoso..com", "1–63"),
            ("-contoso.com", "hyphen"),
            ("10.0.0.1", "all digits"),
            ("conto_so.com", "cannot contain `_`"),
        ] {
            let e = ConsentTenant::parse_field("--tenant", bad).unwrap_err();
            assert_eq!(e.field, "--tenant");
            assert!(e.problem.contains(needle), "{bad}: {e}");
        }
        assert!(
            check_redirect_uri("r", "http://app.example.com/")
                .unwrap_err()
                .problem
                .contains("localhost")
        );
        assert!(check_redirect_uri("r", "http://localhost:8400/cb").is_ok());
        assert!(
            check_redirect_uri("r", "https://a.example.com/#x")
                .unwrap_err()
                .problem
                .contains("fragment")
        );
        assert!(
            check_redirect_uri("r", "/relative")
                .unwrap_err()
                .problem
                .contains("absolute")
        );
    }
}
