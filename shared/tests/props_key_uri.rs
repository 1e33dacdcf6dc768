//! Properties of the key URI parser: no panic on any input, parse ∘ print is the identity on
//! valid URIs, and every refusal names its field.

mod props;

use props::*;
use proptest::prelude::*;
use xtcmk::key_uri::{check_key_name, check_key_version, check_vault_name};
use xtcmk::{Cloud, KeyStoreKind, KeyUri};

const FIELD: &str = "--key-uri";

/// A valid key URI of `cloud` as the parser prints it, with its parts.
#[derive(Debug, Clone)]
struct ValidUri {
    cloud: Cloud,
    kind: KeyStoreKind,
    vault: String,
    key: String,
    version: Option<String>,
    text: String,
}

fn valid_uri() -> impl Strategy<Value = ValidUri> {
    (
        cloud(),
        prop::bool::ANY,
        vault_name(),
        key_name(),
        prop::option::of(key_version()),
    )
        .prop_map(|(cloud, hsm, vault, key, version)| {
            let (kind, suffix) = if hsm {
                (
                    KeyStoreKind::ManagedHsm,
                    cloud.managed_hsm_dns_suffix.clone(),
                )
            } else {
                (KeyStoreKind::Vault, cloud.key_vault_dns_suffix.clone())
            };
            let port = cloud
                .service_port
                .map(|p| format!(":{p}"))
                .unwrap_or_default();
            let mut text = format!("https://{vault}.{suffix}{port}/keys/{key}");
            if let Some(v) = &version {
                text.push('/');
                text.push_str(v);
            }
            ValidUri {
                cloud,
                kind,
                vault,
                key,
                version,
                text,
            }
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_is_parsed_or_refused_by_name(cloud in cloud(), text in any_text()) {
        if let Err(e) = KeyUri::parse(&cloud, FIELD, &text) {
            assert_names_field(&e, FIELD, &text);
        }
    }

    #[test]
    fn an_edited_uri_is_parsed_or_refused_by_name(uri in valid_uri(), edits in edits()) {
        let text = apply_edits(&uri.text, &edits);
        match KeyUri::parse(&uri.cloud, FIELD, &text) {
            // Whatever still parses prints as a valid URI that parses to itself.
            Ok(parsed) => {
                let again = KeyUri::parse(&uri.cloud, FIELD, &parsed.to_string()).unwrap();
                prop_assert_eq!(again.to_string(), parsed.to_string());
            }
            Err(e) => assert_names_field(&e, FIELD, &text),
        }
    }

    #[test]
    fn parse_then_print_is_the_identity(uri in valid_uri()) {
        let parsed = KeyUri::parse(&uri.cloud, FIELD, &uri.text).unwrap();
        prop_assert_eq!(parsed.to_string(), uri.text.clone());
        prop_assert_eq!(parsed.kind(), uri.kind);
        prop_assert_eq!(parsed.vault_name(), uri.vault.as_str());
        prop_assert_eq!(parsed.key_name(), uri.key.as_str());
        prop_assert_eq!(parsed.version(), uri.version.as_deref());
        // The typed forms print the same text.
        let versionless = parsed.versionless();
        prop_assert_eq!(
            KeyUri::parse(&uri.cloud, FIELD, &versionless.to_string()).unwrap(),
            KeyUri::from(versionless.clone())
        );
        match &uri.version {
            Some(v) => {
                let versioned = parsed.versioned().unwrap();
                prop_assert_eq!(versioned.to_string(), uri.text.clone());
                prop_assert_eq!(versionless.with_version("v", v).unwrap(), versioned);
            }
            None => prop_assert!(parsed.versioned().is_err()),
        }
    }

    #[test]
    fn host_case_a_trailing_slash_and_spaces_do_not_matter(uri in valid_uri(), pad in "[ \t\n]{0,2}") {
        let (scheme, rest) = uri.text.split_once("://").unwrap();
        let (host, path) = rest.split_once('/').unwrap();
        let loose = format!("{pad}{scheme}://{}/{path}/{pad}", host.to_ascii_uppercase());
        let parsed = KeyUri::parse(&uri.cloud, FIELD, &loose).unwrap();
        prop_assert_eq!(parsed.to_string(), uri.text);
    }

    #[test]
    fn name_checks_refuse_by_name(text in any_text()) {
        for check in [check_vault_name, check_key_name, check_key_version] {
            if let Err(e) = check("--name", &text, &text) {
                assert_names_field(&e, "--name", &text);
            }
        }
    }
}
