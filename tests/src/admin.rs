//! The simulator's own control endpoint (`sim.localhost`), never faulted and never logged:
//! - `GET /log` (entries), `DELETE /log`; `GET /counters` (per route, reads vs writes);
//! - `GET|POST|DELETE /faults`, `DELETE /faults/{id}` (a [`FaultRule`] as JSON);
//! - `GET|POST|DELETE /replication` (a [`ReplicationRule`] as JSON);
//! - `GET /state` (the whole state; it holds hashes, never a secret); `GET /cosmos` (Cosmos DB
//!   accounts' key status and which link of the chain to their key failed);
//! - `POST /compute` `{"identities":[client ids]}` → the `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`
//!   of a host with those managed identities;
//! - the `az` shim's back end: `POST /az/login` (form `user=<upn>`) → a refresh token;
//!   `POST /az/account/get-access-token` and `POST /az/account/show` (form `refresh_token` plus the
//!   az options `scope`/`resource`/`tenant`/`subscription`) → exactly the JSON the Azure CLI
//!   prints, or, with status 400 and a text body, what it prints on stderr.

use crate::faults::FaultRule;
use crate::login::issue;
use crate::replication::ReplicationRule;
use crate::reply::Reply;
use crate::routes::{Call, Caller, Route, RouteTable};
use crate::service::{IDENTITY_HOST, Service};
use crate::service_def::ServiceDef;
use crate::shared::Shared;
use crate::state::{State, Tenant, User};
use crate::tokens::REFRESH_AUDIENCE;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use xtcmk::{AppId, TenantId};

pub fn def() -> ServiceDef {
    ServiceDef {
        service: Service::Admin,
        routes: RouteTable::new(routes()),
        admit,
        error: |_, status, code, message| error(status, code, message),
        not_found: |call| {
            error(
                404,
                "NotFound",
                &format!("xtcmk-sim has no admin route {} {}", call.method, call.path),
            )
        },
        stamp: |_, _| {},
    }
}

/// `GET /`: every admin route, so a person at the endpoint can find them.
fn index(_call: &Call) -> Reply {
    let routes: Vec<serde_json::Value> = routes()
        .iter()
        .map(|r| json!({ "method": r.method.as_str(), "path": r.pattern }))
        .collect();
    Reply::ok(json!({ "service": "xtcmk-sim admin", "routes": routes }))
}

fn routes() -> Vec<Route> {
    vec![
        Route::get("/", index),
        Route::get("/log", |call| {
            Reply::ok(json!({ "entries": call.sim.log.entries() }))
        }),
        Route::delete("/log", |call| {
            call.sim.log.reset();
            Reply::empty(204)
        }),
        Route::get("/counters", |call| {
            Reply::ok(json!(call.sim.log.counters()))
        }),
        Route::get("/faults", |call| Reply::ok(json!(call.sim.faults.list()))),
        Route::post("/faults", add_fault),
        Route::delete("/faults", |call| {
            call.sim.faults.clear();
            Reply::empty(204)
        }),
        Route::delete("/faults/{id}", remove_fault),
        Route::get("/replication", |call| {
            Reply::ok(json!(call.sim.replication.rules()))
        }),
        Route::post("/replication", add_replication),
        Route::delete("/replication", |call| {
            call.sim.replication.clear();
            Reply::empty(204)
        }),
        Route::get("/throttle", |call| {
            Reply::ok(json!(call.sim.throttle.options()))
        }),
        Route::put("/throttle", set_throttle),
        Route::get("/state", |call| Reply::ok(json!(*call.state()))),
        Route::get("/cosmos", crate::arm::cosmos::admin_view),
        Route::post("/compute", register_compute),
        Route::post_read("/az/login", az_login),
        Route::post_read("/az/account/get-access-token", az_get_access_token),
        Route::post_read("/az/account/show", az_account_show),
    ]
}

fn admit(_: &Call) -> Result<Option<Caller>, Reply> {
    Ok(None)
}

fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        json!({ "error": { "code": code, "message": message } }),
    )
}

fn json_body<T: serde::de::DeserializeOwned>(call: &Call) -> Result<T, Reply> {
    serde_json::from_slice(&call.body)
        .map_err(|e| error(400, "InvalidBody", &format!("the body does not fit: {e}")))
}

fn add_fault(call: &Call) -> Reply {
    match json_body::<FaultRule>(call) {
        Ok(rule) => Reply::json(201, json!({ "id": call.sim.faults.add(rule) })),
        Err(reply) => reply,
    }
}

fn remove_fault(call: &Call) -> Reply {
    match call.param("id").parse::<u64>() {
        Ok(id) if call.sim.faults.remove(id) => Reply::empty(204),
        _ => error(
            404,
            "NotFound",
            &format!("no fault rule {}", call.param("id")),
        ),
    }
}

/// `PUT /throttle`: new limits (`{"arm":{"reads":{"capacity":5,"refillPerSecond":1},...},
/// "graph":null}`; `{}` turns throttling off); every bucket starts full.
fn set_throttle(call: &Call) -> Reply {
    match json_body::<crate::throttle::ThrottleOptions>(call) {
        Ok(options) => {
            call.sim.throttle.set(options);
            Reply::ok(json!(options))
        }
        Err(reply) => reply,
    }
}

fn add_replication(call: &Call) -> Reply {
    match json_body::<ReplicationRule>(call) {
        Ok(rule) => {
            call.sim.replication.add(rule);
            Reply::empty(204)
        }
        Err(reply) => reply,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Compute {
    identities: Vec<AppId>,
}

fn register_compute(call: &Call) -> Reply {
    match json_body::<Compute>(call) {
        Ok(c) => {
            let header = call.sim.register_compute(c.identities);
            Reply::ok(json!({
                "identityEndpoint": identity_endpoint(&call.sim),
                "identityHeader": header,
            }))
        }
        Err(reply) => reply,
    }
}

/// `https://identity.localhost:PORT/msi/token`.
pub fn identity_endpoint(shared: &Shared) -> String {
    format!("https://{IDENTITY_HOST}:{}/msi/token", shared.port)
}

/// The form's members; empty values count as absent (the shim sends every option).
fn form(call: &Call) -> HashMap<String, String> {
    url::form_urlencoded::parse(&call.body)
        .into_owned()
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// What the Azure CLI prints on stderr, answered as status 400 text.
fn az_error(message: &str) -> Reply {
    Reply::text(400, format!("ERROR: {message}\n"))
}

/// A refresh token for `upn`, as `az login` leaves behind, and the user's home tenant (`None`
/// if there is no such user).
pub fn login(shared: &Shared, upn: &str) -> Option<(String, TenantId)> {
    let state = shared.state();
    let (tenant, user) = state.user_by_upn(upn)?;
    Some((issue::refresh_token(shared, tenant, user), tenant.id))
}

fn az_login(call: &Call) -> Reply {
    let form = form(call);
    let Some(upn) = form.get("user") else {
        return az_error("the argument --user is required");
    };
    match login(&call.sim, upn) {
        Some((token, tenant)) => {
            Reply::ok(json!({ "refreshToken": token, "tenantId": tenant.to_string() }))
        }
        None => az_error(&format!(
            "AADSTS50034: The user account {upn} does not exist in any tenant of the simulator."
        )),
    }
}

const RELOGIN: &str = "Run the command below to authenticate interactively; additional arguments may be added as needed:\naz logout\naz login";

/// The signed-in user behind a shim request: (home tenant id, user object id, upn).
fn signed_in(
    call: &Call,
    form: &HashMap<String, String>,
) -> Result<(String, String, String), Reply> {
    let Some(token) = form.get("refresh_token").filter(|t| !t.trim().is_empty()) else {
        return Err(az_error("Please run 'az login' to setup account."));
    };
    match call.sim.signer.verify(token.trim()) {
        Ok(claims) if claims.aud == REFRESH_AUDIENCE => Ok((
            claims.tid.unwrap_or_default(),
            claims.oid.unwrap_or_default(),
            claims.upn.unwrap_or_default(),
        )),
        _ => Err(az_error(&format!(
            "AADSTS700082: The refresh token has expired due to inactivity (or was issued by an earlier run of the simulator).\n{RELOGIN}"
        ))),
    }
}

/// The tenant of the request: `--tenant`, else the tenant of `--subscription`, else home.
fn pick_tenant<'s>(
    state: &'s State,
    form: &HashMap<String, String>,
    home: &str,
) -> Result<&'s Tenant, Reply> {
    if let Some(t) = form.get("tenant").filter(|t| !t.is_empty()) {
        return state.tenant_by_ref(t).ok_or_else(|| {
            az_error(&format!(
                "AADSTS90002: Tenant '{t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.\n{RELOGIN} --tenant \"{t}\""
            ))
        });
    }
    if let Some(s) = form.get("subscription").filter(|s| !s.is_empty()) {
        return state.subscription(s).map(|(t, _)| t).ok_or_else(|| {
            az_error(&format!(
                "Subscription '{s}' not found. Check the spelling and casing and try again."
            ))
        });
    }
    state.tenant_by_ref(home).ok_or_else(|| {
        az_error(&format!(
            "Please run 'az login' to setup account. ({RELOGIN})"
        ))
    })
}

fn member<'t>(
    tenant: &'t Tenant,
    oid: &str,
    upn: &str,
    shared: &Shared,
    home: &str,
) -> Result<&'t User, Reply> {
    tenant
        .users
        .iter()
        .find(|u| u.id.to_string() == oid)
        .ok_or_else(|| {
            az_error(&format!(
                "AADSTS50020: User account '{upn}' from identity provider '{}{home}/v2.0' does not exist in tenant '{}' and cannot access the application '{}'(Microsoft Azure CLI) in that tenant. The account needs to be added as an external user in the tenant first.\n{RELOGIN} --tenant \"{}\"",
                shared.login_url(),
                tenant.display_name,
                crate::roles::AZURE_CLI_APP_ID,
                tenant.id
            ))
        })
}

/// `az account get-access-token --scope S | --resource R [--tenant T] [--subscription S]`.
fn az_get_access_token(call: &Call) -> Reply {
    let form = form(call);
    let (home, oid, upn) = match signed_in(call, &form) {
        Ok(who) => who,
        Err(reply) => return reply,
    };
    let resource = match (form.get("scope"), form.get("resource")) {
        (Some(scope), _) => match issue::resource_of_scope(scope) {
            Some(r) => r.to_string(),
            None => {
                return az_error(&format!(
                    "AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
                ));
            }
        },
        (None, Some(resource)) => resource.clone(),
        (None, None) => call.sim.cloud.resource_manager_audience.clone(),
    };
    let state = call.state();
    let tenant = match pick_tenant(&state, &form, &home) {
        Ok(t) => t,
        Err(reply) => return reply,
    };
    if !issue::known_resource(&call.sim, &resource) {
        return az_error(&format!(
            "AADSTS500011: The resource principal named {resource} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
            tenant.display_name
        ));
    }
    let user = match member(tenant, &oid, &upn, &call.sim, &home) {
        Ok(u) => u,
        Err(reply) => return reply,
    };
    let issued = issue::user_token(
        &call.sim,
        tenant,
        user,
        &resource,
        crate::roles::AZURE_CLI_APP_ID,
    );
    let subscription = form
        .get("subscription")
        .cloned()
        .or_else(|| tenant.subscriptions.first().map(|s| s.id.to_string()));
    let mut body = json!({
        "accessToken": issued.token,
        "expiresOn": cli_time(issued.expires_on),
        "expires_on": issued.expires_on,
        "tenant": tenant.id.to_string(),
        "tokenType": "Bearer",
    });
    if let Some(s) = subscription {
        body["subscription"] = json!(s);
    }
    Reply::ok(body)
}

/// `az account show [--subscription S]`.
fn az_account_show(call: &Call) -> Reply {
    let form = form(call);
    let (home, oid, upn) = match signed_in(call, &form) {
        Ok(who) => who,
        Err(reply) => return reply,
    };
    let state = call.state();
    let tenant = match pick_tenant(&state, &form, &home) {
        Ok(t) => t,
        Err(reply) => return reply,
    };
    if let Err(reply) = member(tenant, &oid, &upn, &call.sim, &home) {
        return reply;
    }
    let wanted = form.get("subscription");
    let subscription = tenant.subscriptions.iter().find(|s| {
        wanted.is_none_or(|w| s.id.to_string().eq_ignore_ascii_case(w) || s.display_name == *w)
    });
    let (id, name) = match subscription {
        Some(s) => (s.id.to_string(), s.display_name.clone()),
        None => (
            tenant.id.to_string(),
            "N/A(tenant level account)".to_string(),
        ),
    };
    Reply::ok(json!({
        "environmentName": call.sim.cloud.name,
        "homeTenantId": home,
        "id": id,
        "isDefault": true,
        "managedByTenants": [],
        "name": name,
        "state": "Enabled",
        "tenantDefaultDomain": tenant.verified_domains.first().cloned().unwrap_or_default(),
        "tenantDisplayName": tenant.display_name,
        "tenantId": tenant.id.to_string(),
        "user": { "name": upn, "type": "user" },
    }))
}

/// The Azure CLI's `expiresOn`: local time `YYYY-MM-DD HH:MM:SS.ffffff` (the simulator uses UTC).
fn cli_time(ts: i64) -> Value {
    let t =
        time::OffsetDateTime::from_unix_timestamp(ts).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    json!(format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.000000",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}
