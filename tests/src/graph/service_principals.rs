//! Service principals: `GET`/`PATCH /servicePrincipals(appId='{appId}')` (the PATCH upserts with
//! `Prefer: create-if-missing`) and `POST /servicePrincipals`.
//!
//! Graph's rules kept here (graph serviceprincipal-post-serviceprincipals, -upsert, -get):
//! - the app must exist; another tenant's app must be multi-tenant;
//! - installing another tenant's app needs Global, Application or Cloud Application
//!   Administrator (403 `Authorization_RequestDenied`);
//! - POST for an app already installed → 409 `Request_MultipleObjectsWithSameKeyValue`;
//! - PATCH without `Prefer: create-if-missing` of a missing object → 404; with it → 201 and the
//!   object, or 204 when it existed (an update);
//! - a new service principal is invisible to Graph reads and to ARM's role assignments for a
//!   while (replication kinds [`SERVICE_PRINCIPAL`] and `principal`).

use super::{applications, error};
use crate::arm::role_assignments::PRINCIPAL;
use crate::contract::{Dialect, decode};
use crate::reply::Reply;
use crate::roles;
use crate::routes::{Call, Route};
use crate::state::{PrincipalType, ServicePrincipal, State};
use serde::Deserialize;
use serde_json::{Value, json};
use xtcmk::{AppId, ObjectId, TenantId};

/// Replication kind of a new service principal as Graph reads see it (key: its object id).
pub const SERVICE_PRINCIPAL: &str = "servicePrincipal";
const ENTITY: &str = "microsoft.graph.servicePrincipal";

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/v1.0/servicePrincipals(appId='{app_id}')", get),
        Route::patch("/v1.0/servicePrincipals(appId='{app_id}')", upsert),
        Route::post("/v1.0/servicePrincipals", create),
    ]
}

/// The members of a `servicePrincipal` body this simulator accepts (a subset of the entity).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ServicePrincipalBody {
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    account_enabled: Option<bool>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    app_role_assignment_required: Option<bool>,
}

pub fn sp_json(call: &Call, sp: &ServicePrincipal) -> Value {
    json!({
        "@odata.context": format!("{}v1.0/$metadata#servicePrincipals/$entity", call.sim.cloud.graph_endpoint),
        "id": sp.id.to_string(),
        "appId": sp.app_id.to_string(),
        "displayName": sp.display_name,
        "accountEnabled": true,
        "appOwnerOrganizationId": sp.app_owner_organization_id.to_string(),
        "servicePrincipalType": match sp.service_principal_type {
            PrincipalType::Application => "Application",
            PrincipalType::ManagedIdentity => "ManagedIdentity",
        },
        "alternativeNames": sp.alternative_names,
        "servicePrincipalNames": [sp.app_id.to_string()],
    })
}

fn not_found(call: &Call) -> Reply {
    error(
        call,
        404,
        "Request_ResourceNotFound",
        &format!(
            "Resource 'servicePrincipals(appId='{}')' does not exist or one of its queried reference-property objects are not present.",
            call.param("app_id")
        ),
    )
}

fn tenant_of(call: &Call) -> Result<TenantId, Reply> {
    applications::caller_tenant(call)
}

/// The caller's tenant's service principal of `app_id`, if a read sees it.
fn visible(call: &Call, tenant: &TenantId, app_id: &str) -> Option<ServicePrincipal> {
    let app: AppId = app_id.parse().ok()?;
    let sp = call.state().service_principal(tenant, &app).cloned()?;
    call.sim
        .replication
        .visible(SERVICE_PRINCIPAL, &sp.id.to_string())
        .then_some(sp)
}

fn get(call: &Call) -> Reply {
    let tenant = match tenant_of(call) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match visible(call, &tenant, call.param("app_id")) {
        Some(sp) => Reply::ok(sp_json(call, &sp)),
        None => not_found(call),
    }
}

fn is_admin(call: &Call) -> bool {
    let wids = &call.caller().claims.wids;
    [
        roles::GLOBAL_ADMINISTRATOR,
        roles::APPLICATION_ADMINISTRATOR,
        roles::CLOUD_APPLICATION_ADMINISTRATOR,
    ]
    .iter()
    .any(|r| wids.iter().any(|w| w.eq_ignore_ascii_case(r)))
}

/// Creates the service principal of `app_id` in `tenant`, after Graph's checks.
fn insert(call: &Call, tenant: &TenantId, app_id: &str, body: &ServicePrincipalBody) -> Reply {
    let invalid_app = || {
        error(
            call,
            400,
            "Request_BadRequest",
            &format!(
                "The appId '{app_id}' of the service principal does not reference a valid application object."
            ),
        )
    };
    let Ok(app_id) = app_id.parse::<AppId>() else {
        return invalid_app();
    };
    let mut state = call.state();
    let Some((home, app)) = state.application(&app_id) else {
        return invalid_app();
    };
    let (home_id, app_name, audience) = (
        home.id,
        app.display_name.clone(),
        app.sign_in_audience.clone(),
    );
    if home_id != *tenant && audience == "AzureADMyOrg" {
        return error(
            call,
            400,
            "Request_BadRequest",
            &format!(
                "The application '{app_name}' ({app_id}) is not multi-tenant (signInAudience AzureADMyOrg), so it cannot be installed in another tenant."
            ),
        );
    }
    if home_id != *tenant && !is_admin(call) {
        drop(state);
        return error(
            call,
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        );
    }
    let display_name = body.display_name.clone().unwrap_or(app_name);
    let Some(sp) = add(&mut state, tenant, app_id, home_id, display_name) else {
        return error(
            call,
            401,
            "InvalidAuthenticationToken",
            "The token's tenant does not exist.",
        );
    };
    drop(state);
    created(call, tenant, &sp);
    Reply::json(201, sp_json(call, &sp))
}

/// Stores a new service principal of `app_id` (homed in `home`) in `tenant`.
pub fn add(
    state: &mut State,
    tenant: &TenantId,
    app_id: AppId,
    home: TenantId,
    display_name: String,
) -> Option<ServicePrincipal> {
    let sp = ServicePrincipal {
        id: ObjectId::from_uuid(uuid::Uuid::new_v4()),
        app_id,
        display_name,
        service_principal_type: PrincipalType::Application,
        app_owner_organization_id: home,
        directory_roles: Vec::new(),
        app_roles: Vec::new(),
        alternative_names: Vec::new(),
    };
    state
        .tenant_mut(tenant)?
        .service_principals
        .push(sp.clone());
    Some(sp)
}

/// Starts the replication delays of a new service principal (Graph reads, ARM role assignments).
pub fn created(call: &Call, tenant: &TenantId, sp: &ServicePrincipal) {
    call.sim
        .replication
        .created(SERVICE_PRINCIPAL, &sp.id.to_string());
    call.sim
        .replication
        .created(PRINCIPAL, &format!("{tenant}/{}", sp.id));
}

fn create(call: &Call) -> Reply {
    let tenant = match tenant_of(call) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let body: ServicePrincipalBody = match decode(call, Dialect::Graph(ENTITY)) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(app_id) = body.app_id.clone() else {
        return error(
            call,
            400,
            "Request_BadRequest",
            "Property 'appId' is required.",
        );
    };
    let exists = app_id
        .parse::<AppId>()
        .ok()
        .is_some_and(|a| call.state().service_principal(&tenant, &a).is_some());
    if exists {
        return error(
            call,
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            "Another object with the same value for property servicePrincipalNames already exists.",
        );
    }
    insert(call, &tenant, &app_id, &body)
}

fn upsert(call: &Call) -> Reply {
    let tenant = match tenant_of(call) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let body: ServicePrincipalBody = match decode(call, Dialect::Graph(ENTITY)) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let app_id = call.param("app_id").to_string();
    if body
        .app_id
        .as_deref()
        .is_some_and(|a| !a.eq_ignore_ascii_case(&app_id))
    {
        return error(
            call,
            400,
            "Request_BadRequest",
            "The appId in the body differs from the key.",
        );
    }
    let _ = (
        &body.account_enabled,
        &body.tags,
        &body.notes,
        &body.app_role_assignment_required,
    );
    let existing = app_id
        .parse::<AppId>()
        .ok()
        .and_then(|a| call.state().service_principal(&tenant, &a).map(|sp| sp.id));
    if let Some(id) = existing {
        if let Some(name) = &body.display_name {
            let mut state = call.state();
            if let Some(sp) = state
                .tenant_mut(&tenant)
                .and_then(|t| t.service_principals.iter_mut().find(|s| s.id == id))
            {
                sp.display_name = name.clone();
            }
        }
        return Reply::empty(204);
    }
    let create_if_missing = call.header("prefer").is_some_and(|p| {
        p.split(',')
            .any(|x| x.trim().eq_ignore_ascii_case("create-if-missing"))
    });
    if !create_if_missing {
        return not_found(call);
    }
    insert(call, &tenant, &app_id, &body)
}
