//! The admin-consent route of the simulator, with Entra's refusals, and `onboard` adopting the
//! service principal an admin consent installed.

mod common;

use common::*;
use xtcmk_sim::scenario::demo::*;

/// GET of the consent URL: status, `Location` and body.
async fn open(w: &World, query: &str) -> (u16, Option<String>, String) {
    let client = xtcmk::http::transport::build_client(w.sim.cloud()).unwrap();
    let url = format!(
        "{}{CUSTOMER_TENANT_ID}/adminconsent?client_id={APP_ID}{query}",
        w.sim.cloud().login_endpoint
    );
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, location, response.text().await.unwrap())
}

fn register_redirect(w: &World, uri: &str) {
    let mut state = w.sim.state();
    let provider = state.tenant_by_ref(PROVIDER).unwrap().id;
    let app = state
        .tenant_mut(&provider)
        .unwrap()
        .applications
        .iter_mut()
        .find(|a| a.app_id.to_string() == APP_ID)
        .unwrap();
    app.redirect_uris.push(uri.into());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_needs_a_registered_reply_url_and_an_admin_then_onboard_adopts_the_app() {
    let w = World::new();
    let (status, _, body) = open(&w, &format!("&login_hint={CUSTOMER_ADMIN}")).await;
    assert_eq!(status, 400);
    assert!(body.contains("AADSTS500113"), "{body}");

    register_redirect(&w, "https://contoso-saas.example/consented");
    let (status, _, body) = open(
        &w,
        &format!("&redirect_uri=https://elsewhere.example/&login_hint={CUSTOMER_ADMIN}"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("AADSTS50011"), "{body}");

    let (status, _, body) = open(&w, &format!("&login_hint={CUSTOMER_USER}")).await;
    assert_eq!(status, 403);
    assert!(body.contains("AADSTS90094"), "{body}");
    assert!(w.service_principal().is_none());

    let (status, location, _) = open(&w, &format!("&login_hint={CUSTOMER_ADMIN}")).await;
    assert_eq!(status, 302);
    assert_eq!(
        location.as_deref(),
        Some(
            format!(
                "https://contoso-saas.example/consented?admin_consent=True&tenant={CUSTOMER_TENANT_ID}"
            )
            .as_str()
        )
    );
    let sp = w.service_principal().expect("consent installed the app");

    let mark = w.sim.log().mark();
    let run = tokio::task::block_in_place(|| w.run(&w.onboard_args(&["--yes"])));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert!(
        run.stdout
            .contains(&format!("service principal  unchanged     {sp}")),
        "{}",
        run.shown()
    );
    assert!(
        !w.sim
            .log()
            .since(mark)
            .iter()
            .any(|e| e.is_effective_write() && e.path.contains("servicePrincipals")),
        "onboard did not write the service principal again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn via_consent_prints_the_invitation_url_and_waits_until_the_app_appears() {
    use xtcmk_sim::graph::service_principals::SERVICE_PRINCIPAL;
    use xtcmk_sim::replication::ReplicationRule;
    let w = World::new();
    register_redirect(&w, "https://contoso-saas.example/consented");
    // The consent lands, but Graph reads miss the new service principal three times.
    w.sim
        .replication()
        .add(ReplicationRule::reads(SERVICE_PRINCIPAL, 3));
    let (status, _, _) = open(&w, &format!("&login_hint={CUSTOMER_ADMIN}")).await;
    assert_eq!(status, 302);

    let consent_url = format!(
        "{}{CUSTOMER_TENANT_ID}/adminconsent?client_id={APP_ID}&redirect_uri=https%3A%2F%2Fcontoso-saas.example%2Fconsented",
        w.sim.cloud().login_endpoint
    );
    let invitation = xtcmk::Invitation {
        cloud: w.sim.cloud().name.clone(),
        provider_tenant_id: PROVIDER_TENANT_ID.parse().unwrap(),
        app_id: APP_ID.parse().unwrap(),
        app_display_name: APP_NAME.into(),
        admin_consent_url: consent_url.parse().unwrap(),
        redirect_uri_registered: true,
        next_command: "xtcmk-customer onboard --invitation invitation.json".into(),
        atlas: None,
    };
    let path = w.dir.path().join("invitation.json");
    std::fs::write(&path, invitation.to_json()).unwrap();
    let mut args = w.onboard_args(&["--yes", "--via", "consent"]);
    args.splice(
        1..3,
        ["--invitation".to_string(), path.display().to_string()],
    );

    // A user without any directory role may run it: an administrator consents.
    let run = tokio::task::block_in_place(|| w.run_as(CUSTOMER_USER, &args));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert!(run.stderr.contains(&consent_url), "{}", run.shown());
    assert!(
        run.stderr.contains("waiting") && run.stderr.contains("an administrator to consent"),
        "{}",
        run.shown()
    );
    assert!(run.stderr.contains(APP_NAME), "{}", run.shown());
    assert!(
        !w.writes().iter().any(|e| e.contains("servicePrincipals")),
        "{:#?}",
        w.writes()
    );
}
