//! The Cosmos DB account body the builder produces (the filled template resource, the same body the
//! direct PUT sends) validated against the published `DatabaseAccountCreateUpdateParameters` schema of
//! cosmosdb 2022-05-15 (full excerpt) and 2026-07-15 (partial excerpt: only what it holds is resolved);
//! the generated parameters file against the template's declared parameters, and the deployment request
//! (template + parameters) against the published `Deployment` schema of Microsoft.Resources 2026-09-01.

use serde_json::{Map, Value, json};
use std::path::PathBuf;
use xtcmk::cosmos::{AccountName, CosmosCmkAccount, Location};
use xtcmk::{Cloud, KeyUri, ResourceId};

fn specs_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: ../shared/specs not found");
        None
    }
}

fn load(path: PathBuf) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// Swagger 2 definitions are draft-4 schemas; `x-ms-*` and `readOnly` are annotations a draft-4
/// validator ignores. References to definitions the excerpt does not hold become `{}` (anything).
fn prepare(definitions: &Map<String, Value>, strict: bool) -> Value {
    prepare_root(definitions, strict, "DatabaseAccountCreateUpdateParameters")
}

fn prepare_root(definitions: &Map<String, Value>, strict: bool, root: &str) -> Value {
    let mut defs = definitions.clone();
    for v in defs.values_mut() {
        drop_unresolved_refs(v, definitions);
    }
    if strict {
        let names: Vec<String> = defs.keys().cloned().collect();
        for name in names {
            close_object(&mut defs, &name, definitions);
        }
    }
    json!({ "$ref": format!("#/definitions/{root}"), "definitions": defs })
}

fn drop_unresolved_refs(v: &mut Value, defs: &Map<String, Value>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                let name = r.trim_start_matches("#/definitions/");
                if !defs.contains_key(name) {
                    m.remove("$ref");
                }
            }
            m.retain(|k, _| !k.starts_with("x-ms-"));
            for child in m.values_mut() {
                drop_unresolved_refs(child, defs);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| drop_unresolved_refs(i, defs)),
        _ => {}
    }
}

/// Strict mode: a request body may not carry properties the schema does not declare (catches a
/// misspelt field name) nor read-only ones. `allOf` parents are merged in first; definitions whose
/// parents are missing from the excerpt, or that are polymorphic (`discriminator`), stay open.
fn close_object(defs: &mut Map<String, Value>, name: &str, original: &Map<String, Value>) {
    let def = defs[name].clone();
    if def.get("discriminator").is_some()
        || def.get("properties").is_none()
        || def.get("additionalProperties").is_some()
    {
        return;
    }
    let mut props = def["properties"].as_object().cloned().unwrap_or_default();
    let mut required: Vec<Value> = def
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(parents) = def.get("allOf").and_then(Value::as_array) {
        for p in parents {
            let Some(parent) = p
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| original.get(r.trim_start_matches("#/definitions/")))
            else {
                return;
            };
            if let Some(pp) = parent.get("properties").and_then(Value::as_object) {
                for (k, v) in pp {
                    props.entry(k.clone()).or_insert(v.clone());
                }
            }
            required.extend(
                parent
                    .get("required")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
        }
    }
    props.retain(|_, v| v.get("readOnly") != Some(&Value::Bool(true)));
    for v in props.values_mut() {
        close_inline(v);
    }
    let d = defs[name].as_object_mut().unwrap();
    d.remove("allOf");
    d.insert("properties".into(), Value::Object(props));
    d.insert("required".into(), Value::Array(required));
    d.insert("additionalProperties".into(), Value::Bool(false));
    if d["required"].as_array().is_some_and(Vec::is_empty) {
        d.remove("required");
    }
}

/// Inline object schemas (e.g. the value type of `userAssignedIdentities`) are closed the same way.
fn close_inline(v: &mut Value) {
    let Value::Object(m) = v else { return };
    if let Some(Value::Object(inner)) = m.get_mut("additionalProperties")
        && let Some(Value::Object(props)) = inner.get_mut("properties")
    {
        props.retain(|_, p| p.get("readOnly") != Some(&Value::Bool(true)));
        inner.insert("additionalProperties".into(), Value::Bool(false));
    }
}

fn errors(schema: &Value, body: &Value) -> Vec<String> {
    let validator = jsonschema::draft4::new(schema).expect("the prepared schema compiles");
    validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn account() -> CosmosCmkAccount {
    let uami = ResourceId::user_assigned_identity(
        "00000000-0000-0000-0000-0000000000aa".parse().unwrap(),
        "rg-id",
        "uami-cmk",
    );
    let key = KeyUri::parse(
        &Cloud::public(),
        "--key-uri",
        "https://contoso-kv.vault.azure.net/keys/cmk",
    )
    .unwrap()
    .versionless();
    CosmosCmkAccount::new(
        AccountName::parse_field("--account", "orders").unwrap(),
        Location::parse_field("--location", "westeurope").unwrap(),
        uami,
        "33333333-3333-3333-3333-333333333333".parse().unwrap(),
        key,
    )
    .unwrap()
}

fn check_version(definitions: &Map<String, Value>, full: bool) {
    let body = account().account_body();
    for strict in [false, true] {
        let schema = prepare(definitions, strict);
        assert_eq!(
            errors(&schema, &body),
            Vec::<String>::new(),
            "strict={strict}: the builder's body must validate"
        );

        let mut no_locations = body.clone();
        no_locations["properties"]
            .as_object_mut()
            .unwrap()
            .remove("locations");
        assert!(
            errors(&schema, &no_locations)
                .iter()
                .any(|e| e.contains("locations")),
            "a body without locations must be refused"
        );

        let mut no_properties = body.clone();
        no_properties.as_object_mut().unwrap().remove("properties");
        assert!(
            !errors(&schema, &no_properties).is_empty(),
            "a body without properties must be refused"
        );

        let mut bad_offer = body.clone();
        bad_offer["properties"]["databaseAccountOfferType"] = json!("Premium");
        assert!(
            !errors(&schema, &bad_offer).is_empty(),
            "offer type must be Standard"
        );

        let mut bad_failover = body.clone();
        bad_failover["properties"]["locations"][0]["failoverPriority"] = json!(-1);
        if full {
            assert!(
                !errors(&schema, &bad_failover).is_empty(),
                "failoverPriority has minimum 0"
            );
        }
    }
    let strict = prepare(definitions, true);
    let mut misspelt = body.clone();
    let uri = misspelt["properties"]
        .as_object_mut()
        .unwrap()
        .remove("keyVaultKeyUri")
        .unwrap();
    misspelt["properties"]["keyVaultKeyURI"] = uri;
    assert!(
        errors(&strict, &misspelt)
            .iter()
            .any(|e| e.contains("keyVaultKeyURI")),
        "strict mode refuses a misspelt field"
    );

    let mut uami_with_principal = body.clone();
    let id = account().identity.to_string();
    uami_with_principal["identity"]["userAssignedIdentities"][&id] = json!({"principalId": "x"});
    assert!(
        !errors(&strict, &uami_with_principal).is_empty(),
        "strict mode refuses read-only principalId in a request"
    );

    if full {
        let mut spaced_type = body.clone();
        spaced_type["identity"]["type"] = json!("SystemAssigned, UserAssigned");
        assert!(
            !errors(&strict, &spaced_type).is_empty(),
            "identity.type is an enum"
        );
    }
}

#[test]
fn account_body_validates_against_2022_05_15() {
    let Some(dir) = specs_dir() else { return };
    let spec = load(dir.join("cosmosdb/2022-05-15/cosmos-db.databaseAccounts.excerpt.json"));
    let defs = spec["definitions"].as_object().unwrap();
    assert!(defs.contains_key("DatabaseAccountCreateUpdateParameters"));
    check_version(defs, true);
}

#[test]
fn account_body_validates_against_2026_07_15_partial() {
    let Some(dir) = specs_dir() else { return };
    let spec = load(dir.join("cosmosdb/2026-07-15/openapi.databaseAccounts.partial-excerpt.json"));
    let defs = spec["definitions"].as_object().unwrap();
    assert!(defs.contains_key("DatabaseAccountCreateUpdateParameters"));
    check_version(defs, false);
}

#[test]
fn template_api_version_is_at_least_the_cross_tenant_minimum() {
    let t = xtcmk::cosmos::template();
    let v = t["resources"][0]["apiVersion"].as_str().unwrap();
    assert!(v >= xtcmk::cosmos::MIN_CROSS_TENANT_API_VERSION, "{v}");
    assert_eq!(
        t["$schema"],
        "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
    );
}

/// The parameters file gives every parameter the template declares (and no other), each within the
/// template's own type and length constraints.
#[test]
fn parameters_file_fits_the_template_parameters() {
    let template = xtcmk::cosmos::template();
    let declared = template["parameters"].as_object().unwrap();
    let file = account().parameters_file();
    let given = file["parameters"].as_object().unwrap();
    let declared_names: Vec<&String> = declared.keys().collect();
    let given_names: Vec<&String> = given.keys().collect();
    assert_eq!(declared_names, given_names);
    for (name, decl) in declared {
        let value = &given[name]["value"];
        assert_eq!(decl["type"], "string", "{name}");
        let text = value
            .as_str()
            .unwrap_or_else(|| panic!("{name} is a string"));
        let len = text.chars().count() as u64;
        if let Some(min) = decl.get("minLength").and_then(Value::as_u64) {
            assert!(len >= min, "{name}: {len} < {min}");
        }
        if let Some(max) = decl.get("maxLength").and_then(Value::as_u64) {
            assert!(len <= max, "{name}: {len} > {max}");
        }
    }
    assert_eq!(file["$schema"], xtcmk::cosmos::PARAMETERS_SCHEMA);
    assert_eq!(file["contentVersion"], "1.0.0.0");
}

/// What `az deployment group create --template-file … --parameters @…` sends: validated against the
/// published `Deployment` request schema (closed objects, so a misspelt field is caught).
#[test]
fn deployment_request_validates_against_2026_09_01() {
    let Some(dir) = specs_dir() else { return };
    let spec = load(dir.join("resources-deployments/2026-09-01/deployments.partial-excerpt.json"));
    let defs = spec["definitions"].as_object().unwrap();
    let schema = prepare_root(defs, true, "Deployment");
    let parameters = account().parameters_file()["parameters"].clone();
    let body = json!({
        "properties": {
            "mode": "Incremental",
            "template": xtcmk::cosmos::template(),
            "parameters": parameters,
        }
    });
    assert_eq!(errors(&schema, &body), Vec::<String>::new());

    let mut bad_mode = body.clone();
    bad_mode["properties"]["mode"] = json!("Replace");
    assert!(!errors(&schema, &bad_mode).is_empty(), "mode is an enum");

    let mut bare_values = body.clone();
    bare_values["properties"]["parameters"]["accountName"] = json!({ "val": "orders" });
    assert!(
        !errors(&schema, &bare_values).is_empty(),
        "parameters are {{\"value\": …}} objects"
    );
}

/// The bodies `cosmos deploy` PATCHes to turn customer-managed keys on for an existing account —
/// identity, default identity, key, one request each — against the published
/// `DatabaseAccountUpdateParameters` of 2022-05-15 (closed objects, read-only members refused). The
/// 2026-07-15 excerpt holds no update schema.
#[test]
fn update_bodies_validate_against_2022_05_15() {
    use xtcmk::clients::arm::cosmos::{AccountUpdate, DatabaseAccount};
    let Some(dir) = specs_dir() else { return };
    let spec = load(dir.join("cosmosdb/2022-05-15/cosmos-db.databaseAccounts.excerpt.json"));
    let defs = spec["definitions"].as_object().unwrap();
    let schema = prepare_root(defs, true, "DatabaseAccountUpdateParameters");
    let a = account();
    let existing: DatabaseAccount = serde_json::from_value(json!({
        "id": "x", "name": "orders",
        "identity": {"type": "SystemAssigned", "principalId": "p", "tenantId": "t"},
        "properties": {}
    }))
    .unwrap();
    for (what, body) in [
        (
            "identity",
            AccountUpdate::identity(existing.identity_with(&a.identity)),
        ),
        (
            "default identity",
            AccountUpdate::default_identity(a.default_identity()),
        ),
        ("key", AccountUpdate::key(&a.key)),
    ] {
        let body = serde_json::to_value(&body).unwrap();
        assert_eq!(
            errors(&schema, &body),
            Vec::<String>::new(),
            "{what}: {body}"
        );
    }
    let mut misspelt = serde_json::to_value(AccountUpdate::key(&a.key)).unwrap();
    misspelt["properties"]["keyVaultKeyURI"] = json!("x");
    assert!(
        !errors(&schema, &misspelt).is_empty(),
        "strict mode refuses a misspelt member"
    );
}
