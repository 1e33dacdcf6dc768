//! Who may run setup: the token's tenant, and the directory roles (or ownership of the adopted
//! app) the Graph writes of the plan need.

use crate::Refusal;
use crate::directory_roles::{APP_ADMIN_ROLES, APP_REGISTERING_ROLES, APPLICATION_DEVELOPER};
use crate::http::TokenClaims;
use crate::ops::setup::SetupSpec;

/// The names of the app-registering roles the token carries.
pub fn held_roles(claims: &TokenClaims) -> Vec<&'static str> {
    let mut held: Vec<&'static str> = APP_ADMIN_ROLES
        .iter()
        .filter(|(id, _)| claims.has_directory_role(id))
        .map(|(_, n)| *n)
        .collect();
    if claims.has_directory_role(APPLICATION_DEVELOPER) {
        held.push("Application Developer");
    }
    held
}

/// Checks the token is for `spec.tenant`.
pub fn check_tenant(spec: &SetupSpec, claims: &TokenClaims) -> Result<(), Refusal> {
    match claims.tenant_id() {
        Some(t) if t == spec.tenant => Ok(()),
        other => Err(Refusal::new(format!(
            "signed in to tenant {}, but --tenant is {}",
            other.map(|t| t.to_string()).unwrap_or_else(|| "(none)".into()),
            spec.tenant
        ))
        .hint(format!(
            "sign in to the provider tenant (az login --tenant {}) or pass the tenant you are signed in to",
            spec.tenant
        ))),
    }
}

/// Whether the principal may make the Graph writes the plan needs: create an app (any of the
/// four roles), or change an existing one (an administrator role, or ownership).
pub fn check_rights(
    claims: &TokenClaims,
    creates_app: bool,
    changes_app: bool,
    owns_app: bool,
) -> Result<(), Refusal> {
    let admin = APP_ADMIN_ROLES
        .iter()
        .any(|(id, _)| claims.has_directory_role(id));
    let developer = claims.has_directory_role(APPLICATION_DEVELOPER);
    let who = claims.display_name();
    if creates_app && !(admin || developer) {
        return Err(Refusal::new(format!(
            "{who} holds no directory role that can register applications; nothing was changed"
        ))
        .hint(format!(
            "ask a Privileged Role Administrator to assign {APP_REGISTERING_ROLES}, or have such a user run setup"
        )));
    }
    if changes_app && !(admin || owns_app) {
        let held = if developer {
            "holds Application Developer, which may only change apps it owns, and is not an owner of this app"
        } else {
            "holds no directory role that can change applications and is not an owner of this app"
        };
        return Err(Refusal::new(format!("{who} {held}; nothing was changed")).hint(
            "ask an owner of the app to add you as an owner, or have a user with Application Administrator, Cloud Application Administrator or Global Administrator run setup",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory_roles::*;

    fn claims(tid: &str, wids: &[&str]) -> TokenClaims {
        TokenClaims {
            tid: Some(tid.into()),
            upn: Some("pat@contoso.example".into()),
            wids: wids.iter().map(|w| w.to_string()).collect(),
            ..TokenClaims::default()
        }
    }

    const T: &str = "11111111-1111-4111-8111-111111111111";

    #[test]
    fn each_of_the_four_roles_may_create_an_app_and_no_role_is_told_which_would_do() {
        for role in [
            APPLICATION_DEVELOPER,
            APPLICATION_ADMINISTRATOR,
            CLOUD_APPLICATION_ADMINISTRATOR,
            GLOBAL_ADMINISTRATOR,
        ] {
            assert!(check_rights(&claims(T, &[role]), true, false, false).is_ok());
        }
        let refusal = check_rights(&claims(T, &[]), true, false, false).unwrap_err();
        assert!(refusal.hint.unwrap().contains(APP_REGISTERING_ROLES));
    }

    #[test]
    fn an_application_developer_changes_only_apps_it_owns() {
        let dev = claims(T, &[APPLICATION_DEVELOPER]);
        assert!(check_rights(&dev, false, true, true).is_ok());
        let refusal = check_rights(&dev, false, true, false).unwrap_err();
        assert!(
            refusal.message.contains("only change apps it owns"),
            "{refusal}"
        );
        assert!(
            check_rights(&claims(T, &[]), false, true, true).is_ok(),
            "owners may"
        );
        assert!(
            check_rights(&claims(T, &[]), false, false, false).is_ok(),
            "reads need nothing"
        );
    }
}
