//! Entra ID (`login.localhost`): the token endpoint per tenant, OpenID metadata and the signing
//! keys. Errors have Entra's shape: `error`, `error_description` starting `AADSTS<code>:`,
//! `error_codes`, `timestamp`, `trace_id`, `correlation_id`.

pub mod admin_consent;
pub mod assertion;
pub mod issue;
mod metadata;
pub mod token;

use crate::reply::Reply;
use crate::routes::{Call, Caller, Route, RouteTable};
use crate::service::Service;
use crate::service_def::ServiceDef;
use serde_json::json;

pub fn def() -> ServiceDef {
    ServiceDef {
        service: Service::Login,
        routes: RouteTable::new(routes()),
        admit,
        error: |_call, status, code, message| {
            let error = if status == 429 || status >= 500 {
                "temporarily_unavailable"
            } else {
                "invalid_request"
            };
            let numeric = if status == 429 { 50196 } else { 90033 };
            entra_error(status, error, numeric, &format!("{message} ({code})"))
        },
        not_found: |call| {
            entra_error(
                404,
                "invalid_request",
                900561,
                &format!(
                    "The endpoint only accepts the routes xtcmk-sim plays; it has none for {} {}.",
                    call.method, call.path
                ),
            )
        },
        stamp: |call, reply| {
            if !reply.has_header("x-ms-request-id") {
                reply
                    .headers
                    .push(("x-ms-request-id".into(), call.request_id.clone()));
            }
            reply
                .headers
                .push(("Cache-Control".into(), "no-store, no-cache".into()));
        },
    }
}

fn routes() -> Vec<Route> {
    vec![
        // Token requests change nothing in the directory: classified as reads.
        Route::post_read("/{tenant}/oauth2/v2.0/token", token::token),
        Route::get(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            metadata::openid_configuration,
        ),
        Route::get("/discovery/v2.0/keys", metadata::keys),
        Route::get("/{tenant}/discovery/v2.0/keys", metadata::keys),
    ]
    .into_iter()
    .chain(admin_consent::routes())
    .collect()
}

fn admit(_: &Call) -> Result<Option<Caller>, Reply> {
    Ok(None)
}

/// An Entra error answer. `description` comes without the `AADSTS<code>: ` prefix and the trace
/// lines, which are added as Entra adds them.
pub fn entra_error(status: u16, error: &str, code: u32, description: &str) -> Reply {
    let trace = uuid::Uuid::new_v4().to_string();
    let correlation = uuid::Uuid::new_v4().to_string();
    let now = time::OffsetDateTime::now_utc();
    let timestamp = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    Reply::json(
        status,
        json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.localhost/error?code={code}"),
        }),
    )
    .header("x-ms-request-id", trace)
}

/// `organizations` and `common`: the multi-tenant authorities Entra accepts in place of a
/// tenant (Microsoft identity platform, "Authority"; `consumers` is for personal accounts, which
/// the simulator has none of).
pub fn is_multi_tenant_authority(reference: &str) -> bool {
    reference.eq_ignore_ascii_case("organizations") || reference.eq_ignore_ascii_case("common")
}

/// AADSTS90002: the tenant in the URL is unknown.
pub fn tenant_not_found(tenant: &str) -> Reply {
    entra_error(
        400,
        "invalid_request",
        90002,
        &format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    )
}
