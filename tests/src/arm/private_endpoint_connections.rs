//! A vault's private endpoint connections (`Microsoft.KeyVault/vaults/privateEndpointConnections`,
//! keyvault-mgmt `PrivateEndpointConnectionItem`): list, get, approve or reject (PUT), delete.
//!
//! A connection is made by the *requester* (here Atlas, [`request`]) when it creates a private
//! endpoint to the vault with manual approval; the vault's owner only answers it. Rules (Key Vault
//! REST "Private Endpoint Connections - Get/Put/Delete/List By Resource"; Azure Private Link
//! "Manage private endpoint connections"):
//! - a PUT cannot create a connection: it names an existing one, or 404;
//! - the owner sets `privateLinkServiceConnectionState.status` to `Approved` or `Rejected`
//!   (`PrivateEndpointServiceConnectionStatus`); a rejected connection cannot be approved again —
//!   the requester has to make a new one;
//! - reading needs `Microsoft.KeyVault/vaults/privateEndpointConnections/read`, answering needs
//!   `…/privateEndpointConnections/write` ("Approve or reject a connection to a Private Endpoint",
//!   Azure resource provider operations) on the vault;
//! - the vault's own `properties.privateEndpointConnections` lists the same items.
//!
//! The wording of the two refusals (rejected → approved, unknown status) is ours.

use super::{error, permissions};
use crate::contract::{Dialect, decode};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::{ArmResource, State};
use serde::Deserialize;
use serde_json::{Value, json};

pub const KIND: &str = "Microsoft.KeyVault/vaults/privateEndpointConnections";
const READ: &str = "Microsoft.KeyVault/vaults/privateEndpointConnections/read";
const WRITE: &str = "Microsoft.KeyVault/vaults/privateEndpointConnections/write";

pub fn routes() -> Vec<Route> {
    vec![
        Route::get(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/privateEndpointConnections",
            list,
        ),
        Route::get(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/privateEndpointConnections/{name}",
            get,
        ),
        Route::put(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/privateEndpointConnections/{name}",
            put,
        ),
        Route::delete(
            "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}/privateEndpointConnections/{name}",
            delete,
        ),
    ]
}

/// `PrivateLinkServiceConnectionState` as the owner sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConnectionState {
    status: Status,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    actions_required: Option<String>,
}

/// `PrivateEndpointServiceConnectionStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum Status {
    Pending,
    Approved,
    Rejected,
    Disconnected,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConnectionProperties {
    #[serde(default)]
    private_endpoint: Option<Value>,
    private_link_service_connection_state: ConnectionState,
    #[serde(default)]
    provisioning_state: Option<String>,
}

/// `PrivateEndpointConnectionItem` (the PUT body).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConnectionBody {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    etag: Option<String>,
    properties: ConnectionProperties,
}

fn vault_id(call: &Call) -> String {
    crate::state::resource_id(
        &call
            .param("sub")
            .parse()
            .unwrap_or_else(|_| xtcmk::SubscriptionId::from_uuid(uuid::Uuid::nil())),
        call.param("rg"),
        "Microsoft.KeyVault/vaults",
        call.param("vault"),
    )
}

/// The vault of the route, with the caller's right to `action` on it checked.
fn vault(call: &Call, action: &str) -> Result<ArmResource, Reply> {
    let id = vault_id(call);
    let found = call.state().resource(&id).cloned();
    let Some(v) = found else {
        return Err(error(
            404,
            "ResourceNotFound",
            &format!(
                "The Resource 'Microsoft.KeyVault/vaults/{}' under resource group '{}' was not found.",
                call.param("vault"),
                call.param("rg")
            ),
        ));
    };
    permissions::require(call, &v.id, action)?;
    Ok(v)
}

fn connections_of(state: &State, vault: &ArmResource) -> Vec<ArmResource> {
    let prefix = format!(
        "{}/privateendpointconnections/",
        vault.id.to_ascii_lowercase()
    );
    state
        .resources
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, r)| r.clone())
        .collect()
}

/// Copies the vault's connections into its own `properties.privateEndpointConnections`.
fn mirror(state: &mut State, vault_id: &str) {
    let Some(vault) = state.resource(vault_id).cloned() else {
        return;
    };
    let items: Vec<Value> = connections_of(state, &vault)
        .into_iter()
        .map(|c| {
            json!({
                "id": c.body["id"],
                "etag": c.body["etag"],
                "properties": c.body["properties"],
            })
        })
        .collect();
    if let Some(v) = state.resource_mut(vault_id) {
        v.body["properties"]["privateEndpointConnections"] = json!(items);
    }
}

fn etag() -> String {
    format!("\"{}\"", uuid::Uuid::new_v4().simple())
}

/// A requester asks for a connection to `vault` from its private endpoint `private_endpoint_id`,
/// with `message` as the request message: a `Pending` connection named `name`. Returns its id.
pub fn request(
    state: &mut State,
    vault_id: &str,
    name: &str,
    private_endpoint_id: &str,
    message: &str,
) -> Option<String> {
    let vault = state.resource(vault_id).cloned()?;
    let id = format!("{}/privateEndpointConnections/{name}", vault.id);
    state.put_resource(ArmResource {
        id: id.clone(),
        subscription: vault.subscription,
        resource_group: vault.resource_group.clone(),
        kind: KIND.into(),
        name: name.into(),
        body: json!({
            "id": id,
            "name": name,
            "type": KIND,
            "etag": etag(),
            "location": vault.body["location"],
            "properties": {
                "privateEndpoint": { "id": private_endpoint_id },
                "privateLinkServiceConnectionState": {
                    "status": "Pending",
                    "description": message,
                    "actionsRequired": "None",
                },
                "provisioningState": "Succeeded",
            },
        }),
    });
    mirror(state, &vault.id);
    Some(id)
}

/// The connection's `privateLinkServiceConnectionState.status`, `None` when it is gone.
pub fn status(state: &State, connection_id: &str) -> Option<String> {
    state
        .resource(connection_id)
        .and_then(|c| {
            c.body
                .pointer("/properties/privateLinkServiceConnectionState/status")
                .and_then(Value::as_str)
        })
        .map(str::to_string)
}

/// The requester deleted its private endpoint: the connection goes away.
pub fn remove(state: &mut State, connection_id: &str) {
    let Some(c) = state.resource(connection_id).cloned() else {
        return;
    };
    state.resources.remove(&connection_id.to_ascii_lowercase());
    let vault_id = crate::state::resource_id(
        &c.subscription,
        &c.resource_group,
        "Microsoft.KeyVault/vaults",
        c.id.split('/').nth(8).unwrap_or_default(),
    );
    mirror(state, &vault_id);
}

fn not_found(call: &Call) -> Reply {
    error(
        404,
        "PrivateEndpointConnectionNotFound",
        &format!(
            "Private endpoint connection '{}' associated with the Key Vault '{}' was not found.",
            call.param("name"),
            call.param("vault")
        ),
    )
}

fn connection(call: &Call, vault: &ArmResource) -> Option<ArmResource> {
    let id = format!(
        "{}/privateEndpointConnections/{}",
        vault.id,
        call.param("name")
    );
    call.state().resource(&id).cloned()
}

fn list(call: &Call) -> Reply {
    let vault = match vault(call, READ) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let items: Vec<Value> = connections_of(&call.state(), &vault)
        .into_iter()
        .map(|c| c.body)
        .collect();
    Reply::ok(json!({ "value": items }))
}

fn get(call: &Call) -> Reply {
    let vault = match vault(call, READ) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match connection(call, &vault) {
        Some(c) => Reply::ok(c.body),
        None => not_found(call),
    }
}

fn put(call: &Call) -> Reply {
    let body: ConnectionBody = match decode(call, Dialect::Arm) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let _ = (
        &body.id,
        &body.name,
        &body.kind,
        &body.etag,
        &body.properties.private_endpoint,
        &body.properties.provisioning_state,
    );
    let vault = match vault(call, WRITE) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(existing) = connection(call, &vault) else {
        return not_found(call);
    };
    let wanted = body.properties.private_link_service_connection_state;
    let current = existing
        .body
        .pointer("/properties/privateLinkServiceConnectionState/status")
        .and_then(Value::as_str)
        .unwrap_or("Pending")
        .to_string();
    let new_status = match wanted.status {
        Status::Approved | Status::Rejected => wanted.status,
        other => {
            return error(
                400,
                "BadRequest",
                &format!(
                    "The private endpoint connection status can be set to Approved or Rejected, not {other:?}."
                ),
            );
        }
    };
    if current == "Rejected" && new_status == Status::Approved {
        return error(
            400,
            "BadRequest",
            &format!(
                "The private endpoint connection '{}' was rejected and cannot be approved; the owner of the private endpoint must create a new connection.",
                call.param("name")
            ),
        );
    }
    let status = match new_status {
        Status::Approved => "Approved",
        _ => "Rejected",
    };
    let mut state = call.state();
    let Some(stored) = state.resource_mut(&existing.id) else {
        return not_found(call);
    };
    stored.body["etag"] = json!(etag());
    stored.body["properties"]["privateLinkServiceConnectionState"] = json!({
        "status": status,
        "description": wanted.description.unwrap_or_default(),
        "actionsRequired": wanted.actions_required.unwrap_or_else(|| "None".into()),
    });
    let answer = stored.body.clone();
    mirror(&mut state, &vault.id);
    Reply::ok(answer)
}

fn delete(call: &Call) -> Reply {
    let vault = match vault(call, WRITE) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(existing) = connection(call, &vault) else {
        return Reply::empty(204);
    };
    // The connection stays on the requester's endpoint as Disconnected; the vault forgets it.
    remove(&mut call.state(), &existing.id);
    Reply::empty(200)
}
