//! Properties of the consent URL's parts and of the URL itself: the tenant (id, verified domain
//! or `organizations`) and the redirect URI parse without panic, print as they parse, refuse by
//! field name; the admin-consent URL carries exactly the app and the redirect it was built with.

mod props;

use props::*;
use proptest::prelude::*;
use url::Url;
use xtcmk::consent::{admin_consent_url, check_domain_name, check_redirect_uri};
use xtcmk::{AppId, Cloud, ConsentTenant, TenantId};

const FIELD: &str = "--tenant";

/// A DNS label: 1–63 letters, digits and hyphens, not starting or ending with a hyphen.
fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]",
        "[a-z0-9][a-z0-9-]{0,20}[a-z0-9]",
        "[a-z0-9][a-z0-9-]{55,61}[a-z0-9]",
    ]
}

/// A verified-domain-like name, lower case (as the parser keeps it).
fn domain() -> impl Strategy<Value = String> {
    (prop::collection::vec(label(), 1..4), "[a-z][a-z0-9]{1,8}")
        .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
        .prop_filter("at most 253 characters", |d| d.len() <= 253)
}

fn tenant() -> impl Strategy<Value = ConsentTenant> {
    prop_oneof![
        guid().prop_map(|g| ConsentTenant::Id(TenantId::from_uuid(g))),
        domain().prop_map(ConsentTenant::Domain),
        Just(ConsentTenant::Organizations),
    ]
}

/// A redirect URI Entra accepts: https anywhere, http on localhost; no fragment.
fn redirect_uri() -> impl Strategy<Value = Url> {
    let path = "(/[a-zA-Z0-9._~-]{0,12}){0,3}";
    let query = prop::option::of("[a-zA-Z0-9=&_.-]{0,20}");
    prop_oneof![
        (domain(), prop::option::of(1u16..), path, query.clone()).prop_map(
            |(host, port, path, query)| {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                let query = query.map(|q| format!("?{q}")).unwrap_or_default();
                format!("https://{host}{port}{path}{query}")
            }
        ),
        (1u16.., path, query).prop_map(|(port, path, query)| {
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            format!("http://localhost:{port}{path}{query}")
        }),
    ]
    .prop_map(|s| Url::parse(&s).expect("a well-formed URL"))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_is_a_tenant_or_refused_by_name(text in any_text()) {
        if let Err(e) = ConsentTenant::parse_field(FIELD, &text) {
            assert_names_field(&e, FIELD, &text);
        }
    }

    #[test]
    fn an_edited_tenant_is_parsed_or_refused_by_name(t in tenant(), edits in edits()) {
        let text = apply_edits(&t.to_string(), &edits);
        match ConsentTenant::parse_field(FIELD, &text) {
            Ok(parsed) => {
                let again = ConsentTenant::parse_field(FIELD, &parsed.to_string()).unwrap();
                prop_assert_eq!(again, parsed);
            }
            Err(e) => assert_names_field(&e, FIELD, &text),
        }
    }

    #[test]
    fn a_tenant_prints_as_it_parses(t in tenant(), upper in prop::bool::ANY) {
        let text = t.to_string();
        prop_assert_eq!(ConsentTenant::parse_field(FIELD, &text).unwrap(), t.clone());
        // Case and a root dot do not make another tenant.
        let loose = if upper { text.to_ascii_uppercase() } else { text.clone() };
        let loose = match t {
            ConsentTenant::Domain(_) => format!("{loose}."),
            _ => loose,
        };
        prop_assert_eq!(ConsentTenant::parse_field(FIELD, &loose).unwrap(), t);
    }

    #[test]
    fn any_text_is_a_domain_or_refused_by_name(text in any_text()) {
        if let Err(e) = check_domain_name(FIELD, &text) {
            assert_names_field(&e, FIELD, &text);
        }
    }

    #[test]
    fn any_text_is_a_redirect_uri_or_refused_by_name(text in any_text()) {
        if let Err(e) = check_redirect_uri("--redirect-uri", &text) {
            assert_names_field(&e, "--redirect-uri", &text);
        }
    }

    #[test]
    fn an_edited_redirect_uri_is_accepted_or_refused_by_name(uri in redirect_uri(), edits in edits()) {
        let text = apply_edits(uri.as_str(), &edits);
        match check_redirect_uri("--redirect-uri", &text) {
            Ok(parsed) => prop_assert_eq!(check_redirect_uri("--redirect-uri", parsed.as_str()).unwrap(), parsed),
            Err(e) => assert_names_field(&e, "--redirect-uri", &text),
        }
    }

    #[test]
    fn a_redirect_uri_prints_as_it_parses(uri in redirect_uri()) {
        prop_assert_eq!(check_redirect_uri("--redirect-uri", uri.as_str()).unwrap(), uri);
    }

    #[test]
    fn the_consent_url_carries_the_app_and_the_redirect(
        cloud in prop::sample::select(Cloud::builtins().to_vec()),
        t in tenant(),
        app in guid(),
        redirect in prop::option::of(redirect_uri()),
    ) {
        let app = AppId::from_uuid(app);
        let url = admin_consent_url(&cloud, &t, &app, redirect.as_ref());
        let again = Url::parse(url.as_str()).unwrap();
        prop_assert_eq!(&again, &url);
        prop_assert_eq!(again.scheme(), "https");
        prop_assert_eq!(again.host_str(), cloud.login_endpoint.host_str());
        prop_assert_eq!(again.path(), format!("/{t}/adminconsent"));
        let pairs: Vec<(String, String)> = again.query_pairs().into_owned().collect();
        let mut expected = vec![("client_id".to_string(), app.to_string())];
        if let Some(r) = &redirect {
            expected.push(("redirect_uri".to_string(), r.to_string()));
        }
        prop_assert_eq!(pairs, expected);
    }
}
