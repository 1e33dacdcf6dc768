//! The admin-consent endpoint: `GET /{tenant}/adminconsent?client_id=…[&redirect_uri=…]`
//! (Microsoft identity platform, "admin consent" endpoint). A consenting administrator installs
//! the app's service principal in the tenant, and Entra redirects to the app's reply URL with
//! `admin_consent=True&tenant=…`.
//!
//! There is no browser here: the signed-in administrator is named by `login_hint` (an OAuth
//! parameter Entra accepts on sign-in pages); without it the simulator answers as a sign-in page
//! would not be able to, with AADSTS50058 (no signed-in user).
//!
//! The tenant is an id, a verified domain, or `organizations` / `common`: then the consenting
//! administrator's home tenant (the admin-consent endpoint documents `organizations` for
//! multi-tenant apps; DESIGN.md §3 consent URL).
//!
//! Entra's rules kept here: an unknown app → AADSTS700016; an app with no reply URL registered →
//! AADSTS500113; a `redirect_uri` that is not registered → AADSTS50011; a user without an
//! administrator role → AADSTS90094 (admin approval required).

use super::{entra_error, tenant_not_found};
use crate::graph::service_principals;
use crate::reply::Reply;
use crate::roles;
use crate::routes::{Call, Route};
use xtcmk::AppId;

pub fn routes() -> Vec<Route> {
    // Consent installs a service principal: a write.
    vec![Route::new(
        http::Method::GET,
        "/{tenant}/adminconsent",
        crate::routes::Kind::Write,
        consent,
    )]
}

fn no_signed_in_user() -> Reply {
    entra_error(
        400,
        "interaction_required",
        50058,
        "A silent sign-in request was sent but no user is signed in. (xtcmk-sim: name the consenting administrator with login_hint=<upn>.)",
    )
}

fn consent(call: &Call) -> Reply {
    let tenant_ref = call.param("tenant").to_string();
    let resolved = if super::is_multi_tenant_authority(&tenant_ref) {
        call.query("login_hint")
            .and_then(|upn| call.state().user_by_upn(upn).map(|(t, _)| t.id))
    } else {
        call.state().tenant_by_entra_ref(&tenant_ref).map(|t| t.id)
    };
    let Some(tenant) = resolved else {
        if super::is_multi_tenant_authority(&tenant_ref) {
            return no_signed_in_user();
        }
        return tenant_not_found(&tenant_ref);
    };
    let client_id = call.query("client_id").unwrap_or_default().to_string();
    let app = client_id.parse::<AppId>().ok().and_then(|a| {
        call.state()
            .application(&a)
            .map(|(home, app)| (home.id, app.clone()))
    });
    let Some((home, app)) = app else {
        return entra_error(
            400,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        );
    };
    if app.redirect_uris.is_empty() {
        return entra_error(
            400,
            "invalid_request",
            500113,
            "No reply address is registered for the application.",
        );
    }
    let redirect = match call.query("redirect_uri") {
        Some(r) if !app.redirect_uris.iter().any(|u| u == r) => {
            return entra_error(
                400,
                "invalid_request",
                50011,
                &format!(
                    "The redirect URI '{r}' specified in the request does not match the redirect URIs configured for the application '{client_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal."
                ),
            );
        }
        Some(r) => r.to_string(),
        None => app.redirect_uris[0].clone(),
    };
    let Some(upn) = call.query("login_hint").map(str::to_string) else {
        return no_signed_in_user();
    };
    let admin = call.state().tenant(&tenant).and_then(|t| {
        t.users
            .iter()
            .find(|u| u.user_principal_name.eq_ignore_ascii_case(&upn))
            .map(|u| {
                u.directory_roles.iter().any(|r| {
                    [
                        roles::GLOBAL_ADMINISTRATOR,
                        roles::APPLICATION_ADMINISTRATOR,
                        roles::CLOUD_APPLICATION_ADMINISTRATOR,
                    ]
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(r))
                })
            })
    });
    match admin {
        None => {
            return entra_error(
                400,
                "invalid_grant",
                50034,
                &format!("The user account {upn} does not exist in the {tenant} directory."),
            );
        }
        Some(false) => {
            return entra_error(
                403,
                "access_denied",
                90094,
                "The grant requires admin permission.",
            );
        }
        Some(true) => {}
    }
    if home != tenant && app.sign_in_audience == "AzureADMyOrg" {
        return entra_error(
            400,
            "invalid_request",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. The application is single-tenant."
            ),
        );
    }
    let existing = call
        .state()
        .service_principal(&tenant, &app.app_id)
        .is_some();
    if !existing {
        let sp = {
            let mut state = call.state();
            service_principals::add(
                &mut state,
                &tenant,
                app.app_id,
                home,
                app.display_name.clone(),
            )
        };
        if let Some(sp) = sp {
            service_principals::created(call, &tenant, &sp);
        }
    }
    let sep = if redirect.contains('?') { '&' } else { '?' };
    Reply::empty(302).header(
        "Location",
        format!("{redirect}{sep}admin_consent=True&tenant={tenant}"),
    )
}
