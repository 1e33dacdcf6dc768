//! Everything the simulated clouds hold: tenants with their directory objects and subscriptions,
//! ARM resources, Key Vault keys and long-running operations. Serialisable, so `--state FILE`
//! can keep it across restarts. Client secrets are kept only as SHA-256 hashes.

pub mod app_owners;
pub mod atlas;
pub mod cosmos;
pub mod deleted_vaults;
mod persist;
mod seed;

pub use persist::{load_file, save_file};
pub use seed::{resource_id, secret_hash};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use xtcmk::{AppId, ObjectId, SubscriptionId, TenantId};

/// Object kinds named by replication-delay rules ([`crate::faults::ReplicationRule`]).
pub mod kinds {
    pub const RESOURCE_GROUP: &str = "resourceGroup";
    pub const DEPLOYMENT: &str = "deployment";
    pub const KEY: &str = "key";
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    pub tenants: Vec<Tenant>,
    /// ARM resources below resource groups, keyed by lower-cased resource id.
    #[serde(default)]
    pub resources: BTreeMap<String, ArmResource>,
    /// Key Vault keys: vault name (lower case) → key name (lower case) → key.
    #[serde(default)]
    pub keys: BTreeMap<String, BTreeMap<String, StoredKey>>,
    /// Key rotation policies set by `PUT /keys/{name}/rotationpolicy` (the `KeyRotationPolicy`
    /// body), by `{vault}/{key}` in lower case.
    #[serde(default)]
    pub key_rotation_policies: BTreeMap<String, Value>,
    /// Long-running operations by id.
    #[serde(default)]
    pub operations: BTreeMap<String, Operation>,
    /// MongoDB Atlas projects and credentials.
    #[serde(default)]
    pub atlas: atlas::AtlasState,
    /// Owners of app registrations.
    #[serde(default)]
    pub app_owners: app_owners::AppOwners,
    #[serde(default)]
    pub deleted_vaults: deleted_vaults::DeletedVaults,
    /// Cosmos DB's bookkeeping beside the accounts' ARM bodies.
    #[serde(default)]
    pub cosmos: cosmos::CosmosState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: TenantId,
    pub alias: String,
    pub display_name: String,
    pub verified_domains: Vec<String>,
    #[serde(default)]
    pub subscriptions: Vec<Subscription>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub applications: Vec<Application>,
    #[serde(default)]
    pub service_principals: Vec<ServicePrincipal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub id: SubscriptionId,
    pub display_name: String,
    #[serde(default)]
    pub resource_groups: Vec<ResourceGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroup {
    pub name: String,
    pub location: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: ObjectId,
    pub user_principal_name: String,
    pub display_name: String,
    #[serde(default)]
    pub directory_roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub id: ObjectId,
    pub app_id: AppId,
    pub display_name: String,
    pub sign_in_audience: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_name: Option<String>,
    #[serde(default)]
    pub password_credentials: Vec<PasswordCredential>,
    #[serde(default)]
    pub federated_identity_credentials: Vec<FederatedCredential>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

/// A client secret: only its hash is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredential {
    pub key_id: uuid::Uuid,
    pub display_name: String,
    /// Hex SHA-256 of the secret text.
    pub secret_sha256: String,
    /// The first three characters, as Graph shows them.
    pub hint: String,
    /// Expiry, seconds since the epoch.
    pub end_date_time: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FederatedCredential {
    pub id: uuid::Uuid,
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `Application` or `ManagedIdentity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrincipalType {
    Application,
    ManagedIdentity,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    pub id: ObjectId,
    pub app_id: AppId,
    pub display_name: String,
    pub service_principal_type: PrincipalType,
    /// The tenant where the app is registered (for managed identities: their own tenant).
    pub app_owner_organization_id: TenantId,
    #[serde(default)]
    pub directory_roles: Vec<String>,
    /// Microsoft Graph application permissions granted to it (`Application.ReadWrite.All`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub app_roles: Vec<String>,
    /// For managed identities: the identity's ARM resource id.
    #[serde(default)]
    pub alternative_names: Vec<String>,
}

/// Any ARM resource below a resource group, with the JSON ARM returns for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmResource {
    /// The resource id as created (original casing).
    pub id: String,
    pub subscription: SubscriptionId,
    pub resource_group: String,
    /// `Microsoft.Resources/deployments`, `Microsoft.KeyVault/vaults`, ...
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    /// The body a GET answers with.
    pub body: Value,
}

/// One Key Vault key and its versions (oldest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredKey {
    pub name: String,
    pub versions: Vec<KeyVersion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyVersion {
    pub version: String,
    pub kty: String,
    pub key_ops: Vec<String>,
    /// Public key material (`n`, `e` or `crv`, `x`, `y`), base64url.
    pub public: BTreeMap<String, String>,
    pub enabled: bool,
    pub created: i64,
    pub updated: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exportable: Option<bool>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// A long-running operation: each poll reports the next of `steps`; the last one stays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub id: String,
    /// Lower-cased id of the resource it works on.
    pub resource_key: String,
    /// Status names, e.g. `Accepted`, `InProgress`, `Succeeded`.
    pub steps: Vec<String>,
    pub polls: usize,
    /// The error a `Failed` final step reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

impl Operation {
    /// The status the latest poll reported (the first step before any poll).
    pub fn status(&self) -> &str {
        let i = self
            .polls
            .saturating_sub(1)
            .min(self.steps.len().saturating_sub(1));
        self.steps.get(i).map(String::as_str).unwrap_or("Succeeded")
    }

    /// Whether the final step has been reported.
    pub fn is_terminal(&self) -> bool {
        self.polls >= self.steps.len()
    }
}

impl State {
    pub fn tenant(&self, id: &TenantId) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.id == *id)
    }

    pub fn tenant_mut(&mut self, id: &TenantId) -> Option<&mut Tenant> {
        self.tenants.iter_mut().find(|t| t.id == *id)
    }

    /// The tenant Entra finds for a tenant reference in a URL: its id or one of its verified
    /// domains (aliases are the simulator's own handles, which Entra would not know).
    pub fn tenant_by_entra_ref(&self, key: &str) -> Option<&Tenant> {
        let id = hyphenated_guid(key);
        self.tenants.iter().find(|t| {
            Some(t.id.as_uuid()) == id.as_ref()
                || t.verified_domains
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(key))
        })
    }

    /// The tenant a test or the admin endpoint names: its id, a verified domain or its alias.
    pub fn tenant_by_ref(&self, key: &str) -> Option<&Tenant> {
        let id = hyphenated_guid(key);
        self.tenants.iter().find(|t| {
            Some(t.id.as_uuid()) == id.as_ref()
                || t.verified_domains
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(key))
                || t.alias.eq_ignore_ascii_case(key)
        })
    }

    /// A subscription (by its id, case-insensitive text) and its tenant.
    pub fn subscription(&self, id: &str) -> Option<(&Tenant, &Subscription)> {
        let id = hyphenated_guid(id)?;
        self.tenants.iter().find_map(|t| {
            t.subscriptions
                .iter()
                .find(|s| *s.id.as_uuid() == id)
                .map(|s| (t, s))
        })
    }

    pub fn subscription_mut(&mut self, id: &str) -> Option<&mut Subscription> {
        let id = hyphenated_guid(id)?;
        self.tenants
            .iter_mut()
            .find_map(|t| t.subscriptions.iter_mut().find(|s| *s.id.as_uuid() == id))
    }

    pub fn user_by_upn(&self, upn: &str) -> Option<(&Tenant, &User)> {
        self.tenants.iter().find_map(|t| {
            t.users
                .iter()
                .find(|u| u.user_principal_name.eq_ignore_ascii_case(upn))
                .map(|u| (t, u))
        })
    }

    /// The app registration with this client id, and its home tenant.
    pub fn application(&self, app_id: &AppId) -> Option<(&Tenant, &Application)> {
        self.tenants.iter().find_map(|t| {
            t.applications
                .iter()
                .find(|a| a.app_id == *app_id)
                .map(|a| (t, a))
        })
    }

    /// The service principal of `app_id` in `tenant`.
    pub fn service_principal(
        &self,
        tenant: &TenantId,
        app_id: &AppId,
    ) -> Option<&ServicePrincipal> {
        self.tenant(tenant)?
            .service_principals
            .iter()
            .find(|sp| sp.app_id == *app_id)
    }

    /// The managed identity with this client id: its tenant and service principal.
    pub fn managed_identity(&self, client_id: &AppId) -> Option<(&Tenant, &ServicePrincipal)> {
        self.tenants.iter().find_map(|t| {
            t.service_principals
                .iter()
                .find(|sp| {
                    sp.service_principal_type == PrincipalType::ManagedIdentity
                        && sp.app_id == *client_id
                })
                .map(|sp| (t, sp))
        })
    }

    pub fn resource(&self, id: &str) -> Option<&ArmResource> {
        self.resources.get(&id.to_ascii_lowercase())
    }

    pub fn resource_mut(&mut self, id: &str) -> Option<&mut ArmResource> {
        self.resources.get_mut(&id.to_ascii_lowercase())
    }

    pub fn put_resource(&mut self, resource: ArmResource) {
        self.resources
            .insert(resource.id.to_ascii_lowercase(), resource);
    }

    /// The vault with this name (vault names are unique across the cloud).
    pub fn vault(&self, name: &str) -> Option<&ArmResource> {
        // The name first: it rules out nearly every resource in one short comparison.
        self.resources.values().find(|r| {
            r.name.eq_ignore_ascii_case(name)
                && r.kind.eq_ignore_ascii_case("Microsoft.KeyVault/vaults")
        })
    }

    /// The tenant a vault's data plane accepts tokens from (`properties.tenantId`).
    pub fn vault_tenant(&self, name: &str) -> Option<TenantId> {
        self.vault(name)?
            .body
            .pointer("/properties/tenantId")?
            .as_str()?
            .parse()
            .ok()
    }
}

/// `key` as a GUID when it is written the way ids are compared here (hyphenated, any case), so
/// a lookup parses it once instead of formatting every stored id.
fn hyphenated_guid(key: &str) -> Option<uuid::Uuid> {
    if key.len() != 36 {
        return None;
    }
    uuid::Uuid::try_parse(key).ok()
}
