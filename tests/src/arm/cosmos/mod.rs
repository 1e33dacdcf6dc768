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
/// answers it before the provider sees the request; the versions are [`crate::arm::api_versions`]'s).
pub fn supported(version: &str, location: &str) -> Result<(), Reply> {
    match crate::arm::api_versions::refusal(
        "Microsoft.DocumentDB",
        "databaseAccounts",
        version,
        location,
    ) {
        Some(refused) => Err(refused),
        None => Ok(()),
    }
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
