//! Raw probes of the Key Vault data plane's rules: api-versions, the vault's network rules,
//! rotation policies and rotation, validity periods, wrap sizes, HSM key types, recovery levels,
//! and how crypto calls are logged — each refusal with its status, code and message, each with
//! the well-formed twin.

use base64::Engine;
use serde_json::{Value, json};
use xtcmk_sim::arm::{role_assignments, role_definitions};
use xtcmk_sim::harness::probe::{Answer, Probe};
use xtcmk_sim::routes::Kind;
use xtcmk_sim::scenario::VaultSpec;
use xtcmk_sim::scenario::cross_tenant::{CmkWorld, KEY, VAULT};
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::{Scenario, Sim};

const API: &str = "2025-07-01";
/// A purge-protected standard vault, a premium vault, and a vault without purge protection.
const STD: &str = "kv-probe-std";
const PREMIUM: &str = "kv-probe-prem";
const PLAIN: &str = "kv-probe-plain";

fn vault_id(name: &str) -> String {
    format!(
        "/subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/resourceGroups/{CUSTOMER_RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/{name}"
    )
}

fn sim() -> Sim {
    let mut scenario = Scenario::demo();
    let customer = scenario
        .tenants
        .iter_mut()
        .find(|t| t.alias == CUSTOMER)
        .unwrap();
    for (name, sku, purge) in [
        (STD, "standard", true),
        (PREMIUM, "premium", true),
        (PLAIN, "standard", false),
    ] {
        customer.subscriptions[0].vaults.push(VaultSpec {
            name: name.into(),
            resource_group: CUSTOMER_RESOURCE_GROUP.into(),
            location: None,
            sku: sku.into(),
            enable_soft_delete: true,
            enable_purge_protection: purge,
            enable_rbac_authorization: true,
        });
    }
    let sim = Sim::start(scenario);
    for name in [STD, PREMIUM, PLAIN] {
        role_assignments::assign(
            &mut sim.state(),
            &vault_id(name),
            role_definitions::KEY_VAULT_CRYPTO_OFFICER,
            CUSTOMER_ADMIN_ID,
            "User",
        );
    }
    // The customer's CI app may wrap and unwrap (Crypto Service Encryption User), nothing more.
    role_assignments::assign(
        &mut sim.state(),
        &vault_id(STD),
        role_definitions::KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
        CUSTOMER_CI_SP_OBJECT_ID,
        "ServicePrincipal",
    );
    sim
}

struct W<'a> {
    p: Probe<'a>,
    admin: String,
}

impl<'a> W<'a> {
    fn new(sim: &'a Sim) -> Self {
        let p = Probe::new(sim);
        let admin = p.user_vault(CUSTOMER, CUSTOMER_ADMIN);
        Self { p, admin }
    }

    fn url(&self, vault: &str, path: &str) -> String {
        self.p.vault(vault, &format!("{path}?api-version={API}"))
    }

    async fn post(&self, vault: &str, path: &str, token: &str, body: Value) -> Answer {
        self.p.post(&self.url(vault, path), Some(token), body).await
    }

    async fn key(&self, vault: &str, name: &str, body: Value) -> Answer {
        self.post(vault, &format!("/keys/{name}/create"), &self.admin, body)
            .await
    }

    async fn rsa(&self, vault: &str, name: &str) -> Answer {
        let created = self
            .key(vault, name, json!({ "kty": "RSA", "key_size": 2048 }))
            .await;
        created.accepted(200);
        created
    }

    async fn policy(&self, vault: &str, name: &str, body: Value) -> Answer {
        self.p
            .put(
                &self.url(vault, &format!("/keys/{name}/rotationpolicy")),
                Some(&self.admin),
                body,
            )
            .await
    }

    /// Changes the vault through ARM, as its owner.
    async fn patch_vault(&self, vault: &str, properties: Value) {
        let token = self.p.user_arm(CUSTOMER, CUSTOMER_ADMIN);
        self.p
            .patch(
                &self
                    .p
                    .arm(&format!("{}?api-version=2026-02-01", vault_id(vault))),
                Some(&token),
                json!({ "properties": properties }),
            )
            .await
            .accepted(200);
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

// ---- api-version ------------------------------------------------------------------------------

#[tokio::test]
async fn an_unknown_data_plane_version_is_a_bad_parameter() {
    // azure-sdk-for-net#14789: "The specified version (7.1) is not recognized. Consider using the
    // latest supported version (…)."
    let sim = sim();
    let w = W::new(&sim);
    w.p.get(&w.p.vault(STD, "/keys/any?api-version=1999-01-01"), Some(&w.admin))
        .await
        .refused(
            400,
            "BadParameter",
            &["The specified version (1999-01-01) is not recognized. Consider using the latest supported version (2025-07-01)."],
        );
    w.rsa(STD, "versioned").await;
    w.p.get(&w.url(STD, "/keys/versioned"), Some(&w.admin))
        .await
        .accepted(200);
    w.p.get(
        &w.p.vault(STD, "/keys/versioned?api-version=7.6"),
        Some(&w.admin),
    )
    .await
    .accepted(200);
}

#[tokio::test]
async fn a_missing_data_plane_version_is_a_bad_parameter() {
    let sim = sim();
    let w = W::new(&sim);
    w.p.get(&w.p.vault(STD, "/keys/any"), Some(&w.admin))
        .await
        .refused(
            400,
            "BadParameter",
            &["The 'api-version' query parameter is required."],
        );
    // The twin: with the version, the same read of an existing key answers.
    w.rsa(STD, "present").await;
    w.p.get(&w.p.vault(STD, "/keys/present"), Some(&w.admin))
        .await
        .refused(
            400,
            "BadParameter",
            &["The 'api-version' query parameter is required."],
        );
    w.p.get(&w.url(STD, "/keys/present"), Some(&w.admin))
        .await
        .accepted(200);
}

#[tokio::test]
async fn without_a_token_the_vault_challenges() {
    let sim = sim();
    let w = W::new(&sim);
    let challenge = w.p.get(&w.url(STD, "/keys/any"), None).await;
    challenge.refused(
        401,
        "Unauthorized",
        &["AKV10000: Request is missing a Bearer or PoP token."],
    );
    let header = challenge.header("www-authenticate").unwrap_or_default();
    assert!(
        header.contains(&format!("{CUSTOMER_TENANT_ID}\""))
            && header.contains("resource=\"https://vault.localhost\""),
        "{header}"
    );
    w.p.get(&w.url(STD, "/keys/any"), Some(&w.admin))
        .await
        .refused(
            404,
            "KeyNotFound",
            &["A key with (name/id) any was not found"],
        );
}

// ---- network rules ----------------------------------------------------------------------------

#[tokio::test]
async fn a_firewall_that_denies_refuses_an_unlisted_client() {
    // microsoft/AzureTRE#3789: 403 Forbidden, inner ForbiddenByFirewall.
    let sim = sim();
    let w = W::new(&sim);
    w.patch_vault(
        STD,
        json!({ "networkAcls": { "defaultAction": "Deny", "bypass": "AzureServices" } }),
    )
    .await;
    let refused = w.p.get(&w.url(STD, "/keys/any"), Some(&w.admin)).await;
    refused.refused(
        403,
        "Forbidden",
        &[
            "Client address is not authorized and caller is not a trusted service.",
            "Client address: 127.0.0.1",
            &format!(
                "Caller: appid=04b07795-8ddb-461a-bbee-02f9e1bf7b46;oid={CUSTOMER_ADMIN_ID};iss="
            ),
            &format!("Vault: {STD};location=westeurope"),
        ],
    );
    assert_eq!(refused.inner_code(), "ForbiddenByFirewall");
    w.patch_vault(
        STD,
        json!({ "networkAcls": { "defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [{ "value": "127.0.0.0/8" }] } }),
    )
    .await;
    w.p.get(&w.url(STD, "/keys/any"), Some(&w.admin))
        .await
        .refused(404, "KeyNotFound", &["was not found"]);
}

#[tokio::test]
async fn public_access_disabled_refuses_every_public_client() {
    // microsoft/multimodal-ai#171: 403 Forbidden, inner ForbiddenByConnection.
    let sim = sim();
    let w = W::new(&sim);
    w.patch_vault(STD, json!({ "publicNetworkAccess": "Disabled" }))
        .await;
    let refused = w.p.get(&w.url(STD, "/keys/any"), Some(&w.admin)).await;
    refused.refused(
        403,
        "Forbidden",
        &[
            "Public network access is disabled and request is not from a trusted service nor via an approved private link.",
            &format!("Vault: {STD};location=westeurope"),
        ],
    );
    assert_eq!(refused.inner_code(), "ForbiddenByConnection");
    w.patch_vault(STD, json!({ "publicNetworkAccess": "Enabled" }))
        .await;
    w.p.get(&w.url(STD, "/keys/any"), Some(&w.admin))
        .await
        .refused(404, "KeyNotFound", &["was not found"]);
}

/// Creates a Cosmos DB account on the world's key, raw through ARM as the provider's admin.
async fn create_account(p: &Probe<'_>, world: &CmkWorld, name: &str) -> Answer {
    let token = p.user_arm(PROVIDER, PROVIDER_ADMIN);
    p.put(
        &p.arm(&format!(
            "{}?api-version=2026-07-15",
            world.account_path(name)
        )),
        Some(&token),
        world.account_body(),
    )
    .await
}

/// Sets the world's vault's network properties, raw through ARM as the customer's admin.
async fn set_network(p: &Probe<'_>, world: &CmkWorld, properties: Value) {
    let token = p.user_arm(CUSTOMER, CUSTOMER_ADMIN);
    p.patch(
        &p.arm(&format!("{}?api-version=2026-02-01", world.vault_id)),
        Some(&token),
        json!({ "properties": properties }),
    )
    .await
    .accepted(200);
}

/// Cosmos DB's 403 on create: its own top-level code, Key Vault's refusal inside the message.
#[track_caller]
fn refused_by_the_vault(answer: &Answer, inner: &str, why: &str) {
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (403, Some("Forbidden")),
        "{}",
        answer.text
    );
    let message = answer.body["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Database account creation failed.")
            && message.contains(inner)
            && message.contains(why),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_db_passes_a_firewall_only_with_the_azure_services_bypass() {
    // Cosmos DB is a trusted service (how-to-setup-customer-managed-keys); the bypass decides.
    let (sim, world) = tokio::task::spawn_blocking(CmkWorld::start).await.unwrap();
    let p = Probe::new(&sim);
    set_network(
        &p,
        &world,
        json!({ "networkAcls": { "defaultAction": "Deny", "bypass": "None" } }),
    )
    .await;
    refused_by_the_vault(
        &create_account(&p, &world, "fw-none").await,
        "ForbiddenByFirewall",
        "caller was ignored because bypass is set to None",
    );
    set_network(
        &p,
        &world,
        json!({ "networkAcls": { "defaultAction": "Deny", "bypass": "AzureServices" } }),
    )
    .await;
    create_account(&p, &world, "fw-trusted").await.accepted(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_db_never_passes_disabled_public_access() {
    // troubleshoot-cmk ("revoke state"): the vault must allow all networks or selected networks
    // with the trusted-services bypass; a private-endpoint-only vault does not work for Cosmos DB.
    let (sim, world) = tokio::task::spawn_blocking(CmkWorld::start).await.unwrap();
    let p = Probe::new(&sim);
    set_network(
        &p,
        &world,
        json!({ "publicNetworkAccess": "Disabled", "networkAcls": { "defaultAction": "Deny", "bypass": "None" } }),
    )
    .await;
    refused_by_the_vault(
        &create_account(&p, &world, "closed-none").await,
        "ForbiddenByConnection",
        "bypass is not set to 'AzureServices' and PublicNetworkAccess is set to 'Disabled'",
    );
    set_network(
        &p,
        &world,
        json!({ "publicNetworkAccess": "Disabled", "networkAcls": { "defaultAction": "Deny", "bypass": "AzureServices" } }),
    )
    .await;
    refused_by_the_vault(
        &create_account(&p, &world, "closed-trusted").await,
        "ForbiddenByConnection",
        "Public network access is disabled",
    );
    // The well-formed twin: public access from selected networks with the bypass.
    set_network(
        &p,
        &world,
        json!({ "publicNetworkAccess": "Enabled", "networkAcls": { "defaultAction": "Deny", "bypass": "AzureServices" } }),
    )
    .await;
    create_account(&p, &world, "open-trusted")
        .await
        .accepted(200);
    // ...while a public client is still refused by the firewall.
    let token = p.user_vault(CUSTOMER, CUSTOMER_ADMIN);
    p.get(
        &p.vault(VAULT, &format!("/keys/{KEY}?api-version={API}")),
        Some(&token),
    )
    .await
    .refused(403, "Forbidden", &["Client address is not authorized"]);
}

// ---- rotation ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_rotation_policy_is_read_for_an_existing_key_only() {
    let sim = sim();
    let w = W::new(&sim);
    w.p.get(&w.url(STD, "/keys/absent/rotationpolicy"), Some(&w.admin))
        .await
        .refused(
            404,
            "KeyNotFound",
            &["A key with (name/id) absent was not found"],
        );
    w.rsa(STD, "rotating").await;
    let policy =
        w.p.get(&w.url(STD, "/keys/rotating/rotationpolicy"), Some(&w.admin))
            .await;
    policy.accepted(200);
    // The default: notify 30 days before expiry (KeyRotationPolicy.lifetimeActions).
    assert_eq!(
        policy.body["lifetimeActions"][0]["action"]["type"], "Notify",
        "{}",
        policy.text
    );
    assert_eq!(
        policy.body["lifetimeActions"][0]["trigger"]["timeBeforeExpiry"],
        "P30D"
    );
    assert!(
        policy.body["id"]
            .as_str()
            .unwrap()
            .ends_with("/keys/rotating/rotationpolicy")
    );
}

#[tokio::test]
async fn a_rotation_policy_expiry_is_at_least_28_days() {
    let sim = sim();
    let w = W::new(&sim);
    w.rsa(STD, "expiring").await;
    let policy = |expiry: &str| {
        json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": "P10D" }, "action": { "type": "Rotate" } }],
                "attributes": { "expiryTime": expiry } })
    };
    w.policy(STD, "expiring", policy("P7D")).await.refused(
        400,
        "BadParameter",
        &["The expiryTime 'P7D' is too short: it should be at least 28 days."],
    );
    let set = w.policy(STD, "expiring", policy("P90D")).await;
    set.accepted(200);
    assert_eq!(set.body["attributes"]["expiryTime"], "P90D");
    assert!(set.body["attributes"]["created"].is_i64());
}

#[tokio::test]
async fn a_rotation_policy_has_one_rotate_action_at_most() {
    let sim = sim();
    let w = W::new(&sim);
    w.rsa(STD, "twice").await;
    let rotate =
        json!({ "trigger": { "timeAfterCreate": "P30D" }, "action": { "type": "Rotate" } });
    w.policy(
        STD,
        "twice",
        json!({ "lifetimeActions": [rotate.clone(), rotate.clone()] }),
    )
    .await
    .refused(
        400,
        "BadParameter",
        &["A rotation policy holds at most one Rotate action."],
    );
    w.policy(STD, "twice", json!({ "lifetimeActions": [rotate] }))
        .await
        .accepted(200);
}

#[tokio::test]
async fn a_notify_action_is_triggered_before_expiry_only() {
    let sim = sim();
    let w = W::new(&sim);
    w.rsa(STD, "notify").await;
    let notify = |trigger: Value| {
        json!({ "lifetimeActions": [{ "trigger": trigger, "action": { "type": "notify" } }],
                "attributes": { "expiryTime": "P1Y" } })
    };
    w.policy(STD, "notify", notify(json!({ "timeAfterCreate": "P30D" })))
        .await
        .refused(
            400,
            "BadParameter",
            &["A Notify action is triggered only by timeBeforeExpiry."],
        );
    let set = w
        .policy(STD, "notify", notify(json!({ "timeBeforeExpiry": "P30D" })))
        .await;
    set.accepted(200);
    // The action type is compared case-insensitively and answered in the spec's spelling.
    assert_eq!(set.body["lifetimeActions"][0]["action"]["type"], "Notify");
}

#[tokio::test]
async fn a_rotation_waits_at_least_seven_days() {
    let sim = sim();
    let w = W::new(&sim);
    w.rsa(STD, "soon").await;
    let rotate = |after: &str| json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": after }, "action": { "type": "Rotate" } }] });
    w.policy(STD, "soon", rotate("P3D")).await.refused(
        400,
        "BadParameter",
        &["The timeAfterCreate 'P3D' of the Rotate action is too short: the minimum is 7 days."],
    );
    w.policy(STD, "soon", rotate("P7D")).await.accepted(200);
}

#[tokio::test]
async fn rotating_makes_a_new_version_of_an_existing_key() {
    let sim = sim();
    let w = W::new(&sim);
    w.post(STD, "/keys/absent/rotate", &w.admin, json!({}))
        .await
        .refused(
            404,
            "KeyNotFound",
            &["A key with (name/id) absent was not found"],
        );
    let first = w.rsa(STD, "rolled").await;
    w.policy(
        STD,
        "rolled",
        json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": "P30D" }, "action": { "type": "Rotate" } }],
                "attributes": { "expiryTime": "P90D" } }),
    )
    .await
    .accepted(200);
    let rotated = w
        .post(STD, "/keys/rolled/rotate", &w.admin, json!({}))
        .await;
    rotated.accepted(200);
    assert_ne!(rotated.body["key"]["kid"], first.body["key"]["kid"]);
    assert_eq!(rotated.body["key"]["kty"], "RSA");
    let exp = rotated.body["attributes"]["exp"]
        .as_i64()
        .expect("exp from the policy");
    let created = rotated.body["attributes"]["created"].as_i64().unwrap();
    assert_eq!(exp - created, 90 * 24 * 3600);
}

#[tokio::test]
async fn rotation_policies_need_their_own_permission() {
    let sim = sim();
    let w = W::new(&sim);
    w.rsa(STD, "guarded").await;
    let app = w.p.app(
        CUSTOMER,
        CUSTOMER_CI_APP_ID,
        &sim.cloud().key_vault_audience,
    );
    let refused =
        w.p.get(&w.url(STD, "/keys/guarded/rotationpolicy"), Some(&app))
            .await;
    refused.refused(
        403,
        "Forbidden",
        &[
            "Caller is not authorized to perform action on resource.",
            "Action: 'Microsoft.KeyVault/vaults/keyrotationpolicies/read'",
        ],
    );
    assert_eq!(refused.inner_code(), "ForbiddenByRbac");
    w.p.get(&w.url(STD, "/keys/guarded/rotationpolicy"), Some(&w.admin))
        .await
        .accepted(200);
}

// ---- validity, sizes, key types, recovery ----------------------------------------------------

#[tokio::test]
async fn a_key_not_yet_valid_does_not_wrap() {
    let sim = sim();
    let w = W::new(&sim);
    let later = xtcmk_sim::tokens::now() + 3600;
    w.key(
        STD,
        "later",
        json!({ "kty": "RSA", "key_size": 2048, "attributes": { "nbf": later } }),
    )
    .await
    .accepted(200);
    let value = json!({ "alg": "RSA-OAEP-256", "value": b64(&[7u8; 32]) });
    w.post(STD, "/keys/later/wrapkey", &w.admin, value.clone())
        .await
        .refused(
            403,
            "Forbidden",
            &["Operation wrapKey is not allowed on a key outside its validity period"],
        );
    w.rsa(STD, "now").await;
    w.post(STD, "/keys/now/wrapkey", &w.admin, value)
        .await
        .accepted(200);
}

#[tokio::test]
async fn an_expired_key_decrypts_but_does_not_encrypt() {
    // Key Vault "About keys": outside nbf/exp, decrypt, unwrap and verify still work.
    let sim = sim();
    let w = W::new(&sim);
    w.rsa(STD, "aging").await;
    let sealed = w
        .post(
            STD,
            "/keys/aging/encrypt",
            &w.admin,
            json!({ "alg": "RSA-OAEP", "value": b64(b"secret") }),
        )
        .await;
    sealed.accepted(200);
    {
        let mut state = sim.state();
        let key = state.keys.get_mut(STD).unwrap().get_mut("aging").unwrap();
        key.versions.last_mut().unwrap().exp = Some(xtcmk_sim::tokens::now() - 60);
    }
    w.post(
        STD,
        "/keys/aging/encrypt",
        &w.admin,
        json!({ "alg": "RSA-OAEP", "value": b64(b"again") }),
    )
    .await
    .refused(
        403,
        "Forbidden",
        &["Operation encrypt is not allowed on a key outside its validity period"],
    );
    let opened = w
        .post(
            STD,
            "/keys/aging/decrypt",
            &w.admin,
            json!({ "alg": "RSA-OAEP", "value": sealed.body["value"] }),
        )
        .await;
    opened.accepted(200);
    assert_eq!(opened.body["value"], b64(b"secret"));
}

#[tokio::test]
async fn a_wrapped_value_fits_the_key_and_algorithm() {
    // RFC 8017: RSA-OAEP-256 with a 2048-bit key takes at most 256 - 2*32 - 2 = 190 bytes.
    let sim = sim();
    let w = W::new(&sim);
    w.rsa(STD, "sized").await;
    let wrap = |len: usize| json!({ "alg": "RSA-OAEP-256", "value": b64(&vec![1u8; len]) });
    w.post(STD, "/keys/sized/wrapkey", &w.admin, wrap(191))
        .await
        .refused(
            400,
            "BadParameter",
            &["The value to wrap is 191 bytes; this key and algorithm wrap at most 190."],
        );
    w.post(STD, "/keys/sized/wrapkey", &w.admin, wrap(190))
        .await
        .accepted(200);
}

#[tokio::test]
async fn hsm_keys_need_a_premium_vault() {
    let sim = sim();
    let w = W::new(&sim);
    let hsm = json!({ "kty": "RSA-HSM", "key_size": 3072 });
    w.key(STD, "hsm", hsm.clone()).await.refused(
        400,
        "BadParameter",
        &["Hardware key operation not allowed on standard vault"],
    );
    let created = w.key(PREMIUM, "hsm", hsm).await;
    created.accepted(200);
    assert_eq!(created.body["key"]["kty"], "RSA-HSM");
}

#[tokio::test]
async fn a_keys_recovery_level_follows_its_vault() {
    let sim = sim();
    let w = W::new(&sim);
    let protected = w.rsa(STD, "kept").await;
    assert_eq!(protected.body["attributes"]["recoveryLevel"], "Recoverable");
    assert_eq!(protected.body["attributes"]["recoverableDays"], 90);
    let purgeable = w.rsa(PLAIN, "kept").await;
    assert_eq!(
        purgeable.body["attributes"]["recoveryLevel"],
        "Recoverable+Purgeable"
    );
}

#[tokio::test]
async fn crypto_calls_are_neither_reads_nor_writes() {
    let sim = sim();
    let w = W::new(&sim);
    w.rsa(STD, "logged").await;
    let mark = sim.log().mark();
    w.post(
        STD,
        "/keys/logged/wrapkey",
        &w.admin,
        json!({ "alg": "RSA-OAEP", "value": b64(&[2u8; 16]) }),
    )
    .await
    .accepted(200);
    let since = sim.log().since(mark);
    assert_eq!(since.len(), 1);
    assert_eq!(since[0].kind, Kind::Crypto);
    assert!(!since[0].is_effective_write());
    assert_eq!(sim.log().counters().crypto, 1);
    // Creating a key is a write.
    let create = sim.log().matching("POST", "/keys/logged/create");
    assert_eq!(create[0].kind, Kind::Write);
    assert!(
        sim.log()
            .crypto()
            .iter()
            .all(|e| e.path.ends_with("/wrapkey"))
    );
}
