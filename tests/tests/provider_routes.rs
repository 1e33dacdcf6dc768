//! The Graph application and federated-credential routes and the ARM user-assigned identity
//! routes follow Azure's rules: upsert statuses, alternate keys, the 20-credential limit with
//! Graph's error shape, one audience, the name pattern, issuer+subject uniqueness, immutable
//! names, ARM's 201/200 and its 404 bodies, replication delay on new apps.

use azure_core::http::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use xtcmk::Secret;
use xtcmk::http::{ApiResponse, HttpStack, StaticTokenCredential};
use xtcmk_sim::replication::ReplicationRule;
use xtcmk_sim::scenario::demo;
use xtcmk_sim::{Scenario, Sim};

fn stack(sim: &Sim, audience: &str) -> HttpStack {
    let token = sim.user_token(demo::PROVIDER, demo::PROVIDER_ADMIN, audience);
    HttpStack::builder(sim.cloud().clone())
        .credential(
            "test",
            Arc::new(StaticTokenCredential::new(
                Secret::new(token),
                Duration::from_secs(3600),
            )),
        )
        .build()
        .unwrap()
}

struct Graph(xtcmk::clients::GraphClient);

impl Graph {
    fn new(sim: &Sim) -> Self {
        let audience = sim.cloud().graph_audience.clone();
        Graph(stack(sim, &audience).graph(None).unwrap())
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        prefer: bool,
    ) -> ApiResponse {
        let mut request = self.0.request(method, path).unwrap();
        if prefer {
            request = request.header("Prefer", "create-if-missing");
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        self.0.send(request).await.unwrap()
    }
}

fn code(response: &ApiResponse) -> String {
    let body = response.json_value().unwrap_or_default();
    assert!(
        body["error"]["innerError"]["request-id"].is_string(),
        "Graph's error shape: {body}"
    );
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn fic(name: &str, subject: &str, issuer: &str) -> Value {
    json!({ "name": name, "issuer": issuer, "subject": subject, "audiences": ["api://AzureADTokenExchange"] })
}

#[tokio::test]
async fn applications_upsert_by_unique_name_and_read_by_alternate_keys() {
    let sim = Sim::start(Scenario::demo());
    let g = Graph::new(&sim);
    let body = json!({ "displayName": "Contoso CMK", "signInAudience": "AzureADMultipleOrgs" });
    let path = "/applications(uniqueName='xtcmk-contoso-cmk')";
    assert_eq!(
        g.call(Method::Patch, path, Some(body.clone()), false)
            .await
            .status,
        404,
        "no Prefer, no app"
    );
    let created = g.call(Method::Patch, path, Some(body.clone()), true).await;
    assert_eq!(created.status, 201);
    let app = created.json_value().unwrap();
    assert_eq!(
        g.call(Method::Patch, path, Some(body), true).await.status,
        204
    );
    let by_app_id = format!("/applications(appId='{}')", app["appId"].as_str().unwrap());
    assert_eq!(
        g.call(Method::Get, &by_app_id, None, false)
            .await
            .json_value()
            .unwrap()["id"],
        app["id"]
    );
    let list = g
        .call(
            Method::Get,
            "/applications?$filter=uniqueName%20eq%20'xtcmk-contoso-cmk'",
            None,
            false,
        )
        .await;
    assert_eq!(
        list.json_value().unwrap()["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let unknown = g
        .call(
            Method::Post,
            "/applications",
            Some(json!({ "displayName": "x", "bogus": 1 })),
            false,
        )
        .await;
    assert_eq!(
        (unknown.status, code(&unknown).as_str()),
        (400, "Request_BadRequest")
    );
    assert_eq!(
        sim.state().tenants[0].applications.len(),
        2,
        "the CI app and the new one"
    );
}

#[tokio::test]
async fn a_new_app_is_invisible_to_reads_while_replicas_lag_but_an_upsert_finds_it() {
    let sim = Sim::start(Scenario::demo());
    sim.replication().add(ReplicationRule::reads(
        xtcmk_sim::graph::applications::APPLICATION,
        2,
    ));
    let g = Graph::new(&sim);
    let path = "/applications(uniqueName='lagging')";
    let body = json!({ "displayName": "Lagging" });
    assert_eq!(
        g.call(Method::Patch, path, Some(body.clone()), true)
            .await
            .status,
        201
    );
    assert_eq!(g.call(Method::Get, path, None, false).await.status, 404);
    assert_eq!(
        g.call(Method::Patch, path, Some(body), true).await.status,
        204,
        "the write sees it"
    );
    assert_eq!(g.call(Method::Get, path, None, false).await.status, 404);
    assert_eq!(g.call(Method::Get, path, None, false).await.status, 200);
}

#[tokio::test]
async fn federated_credentials_follow_graphs_rules_and_the_21st_is_refused() {
    let sim = Sim::start(Scenario::demo());
    let g = Graph::new(&sim);
    let issuer = sim.cloud().issuer(&sim.tenant_id(demo::PROVIDER));
    let base = format!(
        "/applications/{}/federatedIdentityCredentials",
        demo::CI_APP_OBJECT_ID
    );

    let two_audiences =
        json!({ "name": "two", "issuer": issuer, "subject": "s", "audiences": ["a", "b"] });
    let r = g
        .call(Method::Post, &base, Some(two_audiences), false)
        .await;
    assert_eq!((r.status, code(&r).as_str()), (400, "Request_BadRequest"));
    let r = g
        .call(
            Method::Post,
            &base,
            Some(fic("-bad name", "s", &issuer)),
            false,
        )
        .await;
    assert_eq!(r.status, 400, "name pattern");

    for i in 0..20 {
        let r = g
            .call(
                Method::Post,
                &base,
                Some(fic(
                    &format!("fic-{i:02}"),
                    &format!("subject-{i}"),
                    &issuer,
                )),
                false,
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.json_value());
    }
    let r = g
        .call(
            Method::Post,
            &base,
            Some(fic("fic-20", "subject-20", &issuer)),
            false,
        )
        .await;
    assert_eq!((r.status, code(&r).as_str()), (400, "Request_BadRequest"));
    assert!(
        r.json_value().unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("(20)")
    );

    let r = g
        .call(
            Method::Post,
            &base,
            Some(fic("fic-00", "other", &issuer)),
            false,
        )
        .await;
    assert_eq!(
        (r.status, code(&r).as_str()),
        (409, "Request_MultipleObjectsWithSameKeyValue")
    );
    let by_name = format!("{base}(name='fic-01')");
    let r = g
        .call(
            Method::Patch,
            &by_name,
            Some(json!({ "subject": "subject-0" })),
            false,
        )
        .await;
    assert_eq!(r.status, 400, "issuer+subject is unique per app");
    let r = g
        .call(
            Method::Patch,
            &by_name,
            Some(json!({ "name": "renamed" })),
            false,
        )
        .await;
    assert_eq!(r.status, 400, "the name is immutable");
    assert_eq!(
        g.call(
            Method::Patch,
            &by_name,
            Some(json!({ "subject": "moved" })),
            false
        )
        .await
        .status,
        204
    );
    assert_eq!(
        g.call(Method::Delete, &by_name, None, false).await.status,
        204
    );
    let upsert = format!("{base}(name='fic-new')");
    assert_eq!(
        g.call(
            Method::Patch,
            &upsert,
            Some(fic("fic-new", "subject-new", &issuer)),
            false
        )
        .await
        .status,
        201
    );
    let list = g
        .call(
            Method::Get,
            &format!("{base}?$filter=subject%20eq%20'subject-new'"),
            None,
            false,
        )
        .await;
    assert_eq!(list.json_value().unwrap()["value"][0]["name"], "fic-new");
}

#[tokio::test]
async fn user_assigned_identities_answer_as_arm_does() {
    let sim = Sim::start(Scenario::demo());
    let audience = sim.cloud().resource_manager_audience.clone();
    let arm = stack(&sim, &audience).arm(None).unwrap();
    let id = |rg: &str, name: &str| {
        format!(
            "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
            demo::PROVIDER_SUBSCRIPTION_ID
        )
    };
    let send = |method: Method, path: String, body: Option<Value>| {
        let arm = arm.clone();
        async move {
            let url = arm.url(&path, "2026-05-31").unwrap();
            let mut request = xtcmk::http::ApiRequest::new(method, url);
            if let Some(b) = body {
                request = request.json(&b);
            }
            let r = arm.service_client().send(request).await.unwrap();
            (r.status, r.json_value().unwrap_or_default())
        }
    };
    let (status, body) = send(
        Method::Get,
        id(demo::PROVIDER_RESOURCE_GROUP, "uami-x"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("ResourceNotFound"))
    );
    let (status, body) = send(Method::Get, id("rg-missing", "uami-x"), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("ResourceGroupNotFound"))
    );
    let (status, body) = send(
        Method::Put,
        id(demo::PROVIDER_RESOURCE_GROUP, "uami-x"),
        Some(json!({ "location": "westeurope" })),
    )
    .await;
    assert_eq!(status, 201);
    assert!(
        body["properties"]["principalId"].is_string() && body["properties"]["clientId"].is_string()
    );
    let (status, again) = send(
        Method::Put,
        id(demo::PROVIDER_RESOURCE_GROUP, "uami-x"),
        Some(json!({ "location": "westeurope" })),
    )
    .await;
    assert_eq!(
        (status, &again["properties"]["principalId"]),
        (200, &body["properties"]["principalId"])
    );
    let (status, refused) = send(
        Method::Put,
        id(demo::PROVIDER_RESOURCE_GROUP, "uami-y"),
        Some(json!({ "location": "westeurope", "sku": "x" })),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (400, Some("InvalidRequestContent"))
    );
    let (status, _) = send(
        Method::Put,
        id(demo::PROVIDER_RESOURCE_GROUP, "uami-z"),
        Some(json!({ "tags": {} })),
    )
    .await;
    assert_eq!(status, 400, "location is required");
}
