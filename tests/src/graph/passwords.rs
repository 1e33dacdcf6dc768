//! An application's client secrets: `POST /applications/{id}/addPassword` and
//! `POST /applications/{id}/removePassword` (also by the `appId` alternate key).
//!
//! Rules (learn.microsoft.com/graph/api/application-addpassword, application-removepassword,
//! resources/passwordcredential):
//! - the body of addPassword is `{"passwordCredential": {displayName, endDateTime, startDateTime}}`
//!   (all optional); the answer is the new `passwordCredential` with `secretText`, "only returned
//!   during the initial POST request to addPassword"; later reads show `hint` (the first three
//!   characters) and never the text;
//! - without `endDateTime` the secret lives two years (Graph's default);
//! - removePassword takes `{"keyId"}` and answers 204;
//! - the caller needs an administrator role or to own the app (Application.ReadWrite.OwnedBy);
//! - a new secret reaches every Entra replica only after a while: replication kind
//!   [`PASSWORD_CREDENTIAL`] (keyed by `keyId`) hides it from sign-ins that check it here.
//!
//! The wording of a refused `keyId` is ours (the service's is not documented).

use super::applications::{caller_tenant, can_update, denied, find, not_found, visible};
use super::error;
use crate::contract::{Dialect, decode};
use crate::reply::Reply;
use crate::routes::{Call, Route};
use crate::shared::Shared;
use crate::state::{Application, PasswordCredential, secret_hash};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

/// Replication kind of a new client secret (keyed by its `keyId`).
pub const PASSWORD_CREDENTIAL: &str = "passwordCredential";

/// Graph's default lifetime of a secret added without `endDateTime` (two years).
const DEFAULT_LIFETIME_SECONDS: i64 = 2 * 365 * 24 * 3600;

const ENTITY: &str = "microsoft.graph.passwordCredential";

pub fn routes() -> Vec<Route> {
    vec![
        Route::post("/v1.0/applications/{id}/addPassword", add),
        Route::post("/v1.0/applications(appId='{app_id}')/addPassword", add),
        Route::post("/v1.0/applications/{id}/removePassword", remove),
        Route::post(
            "/v1.0/applications(appId='{app_id}')/removePassword",
            remove,
        ),
    ]
}

/// The `passwordCredential` members a caller may set.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PasswordCredentialBody {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    end_date_time: Option<String>,
    #[serde(default)]
    start_date_time: Option<String>,
    #[serde(default)]
    custom_key_identifier: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AddPasswordBody {
    #[serde(default)]
    password_credential: Option<PasswordCredentialBody>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RemovePasswordBody {
    key_id: String,
}

fn parse_time(call: &Call, field: &str, value: &str) -> Result<i64, Reply> {
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| {
            error(
                call,
                400,
                "Request_BadRequest",
                &format!("Invalid value specified for property '{field}' of resource 'PasswordCredential'."),
            )
        })
}

/// The app the route names, in the caller's tenant, if the caller may change it.
fn target(call: &Call) -> Result<Application, Reply> {
    let tenant = caller_tenant(call)?;
    let app = {
        let state = call.state();
        state.tenant(&tenant).and_then(|t| find(call, t)).cloned()
    };
    let app = match app {
        Some(a) if visible(call, &a) => a,
        _ => return Err(not_found(call)),
    };
    if !can_update(call, &app) {
        return Err(denied(call));
    }
    Ok(app)
}

/// A strong secret of 40 characters, as Entra generates them (16–64 characters).
fn new_secret_text() -> String {
    let bytes: [u8; 30] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(bytes)
        .replace(['-', '_'], "~")
}

fn add(call: &Call) -> Reply {
    let body: AddPasswordBody = if call.body.iter().all(u8::is_ascii_whitespace) {
        AddPasswordBody {
            password_credential: None,
        }
    } else {
        match decode(call, Dialect::Graph(ENTITY)) {
            Ok(b) => b,
            Err(r) => return r,
        }
    };
    let app = match target(call) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let requested = body.password_credential.unwrap_or_default();
    let _ = &requested.custom_key_identifier;
    let now = crate::tokens::now();
    let start = match requested.start_date_time.as_deref() {
        Some(s) => match parse_time(call, "startDateTime", s) {
            Ok(t) => t,
            Err(r) => return r,
        },
        None => now,
    };
    let end = match requested.end_date_time.as_deref() {
        Some(s) => match parse_time(call, "endDateTime", s) {
            Ok(t) => t,
            Err(r) => return r,
        },
        None => now + DEFAULT_LIFETIME_SECONDS,
    };
    if end <= start {
        return error(
            call,
            400,
            "Request_BadRequest",
            "The endDateTime of a password credential must be later than its startDateTime.",
        );
    }
    let text = new_secret_text();
    let key_id = uuid::Uuid::new_v4();
    let credential = PasswordCredential {
        key_id,
        display_name: requested.display_name.clone().unwrap_or_default(),
        secret_sha256: secret_hash(&text),
        hint: text.chars().take(3).collect(),
        end_date_time: end,
    };
    {
        let mut state = call.state();
        let Some(stored) = state
            .tenants
            .iter_mut()
            .flat_map(|t| t.applications.iter_mut())
            .find(|a| a.id == app.id)
        else {
            return not_found(call);
        };
        stored.password_credentials.push(credential.clone());
    }
    call.sim
        .replication
        .created(PASSWORD_CREDENTIAL, &key_id.to_string());
    Reply::ok(json!({
        "@odata.context": format!("{}v1.0/$metadata#microsoft.graph.passwordCredential", call.sim.cloud.graph_endpoint),
        "customKeyIdentifier": null,
        "displayName": credential.display_name,
        "endDateTime": crate::auth::utc(end),
        "hint": credential.hint,
        "keyId": key_id,
        "secretText": text,
        "startDateTime": crate::auth::utc(start),
    }))
}

fn remove(call: &Call) -> Reply {
    let body: RemovePasswordBody = match decode(call, Dialect::Graph(ENTITY)) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let app = match target(call) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut state = call.state();
    let Some(stored) = state
        .tenants
        .iter_mut()
        .flat_map(|t| t.applications.iter_mut())
        .find(|a| a.id == app.id)
    else {
        return not_found(call);
    };
    let before = stored.password_credentials.len();
    stored.password_credentials.retain(|p| {
        !p.key_id
            .to_string()
            .eq_ignore_ascii_case(body.key_id.trim())
    });
    if stored.password_credentials.len() == before {
        return error(
            call,
            400,
            "Request_BadRequest",
            &format!(
                "No password credential with keyId '{}' exists on the application.",
                body.key_id
            ),
        );
    }
    Reply::empty(204)
}

/// Why a client secret does not sign an app in (what the token endpoint answers for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretProblem {
    /// AADSTS7000215: no secret of the app has this value.
    Invalid,
    /// AADSTS7000222: the secret with this value has expired.
    Expired,
}

impl SecretProblem {
    pub fn aadsts(&self) -> u32 {
        match self {
            SecretProblem::Invalid => 7000215,
            SecretProblem::Expired => 7000222,
        }
    }
}

/// Whether the secret with SHA-256 `hash` signs `app` in now: it must be one of the app's secrets,
/// replicated, and not expired.
pub fn check_secret(shared: &Shared, app: &Application, hash: &str) -> Result<(), SecretProblem> {
    let now = crate::tokens::now();
    let found = app
        .password_credentials
        .iter()
        .find(|p| p.secret_sha256 == hash)
        .ok_or(SecretProblem::Invalid)?;
    if !shared
        .replication
        .visible(PASSWORD_CREDENTIAL, &found.key_id.to_string())
    {
        return Err(SecretProblem::Invalid);
    }
    if found.end_date_time <= now {
        return Err(SecretProblem::Expired);
    }
    Ok(())
}
