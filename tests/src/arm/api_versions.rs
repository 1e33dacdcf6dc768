//! The api-versions Resource Manager accepts, per resource type: one table, one line per
//! resource type (namespace, top-level type, versions newest first, who answers a wrong one).
//! An ARM request names its resource type by its path (the type after the last `providers`
//! segment, or the ARM-native `subscriptions` / `resourceGroups`), and an api-version the table
//! does not list for that type is refused the way the real service refuses it:
//! - ARM-native types (`Microsoft.Resources`): 400 `InvalidApiVersionParameter`, "The api-version
//!   'X' is invalid. The supported versions are '…'." (azure-cli#27109, pulumi-azure-native#3637);
//! - resource providers: 400 `NoRegisteredProviderFound`, "No registered resource provider found
//!   for location 'L' and API version 'X' for type 'T'. The supported api-versions are '…'. The
//!   supported locations are '…'." (azure-cli#20226, azure-sdk-for-net#23760);
//! - `Microsoft.Authorization` (served by ARM's authorization front end): 400
//!   `InvalidResourceType`, "The resource type 'T' could not be found in the namespace
//!   'Microsoft.Authorization' for api version 'X'. The supported api-versions are '…'."
//!   (azure-sdk-for-go#16699, acs-engine#4037).
//!
//! To cover a new resource type, add one line to [`TABLE`].

use super::error;
use crate::reply::Reply;

/// Who answers an api-version the table does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// ARM itself: `InvalidApiVersionParameter`.
    ArmNative,
    /// A resource provider behind ARM: `NoRegisteredProviderFound`.
    Provider,
    /// The authorization front end: `InvalidResourceType`.
    Authorization,
}

/// One resource type: namespace, top-level type, accepted versions (newest first).
pub struct Entry {
    pub namespace: &'static str,
    pub kind: &'static str,
    pub versions: &'static [&'static str],
    pub refusal: Refusal,
}

/// Microsoft.Resources: the list ARM itself printed in 2024 (pulumi-azure-native#3637), plus
/// 2024-11-01 (azure-cli 2.91's resources profile), 2025-04-01 (the deployments readme's
/// `package-2025-04`, specs/FACTS.md §10) and 2026-09-01 (specs/resources-deployments).
const RESOURCES: &[&str] = &[
    "2026-09-01",
    "2025-04-01",
    "2024-11-01",
    "2024-08-01",
    "2024-06-01-preview",
    "2024-03-01",
    "2023-07-01",
    "2023-07-01-preview",
    "2023-03-01-preview",
    "2022-12-01",
    "2022-11-01-preview",
    "2022-09-01",
    "2022-06-01",
    "2022-05-01",
    "2022-03-01-preview",
    "2022-01-01",
    "2021-04-01",
    "2021-01-01",
    "2020-10-01",
    "2020-09-01",
    "2020-08-01",
    "2020-07-01",
    "2020-06-01",
    "2020-05-01",
    "2020-01-01",
    "2019-11-01",
    "2019-10-01",
    "2019-09-01",
    "2019-08-01",
    "2019-07-01",
    "2019-06-01",
    "2019-05-10",
    "2019-05-01",
    "2019-03-01",
    "2018-11-01",
    "2018-09-01",
    "2018-08-01",
    "2018-07-01",
    "2018-06-01",
    "2018-05-01",
    "2018-02-01",
    "2018-01-01",
    "2017-12-01",
    "2017-08-01",
    "2017-06-01",
    "2017-05-10",
    "2017-05-01",
    "2017-03-01",
    "2016-09-01",
    "2016-07-01",
    "2016-06-01",
    "2016-02-01",
    "2015-11-01",
    "2015-01-01",
    "2014-04-01-preview",
    "2014-04-01",
    "2014-01-01",
    "2013-03-01",
    "2014-02-26",
    "2014-04",
];

/// roleAssignments: ARM's list (azure-sdk-for-go#16699) plus the later stable 2022-04-01
/// (specs/authorization) and the previews azure-mgmt-authorization 5.0 sends.
const ROLE_ASSIGNMENTS: &[&str] = &[
    "2022-04-01",
    "2022-01-01-preview",
    "2021-04-01-preview",
    "2020-10-01-preview",
    "2020-08-01-preview",
    "2020-04-01-preview",
    "2020-03-01-preview",
    "2019-04-01-preview",
    "2018-12-01-preview",
    "2018-09-01-preview",
    "2018-07-01",
    "2018-01-01-preview",
    "2017-10-01-preview",
    "2017-09-01",
    "2017-05-01",
    "2016-07-01",
    "2015-07-01",
    "2015-06-01",
    "2015-05-01-preview",
    "2014-10-01-preview",
    "2014-07-01-preview",
    "2014-04-01-preview",
];

/// roleDefinitions and permissions: as role assignments, plus 2022-05-01-preview (az role definition).
const ROLE_DEFINITIONS: &[&str] = &[
    "2022-05-01-preview",
    "2022-04-01",
    "2022-01-01-preview",
    "2021-04-01-preview",
    "2020-10-01-preview",
    "2018-07-01",
    "2018-01-01-preview",
    "2017-05-01",
    "2015-07-01",
    "2015-06-01",
];

/// Microsoft.ManagedIdentity: the versions under specification/msi in azure-rest-api-specs.
const MANAGED_IDENTITY: &[&str] = &[
    "2026-05-31",
    "2026-04-30",
    "2025-05-31-preview",
    "2025-01-31-preview",
    "2024-11-30",
    "2023-07-31-preview",
    "2023-01-31",
    "2022-01-31-preview",
    "2021-09-30-preview",
    "2018-11-30",
    "2015-08-31-preview",
];

/// Microsoft.KeyVault (vaults, deleted vaults, name check): the stable versions of
/// specification/keyvault/resource-manager and the previews ARM lists in its refusals
/// (azure-cli#19389, azure-sdk-for-net#23760); 2026-02-01 is specs/keyvault-mgmt.
const KEY_VAULT: &[&str] = &[
    "2026-02-01",
    "2024-11-01",
    "2023-07-01",
    "2023-02-01",
    "2022-07-01",
    "2021-10-01",
    "2021-06-01-preview",
    "2021-04-01-preview",
    "2020-04-01-preview",
    "2019-09-01",
    "2018-02-14",
    "2018-02-14-preview",
    "2016-10-01",
    "2015-06-01",
    "2014-12-19-preview",
];

/// Microsoft.KeyVault vaults/keys (`Keys_CreateIfNotExist`): the versions of
/// specification/keyvault/resource-manager that define `keys.json`, from 2019-09-01 on.
const KEY_VAULT_KEYS: &[&str] = &[
    "2026-02-01",
    "2024-11-01",
    "2023-07-01",
    "2023-02-01",
    "2022-07-01",
    "2021-10-01",
    "2021-06-01-preview",
    "2021-04-01-preview",
    "2020-04-01-preview",
    "2019-09-01",
];

/// Microsoft.DocumentDB databaseAccounts: the stable versions of specification/cosmos-db (2022-05-15
/// is the minimum for cross-tenant CMK, DESIGN.md §3; 2026-07-15 is specs/cosmosdb; 2026-03-15 is
/// azure-mgmt-cosmosdb 10.0's default).
const COSMOS_DB: &[&str] = &[
    "2026-07-15",
    "2026-03-15",
    "2025-10-15",
    "2025-04-15",
    "2024-11-15",
    "2024-08-15",
    "2024-05-15",
    "2023-11-15",
    "2023-09-15",
    "2023-04-15",
    "2023-03-15",
    "2022-11-15",
    "2022-08-15",
    "2022-05-15",
    "2021-10-15",
    "2021-06-15",
    "2021-05-15",
    "2021-04-15",
    "2021-03-15",
    "2021-01-15",
    "2020-09-01",
    "2020-04-01",
    "2020-03-01",
    "2019-12-12",
    "2019-08-01",
    "2016-03-31",
    "2016-03-19",
    "2015-11-06",
    "2015-04-08",
    "2014-04-01",
];

/// ARM's cloud metadata (`GET /metadata/endpoints`): 2022-09-01 is what `az cloud register`
/// sends (azure-cli `_populate_from_metadata_endpoint`), 2019-05-01 the list form.
const METADATA: &[&str] = &["2022-09-01", "2020-06-01", "2019-05-01"];

/// Every resource type the simulator serves; one line each.
pub const TABLE: &[Entry] = &[
    entry(
        "Microsoft.Resources",
        "subscriptions",
        RESOURCES,
        Refusal::ArmNative,
    ),
    entry(
        "Microsoft.Resources",
        "resourceGroups",
        RESOURCES,
        Refusal::ArmNative,
    ),
    entry(
        "Microsoft.Resources",
        "deployments",
        RESOURCES,
        Refusal::ArmNative,
    ),
    entry(
        "Microsoft.Resources",
        "tenants",
        RESOURCES,
        Refusal::ArmNative,
    ),
    entry(
        "Microsoft.Resources",
        "metadata",
        METADATA,
        Refusal::ArmNative,
    ),
    entry(
        "Microsoft.Authorization",
        "roleAssignments",
        ROLE_ASSIGNMENTS,
        Refusal::Authorization,
    ),
    entry(
        "Microsoft.Authorization",
        "roleDefinitions",
        ROLE_DEFINITIONS,
        Refusal::Authorization,
    ),
    entry(
        "Microsoft.Authorization",
        "permissions",
        ROLE_DEFINITIONS,
        Refusal::Authorization,
    ),
    entry(
        "Microsoft.ManagedIdentity",
        "userAssignedIdentities",
        MANAGED_IDENTITY,
        Refusal::Provider,
    ),
    entry("Microsoft.KeyVault", "vaults", KEY_VAULT, Refusal::Provider),
    entry(
        "Microsoft.KeyVault",
        "vaults/keys",
        KEY_VAULT_KEYS,
        Refusal::Provider,
    ),
    entry(
        "Microsoft.KeyVault",
        "checkNameAvailability",
        KEY_VAULT,
        Refusal::Provider,
    ),
    entry(
        "Microsoft.KeyVault",
        "locations",
        KEY_VAULT,
        Refusal::Provider,
    ),
    entry(
        "Microsoft.DocumentDB",
        "databaseAccounts",
        COSMOS_DB,
        Refusal::Provider,
    ),
    entry(
        "Microsoft.DocumentDB",
        "locations",
        COSMOS_DB,
        Refusal::Provider,
    ),
    // The global name check (`HEAD /providers/Microsoft.DocumentDB/databaseAccountNames/{name}`,
    // `DatabaseAccounts_CheckNameExists` in every cosmos-db.json version, specs/cosmosdb).
    entry(
        "Microsoft.DocumentDB",
        "databaseAccountNames",
        COSMOS_DB,
        Refusal::Provider,
    ),
];

const fn entry(
    namespace: &'static str,
    kind: &'static str,
    versions: &'static [&'static str],
    refusal: Refusal,
) -> Entry {
    Entry {
        namespace,
        kind,
        versions,
        refusal,
    }
}

/// The regions the simulator names when a provider refuses a request (ARM prints the type's
/// locations; these are public Azure regions).
pub const LOCATIONS: &[&str] = &[
    "australiaeast",
    "brazilsouth",
    "canadacentral",
    "centralindia",
    "centralus",
    "eastasia",
    "eastus",
    "eastus2",
    "francecentral",
    "germanywestcentral",
    "japaneast",
    "koreacentral",
    "northcentralus",
    "northeurope",
    "norwayeast",
    "southafricanorth",
    "southcentralus",
    "southeastasia",
    "swedencentral",
    "switzerlandnorth",
    "uaenorth",
    "uksouth",
    "westcentralus",
    "westeurope",
    "westus",
    "westus2",
    "westus3",
];

/// The resource type an ARM path addresses: its namespace and its type path (`vaults`,
/// `locations/deletedVaults`, `vaults/accessPolicies`). `None` for a path no type names.
pub fn resource_type(path: &str) -> Option<(String, String)> {
    let segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    if let Some(i) = lower.iter().rposition(|s| s == "providers")
        && let Some(namespace) = segments.get(i + 1)
        && segments.len() > i + 2
    {
        let kind: Vec<&str> = segments[i + 2..].iter().step_by(2).copied().collect();
        return Some((namespace.to_string(), kind.join("/")));
    }
    let native = |k: &str| Some(("Microsoft.Resources".to_string(), k.to_string()));
    match lower
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["subscriptions"] | ["subscriptions", _] => native("subscriptions"),
        ["subscriptions", _, "resourcegroups"] | ["subscriptions", _, "resourcegroups", _] => {
            native("resourceGroups")
        }
        ["tenants"] => native("tenants"),
        ["metadata", "endpoints"] => native("metadata"),
        _ => None,
    }
}

/// The table's line for a namespace and type path: its own line if it has one (`vaults/keys`),
/// else its top-level type's.
pub fn lookup(namespace: &str, kind: &str) -> Option<&'static Entry> {
    let top = kind.split('/').next().unwrap_or_default();
    let find = |k: &str| {
        TABLE
            .iter()
            .find(|e| e.namespace.eq_ignore_ascii_case(namespace) && e.kind.eq_ignore_ascii_case(k))
    };
    find(kind).or_else(|| find(top))
}

/// Whether `version` is one the entry accepts (ARM compares api-versions case-insensitively).
pub fn accepts(entry: &Entry, version: &str) -> bool {
    entry
        .versions
        .iter()
        .any(|v| v.eq_ignore_ascii_case(version))
}

/// The refusal of `version` for the resource type of `path`, or `None` when it is accepted (or
/// the path names no type this table holds; such paths get the simulator's 404).
/// `location` is the region the request is routed to (the resource group's, or `global`).
pub fn check(path: &str, version: &str, location: &str) -> Option<Reply> {
    let (namespace, kind) = resource_type(path)?;
    refusal(&namespace, &kind, version, location)
}

/// The refusal of `version` for a namespace and type path, or `None` when the table accepts it
/// or holds no line for the type.
pub fn refusal(namespace: &str, kind: &str, version: &str, location: &str) -> Option<Reply> {
    let entry = lookup(namespace, kind)?;
    if accepts(entry, version) {
        return None;
    }
    let mut ascending: Vec<&str> = entry.versions.to_vec();
    ascending.sort_unstable();
    Some(match entry.refusal {
        Refusal::ArmNative => error(
            400,
            "InvalidApiVersionParameter",
            &format!(
                "The api-version '{version}' is invalid. The supported versions are '{}'.",
                entry.versions.join(",")
            ),
        ),
        Refusal::Authorization => error(
            400,
            "InvalidResourceType",
            &format!(
                "The resource type '{kind}' could not be found in the namespace '{}' for api version '{version}'. The supported api-versions are '{}'.",
                entry.namespace,
                ascending.join(",")
            ),
        ),
        Refusal::Provider => error(
            400,
            "NoRegisteredProviderFound",
            &format!(
                "No registered resource provider found for location '{location}' and API version '{version}' for type '{kind}'. The supported api-versions are '{}'. The supported locations are '{}'.",
                ascending.join(", "),
                LOCATIONS.join(", ")
            ),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_resource_type() {
        let rt = |p: &str| resource_type(p).map(|(n, k)| format!("{n}/{k}"));
        assert_eq!(
            rt("/subscriptions").as_deref(),
            Some("Microsoft.Resources/subscriptions")
        );
        assert_eq!(
            rt("/subscriptions/s/resourceGroups/rg").as_deref(),
            Some("Microsoft.Resources/resourceGroups")
        );
        assert_eq!(
            rt("/subscriptions/s/resourcegroups/rg/providers/Microsoft.KeyVault/vaults/kv")
                .as_deref(),
            Some("Microsoft.KeyVault/vaults")
        );
        assert_eq!(
            rt("/subscriptions/s/providers/Microsoft.KeyVault/locations/we/deletedVaults/kv")
                .as_deref(),
            Some("Microsoft.KeyVault/locations/deletedVaults")
        );
        assert_eq!(
            rt("/subscriptions/s/resourcegroups/rg/providers/Microsoft.KeyVault/vaults/kv/keys/k/providers/Microsoft.Authorization/roleAssignments/x").as_deref(),
            Some("Microsoft.Authorization/roleAssignments")
        );
        assert_eq!(
            rt("/metadata/endpoints").as_deref(),
            Some("Microsoft.Resources/metadata")
        );
        assert_eq!(rt("/nothing/here"), None);
    }

    #[test]
    fn unknown_versions_are_refused_in_the_owners_words() {
        let vault = "/subscriptions/s/resourcegroups/rg/providers/Microsoft.KeyVault/vaults/kv";
        assert!(check(vault, "2026-02-01", "westeurope").is_none());
        let body = |r: Reply| match r.body {
            crate::reply::Body::Json(v) => v,
            _ => panic!("json"),
        };
        let refused = body(check(vault, "1999-01-01", "westeurope").unwrap());
        assert_eq!(refused["error"]["code"], "NoRegisteredProviderFound");
        let msg = refused["error"]["message"].as_str().unwrap();
        assert!(msg.starts_with("No registered resource provider found for location 'westeurope' and API version '1999-01-01' for type 'vaults'. The supported api-versions are '2014-12-19-preview, 2015-06-01,"), "{msg}");
        let rg = body(check("/subscriptions/s/resourcegroups/rg", "2099-13-45", "").unwrap());
        assert_eq!(rg["error"]["code"], "InvalidApiVersionParameter");
        assert!(rg["error"]["message"].as_str().unwrap().starts_with("The api-version '2099-13-45' is invalid. The supported versions are '2026-09-01,2025-04-01,2024-11-01,"));
        let ra = body(
            check(
                "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/x",
                "2018-06-01",
                "",
            )
            .unwrap(),
        );
        assert_eq!(ra["error"]["code"], "InvalidResourceType");
        assert!(check("/subscriptions/s/resourcegroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/a", "2022-05-15", "westeurope").is_none());
        let names = "/providers/Microsoft.DocumentDB/databaseAccountNames/a";
        assert!(check(names, "2026-07-15", "global").is_none());
        let refused = body(check(names, "1999-01-01", "global").unwrap());
        assert_eq!(refused["error"]["code"], "NoRegisteredProviderFound");
        assert!(refused["error"]["message"].as_str().unwrap().starts_with("No registered resource provider found for location 'global' and API version '1999-01-01' for type 'databaseAccountNames'."));
    }
}
