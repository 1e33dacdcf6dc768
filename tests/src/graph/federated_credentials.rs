//! Graph federated identity credentials of an application: list (with `$filter`), create, read,
//! update, upsert by name and delete, under `/applications/{id}` or `/applications(appId='…')`.
//!
//! Rules (learn.microsoft.com/graph/api/resources/federatedidentitycredential,
//! application-post-federatedidentitycredentials, federatedidentitycredential-upsert):
//! - `name` is required, "has a limit of 120 characters and must be URL friendly" (Graph's
//!   federatedIdentityCredential resource: RFC 3986 unreserved characters here), unique per app
//!   (409 `Request_MultipleObjectsWithSameKeyValue`, "FederatedIdentityCredential with name …
//!   already exists.", Azure/azure-dev#1482) and immutable; ARM's stricter managed-identity
//!   pattern does not apply to Graph;
//! - `issuer` (a URL) and `subject` are required, and issuer+subject is unique per app (400
//!   `InvalidFederatedIdentityCredentialValue`, Azure/azure-workload-identity#434);
//! - `audiences` holds exactly one value;
//! - at most 20 credentials per application (application-post-federatedidentitycredentials:
//!   "Maximum of 20 objects can be added"; the wording of Graph's refusal is not published, so
//!   the message below is ours, in Graph's error shape);
//! - upsert by name (`PATCH …/federatedIdentityCredentials(name='…')`) answers 201 when it
//!   created, 204 when it updated.

use super::applications::{caller_tenant, can_update, denied, find, visible};
use super::error;
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::state::{Application, FederatedCredential};
use serde::Deserialize;
use serde_json::{Value, json};

/// Graph's limit of federated identity credentials per application.
pub const MAX_PER_APP: usize = 20;

const ENTITY: &str = "microsoft.graph.federatedIdentityCredential";

pub fn routes() -> Vec<Route> {
    const BY_ID: &str = "/v1.0/applications/{id}/federatedIdentityCredentials";
    const BY_APP_ID: &str = "/v1.0/applications(appId='{app_id}')/federatedIdentityCredentials";
    vec![
        Route::get(BY_ID, list),
        Route::post(BY_ID, create),
        Route::get(BY_APP_ID, list),
        Route::post(BY_APP_ID, create),
        Route::get(
            "/v1.0/applications/{id}/federatedIdentityCredentials(name='{name}')",
            get,
        ),
        Route::patch(
            "/v1.0/applications/{id}/federatedIdentityCredentials(name='{name}')",
            upsert,
        ),
        Route::delete(
            "/v1.0/applications/{id}/federatedIdentityCredentials(name='{name}')",
            delete,
        ),
        Route::get(
            "/v1.0/applications/{id}/federatedIdentityCredentials/{fic}",
            get,
        ),
        Route::patch(
            "/v1.0/applications/{id}/federatedIdentityCredentials/{fic}",
            update,
        ),
        Route::delete(
            "/v1.0/applications/{id}/federatedIdentityCredentials/{fic}",
            delete,
        ),
    ]
}

/// A create or update body of `microsoft.graph.federatedIdentityCredential` (specs/msgraph CSDL).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CredentialBody {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub audiences: Option<Vec<String>>,
    #[serde(default)]
    pub description: Option<String>,
}

fn credential_json(c: &FederatedCredential) -> Value {
    json!({
        "id": c.id.to_string(),
        "name": c.name,
        "issuer": c.issuer,
        "subject": c.subject,
        "audiences": c.audiences,
        "description": c.description,
    })
}

/// Graph's refusal of a second credential with the same issuer and subject
/// (Azure/azure-workload-identity#434).
fn duplicate_issuer_subject(call: &Call, issuer: &str, subject: &str) -> Reply {
    error(
        call,
        400,
        "InvalidFederatedIdentityCredentialValue",
        &format!(
            "The combination of issuer and subject must be unique for the application. Issuer {issuer} and Subject: {subject} already exist. paramName: FederatedIdentityCredential.Subject, paramValue: {subject}, objectType: Microsoft.Online.DirectoryServices.Application"
        ),
    )
}

fn bad_request(call: &Call, message: &str) -> Reply {
    error(call, 400, "Request_BadRequest", message)
}

/// Graph's name rule: at most 120 characters, URL-friendly (RFC 3986 unreserved characters).
fn valid_name(name: &str) -> bool {
    (1..=120).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
}

/// Checks the values a credential must hold; `name` is the one it will have.
fn check_values(
    call: &Call,
    name: &str,
    issuer: &str,
    subject: &str,
    audiences: &[String],
) -> Result<(), Reply> {
    if !valid_name(name) {
        return Err(bad_request(
            call,
            &format!(
                "Invalid value specified for property 'name' of resource 'FederatedIdentityCredential': '{name}'. The name has at most 120 characters and must be URL friendly (letters, digits, '-', '.', '_' and '~')."
            ),
        ));
    }
    let issuer_ok = url::Url::parse(issuer).is_ok_and(|u| u.scheme() == "https");
    if !issuer_ok || issuer.chars().count() > 600 {
        return Err(bad_request(
            call,
            &format!(
                "Invalid value specified for property 'issuer' of resource 'FederatedIdentityCredential': '{issuer}'. The issuer must be an https URL of at most 600 characters."
            ),
        ));
    }
    if subject.trim().is_empty() || subject.chars().count() > 600 {
        return Err(bad_request(
            call,
            "Invalid value specified for property 'subject' of resource 'FederatedIdentityCredential'. The subject is required and has at most 600 characters.",
        ));
    }
    if audiences.len() != 1 || audiences[0].trim().is_empty() {
        return Err(bad_request(
            call,
            &format!(
                "Invalid value specified for property 'audiences' of resource 'FederatedIdentityCredential': {} values given. Exactly one audience is supported.",
                audiences.len()
            ),
        ));
    }
    Ok(())
}

/// The app the route names, for a read (replication applies) or a write (it does not).
fn app_of(call: &Call, read: bool) -> Result<Application, Reply> {
    let tenant_id = caller_tenant(call)?;
    let state = call.state();
    let app = state
        .tenant(&tenant_id)
        .and_then(|t| find(call, t))
        .cloned();
    drop(state);
    match app {
        // Changing an app's credentials takes an administrator role or ownership, as changing the app does.
        Some(a) if !read && !can_update(call, &a) => Err(denied(call)),
        Some(a) if !read || visible(call, &a) => Ok(a),
        _ => Err(super::applications::not_found(call)),
    }
}

/// Runs `f` on the stored app (by object id) in the caller's tenant.
fn with_app<R>(call: &Call, app: &Application, f: impl FnOnce(&mut Application) -> R) -> Option<R> {
    let tenant_id = call.caller().tenant()?;
    let mut state = call.state();
    let stored = state
        .tenant_mut(&tenant_id)?
        .applications
        .iter_mut()
        .find(|a| a.id == app.id)?;
    Some(f(stored))
}

/// The credential the route names: `{fic}` (its id) or `(name='…')`.
fn named<'a>(call: &Call, app: &'a Application) -> Option<&'a FederatedCredential> {
    let (fic, name) = (call.param("fic"), call.param("name"));
    app.federated_identity_credentials.iter().find(|c| {
        (!fic.is_empty() && c.id.to_string().eq_ignore_ascii_case(fic))
            || (!name.is_empty() && c.name.eq_ignore_ascii_case(name))
    })
}

fn credential_not_found(call: &Call) -> Reply {
    let key = [call.param("fic"), call.param("name")]
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

/// `$filter` with one `{name|subject|issuer} eq '…'`.
fn filter_matches(call: &Call, c: &FederatedCredential) -> Result<bool, Reply> {
    let Some(filter) = call.query("$filter") else {
        return Ok(true);
    };
    let parsed = filter.split_once(" eq ").and_then(|(p, v)| {
        let v = v.trim().strip_prefix('\'')?.strip_suffix('\'')?;
        Some((p.trim(), v.replace("''", "'")))
    });
    match parsed {
        Some(("name", v)) => Ok(c.name == v),
        Some(("subject", v)) => Ok(c.subject == v),
        Some(("issuer", v)) => Ok(c.issuer == v),
        _ => Err(error(
            call,
            400,
            "Request_UnsupportedQuery",
            &format!("Unsupported or invalid query filter clause specified: {filter}"),
        )),
    }
}

fn list(call: &Call) -> Reply {
    let app = match app_of(call, true) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut value = Vec::new();
    for c in &app.federated_identity_credentials {
        match filter_matches(call, c) {
            Ok(true) => value.push(credential_json(c)),
            Ok(false) => {}
            Err(r) => return r,
        }
    }
    Reply::ok(json!({
        "@odata.context": format!(
            "{}v1.0/$metadata#applications('{}')/federatedIdentityCredentials",
            call.sim.cloud.graph_endpoint, app.id
        ),
        "value": value,
    }))
}

fn get(call: &Call) -> Reply {
    let app = match app_of(call, true) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match named(call, &app) {
        Some(c) => Reply::ok(credential_json(c)),
        None => credential_not_found(call),
    }
}

/// Adds a new credential after every rule is checked.
fn add(call: &Call, app: &Application, body: CredentialBody, name: String) -> Reply {
    let (Some(issuer), Some(subject), Some(audiences)) =
        (body.issuer, body.subject, body.audiences)
    else {
        return bad_request(
            call,
            "A value is required for properties 'issuer', 'subject' and 'audiences' of resource 'FederatedIdentityCredential'.",
        );
    };
    if let Err(r) = check_values(call, &name, &issuer, &subject, &audiences) {
        return r;
    }
    if app
        .federated_identity_credentials
        .iter()
        .any(|c| c.name.eq_ignore_ascii_case(&name))
    {
        return error(
            call,
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            &format!("FederatedIdentityCredential with name {name} already exists."),
        );
    }
    if app
        .federated_identity_credentials
        .iter()
        .any(|c| c.issuer == issuer && c.subject == subject)
    {
        return duplicate_issuer_subject(call, &issuer, &subject);
    }
    // "A maximum of 20 federated identity credentials can be added to an application"
    // (workload-identity-federation-considerations); Graph's text is not published, wording ours.
    if app.federated_identity_credentials.len() >= MAX_PER_APP {
        return bad_request(
            call,
            &format!(
                "The application already has the maximum number of federated identity credentials ({MAX_PER_APP}). Delete one before adding another."
            ),
        );
    }
    let credential = FederatedCredential {
        id: uuid::Uuid::new_v4(),
        name,
        issuer,
        subject,
        audiences,
        description: body.description,
    };
    let reply = Reply::json(201, credential_json(&credential));
    let id = credential.id;
    match with_app(call, app, |a| {
        a.federated_identity_credentials.push(credential)
    }) {
        Some(()) => {
            // The token endpoint honours a new credential only once it is replicated.
            call.sim.replication.created(
                crate::login::assertion::FEDERATED_CREDENTIAL,
                &id.to_string(),
            );
            reply
        }
        None => super::applications::not_found(call),
    }
}

fn create(call: &Call) -> Reply {
    let app = match app_of(call, false) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let body: CredentialBody = match super::models::decode_entity(
        call,
        ENTITY,
        &super::models::FEDERATED_IDENTITY_CREDENTIAL,
        &["id"],
    ) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(name) = body.name.clone() else {
        return bad_request(
            call,
            "A value is required for property 'name' of resource 'FederatedIdentityCredential'.",
        );
    };
    add(call, &app, body, name)
}

/// Changes an existing credential; the name cannot change.
fn change(
    call: &Call,
    app: &Application,
    existing: &FederatedCredential,
    body: CredentialBody,
) -> Reply {
    if body.name.as_deref().is_some_and(|n| n != existing.name) {
        return bad_request(
            call,
            "Property 'name' is read-only and cannot be changed once the federated identity credential is created.",
        );
    }
    let issuer = body.issuer.unwrap_or_else(|| existing.issuer.clone());
    let subject = body.subject.unwrap_or_else(|| existing.subject.clone());
    let audiences = body.audiences.unwrap_or_else(|| existing.audiences.clone());
    if let Err(r) = check_values(call, &existing.name, &issuer, &subject, &audiences) {
        return r;
    }
    if app
        .federated_identity_credentials
        .iter()
        .any(|c| c.id != existing.id && c.issuer == issuer && c.subject == subject)
    {
        return duplicate_issuer_subject(call, &issuer, &subject);
    }
    let id = existing.id;
    let description = body.description;
    with_app(call, app, |a| {
        if let Some(c) = a
            .federated_identity_credentials
            .iter_mut()
            .find(|c| c.id == id)
        {
            c.issuer = issuer;
            c.subject = subject;
            c.audiences = audiences;
            if description.is_some() {
                c.description = description;
            }
        }
    });
    Reply::empty(204)
}

fn update(call: &Call) -> Reply {
    let app = match app_of(call, false) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let body: CredentialBody = match super::models::decode_entity(
        call,
        ENTITY,
        &super::models::FEDERATED_IDENTITY_CREDENTIAL,
        &["id"],
    ) {
        Ok(b) => b,
        Err(r) => return r,
    };
    match named(call, &app).cloned() {
        Some(existing) => change(call, &app, &existing, body),
        None => credential_not_found(call),
    }
}

fn upsert(call: &Call) -> Reply {
    let app = match app_of(call, false) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let body: CredentialBody = match super::models::decode_entity(
        call,
        ENTITY,
        &super::models::FEDERATED_IDENTITY_CREDENTIAL,
        &["id"],
    ) {
        Ok(b) => b,
        Err(r) => return r,
    };
    match named(call, &app).cloned() {
        Some(existing) => change(call, &app, &existing, body),
        None => {
            let name = call.param("name").to_string();
            if body.name.as_deref().is_some_and(|n| n != name) {
                return bad_request(
                    call,
                    "The name in the body differs from the name in the URL.",
                );
            }
            add(call, &app, body, name)
        }
    }
}

fn delete(call: &Call) -> Reply {
    let app = match app_of(call, false) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(id) = named(call, &app).map(|c| c.id) else {
        return credential_not_found(call);
    };
    with_app(call, &app, |a| {
        a.federated_identity_credentials.retain(|c| c.id != id)
    });
    Reply::empty(204)
}
