//! Properties of the invitation and handoff parsers: no panic on any text (arbitrary, or a valid
//! document edited as text), parse ∘ print is the identity on valid documents, and a document
//! with one field changed, removed or added is read or refused naming that field (or the one it
//! must agree with).

mod props;

use props::*;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};
use xtcmk::atlas::{AccessMode, GroupId, atlas_app_id};
use xtcmk::consent::admin_consent_url;
use xtcmk::documents::{AtlasInvitation, onboard_command_for};
use xtcmk::{
    AppId, Cloud, ConsentTenant, EncryptionTarget, Handoff, InputError, Invitation, KeyUri,
    ObjectId, PermissionModel, ResourceId, SubscriptionId, TenantId,
};

const SOURCE: &str = "doc.json";

fn builtin_cloud() -> impl Strategy<Value = Cloud> {
    prop::sample::select(Cloud::builtins().to_vec())
}

fn handoff() -> impl Strategy<Value = (Cloud, Handoff)> {
    (
        cloud(),
        (guid(), guid(), guid(), guid(), guid()),
        resource_group_name(),
        (vault_name(), key_name(), key_version(), prop::bool::ANY),
        prop::bool::ANY,
        prop::bool::ANY,
        prop::bool::ANY,
    )
        .prop_filter(
            "the principal is not the app",
            |(_, (_, _, app, sp, _), ..)| app != sp,
        )
        .prop_map(
            |(
                cloud,
                (tenant, sub, app, sp, ra),
                rg,
                (vault, key, version, hsm),
                rbac,
                atlas,
                with_ra,
            )| {
                let (suffix, kind_type) = if hsm {
                    (&cloud.managed_hsm_dns_suffix, "managedHSMs")
                } else {
                    (&cloud.key_vault_dns_suffix, "vaults")
                };
                let port = cloud
                    .service_port
                    .map(|p| format!(":{p}"))
                    .unwrap_or_default();
                let key_uri = KeyUri::parse(
                    &cloud,
                    "k",
                    &format!("https://{vault}.{suffix}{port}/keys/{key}/{version}"),
                )
                .unwrap()
                .versioned()
                .unwrap();
                let subscription_id = SubscriptionId::from_uuid(sub);
                let role_assignment_id = (rbac && with_ra).then(|| {
                    ResourceId::in_resource_group(
                        subscription_id,
                        &rg,
                        "Microsoft.KeyVault",
                        kind_type,
                        &vault,
                    )
                    .child("keys", &key)
                    .extension(
                        "Microsoft.Authorization",
                        "roleAssignments",
                        &ra.to_string(),
                    )
                });
                let handoff = Handoff {
                    cloud: cloud.name.clone(),
                    customer_tenant_id: TenantId::from_uuid(tenant),
                    subscription_id,
                    resource_group: rg,
                    vault_name: vault,
                    key: key_uri,
                    app_id: AppId::from_uuid(app),
                    service_principal_object_id: ObjectId::from_uuid(sp),
                    permission_model: if rbac {
                        PermissionModel::Rbac
                    } else {
                        PermissionModel::AccessPolicy
                    },
                    target: if atlas {
                        EncryptionTarget::Atlas
                    } else {
                        EncryptionTarget::Cosmos
                    },
                    role_assignment_id,
                };
                (cloud, handoff)
            },
        )
}

fn display_name() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Za-z0-9 ._-]{1,40}", "\\PC{1,256}",]
        .prop_filter("not blank", |s| !s.trim().is_empty())
}

fn invitation() -> impl Strategy<Value = (Cloud, Invitation)> {
    let tenant = prop_oneof![
        guid().prop_map(|g| ConsentTenant::Id(TenantId::from_uuid(g))),
        Just(ConsentTenant::Organizations),
    ];
    (
        builtin_cloud(),
        guid(),
        guid(),
        display_name(),
        tenant,
        prop::bool::ANY,
        prop::sample::select(vec!["public", "china", "usgov", "./my cloud.json"]),
        "[a-zA-Z0-9 ./_-]{1,30}",
        0u8..3,
        "[a-f0-9]{24}",
    )
        .prop_map(
            |(cloud, provider, app, name, tenant, registered, cloud_arg, file, atlas, group)| {
                let group_id = GroupId::parse_field("g", &group).unwrap();
                let (app_id, atlas) = match atlas {
                    0 => (AppId::from_uuid(app), None),
                    1 => (
                        AppId::from_uuid(app),
                        Some(AtlasInvitation {
                            mode: AccessMode::Secret,
                            group_id,
                        }),
                    ),
                    _ => (
                        atlas_app_id(),
                        Some(AtlasInvitation {
                            mode: AccessMode::Role,
                            group_id,
                        }),
                    ),
                };
                let redirect =
                    registered.then(|| url::Url::parse("https://app.example.com/done").unwrap());
                let target = if atlas.is_some() {
                    EncryptionTarget::Atlas
                } else {
                    EncryptionTarget::Cosmos
                };
                let invitation = Invitation {
                    cloud: cloud.name.clone(),
                    provider_tenant_id: TenantId::from_uuid(provider),
                    app_id,
                    app_display_name: name,
                    admin_consent_url: admin_consent_url(
                        &cloud,
                        &tenant,
                        &app_id,
                        redirect.as_ref(),
                    ),
                    redirect_uri_registered: registered,
                    next_command: onboard_command_for(cloud_arg, &file, target),
                    atlas,
                };
                (cloud, invitation)
            },
        )
        .prop_filter(
            "the Atlas app is only named by role invitations",
            |(_, i)| {
                (i.app_id == atlas_app_id())
                    == matches!(&i.atlas, Some(a) if a.mode == AccessMode::Role)
            },
        )
}

/// A JSON value of any kind, to put where a field was.
fn any_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        any_text().prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
        Just(json!({"mode": "role"})),
    ]
}

/// How one field of a document is changed.
#[derive(Debug, Clone)]
enum Change {
    Remove,
    Set(Value),
    /// Its text edited (a non-string field is printed first).
    Edit(Vec<Edit>),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::Remove),
        any_json().prop_map(Change::Set),
        edits().prop_map(Change::Edit),
    ]
}

fn changed(doc: &Value, field: &str, change: &Change) -> Value {
    let mut doc = doc.clone();
    let obj = doc.as_object_mut().unwrap();
    match change {
        Change::Remove => {
            obj.remove(field);
        }
        Change::Set(v) => {
            obj.insert(field.to_string(), v.clone());
        }
        Change::Edit(edits) => {
            let text = match obj.get(field) {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            obj.insert(field.to_string(), Value::String(apply_edits(&text, edits)));
        }
    }
    doc
}

/// A refusal of a document names a field of it (or the document, when it is not JSON at all),
/// says what is wrong and how to fix it.
fn assert_names_a_field(e: &InputError, doc: &str) {
    assert!(
        e.field == doc || e.field.starts_with(&format!("{doc}.")),
        "the refusal names a field of the {doc}: {e}"
    );
    assert!(
        e.to_string().contains(&e.field),
        "the message names the field: {e}"
    );
    assert!(
        !e.problem.trim().is_empty(),
        "the refusal says what is wrong: {e:?}"
    );
    assert!(
        e.fix.as_deref().is_some_and(|f| !f.trim().is_empty()),
        "the refusal says how to fix it: {e:?}"
    );
}

/// The fields a change of `field` may be refused under: itself, and those it must agree with.
fn handoff_blame(field: &str) -> Vec<String> {
    let tied: &[&str] = match field {
        "keyUri" => &["vaultName"],
        "vaultName" => &["keyUri"],
        "appId" => &["servicePrincipalObjectId"],
        "permissionModel" => &["roleAssignmentId"],
        _ => &[],
    };
    std::iter::once(field)
        .chain(tied.iter().copied())
        .map(|f| format!("handoff.{f}"))
        .collect()
}

fn invitation_blame(field: &str) -> Vec<String> {
    let tied: &[&str] = match field {
        "appId" => &["adminConsentUrl", "atlas.mode"],
        "schemaVersion" => &["target", "atlas"],
        "target" => &["atlas"],
        _ => &[],
    };
    std::iter::once(field)
        .chain(tied.iter().copied())
        .map(|f| format!("invitation.{f}"))
        .collect()
}

const HANDOFF_FIELDS: &[&str] = &[
    "kind",
    "schemaVersion",
    "cloud",
    "customerTenantId",
    "subscriptionId",
    "resourceGroup",
    "vaultName",
    "keyUri",
    "keyVersion",
    "appId",
    "servicePrincipalObjectId",
    "permissionModel",
    "target",
    "roleAssignmentId",
    "unknownField",
];

const INVITATION_FIELDS: &[&str] = &[
    "kind",
    "schemaVersion",
    "cloud",
    "providerTenantId",
    "appId",
    "appDisplayName",
    "adminConsentUrl",
    "redirectUriRegistered",
    "nextCommand",
    "target",
    "atlas",
    "unknownField",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_is_a_handoff_or_refused_by_name(cloud in cloud(), text in any_text()) {
        if let Err(e) = Handoff::parse(&text, SOURCE, &cloud) {
            assert_names_a_field(&e, "handoff");
        }
    }

    #[test]
    fn any_text_is_an_invitation_or_refused_by_name(cloud in cloud(), text in any_text()) {
        if let Err(e) = Invitation::parse(&text, SOURCE, &cloud) {
            assert_names_a_field(&e, "invitation");
        }
    }

    #[test]
    fn a_handoff_prints_as_it_parses((cloud, h) in handoff()) {
        let text = h.to_json();
        let parsed = Handoff::parse(&text, SOURCE, &cloud).unwrap();
        prop_assert_eq!(&parsed, &h);
        prop_assert_eq!(parsed.to_json(), text);
    }

    #[test]
    fn an_invitation_prints_as_it_parses((cloud, i) in invitation()) {
        let text = i.to_json();
        let parsed = Invitation::parse(&text, SOURCE, &cloud).unwrap();
        prop_assert_eq!(&parsed, &i);
        prop_assert_eq!(parsed.to_json(), text);
    }

    #[test]
    fn a_handoff_edited_as_text_is_read_or_refused_by_name((cloud, h) in handoff(), edits in edits()) {
        let text = apply_edits(&h.to_json(), &edits);
        match Handoff::parse(&text, SOURCE, &cloud) {
            Ok(parsed) => prop_assert_eq!(Handoff::parse(&parsed.to_json(), SOURCE, &cloud).unwrap(), parsed),
            Err(e) => assert_names_a_field(&e, "handoff"),
        }
    }

    #[test]
    fn an_invitation_edited_as_text_is_read_or_refused_by_name((cloud, i) in invitation(), edits in edits()) {
        let text = apply_edits(&i.to_json(), &edits);
        match Invitation::parse(&text, SOURCE, &cloud) {
            Ok(parsed) => prop_assert_eq!(Invitation::parse(&parsed.to_json(), SOURCE, &cloud).unwrap(), parsed),
            Err(e) => assert_names_a_field(&e, "invitation"),
        }
    }

}

proptest! {
    // Each case changes every field in turn: a quarter of the cases covers as much.
    #![proptest_config(Config { cases: config().cases / 4, ..config() })]

    #[test]
    fn a_handoff_with_one_field_changed_is_refused_under_that_field(
        (cloud, h) in handoff(),
        changes in prop::collection::vec(change(), HANDOFF_FIELDS.len()),
    ) {
        for (field, change) in HANDOFF_FIELDS.iter().zip(&changes) {
            let doc = changed(&h.to_value(), field, change);
            match Handoff::parse(&doc.to_string(), SOURCE, &cloud) {
                Ok(parsed) => prop_assert_eq!(Handoff::parse(&parsed.to_json(), SOURCE, &cloud).unwrap(), parsed),
                Err(e) => {
                    assert_names_a_field(&e, "handoff");
                    let blame = handoff_blame(field);
                    prop_assert!(blame.contains(&e.field), "{} changed ({:?}), refused under {}: {}", field, change, e.field, e);
                }
            }
        }
    }

    #[test]
    fn an_invitation_with_one_field_changed_is_refused_under_that_field(
        (cloud, i) in invitation(),
        changes in prop::collection::vec(change(), INVITATION_FIELDS.len()),
    ) {
        for (field, change) in INVITATION_FIELDS.iter().zip(&changes) {
            let doc = changed(&i.to_value(), field, change);
            match Invitation::parse(&doc.to_string(), SOURCE, &cloud) {
                Ok(parsed) => prop_assert_eq!(Invitation::parse(&parsed.to_json(), SOURCE, &cloud).unwrap(), parsed),
                Err(e) => {
                    assert_names_a_field(&e, "invitation");
                    let blame = invitation_blame(field);
                    prop_assert!(
                        blame.contains(&e.field) || (*field == "atlas" && e.field.starts_with("invitation.atlas")),
                        "{} changed ({:?}), refused under {}: {}", field, change, e.field, e
                    );
                }
            }
        }
    }
}

/// Nesting deeper than any document has is refused, not a stack overflow.
#[test]
fn deep_nesting_is_refused_by_name() {
    let cloud = Cloud::public();
    for open in ["[", "{\"a\":"] {
        let text = format!("{{\"kind\":{}", open.repeat(100_000));
        let e = Handoff::parse(&text, SOURCE, &cloud).unwrap_err();
        assert_names_a_field(&e, "handoff");
        let e = Invitation::parse(&text, SOURCE, &cloud).unwrap_err();
        assert_names_a_field(&e, "invitation");
    }
}
