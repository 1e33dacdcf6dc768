//! Every read setup needs, and every refusal it can make, before the first write: the token's
//! tenant, the signed-in principal's directory roles (or ownership of the adopted app), the app,
//! the resource group and UAMI, and the app's federated credentials.

use super::credential::{self, CredentialPlan};
use super::{Session, SetupSpec, app, identity};
use crate::http::TokenClaims;
use crate::{ObjectId, Refusal};

/// Directory role template ids (token claim `wids`) that may register applications
/// (learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
pub const APPLICATION_ADMINISTRATOR: &str = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3";
pub const CLOUD_APPLICATION_ADMINISTRATOR: &str = "158c047a-c907-4556-b7ef-446551a6b5f7";
pub const APPLICATION_DEVELOPER: &str = "cf1c38e5-3621-4004-a7cb-879624dced7c";

/// Roles that may change any app (an Application Developer may only change apps it owns).
const ADMIN_ROLES: [(&str, &str); 3] = [
    (APPLICATION_ADMINISTRATOR, "Application Administrator"),
    (
        CLOUD_APPLICATION_ADMINISTRATOR,
        "Cloud Application Administrator",
    ),
    (GLOBAL_ADMINISTRATOR, "Global Administrator"),
];

/// The roles that would do, for messages.
pub const ROLES_THAT_WOULD_DO: &str = "Application Developer (least privilege), Application Administrator, Cloud Application Administrator or Global Administrator";

/// What preflight found and decided.
#[derive(Debug, Clone)]
pub struct Plan {
    pub signed_in_as: String,
    pub app: app::AppPlan,
    pub identity: identity::IdentityPlan,
    pub credential: Option<CredentialPlan>,
    pub warnings: Vec<String>,
}

/// The names of the app-registering roles the token carries.
pub fn held_roles(claims: &TokenClaims) -> Vec<&'static str> {
    let mut held: Vec<&'static str> = ADMIN_ROLES
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
    let admin = ADMIN_ROLES
        .iter()
        .any(|(id, _)| claims.has_directory_role(id));
    let developer = claims.has_directory_role(APPLICATION_DEVELOPER);
    let who = claims.display_name();
    if creates_app && !(admin || developer) {
        return Err(Refusal::new(format!(
            "{who} holds no directory role that can register applications; nothing was changed"
        ))
        .hint(format!(
            "ask a Privileged Role Administrator to assign {ROLES_THAT_WOULD_DO}, or have such a user run setup"
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

/// Reads everything and decides every step; refuses before any write.
pub async fn run(session: &Session, spec: &SetupSpec) -> anyhow::Result<Plan> {
    let claims = session.claims(&spec.tenant).await?;
    check_tenant(spec, &claims)?;
    let roles = held_roles(&claims);
    let signed_in_as = if roles.is_empty() {
        format!(
            "{} (no app-registering directory role)",
            claims.display_name()
        )
    } else {
        format!("{} ({})", claims.display_name(), roles.join(", "))
    };

    let app = app::plan(session, spec).await?;
    let identity = identity::plan(session, spec).await?;
    let mut warnings = Vec::new();
    let credential = match &app.found {
        Some(found) => {
            let existing = session.graph.federated_credentials(&found.id).await?;
            let principal = identity.found.as_ref().map(|i| i.properties.principal_id);
            let plan = credential::plan(session, spec, &existing, principal).await?;
            warnings.extend(credential::near_miss_warnings(
                session.cloud(),
                spec,
                &existing,
                principal,
            ));
            Some(plan)
        }
        None => None,
    };

    let creates_app = app.found.is_none();
    let changes_app = app.changes.any()
        || matches!(
            credential,
            Some(CredentialPlan::Create) | Some(CredentialPlan::Fix(_))
        );
    let owns_app = match (&app.found, claims.object_id()) {
        (Some(found), Some(me)) if changes_app && !creates_app => {
            owns(session, &found.id, &me).await?
        }
        _ => false,
    };
    check_rights(&claims, creates_app, changes_app && !creates_app, owns_app)?;
    Ok(Plan {
        signed_in_as,
        app,
        identity,
        credential,
        warnings,
    })
}

async fn owns(session: &Session, app: &ObjectId, me: &ObjectId) -> anyhow::Result<bool> {
    Ok(session
        .graph
        .application_owners(app)
        .await?
        .iter()
        .any(|o| o.id == *me))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(refusal.hint.unwrap().contains(ROLES_THAT_WOULD_DO));
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
