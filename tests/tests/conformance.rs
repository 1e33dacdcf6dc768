//! The simulator's request models against the published contracts in `../shared/specs`: the
//! same member names, the same required members, the same enum values. Skipped (with a printed
//! reason) when the specs folder is absent.

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
