//! A world where cross-tenant customer-managed keys for Cosmos DB work, on top of the demo: in the
//! provider tenant a multi-tenant app and a user-assigned identity that one of the app's federated
//! credentials trusts; in the customer tenant the app's service principal, a purge-protected RBAC
//! vault, an RSA key and the Key Vault Crypto Service Encryption User role for the service
//! principal on that key. [`CmkWorld::start`] starts it; [`CmkWorld::break_link`] breaks one link.
//!
//! ```no_run
//! use xtcmk_sim::scenario::cross_tenant::{Break, CmkWorld};
//! let (sim, world) = CmkWorld::start();
//! let body = world.account_body(); // PUT it to world.account_path("orders") as demo::PROVIDER_ADMIN
//! world.break_link(&sim, Break::GrantMissing); // the next read's status ends in (4002)
//! ```

use super::demo::*;
use super::{Scenario, VaultSpec};
use crate::Sim;
use crate::arm::role_assignments;
use crate::arm::role_definitions::KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER;
use crate::state::{FederatedCredential, KeyVersion, State, StoredKey};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use xtcmk::ObjectId;

pub const APP_NAME: &str = "xtcmk-cmk";
pub const APP_ID: &str = "10000000-0000-4000-8000-0000000000d1";
pub const APP_OBJECT_ID: &str = "10000000-0000-4000-8000-0000000000d2";
pub const APP_SP_OBJECT_ID: &str = "10000000-0000-4000-8000-0000000000d3";
/// The app's service principal in the customer tenant.
pub const CUSTOMER_SP_OBJECT_ID: &str = "20000000-0000-4000-8000-0000000000d3";
pub const UAMI_NAME: &str = "uami-cmk";
pub const UAMI_CLIENT_ID: &str = "10000000-0000-4000-8000-0000000000e1";
pub const UAMI_PRINCIPAL_ID: &str = "10000000-0000-4000-8000-0000000000e2";
pub const FIC_NAME: &str = "cosmos-cmk";
pub const VAULT: &str = "kv-fabrikam-cmk";
pub const KEY: &str = "cosmos-cmk";

/// One way to break the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// The app has no federated credential trusting the identity.
    NoFic,
    /// The credential's subject is another principal.
    FicWrongSubject,
    /// The credential's issuer has a trailing slash.
    FicTrailingSlashIssuer,
    /// The credential's audience is not the token-exchange audience.
    FicWrongAudience,
    /// The app registration is deleted (its service principals stay).
    AppDeleted,
    /// The app has no service principal in the customer tenant.
    SpMissing,
    /// The role assignment on the key is removed.
    GrantMissing,
    KeyDisabled,
    KeyDeleted,
    /// The vault denies by default and lets no trusted service bypass.
    FirewallClosed,
    /// Public network access is disabled and no trusted service may bypass (private endpoints
    /// only).
    PublicAccessDisabled,
    NoPurgeProtection,
    /// The user-assigned identity (ARM resource and service principal) is deleted.
    UamiDeleted,
    /// The vault is soft-deleted.
    VaultDeleted,
}

/// The ids of a started world.
#[derive(Debug, Clone)]
pub struct CmkWorld {
    pub uami_id: String,
    pub uami_principal_id: String,
    pub uami_client_id: String,
    pub vault_id: String,
    pub grant_id: String,
    pub key_uri: String,
}

fn parse<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("world ids are GUIDs")
}

/// The demo plus the app, the identity, the service principal and the vault (no credential, key or
/// grant: those need the running simulator).
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
        client_secrets: Vec::new(),
        federated_identity_credentials: Vec::new(),
        directory_roles: Vec::new(),
        app_roles: Vec::new(),
    });
    provider
        .managed_identities
        .push(super::ManagedIdentitySpec {
            name: UAMI_NAME.into(),
            subscription: parse(PROVIDER_SUBSCRIPTION_ID),
            resource_group: PROVIDER_RESOURCE_GROUP.into(),
            location: None,
            client_id: parse(UAMI_CLIENT_ID),
            principal_id: parse(UAMI_PRINCIPAL_ID),
        });
    let customer = scenario
        .tenants
        .iter_mut()
        .find(|t| t.alias == CUSTOMER)
        .expect("the demo has a customer");
    customer
        .service_principals
        .push(super::ServicePrincipalSpec {
            id: parse::<ObjectId>(CUSTOMER_SP_OBJECT_ID),
            app_id: parse(APP_ID),
            display_name: APP_NAME.into(),
            directory_roles: Vec::new(),
            app_roles: Vec::new(),
        });
    customer.subscriptions[0].vaults.push(VaultSpec {
        name: VAULT.into(),
        resource_group: CUSTOMER_RESOURCE_GROUP.into(),
        location: None,
        sku: "standard".into(),
        enable_soft_delete: true,
        enable_purge_protection: true,
        enable_rbac_authorization: true,
    });
    scenario
        .validate()
        .expect("the cross-tenant world is valid");
    scenario
}

/// Adds a new RSA-3072 version of key `key` (wrapKey/unwrapKey allowed) to vault `vault`.
pub fn seed_key(state: &mut State, vault: &str, key: &str) -> String {
    let mut n = vec![0u8; 384];
    rand::fill(&mut n[..]);
    n[0] |= 0x80;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let now = crate::tokens::now();
    let version = uuid::Uuid::new_v4().simple().to_string();
    let entry = state
        .keys
        .entry(vault.to_ascii_lowercase())
        .or_default()
        .entry(key.to_ascii_lowercase())
        .or_insert_with(|| StoredKey {
            name: key.to_string(),
            versions: Vec::new(),
        });
    entry.versions.push(KeyVersion {
        version: version.clone(),
        kty: "RSA".into(),
        key_ops: ["wrapKey", "unwrapKey", "encrypt", "decrypt"]
            .map(String::from)
            .to_vec(),
        public: BTreeMap::from([("n".into(), b64(&n)), ("e".into(), b64(&[1, 0, 1]))]),
        enabled: true,
        created: now,
        updated: now,
        nbf: None,
        exp: None,
        exportable: None,
        tags: BTreeMap::new(),
    });
    version
}

impl CmkWorld {
    /// Starts the world: the scenario, then the app's federated credential for the identity (its
    /// issuer names the simulator's port), the key and the grant.
    pub fn start() -> (Sim, CmkWorld) {
        Self::start_with(scenario())
    }

    /// [`CmkWorld::start`] with a scenario built on [`scenario`] (e.g. with seeded Cosmos DB
    /// accounts, see [`super::CosmosAccountSpec`]).
    pub fn start_with(scenario: Scenario) -> (Sim, CmkWorld) {
        let sim = Sim::start(scenario);
        let world = {
            let mut state = sim.state();
            let uami = state
                .resources
                .values()
                .find(|r| r.name == UAMI_NAME)
                .expect("the identity is seeded")
                .clone();
            let principal = uami.body["properties"]["principalId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let client = uami.body["properties"]["clientId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let vault_id = state.vault(VAULT).expect("the vault is seeded").id.clone();
            seed_key(&mut state, VAULT, KEY);
            let world = CmkWorld {
                uami_id: uami.id.clone(),
                uami_principal_id: principal,
                uami_client_id: client,
                grant_id: String::new(),
                vault_id,
                key_uri: format!("{}keys/{KEY}", sim.cloud().vault_url(VAULT)),
            };
            world.set_fic(&mut state, &sim, None, None, None);
            world
        };
        let grant_id = world.grant(&sim);
        (sim, CmkWorld { grant_id, ..world })
    }

    /// Replaces the app's credential for the identity (defaults: the provider tenant's issuer, the
    /// identity's principal id, the cloud's token-exchange audience).
    fn set_fic(
        &self,
        state: &mut State,
        sim: &Sim,
        issuer: Option<String>,
        subject: Option<String>,
        audience: Option<String>,
    ) {
        let cloud = sim.cloud();
        let issuer = issuer.unwrap_or_else(|| cloud.issuer(&parse(PROVIDER_TENANT_ID)));
        let subject = subject.unwrap_or_else(|| self.uami_principal_id.clone());
        let audience = audience.unwrap_or_else(|| cloud.fic_audience.clone());
        let app = app_mut(state);
        app.federated_identity_credentials
            .retain(|f| f.name != FIC_NAME);
        app.federated_identity_credentials
            .push(FederatedCredential {
                id: uuid::Uuid::new_v4(),
                name: FIC_NAME.into(),
                issuer,
                subject,
                audiences: vec![audience],
                description: None,
            });
    }

    /// Adds a federated credential named `name` on the app for the principal `subject` of the
    /// provider tenant (the credential a second identity needs).
    pub fn trust(&self, sim: &Sim, name: &str, subject: &str) {
        let issuer = sim.cloud().issuer(&parse(PROVIDER_TENANT_ID));
        let audience = sim.cloud().fic_audience.clone();
        let mut state = sim.state();
        app_mut(&mut state)
            .federated_identity_credentials
            .push(FederatedCredential {
                id: uuid::Uuid::new_v4(),
                name: name.into(),
                issuer,
                subject: subject.into(),
                audiences: vec![audience],
                description: None,
            });
    }

    /// Grants the app's customer service principal Key Vault Crypto Service Encryption User on the
    /// key; returns the assignment's id.
    pub fn grant(&self, sim: &Sim) -> String {
        role_assignments::assign(
            &mut sim.state(),
            &format!("{}/keys/{KEY}", self.vault_id),
            KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
            CUSTOMER_SP_OBJECT_ID,
            "ServicePrincipal",
        )
    }

    /// `UserAssignedIdentity=<identity>&FederatedClientId=<app id>`.
    pub fn default_identity(&self) -> String {
        format!(
            "UserAssignedIdentity={}&FederatedClientId={APP_ID}",
            self.uami_id
        )
    }

    /// `/subscriptions/{provider sub}/resourceGroups/rg-provider/providers/Microsoft.DocumentDB/databaseAccounts/{name}`.
    pub fn account_path(&self, name: &str) -> String {
        format!(
            "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.DocumentDB/databaseAccounts/{name}"
        )
    }

    /// The PUT body of an account on the customer's key (what the template deploys).
    pub fn account_body(&self) -> Value {
        json!({
            "location": LOCATION,
            "kind": "GlobalDocumentDB",
            "identity": {
                "type": "UserAssigned",
                "userAssignedIdentities": { self.uami_id.clone(): {} },
            },
            "properties": {
                "databaseAccountOfferType": "Standard",
                "locations": [{ "locationName": LOCATION, "failoverPriority": 0, "isZoneRedundant": false }],
                "keyVaultKeyUri": self.key_uri,
                "defaultIdentity": self.default_identity(),
            },
        })
    }

    /// Breaks one link of the chain in the simulator's state.
    pub fn break_link(&self, sim: &Sim, what: Break) {
        let mut state = sim.state();
        let issuer = sim.cloud().issuer(&parse(PROVIDER_TENANT_ID));
        match what {
            Break::NoFic => app_mut(&mut state)
                .federated_identity_credentials
                .retain(|f| f.name != FIC_NAME),
            Break::FicWrongSubject => self.set_fic(
                &mut state,
                sim,
                None,
                Some(uuid::Uuid::new_v4().to_string()),
                None,
            ),
            Break::FicTrailingSlashIssuer => {
                self.set_fic(&mut state, sim, Some(format!("{issuer}/")), None, None)
            }
            Break::FicWrongAudience => {
                self.set_fic(&mut state, sim, None, None, Some("api://other".into()))
            }
            Break::AppDeleted => {
                for t in &mut state.tenants {
                    t.applications.retain(|a| a.app_id.to_string() != APP_ID);
                }
            }
            Break::SpMissing => {
                for t in state.tenants.iter_mut().filter(|t| t.alias == CUSTOMER) {
                    t.service_principals
                        .retain(|sp| sp.app_id.to_string() != APP_ID);
                }
            }
            Break::GrantMissing => {
                state.resources.remove(&self.grant_id.to_ascii_lowercase());
            }
            Break::KeyDisabled => {
                for v in key_mut(&mut state).versions.iter_mut() {
                    v.enabled = false;
                }
            }
            Break::KeyDeleted => {
                if let Some(keys) = state.keys.get_mut(VAULT) {
                    keys.remove(KEY);
                }
            }
            Break::FirewallClosed => {
                vault_props(&mut state)["networkAcls"] = json!({ "defaultAction": "Deny", "bypass": "None", "ipRules": [], "virtualNetworkRules": [] });
            }
            Break::PublicAccessDisabled => {
                let props = vault_props(&mut state);
                props["publicNetworkAccess"] = json!("Disabled");
                props["networkAcls"]["bypass"] = json!("None");
            }
            Break::NoPurgeProtection => {
                vault_props(&mut state)
                    .as_object_mut()
                    .expect("vault properties")
                    .remove("enablePurgeProtection");
            }
            Break::UamiDeleted => {
                state.resources.remove(&self.uami_id.to_ascii_lowercase());
                for t in &mut state.tenants {
                    t.service_principals
                        .retain(|sp| sp.app_id.to_string() != self.uami_client_id);
                }
            }
            Break::VaultDeleted => {
                let vault = state
                    .resources
                    .remove(&self.vault_id.to_ascii_lowercase())
                    .expect("the vault exists");
                let sub = parse(CUSTOMER_SUBSCRIPTION_ID);
                state
                    .deleted_vaults
                    .add(sub, CUSTOMER_RESOURCE_GROUP, vault.body);
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

fn key_mut(state: &mut State) -> &mut StoredKey {
    state
        .keys
        .get_mut(VAULT)
        .and_then(|k| k.get_mut(KEY))
        .expect("the key exists")
}

fn vault_props(state: &mut State) -> &mut Value {
    let vault = state
        .resources
        .values_mut()
        .find(|r| r.name == VAULT)
        .expect("the vault exists");
    &mut vault.body["properties"]
}
