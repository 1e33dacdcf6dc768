//! Azure Cosmos DB accounts (`Microsoft.DocumentDB/databaseAccounts`) on the simulated ARM, with
//! customer-managed keys in another tenant: create (PUT, long-running), read, update (PATCH,
//! long-running), delete (long-running, 202 + Location), lists, the global name check, and the
//! chain from the account to its key that Azure runs on create and behind
//! `customerManagedKeyStatus`.
//!
//! Errors of the Cosmos DB resource provider are a top-level `{"code","message"}` whose message ends
//! in an `ActivityId` line (azure-rest-api-specs cosmos-db.json `ErrorResponse`; the bodies quoted in
//! MicrosoftDocs/azure-docs#70179 and hashicorp/terraform-provider-azurerm#8919); errors ARM itself
//! answers (identities, authorization, api-version) keep ARM's `{"error":{...}}`.

pub mod accounts;
pub mod chain;
pub mod models;
mod operations;
pub mod rules;
pub mod status;
pub mod template;

use crate::reply::Reply;
use crate::routes::{Call, Route};
use serde_json::json;

pub use status::KEY_STATUS;

pub const KIND: &str = "Microsoft.DocumentDB/databaseAccounts";

/// The stable api-versions of Microsoft.DocumentDB (azure-rest-api-specs
/// `specification/cosmos-db/resource-manager/Microsoft.DocumentDB/stable/*` and
/// `.../DocumentDB/stable/2026-07-15`), oldest first.
pub const API_VERSIONS: [&str; 29] = [
    "2014-04-01",
    "2015-04-08",
    "2015-11-06",
    "2016-03-19",
    "2016-03-31",
    "2019-08-01",
    "2019-12-12",
    "2020-03-01",
    "2020-04-01",
    "2020-09-01",
    "2021-01-15",
    "2021-03-15",
    "2021-04-15",
    "2021-05-15",
    "2021-06-15",
    "2021-10-15",
    "2022-05-15",
    "2022-08-15",
    "2022-11-15",
    "2023-03-15",
    "2023-04-15",
    "2023-09-15",
    "2023-11-15",
    "2024-05-15",
    "2024-08-15",
    "2024-11-15",
    "2025-04-15",
    "2025-10-15",
    "2026-07-15",
];

/// `keyVaultKeyUri` is writable from 2019-12-12 on (troubleshoot-cmk 1.4).
pub const KEY_URI_SINCE: &str = "2019-12-12";
/// The cross-tenant `&FederatedClientId=` form of `defaultIdentity` (how-to-setup-cross-tenant-customer-managed-keys).
pub const CROSS_TENANT_SINCE: &str = "2022-05-15";
/// `customerManagedKeyStatus` and the 2026-07-15 request shape (cosmos-db.json 2023-09-15).
pub const STATUS_SINCE: &str = "2023-09-15";

pub fn routes() -> Vec<Route> {
    let mut routes = accounts::routes();
    routes.extend(operations::routes());
    routes
}

/// An error of the Cosmos DB resource provider.
pub fn rp_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        json!({
            "code": code,
            "message": format!(
                "{message}\r\nActivityId: {}, Microsoft.Azure.Documents.Common/2.14.0",
                uuid::Uuid::new_v4()
            ),
        }),
    )
}

pub fn bad_request(message: &str) -> Reply {
    rp_error(400, "BadRequest", message)
}

/// ARM's `NoRegisteredProviderFound` for an api-version Microsoft.DocumentDB does not have (ARM
/// answers it before the provider sees the request).
pub fn supported(version: &str, location: &str) -> Result<(), Reply> {
    if API_VERSIONS.contains(&version) {
        return Ok(());
    }
    Err(crate::arm::error(
        400,
        "NoRegisteredProviderFound",
        &format!(
            "No registered resource provider found for location '{location}' and API version '{version}' for type 'databaseAccounts'. The supported api-versions are '{}'. The supported locations are '{location}'.",
            API_VERSIONS.join(", ")
        ),
    ))
}

/// The request's api-version, if Microsoft.DocumentDB has it.
pub fn api_version(call: &Call, location: &str) -> Result<String, Reply> {
    let version = call.query("api-version").unwrap_or_default();
    supported(version, location).map(|_| version.to_string())
}

/// `GET https://sim.localhost:PORT/cosmos`: each account's pinned key tenant, shown status and
/// last failed link, and every failed run of the chain.
pub fn admin_view(call: &Call) -> Reply {
    Reply::ok(json!(call.state().cosmos))
}
