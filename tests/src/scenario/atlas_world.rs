//! A world where MongoDB Atlas encryption at rest with the customer's key works, both ways in, on
//! top of the demo (which has the Atlas project and Atlas's own Azure app): in the provider tenant
//! a multi-tenant app with a client secret; in the customer tenant that app's service principal
//! and Atlas's app's service principal, a purge-protected RBAC vault, an RSA key allowing
//! encrypt/decrypt, and Key Vault Crypto User for both principals on that key.
//! [`AtlasWorld::start`] starts it; [`AtlasWorld::break_link`] breaks one link.
//!
//! ```no_run
//! use xtcmk_sim::scenario::atlas_world::{AtlasWorld, Break};
//! let (sim, world) = AtlasWorld::start();
//! let body = world.secret_body(); // PATCH it to the demo project's encryptionAtRest
//! world.break_link(&sim, Break::SecretExpired); // the next read answers valid: false
//! ```

use super::demo::*;
use super::{Scenario, VaultSpec};
use crate::Sim;
use crate::arm::role_assignments;
use crate::arm::role_definitions::KEY_VAULT_CRYPTO_USER;
use crate::state::atlas::AzureServicePrincipalRole;
use crate::state::{PasswordCredential, State, secret_hash};
use serde_json::{Value, json};
use xtcmk::ObjectId;

pub const APP_NAME: &str = "xtcmk-atlas";
pub const APP_ID: &str = "10000000-0000-4000-8000-0000000000f1";
pub const APP_OBJECT_ID: &str = "10000000-0000-4000-8000-0000000000f2";
pub const APP_SP_OBJECT_ID: &str = "10000000-0000-4000-8000-0000000000f3";
/// The provider app's service principal in the customer tenant.
pub const CUSTOMER_SP_OBJECT_ID: &str = "20000000-0000-4000-8000-0000000000f3";
/// Atlas's app's service principal in the customer tenant.
pub const CUSTOMER_ATLAS_SP_OBJECT_ID: &str = "20000000-0000-4000-8000-0000000000f4";
/// Test data only: the provider app's client secret.
pub const CLIENT_SECRET: &str = "atlas-world-client-secret-test-only";
pub const VAULT: &str = "kv-fabrikam-atlas";
pub const KEY: &str = "atlas-cmk";

/// One way to break what Atlas needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// Every secret of the provider app has expired.
    SecretExpired,
    /// The provider app has no service principal in the customer tenant.
    SpMissing,
    /// Atlas's app has no service principal in the customer tenant.
    AtlasSpMissing,
    /// The grants on the key are removed.
    GrantsMissing,
    KeyDisabled,
    /// The vault denies public traffic by default.
    FirewallClosed,
}

/// The ids of a started world.
#[derive(Debug, Clone)]
pub struct AtlasWorld {
    pub vault_id: String,
    /// The versioned key identifier of the key's current version.
    pub key_identifier: String,
    pub grants: Vec<String>,
}

fn parse<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("world ids are GUIDs")
}

/// The demo plus the provider app (with its secret), both service principals and the vault.
pub fn scenario() -> Scenario {
    let mut scenario = Scenario::demo();
    let provider = scenario
        .tenants
        .iter_mut()
        .find(|t| t.alias == PROVIDER)
        .expect("the demo has a provider");
    provider.applications.push(super::ApplicationSpec {
        display_name: APP_NAME.into(),
        app_id: parse(APP_ID),
        id: parse(APP_OBJECT_ID),
        service_principal_id: parse(APP_SP_OBJECT_ID),
        sign_in_audience: "AzureADMultipleOrgs".into(),
        client_secrets: vec![super::ClientSecretSpec {
            display_name: "atlas".into(),
            key_id: super::derived_id(&["secret", APP_ID, "atlas"]),
            secret_text: xtcmk::Secret::new(CLIENT_SECRET),
        }],
        federated_identity_credentials: Vec::new(),
        directory_roles: Vec::new(),
        app_roles: Vec::new(),
    });
    let customer = scenario
        .tenants
        .iter_mut()
        .find(|t| t.alias == CUSTOMER)
        .expect("the demo has a customer");
    for (id, app, name) in [
        (CUSTOMER_SP_OBJECT_ID, APP_ID, APP_NAME),
        (
            CUSTOMER_ATLAS_SP_OBJECT_ID,
            xtcmk::atlas::ATLAS_AZURE_APP_ID,
            xtcmk::atlas::ATLAS_APP_DISPLAY_NAME,
        ),
    ] {
        customer
            .service_principals
            .push(super::ServicePrincipalSpec {
                id: parse::<ObjectId>(id),
                app_id: parse(app),
                display_name: name.into(),
                directory_roles: Vec::new(),
                app_roles: Vec::new(),
            });
    }
    customer.subscriptions[0].vaults.push(VaultSpec {
        name: VAULT.into(),
        resource_group: CUSTOMER_RESOURCE_GROUP.into(),
        location: None,
        sku: "standard".into(),
        enable_soft_delete: true,
        enable_purge_protection: true,
        enable_rbac_authorization: true,
    });
    scenario.validate().expect("the Atlas world is valid");
    scenario
}

impl AtlasWorld {
    /// Starts the world: the scenario, then the key and the grants.
    pub fn start() -> (Sim, AtlasWorld) {
        Self::start_with(scenario())
    }

    /// Starts the world from [`scenario`] changed by the caller (more projects, other keys).
    pub fn start_with(scenario: Scenario) -> (Sim, AtlasWorld) {
        let sim = Sim::start(scenario);
        let world = {
            let mut state = sim.state();
            let vault_id = state.vault(VAULT).expect("the vault is seeded").id.clone();
            let version = super::cross_tenant::seed_key(&mut state, VAULT, KEY);
            let grants = [CUSTOMER_SP_OBJECT_ID, CUSTOMER_ATLAS_SP_OBJECT_ID]
                .iter()
                .map(|sp| {
                    role_assignments::assign(
                        &mut state,
                        &format!("{vault_id}/keys/{KEY}"),
                        KEY_VAULT_CRYPTO_USER,
                        sp,
                        "ServicePrincipal",
                    )
                })
                .collect();
            AtlasWorld {
                vault_id,
                key_identifier: format!("{}keys/{KEY}/{version}", sim.cloud().vault_url(VAULT)),
                grants,
            }
        };
        (sim, world)
    }

    /// A new version of the key; returns its versioned key identifier.
    pub fn new_key_version(&self, sim: &Sim) -> String {
        let version = super::cross_tenant::seed_key(&mut sim.state(), VAULT, KEY);
        format!("{}keys/{KEY}/{version}", sim.cloud().vault_url(VAULT))
    }

    /// The full `encryptionAtRest` PATCH body of secret mode.
    pub fn secret_body(&self) -> Value {
        json!({ "azureKeyVault": {
            "azureEnvironment": "AZURE",
            "clientID": APP_ID,
            "tenantID": CUSTOMER_TENANT_ID,
            "secret": CLIENT_SECRET,
            "subscriptionID": CUSTOMER_SUBSCRIPTION_ID,
            "resourceGroupName": CUSTOMER_RESOURCE_GROUP,
            "keyVaultName": VAULT,
            "keyIdentifier": self.key_identifier,
            "enabled": true,
            "requirePrivateNetworking": false,
        }})
    }

    /// The full `encryptionAtRest` PATCH body of role mode.
    pub fn role_body(&self, role_id: &str) -> Value {
        json!({ "azureKeyVault": {
            "azureEnvironment": "AZURE",
            "roleId": role_id,
            "subscriptionID": CUSTOMER_SUBSCRIPTION_ID,
            "resourceGroupName": CUSTOMER_RESOURCE_GROUP,
            "keyVaultName": VAULT,
            "keyIdentifier": self.key_identifier,
            "enabled": true,
            "requirePrivateNetworking": false,
        }})
    }

    /// Registers Atlas's app's service principal in the customer tenant with the demo project
    /// (as `cloudProviderAccess` POST does); returns the role id.
    pub fn register_role(&self, sim: &Sim) -> String {
        let mut state = sim.state();
        let id = state.atlas.next_id("role");
        let now = crate::tokens::now();
        let project = state
            .atlas
            .project_mut(ATLAS_GROUP_ID)
            .expect("the demo project exists");
        project
            .azure_service_principals
            .push(AzureServicePrincipalRole {
                id: id.clone(),
                atlas_azure_app_id: xtcmk::atlas::ATLAS_AZURE_APP_ID.into(),
                service_principal_id: CUSTOMER_ATLAS_SP_OBJECT_ID.into(),
                tenant_id: CUSTOMER_TENANT_ID.into(),
                created: now,
                last_updated: now,
            });
        id
    }

    /// Adds a secret to the provider app that expires at `end` (Unix seconds); returns its text.
    pub fn add_secret(&self, sim: &Sim, text: &str, end: i64) {
        let mut state = sim.state();
        app_mut(&mut state)
            .password_credentials
            .push(PasswordCredential {
                key_id: uuid::Uuid::new_v4(),
                display_name: "added".into(),
                secret_sha256: secret_hash(text),
                hint: text.chars().take(3).collect(),
                end_date_time: end,
            });
    }

    /// Breaks one link in the simulator's state.
    pub fn break_link(&self, sim: &Sim, what: Break) {
        let mut state = sim.state();
        match what {
            Break::SecretExpired => {
                for p in &mut app_mut(&mut state).password_credentials {
                    p.end_date_time = crate::tokens::now() - 60;
                }
            }
            Break::SpMissing | Break::AtlasSpMissing => {
                let gone = if what == Break::SpMissing {
                    CUSTOMER_SP_OBJECT_ID
                } else {
                    CUSTOMER_ATLAS_SP_OBJECT_ID
                };
                for t in state.tenants.iter_mut().filter(|t| t.alias == CUSTOMER) {
                    t.service_principals.retain(|sp| sp.id.to_string() != gone);
                }
            }
            Break::GrantsMissing => {
                for g in &self.grants {
                    state.resources.remove(&g.to_ascii_lowercase());
                }
            }
            Break::KeyDisabled => {
                if let Some(k) = state.keys.get_mut(VAULT).and_then(|k| k.get_mut(KEY)) {
                    for v in &mut k.versions {
                        v.enabled = false;
                    }
                }
            }
            Break::FirewallClosed => {
                if let Some(v) = state.resource_mut(&self.vault_id) {
                    v.body["properties"]["networkAcls"] = json!({ "defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [], "virtualNetworkRules": [] });
                }
            }
        }
    }
}

fn app_mut(state: &mut State) -> &mut crate::state::Application {
    state
        .tenants
        .iter_mut()
        .flat_map(|t| t.applications.iter_mut())
        .find(|a| a.app_id.to_string() == APP_ID)
        .expect("the app exists")
}
