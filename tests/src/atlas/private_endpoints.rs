//! Encryption-at-rest private endpoints (`/api/atlas/v2/groups/{groupId}/encryptionAtRest/
//! {cloudProvider}/privateEndpoints[/{endpointId}]`, Project Owner; `EARPrivateEndpoint` of
//! specs/mongodb-atlas). Azure only.
//!
//! Rules (Atlas's "Manage Customer Keys with Azure Key Vault Over Private Endpoints" page and the
//! operations' responses):
//! - a POST per region answers 202 with the endpoint `INITIATING`; it needs encryption at rest on
//!   with `requirePrivateNetworking` (`ENCRYPTION_AT_REST_NOT_ENABLED`, `VALIDATION_ERROR`), a
//!   region of Atlas's Azure list (`INVALID_REGION`) and no other endpoint in that region;
//! - Atlas then requests a private endpoint connection on the configured vault (ARM
//!   `…/vaults/{v}/privateEndpointConnections`, see [`crate::arm::private_endpoint_connections`])
//!   and waits in `PENDING_ACCEPTANCE` until the vault's owner approves it: `ACTIVE`; a vault that
//!   does not exist where the settings say makes it `FAILED` with an `errorMessage`;
//! - a connection rejected or deleted on the vault turns the endpoint `PENDING_RECREATION`, after
//!   which Atlas starts over with a new connection (`INITIATING`);
//! - a DELETE answers 204 and only requests the deletion: `DELETING`, then gone.
//!
//! State moves one step on each read of the endpoint (zero-delay: no clock involved). The names of
//! Atlas's Azure private endpoints, its subscription and its request message are the simulator's
//! (Atlas does not publish them); the customer sees the message on the connection.

use super::groups::project_for;
use super::{error, require_role};
use crate::arm::private_endpoint_connections as connections;
use crate::contract::{Dialect, decode};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::State;
use crate::state::atlas::{AtlasProject, EarPrivateEndpoint};
use serde::Deserialize;
use serde_json::{Value, json};

/// The Azure subscription Atlas's private endpoints live in (a simulator constant).
pub const ATLAS_AZURE_SUBSCRIPTION: &str = "30000000-0000-4000-8000-0000000000a9";

/// The request message Atlas's connections carry: names the Atlas project they serve.
pub fn request_message(group_id: &str) -> String {
    format!("MongoDB Atlas encryption at rest for project {group_id}")
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::get(
            "/api/atlas/v2/groups/{group}/encryptionAtRest/{provider}/privateEndpoints",
            list,
        ),
        Route::post(
            "/api/atlas/v2/groups/{group}/encryptionAtRest/{provider}/privateEndpoints",
            create,
        ),
        Route::get(
            "/api/atlas/v2/groups/{group}/encryptionAtRest/{provider}/privateEndpoints/{endpoint}",
            get_one,
        ),
        Route::delete(
            "/api/atlas/v2/groups/{group}/encryptionAtRest/{provider}/privateEndpoints/{endpoint}",
            delete,
        ),
    ]
}

/// `AzureKeyVaultEARPrivateEndpoint`: only `regionName` is writable; the read-only members are
/// accepted and ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EarPrivateEndpointBody {
    #[serde(default)]
    pub region_name: Option<String>,
    #[serde(default)]
    pub cloud_provider: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub private_endpoint_connection_name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// The project and the route's cloud provider, with Project Owner checked.
fn scope(call: &Call) -> Result<AtlasProject, Reply> {
    let project = project_for(call)?;
    require_role(call, &project.id, &[])?;
    match call.param("provider") {
        "AZURE" => Ok(project),
        "AWS" => Err(error(
            400,
            "INVALID_PROVIDER",
            "No provider AWS exists. (xtcmk-sim plays Azure Key Vault private endpoints only.)",
        )),
        other => Err(error(
            400,
            "INVALID_ENUM_VALUE",
            &format!("An invalid enumeration value {other} was specified."),
        )),
    }
}

fn view(e: &EarPrivateEndpoint) -> Value {
    let mut v = json!({
        "cloudProvider": "AZURE",
        "id": e.id,
        "regionName": e.region_name,
        "status": e.status,
    });
    if let Some(m) = &e.error_message {
        v["errorMessage"] = json!(m);
    }
    if let Some(n) = &e.connection_name {
        v["privateEndpointConnectionName"] = json!(n);
    }
    v
}

/// The vault the project's settings name (its ARM id), if encryption at rest is configured.
fn configured_vault(project: &AtlasProject) -> Option<(String, String, String)> {
    let akv = &project.encryption_at_rest["azureKeyVault"];
    Some((
        akv["subscriptionID"].as_str()?.to_string(),
        akv["resourceGroupName"].as_str()?.to_string(),
        akv["keyVaultName"].as_str()?.to_string(),
    ))
}

/// Moves every endpoint of the project one step, as time passes between two reads.
pub fn advance(state: &mut State, project_id: &str) {
    let Some(project) = state.atlas.project(project_id).cloned() else {
        return;
    };
    let mut kept = Vec::new();
    for mut e in project.private_endpoints.clone() {
        let connection = e
            .connection_id
            .as_deref()
            .and_then(|c| connections::status(state, c));
        match e.status.as_str() {
            "INITIATING" => match configured_vault(&project) {
                Some((sub, rg, vault)) => {
                    let vault_id = sub
                        .parse()
                        .map(|s| {
                            crate::state::resource_id(&s, &rg, "Microsoft.KeyVault/vaults", &vault)
                        })
                        .unwrap_or_default();
                    // Atlas's endpoint names carry the project, so the vault's owner can tell whose it is.
                    let pe_name = format!("atlas-{project_id}-{}", e.id);
                    let name = format!("{pe_name}.{}", uuid::Uuid::new_v4());
                    let pe_id = format!(
                        "/subscriptions/{ATLAS_AZURE_SUBSCRIPTION}/resourceGroups/atlas-ear-{project_id}/providers/Microsoft.Network/privateEndpoints/{pe_name}"
                    );
                    match connections::request(
                        state,
                        &vault_id,
                        &name,
                        &pe_id,
                        &request_message(project_id),
                    ) {
                        Some(id) => {
                            e.connection_name = Some(name);
                            e.connection_id = Some(id);
                            e.status = "PENDING_ACCEPTANCE".into();
                        }
                        None => {
                            e.status = "FAILED".into();
                            e.error_message = Some(format!(
                                "Azure Key Vault {vault} was not found in resource group {rg} of subscription {sub}."
                            ));
                        }
                    }
                }
                None => {
                    e.status = "FAILED".into();
                    e.error_message =
                        Some("Encryption at rest with Azure Key Vault is not configured.".into());
                }
            },
            "PENDING_ACCEPTANCE" | "ACTIVE" => match connection.as_deref() {
                Some("Approved") => e.status = "ACTIVE".into(),
                Some("Pending") => {}
                _ => e.status = "PENDING_RECREATION".into(),
            },
            "PENDING_RECREATION" => {
                if let Some(c) = e.connection_id.take() {
                    connections::remove(state, &c);
                }
                e.connection_name = None;
                e.status = "INITIATING".into();
            }
            "DELETING" => {
                if let Some(c) = e.connection_id.take() {
                    connections::remove(state, &c);
                }
                continue;
            }
            _ => {}
        }
        kept.push(e);
    }
    if let Some(p) = state.atlas.project_mut(project_id) {
        p.private_endpoints = kept;
    }
}

fn list(call: &Call) -> Reply {
    let project = match scope(call) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut state = call.state();
    advance(&mut state, &project.id);
    let results: Vec<Value> = state
        .atlas
        .project(&project.id)
        .map(|p| p.private_endpoints.iter().map(view).collect())
        .unwrap_or_default();
    Reply::ok(json!({
        "links": [{ "href": format!("{}{}", call.origin(), call.path), "rel": "self" }],
        "results": results,
        "totalCount": results.len(),
    }))
}

fn not_found(call: &Call) -> Reply {
    error(
        404,
        "RESOURCE_NOT_FOUND",
        &format!("Cannot find resource {}.", call.param("endpoint")),
    )
}

fn get_one(call: &Call) -> Reply {
    let project = match scope(call) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut state = call.state();
    advance(&mut state, &project.id);
    match state.atlas.project(&project.id).and_then(|p| {
        p.private_endpoints
            .iter()
            .find(|e| e.id == call.param("endpoint"))
    }) {
        Some(e) => Reply::ok(view(e)),
        None => not_found(call),
    }
}

fn create(call: &Call) -> Reply {
    let project = match scope(call) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let body: EarPrivateEndpointBody = match decode(call, Dialect::Atlas) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let _ = (
        &body.cloud_provider,
        &body.error_message,
        &body.id,
        &body.private_endpoint_connection_name,
        &body.status,
    );
    let Some(region) = body.region_name else {
        return error(
            400,
            "MISSING_ATTRIBUTE",
            "The required attribute regionName was not specified.",
        );
    };
    if !xtcmk::atlas::atlas_region_names().any(|r| r == region) {
        return error(
            400,
            "INVALID_REGION",
            &format!("No region {region} exists for provider AZURE."),
        );
    }
    let akv = &project.encryption_at_rest["azureKeyVault"];
    if akv["enabled"] != json!(true) {
        return error(
            400,
            "ENCRYPTION_AT_REST_NOT_ENABLED",
            &format!(
                "Encryption at Rest is not enabled for group {}.",
                project.id
            ),
        );
    }
    if akv["requirePrivateNetworking"] != json!(true) {
        return error(
            400,
            "VALIDATION_ERROR",
            "The request content produced the validation error: set azureKeyVault.requirePrivateNetworking to true before creating private endpoints.",
        );
    }
    if project
        .private_endpoints
        .iter()
        .any(|e| e.region_name == region && e.status != "DELETING")
    {
        return error(
            400,
            "VALIDATION_ERROR",
            &format!(
                "The request content produced the validation error: a private endpoint in region {region} already exists."
            ),
        );
    }
    let mut state = call.state();
    let id = state.atlas.next_id("private-endpoint");
    let endpoint = EarPrivateEndpoint {
        id,
        region_name: region,
        status: "INITIATING".into(),
        error_message: None,
        connection_name: None,
        connection_id: None,
    };
    let answer = view(&endpoint);
    if let Some(p) = state.atlas.project_mut(&project.id) {
        p.private_endpoints.push(endpoint);
    }
    Reply::json(202, answer)
}

fn delete(call: &Call) -> Reply {
    let project = match scope(call) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut state = call.state();
    let Some(p) = state.atlas.project_mut(&project.id) else {
        return not_found(call);
    };
    let Some(e) = p
        .private_endpoints
        .iter_mut()
        .find(|e| e.id == call.param("endpoint"))
    else {
        return not_found(call);
    };
    e.status = "DELETING".into();
    Reply::empty(204)
}
