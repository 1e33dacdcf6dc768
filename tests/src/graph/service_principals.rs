//! Service principals: `GET`/`PATCH`/`DELETE /servicePrincipals(appId='{appId}')` (the PATCH
//! upserts with `Prefer: create-if-missing`), `POST /servicePrincipals` and `GET
//! /servicePrincipals` with `$filter` (`appId eq '…'`, `displayName`,
//! `servicePrincipalNames/any(…)`; what `az ad sp list --filter` and `az ad sp create` send).
//!
//! Graph's rules kept here (graph serviceprincipal-post-serviceprincipals, -upsert, -get):
//! - the app must exist; another tenant's app must be multi-tenant;
//! - creating or changing a service principal takes the rights of [`super::authz`]: another
//!   tenant's app needs Global, Application or Cloud Application Administrator (or, app-only,
//!   `Application.ReadWrite.All`); this tenant's app also its owner (403
//!   `Authorization_RequestDenied`);
//! - POST for an app already installed → 409 `Request_MultipleObjectsWithSameKeyValue`, "The
//!   service principal cannot be created, updated, or restored because the service principal
//!   name {appId} is already in use." (Azure/reliable-web-app-pattern-java#185);
//! - PATCH without `Prefer: create-if-missing` of a missing object → 404; with it → 201 and the
//!   object, or 204 when it existed (an update);
//! - a new service principal is invisible to Graph reads and to ARM's role assignments for a
//!   while (replication kinds [`SERVICE_PRINCIPAL`] and `principal`);
//! - DELETE answers 204 No Content, 404 when there is none (graph serviceprincipal-delete); removing
//!   one needs the same administrator roles (403 `Authorization_RequestDenied`); role assignments
//!   naming it stay behind, as ARM keeps them for deleted principals.

use super::{applications, error};
use crate::arm::role_assignments::PRINCIPAL;
use crate::reply::Reply;
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
        Route::get("/v1.0/servicePrincipals", list),
        Route::post("/v1.0/servicePrincipals", create),
        Route::delete("/v1.0/servicePrincipals(appId='{app_id}')", delete),
    ]
}

/// The members of a `servicePrincipal` body this simulator accepts (a subset of the entity).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePrincipalBody {
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
        "servicePrincipalNames": names(sp),
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

/// `GET /servicePrincipals[?$filter=…]`: the tenant's service principals a read sees.
fn list(call: &Call) -> Reply {
    let tenant = match tenant_of(call) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let clauses = match call.query("$filter") {
        None => Vec::new(),
        Some(f) => {
            match super::filter::parse(f, &["appId", "displayName", "servicePrincipalNames"]) {
                Ok(c) => c,
                Err(super::filter::Unsupported) => {
                    return error(
                        call,
                        400,
                        "Request_UnsupportedQuery",
                        &format!(
                            "Unsupported or invalid query filter clause specified for property of resource 'ServicePrincipal': {f}"
                        ),
                    );
                }
            }
        }
    };
    let sps: Vec<ServicePrincipal> = call
        .state()
        .tenant(&tenant)
        .map(|t| t.service_principals.clone())
        .unwrap_or_default();
    let value: Vec<Value> = sps
        .iter()
        .filter(|sp| {
            super::filter::matches(&clauses, |p| match p.to_ascii_lowercase().as_str() {
                "appid" => vec![sp.app_id.to_string()],
                "displayname" => vec![sp.display_name.clone()],
                _ => names(sp),
            })
        })
        .filter(|sp| {
            call.sim
                .replication
                .visible(SERVICE_PRINCIPAL, &sp.id.to_string())
        })
        .map(|sp| {
            let mut v = sp_json(call, sp);
            if let Some(o) = v.as_object_mut() {
                o.remove("@odata.context");
            }
            v
        })
        .collect();
    Reply::ok(json!({
        "@odata.context": format!("{}v1.0/$metadata#servicePrincipals", call.sim.cloud.graph_endpoint),
        "value": value,
    }))
}

/// `servicePrincipalNames`: the app id, and for managed identities their resource id.
fn names(sp: &ServicePrincipal) -> Vec<String> {
    let mut names = vec![sp.app_id.to_string()];
    names.extend(
        sp.alternative_names
            .iter()
            .filter(|n| n.starts_with('/'))
            .cloned(),
    );
    names
}

fn delete(call: &Call) -> Reply {
    let tenant = match tenant_of(call) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if visible(call, &tenant, call.param("app_id")).is_none() {
        return not_found(call);
    }
    // Deleting takes the rights creating does (serviceprincipal-delete: Application.ReadWrite.All,
    // or an administrator role; the app's owner in its home tenant).
    let app = call.param("app_id").parse::<AppId>().ok().and_then(|a| {
        call.state()
            .application(&a)
            .map(|(h, app)| (h.id, app.clone()))
    });
    let allowed = match &app {
        Some((home, app)) => super::authz::can_manage_service_principal(call, app, *home == tenant),
        None => super::authz::manages_all(call),
    };
    if !allowed {
        return super::applications::denied(call);
    }
    let app_id = call.param("app_id").to_ascii_lowercase();
    if let Some(t) = call.state().tenant_mut(&tenant) {
        t.service_principals
            .retain(|sp| sp.app_id.to_string() != app_id);
    }
    Reply::empty(204)
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
    let state = call.state();
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
    let app = app.clone();
    drop(state);
    if !super::authz::can_manage_service_principal(call, &app, home_id == *tenant) {
        return super::applications::denied(call);
    }
    let mut state = call.state();
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
    let body: ServicePrincipalBody = match super::models::decode_entity(
        call,
        ENTITY,
        &super::models::SERVICE_PRINCIPAL,
        &["id"],
    ) {
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
            &format!(
                "The service principal cannot be created, updated, or restored because the service principal name {app_id} is already in use."
            ),
        );
    }
    insert(call, &tenant, &app_id, &body)
}

fn upsert(call: &Call) -> Reply {
    let tenant = match tenant_of(call) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let body: ServicePrincipalBody = match super::models::decode_entity(
        call,
        ENTITY,
        &super::models::SERVICE_PRINCIPAL,
        &["id"],
    ) {
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
        // Changing an existing service principal takes the same rights as creating it.
        let app = app_id.parse::<AppId>().ok().and_then(|a| {
            call.state()
                .application(&a)
                .map(|(h, app)| (h.id, app.clone()))
        });
        let allowed = match &app {
            Some((home, app)) => {
                super::authz::can_manage_service_principal(call, app, *home == tenant)
            }
            None => super::authz::manages_all(call),
        };
        if !allowed {
            return super::applications::denied(call);
        }
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
