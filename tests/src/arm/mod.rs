//! Azure Resource Manager (`management.localhost`). Errors have ARM's shape
//! `{"error":{"code","message"}}`; answers carry `x-ms-request-id` and
//! `x-ms-correlation-request-id`. Path segments compare case-insensitively.

pub mod api_versions;
pub mod cosmos;
mod deployments;
pub mod keys;
mod metadata;
pub mod models;
pub mod operations;
pub mod permissions;
pub mod private_endpoint_connections;
mod resource_groups;
pub mod role_assignments;
pub mod role_definitions;
mod subscription_list;
mod subscriptions;
pub mod user_assigned_identities;
pub mod vaults;

use crate::auth::{Checked, audience_matches, check, utc};
use crate::reply::Reply;
use crate::routes::{Call, Caller, Route, RouteTable};
use crate::service::Service;
use crate::service_def::ServiceDef;
use crate::state::{State, Subscription, Tenant};
use crate::tokens::TokenProblem;
use serde_json::json;

pub fn def() -> ServiceDef {
    ServiceDef {
        service: Service::Arm,
        routes: RouteTable::new(routes()),
        admit,
        error: |_, status, code, message| error(status, code, message),
        not_found: |call| {
            error(
                404,
                "NotFound",
                &format!(
                    "xtcmk-sim has no Resource Manager route for {} {} (add one in tests/src/arm/).",
                    call.method, call.path
                ),
            )
        },
        stamp: |call, reply| {
            let correlation = call
                .header("x-ms-correlation-request-id")
                .map(str::to_string)
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            reply
                .headers
                .push(("x-ms-request-id".into(), call.request_id.clone()));
            reply
                .headers
                .push(("x-ms-correlation-request-id".into(), correlation));
        },
    }
}

fn routes() -> Vec<Route> {
    let mut routes = subscriptions::routes();
    routes.extend(resource_groups::routes());
    routes.extend(deployments::routes());
    routes.extend(vaults::routes());
    routes.extend(keys::routes());
    routes.extend(private_endpoint_connections::routes());
    routes.extend(role_assignments::routes());
    routes.extend(role_definitions::routes());
    routes.extend(permissions::routes());
    routes.extend(user_assigned_identities::routes());
    routes.extend(subscription_list::routes());
    routes.extend(metadata::routes());
    routes.extend(cosmos::routes());
    routes
}

/// `{"error":{"code","message"}}` with `status`.
pub fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        json!({ "error": { "code": code, "message": message } }),
    )
}

fn unauthorized(call: &Call, code: &str, message: &str) -> Reply {
    error(401, code, message).header(
        "WWW-Authenticate",
        format!(
            "Bearer authorization_uri=\"{}\", error=\"invalid_token\", error_description=\"{}\"",
            call.sim.login_url(),
            message.replace('"', "'")
        ),
    )
}

/// ARM's token check: signature and lifetime, the ARM audience, and for `/subscriptions/{id}/…`
/// the subscription's tenant; then the required `api-version`.
fn admit(call: &Call) -> Result<Option<Caller>, Reply> {
    // The cloud's metadata is public: `az cloud register` reads it before any sign-in.
    if call
        .path
        .trim_end_matches('/')
        .eq_ignore_ascii_case("/metadata/endpoints")
    {
        check_api_version(call)?;
        return Ok(None);
    }
    let claims = match check(call) {
        Checked::Missing => {
            return Err(unauthorized(
                call,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            ));
        }
        Checked::Refused(TokenProblem::Expired { exp }) => {
            return Err(unauthorized(
                call,
                "ExpiredAuthenticationToken",
                &format!(
                    "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                    utc(exp),
                    utc(crate::tokens::now())
                ),
            ));
        }
        Checked::Refused(TokenProblem::Signature) => {
            return Err(unauthorized(
                call,
                "InvalidAuthenticationToken",
                "The access token is invalid: its signature could not be verified.",
            ));
        }
        Checked::Refused(_) => {
            return Err(unauthorized(
                call,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
            ));
        }
        Checked::Valid(claims) => claims,
    };
    let audience = &call.sim.cloud.resource_manager_audience;
    if !audience_matches(&claims.aud, audience) {
        let bare = audience.trim_end_matches('/');
        return Err(unauthorized(
            call,
            "InvalidAuthenticationTokenAudience",
            &format!(
                "The access token has been obtained for wrong audience or resource '{}'. It should exactly match with one of the allowed audiences '{bare}/','{bare}'.",
                claims.aud
            ),
        ));
    }
    let mut segments = call.path.trim_start_matches('/').split('/');
    if segments
        .next()
        .is_some_and(|s| s.eq_ignore_ascii_case("subscriptions"))
        && let Some(sub) = segments.next()
    {
        let state = call.state();
        if let Some((tenant, _)) = state.subscription(sub)
            && claims.tid.as_deref() != Some(tenant.id.to_string().as_str())
        {
            let expected = call.sim.issuer(&tenant.id);
            return Err(unauthorized(
                call,
                "InvalidAuthenticationTokenTenant",
                &format!(
                    "The access token is from the wrong issuer '{}'. It must match the tenant '{expected}' associated with this subscription. Please use the authority (URL) '{}{}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.",
                    claims.iss,
                    call.sim.login_url(),
                    tenant.id
                ),
            ));
        }
    }
    check_api_version(call)?;
    Ok(Some(Caller { claims: *claims }))
}

/// Every ARM request names its api-version (ARM RPC: MissingApiVersionParameter), and one the
/// resource type accepts ([`api_versions`]).
fn check_api_version(call: &Call) -> Result<(), Reply> {
    let Some(version) = call.query("api-version").filter(|v| !v.is_empty()) else {
        return Err(error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    match api_versions::check(&call.path, version, &request_location(call)) {
        Some(refused) => Err(refused),
        None => Ok(()),
    }
}

/// The region ARM routes a request to: a `locations/{l}` segment, else the resource group's
/// location, else `global`.
fn request_location(call: &Call) -> String {
    let segments: Vec<&str> = call.path.trim_matches('/').split('/').collect();
    let after = |name: &str| {
        segments
            .iter()
            .position(|s| s.eq_ignore_ascii_case(name))
            .and_then(|i| segments.get(i + 1))
            .map(|s| s.to_string())
    };
    if let Some(location) = after("locations") {
        return location;
    }
    if let (Some(sub), Some(rg)) = (after("subscriptions"), after("resourcegroups")) {
        let state = call.state();
        if let Some(location) = state.subscription(&sub).and_then(|(_, s)| {
            s.resource_groups
                .iter()
                .find(|g| g.name.eq_ignore_ascii_case(&rg))
                .map(|g| g.location.clone())
        }) {
            return location;
        }
    }
    "global".into()
}

/// The resource id a request addresses, as written in its path (ARM authorizes and names this
/// scope in `AuthorizationFailed`).
pub fn path_scope(call: &Call) -> String {
    call.path.trim_end_matches('/').to_string()
}

/// The subscription of the path must exist, then the caller needs `action` at `scope`.
pub fn authorize(call: &Call, scope: &str, action: &str) -> Result<(), Reply> {
    {
        let state = call.state();
        subscription(&state, call)?;
    }
    permissions::require(call, scope, action)
}

/// The subscription of the `sub` path capture, or ARM's `SubscriptionNotFound`.
pub fn subscription<'s>(
    state: &'s State,
    call: &Call,
) -> Result<(&'s Tenant, &'s Subscription), Reply> {
    let id = call.param("sub");
    state.subscription(id).ok_or_else(|| {
        error(
            404,
            "SubscriptionNotFound",
            &format!("The subscription '{id}' could not be found."),
        )
    })
}

/// `ResourceGroupNotFound` for the `rg` path capture.
pub fn resource_group_not_found(call: &Call) -> Reply {
    error(
        404,
        "ResourceGroupNotFound",
        &format!("Resource group '{}' could not be found.", call.param("rg")),
    )
}

/// The key replication rules use for a resource group.
pub fn resource_group_key(sub: &str, rg: &str) -> String {
    format!("{sub}/{rg}").to_ascii_lowercase()
}
