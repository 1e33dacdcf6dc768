//! OpenID Connect metadata and the signing keys (JWKS).

use super::tenant_not_found;
use crate::reply::Reply;
use crate::routes::Call;
use serde_json::json;

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`: for a tenant id or verified domain,
/// the tenant's endpoints and issuer; for `organizations` / `common`, the same endpoints under
/// that authority and the issuer template `…/{tenantid}/v2.0` (as login.microsoftonline.com
/// publishes it). Every URL carries the host and port the client used (its `Host` header), so
/// a client that reached the simulator on another port than the profile's still follows it.
pub fn openid_configuration(call: &Call) -> Reply {
    let reference = call.param("tenant");
    let state = call.state();
    let (id, issuer) = if super::is_multi_tenant_authority(reference) {
        (
            reference.to_ascii_lowercase(),
            format!("{}/{{tenantid}}/v2.0", call.origin()),
        )
    } else {
        let Some(tenant) = state.tenant_by_entra_ref(reference) else {
            return tenant_not_found(reference);
        };
        (
            tenant.id.to_string(),
            format!("{}/{}/v2.0", call.origin(), tenant.id),
        )
    };
    let login = format!("{}/", call.origin());
    Reply::ok(json!({
        "token_endpoint": format!("{login}{id}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{login}{id}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{login}{id}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{login}{id}/oauth2/v2.0/devicecode"),
        "end_session_endpoint": format!("{login}{id}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "upn", "appid", "azp", "idtyp", "wids", "name"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "localhost",
        "msgraph_host": crate::service::GRAPH_HOST,
    }))
}

/// `GET /discovery/v2.0/keys`.
pub fn keys(call: &Call) -> Reply {
    Reply::ok(call.sim.signer.jwks())
}
