//! The App Service–style managed-identity endpoint (`identity.localhost`), which
//! `azure_identity`'s managed-identity credential calls when `IDENTITY_ENDPOINT` and
//! `IDENTITY_HEADER` are set: `GET /msi/token?api-version=2019-08-01&resource=…[&client_id=…]`
//! with the `X-IDENTITY-HEADER` secret. A "compute" is registered with
//! [`crate::shared::Shared::register_compute`]; its identities are user-assigned managed
//! identities of the state. The answer's `expires_on` is a string of epoch seconds, as the
//! service sends it.

use crate::login::issue;
use crate::reply::Reply;
use crate::routes::{Call, Caller, Route, RouteTable};
use crate::service::Service;
use crate::service_def::ServiceDef;
use serde_json::json;
use xtcmk::AppId;

pub fn def() -> ServiceDef {
    ServiceDef {
        service: Service::Identity,
        routes: RouteTable::new(vec![Route::get("/msi/token", token)]),
        admit,
        error: |_, status, _code, message| error(status, message),
        not_found: |call| error(404, &format!("No route for {} {}.", call.method, call.path)),
        stamp: |_, _| {},
    }
}

fn error(status: u16, message: &str) -> Reply {
    Reply::json(status, json!({ "statusCode": status, "message": message }))
}

/// The secret header is checked in the handler; there is no bearer token.
fn admit(_: &Call) -> Result<Option<Caller>, Reply> {
    Ok(None)
}

fn token(call: &Call) -> Reply {
    let Some(identities) = call
        .header("x-identity-header")
        .and_then(|h| call.sim.compute(h))
    else {
        return error(
            401,
            "The X-IDENTITY-HEADER is missing or does not match this host's IDENTITY_HEADER.",
        );
    };
    let Some(resource) = call.query("resource").filter(|r| !r.is_empty()) else {
        return error(400, "Required query parameter 'resource' is missing.");
    };
    if !issue::known_resource(&call.sim, resource) {
        return error(
            400,
            &format!("AADSTS500011: The resource principal named {resource} was not found."),
        );
    }
    let wanted: Option<AppId> = match call.query("client_id") {
        Some(id) => match id.parse() {
            Ok(id) => Some(id),
            Err(_) => return error(400, &format!("Invalid client_id '{id}'.")),
        },
        None => None,
    };
    let chosen = match wanted {
        Some(id) => identities.iter().find(|i| **i == id).copied(),
        None if identities.len() == 1 => identities.first().copied(),
        None => None,
    };
    let Some(client_id) = chosen else {
        return error(
            400,
            "No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.",
        );
    };
    let state = call.state();
    let Some((tenant, sp)) = state.managed_identity(&client_id) else {
        return error(
            400,
            &format!("The managed identity {client_id} assigned to this host no longer exists."),
        );
    };
    let issued = issue::app_token(&call.sim, tenant, sp, resource);
    Reply::ok(json!({
        "access_token": issued.token,
        "expires_on": issued.expires_on.to_string(),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": client_id.to_string(),
    }))
}
