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
