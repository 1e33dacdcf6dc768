//! Microsoft Graph v1.0 (`graph.localhost`). Errors have Graph's shape
//! `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`;
//! answers carry `request-id` and `client-request-id`. Data is the token's tenant's.

pub mod applications;
pub mod authz;
mod directory;
pub mod federated_credentials;
pub mod filter;
pub mod models;
pub mod passwords;
pub mod service_principals;

use crate::auth::{Checked, audience_matches, check};
use crate::reply::Reply;
use crate::routes::{Call, Caller, Route, RouteTable};
use crate::service::Service;
use crate::service_def::ServiceDef;
use crate::tokens::TokenProblem;
use serde_json::json;

pub fn def() -> ServiceDef {
    ServiceDef {
        service: Service::Graph,
        routes: RouteTable::new(routes()),
        admit,
        error,
        not_found,
        stamp: |call, reply| {
            reply
                .headers
                .push(("request-id".into(), call.request_id.clone()));
            reply
                .headers
                .push(("client-request-id".into(), client_request_id(call)));
        },
    }
}

fn routes() -> Vec<Route> {
    let mut routes = directory::routes();
    routes.extend(applications::routes());
    routes.extend(federated_credentials::routes());
    routes.extend(passwords::routes());
    routes.extend(service_principals::routes());
    routes
}

fn client_request_id(call: &Call) -> String {
    call.header("client-request-id")
        .map(str::to_string)
        .unwrap_or_else(|| call.request_id.clone())
}

/// A Graph error answer.
pub fn error(call: &Call, status: u16, code: &str, message: &str) -> Reply {
    let date = crate::auth::utc(crate::tokens::now());
    Reply::json(
        status,
        json!({
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": date.trim_end_matches('Z'),
                    "request-id": call.request_id,
                    "client-request-id": client_request_id(call),
                }
            }
        }),
    )
}

/// Graph answers an unknown path segment with 400 `BadRequest` (and an unknown version likewise).
fn not_found(call: &Call) -> Reply {
    let mut segments = call.path.trim_start_matches('/').split('/');
    let version = segments.next().unwrap_or_default();
    if version != "v1.0" {
        return error(
            call,
            400,
            "BadRequest",
            &format!("Invalid version: {version}"),
        );
    }
    let segment = segments.next().unwrap_or_default();
    error(
        call,
        400,
        "BadRequest",
        &format!(
            "Resource not found for the segment '{segment}'. (xtcmk-sim has no Graph route for {} {}; add one in tests/src/graph/.)",
            call.method, call.path
        ),
    )
}

fn unauthorized(call: &Call, message: &str) -> Reply {
    error(call, 401, "InvalidAuthenticationToken", message).header(
        "WWW-Authenticate",
        format!(
            "Bearer realm=\"\", authorization_uri=\"{}common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
            call.sim.login_url()
        ),
    )
}

/// Graph's token check: signature, lifetime and the Graph audience.
fn admit(call: &Call) -> Result<Option<Caller>, Reply> {
    let claims = match check(call) {
        Checked::Missing => return Err(unauthorized(call, "Access token is empty.")),
        Checked::Refused(TokenProblem::Expired { .. }) => {
            return Err(unauthorized(
                call,
                "Lifetime validation failed, the token is expired.",
            ));
        }
        Checked::Refused(TokenProblem::Signature) => {
            return Err(unauthorized(
                call,
                "Access token validation failure. Invalid signature.",
            ));
        }
        Checked::Refused(_) => {
            return Err(unauthorized(call, "Access token validation failure."));
        }
        Checked::Valid(claims) => claims,
    };
    if !audience_matches(&claims.aud, &call.sim.cloud.graph_audience) {
        return Err(unauthorized(
            call,
            "Access token validation failure. Invalid audience.",
        ));
    }
    Ok(Some(Caller { claims: *claims }))
}
