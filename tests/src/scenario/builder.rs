//! Building a [`Scenario`] in code. Ids not given explicitly are derived from the names (UUID v5),
//! so the same builder calls give the same ids on every run.

use super::{
    ApplicationSpec, ClientSecretSpec, CosmosAccountSpec, FederatedCredentialSpec,
    ManagedIdentitySpec, ResourceGroupSpec, RoleAssignmentSpec, Scenario, ServicePrincipalSpec,
    SubscriptionSpec, TenantSpec, UserSpec, VaultSpec, derived_id,
};
use xtcmk::{AppId, InputError, ObjectId, Secret, SubscriptionId, TenantId};

/// Builds a [`Scenario`]; [`ScenarioBuilder::build`] checks it like a loaded file.
#[derive(Debug, Default)]
pub struct ScenarioBuilder {
    tenants: Vec<TenantSpec>,
    atlas: Option<super::AtlasSpec>,
}

impl ScenarioBuilder {
    /// Adds a tenant with its default verified domain.
    pub fn tenant(
        mut self,
        alias: &str,
        display_name: &str,
        domain: &str,
        f: impl FnOnce(TenantBuilder) -> TenantBuilder,
    ) -> Self {
        let spec = TenantSpec {
            alias: alias.into(),
            id: TenantId::from_uuid(derived_id(&["tenant", alias])),
            display_name: display_name.into(),
            verified_domains: vec![domain.into()],
            subscriptions: Vec::new(),
            users: Vec::new(),
            applications: Vec::new(),
            service_principals: Vec::new(),
            managed_identities: Vec::new(),
        };
        self.tenants.push(f(TenantBuilder { spec }).spec);
        self
    }

    /// The Atlas organization.
    pub fn atlas(mut self, atlas: super::AtlasSpec) -> Self {
        self.atlas = Some(atlas);
        self
    }

    pub fn build(self) -> Result<Scenario, InputError> {
        let scenario = Scenario {
            tenants: self.tenants,
            atlas: self.atlas,
        };
        scenario.validate()?;
        Ok(scenario)
    }
}

/// One tenant under construction.
#[derive(Debug)]
pub struct TenantBuilder {
    spec: TenantSpec,
}

impl TenantBuilder {
    pub fn id(mut self, id: TenantId) -> Self {
        self.spec.id = id;
        self
    }

    /// Another verified domain.
    pub fn domain(mut self, domain: &str) -> Self {
        self.spec.verified_domains.push(domain.into());
        self
    }

    pub fn subscription(
        mut self,
        display_name: &str,
        f: impl FnOnce(SubscriptionBuilder) -> SubscriptionBuilder,
    ) -> Self {
        let spec = SubscriptionSpec {
            id: SubscriptionId::from_uuid(derived_id(&[
                "subscription",
                &self.spec.alias,
                display_name,
            ])),
            display_name: display_name.into(),
            resource_groups: Vec::new(),
            vaults: Vec::new(),
            role_assignments: Vec::new(),
            cosmos_accounts: Vec::new(),
        };
        self.spec
            .subscriptions
            .push(f(SubscriptionBuilder { spec }).spec);
        self
    }

    /// A user with these directory role template ids (see [`crate::roles`]).
    pub fn user(mut self, upn: &str, display_name: &str, roles: &[&str]) -> Self {
        self.spec.users.push(UserSpec {
            user_principal_name: upn.into(),
            id: ObjectId::from_uuid(derived_id(&["user", upn])),
            display_name: display_name.into(),
            directory_roles: roles.iter().map(|r| r.to_string()).collect(),
        });
        self
    }

    /// A user with an explicit object id.
    pub fn user_with_id(self, upn: &str, id: ObjectId, display_name: &str, roles: &[&str]) -> Self {
        let mut b = self.user(upn, display_name, roles);
        if let Some(u) = b.spec.users.last_mut() {
            u.id = id;
        }
        b
    }

    /// An app registration homed here, with its service principal.
    pub fn application(
        mut self,
        display_name: &str,
        f: impl FnOnce(ApplicationBuilder) -> ApplicationBuilder,
    ) -> Self {
        let alias = self.spec.alias.clone();
        let id = |kind: &str| derived_id(&[kind, &alias, display_name]);
        let spec = ApplicationSpec {
            display_name: display_name.into(),
            app_id: AppId::from_uuid(id("app-id")),
            id: ObjectId::from_uuid(id("app-object")),
            service_principal_id: ObjectId::from_uuid(id("app-sp")),
            sign_in_audience: "AzureADMyOrg".into(),
            client_secrets: Vec::new(),
            federated_identity_credentials: Vec::new(),
            directory_roles: Vec::new(),
            app_roles: Vec::new(),
        };
        self.spec
            .applications
            .push(f(ApplicationBuilder { spec }).spec);
        self
    }

    /// The service principal of another tenant's app, installed here.
    pub fn service_principal(mut self, app_id: AppId, display_name: &str, roles: &[&str]) -> Self {
        self.spec.service_principals.push(ServicePrincipalSpec {
            id: ObjectId::from_uuid(derived_id(&["sp", &self.spec.alias, &app_id.to_string()])),
            app_id,
            display_name: display_name.into(),
            directory_roles: roles.iter().map(|r| r.to_string()).collect(),
            app_roles: Vec::new(),
        });
        self
    }

    /// A user-assigned managed identity in one of this tenant's subscriptions.
    pub fn managed_identity(
        mut self,
        name: &str,
        subscription: SubscriptionId,
        resource_group: &str,
    ) -> Self {
        let sub = subscription.to_string();
        self.spec.managed_identities.push(ManagedIdentitySpec {
            name: name.into(),
            subscription,
            resource_group: resource_group.into(),
            location: None,
            client_id: AppId::from_uuid(derived_id(&["mi-client", &sub, resource_group, name])),
            principal_id: ObjectId::from_uuid(derived_id(&[
                "mi-principal",
                &sub,
                resource_group,
                name,
            ])),
        });
        self
    }

    /// The id of the subscription with this display name (for [`Self::managed_identity`]).
    pub fn subscription_id(&self, display_name: &str) -> Option<SubscriptionId> {
        self.spec
            .subscriptions
            .iter()
            .find(|s| s.display_name == display_name)
            .map(|s| s.id)
    }
}

/// One subscription under construction.
#[derive(Debug)]
pub struct SubscriptionBuilder {
    spec: SubscriptionSpec,
}

impl SubscriptionBuilder {
    pub fn id(mut self, id: SubscriptionId) -> Self {
        self.spec.id = id;
        self
    }

    pub fn resource_group(mut self, name: &str, location: &str) -> Self {
        self.spec.resource_groups.push(ResourceGroupSpec {
            name: name.into(),
            location: location.into(),
        });
        self
    }

    /// A vault with the defaults of a new vault (soft delete and RBAC on, purge protection off).
    pub fn vault(self, name: &str, resource_group: &str) -> Self {
        self.vault_spec(VaultSpec {
            name: name.into(),
            resource_group: resource_group.into(),
            location: None,
            sku: "standard".into(),
            enable_soft_delete: true,
            enable_purge_protection: false,
            enable_rbac_authorization: true,
        })
    }

    pub fn vault_spec(mut self, vault: VaultSpec) -> Self {
        self.spec.vaults.push(vault);
        self
    }

    /// A Cosmos DB account (see [`CosmosAccountSpec`]).
    pub fn cosmos_account(mut self, account: CosmosAccountSpec) -> Self {
        self.spec.cosmos_accounts.push(account);
        self
    }

    /// The user `upn` holds the built-in role `role_guid` on the whole subscription.
    /// `principal` (a user's UPN, or the app id of a service principal of the tenant) holds the
    /// built-in role `role_guid` on the subscription.
    pub fn role_assignment(mut self, principal: &str, role_guid: &str) -> Self {
        self.spec.role_assignments.push(RoleAssignmentSpec {
            principal: principal.into(),
            role: role_guid.into(),
            scope: None,
        });
        self
    }
}

/// One app registration under construction.
#[derive(Debug)]
pub struct ApplicationBuilder {
    spec: ApplicationSpec,
}

impl ApplicationBuilder {
    pub fn app_id(mut self, app_id: AppId) -> Self {
        self.spec.app_id = app_id;
        self
    }

    pub fn object_ids(mut self, application: ObjectId, service_principal: ObjectId) -> Self {
        self.spec.id = application;
        self.spec.service_principal_id = service_principal;
        self
    }

    /// `signInAudience: AzureADMultipleOrgs`.
    pub fn multi_tenant(mut self) -> Self {
        self.spec.sign_in_audience = "AzureADMultipleOrgs".into();
        self
    }

    pub fn client_secret(mut self, display_name: &str, secret_text: &str) -> Self {
        let key_id = derived_id(&["secret", &self.spec.app_id.to_string(), display_name]);
        self.spec.client_secrets.push(ClientSecretSpec {
            display_name: display_name.into(),
            key_id,
            secret_text: Secret::new(secret_text),
        });
        self
    }

    pub fn federated_credential(
        mut self,
        name: &str,
        issuer: &str,
        subject: &str,
        audience: &str,
    ) -> Self {
        self.spec
            .federated_identity_credentials
            .push(FederatedCredentialSpec {
                name: name.into(),
                issuer: issuer.into(),
                subject: subject.into(),
                audiences: vec![audience.into()],
                description: None,
            });
        self
    }

    /// Directory roles of the app's service principal in its home tenant.
    /// Microsoft Graph application permissions granted to the app's service principal (the
    /// `roles` claim of its Graph tokens), e.g. `Application.ReadWrite.All`.
    pub fn app_roles(mut self, roles: &[&str]) -> Self {
        self.spec.app_roles = roles.iter().map(|r| r.to_string()).collect();
        self
    }

    pub fn directory_roles(mut self, roles: &[&str]) -> Self {
        self.spec.directory_roles = roles.iter().map(|r| r.to_string()).collect();
        self
    }
}
