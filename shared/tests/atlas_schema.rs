//! The encryption-at-rest PATCH bodies the library builds, both ways in (client secret, roleId)
//! and the partial ones (key rotation, secret rotation), validated against the published
//! `EncryptionAtRest` schema of the Atlas Admin API v2 (specs/mongodb-atlas), closed so that a
//! misspelt or read-only member fails; and the cloudProviderAccess request against
//! `CloudProviderAccessAzureServicePrincipalRequest`. Skipped when `../shared/specs` is absent.

use serde_json::{Map, Value, json};
use std::path::PathBuf;
use xtcmk::atlas::{
    AtlasAccess, AtlasKeyTarget, AzureKeyVaultPatch, EncryptionAtRestPatch, RoleId, disable_body,
};
use xtcmk::{Cloud, KeyUri, Secret};

fn spec(file: &str) -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/specs/mongodb-atlas")
        .join(file);
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipped: ../shared/specs not found");
        return None;
    };
    Some(serde_norway::from_str(&text).expect("YAML"))
}

/// OpenAPI 3 schemas as JSON Schema: every object with properties closed
/// (`additionalProperties: false`) and its read-only members dropped (a request may not send them).
fn close(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(props)) = m.get_mut("properties") {
                props.retain(|_, p| p.get("readOnly") != Some(&json!(true)));
                if !m.contains_key("discriminator") && !m.contains_key("oneOf") {
                    m.insert("additionalProperties".into(), json!(false));
                }
            }
            m.remove("nullable");
            for child in m.values_mut() {
                close(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close),
        _ => {}
    }
}

fn validator(doc: &Value, root: &str) -> jsonschema::Validator {
    let mut schemas: Map<String, Value> =
        doc["components"]["schemas"].as_object().cloned().unwrap();
    for s in schemas.values_mut() {
        close(s);
    }
    let schema = json!({
        "$ref": format!("#/components/schemas/{root}"),
        "components": { "schemas": schemas },
    });
    jsonschema::validator_for(&schema).expect("a valid schema")
}

fn target(cloud: &Cloud) -> AtlasKeyTarget {
    AtlasKeyTarget {
        key_tenant: "22222222-2222-2222-2222-222222222222".parse().unwrap(),
        subscription: "00000000-0000-0000-0000-0000000000aa".parse().unwrap(),
        resource_group: "rg-keys".into(),
        key: KeyUri::parse(
            cloud,
            "k",
            "https://kv1.vault.azure.net/keys/atlas/0123456789abcdef0123456789abcdef",
        )
        .unwrap()
        .versioned()
        .unwrap(),
    }
}

#[test]
fn encryption_at_rest_bodies_validate_against_the_atlas_spec() {
    let Some(doc) = spec("atlas-admin-v2.encryptionAtRest.excerpt.yaml") else {
        return;
    };
    let v = validator(&doc, "EncryptionAtRest");
    let cloud = Cloud::public();
    let t = target(&cloud);
    let secret = EncryptionAtRestPatch::enable(
        &cloud,
        AtlasAccess::Secret {
            client_id: "33333333-3333-3333-3333-333333333333".parse().unwrap(),
            secret: Secret::new("s3cr3t"),
        },
        &t,
        true,
    )
    .unwrap();
    let role = EncryptionAtRestPatch::enable(
        &cloud,
        AtlasAccess::Role {
            role_id: RoleId::parse_field("r", "32b6e34b3d91647abb20e7b8").unwrap(),
        },
        &t,
        false,
    )
    .unwrap();
    let rotate_key = EncryptionAtRestPatch::changes(AzureKeyVaultPatch {
        key_identifier: Some(t.key.clone()),
        ..Default::default()
    });
    let rotate_secret = EncryptionAtRestPatch::changes(AzureKeyVaultPatch {
        secret: Some(Secret::new("n3w")),
        ..Default::default()
    });
    for (name, body) in [
        ("secret mode", serde_json::to_value(&secret).unwrap()),
        ("role mode", serde_json::to_value(&role).unwrap()),
        ("key rotation", serde_json::to_value(&rotate_key).unwrap()),
        (
            "secret rotation",
            serde_json::to_value(&rotate_secret).unwrap(),
        ),
        ("disable", disable_body()),
    ] {
        let errors: Vec<String> = v.iter_errors(&body).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}\n{body}");
    }
    // The twin: a misspelt member, a read-only one, a bad enum value are caught.
    for bad in [
        json!({ "azureKeyVault": { "keyVaultUri": "x" } }),
        json!({ "azureKeyVault": { "valid": true } }),
        json!({ "azureKeyVault": { "azureEnvironment": "AZURE_GERMANY" } }),
        json!({ "azureKeyVault": { "roleId": "not-24-hex" } }),
    ] {
        assert!(!v.is_valid(&bad), "{bad}");
    }
}

#[test]
fn the_cloud_provider_access_request_validates_against_the_atlas_spec() {
    let Some(doc) = spec("atlas-admin-v2.cloudProviderAccess.excerpt.yaml") else {
        return;
    };
    let v = validator(&doc, "CloudProviderAccessAzureServicePrincipalRequest");
    let body = xtcmk::clients::atlas::cloud_provider_access::azure_request_body(
        &"22222222-2222-2222-2222-222222222222".parse().unwrap(),
        &"44444444-4444-4444-4444-444444444444".parse().unwrap(),
        &xtcmk::atlas::atlas_app_id(),
    );
    let errors: Vec<String> = v.iter_errors(&body).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(!v.is_valid(&json!({ "providerName": "AZURE", "tenant": "x" })));
}
