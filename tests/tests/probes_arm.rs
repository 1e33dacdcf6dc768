//! Raw probes of Resource Manager's rules: each test sends what Azure refuses and checks the
//! status, error code and message the simulator answers, then sends the well-formed twin and
//! checks it passes. No tool and no client library: HTTPS with a bearer token.

use serde_json::{Value, json};
use xtcmk_sim::arm::role_definitions as roles;
use xtcmk_sim::harness::probe::{Answer, Probe};
use xtcmk_sim::replication::ReplicationRule;
use xtcmk_sim::scenario::VaultSpec;
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::{Scenario, Sim};

const KV_API: &str = "2026-02-01";
const RG_API: &str = "2021-04-01";
const AUTH_API: &str = "2022-04-01";
const MI_API: &str = "2026-05-31";
const DEPLOY_API: &str = "2025-04-01";
const KEY_API: &str = "2025-07-01";

const CRYPTO_USER_ROLE: &str = "e147488a-f6f5-4113-8e2d-b22465e65bf6";

fn sub() -> String {
    format!("/subscriptions/{CUSTOMER_SUBSCRIPTION_ID}")
}

fn rg() -> String {
    format!("{}/resourceGroups/{CUSTOMER_RESOURCE_GROUP}", sub())
}

fn vault(name: &str) -> String {
    format!("{}/providers/Microsoft.KeyVault/vaults/{name}", rg())
}

fn vault_body(location: &str) -> Value {
    json!({
        "location": location,
        "properties": {
            "tenantId": CUSTOMER_TENANT_ID,
            "sku": { "family": "A", "name": "standard" },
        }
    })
}

/// The demo, plus a legacy vault without soft delete (created before it was mandatory).
fn sim() -> Sim {
    let mut scenario = Scenario::demo();
    let customer = scenario
        .tenants
        .iter_mut()
        .find(|t| t.alias == CUSTOMER)
        .unwrap();
    customer.subscriptions[0].vaults.push(VaultSpec {
        name: "kv-legacy".into(),
        resource_group: CUSTOMER_RESOURCE_GROUP.into(),
        location: None,
        sku: "standard".into(),
        enable_soft_delete: false,
        enable_purge_protection: false,
        enable_rbac_authorization: true,
    });
    Sim::start(scenario)
}

struct W<'a> {
    p: Probe<'a>,
    admin: String,
    nobody: String,
}

impl<'a> W<'a> {
    fn new(sim: &'a Sim) -> Self {
        let p = Probe::new(sim);
        let admin = p.user_arm(CUSTOMER, CUSTOMER_ADMIN);
        let nobody = p.user_arm(CUSTOMER, CUSTOMER_USER);
        Self { p, admin, nobody }
    }

    fn url(&self, path: &str, api: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        self.p.arm(&format!("{path}{sep}api-version={api}"))
    }

    async fn get(&self, path: &str, api: &str, token: &str) -> Answer {
        self.p.get(&self.url(path, api), Some(token)).await
    }

    async fn put(&self, path: &str, api: &str, token: &str, body: Value) -> Answer {
        self.p.put(&self.url(path, api), Some(token), body).await
    }

    async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.p
            .patch(&self.url(path, KV_API), Some(token), body)
            .await
    }

    /// Creates a vault as the admin and follows it to `Succeeded`.
    async fn vault(&self, name: &str) {
        self.put(&vault(name), KV_API, &self.admin, vault_body(LOCATION))
            .await
            .accepted(201);
        self.get(&vault(name), KV_API, &self.admin)
            .await
            .accepted(200);
    }

    /// A key in an RBAC vault, created through the data plane by the admin (Crypto Officer).
    async fn key(&self, sim: &Sim, vault_name: &str, key: &str) {
        self.put(
            &format!(
                "{}/providers/Microsoft.Authorization/roleAssignments/{}",
                vault(vault_name),
                uuid::Uuid::new_v4()
            ),
            AUTH_API,
            &self.admin,
            json!({ "properties": {
                "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{}", roles::KEY_VAULT_CRYPTO_OFFICER),
                "principalId": CUSTOMER_ADMIN_ID,
                "principalType": "User",
            }}),
        )
        .await
        .accepted(201);
        let token = self.p.user_vault(CUSTOMER, CUSTOMER_ADMIN);
        let _ = sim;
        self.p
            .post(
                &self.p.vault(
                    vault_name,
                    &format!("/keys/{key}/create?api-version={KEY_API}"),
                ),
                Some(&token),
                json!({ "kty": "RSA", "key_size": 2048 }),
            )
            .await
            .accepted(200);
    }
}

fn assignment(role_definition_id: &str, principal: &str, principal_type: Option<&str>) -> Value {
    let mut properties =
        json!({ "roleDefinitionId": role_definition_id, "principalId": principal });
    if let Some(t) = principal_type {
        properties["principalType"] = json!(t);
    }
    json!({ "properties": properties })
}

fn assignment_path(scope: &str) -> String {
    format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{}",
        uuid::Uuid::new_v4()
    )
}

// ---- api-version ------------------------------------------------------------------------------

#[tokio::test]
async fn an_unknown_api_version_for_a_vault_is_no_registered_provider() {
    // azure-cli#20226: NoRegisteredProviderFound names location, version, type and the supported ones.
    let sim = sim();
    let w = W::new(&sim);
    w.put(&vault("kv-api"), "1999-01-01", &w.admin, vault_body(LOCATION))
        .await
        .refused(
            400,
            "NoRegisteredProviderFound",
            &[
                "No registered resource provider found for location 'westeurope' and API version '1999-01-01' for type 'vaults'.",
                "The supported api-versions are '",
                "2026-02-01",
                "The supported locations are '",
            ],
        );
    w.put(&vault("kv-api"), KV_API, &w.admin, vault_body(LOCATION))
        .await
        .accepted(201);
}

#[tokio::test]
async fn an_unknown_api_version_for_a_resource_group_is_invalid() {
    // azure-cli#27109: ARM's own types answer InvalidApiVersionParameter with ARM's list.
    let sim = sim();
    let w = W::new(&sim);
    w.get(&rg(), "2099-13-45", &w.admin).await.refused(
        400,
        "InvalidApiVersionParameter",
        &[
            "The api-version '2099-13-45' is invalid. The supported versions are '",
            "2021-04-01",
        ],
    );
    w.get(&rg(), RG_API, &w.admin).await.accepted(200);
}

#[tokio::test]
async fn a_missing_api_version_is_refused() {
    let sim = sim();
    let w = W::new(&sim);
    w.p.get(&w.p.arm(&rg()), Some(&w.admin)).await.refused(
        400,
        "MissingApiVersionParameter",
        &["The api-version query parameter (?api-version=) is required for all requests."],
    );
    w.get(&rg(), RG_API, &w.admin).await.accepted(200);
}

#[tokio::test]
async fn an_unknown_api_version_for_role_assignments_is_an_invalid_resource_type() {
    // azure-sdk-for-go#16699: the authorization front end names the type and namespace.
    let sim = sim();
    let w = W::new(&sim);
    let path = format!(
        "{}/providers/Microsoft.Authorization/roleAssignments",
        sub()
    );
    w.get(&path, "2018-06-01", &w.admin).await.refused(
        400,
        "InvalidResourceType",
        &[
            "The resource type 'roleAssignments' could not be found in the namespace 'Microsoft.Authorization' for api version '2018-06-01'.",
            "The supported api-versions are '",
        ],
    );
    w.get(&path, AUTH_API, &w.admin).await.accepted(200);
}

#[tokio::test]
async fn an_unknown_api_version_for_identities_is_no_registered_provider() {
    let sim = sim();
    let w = W::new(&sim);
    let path = format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-api",
        rg()
    );
    w.put(
        &path,
        "2017-01-01",
        &w.admin,
        json!({ "location": LOCATION }),
    )
    .await
    .refused(
        400,
        "NoRegisteredProviderFound",
        &["API version '2017-01-01' for type 'userAssignedIdentities'"],
    );
    w.put(&path, MI_API, &w.admin, json!({ "location": LOCATION }))
        .await
        .accepted(201);
}

#[tokio::test]
async fn cosmos_db_accounts_take_the_documentdb_versions() {
    // The table covers Microsoft.DocumentDB/databaseAccounts (2022-05-15 is the first version with
    // cross-tenant CMK); a version it lacks is refused before any route.
    let sim = sim();
    let w = W::new(&sim);
    let path = format!(
        "{}/providers/Microsoft.DocumentDB/databaseAccounts/acct",
        rg()
    );
    w.get(&path, "2021-11-15", &w.admin).await.refused(
        400,
        "NoRegisteredProviderFound",
        &[
            "API version '2021-11-15' for type 'databaseAccounts'",
            "2022-05-15",
            "2026-07-15",
        ],
    );
    for version in [
        "2022-05-15",
        "2023-09-15",
        "2024-11-15",
        "2025-10-15",
        "2026-07-15",
    ] {
        let answer = w.get(&path, version, &w.admin).await;
        assert_ne!(
            answer.code(),
            "NoRegisteredProviderFound",
            "{version}: {}",
            answer.text
        );
    }
}

#[tokio::test]
async fn the_cosmos_db_name_check_takes_the_documentdb_versions() {
    // databaseAccountNames is a Microsoft.DocumentDB type like databaseAccounts (CheckNameExists in
    // cosmos-db.json): a version the provider lacks, or none, is refused before the check. A HEAD
    // answer has no body, so the status is what a client sees.
    let sim = sim();
    let w = W::new(&sim);
    let path = "/providers/Microsoft.DocumentDB/databaseAccountNames/free-name";
    let head = |url: String| {
        let w = &w;
        async move { w.p.send("HEAD", &url, Some(&w.admin), None).await }
    };
    for refused in ["1999-01-01", "2021-11-15"] {
        let answer = head(w.url(path, refused)).await;
        assert_eq!(answer.status, 400, "{refused}");
    }
    assert_eq!(head(w.p.arm(path)).await.status, 400, "no api-version");
    for version in ["2022-05-15", "2026-03-15", "2026-07-15"] {
        assert_eq!(head(w.url(path, version)).await.status, 404, "{version}");
    }
}

// ---- authorization ------------------------------------------------------------------------------

#[tokio::test]
async fn subscriptions_are_listed_by_access() {
    let sim = sim();
    let w = W::new(&sim);
    let none = w.get("/subscriptions", "2022-12-01", &w.nobody).await;
    none.accepted(200);
    assert_eq!(
        none.body["value"],
        json!([]),
        "a user without a role sees none"
    );
    let owner = w.get("/subscriptions", "2022-12-01", &w.admin).await;
    owner.accepted(200);
    assert_eq!(
        owner.body["value"][0]["subscriptionId"],
        CUSTOMER_SUBSCRIPTION_ID
    );
}

#[tokio::test]
async fn a_subscription_is_not_readable_without_a_role() {
    let sim = sim();
    let w = W::new(&sim);
    w.get(&sub(), "2022-12-01", &w.nobody).await.refused(
        403,
        "AuthorizationFailed",
        &[
            &format!("The client '{CUSTOMER_USER}' with object id '{CUSTOMER_USER_ID}'"),
            "does not have authorization to perform action 'Microsoft.Resources/subscriptions/read'",
            &format!("over scope '{}'", sub()),
        ],
    );
    w.get(&sub(), "2022-12-01", &w.admin).await.accepted(200);
}

#[tokio::test]
async fn reading_a_resource_group_needs_a_role() {
    // azure-tools-for-java#3643 shows ARM's refusal of a resource group read.
    let sim = sim();
    let w = W::new(&sim);
    w.get(&rg(), RG_API, &w.nobody).await.refused(
        403,
        "AuthorizationFailed",
        &[
            "perform action 'Microsoft.Resources/subscriptions/resourceGroups/read'",
            &format!("over scope '{}'", rg()),
            "or the scope is invalid. If access was recently granted, please refresh your credentials.",
        ],
    );
    w.get(&rg(), RG_API, &w.admin).await.accepted(200);
}

#[tokio::test]
async fn creating_a_resource_group_needs_a_role() {
    let sim = sim();
    let w = W::new(&sim);
    let path = format!("{}/resourceGroups/rg-new", sub());
    w.put(&path, RG_API, &w.nobody, json!({ "location": LOCATION }))
        .await
        .refused(
            403,
            "AuthorizationFailed",
            &[
                "'Microsoft.Resources/subscriptions/resourceGroups/write'",
                "rg-new",
            ],
        );
    w.put(&path, RG_API, &w.admin, json!({ "location": LOCATION }))
        .await
        .accepted(201);
}

#[tokio::test]
async fn creating_an_identity_needs_a_role() {
    let sim = sim();
    let w = W::new(&sim);
    let path = format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-probe",
        rg()
    );
    w.put(&path, MI_API, &w.nobody, json!({ "location": LOCATION }))
        .await
        .refused(
            403,
            "AuthorizationFailed",
            &[
                "'Microsoft.ManagedIdentity/userAssignedIdentities/write'",
                "uami-probe",
            ],
        );
    w.put(&path, MI_API, &w.admin, json!({ "location": LOCATION }))
        .await
        .accepted(201);
    w.get(&path, MI_API, &w.nobody).await.refused(
        403,
        "AuthorizationFailed",
        &["'Microsoft.ManagedIdentity/userAssignedIdentities/read'"],
    );
    w.get(&path, MI_API, &w.admin).await.accepted(200);
}

#[tokio::test]
async fn a_service_principal_is_named_by_its_object_id() {
    // azure-sdk-for-net#5026: an application caller is "The client '<oid>' with object id '<oid>'".
    let sim = sim();
    let w = W::new(&sim);
    let provider_ci =
        w.p.app(PROVIDER, CI_APP_ID, &sim.cloud().resource_manager_audience);
    let path = format!(
        "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.Authorization/roleAssignments/{}",
        uuid::Uuid::new_v4()
    );
    w.put(
        &path,
        AUTH_API,
        &provider_ci,
        assignment(
            &format!(
                "/providers/Microsoft.Authorization/roleDefinitions/{}",
                roles::READER
            ),
            PROVIDER_ADMIN_ID,
            Some("User"),
        ),
    )
    .await
    .refused(
        403,
        "AuthorizationFailed",
        &[
            &format!("The client '{CI_SP_OBJECT_ID}' with object id '{CI_SP_OBJECT_ID}'"),
            "'Microsoft.Authorization/roleAssignments/write'",
        ],
    );
    // The CI app is Contributor: it may read the group it may not assign roles on.
    w.get(
        &format!(
            "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}"
        ),
        RG_API,
        &provider_ci,
    )
    .await
    .accepted(200);
}

#[tokio::test]
async fn deployments_need_deployments_write() {
    let sim = sim();
    let w = W::new(&sim);
    let path = format!("{}/providers/Microsoft.Resources/deployments/d1", rg());
    let body = json!({ "properties": { "mode": "Incremental", "template": {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": []
    }}});
    w.put(&path, DEPLOY_API, &w.nobody, body.clone())
        .await
        .refused(
            403,
            "AuthorizationFailed",
            &["'Microsoft.Resources/deployments/write'", "deployments/d1"],
        );
    w.put(&path, DEPLOY_API, &w.admin, body).await.accepted(201);
}

#[tokio::test]
async fn a_template_without_resources_is_invalid() {
    // ARM validates the template before deploying (InvalidTemplate, azure-quickstart-templates#760).
    let sim = sim();
    let w = W::new(&sim);
    let path = format!("{}/providers/Microsoft.Resources/deployments/d2", rg());
    let template = |resources: Option<Value>| {
        let mut t = json!({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
        });
        if let Some(r) = resources {
            t["resources"] = r;
        }
        json!({ "properties": { "mode": "Incremental", "template": t } })
    };
    w.put(&path, DEPLOY_API, &w.admin, template(None))
        .await
        .refused(
            400,
            "InvalidTemplate",
            &[
                "Deployment template validation failed: '",
                "Required property 'resources' not found",
            ],
        );
    w.put(&path, DEPLOY_API, &w.admin, template(Some(json!([]))))
        .await
        .accepted(201);
}

#[tokio::test]
async fn a_template_resource_without_a_name_is_invalid() {
    let sim = sim();
    let w = W::new(&sim);
    let path = format!("{}/providers/Microsoft.Resources/deployments/d3", rg());
    let template = |name: &str| {
        json!({ "properties": { "mode": "Incremental", "template": {
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "resources": [{ "type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": MI_API, "name": name, "location": LOCATION }]
        }}})
    };
    w.put(&path, DEPLOY_API, &w.admin, template(""))
        .await
        .refused(
            400,
            "InvalidTemplate",
            &["The template resource '' of type 'Microsoft.ManagedIdentity/userAssignedIdentities'", "The name property cannot be null or empty."],
        );
    w.put(&path, DEPLOY_API, &w.admin, template("uami-t"))
        .await
        .accepted(201);
}

#[tokio::test]
async fn role_definitions_are_listed_by_name_only_with_a_role() {
    let sim = sim();
    let w = W::new(&sim);
    let path = format!(
        "{}/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName eq 'Key Vault Crypto Service Encryption User'",
        rg()
    );
    w.get(&path, AUTH_API, &w.nobody).await.refused(
        403,
        "AuthorizationFailed",
        &["'Microsoft.Authorization/roleDefinitions/read'"],
    );
    let listed = w.get(&path, AUTH_API, &w.admin).await;
    listed.accepted(200);
    assert_eq!(
        listed.body["value"].as_array().unwrap().len(),
        1,
        "{}",
        listed.text
    );
    assert_eq!(
        listed.body["value"][0]["id"],
        format!(
            "/subscriptions/{CUSTOMER_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/{CRYPTO_USER_ROLE}"
        )
    );
}

#[tokio::test]
async fn a_role_definition_in_a_subscription_needs_a_role_to_read() {
    let sim = sim();
    let w = W::new(&sim);
    let path = format!(
        "{}/providers/Microsoft.Authorization/roleDefinitions/{}",
        sub(),
        roles::READER
    );
    w.get(&path, AUTH_API, &w.nobody).await.refused(
        403,
        "AuthorizationFailed",
        &["'Microsoft.Authorization/roleDefinitions/read'"],
    );
    w.get(&path, AUTH_API, &w.admin).await.accepted(200);
}

#[tokio::test]
async fn reading_a_vault_needs_a_role() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-read").await;
    w.get(&vault("kv-read"), KV_API, &w.nobody).await.refused(
        403,
        "AuthorizationFailed",
        &["'Microsoft.KeyVault/vaults/read'", "vaults/kv-read"],
    );
    w.get(&vault("kv-read"), KV_API, &w.admin)
        .await
        .accepted(200);
}

#[tokio::test]
async fn reading_a_deleted_vault_needs_a_role() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-gone").await;
    w.p.delete(&w.url(&vault("kv-gone"), KV_API), Some(&w.admin))
        .await
        .accepted(200);
    let path = format!(
        "{}/providers/Microsoft.KeyVault/locations/{LOCATION}/deletedVaults/kv-gone",
        sub()
    );
    w.get(&path, KV_API, &w.nobody).await.refused(
        403,
        "AuthorizationFailed",
        &["'Microsoft.KeyVault/locations/deletedVaults/read'"],
    );
    w.get(&path, KV_API, &w.admin).await.accepted(200);
}

#[tokio::test]
async fn listing_role_assignments_needs_a_role() {
    let sim = sim();
    let w = W::new(&sim);
    let path = format!("{}/providers/Microsoft.Authorization/roleAssignments", rg());
    w.get(&path, AUTH_API, &w.nobody).await.refused(
        403,
        "AuthorizationFailed",
        &["'Microsoft.Authorization/roleAssignments/read'"],
    );
    w.get(&path, AUTH_API, &w.admin).await.accepted(200);
}

// ---- role assignments ---------------------------------------------------------------------------

#[tokio::test]
async fn a_bare_role_definition_guid_is_not_a_role_definition_id() {
    // terraform-provider-azurerm#8547: "The role definition ID '…' is not valid."
    let sim = sim();
    let w = W::new(&sim);
    w.put(
        &assignment_path(&rg()),
        AUTH_API,
        &w.admin,
        assignment(roles::READER, CUSTOMER_USER_ID, Some("User")),
    )
    .await
    .refused(
        400,
        "InvalidRoleDefinitionId",
        &[&format!(
            "The role definition ID '{}' is not valid.",
            roles::READER
        )],
    );
    w.put(
        &assignment_path(&rg()),
        AUTH_API,
        &w.admin,
        assignment(
            &format!(
                "{}/providers/Microsoft.Authorization/roleDefinitions/{}",
                sub(),
                roles::READER
            ),
            CUSTOMER_USER_ID,
            Some("User"),
        ),
    )
    .await
    .accepted(201);
}

#[tokio::test]
async fn a_garbage_prefixed_role_definition_id_is_refused() {
    let sim = sim();
    let w = W::new(&sim);
    let garbage = format!("garbage/roleDefinitions/{}", roles::READER);
    w.put(
        &assignment_path(&rg()),
        AUTH_API,
        &w.admin,
        assignment(&garbage, CUSTOMER_USER_ID, Some("User")),
    )
    .await
    .refused(400, "InvalidRoleDefinitionId", &[&garbage, "is not valid."]);
    w.put(
        &assignment_path(&rg()),
        AUTH_API,
        &w.admin,
        assignment(
            &format!(
                "/providers/Microsoft.Authorization/roleDefinitions/{}",
                roles::READER
            ),
            CUSTOMER_USER_ID,
            Some("User"),
        ),
    )
    .await
    .accepted(201);
}

#[tokio::test]
async fn a_role_that_does_not_exist_is_refused() {
    let sim = sim();
    let w = W::new(&sim);
    let missing = "0b0b0b0b-0000-4000-8000-000000000000";
    w.put(
        &assignment_path(&rg()),
        AUTH_API,
        &w.admin,
        assignment(
            &format!("/providers/Microsoft.Authorization/roleDefinitions/{missing}"),
            CUSTOMER_USER_ID,
            Some("User"),
        ),
    )
    .await
    .refused(
        400,
        "RoleDefinitionDoesNotExist",
        &[&format!(
            "The specified role definition with ID '{missing}' does not exist."
        )],
    );
    // The twin: a role definition that exists (Reader, built in).
    w.put(
        &assignment_path(&rg()),
        AUTH_API,
        &w.admin,
        assignment(
            &format!(
                "/providers/Microsoft.Authorization/roleDefinitions/{}",
                roles::READER
            ),
            CUSTOMER_USER_ID,
            Some("User"),
        ),
    )
    .await
    .accepted(201);
}

#[tokio::test]
async fn without_principal_type_a_fresh_principal_is_not_found_with_it_accepted() {
    // https://aka.ms/docs-principaltype: principalType lets ARM skip the directory lookup.
    let sim = sim();
    let w = W::new(&sim);
    let fresh = CUSTOMER_CI_SP_OBJECT_ID;
    sim.replication().add(ReplicationRule::reads(
        xtcmk_sim::arm::role_assignments::PRINCIPAL,
        1,
    ));
    sim.replication().created(
        xtcmk_sim::arm::role_assignments::PRINCIPAL,
        &format!("{CUSTOMER_TENANT_ID}/{fresh}"),
    );
    let role = format!(
        "/providers/Microsoft.Authorization/roleDefinitions/{}",
        roles::READER
    );
    w.put(
        &assignment_path(&rg()),
        AUTH_API,
        &w.admin,
        assignment(&role, fresh, None),
    )
    .await
    .refused(
        400,
        "PrincipalNotFound",
        &[
            &format!(
                "Principal {} does not exist in the directory {CUSTOMER_TENANT_ID}.",
                fresh.replace('-', "")
            ),
            "set the role assignment principalType property",
        ],
    );
    sim.replication().created(
        xtcmk_sim::arm::role_assignments::PRINCIPAL,
        &format!("{CUSTOMER_TENANT_ID}/{fresh}"),
    );
    w.put(
        &assignment_path(&rg()),
        AUTH_API,
        &w.admin,
        assignment(&role, fresh, Some("ServicePrincipal")),
    )
    .await
    .accepted(201);
}

#[tokio::test]
async fn an_explicit_wrong_principal_type_is_unmatched() {
    let sim = sim();
    let w = W::new(&sim);
    let role = format!(
        "/providers/Microsoft.Authorization/roleDefinitions/{}",
        roles::READER
    );
    w.put(
        &assignment_path(&rg()),
        AUTH_API,
        &w.admin,
        assignment(&role, CUSTOMER_CI_SP_OBJECT_ID, Some("User")),
    )
    .await
    .refused(
        400,
        "UnmatchedPrincipalType",
        &[
            "has type 'ServicePrincipal'",
            "different from specified PrincipalType 'User'",
        ],
    );
    // Without a type, ARM uses the principal's own.
    let created = w
        .put(
            &assignment_path(&rg()),
            AUTH_API,
            &w.admin,
            assignment(&role, CUSTOMER_CI_SP_OBJECT_ID, None),
        )
        .await;
    created.accepted(201);
    assert_eq!(
        created.body["properties"]["principalType"],
        "ServicePrincipal"
    );
}

#[tokio::test]
async fn a_key_scope_needs_an_existing_key() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-keyscope").await;
    let role = format!("/providers/Microsoft.Authorization/roleDefinitions/{CRYPTO_USER_ROLE}");
    w.put(
        &assignment_path(&format!("{}/keys/absent", vault("kv-keyscope"))),
        AUTH_API,
        &w.admin,
        assignment(&role, CUSTOMER_CI_SP_OBJECT_ID, Some("ServicePrincipal")),
    )
    .await
    .refused(
        404,
        "ResourceNotFound",
        &["The Resource 'Microsoft.KeyVault/vaults/kv-keyscope/keys/absent' under resource group"],
    );
    w.key(&sim, "kv-keyscope", "cmk").await;
    w.put(
        &assignment_path(&format!("{}/keys/cmk", vault("kv-keyscope"))),
        AUTH_API,
        &w.admin,
        assignment(&role, CUSTOMER_CI_SP_OBJECT_ID, Some("ServicePrincipal")),
    )
    .await
    .accepted(201);
}

#[tokio::test]
async fn user_access_administrator_has_its_real_id() {
    // The built-in role "User Access Administrator" is 18d7d88d-d35e-4fb5-a5c3-7773c6a72a9d.
    let sim = sim();
    let w = W::new(&sim);
    let path = |id: &str| format!("/providers/Microsoft.Authorization/roleDefinitions/{id}");
    w.get(
        &path("18d7d88d-d35e-4fb5-a5c3-7773c6a72a9"),
        AUTH_API,
        &w.admin,
    )
    .await
    .refused(404, "RoleDefinitionDoesNotExist", &["does not exist."]);
    let uaa = w
        .get(
            &path("18d7d88d-d35e-4fb5-a5c3-7773c6a72a9d"),
            AUTH_API,
            &w.admin,
        )
        .await;
    uaa.accepted(200);
    assert_eq!(
        uaa.body["properties"]["roleName"],
        "User Access Administrator"
    );
}

// ---- vaults -------------------------------------------------------------------------------------

#[tokio::test]
async fn vault_names_with_consecutive_hyphens_are_not_valid() {
    // microsoft-teams-apps-company-communicator#28: the service's VaultNameNotValid text.
    let sim = sim();
    let w = W::new(&sim);
    w.put(&vault("kv--bad"), KV_API, &w.admin, vault_body(LOCATION))
        .await
        .refused(
            400,
            "VaultNameNotValid",
            &[
                "The vault name 'kv--bad' is invalid.",
                "The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens.",
            ],
        );
    w.put(&vault("kv-ok-bad"), KV_API, &w.admin, vault_body(LOCATION))
        .await
        .accepted(201);
}

#[tokio::test]
async fn vault_names_must_begin_with_a_letter() {
    let sim = sim();
    let w = W::new(&sim);
    w.put(&vault("9kv-digit"), KV_API, &w.admin, vault_body(LOCATION))
        .await
        .refused(
            400,
            "VaultNameNotValid",
            &["The vault name '9kv-digit' is invalid."],
        );
    w.put(&vault("kv9-digit"), KV_API, &w.admin, vault_body(LOCATION))
        .await
        .accepted(201);
}

#[tokio::test]
async fn vault_names_must_end_with_a_letter_or_digit() {
    let sim = sim();
    let w = W::new(&sim);
    w.put(
        &vault("kv-trailing-"),
        KV_API,
        &w.admin,
        vault_body(LOCATION),
    )
    .await
    .refused(
        400,
        "VaultNameNotValid",
        &["The vault name 'kv-trailing-' is invalid."],
    );
    w.put(
        &vault("kv-trailing-1"),
        KV_API,
        &w.admin,
        vault_body(LOCATION),
    )
    .await
    .accepted(201);
}

#[tokio::test]
async fn the_name_check_calls_an_invalid_name_account_name_invalid() {
    let sim = sim();
    let w = W::new(&sim);
    let check = |name: &str| json!({ "name": name, "type": "Microsoft.KeyVault/vaults" });
    let path = format!(
        "{}/providers/Microsoft.KeyVault/checkNameAvailability",
        sub()
    );
    let bad =
        w.p.post(&w.url(&path, KV_API), Some(&w.admin), check("kv--bad"))
            .await;
    bad.accepted(200);
    assert_eq!(bad.body["nameAvailable"], false);
    assert_eq!(bad.body["reason"], "AccountNameInvalid");
    assert!(
        bad.body["message"]
            .as_str()
            .unwrap()
            .contains("consecutive hyphens")
    );
    let good =
        w.p.post(&w.url(&path, KV_API), Some(&w.admin), check("kv-fine"))
            .await;
    assert_eq!(good.body["nameAvailable"], true, "{}", good.text);
}

#[tokio::test]
async fn a_vault_cannot_move_to_another_region() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-stay").await;
    w.put(
        &vault("kv-stay"),
        KV_API,
        &w.admin,
        vault_body("northeurope"),
    )
    .await
    .refused(
        400,
        "InvalidResourceLocation",
        &[
            "The resource 'kv-stay' already exists in location 'westeurope'",
            "cannot be created in location 'northeurope'",
        ],
    );
    w.put(
        &vault("kv-stay"),
        KV_API,
        &w.admin,
        vault_body("West Europe"),
    )
    .await
    .accepted(200);
}

#[tokio::test]
async fn soft_delete_cannot_be_disabled() {
    let sim = sim();
    let w = W::new(&sim);
    let mut body = vault_body(LOCATION);
    body["properties"]["enableSoftDelete"] = json!(false);
    w.put(&vault("kv-nosoft"), KV_API, &w.admin, body.clone())
        .await
        .refused(
            400,
            "BadRequest",
            &["\"enableSoftDelete\" cannot be set to false"],
        );
    body["properties"]["enableSoftDelete"] = json!(true);
    w.put(&vault("kv-nosoft"), KV_API, &w.admin, body)
        .await
        .accepted(201);
}

#[tokio::test]
async fn retention_is_seven_to_ninety_days() {
    let sim = sim();
    let w = W::new(&sim);
    let mut body = vault_body(LOCATION);
    body["properties"]["softDeleteRetentionInDays"] = json!(5);
    w.put(&vault("kv-retain"), KV_API, &w.admin, body.clone())
        .await
        .refused(
            400,
            "BadRequest",
            &[
                "\"softDeleteRetentionInDays\" has an invalid value 5",
                "It accepts >=7 and <=90.",
            ],
        );
    body["properties"]["softDeleteRetentionInDays"] = json!(7);
    w.put(&vault("kv-retain"), KV_API, &w.admin, body)
        .await
        .accepted(201);
}

#[tokio::test]
async fn retention_cannot_change_once_set() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-fixed").await;
    w.patch(
        &vault("kv-fixed"),
        &w.admin,
        json!({ "properties": { "softDeleteRetentionInDays": 30 } }),
    )
    .await
    .refused(
        400,
        "BadRequest",
        &[
            "\"softDeleteRetentionInDays\" cannot be changed once it is set",
            "it is 90",
        ],
    );
    w.patch(
        &vault("kv-fixed"),
        &w.admin,
        json!({ "properties": { "softDeleteRetentionInDays": 90 } }),
    )
    .await
    .accepted(200);
}

#[tokio::test]
async fn purge_protection_never_goes_back_to_false() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-purge").await;
    w.patch(
        &vault("kv-purge"),
        &w.admin,
        json!({ "properties": { "enablePurgeProtection": false } }),
    )
    .await
    .refused(
        400,
        "BadRequest",
        &["\"enablePurgeProtection\" cannot be set to false"],
    );
    let on = w
        .patch(
            &vault("kv-purge"),
            &w.admin,
            json!({ "properties": { "enablePurgeProtection": true } }),
        )
        .await;
    on.accepted(200);
    assert_eq!(on.body["properties"]["enablePurgeProtection"], true);
}

#[tokio::test]
async fn purge_protection_needs_soft_delete() {
    let sim = sim();
    let w = W::new(&sim);
    w.patch(
        &vault("kv-legacy"),
        &w.admin,
        json!({ "properties": { "enablePurgeProtection": true } }),
    )
    .await
    .refused(
        400,
        "BadRequest",
        &["\"enablePurgeProtection\" can be set only on a vault with soft delete enabled"],
    );
    w.patch(
        &vault("kv-legacy"),
        &w.admin,
        json!({ "properties": { "enableSoftDelete": true, "enablePurgeProtection": true } }),
    )
    .await
    .accepted(200);
}

#[tokio::test]
async fn a_patch_tenant_id_must_be_a_guid() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-tenant").await;
    w.patch(
        &vault("kv-tenant"),
        &w.admin,
        json!({ "properties": { "tenantId": "fabrikam" } }),
    )
    .await
    .refused(
        400,
        "InvalidRequestContent",
        &[
            "Error converting value \"fabrikam\" to type 'System.Guid'",
            "properties.tenantId",
        ],
    );
    w.patch(
        &vault("kv-tenant"),
        &w.admin,
        json!({ "properties": { "tenantId": CUSTOMER_TENANT_ID } }),
    )
    .await
    .accepted(200);
}

#[tokio::test]
async fn a_patch_sku_follows_the_spec() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-sku").await;
    w.patch(
        &vault("kv-sku"),
        &w.admin,
        json!({ "properties": { "sku": { "family": "B", "name": "standard" } } }),
    )
    .await
    .refused(400, "InvalidRequestContent", &["properties.sku.family"]);
    w.patch(
        &vault("kv-sku"),
        &w.admin,
        json!({ "properties": { "sku": { "family": "A", "name": "gold" } } }),
    )
    .await
    .refused(400, "InvalidRequestContent", &["properties.sku.name"]);
    let premium = w
        .patch(
            &vault("kv-sku"),
            &w.admin,
            json!({ "properties": { "sku": { "family": "A", "name": "premium" } } }),
        )
        .await;
    premium.accepted(200);
    assert_eq!(premium.body["properties"]["sku"]["name"], "premium");
}

#[tokio::test]
async fn a_patch_member_outside_vault_patch_properties_is_refused() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-member").await;
    w.patch(
        &vault("kv-member"),
        &w.admin,
        json!({ "properties": { "vaultUri": "https://elsewhere" } }),
    )
    .await
    .refused(
        400,
        "InvalidRequestContent",
        &["Could not find member 'vaultUri'"],
    );
    w.patch(
        &vault("kv-member"),
        &w.admin,
        json!({ "properties": { "enabledForDeployment": true } }),
    )
    .await
    .accepted(200);
}

#[tokio::test]
async fn a_deleted_vault_is_recovered_only_where_it_was() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-back").await;
    w.p.delete(&w.url(&vault("kv-back"), KV_API), Some(&w.admin))
        .await
        .accepted(200);
    let mut body = vault_body("northeurope");
    body["properties"]["createMode"] = json!("recover");
    w.put(&vault("kv-back"), KV_API, &w.admin, body.clone())
        .await
        .refused(
            400,
            "BadRequest",
            &["was deleted in location 'westeurope'", "not 'northeurope'"],
        );
    body["location"] = json!(LOCATION);
    w.put(&vault("kv-back"), KV_API, &w.admin, body)
        .await
        .accepted(201);
}

#[tokio::test]
async fn creating_a_vault_is_long_running_via_location() {
    // Vaults_CreateOrUpdate: x-ms-long-running-operation, final-state-via location; the states
    // come from VaultProvisioningState (Succeeded, RegisteringDns).
    let sim = sim();
    let w = W::new(&sim);
    let created = w
        .put(&vault("kv-lro"), KV_API, &w.admin, vault_body(LOCATION))
        .await;
    created.accepted(201);
    assert_eq!(
        created.body["properties"]["provisioningState"],
        "RegisteringDns"
    );
    assert!(created.header("azure-asyncoperation").is_none());
    let location = created
        .header("location")
        .expect("a Location header")
        .to_string();
    let mut states = Vec::new();
    loop {
        let poll = w.p.get(&location, Some(&w.admin)).await;
        states.push(poll.status);
        if poll.status == 200 {
            assert_eq!(poll.body["properties"]["provisioningState"], "Succeeded");
            break;
        }
        assert_eq!(poll.status, 202, "{}", poll.text);
        assert!(states.len() < 5);
    }
    assert_eq!(states, [202, 200]);
    w.p.get(&location, Some(&w.nobody))
        .await
        .refused(403, "AuthorizationFailed", &["vaults/read"]);
}

#[tokio::test]
async fn access_policy_permissions_come_from_the_spec() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-policy").await;
    let path = format!("{}/accessPolicies/add", vault("kv-policy"));
    let policy = |keys: Value, secrets: Value| {
        json!({ "properties": { "accessPolicies": [{
            "tenantId": CUSTOMER_TENANT_ID,
            "objectId": CUSTOMER_CI_SP_OBJECT_ID,
            "permissions": { "keys": keys, "secrets": secrets },
        }]}})
    };
    w.put(
        &path,
        KV_API,
        &w.admin,
        policy(json!(["get", "fly"]), json!([])),
    )
    .await
    .refused(
        400,
        "InvalidRequestContent",
        &[
            "Error converting value \"fly\" to type 'KeyPermissions'",
            "permissions.keys[1]",
        ],
    );
    w.put(
        &path,
        KV_API,
        &w.admin,
        policy(json!([]), json!(["teleport"])),
    )
    .await
    .refused(400, "InvalidRequestContent", &["'SecretPermissions'"]);
    w.put(
        &path,
        KV_API,
        &w.admin,
        policy(json!(["Get", "wrapKey"]), json!([])),
    )
    .await
    .accepted(200);
}

#[tokio::test]
async fn removing_permissions_leaves_the_rest_of_the_entry() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-remove").await;
    let entry = |keys: Value, secrets: Value| {
        json!({ "properties": { "accessPolicies": [{
            "tenantId": CUSTOMER_TENANT_ID,
            "objectId": CUSTOMER_CI_SP_OBJECT_ID,
            "applicationId": CUSTOMER_CI_APP_ID,
            "permissions": { "keys": keys, "secrets": secrets },
        }]}})
    };
    let base = vault("kv-remove");
    w.put(
        &format!("{base}/accessPolicies/add"),
        KV_API,
        &w.admin,
        entry(json!(["get", "wrapKey"]), json!(["get"])),
    )
    .await
    .accepted(200);
    w.put(
        &format!("{base}/accessPolicies/add"),
        KV_API,
        &w.admin,
        entry(json!(["unwrapKey"]), json!([])),
    )
    .await
    .accepted(200);
    let removed = w
        .put(
            &format!("{base}/accessPolicies/remove"),
            KV_API,
            &w.admin,
            json!({ "properties": { "accessPolicies": [{
                "tenantId": CUSTOMER_TENANT_ID,
                "objectId": CUSTOMER_CI_SP_OBJECT_ID,
                "permissions": { "keys": ["wrapKey"] },
            }]}}),
        )
        .await;
    removed.accepted(200);
    let policy = &removed.body["properties"]["accessPolicies"][0];
    assert_eq!(
        policy["permissions"]["keys"],
        json!(["get", "unwrapKey"]),
        "{policy}"
    );
    assert_eq!(policy["permissions"]["secrets"], json!(["get"]), "{policy}");
    assert_eq!(policy["applicationId"], CUSTOMER_CI_APP_ID, "{policy}");
    // Removing the last permission removes the entry.
    let emptied = w
        .put(
            &format!("{base}/accessPolicies/remove"),
            KV_API,
            &w.admin,
            entry(json!(["get", "unwrapKey"]), json!(["get"])),
        )
        .await;
    assert_eq!(emptied.body["properties"]["accessPolicies"], json!([]));
}

#[tokio::test]
async fn the_cloud_metadata_needs_no_token_other_routes_do() {
    let sim = sim();
    let w = W::new(&sim);
    let metadata =
        w.p.get(&w.p.arm("/metadata/endpoints?api-version=2022-09-01"), None)
            .await;
    metadata.accepted(200);
    assert_eq!(metadata.body["suffixes"]["keyVaultDns"], "vault.localhost");
    assert_eq!(
        metadata.body["authentication"]["audiences"][0],
        sim.cloud().resource_manager_audience
    );
    let list =
        w.p.get(&w.p.arm("/metadata/endpoints?api-version=2019-05-01"), None)
            .await;
    assert!(list.body.is_array(), "{}", list.text);
    w.p.get(&w.url(&rg(), RG_API), None).await.refused(
        401,
        "AuthenticationFailed",
        &["The 'Authorization' header is missing."],
    );
}

// ---- keys through Resource Manager (Keys_CreateIfNotExist) ---------------------------------------

fn key_path(vault_name: &str, key: &str) -> String {
    format!("{}/keys/{key}", vault(vault_name))
}

fn rsa_key(size: u32) -> Value {
    json!({ "properties": { "kty": "RSA", "keySize": size, "keyOps": ["wrapKey", "unwrapKey"] } })
}

#[tokio::test]
async fn creating_a_key_through_resource_manager_needs_keys_write_and_no_data_plane_role() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-arm-key").await;
    w.put(
        &key_path("kv-arm-key", "cmk"),
        KV_API,
        &w.nobody,
        rsa_key(3072),
    )
    .await
    .refused(
        403,
        "AuthorizationFailed",
        &[
            "'Microsoft.KeyVault/vaults/keys/write'",
            "kv-arm-key/keys/cmk",
        ],
    );
    // The admin (Owner) holds no data-plane role on the new vault, and needs none here.
    let created = w
        .put(
            &key_path("kv-arm-key", "cmk"),
            KV_API,
            &w.admin,
            rsa_key(3072),
        )
        .await;
    created.accepted(200);
    let props = &created.body["properties"];
    assert_eq!(created.body["type"], "Microsoft.KeyVault/vaults/keys");
    assert_eq!(props["kty"], "RSA");
    assert_eq!(props["keySize"], 3072);
    assert_eq!(props["keyOps"], json!(["wrapKey", "unwrapKey"]));
    let kid = props["keyUriWithVersion"].as_str().unwrap().to_string();
    // The data plane reads the same key (once the admin may read keys).
    w.put(
        &assignment_path(&vault("kv-arm-key")),
        AUTH_API,
        &w.admin,
        assignment(
            &format!(
                "/providers/Microsoft.Authorization/roleDefinitions/{}",
                roles::KEY_VAULT_CRYPTO_OFFICER
            ),
            CUSTOMER_ADMIN_ID,
            Some("User"),
        ),
    )
    .await
    .accepted(201);
    let token = w.p.user_vault(CUSTOMER, CUSTOMER_ADMIN);
    let read =
        w.p.get(
            &w.p.vault("kv-arm-key", &format!("/keys/cmk?api-version={KEY_API}")),
            Some(&token),
        )
        .await;
    read.accepted(200);
    assert_eq!(read.body["key"]["kid"], kid);
}

#[tokio::test]
async fn an_existing_key_is_returned_unchanged_with_no_new_version_and_no_write() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-arm-twice").await;
    let first = w
        .put(
            &key_path("kv-arm-twice", "cmk"),
            KV_API,
            &w.admin,
            rsa_key(3072),
        )
        .await;
    first.accepted(200);
    let mark = sim.log().mark();
    // Another size and operations: an existing key is not updated either.
    let again = w
        .put(
            &key_path("kv-arm-twice", "cmk"),
            KV_API,
            &w.admin,
            json!({ "properties": { "kty": "RSA", "keySize": 4096, "keyOps": ["encrypt"] } }),
        )
        .await;
    again.accepted(200);
    assert_eq!(
        again.body["properties"]["keyUriWithVersion"],
        first.body["properties"]["keyUriWithVersion"]
    );
    assert_eq!(again.body["properties"]["keySize"], 3072);
    assert_eq!(
        again.body["properties"]["keyOps"],
        json!(["wrapKey", "unwrapKey"])
    );
    let log = sim.log().since(mark);
    assert_eq!(log.len(), 1);
    assert!(!log[0].is_effective_write(), "{log:#?}");
    assert_eq!(sim.state().keys["kv-arm-twice"]["cmk"].versions.len(), 1);
}

#[tokio::test]
async fn a_key_body_follows_keys_json() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-arm-body").await;
    let path = key_path("kv-arm-body", "cmk");
    w.put(
        &path,
        KV_API,
        &w.admin,
        json!({ "properties": { "kty": "oct" } }),
    )
    .await
    .refused(400, "InvalidRequestContent", &["kty"]);
    w.put(
        &path,
        KV_API,
        &w.admin,
        json!({ "properties": { "kty": "RSA", "keyOps": ["export"] } }),
    )
    .await
    .refused(400, "InvalidRequestContent", &["keyOps"]);
    w.put(&path, KV_API, &w.admin, rsa_key(1024)).await.refused(
        400,
        "BadParameter",
        &["key size 1024"],
    );
    w.put(&path, KV_API, &w.admin, json!({ "tags": {} }))
        .await
        .refused(400, "MissingRequiredProperty", &["properties"]);
    w.put(&path, KV_API, &w.admin, json!({ "properties": {} }))
        .await
        .refused(400, "BadRequest", &["properties.kty"]);
    w.put(
        &key_path("kv-arm-body", "bad_name"),
        KV_API,
        &w.admin,
        rsa_key(2048),
    )
    .await
    .refused(400, "BadRequest", &["bad_name"]);
    w.put(
        &path,
        KV_API,
        &w.admin,
        json!({ "properties": { "kty": "RSA" } }),
    )
    .await
    .accepted(200);
}

#[tokio::test]
async fn hsm_keys_need_a_premium_vault_through_resource_manager_too() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-arm-std").await;
    let hsm = json!({ "properties": { "kty": "RSA-HSM", "keySize": 3072 } });
    w.put(
        &key_path("kv-arm-std", "cmk"),
        KV_API,
        &w.admin,
        hsm.clone(),
    )
    .await
    .refused(400, "BadParameter", &["Hardware key operation not allowed"]);
    let mut body = vault_body(LOCATION);
    body["properties"]["sku"]["name"] = json!("premium");
    w.put(&vault("kv-arm-prem"), KV_API, &w.admin, body)
        .await
        .accepted(201);
    w.get(&vault("kv-arm-prem"), KV_API, &w.admin)
        .await
        .accepted(200);
    let made = w
        .put(&key_path("kv-arm-prem", "cmk"), KV_API, &w.admin, hsm)
        .await;
    made.accepted(200);
    assert_eq!(made.body["properties"]["kty"], "RSA-HSM");
}

#[tokio::test]
async fn keys_take_the_api_versions_that_define_them() {
    let sim = sim();
    let w = W::new(&sim);
    w.vault("kv-arm-api").await;
    let path = key_path("kv-arm-api", "cmk");
    w.put(&path, "2018-02-14", &w.admin, rsa_key(2048))
        .await
        .refused(
            400,
            "NoRegisteredProviderFound",
            &["for type 'vaults/keys'"],
        );
    w.put(&path, "2019-09-01", &w.admin, rsa_key(2048))
        .await
        .accepted(200);
}
