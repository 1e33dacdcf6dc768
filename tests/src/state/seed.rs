//! The starting state built from a [`Scenario`].

use super::{
    Application, ArmResource, FederatedCredential, PasswordCredential, PrincipalType,
    ResourceGroup, ServicePrincipal, State, Subscription, Tenant, User,
};
use crate::scenario::{ManagedIdentitySpec, Scenario, TenantSpec, VaultSpec};
use serde_json::json;
use sha2::{Digest, Sha256};
use xtcmk::{Cloud, SubscriptionId};

/// Client secrets live at most two years by default (Entra's portal default and maximum).
const SECRET_LIFETIME_SECONDS: i64 = 2 * 365 * 24 * 3600;

/// Hex SHA-256 of a secret, the only form in which the simulator keeps one.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// `/subscriptions/{sub}/resourceGroups/{rg}/providers/{type}/{name}`.
pub fn resource_id(sub: &SubscriptionId, rg: &str, kind: &str, name: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{kind}/{name}")
}

impl State {
    /// The state a scenario describes. `cloud` supplies vault URLs.
    pub fn seed(scenario: &Scenario, cloud: &Cloud) -> State {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut state = State::default();
        for t in &scenario.tenants {
            state.tenants.push(tenant(t, now));
        }
        // Service principals of apps homed elsewhere need the app's home tenant.
        for t in &scenario.tenants {
            for sp in &t.service_principals {
                let owner = state
                    .application(&sp.app_id)
                    .map(|(home, _)| home.id)
                    .unwrap_or(t.id);
                let entry = ServicePrincipal {
                    id: sp.id,
                    app_id: sp.app_id,
                    display_name: sp.display_name.clone(),
                    service_principal_type: PrincipalType::Application,
                    app_owner_organization_id: owner,
                    directory_roles: sp.directory_roles.clone(),
                    app_roles: sp.app_roles.clone(),
                    alternative_names: Vec::new(),
                };
                if let Some(tenant) = state.tenant_mut(&t.id) {
                    tenant.service_principals.push(entry);
                }
            }
            for mi in &t.managed_identities {
                managed_identity(&mut state, t, mi);
            }
            for s in &t.subscriptions {
                for v in &s.vaults {
                    vault(&mut state, t, &s.id, v, cloud);
                }
            }
        }
        // Cosmos DB accounts after every tenant's identities and vaults, which they name.
        for t in &scenario.tenants {
            for s in &t.subscriptions {
                for c in &s.cosmos_accounts {
                    crate::arm::cosmos::accounts::seed(&mut state, t.id, s.id, c);
                }
            }
        }
        if let Some(atlas) = &scenario.atlas {
            for p in &atlas.projects {
                state
                    .atlas
                    .add_project_with_id(&p.id, &p.name, &atlas.org_id, &p.cluster_tier);
            }
            for k in &atlas.api_keys {
                let key = super::atlas::AtlasApiKey {
                    public_key: k.public_key.clone(),
                    digest_ha1: super::atlas::md5_hex(&format!(
                        "{}:{}:{}",
                        k.public_key,
                        super::atlas::DIGEST_REALM,
                        k.private_key.expose()
                    )),
                    project_roles: k.project_roles.clone(),
                };
                state.atlas.api_keys.push(key);
            }
        }
        // Role assignments last: their principals are the tenants' users and service principals, seeded above.
        for t in &scenario.tenants {
            for s in &t.subscriptions {
                for ra in &s.role_assignments {
                    if let Some((id, kind)) = t.principal(&ra.principal) {
                        crate::arm::role_assignments::assign(
                            &mut state,
                            &ra.full_scope(&s.id),
                            &ra.role,
                            &id.to_string(),
                            kind,
                        );
                    }
                }
            }
        }
        state
    }

    /// Points every vault's `vaultUri` at `cloud` (after a restart on another port).
    pub fn rebase_vault_urls(&mut self, cloud: &Cloud) {
        for r in self.resources.values_mut() {
            if r.kind.eq_ignore_ascii_case("Microsoft.KeyVault/vaults") {
                r.body["properties"]["vaultUri"] = json!(cloud.vault_url(&r.name).as_str());
            }
        }
    }
}

fn tenant(t: &TenantSpec, now: i64) -> Tenant {
    let mut tenant = Tenant {
        id: t.id,
        alias: t.alias.clone(),
        display_name: t.display_name.clone(),
        verified_domains: t.verified_domains.clone(),
        subscriptions: t
            .subscriptions
            .iter()
            .map(|s| Subscription {
                id: s.id,
                display_name: s.display_name.clone(),
                resource_groups: s
                    .resource_groups
                    .iter()
                    .map(|g| ResourceGroup {
                        name: g.name.clone(),
                        location: g.location.clone(),
                        tags: Default::default(),
                        managed_by: None,
                    })
                    .collect(),
            })
            .collect(),
        users: t
            .users
            .iter()
            .map(|u| User {
                id: u.id,
                user_principal_name: u.user_principal_name.clone(),
                display_name: u.display_name.clone(),
                directory_roles: u.directory_roles.clone(),
            })
            .collect(),
        applications: Vec::new(),
        service_principals: Vec::new(),
    };
    for a in &t.applications {
        tenant.applications.push(Application {
            id: a.id,
            app_id: a.app_id,
            display_name: a.display_name.clone(),
            sign_in_audience: a.sign_in_audience.clone(),
            unique_name: None,
            password_credentials: a
                .client_secrets
                .iter()
                .map(|s| PasswordCredential {
                    key_id: s.key_id,
                    display_name: s.display_name.clone(),
                    secret_sha256: secret_hash(s.secret_text.expose()),
                    hint: s.secret_text.expose().chars().take(3).collect(),
                    end_date_time: now + SECRET_LIFETIME_SECONDS,
                })
                .collect(),
            federated_identity_credentials: a
                .federated_identity_credentials
                .iter()
                .map(|f| FederatedCredential {
                    id: crate::scenario::derived_id(&["fic", &a.app_id.to_string(), &f.name]),
                    name: f.name.clone(),
                    issuer: f.issuer.clone(),
                    subject: f.subject.clone(),
                    audiences: f.audiences.clone(),
                    description: f.description.clone(),
                })
                .collect(),
            redirect_uris: Vec::new(),
        });
        tenant.service_principals.push(ServicePrincipal {
            id: a.service_principal_id,
            app_id: a.app_id,
            display_name: a.display_name.clone(),
            service_principal_type: PrincipalType::Application,
            app_owner_organization_id: t.id,
            directory_roles: a.directory_roles.clone(),
            app_roles: a.app_roles.clone(),
            alternative_names: Vec::new(),
        });
    }
    tenant
}

fn group_location(state: &State, sub: &SubscriptionId, rg: &str) -> String {
    state
        .subscription(&sub.to_string())
        .and_then(|(_, s)| {
            s.resource_groups
                .iter()
                .find(|g| g.name.eq_ignore_ascii_case(rg))
        })
        .map(|g| g.location.clone())
        .unwrap_or_else(|| "westeurope".into())
}

fn managed_identity(state: &mut State, t: &TenantSpec, mi: &ManagedIdentitySpec) {
    const KIND: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";
    let location = mi
        .location
        .clone()
        .unwrap_or_else(|| group_location(state, &mi.subscription, &mi.resource_group));
    let id = resource_id(&mi.subscription, &mi.resource_group, KIND, &mi.name);
    state.put_resource(ArmResource {
        id: id.clone(),
        subscription: mi.subscription,
        resource_group: mi.resource_group.clone(),
        kind: KIND.into(),
        name: mi.name.clone(),
        body: json!({
            "id": id,
            "name": mi.name,
            "type": KIND,
            "location": location,
            "tags": {},
            "properties": {
                "tenantId": t.id.to_string(),
                "principalId": mi.principal_id.to_string(),
                "clientId": mi.client_id.to_string(),
            }
        }),
    });
    if let Some(tenant) = state.tenant_mut(&t.id) {
        tenant.service_principals.push(ServicePrincipal {
            id: mi.principal_id,
            app_id: mi.client_id,
            display_name: mi.name.clone(),
            service_principal_type: PrincipalType::ManagedIdentity,
            app_owner_organization_id: t.id,
            directory_roles: Vec::new(),
            app_roles: Vec::new(),
            alternative_names: vec!["isExplicit=True".into(), id],
        });
    }
}

fn vault(state: &mut State, t: &TenantSpec, sub: &SubscriptionId, v: &VaultSpec, cloud: &Cloud) {
    const KIND: &str = "Microsoft.KeyVault/vaults";
    let location = v
        .location
        .clone()
        .unwrap_or_else(|| group_location(state, sub, &v.resource_group));
    let id = resource_id(sub, &v.resource_group, KIND, &v.name);
    let mut properties = json!({
        "tenantId": t.id.to_string(),
        "sku": { "family": "A", "name": v.sku },
        "accessPolicies": [],
        "enabledForDeployment": false,
        "enabledForDiskEncryption": false,
        "enabledForTemplateDeployment": false,
        "enableSoftDelete": v.enable_soft_delete,
        "softDeleteRetentionInDays": 90,
        "enableRbacAuthorization": v.enable_rbac_authorization,
        "vaultUri": cloud.vault_url(&v.name).as_str(),
        "provisioningState": "Succeeded",
        "publicNetworkAccess": "Enabled",
    });
    // enablePurgeProtection has no default and is absent until turned on (keyvault-mgmt 2026-02-01).
    if v.enable_purge_protection {
        properties["enablePurgeProtection"] = json!(true);
    }
    state.put_resource(ArmResource {
        id: id.clone(),
        subscription: *sub,
        resource_group: v.resource_group.clone(),
        kind: KIND.into(),
        name: v.name.clone(),
        body: json!({
            "id": id,
            "name": v.name,
            "type": KIND,
            "location": location,
            "tags": {},
            "properties": properties,
        }),
    });
}
