//! The chain from a Cosmos DB account to a customer's key, actually run: a healthy world creates
//! the account and its status is confirmed; each broken link makes the create fail with Cosmos
//! DB's 503 (the firewall with its 403) while the simulator records which link failed; breaking a
//! link after the create moves `customerManagedKeyStatus` to the code Azure uses, and fixing it
//! brings "confirmed" back (after the configured delay).

mod cosmos_common;

use cosmos_common::*;
use xtcmk_sim::replication::ReplicationRule;
use xtcmk_sim::scenario::cross_tenant::{Break, CmkWorld};
use xtcmk_sim::state::cosmos::{Check, Link};

const CONFIRMED: &str = "Access to the configured customer managed key confirmed.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_chain_creates_the_account_and_confirms_the_key() {
    let (sim, world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    let created = create_cmk_account(&arm, &world, "orders").await;
    assert_eq!(created.body["properties"]["provisioningState"], "Creating");
    let account = arm.get(&world.account_path("orders"), API).await;
    assert_eq!(account.status, 200, "{}", account.body);
    let props = &account.body["properties"];
    assert_eq!(props["provisioningState"], "Succeeded");
    assert_eq!(props["keyVaultKeyUri"], world.key_uri);
    assert_eq!(props["defaultIdentity"], world.default_identity());
    assert_eq!(props["customerManagedKeyStatus"], CONFIRMED);
    let uai = &account.body["identity"]["userAssignedIdentities"][&world.uami_id];
    assert_eq!(uai["principalId"], world.uami_principal_id);
    assert_eq!(uai["clientId"], world.uami_client_id);
    // Before 2023-09-15 the status is not part of the answer.
    let old = arm.get(&world.account_path("orders"), API_2022).await;
    assert!(
        old.body["properties"]
            .get("customerManagedKeyStatus")
            .is_none()
    );
    assert!(sim.state().cosmos.failures.is_empty());
    // The tenant of the key is pinned.
    let meta = sim
        .state()
        .cosmos
        .meta(&world.account_path("orders"))
        .cloned()
        .unwrap();
    assert_eq!(
        meta.key_tenant.unwrap().to_string(),
        xtcmk_sim::scenario::demo::CUSTOMER_TENANT_ID
    );
}

/// Equal links; a refused token exchange matches whatever AADSTS code Entra gave.
fn same_link(a: &Link, b: &Link) -> bool {
    matches!(
        (a, b),
        (
            Link::FederatedCredentialRefused { .. },
            Link::FederatedCredentialRefused { .. }
        )
    ) || a == b
}

/// Each broken link, the link the simulator records for it.
fn breaks() -> Vec<(Break, Link)> {
    vec![
        (
            Break::NoFic,
            Link::FederatedCredentialRefused { aadsts: 700211 },
        ),
        (
            Break::FicWrongSubject,
            Link::FederatedCredentialRefused { aadsts: 700213 },
        ),
        (
            Break::FicTrailingSlashIssuer,
            Link::FederatedCredentialRefused { aadsts: 700211 },
        ),
        (
            Break::FicWrongAudience,
            Link::FederatedCredentialRefused { aadsts: 700212 },
        ),
        (Break::AppDeleted, Link::ApplicationNotFound),
        (Break::SpMissing, Link::ServicePrincipalMissing),
        (
            Break::GrantMissing,
            Link::NotAuthorized {
                permission: "get".into(),
            },
        ),
        (Break::KeyDisabled, Link::KeyDisabled),
        (Break::KeyDeleted, Link::KeyNotFound),
        (Break::FirewallClosed, Link::VaultFirewall),
        (Break::PublicAccessDisabled, Link::VaultFirewall),
        (Break::NoPurgeProtection, Link::PurgeProtectionOff),
        (Break::UamiDeleted, Link::ManagedIdentityNotFound),
        (Break::VaultDeleted, Link::VaultNotFound),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_broken_link_fails_the_create_and_is_recorded() {
    for (what, link) in breaks() {
        let (sim, world) = CmkWorld::start();
        world.break_link(&sim, what);
        let arm = Arm::provider(&sim);
        let path = world.account_path("orders");
        let answer = arm
            .send("PUT", &path, API, Some(&world.account_body()))
            .await;
        if what == Break::UamiDeleted {
            // ARM refuses an identity that does not exist before Cosmos DB sees the request.
            answer.assert_arm_error(400, "FailedIdentityOperation");
            continue;
        }
        if link == Link::VaultFirewall {
            // troubleshoot-cmk 1.1: Key Vault's own refusal inside a 403.
            answer.assert_rp_error(
                403,
                "Forbidden",
                "Database account creation failed. Operation Id: ",
            );
            let inner = if what == Break::PublicAccessDisabled {
                "ForbiddenByConnection"
            } else {
                "ForbiddenByFirewall"
            };
            assert!(
                answer.message().contains(inner),
                "{what:?}: {}",
                answer.message()
            );
        } else {
            answer.assert_rp_error(
                503,
                "ServiceUnavailable",
                "Database account creation failed. Operation Id: ",
            );
            assert!(
                answer
                    .message()
                    .contains(", Error: Error contacting the Azure Key Vault resource. Please try again.\r\nActivityId: "),
                "{what:?}: {}",
                answer.message()
            );
        }
        let state = sim.state();
        let failure = state
            .cosmos
            .last_failure("orders")
            .unwrap_or_else(|| panic!("{what:?}: nothing recorded"));
        assert!(
            same_link(&failure.link, &link),
            "{what:?}: {:?} {}",
            failure.link,
            failure.detail
        );
        assert_eq!(failure.check, Check::Create);
        assert!(
            state.resource(&path).is_none(),
            "{what:?}: no account after a failed create"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_endpoint_names_the_failed_link() {
    let (sim, world) = CmkWorld::start();
    world.break_link(&sim, Break::SpMissing);
    let arm = Arm::provider(&sim);
    let answer = arm
        .send(
            "PUT",
            &world.account_path("orders"),
            API,
            Some(&world.account_body()),
        )
        .await;
    assert_eq!(answer.status, 503);
    let client = xtcmk::http::transport::build_client(sim.cloud()).unwrap();
    let view: serde_json::Value = client
        .get(format!("{}/cosmos", sim.admin_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let failure = &view["failures"][0];
    assert_eq!(failure["account"], "orders");
    assert_eq!(failure["link"], "servicePrincipalMissing");
    assert_eq!(failure["check"], "create");
    assert!(
        failure["detail"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS700016"),
        "{failure}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breaking_a_link_later_moves_the_status_to_its_code_and_fixing_it_confirms_again() {
    let cases = [
        (Break::GrantMissing, "(4002)."),
        (Break::KeyDisabled, "(4002)."),
        (Break::KeyDeleted, "(4003)."),
        (Break::NoFic, "(4000)."),
        (Break::SpMissing, "(4000)."),
        (Break::AppDeleted, "(4000)."),
        (Break::FirewallClosed, "(4016)."),
        (Break::VaultDeleted, "(4017)."),
    ];
    for (what, code) in cases {
        let (sim, world) = CmkWorld::start();
        let arm = Arm::provider(&sim);
        create_cmk_account(&arm, &world, "orders").await;
        assert_eq!(key_status(&arm, &world, "orders").await, CONFIRMED);
        world.break_link(&sim, what);
        let status = key_status(&arm, &world, "orders").await;
        assert!(
            status.starts_with("Access to your account is currently revoked because ")
                && status.ends_with(code),
            "{what:?}: {status}"
        );
        let failure = sim.state().cosmos.last_failure("orders").cloned().unwrap();
        assert_eq!(failure.check, Check::Status);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regranting_restores_confirmed_on_the_next_read() {
    let (sim, world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    create_cmk_account(&arm, &world, "orders").await;
    world.break_link(&sim, Break::GrantMissing);
    assert!(
        key_status(&arm, &world, "orders")
            .await
            .ends_with("(4002).")
    );
    world.grant(&sim);
    assert_eq!(key_status(&arm, &world, "orders").await, CONFIRMED);
    let meta = sim
        .state()
        .cosmos
        .meta(&world.account_path("orders"))
        .cloned()
        .unwrap();
    assert_eq!(meta.last_failure, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_change_shows_after_its_delay() {
    let (sim, world) = CmkWorld::start();
    let arm = Arm::provider(&sim);
    create_cmk_account(&arm, &world, "orders").await;
    assert_eq!(key_status(&arm, &world, "orders").await, CONFIRMED);
    // Azure notices a revocation late: here two reads later.
    sim.replication().add(ReplicationRule::reads(
        xtcmk_sim::arm::cosmos::KEY_STATUS,
        2,
    ));
    world.break_link(&sim, Break::KeyDisabled);
    assert_eq!(key_status(&arm, &world, "orders").await, CONFIRMED);
    assert_eq!(key_status(&arm, &world, "orders").await, CONFIRMED);
    assert!(
        key_status(&arm, &world, "orders")
            .await
            .ends_with("(4002).")
    );
    // The simulator knew at once which link failed.
    assert_eq!(
        sim.state().cosmos.last_failure("orders").unwrap().link,
        Link::KeyDisabled
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_accounts_are_checked_on_their_first_read() {
    use xtcmk_sim::scenario::cross_tenant::{APP_ID, KEY, UAMI_NAME, VAULT, scenario};
    use xtcmk_sim::scenario::{CosmosAccountSpec, demo::*};
    let uami = format!(
        "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{UAMI_NAME}"
    );
    let mut world = scenario();
    let provider = world
        .tenants
        .iter_mut()
        .find(|t| t.alias == PROVIDER)
        .unwrap();
    provider.subscriptions[0].cosmos_accounts = vec![
        CosmosAccountSpec {
            name: "seeded-cmk".into(),
            resource_group: PROVIDER_RESOURCE_GROUP.into(),
            location: None,
            user_assigned_identities: vec![uami.clone()],
            // Without a port: the simulator's own.
            key_vault_key_uri: Some(format!("https://{VAULT}.vault.localhost/keys/{KEY}")),
            default_identity: Some(format!(
                "UserAssignedIdentity={uami}&FederatedClientId={APP_ID}"
            )),
        },
        CosmosAccountSpec {
            name: "seeded-plain".into(),
            resource_group: PROVIDER_RESOURCE_GROUP.into(),
            location: None,
            user_assigned_identities: Vec::new(),
            key_vault_key_uri: None,
            default_identity: None,
        },
    ];
    let (sim, world) = CmkWorld::start_with(world);
    let arm = Arm::provider(&sim);
    assert_eq!(key_status(&arm, &world, "seeded-cmk").await, CONFIRMED);
    let plain = arm.get(&world.account_path("seeded-plain"), API).await;
    assert_eq!(plain.body["properties"]["provisioningState"], "Succeeded");
    assert!(
        plain.body["properties"]
            .get("customerManagedKeyStatus")
            .is_none()
    );
    let meta = sim
        .state()
        .cosmos
        .meta(&world.account_path("seeded-cmk"))
        .cloned()
        .unwrap();
    assert_eq!(
        meta.key_tenant.unwrap().to_string(),
        xtcmk_sim::scenario::demo::CUSTOMER_TENANT_ID
    );
    world.break_link(&sim, Break::KeyDeleted);
    assert!(
        key_status(&arm, &world, "seeded-cmk")
            .await
            .ends_with("(4003).")
    );
}
