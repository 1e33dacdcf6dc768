//! MongoDB Atlas Admin API v2 (`atlas.localhost`). Errors have Atlas's `ApiError` shape
//! `{"error":<status>,"errorCode","detail","reason","parameters"}`; answers carry
//! `x-request-id`. Two ways in, as Atlas has them: a programmatic API key by HTTP Digest
//! (RFC 7616, MD5, `qop=auth`, challenged with `WWW-Authenticate: Digest`), or a service account's
//! bearer token from `POST /api/oauth/token` (client credentials, HTTP Basic).
//! Digest nonces are random and not tracked: any nonce the client answers is accepted.
//! Every `/api/atlas/v2` request must accept a versioned media type
//! (`application/vnd.atlas.YYYY-MM-DD+json`), else 406 `INVALID_VERSION_DATE`.
//!
//! Encryption at rest with Azure Key Vault ([`encryption_at_rest`]) checks the settings by reaching
//! the key ([`key_check`]); private endpoints ([`private_endpoints`]) request connections on the
//! customer's vault; [`cloud_provider_access`] registers Atlas's Azure app's service principals;
//! [`events`] is the project's activity feed.

pub mod cloud_provider_access;
pub mod encryption_at_rest;
pub mod events;
mod groups;
pub mod key_check;
mod oauth;
pub mod private_endpoints;

use crate::auth::{Checked, bearer, check};
use crate::reply::Reply;
use crate::routes::{Call, Caller, Route, RouteTable};
use crate::service::Service;
use crate::service_def::ServiceDef;
use crate::state::atlas::{DIGEST_REALM, md5_hex};
use crate::tokens::Claims;
use serde_json::json;

/// The audience of the simulator's Atlas service-account tokens.
pub const ATLAS_AUDIENCE: &str = "urn:xtcmk-sim:atlas";

pub fn def() -> ServiceDef {
    ServiceDef {
        service: Service::Atlas,
        routes: RouteTable::new(routes()),
        admit,
        error: |_, status, code, message| error(status, code, message),
        not_found: |call| {
            error(
                404,
                "RESOURCE_NOT_FOUND",
                &format!(
                    "Cannot find resource {}. (xtcmk-sim has no Atlas route for {} {}; add one in tests/src/atlas/.)",
                    call.path, call.method, call.path
                ),
            )
        },
        stamp: |call, reply| {
            reply
                .headers
                .push(("x-request-id".into(), call.request_id.clone()));
            // Atlas answers in the versioned media type the request accepted.
            if matches!(reply.body, crate::reply::Body::Json(_)) {
                let media = call
                    .header("accept")
                    .filter(|a| a.starts_with("application/vnd.atlas."))
                    .unwrap_or("application/json");
                reply
                    .headers
                    .push(("Content-Type".into(), media.to_string()));
            }
        },
    }
}

fn routes() -> Vec<Route> {
    let mut routes = vec![Route::post_read("/api/oauth/token", oauth::token)];
    routes.extend(groups::routes());
    routes.extend(encryption_at_rest::routes());
    routes.extend(private_endpoints::routes());
    routes.extend(cloud_provider_access::routes());
    routes.extend(events::routes());
    routes
}

fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// Atlas's `ApiError`.
pub fn error(status: u16, code: &str, detail: &str) -> Reply {
    Reply::json(
        status,
        json!({
            "detail": detail,
            "error": status,
            "errorCode": code,
            "parameters": [],
            "reason": reason(status),
        }),
    )
}

fn unauthorized(detail: &str) -> Reply {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    error(401, "UNAUTHORIZED", detail).header(
        "WWW-Authenticate",
        format!(
            "Digest realm=\"{DIGEST_REALM}\", domain=\"\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\", stale=false"
        ),
    )
}

fn admit(call: &Call) -> Result<Option<Caller>, Reply> {
    if call.path.trim_end_matches('/') == "/api/oauth/token" {
        return Ok(None);
    }
    let caller = authenticate(call)?;
    // The Admin API v2 answers a request without a versioned Accept header with 406
    // INVALID_VERSION_DATE "Invalid accept header or version date." (observed answers of the API).
    if call.path.starts_with("/api/atlas/v2") && !versioned_accept(call) {
        return Err(error(
            406,
            "INVALID_VERSION_DATE",
            "Invalid accept header or version date.",
        ));
    }
    Ok(Some(caller))
}

/// Whether `Accept` names a versioned Atlas media type, `application/vnd.atlas.YYYY-MM-DD+json`.
fn versioned_accept(call: &Call) -> bool {
    call.header("accept").is_some_and(|accept| {
        accept.split(',').any(|media| {
            let media = media.split(';').next().unwrap_or_default().trim();
            media
                .strip_prefix("application/vnd.atlas.")
                .and_then(|rest| rest.strip_suffix("+json"))
                .is_some_and(|date| {
                    date.len() == 10
                        && date.chars().enumerate().all(|(i, c)| match i {
                            4 | 7 => c == '-',
                            _ => c.is_ascii_digit(),
                        })
                })
        })
    })
}

fn authenticate(call: &Call) -> Result<Caller, Reply> {
    let header = call.header("authorization").unwrap_or_default().trim();
    if header.len() > 7 && header[..7].eq_ignore_ascii_case("digest ") {
        return digest(call, header);
    }
    if bearer(call).is_some() {
        return match check(call) {
            Checked::Valid(claims) if claims.aud == ATLAS_AUDIENCE => {
                Ok(Caller { claims: *claims })
            }
            Checked::Refused(crate::tokens::TokenProblem::Expired { .. }) => Err(error(
                401,
                "INVALID_SERVICE_ACCOUNT_TOKEN",
                "The service account access token has expired.",
            )),
            _ => Err(error(
                401,
                "INVALID_SERVICE_ACCOUNT_TOKEN",
                "The service account access token is invalid.",
            )),
        };
    }
    Err(unauthorized("You are not authorized for this resource."))
}

/// Verifies a Digest answer against the key's stored HA1.
fn digest(call: &Call, header: &str) -> Result<Caller, Reply> {
    let refused = || unauthorized("You are not authorized for this resource.");
    let answer = digest_auth::AuthorizationHeader::parse(header).map_err(|_| refused())?;
    let key = {
        let state = call.state();
        state
            .atlas
            .api_keys
            .iter()
            .find(|k| k.public_key == answer.username)
            .cloned()
    }
    .ok_or_else(refused)?;
    let request_uri = match call.query.is_empty() {
        true => call.path.clone(),
        false => format!(
            "{}?{}",
            call.path,
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(call.query.iter())
                .finish()
        ),
    };
    if answer.uri != request_uri && answer.uri != call.path {
        return Err(refused());
    }
    let ha2 = md5_hex(&format!("{}:{}", call.method, answer.uri));
    let expected = match (&answer.qop, &answer.cnonce) {
        (Some(qop), Some(cnonce)) => md5_hex(&format!(
            "{}:{}:{:08x}:{cnonce}:{qop}:{ha2}",
            key.digest_ha1, answer.nonce, answer.nc
        )),
        _ => md5_hex(&format!("{}:{}:{ha2}", key.digest_ha1, answer.nonce)),
    };
    if answer.realm != DIGEST_REALM || !answer.response.eq_ignore_ascii_case(&expected) {
        return Err(refused());
    }
    Ok(Caller {
        claims: Claims {
            aud: ATLAS_AUDIENCE.into(),
            iss: "atlas-api-key".into(),
            sub: Some(key.public_key.clone()),
            appid: Some(key.public_key),
            idtyp: Some("app".into()),
            ..Default::default()
        },
    })
}

/// The Atlas principal of a call (API key public key or service account client id).
pub fn principal(call: &Call) -> String {
    call.caller().claims.sub.clone().unwrap_or_default()
}

/// Checks the caller holds one of `roles` on `project` (Project Owner includes every project
/// role; the operation's `x-rolesRequirements` in specs/mongodb-atlas name the role each needs).
pub fn require_role(call: &Call, project: &str, roles: &[&str]) -> Result<(), Reply> {
    use crate::state::atlas::GROUP_OWNER;
    let held = call.state().atlas.roles(&principal(call), project);
    if held
        .iter()
        .any(|r| r == GROUP_OWNER || roles.contains(&r.as_str()))
    {
        return Ok(());
    }
    // USER_UNAUTHORIZED (401): "Current user is not authorized to perform this action."
    // (Atlas Administration API Error Codes).
    Err(error(
        401,
        "USER_UNAUTHORIZED",
        "Current user is not authorized to perform this action.",
    ))
}
