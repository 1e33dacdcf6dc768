//! Issuing tokens: the claims Entra puts in user, application and managed-identity tokens.

use crate::roles;
use crate::shared::Shared;
use crate::state::{PrincipalType, ServicePrincipal, Tenant, User};
use crate::tokens::{ACCESS_TOKEN_SECONDS, Claims, REFRESH_AUDIENCE};

/// Refresh tokens of the `az` shim live 90 days (Entra's default for refresh tokens).
pub const REFRESH_TOKEN_SECONDS: i64 = 90 * 24 * 3600;

/// A signed token and when it expires (Unix seconds).
pub struct Issued {
    pub token: String,
    pub expires_on: i64,
}

fn sign(shared: &Shared, claims: Claims) -> Issued {
    let expires_on = claims.exp;
    Issued {
        token: shared.signer.sign(&claims),
        expires_on,
    }
}

/// The resource a `.default` scope names (`https://graph.localhost/.default` → `https://graph.localhost`).
/// `None` if the scope does not end in `/.default`.
pub fn resource_of_scope(scope: &str) -> Option<&str> {
    scope.strip_suffix("/.default").filter(|r| !r.is_empty())
}

/// The resource of the only non-OpenID scope of a space-separated list.
pub fn single_resource_scope(scopes: &str) -> Option<&str> {
    let mut resource_scopes = scopes
        .split_whitespace()
        .filter(|s| !["openid", "profile", "offline_access", "email"].contains(s));
    let first = resource_scopes.next()?;
    resource_scopes.next().is_none().then_some(first)
}

/// Whether Entra knows a resource (service principal) by this identifier in every tenant.
pub fn known_resource(shared: &Shared, resource: &str) -> bool {
    let c = &shared.cloud;
    [
        c.resource_manager_audience.as_str(),
        c.graph_audience.as_str(),
        c.key_vault_audience.as_str(),
        c.managed_hsm_audience.as_str(),
        c.fic_audience.as_str(),
    ]
    .iter()
    .any(|known| crate::auth::audience_matches(resource, known))
}

/// A user's access token for `resource` in `tenant`, through the public client `client_app_id`.
pub fn user_token(
    shared: &Shared,
    tenant: &Tenant,
    user: &User,
    resource: &str,
    client_app_id: &str,
) -> Issued {
    let mut wids = user.directory_roles.clone();
    wids.push(roles::USER.to_string());
    sign(
        shared,
        Claims {
            aud: resource.to_string(),
            iss: shared.issuer(&tenant.id),
            sub: Some(user.id.to_string()),
            tid: Some(tenant.id.to_string()),
            oid: Some(user.id.to_string()),
            upn: Some(user.user_principal_name.clone()),
            name: Some(user.display_name.clone()),
            appid: Some(client_app_id.to_string()),
            azp: Some(client_app_id.to_string()),
            idtyp: Some("user".into()),
            scp: Some("user_impersonation".into()),
            wids,
            ver: Some("2.0".into()),
            ..Default::default()
        }
        .timed(ACCESS_TOKEN_SECONDS),
    )
}

/// An application's (or managed identity's) access token for `resource` in `tenant`.
pub fn app_token(
    shared: &Shared,
    tenant: &Tenant,
    sp: &ServicePrincipal,
    resource: &str,
) -> Issued {
    // App roles are per resource: the Graph permissions appear only in Graph tokens.
    let roles = if crate::auth::audience_matches(resource, &shared.cloud.graph_audience) {
        sp.app_roles.clone()
    } else {
        Vec::new()
    };
    let mirid = (sp.service_principal_type == PrincipalType::ManagedIdentity)
        .then(|| {
            sp.alternative_names
                .iter()
                .find(|n| n.starts_with('/'))
                .cloned()
        })
        .flatten();
    sign(
        shared,
        Claims {
            aud: resource.to_string(),
            iss: shared.issuer(&tenant.id),
            sub: Some(sp.id.to_string()),
            tid: Some(tenant.id.to_string()),
            oid: Some(sp.id.to_string()),
            appid: Some(sp.app_id.to_string()),
            azp: Some(sp.app_id.to_string()),
            idtyp: Some("app".into()),
            wids: sp.directory_roles.clone(),
            roles,
            xms_mirid: mirid,
            ver: Some("2.0".into()),
            ..Default::default()
        }
        .timed(ACCESS_TOKEN_SECONDS),
    )
}

/// The refresh token `az login` leaves behind for `user` (home tenant `tenant`).
pub fn refresh_token(shared: &Shared, tenant: &Tenant, user: &User) -> String {
    shared.signer.sign(
        &Claims {
            aud: REFRESH_AUDIENCE.into(),
            iss: shared.issuer(&tenant.id),
            sub: Some(user.id.to_string()),
            tid: Some(tenant.id.to_string()),
            oid: Some(user.id.to_string()),
            upn: Some(user.user_principal_name.clone()),
            ..Default::default()
        }
        .timed(REFRESH_TOKEN_SECONDS),
    )
}

/// A token from an external identity provider (a CI system, Kubernetes) signed by the
/// simulator: what a workload presents as a client assertion.
pub fn federated_token(
    shared: &Shared,
    issuer: &str,
    subject: &str,
    audience: &str,
    lifetime_seconds: i64,
) -> String {
    shared.signer.sign(
        &Claims {
            aud: audience.into(),
            iss: issuer.into(),
            sub: Some(subject.into()),
            ..Default::default()
        }
        .timed(lifetime_seconds),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        assert_eq!(
            resource_of_scope("https://graph.localhost/.default"),
            Some("https://graph.localhost")
        );
        assert_eq!(
            resource_of_scope("https://management.localhost//.default"),
            Some("https://management.localhost/")
        );
        assert_eq!(resource_of_scope("https://graph.localhost/User.Read"), None);
        assert_eq!(
            single_resource_scope("https://vault.localhost/.default offline_access openid profile"),
            Some("https://vault.localhost/.default")
        );
        assert_eq!(single_resource_scope("a/.default b/.default"), None);
        assert_eq!(single_resource_scope("openid"), None);
    }
}
