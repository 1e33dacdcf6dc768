//! `POST /api/oauth/token`: a service account's client credentials (HTTP Basic) for an access
//! token (Atlas service accounts, OAuth 2.0 client credentials grant).

use super::{ATLAS_AUDIENCE, error};
use crate::reply::Reply;
use crate::routes::Call;
use crate::state::secret_hash;
use crate::tokens::{ACCESS_TOKEN_SECONDS, Claims};
use base64::Engine;
use serde_json::json;

pub fn token(call: &Call) -> Reply {
    let invalid = || error(401, "INVALID_CLIENT", "The client credentials are invalid.");
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&call.body)
        .into_owned()
        .collect();
    if !form
        .iter()
        .any(|(k, v)| k == "grant_type" && v == "client_credentials")
    {
        return error(
            400,
            "UNSUPPORTED_GRANT_TYPE",
            "grant_type must be client_credentials.",
        );
    }
    let Some((id, secret)) = call
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
    else {
        return invalid();
    };
    let known = call
        .state()
        .atlas
        .service_accounts
        .iter()
        .any(|a| a.client_id == id && a.secret_sha256 == secret_hash(&secret));
    if !known {
        return invalid();
    }
    let claims = Claims {
        aud: ATLAS_AUDIENCE.into(),
        iss: call.origin(),
        sub: Some(id.clone()),
        appid: Some(id),
        idtyp: Some("app".into()),
        ..Default::default()
    }
    .timed(ACCESS_TOKEN_SECONDS);
    Reply::ok(json!({
        "access_token": call.sim.signer.sign(&claims),
        "expires_in": ACCESS_TOKEN_SECONDS,
        "token_type": "Bearer",
    }))
}
