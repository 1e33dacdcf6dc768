//! The simulator's models and answers against the published contracts in `../shared/specs`:
//! ARM and Key Vault request models (the same member names, required members and enum values as
//! the Swagger definitions), Graph (the entity members the simulator declares and decodes, and
//! the members of its answers, against the CSDL), and Atlas (its answers against the Admin API
//! v2 OpenAPI schemas). Skipped (with a printed reason) when the specs folder is absent.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use xtcmk_sim::contract::{Shape, all_models};

fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs")
}

/// The definition's properties and required members, following `allOf` references in the file.
fn definition_shape(
    doc: &Value,
    name: &str,
) -> (BTreeSet<String>, BTreeSet<String>, Option<Vec<String>>) {
    let def = &doc["definitions"][name];
    assert!(!def.is_null(), "no definition {name}");
    let mut props: BTreeSet<String> = def["properties"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut required: BTreeSet<String> = def["required"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    for part in def["allOf"].as_array().into_iter().flatten() {
        if let Some(r) = part["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/definitions/"))
        {
            let (p, q, _) = definition_shape(doc, r);
            props.extend(p);
            required.extend(q);
        }
    }
    let values = def["enum"].as_array().map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    });
    (props, required, values)
}

#[test]
fn request_models_match_the_specs() {
    let dir = specs_dir();
    if !dir.is_dir() {
        println!("skipped: ../shared/specs not found");
        return;
    }
    let mut docs: BTreeMap<&str, Value> = BTreeMap::new();
    let mut problems = Vec::new();
    let models = all_models();
    assert!(!models.is_empty());
    for model in models {
        let doc = docs.entry(model.spec.file).or_insert_with(|| {
            let text = std::fs::read_to_string(dir.join(model.spec.file))
                .unwrap_or_else(|e| panic!("{}: {e}", model.spec.file));
            serde_json::from_str(&text).unwrap()
        });
        let (props, required, values) = definition_shape(doc, model.spec.definition);
        let what = format!(
            "{} ({} in {})",
            model.rust_name, model.spec.definition, model.spec.file
        );
        match &model.shape {
            Shape::Struct {
                fields,
                required: ours,
            } => {
                let ours_fields: BTreeSet<String> = fields.iter().map(|f| f.to_string()).collect();
                if ours_fields != props {
                    problems.push(format!(
                        "{what}: members differ; only in the model {:?}, only in the spec {:?}",
                        ours_fields.difference(&props).collect::<Vec<_>>(),
                        props.difference(&ours_fields).collect::<Vec<_>>()
                    ));
                }
                let ours_required: BTreeSet<String> = ours.iter().cloned().collect();
                if ours_required != required {
                    problems.push(format!(
                        "{what}: required members differ: model {ours_required:?}, spec {required:?}"
                    ));
                }
            }
            Shape::Enum { variants } => {
                let ours: BTreeSet<String> = variants.iter().map(|v| v.to_string()).collect();
                let spec: BTreeSet<String> = values.unwrap_or_default().into_iter().collect();
                if ours != spec {
                    problems.push(format!(
                        "{what}: values differ: model {ours:?}, spec {spec:?}"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---- Microsoft Graph: the entity members the simulator knows, against the CSDL ------------------

/// Every property an entity type of the CSDL declares, with those of its base types.
fn csdl_properties(doc: &roxmltree::Document, entity: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut name = Some(entity.to_string());
    while let Some(current) = name.take() {
        let node = doc
            .descendants()
            .find(|n| n.has_tag_name("EntityType") && n.attribute("Name") == Some(&current))
            .unwrap_or_else(|| panic!("no EntityType {current} in the CSDL excerpt"));
        out.extend(
            node.children()
                .filter(|c| c.has_tag_name("Property"))
                .filter_map(|c| c.attribute("Name").map(String::from)),
        );
        name = node
            .attribute("BaseType")
            .map(|b| b.trim_start_matches("graph.").to_string());
    }
    out
}

#[test]
fn graph_members_match_the_csdl() {
    let path = specs_dir().join("msgraph/v1.0-Prod.csdl.excerpt.xml");
    if !path.is_file() {
        println!("skipped: {} not found", path.display());
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let mut problems = Vec::new();
    for (entity, declared) in xtcmk_sim::graph::models::ENTITIES {
        let ours: BTreeSet<String> = declared.iter().map(|s| s.to_string()).collect();
        let spec = csdl_properties(&doc, entity);
        if ours != spec {
            problems.push(format!(
                "{entity}: only in the simulator {:?}, only in the CSDL {:?}",
                ours.difference(&spec).collect::<Vec<_>>(),
                spec.difference(&ours).collect::<Vec<_>>()
            ));
        }
    }
    for (entity, rust, fields) in xtcmk_sim::graph::models::body_models() {
        let spec = csdl_properties(&doc, entity);
        let undeclared: Vec<_> = fields.iter().filter(|f| !spec.contains(**f)).collect();
        if !undeclared.is_empty() {
            problems.push(format!(
                "{rust} decodes members {entity} does not declare: {undeclared:?}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The simulator's Graph answers carry only members the entity declares (and OData's own).
#[tokio::test]
async fn graph_answers_carry_declared_members_only() {
    use xtcmk_sim::harness::probe::Probe;
    use xtcmk_sim::scenario::demo;
    let path = specs_dir().join("msgraph/v1.0-Prod.csdl.excerpt.xml");
    if !path.is_file() {
        println!("skipped: {} not found", path.display());
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let sim = xtcmk_sim::Sim::demo();
    let p = Probe::new(&sim);
    let token = p.user_graph(demo::PROVIDER, demo::PROVIDER_ADMIN);
    let app = p
        .post(
            &p.graph("/v1.0/applications"),
            Some(&token),
            serde_json::json!({ "displayName": "Conformance", "signInAudience": "AzureADMultipleOrgs" }),
        )
        .await;
    assert_eq!(app.status, 201, "{}", app.text);
    let id = app.body["id"].as_str().unwrap().to_string();
    let fic = p
        .post(
            &p.graph(&format!("/v1.0/applications/{id}/federatedIdentityCredentials")),
            Some(&token),
            serde_json::json!({ "name": "c1", "issuer": "https://issuer.example", "subject": "s", "audiences": ["api://AzureADTokenExchange"] }),
        )
        .await;
    assert_eq!(fic.status, 201, "{}", fic.text);
    let sp = p
        .get(
            &p.graph(&format!(
                "/v1.0/servicePrincipals?$filter=appId eq '{}'",
                demo::CI_APP_ID
            )),
            Some(&token),
        )
        .await;
    let checks = [
        ("application", app.body.clone()),
        ("federatedIdentityCredential", fic.body.clone()),
        ("servicePrincipal", sp.body["value"][0].clone()),
    ];
    let mut problems = Vec::new();
    for (entity, body) in checks {
        let spec = csdl_properties(&doc, entity);
        let object = body
            .as_object()
            .unwrap_or_else(|| panic!("{entity}: {body}"));
        for key in object.keys() {
            if !key.starts_with("@odata.") && !spec.contains(key) {
                problems.push(format!("{entity} answer has undeclared member {key}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---- MongoDB Atlas: the simulator's answers against the Admin API v2 schemas --------------------

/// Checks `value` against an OpenAPI schema of `doc` (following `$ref` and `allOf`): objects hold
/// only declared properties and every required one, scalars have the declared type.
fn check_openapi(doc: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return check_openapi(
            doc,
            &doc["components"]["schemas"][name],
            value,
            at,
            problems,
        );
    }
    let mut properties = serde_json::Map::new();
    let mut required: Vec<String> = Vec::new();
    let mut parts = vec![schema.clone()];
    while let Some(part) = parts.pop() {
        if let Some(r) = part["$ref"].as_str() {
            let name = r.trim_start_matches("#/components/schemas/");
            parts.push(doc["components"]["schemas"][name].clone());
            continue;
        }
        if let Some(p) = part["properties"].as_object() {
            properties.extend(p.clone());
        }
        if let Some(r) = part["required"].as_array() {
            required.extend(r.iter().filter_map(|v| v.as_str().map(String::from)));
        }
        if let Some(all) = part["allOf"].as_array() {
            parts.extend(all.iter().cloned());
        }
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match properties.get(k) {
                    Some(s) => check_openapi(doc, s, v, &format!("{at}.{k}"), problems),
                    None => problems.push(format!("{at}: undeclared member {k}")),
                }
            }
            for r in required {
                if !map.contains_key(&r) {
                    problems.push(format!("{at}: required member {r} missing"));
                }
            }
        }
        Value::String(_) if schema["type"] != "string" && !schema["type"].is_null() => problems
            .push(format!(
                "{at}: a string where the schema says {}",
                schema["type"]
            )),
        Value::Bool(_) if schema["type"] != "boolean" && !schema["type"].is_null() => problems
            .push(format!(
                "{at}: a boolean where the schema says {}",
                schema["type"]
            )),
        Value::Number(_)
            if !["integer", "number"].contains(&schema["type"].as_str().unwrap_or("integer")) =>
        {
            problems.push(format!(
                "{at}: a number where the schema says {}",
                schema["type"]
            ))
        }
        _ => {}
    }
}

#[tokio::test]
async fn atlas_answers_fit_the_admin_api_schemas() {
    use xtcmk_sim::harness::probe::Probe;
    let path = specs_dir().join("mongodb-atlas/atlas-admin-v2.encryptionAtRest.excerpt.yaml");
    if !path.is_file() {
        println!("skipped: {} not found", path.display());
        return;
    }
    let doc: Value = serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let sim = xtcmk_sim::Sim::demo();
    let group = {
        let mut state = sim.state();
        let group = state
            .atlas
            .add_project("conformance", "5f0000000000000000000001");
        state
            .atlas
            .add_service_account("mdb_sa_id_c", "sa-secret-c", &[&group], &["GROUP_OWNER"]);
        group
    };
    let p = Probe::new(&sim);
    let atlas = sim.cloud().atlas_endpoint.clone();
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        "mdb_sa_id_c:sa-secret-c",
    );
    let bearer = {
        let form = "grant_type=client_credentials";
        let client = xtcmk::http::transport::build_client(sim.cloud()).unwrap();
        let answer: Value = client
            .post(format!("{atlas}api/oauth/token"))
            .header("authorization", format!("Basic {basic}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["access_token"]
            .as_str()
            .expect("a token")
            .to_string()
    };
    // Every Admin API v2 call names its version in Accept (the tools send 2023-01-01).
    let versioned = [("accept", "application/vnd.atlas.2023-01-01+json")];
    let ear = p
        .get_with(
            &format!("{atlas}api/atlas/v2/groups/{group}/encryptionAtRest"),
            Some(&bearer),
            &versioned,
        )
        .await;
    assert_eq!(ear.status, 200, "{}", ear.text);
    let missing = p
        .get_with(
            &format!(
                "{atlas}api/atlas/v2/groups/{}/encryptionAtRest",
                "0".repeat(24)
            ),
            Some(&bearer),
            &versioned,
        )
        .await;
    let invalid = p
        .get_with(
            &format!("{atlas}api/atlas/v2/groups/not-a-group/encryptionAtRest"),
            Some(&bearer),
            &versioned,
        )
        .await;
    assert_eq!((missing.status, invalid.status), (404, 400));
    let unversioned = p
        .get(
            &format!("{atlas}api/atlas/v2/groups/{group}/encryptionAtRest"),
            Some(&bearer),
        )
        .await;
    assert_eq!(unversioned.status, 406, "{}", unversioned.text);
    let schemas = &doc["components"]["schemas"];
    let mut problems = Vec::new();
    check_openapi(
        &doc,
        &schemas["EncryptionAtRest"],
        &ear.body,
        "EncryptionAtRest",
        &mut problems,
    );
    check_openapi(
        &doc,
        &schemas["ApiError"],
        &missing.body,
        "ApiError(404)",
        &mut problems,
    );
    check_openapi(
        &doc,
        &schemas["ApiError"],
        &invalid.body,
        "ApiError(400)",
        &mut problems,
    );
    check_openapi(
        &doc,
        &schemas["ApiError"],
        &unversioned.body,
        "ApiError(406)",
        &mut problems,
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// Cosmos DB databaseAccounts: both published shapes (cosmosdb/2022-05-15, cosmosdb/2026-07-15).

fn cosmos_doc(file: &str) -> Option<Value> {
    let path = specs_dir().join(file);
    let text = std::fs::read_to_string(&path).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

/// The definition's own members (without `allOf`).
fn own_members(doc: &Value, name: &str) -> BTreeSet<String> {
    doc["definitions"][name]["properties"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn enum_values(doc: &Value, name: &str) -> Vec<String> {
    definition_shape(doc, name).2.unwrap_or_default()
}

#[test]
fn cosmos_request_models_fit_both_published_versions() {
    use xtcmk_sim::arm::cosmos::models::{
        AccountCreate, CreateProperties2022, CreateProperties2026, SPEC_2022, SPEC_2026,
    };
    let (Some(v2022), Some(v2026)) = (cosmos_doc(SPEC_2022), cosmos_doc(SPEC_2026)) else {
        println!("skipped: the cosmosdb specs are not in ../shared/specs");
        return;
    };
    // One top-level model serves both: the 2026-07-15 excerpt lacks `ARMResourceProperties`, so its
    // own members and required list are compared with 2022-05-15's.
    let top = "DatabaseAccountCreateUpdateParameters";
    assert_eq!(own_members(&v2022, top), own_members(&v2026, top));
    assert_eq!(
        v2022["definitions"][top]["required"],
        v2026["definitions"][top]["required"]
    );
    // The published example requests decode with the version's model.
    for (dir, v2026_shape) in [
        ("cosmosdb/2022-05-15", false),
        ("cosmosdb/2026-07-15", true),
    ] {
        let example = cosmos_doc(&format!(
            "{dir}/examples/CosmosDBDatabaseAccountCreateMax.json"
        ))
        .expect("the example is saved beside its spec");
        let body = example["parameters"]["createUpdateParameters"].to_string();
        let decoded = if v2026_shape {
            xtcmk_sim::contract::parse::<AccountCreate<CreateProperties2026>>(body.as_bytes())
                .map(|_| ())
        } else {
            xtcmk_sim::contract::parse::<AccountCreate<CreateProperties2022>>(body.as_bytes())
                .map(|_| ())
        };
        assert!(decoded.is_ok(), "{dir}: {decoded:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_responses_use_only_published_members_and_values() {
    use xtcmk_sim::arm::cosmos::models::{
        GET_PROPERTIES_2022, GET_RESULTS_2022, SPEC_2022, SPEC_2026,
    };
    use xtcmk_sim::scenario::cross_tenant::CmkWorld;
    let (Some(v2022), Some(v2026)) = (cosmos_doc(SPEC_2022), cosmos_doc(SPEC_2026)) else {
        println!("skipped: the cosmosdb specs are not in ../shared/specs");
        return;
    };
    let get_properties = definition_shape(&v2022, "DatabaseAccountGetProperties").0;
    let get_results = definition_shape(&v2022, "DatabaseAccountGetResults").0;
    for m in GET_PROPERTIES_2022 {
        assert!(
            get_properties.contains(m),
            "{m} is not in DatabaseAccountGetProperties"
        );
    }
    for m in GET_RESULTS_2022 {
        assert!(
            get_results.contains(m),
            "{m} is not in DatabaseAccountGetResults"
        );
    }
    // 2026-07-15 answers: the 2022-05-15 read members plus the members the 2026 shape added.
    let mut newer: BTreeSet<String> = get_properties.clone();
    newer.extend(definition_shape(&v2026, "DatabaseAccountCreateUpdateProperties").0);

    let (sim, world) = CmkWorld::start();
    let token = sim.user_token(
        xtcmk_sim::scenario::demo::PROVIDER,
        xtcmk_sim::scenario::demo::PROVIDER_ADMIN,
        &sim.cloud().resource_manager_audience,
    );
    let client = xtcmk::http::transport::build_client(sim.cloud()).unwrap();
    let url = |api: &str| {
        format!(
            "{}{}?api-version={api}",
            sim.cloud().resource_manager_endpoint,
            world.account_path("orders").trim_start_matches('/')
        )
    };
    let put = client
        .put(url("2026-07-15"))
        .bearer_auth(&token)
        .json(&world.account_body())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    for (api, allowed) in [("2022-05-15", &get_properties), ("2026-07-15", &newer)] {
        let body: Value = client
            .get(url(api))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let top: BTreeSet<String> = body.as_object().unwrap().keys().cloned().collect();
        assert!(
            top.is_subset(&get_results),
            "{api}: {:?}",
            top.difference(&get_results).collect::<Vec<_>>()
        );
        let props: BTreeSet<String> = body["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert!(
            props.is_subset(allowed),
            "{api}: {:?}",
            props.difference(allowed).collect::<Vec<_>>()
        );
        let offer = body["properties"]["databaseAccountOfferType"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(enum_values(&v2022, "DatabaseAccountOfferType").contains(&offer));
        let level = body["properties"]["consistencyPolicy"]["defaultConsistencyLevel"]
            .as_str()
            .unwrap();
        assert!(v2022["definitions"]["ConsistencyPolicy"]["properties"]["defaultConsistencyLevel"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == level));
        let kind = body["identity"]["type"].as_str().unwrap();
        assert!(
            v2022["definitions"]["ManagedServiceIdentity"]["properties"]["type"]["enum"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v == kind)
        );
        if api == "2026-07-15" {
            let tls = body["properties"]["minimalTlsVersion"]
                .as_str()
                .unwrap()
                .to_string();
            assert!(enum_values(&v2026, "MinimalTlsVersion").contains(&tls));
            assert!(body["properties"]["customerManagedKeyStatus"].is_string());
        } else {
            assert!(body["properties"].get("customerManagedKeyStatus").is_none());
        }
    }
}
