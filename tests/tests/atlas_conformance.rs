//! The simulator's Atlas request models against the published Atlas Admin API v2 contract in
//! `../shared/specs/mongodb-atlas` (OpenAPI 3 YAML): the same member names and enum values.
//! Skipped (with a printed reason) when the specs folder is absent.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use xtcmk_sim::atlas::cloud_provider_access::{AzureServicePrincipalRequest, ProviderName};
use xtcmk_sim::atlas::encryption_at_rest::{AzureEnvironment, AzureKeyVault, EncryptionAtRest};
use xtcmk_sim::atlas::private_endpoints::EarPrivateEndpointBody;
use xtcmk_sim::contract::member_names;

fn load(file: &str) -> Option<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/specs/mongodb-atlas")
        .join(file);
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_norway::from_str(&text).expect("the spec is YAML"))
}

fn properties(doc: &Value, schema: &str) -> BTreeSet<String> {
    doc["components"]["schemas"][schema]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no schema {schema}"))
        .keys()
        .cloned()
        .collect()
}

fn names(list: Vec<&'static str>) -> BTreeSet<String> {
    list.into_iter().map(String::from).collect()
}

#[test]
fn atlas_request_models_match_the_spec() {
    let (Some(ear), Some(cpa)) = (
        load("atlas-admin-v2.encryptionAtRest.excerpt.yaml"),
        load("atlas-admin-v2.cloudProviderAccess.excerpt.yaml"),
    ) else {
        println!("skipped: ../shared/specs not found");
        return;
    };
    assert_eq!(
        names(member_names::<AzureKeyVault>()),
        properties(&ear, "AzureKeyVault")
    );
    assert_eq!(
        names(member_names::<EncryptionAtRest>()),
        properties(&ear, "EncryptionAtRest")
    );
    assert_eq!(
        names(member_names::<EarPrivateEndpointBody>()),
        properties(&ear, "AzureKeyVaultEARPrivateEndpoint")
    );
    assert_eq!(
        names(member_names::<AzureServicePrincipalRequest>()),
        properties(&cpa, "CloudProviderAccessAzureServicePrincipalRequest")
    );
    let environments: BTreeSet<String> =
        ear["components"]["schemas"]["AzureKeyVault"]["properties"]["azureEnvironment"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
    assert_eq!(names(member_names::<AzureEnvironment>()), environments);
    let providers: BTreeSet<String> = cpa["components"]["schemas"]
        ["CloudProviderAccessAzureServicePrincipalRequest"]["properties"]["providerName"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(names(member_names::<ProviderName>()), providers);
    // Atlas's Azure regions in the library and in the spec's enum are the same list.
    let regions: BTreeSet<String> = ear["components"]["schemas"]["AzureKeyVaultEARPrivateEndpoint"]
        ["properties"]["regionName"]["oneOf"][0]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        xtcmk::atlas::atlas_region_names()
            .map(String::from)
            .collect::<BTreeSet<_>>(),
        regions
    );
}
