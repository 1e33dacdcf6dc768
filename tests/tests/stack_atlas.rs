//! The Atlas client of the real stack against the simulator's Atlas: HTTP Digest with an API key
//! (challenge, then answer), and a service account's bearer token from `/api/oauth/token`.

use serde_json::Value;
use xtcmk::Secret;
use xtcmk::clients::atlas::AtlasAuth;
use xtcmk::http::{AuthMethod, HttpStack};
use xtcmk_sim::Sim;

fn stack(sim: &Sim) -> HttpStack {
    HttpStack::builder(sim.cloud().clone())
        .auth(AuthMethod::Cli)
        .build()
        .unwrap()
}

#[tokio::test]
async fn digest_and_service_account_reach_a_project() {
    let sim = Sim::demo();
    let group = {
        let mut state = sim.state();
        let group = state
            .atlas
            .add_project("cmk-demo", "5f0000000000000000000001");
        state
            .atlas
            .add_api_key("pubkey1", "private-key-1", &[&group], &["GROUP_OWNER"]);
        state
            .atlas
            .add_service_account("mdb_sa_id_1", "sa-secret-1", &[&group], &["GROUP_OWNER"]);
        state
            .atlas
            .add_api_key("stranger", "private-key-2", &[], &[]);
        group
    };
    let stack = stack(&sim);

    let digest = stack
        .atlas(AtlasAuth::ApiKey {
            public_key: "pubkey1".into(),
            private_key: Secret::new("private-key-1"),
        })
        .unwrap();
    let project: Value = digest
        .get(&format!("groups/{group}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(project["name"], "cmk-demo");
    let statuses: Vec<u16> = sim
        .log()
        .matching("GET", "/api/atlas/v2/groups/*")
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses, vec![401, 200], "a challenge, then the answer");

    let wrong = stack
        .atlas(AtlasAuth::ApiKey {
            public_key: "pubkey1".into(),
            private_key: Secret::new("nope"),
        })
        .unwrap();
    let err = wrong
        .get::<Value>(&format!("groups/{group}"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err:#}");

    let stranger = stack
        .atlas(AtlasAuth::ApiKey {
            public_key: "stranger".into(),
            private_key: Secret::new("private-key-2"),
        })
        .unwrap();
    let err = stranger
        .get::<Value>(&format!("groups/{group}"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("USER_CANNOT_ACCESS_GROUP"), "{err:#}");

    let account = stack
        .atlas(AtlasAuth::ServiceAccount {
            client_id: "mdb_sa_id_1".into(),
            client_secret: Secret::new("sa-secret-1"),
        })
        .unwrap();
    let ear: Value = account
        .get(&format!("groups/{group}/encryptionAtRest"))
        .await
        .unwrap()
        .unwrap();
    assert!(ear.get("azureKeyVault").is_some(), "{ear}");
    assert_eq!(sim.log().count("POST", "/api/oauth/token"), 1);
    let err = account
        .get::<Value>("groups/0123456789abcdef01234567")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("GROUP_NOT_FOUND"), "{err:#}");
}
