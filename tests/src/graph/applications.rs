//! Graph applications: create (`POST /applications`), read by object id and by the `appId` and
//! `uniqueName` alternate keys, list with `$filter`, update (`PATCH`), upsert by `uniqueName`
//! (`PATCH` + `Prefer: create-if-missing`) and the `owners` navigation.
//!
//! Rules (learn.microsoft.com/graph/api/application-post-applications, application-upsert,
//! application-get, application-update; specs/msgraph CSDL for the property names):
//! - upsert by `uniqueName`: 201 with the object when it did not exist, 204 when it did; without
//!   `Prefer: create-if-missing` a missing object is 404 `Request_ResourceNotFound`;
//! - `displayName` is required to create;
//! - `uniqueName` is immutable once set and unique in the tenant;
//! - the creator (a user, or an app-only caller's service principal) becomes an owner; who may
//!   create and change apps is [`super::authz`]'s (directory roles for users, Graph app roles
//!   for app-only callers);
//! - `$filter` takes `appId`, `uniqueName` and `displayName` clauses (`eq`, `startswith`), as
//!   `az ad app create` sends (`startswith(displayName,'…')`, azure-cli `list_applications`);
//! - Entra is eventually consistent: a new app may be invisible to reads for a while
//!   (replication kind [`APPLICATION`]); writes reach the primary and always see it.

use super::error;
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::{Application, Tenant};
use serde::Deserialize;
use serde_json::{Value, json};
use xtcmk::{AppId, ObjectId, TenantId};

/// Replication kind of a new application (keyed by its object id).
pub const APPLICATION: &str = "application";

const ENTITY: &str = "microsoft.graph.application";

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/v1.0/applications", list),
        Route::post("/v1.0/applications", create),
        Route::get("/v1.0/applications(appId='{app_id}')", get),
        Route::patch("/v1.0/applications(appId='{app_id}')", update),
        Route::get("/v1.0/applications(uniqueName='{unique_name}')", get),
        Route::patch("/v1.0/applications(uniqueName='{unique_name}')", upsert),
        Route::get("/v1.0/applications/{id}", get),
        Route::patch("/v1.0/applications/{id}", update),
        Route::get("/v1.0/applications/{id}/owners", owners),
        Route::get("/v1.0/applications(appId='{app_id}')/owners", owners),
    ]
}

/// The `webApplication` complex type (the members this simulator keeps or accepts).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebApplication {
    #[serde(default)]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(default)]
    pub home_page_url: Option<Value>,
    #[serde(default)]
    pub logout_url: Option<Value>,
    #[serde(default)]
    pub implicit_grant_settings: Option<Value>,
    #[serde(default)]
    pub redirect_uri_settings: Option<Value>,
}

/// A create or update body of `microsoft.graph.application`. Members of the entity the
/// simulator does not model are refused like unknown ones; read-only members (`id`, `appId`)
/// are refused as Graph refuses writing them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationBody {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub sign_in_audience: Option<String>,
    #[serde(default)]
    pub unique_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub identifier_uris: Option<Vec<String>>,
    #[serde(default)]
    pub web: Option<WebApplication>,
}

/// `signInAudience` values Graph accepts (application resource type docs).
const AUDIENCES: [&str; 4] = [
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
];

/// The JSON Graph returns for an application.
pub fn app_json(call: &Call, app: &Application) -> Value {
    let secrets: Vec<Value> = app
        .password_credentials
        .iter()
        .map(|p| {
            json!({
                "keyId": p.key_id,
                "displayName": p.display_name,
                "hint": p.hint,
                "endDateTime": crate::auth::utc(p.end_date_time),
                "secretText": null,
            })
        })
        .collect();
    json!({
        "@odata.context": format!("{}v1.0/$metadata#applications/$entity", call.sim.cloud.graph_endpoint),
        "id": app.id.to_string(),
        "appId": app.app_id.to_string(),
        "displayName": app.display_name,
        "signInAudience": app.sign_in_audience,
        "uniqueName": app.unique_name,
        "passwordCredentials": secrets,
        "web": { "redirectUris": app.redirect_uris },
    })
}

/// The caller's tenant id, or Graph's 401 when the token names none.
pub fn caller_tenant(call: &Call) -> Result<TenantId, Reply> {
    call.caller().tenant().ok_or_else(|| {
        error(
            call,
            401,
            "InvalidAuthenticationToken",
            "The token has no tenant.",
        )
    })
}

/// Which application a route's key names: `id`, `app_id` or `unique_name`.
pub fn find<'t>(call: &Call, tenant: &'t Tenant) -> Option<&'t Application> {
    let (id, app_id, unique) = (
        call.param("id"),
        call.param("app_id"),
        call.param("unique_name"),
    );
    tenant.applications.iter().find(|a| {
        (!id.is_empty() && a.id.to_string().eq_ignore_ascii_case(id))
            || (!app_id.is_empty() && a.app_id.to_string().eq_ignore_ascii_case(app_id))
            || (!unique.is_empty()
                && a.unique_name
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(unique)))
    })
}

/// Whether a read sees the application (replication delay after creation).
pub fn visible(call: &Call, app: &Application) -> bool {
    call.sim
        .replication
        .visible(APPLICATION, &app.id.to_string())
}

pub fn not_found(call: &Call) -> Reply {
    let key = [
        call.param("id"),
        call.param("app_id"),
        call.param("unique_name"),
    ]
    .into_iter()
    .find(|k| !k.is_empty())
    .unwrap_or_default()
    .to_string();
    error(
        call,
        404,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

fn get(call: &Call) -> Reply {
    let tenant_id = match caller_tenant(call) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let state = call.state();
    match state.tenant(&tenant_id).and_then(|t| find(call, t)) {
        Some(app) if visible(call, app) => Reply::ok(app_json(call, app)),
        _ => not_found(call),
    }
}

fn list(call: &Call) -> Reply {
    let tenant_id = match caller_tenant(call) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let filter = match call.query("$filter") {
        None => Vec::new(),
        Some(f) => match super::filter::parse(f, &["appId", "uniqueName", "displayName"]) {
            Ok(clauses) => clauses,
            Err(super::filter::Unsupported) => {
                return error(
                    call,
                    400,
                    "Request_UnsupportedQuery",
                    &format!(
                        "Unsupported or invalid query filter clause specified for property of resource 'Application': {f}"
                    ),
                );
            }
        },
    };
    let state = call.state();
    let apps: Vec<Value> = state
        .tenant(&tenant_id)
        .map(|t| t.applications.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|a| {
            super::filter::matches(&filter, |p| match p.to_ascii_lowercase().as_str() {
                "appid" => vec![a.app_id.to_string()],
                "uniquename" => a.unique_name.clone().into_iter().collect(),
                _ => vec![a.display_name.clone()],
            })
        })
        .filter(|a| visible(call, a))
        .map(|a| {
            let mut v = app_json(call, a);
            if let Some(o) = v.as_object_mut() {
                o.remove("@odata.context");
            }
            v
        })
        .collect();
    Reply::ok(json!({
        "@odata.context": format!("{}v1.0/$metadata#applications", call.sim.cloud.graph_endpoint),
        "value": apps,
    }))
}

/// May register applications (see [`super::authz::can_create_app`]).
fn can_create(call: &Call) -> bool {
    super::authz::can_create_app(call)
}

/// May change `app` and its credentials (see [`super::authz::can_update_app`]).
pub fn can_update(call: &Call, app: &Application) -> bool {
    super::authz::can_update_app(call, app)
}

pub fn denied(call: &Call) -> Reply {
    error(
        call,
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
}

fn check_body(call: &Call, body: &ApplicationBody) -> Result<(), Reply> {
    if let Some(a) = &body.sign_in_audience
        && !AUDIENCES.contains(&a.as_str())
    {
        return Err(error(
            call,
            400,
            "Request_BadRequest",
            &format!(
                "Invalid value specified for property 'signInAudience' of resource 'Application': {a}."
            ),
        ));
    }
    if let Some(uris) = body.web.as_ref().and_then(|w| w.redirect_uris.as_ref()) {
        for uri in uris {
            let ok = url::Url::parse(uri).is_ok_and(|u| {
                u.scheme() == "https" || (u.scheme() == "http" && u.host_str() == Some("localhost"))
            });
            if !ok {
                return Err(error(
                    call,
                    400,
                    "Request_BadRequest",
                    &format!(
                        "Invalid value specified for property 'web.redirectUris' of resource 'Application': {uri}."
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A new application in the caller's tenant, the caller its owner when a user.
fn insert(
    call: &Call,
    tenant_id: &TenantId,
    body: ApplicationBody,
    unique: Option<String>,
) -> Reply {
    let Some(display_name) = body.display_name.filter(|d| !d.trim().is_empty()) else {
        return error(
            call,
            400,
            "Request_BadRequest",
            "A value is required for property 'displayName' of resource 'Application'.",
        );
    };
    let app = Application {
        id: ObjectId::from_uuid(uuid::Uuid::new_v4()),
        app_id: AppId::from_uuid(uuid::Uuid::new_v4()),
        display_name,
        sign_in_audience: body
            .sign_in_audience
            .unwrap_or_else(|| "AzureADMyOrg".into()),
        unique_name: unique,
        password_credentials: Vec::new(),
        federated_identity_credentials: Vec::new(),
        redirect_uris: body.web.and_then(|w| w.redirect_uris).unwrap_or_default(),
    };
    let mut state = call.state();
    if let Some(u) = &app.unique_name
        && state.tenant(tenant_id).is_some_and(|t| {
            t.applications.iter().any(|a| {
                a.unique_name
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(u))
            })
        })
    {
        return error(
            call,
            400,
            "Request_MultipleObjectsWithSameKeyValue",
            &format!(
                "Another object with the same value for property uniqueName already exists: {u}."
            ),
        );
    }
    let Some(tenant) = state.tenant_mut(tenant_id) else {
        return denied(call);
    };
    let reply = Reply::json(201, app_json(call, &app)).header(
        "Location",
        format!(
            "{}v1.0/applications/{}",
            call.sim.cloud.graph_endpoint, app.id
        ),
    );
    let id = app.id;
    tenant.applications.push(app);
    // The creator owns the app: a user, or an app-only caller's service principal.
    if let Some(me) = call.caller().object_id() {
        state.app_owners.add(id, me);
    }
    drop(state);
    call.sim.replication.created(APPLICATION, &id.to_string());
    reply
}

fn create(call: &Call) -> Reply {
    let tenant_id = match caller_tenant(call) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let body: ApplicationBody = match super::models::decode_entity(
        call,
        ENTITY,
        &super::models::APPLICATION,
        &["id", "appId"],
    ) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = check_body(call, &body) {
        return r;
    }
    if !can_create(call) {
        return denied(call);
    }
    let unique = body.unique_name.clone();
    insert(call, &tenant_id, body, unique)
}

/// Applies an update body to the app the route names (writes see unreplicated objects).
fn apply(call: &Call, tenant_id: &TenantId, body: ApplicationBody) -> Reply {
    let allowed = {
        let state = call.state();
        match state.tenant(tenant_id).and_then(|t| find(call, t)) {
            None => return not_found(call),
            Some(app) => {
                if let Some(u) = &body.unique_name
                    && app.unique_name.as_deref().is_some_and(|x| x != u)
                {
                    return error(
                        call,
                        400,
                        "Request_BadRequest",
                        "Property 'uniqueName' is read-only once set and cannot be changed.",
                    );
                }
                app.clone()
            }
        }
    };
    if !can_update(call, &allowed) {
        return denied(call);
    }
    let mut state = call.state();
    let Some(app) = state
        .tenant_mut(tenant_id)
        .and_then(|t| t.applications.iter_mut().find(|a| a.id == allowed.id))
    else {
        return not_found(call);
    };
    if let Some(d) = body.display_name {
        app.display_name = d;
    }
    if let Some(a) = body.sign_in_audience {
        app.sign_in_audience = a;
    }
    if let Some(u) = body.unique_name {
        app.unique_name = Some(u);
    }
    if let Some(uris) = body.web.and_then(|w| w.redirect_uris) {
        app.redirect_uris = uris;
    }
    Reply::empty(204)
}

fn update(call: &Call) -> Reply {
    let tenant_id = match caller_tenant(call) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let body: ApplicationBody = match super::models::decode_entity(
        call,
        ENTITY,
        &super::models::APPLICATION,
        &["id", "appId"],
    ) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = check_body(call, &body) {
        return r;
    }
    apply(call, &tenant_id, body)
}

fn upsert(call: &Call) -> Reply {
    let tenant_id = match caller_tenant(call) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let body: ApplicationBody = match super::models::decode_entity(
        call,
        ENTITY,
        &super::models::APPLICATION,
        &["id", "appId"],
    ) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = check_body(call, &body) {
        return r;
    }
    let unique = call.param("unique_name").to_string();
    let exists = call
        .state()
        .tenant(&tenant_id)
        .is_some_and(|t| find(call, t).is_some());
    if exists {
        return apply(call, &tenant_id, body);
    }
    let create_if_missing = call.header("prefer").is_some_and(|p| {
        p.split(',')
            .any(|x| x.trim().eq_ignore_ascii_case("create-if-missing"))
    });
    if !create_if_missing {
        return not_found(call);
    }
    if !can_create(call) {
        return denied(call);
    }
    insert(call, &tenant_id, body, Some(unique))
}

fn owners(call: &Call) -> Reply {
    let tenant_id = match caller_tenant(call) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let state = call.state();
    let Some(tenant) = state.tenant(&tenant_id) else {
        return not_found(call);
    };
    let Some(app) = find(call, tenant).filter(|a| visible(call, a)) else {
        return not_found(call);
    };
    let owners: Vec<Value> = state
        .app_owners
        .owners_of(&app.id)
        .iter()
        .map(|o| match tenant.users.iter().find(|u| u.id == *o) {
            Some(u) => json!({
                "@odata.type": "#microsoft.graph.user",
                "id": u.id.to_string(),
                "displayName": u.display_name,
                "userPrincipalName": u.user_principal_name,
            }),
            None => {
                json!({ "@odata.type": "#microsoft.graph.servicePrincipal", "id": o.to_string() })
            }
        })
        .collect();
    Reply::ok(json!({
        "@odata.context": format!("{}v1.0/$metadata#directoryObjects", call.sim.cloud.graph_endpoint),
        "value": owners,
    }))
}
