//! What the simulated clouds hold at start: tenants with their domains, subscriptions, resource
//! groups, users (with directory roles), app registrations (with client secrets and federated
//! credentials), service principals, managed identities and vaults. Read from a small JSON file
//! (unknown fields refused) or built in code with [`Scenario::builder`]; [`Scenario::demo`] is the
//! ready-made one (also in `tests/scenarios/demo.json`).

pub mod atlas_world;
mod builder;
pub mod cross_tenant;
pub mod demo;
pub mod fleet;
mod validate;

pub use builder::{ApplicationBuilder, ScenarioBuilder, SubscriptionBuilder, TenantBuilder};
pub use validate::{valid_resource_group_name, valid_vault_name};

use serde::{Deserialize, Serialize};
use std::path::Path;
use uuid::Uuid;
use xtcmk::{AppId, InputError, ObjectId, Secret, SubscriptionId, TenantId};

/// The whole starting world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    pub tenants: Vec<TenantSpec>,
    /// A MongoDB Atlas organization with its projects and API keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atlas: Option<AtlasSpec>,
}

/// A MongoDB Atlas organization: its projects and programmatic API keys. Atlas's own Azure app
/// (for secretless encryption at rest) is an application of one of the tenants
/// (`xtcmk::atlas::ATLAS_AZURE_APP_ID`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AtlasSpec {
    /// 24 hex digits.
    pub org_id: String,
    pub org_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<AtlasProjectSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_keys: Vec<AtlasApiKeySpec>,
}

/// An Atlas project ("group").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AtlasProjectSpec {
    /// 24 hex digits.
    pub id: String,
    pub name: String,
    /// The project's cluster tier (`M10` and up can use encryption at rest).
    #[serde(default = "m10")]
    pub cluster_tier: String,
}

fn m10() -> String {
    "M10".into()
}

/// A programmatic API key. The scenario file holds its private key (test data); the simulator
/// keeps only the Digest hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AtlasApiKeySpec {
    pub public_key: String,
    pub private_key: Secret,
    /// Project id → roles (`GROUP_OWNER`, `GROUP_READ_ONLY`).
    pub project_roles: std::collections::BTreeMap<String, Vec<String>>,
}

/// One Entra tenant and what it owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantSpec {
    /// Short handle for tests and the command line (`provider`, `customer`).
    pub alias: String,
    pub id: TenantId,
    pub display_name: String,
    /// The first one is the default domain.
    pub verified_domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscriptions: Vec<SubscriptionSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserSpec>,
    /// App registrations whose home is this tenant (each with its service principal here).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<ApplicationSpec>,
    /// Service principals of other tenants' apps, installed in this tenant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_principals: Vec<ServicePrincipalSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_identities: Vec<ManagedIdentitySpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionSpec {
    pub id: SubscriptionId,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_groups: Vec<ResourceGroupSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vaults: Vec<VaultSpec>,
    /// Azure RBAC role assignments that exist at start ("Gina is Owner of this subscription").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_assignments: Vec<RoleAssignmentSpec>,
    /// Cosmos DB accounts that exist at start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cosmos_accounts: Vec<CosmosAccountSpec>,
}

/// A Cosmos DB account that exists at start, with or without a customer-managed key. Its key's
/// status is checked on the first read (the chain needs the running simulator's tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CosmosAccountSpec {
    pub name: String,
    pub resource_group: String,
    /// Defaults to the resource group's location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Full resource ids of user-assigned identities on the account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_assigned_identities: Vec<String>,
    /// Versionless key URI; a URI without a port means the simulator's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_vault_key_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_identity: Option<String>,
}

/// A role assignment in a subscription: a user of the tenant (by UPN), or a service principal
/// of the tenant (by the app id of an app registered or installed here, or the client id of a
/// managed identity), holds a built-in role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleAssignmentSpec {
    /// A user's `userPrincipalName`, or the app (client) id of a service principal of the tenant.
    pub principal: String,
    /// A built-in role definition GUID (see `arm::role_definitions`).
    pub role: String,
    /// Below the subscription, e.g. `resourceGroups/rg-customer`; the subscription itself when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl RoleAssignmentSpec {
    /// The full ARM scope of the assignment.
    pub fn full_scope(&self, subscription: &SubscriptionId) -> String {
        match self.scope.as_deref().map(|s| s.trim_matches('/')) {
            Some(rel) if !rel.is_empty() => format!("/subscriptions/{subscription}/{rel}"),
            _ => format!("/subscriptions/{subscription}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceGroupSpec {
    pub name: String,
    pub location: String,
}

/// A Key Vault that exists at start (its data plane answers at `<name>.vault.localhost`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultSpec {
    pub name: String,
    pub resource_group: String,
    /// Defaults to the resource group's location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// `standard` or `premium`.
    #[serde(default = "default_sku")]
    pub sku: String,
    #[serde(default = "yes")]
    pub enable_soft_delete: bool,
    #[serde(default)]
    pub enable_purge_protection: bool,
    #[serde(default = "yes")]
    pub enable_rbac_authorization: bool,
}

fn default_sku() -> String {
    "standard".into()
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserSpec {
    pub user_principal_name: String,
    pub id: ObjectId,
    pub display_name: String,
    /// Directory role template ids (see [`crate::roles`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory_roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationSpec {
    pub display_name: String,
    pub app_id: AppId,
    /// The application object's id in its home tenant.
    pub id: ObjectId,
    /// The object id of its service principal in the home tenant.
    pub service_principal_id: ObjectId,
    /// `AzureADMyOrg` (single tenant) or `AzureADMultipleOrgs`.
    #[serde(default = "single_tenant")]
    pub sign_in_audience: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_secrets: Vec<ClientSecretSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub federated_identity_credentials: Vec<FederatedCredentialSpec>,
    /// Directory roles held by the app's service principal in its home tenant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory_roles: Vec<String>,
    /// Microsoft Graph application permissions granted to the app's service principal in its
    /// home tenant (the `roles` claim of its Graph tokens), e.g. `Application.ReadWrite.All`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub app_roles: Vec<String>,
}

fn single_tenant() -> String {
    "AzureADMyOrg".into()
}

/// A client secret. The scenario file holds its text (it is test data); the simulator keeps only
/// a hash of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientSecretSpec {
    pub display_name: String,
    pub key_id: Uuid,
    pub secret_text: Secret,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FederatedCredentialSpec {
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePrincipalSpec {
    pub id: ObjectId,
    pub app_id: AppId,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory_roles: Vec<String>,
    /// Microsoft Graph application permissions granted to this service principal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub app_roles: Vec<String>,
}

/// A user-assigned managed identity: an ARM resource plus its service principal in the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManagedIdentitySpec {
    pub name: String,
    pub subscription: SubscriptionId,
    pub resource_group: String,
    /// Defaults to the resource group's location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub client_id: AppId,
    pub principal_id: ObjectId,
}

impl TenantSpec {
    /// The object id and principal type (`User` / `ServicePrincipal`) a role assignment's
    /// `principal` names in this tenant: a user's UPN, or the app id of an app registered here,
    /// of a service principal installed here, or the client id of a managed identity here.
    pub fn principal(&self, principal: &str) -> Option<(ObjectId, &'static str)> {
        if let Some(u) = self
            .users
            .iter()
            .find(|u| u.user_principal_name.eq_ignore_ascii_case(principal))
        {
            return Some((u.id, "User"));
        }
        let app: AppId = principal.parse().ok()?;
        self.applications
            .iter()
            .find(|a| a.app_id == app)
            .map(|a| a.service_principal_id)
            .or_else(|| {
                self.service_principals
                    .iter()
                    .find(|s| s.app_id == app)
                    .map(|s| s.id)
            })
            .or_else(|| {
                self.managed_identities
                    .iter()
                    .find(|m| m.client_id == app)
                    .map(|m| m.principal_id)
            })
            .map(|id| (id, "ServicePrincipal"))
    }
}

impl Scenario {
    /// An empty scenario to build on.
    pub fn builder() -> ScenarioBuilder {
        ScenarioBuilder::default()
    }

    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> Result<Self, InputError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            InputError::new("--scenario", &shown, format!("cannot be read ({e})"))
                .with_fix("pass the path of a scenario JSON file such as tests/scenarios/demo.json")
        })?;
        Self::from_json(&text).map_err(|mut e| {
            if e.field == "scenario" {
                e.field = "--scenario".into();
                e.value = shown;
            }
            e
        })
    }

    /// Parses and checks scenario JSON.
    pub fn from_json(text: &str) -> Result<Self, InputError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let scenario: Scenario = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            InputError::new("scenario", "", format!("at `{path}`: {}", e.inner()))
                .with_fix("compare with tests/scenarios/demo.json; unknown fields are refused")
        })?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// The tenant with this alias, id or verified domain.
    pub fn tenant(&self, key: &str) -> Option<&TenantSpec> {
        self.tenants.iter().find(|t| {
            t.alias.eq_ignore_ascii_case(key)
                || t.id.to_string().eq_ignore_ascii_case(key)
                || t.verified_domains
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(key))
        })
    }

    /// The user with this user principal name, with their tenant.
    pub fn user(&self, upn: &str) -> Option<(&TenantSpec, &UserSpec)> {
        self.tenants.iter().find_map(|t| {
            t.users
                .iter()
                .find(|u| u.user_principal_name.eq_ignore_ascii_case(upn))
                .map(|u| (t, u))
        })
    }
}

/// A stable id derived from names, so built scenarios are the same on every run.
pub(crate) fn derived_id(parts: &[&str]) -> Uuid {
    const NAMESPACE: Uuid = Uuid::from_u128(0x6f0c_2b7e_58f4_4f2e_9a4d_1c3b_5e7f_9a21);
    Uuid::new_v5(&NAMESPACE, parts.join("/").to_ascii_lowercase().as_bytes())
}
