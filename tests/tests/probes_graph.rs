//! Raw probes of Microsoft Graph's rules on applications, federated identity credentials and
//! service principals: filters, name rules, conflicts in Graph's words, and who may write what
//! (directory roles for users, app roles for app-only callers) — each with its twin.

use serde_json::{Value, json};
use xtcmk_sim::harness::probe::{Answer, Probe};
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::{Scenario, Sim, roles};

/// An app of the customer tenant whose service principal holds the Application Administrator
/// directory role but no Graph app role.
const OPS_APP_ID: &str = "20000000-0000-4000-8000-0000000000e1";

fn sim() -> Sim {
    let mut scenario = Scenario::demo();
    let ops = Scenario::builder()
        .tenant(CUSTOMER, "Fabrikam", CUSTOMER_DOMAIN, |t| {
            t.application("fabrikam-ops", |a| {
                a.app_id(OPS_APP_ID.parse().unwrap())
                    .directory_roles(&[roles::APPLICATION_ADMINISTRATOR])
            })
        })
        .build()
        .unwrap();
    scenario
        .tenants
        .iter_mut()
        .find(|t| t.alias == CUSTOMER)
        .unwrap()
        .applications
        .push(ops.tenants[0].applications[0].clone());
    Sim::start(scenario)
}

struct W<'a> {
    p: Probe<'a>,
    graph: String,
}

impl<'a> W<'a> {
    fn new(sim: &'a Sim) -> Self {
        Self {
            p: Probe::new(sim),
            graph: sim.cloud().graph_audience.clone(),
        }
    }

    fn user(&self, tenant: &str, upn: &str) -> String {
        self.p.user_graph(tenant, upn)
    }

    fn app(&self, tenant: &str, app_id: &str) -> String {
        self.p.app(tenant, app_id, &self.graph)
    }

    async fn get(&self, path: &str, token: &str) -> Answer {
        self.p.get(&self.p.graph(path), Some(token)).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.p.post(&self.p.graph(path), Some(token), body).await
    }

    async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.p.patch(&self.p.graph(path), Some(token), body).await
    }

    /// A new app; returns (object id, app id).
    async fn app_by(&self, token: &str, name: &str) -> (String, String) {
        let created = self
            .post(
                "/v1.0/applications",
                token,
                json!({ "displayName": name, "signInAudience": "AzureADMultipleOrgs" }),
            )
            .await;
        created.accepted(201);
        (
            created.body["id"].as_str().unwrap().to_string(),
            created.body["appId"].as_str().unwrap().to_string(),
        )
    }
}

fn fic(name: &str, subject: &str) -> Value {
    json!({ "name": name, "issuer": "https://issuer.example/", "subject": subject, "audiences": ["api://AzureADTokenExchange"] })
}

fn graph_shape(a: &Answer) {
    assert!(
        a.body["error"]["innerError"]["request-id"].is_string(),
        "Graph's error shape: {}",
        a.text
    );
}

#[tokio::test]
async fn service_principals_are_listed_by_app_id() {
    let sim = sim();
    let w = W::new(&sim);
    let token = w.user(PROVIDER, PROVIDER_ADMIN);
    let refused = w
        .get("/v1.0/servicePrincipals?$filter=notes eq 'x'", &token)
        .await;
    refused.refused(
        400,
        "Request_UnsupportedQuery",
        &["Unsupported or invalid query filter clause specified for property of resource 'ServicePrincipal': notes eq 'x'"],
    );
    graph_shape(&refused);
    let listed = w
        .get(
            &format!("/v1.0/servicePrincipals?$filter=appId eq '{CI_APP_ID}'"),
            &token,
        )
        .await;
    listed.accepted(200);
    assert_eq!(
        listed.body["value"].as_array().unwrap().len(),
        1,
        "{}",
        listed.text
    );
    assert_eq!(listed.body["value"][0]["id"], CI_SP_OBJECT_ID);
}

#[tokio::test]
async fn applications_are_filtered_by_display_name_prefix() {
    // What `az ad app create` sends first (azure-cli list_applications).
    let sim = sim();
    let w = W::new(&sim);
    let token = w.user(PROVIDER, PROVIDER_ADMIN);
    w.get("/v1.0/applications?$filter=displayName ne 'x'", &token)
        .await
        .refused(400, "Request_UnsupportedQuery", &["resource 'Application'"]);
    let listed = w
        .get(
            "/v1.0/applications?$filter=startswith(displayName,'xtcmk')",
            &token,
        )
        .await;
    listed.accepted(200);
    assert_eq!(
        listed.body["value"][0]["appId"], CI_APP_ID,
        "{}",
        listed.text
    );
}

#[tokio::test]
async fn credential_names_have_at_most_120_characters() {
    // Graph: "has a limit of 120 characters and must be URL friendly".
    let sim = sim();
    let w = W::new(&sim);
    let token = w.user(PROVIDER, PROVIDER_ADMIN);
    let path = format!("/v1.0/applications/{CI_APP_OBJECT_ID}/federatedIdentityCredentials");
    let refused = w.post(&path, &token, fic(&"n".repeat(121), "s1")).await;
    refused.refused(
        400,
        "Request_BadRequest",
        &[
            "Invalid value specified for property 'name'",
            "at most 120 characters",
        ],
    );
    graph_shape(&refused);
    w.post(&path, &token, fic(&"n".repeat(120), "s1"))
        .await
        .accepted(201);
}

#[tokio::test]
async fn credential_names_are_url_friendly() {
    let sim = sim();
    let w = W::new(&sim);
    let token = w.user(PROVIDER, PROVIDER_ADMIN);
    let path = format!("/v1.0/applications/{CI_APP_OBJECT_ID}/federatedIdentityCredentials");
    w.post(&path, &token, fic("not url/friendly", "s1"))
        .await
        .refused(
            400,
            "Request_BadRequest",
            &["'not url/friendly'", "URL friendly"],
        );
    // Graph takes what ARM's managed-identity pattern would not (a dot, a tilde, a leading dash).
    w.post(&path, &token, fic("-ci.main~1", "s1"))
        .await
        .accepted(201);
}

#[tokio::test]
async fn a_second_credential_with_the_same_name_conflicts() {
    // Azure/azure-dev#1482: 409 Request_MultipleObjectsWithSameKeyValue.
    let sim = sim();
    let w = W::new(&sim);
    let token = w.user(PROVIDER, PROVIDER_ADMIN);
    let path = format!("/v1.0/applications/{CI_APP_OBJECT_ID}/federatedIdentityCredentials");
    w.post(&path, &token, fic("main", "s1")).await.accepted(201);
    w.post(&path, &token, fic("main", "s2")).await.refused(
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        &["FederatedIdentityCredential with name main already exists."],
    );
    w.post(&path, &token, fic("other", "s2"))
        .await
        .accepted(201);
}

#[tokio::test]
async fn issuer_and_subject_are_unique_per_app() {
    // Azure/azure-workload-identity#434.
    let sim = sim();
    let w = W::new(&sim);
    let token = w.user(PROVIDER, PROVIDER_ADMIN);
    let path = format!("/v1.0/applications/{CI_APP_OBJECT_ID}/federatedIdentityCredentials");
    w.post(&path, &token, fic("first", "same"))
        .await
        .accepted(201);
    w.post(&path, &token, fic("second", "same")).await.refused(
        400,
        "InvalidFederatedIdentityCredentialValue",
        &[
            "The combination of issuer and subject must be unique for the application.",
            "Issuer https://issuer.example/ and Subject: same already exist.",
        ],
    );
    w.post(&path, &token, fic("second", "different"))
        .await
        .accepted(201);
}

#[tokio::test]
async fn an_app_holds_twenty_credentials_at_most() {
    let sim = sim();
    let w = W::new(&sim);
    let token = w.user(PROVIDER, PROVIDER_ADMIN);
    let path = format!("/v1.0/applications/{CI_APP_OBJECT_ID}/federatedIdentityCredentials");
    for i in 0..20 {
        w.post(&path, &token, fic(&format!("c{i}"), &format!("s{i}")))
            .await
            .accepted(201);
    }
    let refused = w.post(&path, &token, fic("c20", "s20")).await;
    refused.refused(
        400,
        "Request_BadRequest",
        &["maximum number of federated identity credentials (20)"],
    );
    graph_shape(&refused);
}

#[tokio::test]
async fn installing_an_installed_app_conflicts_in_graphs_words() {
    // Azure/reliable-web-app-pattern-java#185.
    let sim = sim();
    let w = W::new(&sim);
    let provider = w.user(PROVIDER, PROVIDER_ADMIN);
    let (_, app_id) = w.app_by(&provider, "Contoso CMK probe").await;
    let gina = w.user(CUSTOMER, CUSTOMER_ADMIN);
    w.post("/v1.0/servicePrincipals", &gina, json!({ "appId": app_id }))
        .await
        .accepted(201);
    w.post("/v1.0/servicePrincipals", &gina, json!({ "appId": app_id }))
        .await
        .refused(
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            &[&format!("The service principal cannot be created, updated, or restored because the service principal name {app_id} is already in use.")],
        );
}

#[tokio::test]
async fn upserting_an_existing_service_principal_takes_an_administrator() {
    let sim = sim();
    let w = W::new(&sim);
    let provider = w.user(PROVIDER, PROVIDER_ADMIN);
    let (_, app_id) = w.app_by(&provider, "Contoso upsert").await;
    let gina = w.user(CUSTOMER, CUSTOMER_ADMIN);
    let path = format!("/v1.0/servicePrincipals(appId='{app_id}')");
    w.post("/v1.0/servicePrincipals", &gina, json!({ "appId": app_id }))
        .await
        .accepted(201);
    let nico = w.user(CUSTOMER, CUSTOMER_USER);
    w.patch(&path, &nico, json!({ "displayName": "renamed" }))
        .await
        .refused(
            403,
            "Authorization_RequestDenied",
            &["Insufficient privileges to complete the operation."],
        );
    w.patch(&path, &gina, json!({ "displayName": "renamed" }))
        .await
        .accepted(204);
}

#[tokio::test]
async fn installing_an_app_of_ones_own_tenant_takes_a_role_or_ownership() {
    let sim = sim();
    let w = W::new(&sim);
    let gina = w.user(CUSTOMER, CUSTOMER_ADMIN);
    let (_, app_id) = w.app_by(&gina, "Fabrikam tool").await;
    let nico = w.user(CUSTOMER, CUSTOMER_USER);
    w.post("/v1.0/servicePrincipals", &nico, json!({ "appId": app_id }))
        .await
        .refused(
            403,
            "Authorization_RequestDenied",
            &["Insufficient privileges"],
        );
    w.post("/v1.0/servicePrincipals", &gina, json!({ "appId": app_id }))
        .await
        .accepted(201);
}

#[tokio::test]
async fn app_only_callers_are_authorized_by_app_roles_not_directory_roles() {
    let sim = sim();
    let w = W::new(&sim);
    // Application Administrator in `wids`, but no Graph app role.
    let ops = w.app(CUSTOMER, OPS_APP_ID);
    w.post(
        "/v1.0/applications",
        &ops,
        json!({ "displayName": "by ops" }),
    )
    .await
    .refused(
        403,
        "Authorization_RequestDenied",
        &["Insufficient privileges"],
    );
    let ci = w.app(CUSTOMER, CUSTOMER_CI_APP_ID);
    w.post("/v1.0/applications", &ci, json!({ "displayName": "by ci" }))
        .await
        .accepted(201);
}

#[tokio::test]
async fn owned_by_changes_only_the_apps_it_owns() {
    let sim = sim();
    let w = W::new(&sim);
    let ci = w.app(PROVIDER, CI_APP_ID);
    let (own, _) = w.app_by(&ci, "owned by ci").await;
    let alex = w.user(PROVIDER, PROVIDER_ADMIN);
    let (foreign, _) = w.app_by(&alex, "owned by alex").await;
    w.patch(
        &format!("/v1.0/applications/{foreign}"),
        &ci,
        json!({ "notes": "x" }),
    )
    .await
    .refused(
        403,
        "Authorization_RequestDenied",
        &["Insufficient privileges"],
    );
    w.post(
        &format!("/v1.0/applications/{foreign}/federatedIdentityCredentials"),
        &ci,
        fic("ci", "s"),
    )
    .await
    .refused(
        403,
        "Authorization_RequestDenied",
        &["Insufficient privileges"],
    );
    w.patch(
        &format!("/v1.0/applications/{own}"),
        &ci,
        json!({ "notes": "x" }),
    )
    .await
    .accepted(204);
    w.post(
        &format!("/v1.0/applications/{own}/federatedIdentityCredentials"),
        &ci,
        fic("ci", "s"),
    )
    .await
    .accepted(201);
}

#[tokio::test]
async fn a_user_without_a_role_changes_only_apps_they_own() {
    let sim = sim();
    let w = W::new(&sim);
    let gina = w.user(CUSTOMER, CUSTOMER_ADMIN);
    let (app, _) = w.app_by(&gina, "Gina's").await;
    let nico = w.user(CUSTOMER, CUSTOMER_USER);
    w.patch(
        &format!("/v1.0/applications/{app}"),
        &nico,
        json!({ "displayName": "Nico's" }),
    )
    .await
    .refused(
        403,
        "Authorization_RequestDenied",
        &["Insufficient privileges"],
    );
    w.patch(
        &format!("/v1.0/applications/{app}"),
        &gina,
        json!({ "displayName": "still Gina's" }),
    )
    .await
    .accepted(204);
}

#[tokio::test]
async fn declared_members_are_accepted_undeclared_ones_refused() {
    let sim = sim();
    let w = W::new(&sim);
    let token = w.user(PROVIDER, PROVIDER_ADMIN);
    let refused = w
        .post(
            "/v1.0/applications",
            &token,
            json!({ "displayName": "x", "bogus": 1 }),
        )
        .await;
    refused.refused(
        400,
        "Request_BadRequest",
        &["Property 'bogus' does not exist as a declared property or extension property of 'microsoft.graph.application'."],
    );
    graph_shape(&refused);
    // keyCredentials is declared on application (what `az ad app create` sends).
    w.post(
        "/v1.0/applications",
        &token,
        json!({ "displayName": "x", "keyCredentials": [], "signInAudience": "AzureADMultipleOrgs" }),
    )
    .await
    .accepted(201);
}
