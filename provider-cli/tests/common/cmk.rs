//! Phase 3 on the simulator's cross-tenant world (`CmkWorld`): a handoff for its key, the
//! provider's admin running the binary (optionally on a host where the UAMI is assigned), and the
//! accounts' Cosmos DB writes as the simulator logged them.

use super::BIN;
use serde_json::Value;
use std::path::PathBuf;
use tempfile::TempDir;
use xtcmk::{Handoff, PermissionModel};
use xtcmk_sim::Sim;
use xtcmk_sim::bin_run::{BinOutput, run_bin};
use xtcmk_sim::scenario::cross_tenant::{
    self, APP_ID, CUSTOMER_SP_OBJECT_ID, CmkWorld, KEY, VAULT,
};
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::scenario::{CosmosAccountSpec, Scenario};
use xtcmk_sim::snapshot::Filters;

pub struct Cmk {
    pub sim: Sim,
    pub world: CmkWorld,
    pub dir: TempDir,
}

/// The world's grant under the name onboarding gives it (`xtcmk-customer revoke` removes the grants
/// the toolkit made); returns its id.
fn as_onboarding_grants(sim: &Sim, world: &CmkWorld) -> String {
    let role = xtcmk_sim::arm::role_definitions::KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER;
    let scope: xtcmk::ResourceId = format!("{}/keys/{KEY}", world.vault_id).parse().unwrap();
    let sp: xtcmk::ObjectId = CUSTOMER_SP_OBJECT_ID.parse().unwrap();
    let name = xtcmk::steps::customer::grant::assignment_name(&scope, role, &sp).to_string();
    let mut state = sim.state();
    let mut grant = state
        .resources
        .remove(&world.grant_id.to_ascii_lowercase())
        .expect("the world's grant");
    let id = format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}");
    grant.id = id.clone();
    grant.name = name.clone();
    grant.body["id"] = Value::String(id.clone());
    grant.body["name"] = Value::String(name);
    state.put_resource(grant);
    id
}

/// An account seeded in the provider's `rg-provider`.
pub fn seeded(
    name: &str,
    key: Option<&str>,
    default_identity: Option<&str>,
    uami: Option<&str>,
) -> CosmosAccountSpec {
    CosmosAccountSpec {
        name: name.into(),
        resource_group: PROVIDER_RESOURCE_GROUP.into(),
        location: None,
        user_assigned_identities: uami.map(|u| vec![u.to_string()]).unwrap_or_default(),
        key_vault_key_uri: key.map(str::to_string),
        default_identity: default_identity.map(str::to_string),
    }
}

/// The UAMI id of the cross-tenant world (known before the simulator starts).
pub fn world_uami_id() -> String {
    format!(
        "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
        cross_tenant::UAMI_NAME
    )
}

impl Cmk {
    pub fn start() -> Self {
        Self::start_with(cross_tenant::scenario())
    }

    pub fn start_with(scenario: Scenario) -> Self {
        let (sim, mut world) = CmkWorld::start_with(scenario);
        world.grant_id = as_onboarding_grants(&sim, &world);
        let dir = TempDir::new().unwrap();
        let cmk = Self { sim, world, dir };
        cmk.write_handoff("handoff.json", &cmk.handoff());
        cmk
    }

    /// The provider's subscription with `accounts` seeded.
    pub fn scenario_with(accounts: Vec<CosmosAccountSpec>) -> Scenario {
        let mut scenario = cross_tenant::scenario();
        let provider = scenario
            .tenants
            .iter_mut()
            .find(|t| t.alias == PROVIDER)
            .unwrap();
        provider.subscriptions[0].cosmos_accounts.extend(accounts);
        scenario
    }

    /// The handoff onboarding would have written for the world's key.
    pub fn handoff(&self) -> Handoff {
        let version = {
            let state = self.sim.state();
            state.keys[VAULT][KEY]
                .versions
                .last()
                .unwrap()
                .version
                .clone()
        };
        let text = serde_json::json!({
            "kind": "xtcmk.handoff",
            "schemaVersion": 1,
            "customerTenantId": CUSTOMER_TENANT_ID,
            "subscriptionId": CUSTOMER_SUBSCRIPTION_ID,
            "resourceGroup": CUSTOMER_RESOURCE_GROUP,
            "vaultName": VAULT,
            "keyUri": self.world.key_uri,
            "keyVersion": version,
            "appId": APP_ID,
            "servicePrincipalObjectId": CUSTOMER_SP_OBJECT_ID,
            "permissionModel": PermissionModel::Rbac,
            "target": "cosmos",
            "roleAssignmentId": self.world.grant_id,
        });
        Handoff::parse(&text.to_string(), "test", self.sim.cloud()).expect("a valid handoff")
    }

    pub fn write_handoff(&self, name: &str, handoff: &Handoff) -> PathBuf {
        self.write_json(name, &handoff.to_value())
    }

    pub fn write_json(&self, name: &str, value: &Value) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, serde_json::to_string_pretty(value).unwrap()).unwrap();
        path
    }

    /// `cosmos deploy` of `account` with the world's handoff and identity, plus `extra`.
    pub fn deploy_args(&self, account: &str, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = [
            "cosmos",
            "deploy",
            "--handoff",
            "handoff.json",
            "--identity",
            &self.world.uami_id,
            "--subscription",
            PROVIDER_SUBSCRIPTION_ID,
            "--resource-group",
            PROVIDER_RESOURCE_GROUP,
            "--account",
            account,
            "--location",
            LOCATION,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// `doctor` with the world's handoff and identity, plus `extra`.
    pub fn doctor_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = [
            "doctor",
            "--handoff",
            "handoff.json",
            "--identity",
            &self.world.uami_id,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// `cosmos status` of `account`.
    pub fn status_args(&self, account: &str) -> Vec<String> {
        [
            "cosmos",
            "status",
            "--subscription",
            PROVIDER_SUBSCRIPTION_ID,
            "--resource-group",
            PROVIDER_RESOURCE_GROUP,
            "--account",
            account,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// The binary as the provider's admin (Azure CLI sign-in).
    pub fn run(&self, args: &[String]) -> BinOutput {
        run_bin(
            BIN,
            self.dir.path(),
            args,
            &self.sim.env_as_user(PROVIDER, PROVIDER_ADMIN),
        )
    }

    /// The binary as the provider's admin on a host where the UAMI is assigned (its
    /// managed-identity endpoint gives the UAMI's tokens; ARM and Graph still as the admin).
    pub fn run_on_identity_host(&self, args: &[String]) -> BinOutput {
        let mut env = self.sim.env_as_user(PROVIDER, PROVIDER_ADMIN);
        let client: xtcmk::AppId = self.world.uami_client_id.parse().unwrap();
        for (k, v) in self.sim.env_as_managed_identity(&[client], None) {
            if k == "IDENTITY_ENDPOINT" || k == "IDENTITY_HEADER" {
                env.push((k, v));
            }
        }
        run_bin(BIN, self.dir.path(), args, &env)
    }

    /// Every Cosmos DB account write since `mark`: `METHOD body`, in order.
    pub fn account_writes(&self, mark: xtcmk_sim::harness::Mark) -> Vec<(String, Value)> {
        self.sim
            .log()
            .since(mark)
            .into_iter()
            .filter(|e| {
                e.is_effective_write()
                    && e.route
                        .as_deref()
                        .is_some_and(|r| r.contains("databaseAccounts/{name}"))
            })
            .map(|e| (e.method.clone(), e.body.clone().unwrap_or(Value::Null)))
            .collect()
    }

    /// The stored account `name`.
    pub fn stored(&self, name: &str) -> Value {
        let state = self.sim.state();
        state
            .resource(&self.world.account_path(name))
            .unwrap_or_else(|| panic!("account {name} is stored"))
            .body
            .clone()
    }

    /// Snapshot filters: the simulator's folder and port, the temp folder, the world's ids by name.
    pub fn filters(&self) -> Filters {
        Filters::new()
            .sim(&self.sim)
            .dir(self.dir.path(), "[TMP]")
            .known(&self.world.uami_principal_id, "[UAMI_PRINCIPAL]")
            .known(&self.world.uami_client_id, "[UAMI_CLIENT]")
            .known(APP_ID, "[APP_ID]")
            .known(CUSTOMER_TENANT_ID, "[CUSTOMER_TENANT]")
            .known(PROVIDER_TENANT_ID, "[PROVIDER_TENANT]")
            .known(PROVIDER_SUBSCRIPTION_ID, "[PROVIDER_SUB]")
    }
}

pub const THIRD: &str = "third";
pub const THIRD_VAULT: &str = "kv-northwind-cmk";
pub const THIRD_KEY: &str = "cmk";
pub const PINNED: &str = "pinned";

/// The world plus a third tenant (Northwind) whose vault holds the key account `pinned` was
/// created with: a cross-tenant account, pinned to Northwind's tenant.
pub fn pinned_scenario() -> Scenario {
    let app: xtcmk::AppId = APP_ID.parse().unwrap();
    let third = Scenario::builder()
        .tenant(THIRD, "Northwind", "northwind.example", |t| {
            t.subscription("Northwind data", |s| {
                s.resource_group("rg-northwind", LOCATION).vault_spec(
                    xtcmk_sim::scenario::VaultSpec {
                        name: THIRD_VAULT.into(),
                        resource_group: "rg-northwind".into(),
                        location: None,
                        sku: "standard".into(),
                        enable_soft_delete: true,
                        enable_purge_protection: true,
                        enable_rbac_authorization: true,
                    },
                )
            })
        })
        .build()
        .unwrap();
    let default_identity = format!(
        "UserAssignedIdentity={}&FederatedClientId={APP_ID}",
        world_uami_id()
    );
    let mut scenario = Cmk::scenario_with(vec![seeded(
        PINNED,
        Some(&format!(
            "https://{THIRD_VAULT}.vault.localhost/keys/{THIRD_KEY}"
        )),
        Some(&default_identity),
        Some(&world_uami_id()),
    )]);
    scenario.tenants.extend(third.tenants);
    let third = scenario
        .tenants
        .iter_mut()
        .find(|t| t.alias == THIRD)
        .unwrap();
    third
        .service_principals
        .push(xtcmk_sim::scenario::ServicePrincipalSpec {
            id: THIRD_SP_OBJECT_ID.parse().unwrap(),
            app_id: app,
            display_name: cross_tenant::APP_NAME.into(),
            directory_roles: Vec::new(),
            app_roles: Vec::new(),
        });
    scenario.validate().expect("the pinned world is valid");
    scenario
}

/// The app's service principal in Northwind's tenant.
pub const THIRD_SP_OBJECT_ID: &str = "30000000-0000-4000-8000-0000000000d3";

impl Cmk {
    /// Northwind's key and the app's grant on it (after [`pinned_scenario`] started).
    pub fn seed_third_key(&self) {
        let mut state = self.sim.state();
        cross_tenant::seed_key(&mut state, THIRD_VAULT, THIRD_KEY);
        let vault = state.vault(THIRD_VAULT).unwrap().id.clone();
        let tenant = state.tenant_by_ref(THIRD).unwrap().id;
        let app: xtcmk::AppId = APP_ID.parse().unwrap();
        let sp = state
            .service_principal(&tenant, &app)
            .unwrap()
            .id
            .to_string();
        xtcmk_sim::arm::role_assignments::assign(
            &mut state,
            &format!("{vault}/keys/{THIRD_KEY}"),
            xtcmk_sim::arm::role_definitions::KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
            &sp,
            "ServicePrincipal",
        );
    }
}

pub const OLD_KEY: &str = "cosmos-cmk-old";
pub const REKEY: &str = "rekey";

/// The world with account `rekey` on another key of the customer's vault (`cosmos-cmk-old`).
pub fn rekey_scenario() -> Scenario {
    let default_identity = format!(
        "UserAssignedIdentity={}&FederatedClientId={APP_ID}",
        world_uami_id()
    );
    Cmk::scenario_with(vec![seeded(
        REKEY,
        Some(&format!("https://{VAULT}.vault.localhost/keys/{OLD_KEY}")),
        Some(&default_identity),
        Some(&world_uami_id()),
    )])
}

impl Cmk {
    /// The old key of [`rekey_scenario`] and the app's grant on it.
    pub fn seed_old_key(&self) {
        self.seed_old_key_only();
        let mut state = self.sim.state();
        xtcmk_sim::arm::role_assignments::assign(
            &mut state,
            &format!("{}/keys/{OLD_KEY}", self.world.vault_id),
            xtcmk_sim::arm::role_definitions::KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
            CUSTOMER_SP_OBJECT_ID,
            "ServicePrincipal",
        );
    }

    /// The old key of [`rekey_scenario`] without a grant: the account's key status is revoked.
    pub fn seed_old_key_only(&self) {
        cross_tenant::seed_key(&mut self.sim.state(), VAULT, OLD_KEY);
    }
}
