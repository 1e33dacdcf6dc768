//! Raw probes of Entra's token endpoint, OpenID metadata and admin consent: federated
//! credentials (replication, AADSTS70021 / 700211 / 700213 / 7002138), client secrets
//! (7000215 / 7000222), tenant references (ids, verified domains, organizations/common, no
//! aliases) — each with its twin; and `xtcmk-sim az login`'s per-user config dirs.

use serde_json::json;
use xtcmk_sim::harness::probe::{Answer, Probe};
use xtcmk_sim::login::assertion::{ASSERTION_TYPE, FEDERATED_CREDENTIAL};
use xtcmk_sim::login::issue::federated_token;
use xtcmk_sim::replication::ReplicationRule;
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::{Scenario, Sim};

const EXCHANGE: &str = "api://AzureADTokenExchange";
const ISSUER: &str = "https://token.ci.example";
const SUBJECT: &str = "repo:contoso/cmk:ref:refs/heads/main";

struct W<'a> {
    sim: &'a Sim,
    p: Probe<'a>,
}

impl<'a> W<'a> {
    fn new(sim: &'a Sim) -> Self {
        Self {
            sim,
            p: Probe::new(sim),
        }
    }

    fn token_url(&self, tenant: &str) -> String {
        self.p.login(&format!("/{tenant}/oauth2/v2.0/token"))
    }

    fn arm_scope(&self) -> String {
        format!(
            "{}/.default",
            self.sim
                .cloud()
                .resource_manager_audience
                .trim_end_matches('/')
        )
    }

    async fn secret(&self, tenant: &str, client_id: &str, secret: &str) -> Answer {
        let scope = self.arm_scope();
        self.p
            .form(
                &self.token_url(tenant),
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_secret", secret),
                    ("scope", &scope),
                ],
            )
            .await
    }

    async fn exchange(&self, client_id: &str, issuer: &str, subject: &str) -> Answer {
        let assertion = federated_token(self.sim.shared(), issuer, subject, EXCHANGE, 600);
        let scope = self.arm_scope();
        self.p
            .form(
                &self.token_url(PROVIDER_TENANT_ID),
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_assertion_type", ASSERTION_TYPE),
                    ("client_assertion", &assertion),
                    ("scope", &scope),
                ],
            )
            .await
    }

    /// A multi-tenant app of the provider with its service principal and one federated
    /// credential (issuer [`ISSUER`], subject [`SUBJECT`]), created through Graph; its app id.
    async fn federated_app(&self) -> String {
        let token = self.p.user_graph(PROVIDER, PROVIDER_ADMIN);
        let app = self
            .p
            .post(
                &self.p.graph("/v1.0/applications"),
                Some(&token),
                json!({
                    "displayName": "Federated probe",
                    "signInAudience": "AzureADMultipleOrgs",
                    "web": { "redirectUris": ["https://contoso-saas.example/consented"] },
                }),
            )
            .await;
        app.accepted(201);
        let id = app.body["id"].as_str().unwrap();
        let app_id = app.body["appId"].as_str().unwrap().to_string();
        self.p
            .post(
                &self.p.graph("/v1.0/servicePrincipals"),
                Some(&token),
                json!({ "appId": app_id }),
            )
            .await
            .accepted(201);
        self.p
            .post(
                &self
                    .p
                    .graph(&format!("/v1.0/applications/{id}/federatedIdentityCredentials")),
                Some(&token),
                json!({ "name": "ci", "issuer": ISSUER, "subject": SUBJECT, "audiences": [EXCHANGE] }),
            )
            .await
            .accepted(201);
        app_id
    }
}

fn granted(a: &Answer) {
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(a.body["access_token"].is_string(), "{}", a.text);
}

/// Entra's error shape: `error`, `error_description` starting `AADSTS<code>:`, `error_codes`.
fn entra(a: &Answer, status: u16, error: &str, code: u64, fragments: &[&str]) {
    a.refused(status, error, &[&format!("AADSTS{code}: ")]);
    assert_eq!(a.aadsts(), code, "{}", a.text);
    a.refused(status, error, fragments);
    assert!(a.body["trace_id"].is_string() && a.body["correlation_id"].is_string());
}

// ---- federated credentials ---------------------------------------------------------------------

#[tokio::test]
async fn a_new_credential_takes_effect_after_replication() {
    // Azure/azure-workload-identity#616: AADSTS70021 names the assertion's issuer, subject, audience.
    let sim = Sim::demo();
    let w = W::new(&sim);
    sim.replication()
        .add(ReplicationRule::reads(FEDERATED_CREDENTIAL, 1));
    let app_id = w.federated_app().await;
    let pending = w.exchange(&app_id, ISSUER, SUBJECT).await;
    entra(
        &pending,
        400,
        "invalid_request",
        70021,
        &[
            "No matching federated identity record found for presented assertion.",
            &format!("Assertion Issuer: '{ISSUER}'."),
            &format!("Assertion Subject: '{SUBJECT}'."),
            &format!("Assertion Audience: '{EXCHANGE}'."),
        ],
    );
    granted(&w.exchange(&app_id, ISSUER, SUBJECT).await);
}

#[tokio::test]
async fn an_assertion_from_another_issuer_is_700211() {
    // Azure/azure-workload-identity#1200.
    let sim = Sim::demo();
    let w = W::new(&sim);
    let app_id = w.federated_app().await;
    entra(
        &w.exchange(&app_id, "https://token.ci.example/", SUBJECT)
            .await,
        400,
        "invalid_client",
        700211,
        &[
            "No matching federated identity record found for presented assertion issuer 'https://token.ci.example/'.",
        ],
    );
    granted(&w.exchange(&app_id, ISSUER, SUBJECT).await);
}

#[tokio::test]
async fn an_assertion_for_another_subject_is_700213() {
    let sim = Sim::demo();
    let w = W::new(&sim);
    let app_id = w.federated_app().await;
    entra(
        &w.exchange(&app_id, ISSUER, "repo:contoso/other:ref:refs/heads/main")
            .await,
        400,
        "invalid_client",
        700213,
        &[
            "No matching federated identity record found for presented assertion subject 'repo:contoso/other:ref:refs/heads/main'.",
        ],
    );
    // Azure/login#517: matching is case-sensitive, a case-only difference is 7002138.
    entra(
        &w.exchange(&app_id, ISSUER, &SUBJECT.to_uppercase()).await,
        400,
        "invalid_client",
        7002138,
        &["No matching federated identity record found for presented assertion subject"],
    );
    granted(&w.exchange(&app_id, ISSUER, SUBJECT).await);
}

#[tokio::test]
async fn an_assertion_without_a_subject_is_70021() {
    let sim = Sim::demo();
    let w = W::new(&sim);
    let app_id = w.federated_app().await;
    entra(
        &w.exchange(&app_id, ISSUER, "").await,
        400,
        "invalid_request",
        70021,
        &["Assertion Subject: ''."],
    );
    granted(&w.exchange(&app_id, ISSUER, SUBJECT).await);
}

// ---- client secrets ---------------------------------------------------------------------------

#[tokio::test]
async fn an_expired_secret_is_7000222() {
    // dotnet/sign#849: "The provided client secret keys for app '…' are expired."
    let sim = Sim::demo();
    let w = W::new(&sim);
    let set_end = |end: i64| {
        let mut state = sim.state();
        let tenant = state
            .tenants
            .iter_mut()
            .find(|t| t.alias == PROVIDER)
            .unwrap();
        tenant.applications[0].password_credentials[0].end_date_time = end;
    };
    set_end(xtcmk_sim::tokens::now() - 60);
    entra(
        &w.secret(PROVIDER_TENANT_ID, CI_APP_ID, CI_SECRET).await,
        401,
        "invalid_client",
        7000222,
        &[
            &format!("The provided client secret keys for app '{CI_APP_ID}' are expired."),
            "https://aka.ms/NewClientSecret",
        ],
    );
    set_end(xtcmk_sim::tokens::now() + 3600);
    granted(&w.secret(PROVIDER_TENANT_ID, CI_APP_ID, CI_SECRET).await);
}

#[tokio::test]
async fn a_wrong_secret_is_7000215() {
    let sim = Sim::demo();
    let w = W::new(&sim);
    entra(
        &w.secret(PROVIDER_TENANT_ID, CI_APP_ID, "not-the-secret")
            .await,
        401,
        "invalid_client",
        7000215,
        &["Invalid client secret provided."],
    );
    granted(&w.secret(PROVIDER_TENANT_ID, CI_APP_ID, CI_SECRET).await);
}

// ---- tenant references ------------------------------------------------------------------------

#[tokio::test]
async fn a_simulator_alias_is_not_a_tenant() {
    let sim = Sim::demo();
    let w = W::new(&sim);
    entra(
        &w.secret(PROVIDER, CI_APP_ID, CI_SECRET).await,
        400,
        "invalid_request",
        90002,
        &["Tenant 'provider' not found."],
    );
    granted(&w.secret(PROVIDER_TENANT_ID, CI_APP_ID, CI_SECRET).await);
    granted(&w.secret(PROVIDER_DOMAIN, CI_APP_ID, CI_SECRET).await);
}

#[tokio::test]
async fn organizations_serves_multi_tenant_apps_in_their_home_tenant() {
    // UvA-FNWI/M365-IMAP#9: a single-tenant app at /common or /organizations is AADSTS50194.
    let sim = Sim::demo();
    let w = W::new(&sim);
    entra(
        &w.secret("organizations", CI_APP_ID, CI_SECRET).await,
        400,
        "invalid_request",
        50194,
        &[&format!(
            "Application '{CI_APP_ID}'(xtcmk-ci) is not configured as a multi-tenant application."
        )],
    );
    {
        let mut state = sim.state();
        let tenant = state
            .tenants
            .iter_mut()
            .find(|t| t.alias == PROVIDER)
            .unwrap();
        tenant.applications[0].sign_in_audience = "AzureADMultipleOrgs".into();
    }
    let token = w.secret("organizations", CI_APP_ID, CI_SECRET).await;
    granted(&token);
    let claims = sim
        .shared()
        .signer
        .verify(token.body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.tid.as_deref(), Some(PROVIDER_TENANT_ID));
}

#[tokio::test]
async fn openid_metadata_for_organizations_has_the_issuer_template() {
    let sim = Sim::demo();
    let w = W::new(&sim);
    let config = |tenant: &str| {
        w.p.login(&format!("/{tenant}/v2.0/.well-known/openid-configuration"))
    };
    entra(
        &w.p.get(&config(PROVIDER), None).await,
        400,
        "invalid_request",
        90002,
        &["Tenant 'provider' not found."],
    );
    let orgs = w.p.get(&config("organizations"), None).await;
    orgs.accepted(200);
    assert!(
        orgs.body["issuer"]
            .as_str()
            .unwrap()
            .ends_with("/{tenantid}/v2.0"),
        "{}",
        orgs.text
    );
    assert!(
        orgs.body["token_endpoint"]
            .as_str()
            .unwrap()
            .ends_with("/organizations/oauth2/v2.0/token")
    );
    let tenant = w.p.get(&config(PROVIDER_DOMAIN), None).await;
    assert_eq!(
        tenant.body["issuer"],
        sim.cloud().issuer(&PROVIDER_TENANT_ID.parse().unwrap())
    );
}

#[tokio::test]
async fn openid_metadata_carries_the_port_the_client_used() {
    let sim = Sim::demo();
    let w = W::new(&sim);
    let url = w.p.login(&format!(
        "/{PROVIDER_TENANT_ID}/v2.0/.well-known/openid-configuration"
    ));
    let other =
        w.p.send_with("GET", &url, None, None, &[("host", "login.localhost:4443")])
            .await;
    other.accepted(200);
    assert!(
        other.body["token_endpoint"]
            .as_str()
            .unwrap()
            .starts_with("https://login.localhost:4443/"),
        "{}",
        other.text
    );
    let same = w.p.get(&url, None).await;
    assert!(
        same.body["token_endpoint"]
            .as_str()
            .unwrap()
            .starts_with(&format!("https://login.localhost:{}/", sim.port())),
        "{}",
        same.text
    );
}

#[tokio::test]
async fn admin_consent_takes_organizations_for_the_admins_tenant() {
    let sim = Sim::demo();
    let w = W::new(&sim);
    let app_id = w.federated_app().await;
    let consent = |tenant: &str, hint: Option<&str>| {
        let mut url =
            w.p.login(&format!("/{tenant}/adminconsent?client_id={app_id}"));
        if let Some(h) = hint {
            url.push_str(&format!("&login_hint={h}"));
        }
        url
    };
    entra(
        &w.p.get(&consent("organizations", None), None).await,
        400,
        "interaction_required",
        50058,
        &["no user is signed in"],
    );
    entra(
        &w.p.get(&consent(CUSTOMER, Some(CUSTOMER_ADMIN)), None)
            .await,
        400,
        "invalid_request",
        90002,
        &["Tenant 'customer' not found."],
    );
    let ok =
        w.p.get(&consent("organizations", Some(CUSTOMER_ADMIN)), None)
            .await;
    assert_eq!(ok.status, 302, "{}", ok.text);
    let location = ok.header("location").unwrap_or_default();
    assert!(
        location.ends_with(&format!("admin_consent=True&tenant={CUSTOMER_TENANT_ID}")),
        "{location}"
    );
    assert!(
        sim.state()
            .service_principal(
                &CUSTOMER_TENANT_ID.parse().unwrap(),
                &app_id.parse().unwrap()
            )
            .is_some()
    );
}

// ---- the az shim -------------------------------------------------------------------------------

#[test]
fn each_az_login_gets_its_own_config_dir() {
    let sim = Sim::start(Scenario::demo());
    let first = tempfile::tempdir().unwrap();
    let login = |user: &str, config: &std::path::Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_xtcmk-sim"))
            .args(["az", "login", "--profile"])
            .arg(sim.profile_path())
            .args(["--user", user])
            .env("AZURE_CONFIG_DIR", config)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("export AZURE_CONFIG_DIR='"))
            .and_then(|l| l.strip_suffix('\''))
            .map(std::path::PathBuf::from)
            .expect("an AZURE_CONFIG_DIR export")
    };
    let alex = login(PROVIDER_ADMIN, first.path());
    // The second login runs in the same shell, where AZURE_CONFIG_DIR names alex's folder.
    let gina = login(CUSTOMER_ADMIN, &alex);
    assert_ne!(alex, gina);
    let user_of = |dir: &std::path::Path| {
        let (_, _, _, token) = xtcmk_sim::harness::az_shim::read_config(dir).unwrap();
        sim.shared().signer.verify(&token).unwrap().upn
    };
    assert_eq!(user_of(&alex).as_deref(), Some(PROVIDER_ADMIN));
    assert_eq!(user_of(&gina).as_deref(), Some(CUSTOMER_ADMIN));
}
