//! The API clients' request shapes and answer handling against a scripted responder: Graph
//! alternate keys, upsert and advanced queries; ARM 404 semantics and paging; the Key Vault
//! SDK's challenge authentication over our transport; Atlas Digest and service-account auth.

#[allow(dead_code)]
mod http_support;

use azure_core::http::Method;
use azure_security_keyvault_keys::models::KeyOperation;
use base64::Engine;
use http_support::stack as new_stack;
use http_support::{Scripted, answer, json, zero_time};
use serde_json::{Value, json as j};
use xtcmk::Secret;
use xtcmk::clients::graph::alternate_key;
use xtcmk::clients::{AtlasAuth, GraphQuery, Upserted};

#[tokio::test]
async fn graph_upsert_by_alternate_key_with_prefer() {
    let path = alternate_key("applications", "uniqueName", "xtcmk-app");
    let scripted = Scripted::new();
    scripted.on(
        Method::Patch,
        "/v1.0/applications(uniqueName='xtcmk-app')",
        vec![
            json(201, j!({"id": "obj-1", "appId": "app-1"})),
            answer(204, &[], ""),
        ],
    );
    let (stack, _, credential) = new_stack(&scripted, zero_time());
    let graph = stack.graph(None).unwrap();

    let first: Upserted<Value> = graph
        .upsert(&path, &j!({"displayName": "xtcmk app"}))
        .await
        .unwrap();
    assert_eq!(
        first,
        Upserted::Created(j!({"id": "obj-1", "appId": "app-1"}))
    );
    let second: Upserted<Value> = graph
        .upsert(&path, &j!({"displayName": "xtcmk app"}))
        .await
        .unwrap();
    assert_eq!(second, Upserted::Updated);

    let seen = scripted.seen();
    assert_eq!(
        seen[0].url.as_str(),
        "https://graph.microsoft.com/v1.0/applications(uniqueName='xtcmk-app')"
    );
    assert_eq!(seen[0].header("prefer"), Some("create-if-missing"));
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
    assert_eq!(
        credential.scopes.lock().unwrap()[0],
        "https://graph.microsoft.com/.default"
    );
}

#[tokio::test]
async fn graph_advanced_queries_follow_next_links_with_consistency_level() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Get,
        "/v1.0/servicePrincipals",
        vec![
            json(200, j!({"value": [{"id": "a"}], "@odata.count": 2, "@odata.nextLink": "https://graph.microsoft.com/v1.0/servicePrincipals?$skiptoken=X1"})),
            json(200, j!({"value": [{"id": "b"}]})),
        ],
    );
    scripted.on(
        Method::Get,
        "/v1.0/applications/$count",
        vec![answer(200, &[("content-type", "text/plain")], "3")],
    );
    let (stack, _, _) = new_stack(&scripted, zero_time());
    let graph = stack.graph(None).unwrap();

    let query = GraphQuery::filter("endsWith(displayName,'-cmk')")
        .select(&["id", "appId"])
        .advanced();
    let all: Vec<Value> = graph.list("/servicePrincipals", &query).await.unwrap();
    assert_eq!(all, vec![j!({"id": "a"}), j!({"id": "b"})]);
    let seen = scripted.seen();
    let first: Vec<(String, String)> = seen[0].url.query_pairs().into_owned().collect();
    assert!(first.contains(&("$filter".into(), "endsWith(displayName,'-cmk')".into())));
    assert!(first.contains(&("$select".into(), "id,appId".into())));
    assert!(first.contains(&("$count".into(), "true".into())));
    assert_eq!(seen[1].url.query(), Some("$skiptoken=X1"));
    assert!(
        seen.iter()
            .all(|s| s.header("consistencylevel") == Some("eventual"))
    );

    assert_eq!(
        graph
            .count("/applications", Some("startsWith(displayName,'x')"))
            .await
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn graph_missing_objects_and_conflicts() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Get,
        "/v1.0/servicePrincipals(appId='app-1')",
        vec![answer(404, &[("request-id", "g1")], r#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'app-1' does not exist."}}"#)],
    );
    scripted.on(
        Method::Post,
        "/v1.0/servicePrincipals",
        vec![answer(409, &[("request-id", "g2")], r#"{"error":{"code":"Request_MultipleObjectsWithSameKeyValue","message":"Another object with the same value for property appId already exists."}}"#)],
    );
    let (stack, _, _) = new_stack(&scripted, zero_time());
    let graph = stack.graph(None).unwrap();
    assert_eq!(
        graph
            .get::<Value>(&alternate_key("servicePrincipals", "appId", "app-1"))
            .await
            .unwrap(),
        None
    );
    let err = graph
        .post::<_, Value>("/servicePrincipals", &j!({"appId": "app-1"}))
        .await
        .unwrap_err();
    assert!(err.is(409, "Request_MultipleObjectsWithSameKeyValue"));
    assert_eq!(
        err.service_error().unwrap().request_id.as_deref(),
        Some("g2")
    );
    assert!(err.hint().unwrap().contains("adopt"));
}

#[tokio::test]
async fn arm_get_absent_versus_missing_scope_and_paging() {
    let sub = "/subscriptions/00000000-0000-0000-0000-000000000001";
    let uami = format!(
        "{sub}/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
    );
    let other = format!(
        "{sub}/resourceGroups/nope/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
    );
    let list = format!("{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities");
    let scripted = Scripted::new();
    scripted.on(
        Method::Get,
        &uami,
        vec![answer(
            404,
            &[],
            r#"{"error":{"code":"ResourceNotFound","message":"not found"}}"#,
        )],
    );
    scripted.on(
        Method::Get,
        &other,
        vec![answer(404, &[("x-ms-request-id", "r1")], r#"{"error":{"code":"ResourceGroupNotFound","message":"Resource group 'nope' could not be found."}}"#)],
    );
    scripted.on(
        Method::Get,
        &list,
        vec![
            json(200, j!({"value": [{"name": "id1"}], "nextLink": format!("https://management.azure.com{list}?api-version=2026-05-31&$skipToken=2")})),
            json(200, j!({"value": [{"name": "id2"}]})),
        ],
    );
    let (stack, _, credential) = new_stack(&scripted, zero_time());
    let arm = stack.arm(None).unwrap();
    assert_eq!(arm.get::<Value>(&uami, "2026-05-31").await.unwrap(), None);
    let err = arm.get::<Value>(&other, "2026-05-31").await.unwrap_err();
    assert!(err.is(404, "ResourceGroupNotFound"));
    assert!(err.hint().unwrap().contains("resource group"));
    let names: Vec<String> = arm
        .list::<Value>(&list, "2026-05-31")
        .await
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["id1", "id2"]);
    assert_eq!(
        scripted.seen().last().unwrap().url.query(),
        Some("api-version=2026-05-31&$skipToken=2")
    );
    assert_eq!(
        credential.scopes.lock().unwrap()[0],
        "https://management.azure.com/.default"
    );
}

const KEY: &str = r#"{"key":{"kid":"https://kv1.vault.azure.net/keys/k1/0123456789abcdef0123456789abcdef","kty":"RSA","key_ops":["wrapKey","unwrapKey"],"n":"AQAB","e":"AQAB"},"attributes":{"enabled":true,"created":1700000000,"updated":1700000000,"recoveryLevel":"Recoverable+Purgeable"}}"#;

#[tokio::test]
async fn key_vault_uses_the_sdk_challenge_over_our_transport() {
    let challenge = r#"Bearer authorization="https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111", resource="https://vault.azure.net""#;
    let scripted = Scripted::new();
    scripted.on(
        Method::Get,
        "/keys/k1/",
        vec![
            answer(401, &[("www-authenticate", challenge)], ""),
            answer(200, &[], KEY),
        ],
    );
    scripted.on(Method::Get, "/keys/missing/", vec![answer(404, &[], r#"{"error":{"code":"KeyNotFound","message":"A key with (name/id) missing was not found in this key vault."}}"#)]);
    scripted.on(
        Method::Get,
        "/keys/walled/",
        vec![answer(403, &[("x-ms-request-id", "kv-r")], r#"{"error":{"code":"Forbidden","message":"Client address is not authorized and caller is not a trusted service.","innererror":{"code":"ForbiddenByFirewall"}}}"#)],
    );
    scripted.on(
        Method::Post,
        "/keys/k2/create",
        vec![answer(200, &[], &KEY.replace("/k1/", "/k2/"))],
    );
    let (stack, _, credential) = new_stack(&scripted, zero_time());
    let vault = stack
        .key_vault(None, &stack.cloud().vault_url("kv1"))
        .unwrap();

    let key = vault.get_key("k1").await.unwrap().expect("the key");
    assert_eq!(
        key.key.unwrap().kid.as_deref(),
        Some("https://kv1.vault.azure.net/keys/k1/0123456789abcdef0123456789abcdef")
    );
    let seen = scripted.seen();
    assert_eq!(seen.len(), 2);
    // The SDK asks for the current version as `/keys/{name}/` (empty version segment).
    assert_eq!(seen[1].url.path(), "/keys/k1/");
    assert_eq!(
        seen[0].header("authorization"),
        None,
        "the first request asks for the challenge"
    );
    assert!(
        seen[1]
            .header("authorization")
            .unwrap()
            .starts_with("Bearer ")
    );
    assert_eq!(seen[1].url.query(), Some("api-version=2025-07-01"));
    assert_eq!(
        credential.scopes.lock().unwrap().as_slice(),
        ["https://vault.azure.net/.default"]
    );

    assert!(vault.get_key("missing").await.unwrap().is_none());
    let err = vault.get_key("walled").await.unwrap_err();
    assert_eq!(err.code(), Some("ForbiddenByFirewall"));
    assert!(
        err.to_string()
            .starts_with("Key Vault refused GET /keys/walled: 403 ForbiddenByFirewall"),
        "{err}"
    );
    assert!(err.hint().unwrap().contains("AzureServices"));

    let created = vault
        .create_rsa_key(
            "k2",
            3072,
            &[KeyOperation::WrapKey, KeyOperation::UnwrapKey],
        )
        .await
        .unwrap();
    assert!(created.key.unwrap().kid.unwrap().contains("/keys/k2/"));
    let body: Value = serde_json::from_slice(&scripted.seen().last().unwrap().body).unwrap();
    assert_eq!(
        body,
        j!({"kty": "RSA", "key_size": 3072, "key_ops": ["wrapKey", "unwrapKey"]})
    );
}

#[tokio::test]
async fn arm_creates_a_key_only_if_it_does_not_exist() {
    let vault_id = "/subscriptions/3f2b6c1e-8d4a-4b7e-9c21-5a6f0e9d8b71/resourceGroups/sample-group/providers/Microsoft.KeyVault/vaults/sample-vault";
    let path = format!("{vault_id}/keys/cmk");
    let scripted = Scripted::new();
    // The shape of keys.json's Keys_CreateIfNotExist example (its keyUri carries `:443`).
    scripted.on(
        Method::Put,
        &path,
        vec![json(
            200,
            j!({
                "id": path.clone(),
                "name": "cmk",
                "type": "Microsoft.KeyVault/vaults/keys",
                "location": "westus",
                "properties": {
                    "attributes": { "created": 1598533051, "enabled": true, "recoveryLevel": "Purgeable", "updated": 1598533051 },
                    "keyOps": ["wrapKey", "unwrapKey"],
                    "keySize": 3072,
                    "keyUri": "https://sample-vault.vault.azure.net:443/keys/cmk",
                    "keyUriWithVersion": "https://sample-vault.vault.azure.net:443/keys/cmk/fd618d9519b74f9aae94ade66b876acc",
                    "kty": "RSA"
                }
            }),
        )],
    );
    let (stack, _, _) = new_stack(&scripted, zero_time());
    let arm = stack.arm(None).unwrap();
    let key = arm
        .create_key_if_not_exist(
            &vault_id.parse().unwrap(),
            "cmk",
            3072,
            &["wrapKey", "unwrapKey"],
        )
        .await
        .unwrap();
    assert_eq!(key.version(), Some("fd618d9519b74f9aae94ade66b876acc"));
    assert_eq!(key.properties.key_size, Some(3072));
    assert_eq!(key.properties.attributes.unwrap().enabled, Some(true));
    let seen = scripted.seen();
    assert_eq!(
        seen.last().unwrap().url.query(),
        Some("api-version=2026-02-01")
    );
    let body: Value = serde_json::from_slice(&seen.last().unwrap().body).unwrap();
    assert_eq!(
        body,
        j!({"properties": {"kty": "RSA", "keySize": 3072, "keyOps": ["wrapKey", "unwrapKey"]}})
    );
}

const EAR: &str = "/api/atlas/v2/groups/5f1a2b3c4d5e6f7a8b9c0d1e/encryptionAtRest";

#[tokio::test]
async fn atlas_digest_auth_answers_the_challenge_and_reuses_it() {
    let scripted = Scripted::new();
    let digest = r#"Digest realm="MMS Public API", domain="", nonce="n0nce", algorithm=MD5, qop="auth", stale=false"#;
    scripted.on(
        Method::Get,
        EAR,
        vec![
            answer(
                401,
                &[("www-authenticate", digest)],
                r#"{"error":401,"reason":"Unauthorized"}"#,
            ),
            json(200, j!({"azureKeyVault": {"enabled": false}})),
        ],
    );
    scripted.on(
        Method::Patch,
        EAR,
        vec![json(200, j!({"azureKeyVault": {"enabled": true}}))],
    );
    let (stack, _, _) = new_stack(&scripted, zero_time());
    let atlas = stack
        .atlas(AtlasAuth::ApiKey {
            public_key: "pubkey".into(),
            private_key: Secret::new("private-key-value"),
        })
        .unwrap();

    let ear: Value = atlas
        .get("/groups/5f1a2b3c4d5e6f7a8b9c0d1e/encryptionAtRest")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ear["azureKeyVault"]["enabled"], false);
    let updated: Value = atlas
        .patch(
            "/groups/5f1a2b3c4d5e6f7a8b9c0d1e/encryptionAtRest",
            &j!({"azureKeyVault": {"enabled": true}}),
        )
        .await
        .unwrap();
    assert_eq!(updated["azureKeyVault"]["enabled"], true);

    let seen = scripted.seen();
    assert_eq!(seen.len(), 3, "one challenge, then the nonce is reused");
    assert_eq!(seen[0].header("authorization"), None);
    let first = seen[1].header("authorization").unwrap();
    assert!(first.starts_with(r#"Digest username="pubkey", realm="MMS Public API", nonce="n0nce", uri="/api/atlas/v2/groups/5f1a2b3c4d5e6f7a8b9c0d1e/encryptionAtRest""#), "{first}");
    assert!(first.contains("nc=00000001"));
    assert!(
        seen[2]
            .header("authorization")
            .unwrap()
            .contains("nc=00000002")
    );
    for s in &seen {
        assert_eq!(
            s.header("accept"),
            Some("application/vnd.atlas.2023-01-01+json")
        );
        assert!(
            !s.headers
                .iter()
                .any(|(_, v)| v.contains("private-key-value"))
        );
    }
    assert_eq!(
        seen[2].header("content-type"),
        Some("application/vnd.atlas.2023-01-01+json")
    );
}

#[tokio::test]
async fn atlas_service_account_gets_and_caches_an_oauth_token() {
    let scripted = Scripted::new();
    scripted.on(
        Method::Post,
        "/api/oauth/token",
        vec![json(
            200,
            j!({"access_token": "atlas-access-token", "expires_in": 3600, "token_type": "Bearer"}),
        )],
    );
    scripted.on(Method::Get, EAR, vec![json(200, j!({"azureKeyVault": {}}))]);
    let (stack, _, _) = new_stack(&scripted, zero_time());
    let atlas = stack
        .atlas(AtlasAuth::ServiceAccount {
            client_id: "mdb_sa_id_1".into(),
            client_secret: Secret::new("mdb_sa_sk_secret"),
        })
        .unwrap();
    for _ in 0..2 {
        let _: Value = atlas
            .get("/groups/5f1a2b3c4d5e6f7a8b9c0d1e/encryptionAtRest")
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(scripted.count(Method::Post, "/api/oauth/token"), 1);
    let seen = scripted.seen();
    let expected = base64::engine::general_purpose::STANDARD.encode("mdb_sa_id_1:mdb_sa_sk_secret");
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Basic {expected}").as_str())
    );
    assert_eq!(seen[0].body, b"grant_type=client_credentials");
    assert_eq!(
        seen[1].header("authorization"),
        Some("Bearer atlas-access-token")
    );

    let scripted = Scripted::new();
    scripted.on(
        Method::Post,
        "/api/oauth/token",
        vec![answer(
            401,
            &[],
            r#"{"error":"invalid_client","error_description":"Invalid client credentials"}"#,
        )],
    );
    let (stack, _, _) = new_stack(&scripted, zero_time());
    let atlas = stack
        .atlas(AtlasAuth::ServiceAccount {
            client_id: "mdb_sa_id_1".into(),
            client_secret: Secret::new("mdb_sa_sk_secret"),
        })
        .unwrap();
    let err = atlas
        .get::<Value>("/groups/5f1a2b3c4d5e6f7a8b9c0d1e/encryptionAtRest")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "MongoDB Atlas refused POST /api/oauth/token: 401 invalid_client: Invalid client credentials"
    );
    assert!(err.hint().unwrap().contains("MONGODB_ATLAS_CLIENT_ID"));
}
