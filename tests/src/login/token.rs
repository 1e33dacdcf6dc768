//! `POST /{tenant}/oauth2/v2.0/token`: client credentials (secret or assertion) and the refresh
//! token grant the `az` shim uses.

use super::assertion::{self, ASSERTION_TYPE};
use super::issue::{self, Issued};
use super::{entra_error, tenant_not_found};
use crate::reply::Reply;
use crate::roles::AZURE_CLI_APP_ID;
use crate::routes::Call;
use crate::state::{Application, ServicePrincipal, State, Tenant, secret_hash};
use crate::tokens::REFRESH_AUDIENCE;
use serde_json::json;
use std::collections::HashMap;
use xtcmk::AppId;

/// `POST /{tenant}/oauth2/v2.0/token`. The tenant is an id, a verified domain, or the
/// `organizations` / `common` authority (Microsoft identity platform, "Authority"): a user's
/// refresh token then works in the user's home tenant, a client-credentials request in the
/// app's home tenant — except for a single-tenant app, which Entra refuses there with
/// AADSTS50194 (UvA-FNWI/M365-IMAP#9).
pub fn token(call: &Call) -> Reply {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&call.body)
        .into_owned()
        .collect();
    let state = call.state();
    let reference = call.param("tenant");
    let tenant = if super::is_multi_tenant_authority(reference) {
        match authority_tenant(&state, call, &form) {
            Ok(t) => t,
            Err(reply) => return reply,
        }
    } else {
        match state.tenant_by_entra_ref(reference) {
            Some(t) => t,
            None => return tenant_not_found(reference),
        }
    };
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => client_credentials(call, &state, tenant, &form),
        Some("refresh_token") => refresh(call, tenant, &form),
        Some(other) => entra_error(
            400,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
        None => missing("grant_type"),
    }
}

/// The tenant a request to `organizations` / `common` is served in.
fn authority_tenant<'s>(
    state: &'s State,
    call: &Call,
    form: &HashMap<String, String>,
) -> Result<&'s Tenant, Reply> {
    let unknown = || tenant_not_found(call.param("tenant"));
    match form.get("grant_type").map(String::as_str) {
        Some("refresh_token") => {
            let home = form
                .get("refresh_token")
                .and_then(|t| call.sim.signer.verify(t).ok())
                .and_then(|c| c.tid)
                .and_then(|t| t.parse().ok())
                .and_then(|t| state.tenant(&t));
            home.ok_or_else(unknown)
        }
        _ => {
            let client_id = form.get("client_id").cloned().unwrap_or_default();
            let app = client_id
                .parse::<AppId>()
                .ok()
                .and_then(|id| state.application(&id));
            match app {
                Some((_, app)) if app.sign_in_audience == "AzureADMyOrg" => Err(entra_error(
                    400,
                    "invalid_request",
                    50194,
                    &format!(
                        "Application '{client_id}'({}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.",
                        app.display_name
                    ),
                )),
                Some((home, _)) => Ok(home),
                None => Err(unknown()),
            }
        }
    }
}

fn missing(parameter: &str) -> Reply {
    entra_error(
        400,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{parameter}'."),
    )
}

/// The resource of the request's one `.default` scope, known to Entra.
fn resource(call: &Call, tenant: &Tenant, form: &HashMap<String, String>) -> Result<String, Reply> {
    let Some(scope) = form.get("scope") else {
        return Err(missing("scope"));
    };
    let resource = issue::single_resource_scope(scope)
        .and_then(issue::resource_of_scope)
        .ok_or_else(|| {
            entra_error(
                400,
                "invalid_scope",
                1002012,
                &format!(
                    "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                ),
            )
        })?;
    if !issue::known_resource(&call.sim, resource) {
        return Err(entra_error(
            400,
            "invalid_resource",
            500011,
            &format!(
                "The resource principal named {resource} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
                tenant.display_name
            ),
        ));
    }
    Ok(resource.to_string())
}

fn not_in_directory(client_id: &str, tenant: &Tenant) -> Reply {
    entra_error(
        400,
        "unauthorized_client",
        700016,
        &format!(
            "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
            tenant.display_name
        ),
    )
}

/// The app registration `client_id` and its service principal in `tenant`: an app signs in to a
/// tenant only through its service principal there (AADSTS700016 otherwise).
pub fn app_in_tenant<'s>(
    state: &'s State,
    tenant: &Tenant,
    client_id: &str,
) -> Result<(&'s Application, &'s ServicePrincipal), Reply> {
    let app = client_id
        .parse::<AppId>()
        .ok()
        .and_then(|id| state.application(&id))
        .map(|(_, app)| app)
        .ok_or_else(|| not_in_directory(client_id, tenant))?;
    let sp = state
        .service_principal(&tenant.id, &app.app_id)
        .ok_or_else(|| not_in_directory(client_id, tenant))?;
    Ok((app, sp))
}

fn granted(issued: Issued, refresh_token: Option<&str>) -> Reply {
    let lifetime = issued.expires_on - crate::tokens::now();
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": issued.token,
    });
    if let Some(rt) = refresh_token {
        body["refresh_token"] = json!(rt);
        body["scope"] = json!("user_impersonation");
    }
    Reply::ok(body)
}

fn client_credentials(
    call: &Call,
    state: &State,
    tenant: &Tenant,
    form: &HashMap<String, String>,
) -> Reply {
    let Some(client_id) = form.get("client_id") else {
        return missing("client_id");
    };
    let resource = match resource(call, tenant, form) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let (app, sp) = match app_in_tenant(state, tenant, client_id) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let app_id = app.app_id;
    if let Some(secret) = form.get("client_secret") {
        let hash = secret_hash(secret);
        let now = crate::tokens::now();
        let known = app
            .password_credentials
            .iter()
            .filter(|p| p.secret_sha256 == hash)
            .collect::<Vec<_>>();
        // The right secret past its end date: AADSTS7000222 (dotnet/sign#849).
        if !known.is_empty() && known.iter().all(|p| p.end_date_time <= now) {
            return entra_error(
                401,
                "invalid_client",
                7000222,
                &format!(
                    "The provided client secret keys for app '{app_id}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."
                ),
            );
        }
        if known.is_empty() {
            return entra_error(
                401,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app_id}'."
                ),
            );
        }
    } else if let Some(token) = form.get("client_assertion") {
        if form.get("client_assertion_type").map(String::as_str) != Some(ASSERTION_TYPE) {
            return missing("client_assertion_type");
        }
        if let Err(reply) = assertion::check(&call.sim, app, token) {
            return reply;
        }
    } else {
        return entra_error(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    }
    granted(issue::app_token(&call.sim, tenant, sp, &resource), None)
}

/// The refresh grant of the Azure CLI (public client): the user must be a member of the tenant
/// asked for.
fn refresh(call: &Call, tenant: &Tenant, form: &HashMap<String, String>) -> Reply {
    if form.get("client_id").map(String::as_str) != Some(AZURE_CLI_APP_ID) {
        return entra_error(
            400,
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed (the simulator's refresh tokens belong to the Azure CLI client).",
        );
    }
    let Some(refresh_token) = form.get("refresh_token") else {
        return missing("refresh_token");
    };
    let expired = || {
        entra_error(
            400,
            "invalid_grant",
            700082,
            "The refresh token has expired due to inactivity (or was issued by an earlier run of the simulator). Sign in again with `az login`.",
        )
    };
    let Ok(claims) = call.sim.signer.verify(refresh_token) else {
        return expired();
    };
    if claims.aud != REFRESH_AUDIENCE {
        return expired();
    }
    let resource = match resource(call, tenant, form) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let oid = claims.oid.unwrap_or_default();
    let home = claims.tid.unwrap_or_default();
    let Some(user) = tenant.users.iter().find(|u| u.id.to_string() == oid) else {
        let upn = claims.upn.unwrap_or_default();
        return entra_error(
            400,
            "invalid_grant",
            50020,
            &format!(
                "User account '{upn}' from identity provider '{}{home}/v2.0' does not exist in tenant '{}' and cannot access the application '{AZURE_CLI_APP_ID}'(Microsoft Azure CLI) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.",
                call.sim.login_url(),
                tenant.display_name
            ),
        );
    };
    granted(
        issue::user_token(&call.sim, tenant, user, &resource, AZURE_CLI_APP_ID),
        Some(refresh_token),
    )
}
