//! Properties of the ARM resource id and GUID parsers: no panic on any input, parse ∘ print is
//! the identity on valid values, and every refusal names its field.

mod props;

use props::*;
use proptest::prelude::*;
use xtcmk::resource_id::{check_identity_name, check_resource_group_name};
use xtcmk::{AppId, ObjectId, ResourceId, SubscriptionId, TenantId};

const FIELD: &str = "--identity";

fn namespace() -> impl Strategy<Value = String> {
    "[A-Z][a-zA-Z]{1,10}\\.[A-Z][a-zA-Z]{1,12}"
}

/// A resource type segment (never the `providers` keyword, which starts the next part).
fn resource_type() -> impl Strategy<Value = String> {
    "[a-zA-Z]{1,16}".prop_filter("not the providers keyword", |t| {
        !t.eq_ignore_ascii_case("providers")
    })
}

/// A resource name: what ARM names hold, without the characters that end a path segment.
fn resource_name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_.()~:@!$&'*+,;=-]{1,24}"
}

/// `/providers/{namespace}/{type}/{name}[/{type}/{name}]…`.
fn provider_part() -> impl Strategy<Value = String> {
    (
        namespace(),
        prop::collection::vec((resource_type(), resource_name()), 1..4),
    )
        .prop_map(|(ns, types)| {
            let mut s = format!("/providers/{ns}");
            for (t, n) in types {
                s.push_str(&format!("/{t}/{n}"));
            }
            s
        })
}

/// A valid id as ARM prints it: subscription, resource group, resource (with children and
/// extension resources), or tenant-level resource.
fn valid_id() -> impl Strategy<Value = String> {
    let sub = || guid().prop_map(|g| format!("/subscriptions/{g}"));
    let rg =
        || (sub(), resource_group_name()).prop_map(|(s, rg)| format!("{s}/resourceGroups/{rg}"));
    let scope = prop_oneof![Just(String::new()), sub(), rg()];
    prop_oneof![
        sub(),
        rg(),
        (scope, prop::collection::vec(provider_part(), 1..3))
            .prop_map(|(s, parts)| s + &parts.concat()),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_is_parsed_or_refused_by_name(text in any_text()) {
        if let Err(e) = ResourceId::parse_field(FIELD, &text) {
            assert_names_field(&e, FIELD, &text);
        }
    }

    #[test]
    fn an_edited_id_is_parsed_or_refused_by_name(id in valid_id(), edits in edits()) {
        let text = apply_edits(&id, &edits);
        match ResourceId::parse_field(FIELD, &text) {
            Ok(parsed) => {
                let again = ResourceId::parse_field(FIELD, &parsed.to_string()).unwrap();
                prop_assert_eq!(again.to_string(), parsed.to_string());
            }
            Err(e) => assert_names_field(&e, FIELD, &text),
        }
    }

    #[test]
    fn parse_then_print_is_the_identity(id in valid_id()) {
        let parsed = ResourceId::parse_field(FIELD, &id).unwrap();
        prop_assert_eq!(parsed.to_string(), id.clone());
        // Keywords in any case, a trailing slash and surrounding spaces read the same id.
        let loose = format!(
            " {}/ ",
            id.replace("/subscriptions/", "/SUBSCRIPTIONS/")
                .replace("/resourceGroups/", "/resourcegroups/")
                .replace("/providers/", "/Providers/")
        );
        let again = ResourceId::parse_field(FIELD, &loose).unwrap();
        prop_assert_eq!(again.to_string(), id);
        prop_assert_eq!(again, parsed);
    }

    #[test]
    fn the_parts_of_an_id_rebuild_it(sub in guid(), rg in resource_group_name(), vault in vault_name(), key in key_name(), name in guid()) {
        let sub = SubscriptionId::from_uuid(sub);
        let id = ResourceId::key(sub, &rg, &vault, &key)
            .extension("Microsoft.Authorization", "roleAssignments", &name.to_string());
        let parsed = ResourceId::parse_typed(FIELD, &id.to_string(), "Microsoft.Authorization/roleAssignments").unwrap();
        prop_assert_eq!(&parsed, &id);
        prop_assert_eq!(parsed.subscription(), Some(sub));
        prop_assert_eq!(parsed.resource_group_name(), Some(rg.as_str()));
        let key_id = parsed.parent().unwrap();
        prop_assert_eq!(key_id.name(), key.as_str());
        prop_assert_eq!(key_id.name_of("vaults"), Some(vault.as_str()));
        prop_assert_eq!(key_id.parent().unwrap(), ResourceId::vault(sub, &rg, &vault));
    }

    #[test]
    fn a_guid_prints_as_it_parses_in_any_case(g in guid(), upper in prop::bool::ANY) {
        let text = if upper { g.to_string().to_ascii_uppercase() } else { g.to_string() };
        prop_assert_eq!(TenantId::parse_field("--tenant", &text).unwrap().to_string(), g.to_string());
        prop_assert_eq!(AppId::parse_field("appId", &text).unwrap(), AppId::from_uuid(g));
        prop_assert_eq!(ObjectId::parse_field("oid", &text).unwrap(), ObjectId::from_uuid(g));
        prop_assert_eq!(SubscriptionId::parse_field("sub", &text).unwrap(), SubscriptionId::from_uuid(g));
    }

    #[test]
    fn any_text_is_a_guid_or_refused_by_name(text in prop_oneof![any_text(), guid().prop_map(|g| g.to_string()).prop_flat_map(|g| edits().prop_map(move |e| apply_edits(&g, &e)))]) {
        for result in [
            TenantId::parse_field("--tenant", &text).map(|t| t.to_string()),
            SubscriptionId::parse_field("--tenant", &text).map(|s| s.to_string()),
        ] {
            match result {
                Ok(printed) => prop_assert_eq!(printed, text.trim().to_ascii_lowercase()),
                Err(e) => assert_names_field(&e, "--tenant", &text),
            }
        }
    }

    #[test]
    fn name_checks_refuse_by_name(text in any_text()) {
        for check in [check_resource_group_name, check_identity_name] {
            if let Err(e) = check("--name", &text) {
                assert_names_field(&e, "--name", &text);
            }
        }
    }
}
