//! Who may change applications and service principals in Graph.
//!
//! A signed-in user is authorized by directory roles (the `wids` claim; Entra built-in roles):
//! Global, Application and Cloud Application Administrator manage every app and service
//! principal, an Application Developer may create apps, and an owner manages what it owns.
//! An app-only caller is authorized by the Graph application permissions granted to it (the
//! `roles` claim), never by `wids`: `Application.ReadWrite.All` manages every app and service
//! principal, `Application.ReadWrite.OwnedBy` creates apps (which it then owns) and manages only
//! what it owns (Graph permissions reference; application-post-applications,
//! serviceprincipal-post-serviceprincipals). Refusals are 403 `Authorization_RequestDenied`.

use crate::roles;
use crate::routes::Call;
use crate::state::Application;
use xtcmk::ObjectId;

fn has_wid(call: &Call, wanted: &[&str]) -> bool {
    let wids = &call.caller().claims.wids;
    wanted
        .iter()
        .any(|r| wids.iter().any(|w| w.eq_ignore_ascii_case(r)))
}

fn has_app_role(call: &Call, role: &str) -> bool {
    call.caller()
        .claims
        .roles
        .iter()
        .any(|r| r.eq_ignore_ascii_case(role))
}

/// A user holding an administrator role over applications.
fn user_admin(call: &Call) -> bool {
    !call.caller().is_app()
        && has_wid(
            call,
            &[
                roles::GLOBAL_ADMINISTRATOR,
                roles::APPLICATION_ADMINISTRATOR,
                roles::CLOUD_APPLICATION_ADMINISTRATOR,
            ],
        )
}

/// Manages every app and service principal of its tenant: an administrator user, or an app
/// with `Application.ReadWrite.All`.
pub fn manages_all(call: &Call) -> bool {
    if call.caller().is_app() {
        has_app_role(call, roles::APPLICATION_READWRITE_ALL)
    } else {
        user_admin(call)
    }
}

/// Whether the caller owns the application with object id `app`.
pub fn owns(call: &Call, app: &ObjectId) -> bool {
    call.caller()
        .object_id()
        .is_some_and(|me| call.state().app_owners.owners_of(app).contains(&me))
}

/// May register a new application.
pub fn can_create_app(call: &Call) -> bool {
    if call.caller().is_app() {
        has_app_role(call, roles::APPLICATION_READWRITE_ALL)
            || has_app_role(call, roles::APPLICATION_READWRITE_OWNEDBY)
    } else {
        user_admin(call) || has_wid(call, &[roles::APPLICATION_DEVELOPER])
    }
}

/// May change `app` (and its credentials): manages all, or owns it (app-only callers need
/// `Application.ReadWrite.OwnedBy` for that).
pub fn can_update_app(call: &Call, app: &Application) -> bool {
    if manages_all(call) {
        return true;
    }
    let owner = owns(call, &app.id);
    if call.caller().is_app() {
        owner && has_app_role(call, roles::APPLICATION_READWRITE_OWNEDBY)
    } else {
        owner
    }
}

/// May create (or change) the service principal of `app` in the caller's tenant: another
/// tenant's app needs an administrator (or `Application.ReadWrite.All`); an app of this tenant
/// also its owner.
pub fn can_manage_service_principal(call: &Call, app: &Application, home_tenant: bool) -> bool {
    manages_all(call) || (home_tenant && can_update_app(call, app))
}
