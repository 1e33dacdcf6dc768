//! Tokens and secrets never reach logs (at trace level) or error messages, through the real
//! `azure_identity` client-secret credential, bearer policy and retry policy.

#[allow(dead_code)]
mod http_support;

use azure_core::http::Method;
use http_support::{Scripted, answer, fake_jwt, json, zero_time};
use serde_json::{Value, json as j};
use std::io::Write;
use std::sync::{Arc, Mutex};
use xtcmk::http::{Audience, HttpStack, Service};
use xtcmk::{Cloud, TenantId};

const PROVIDER: &str = "11111111-1111-1111-1111-111111111111";
const CUSTOMER: &str = "22222222-2222-2222-2222-222222222222";
const CLIENT_ID: &str = "33333333-3333-3333-3333-333333333333";
const SECRET: &str = "xtcmk~Test-Client-Secret-Value.9Qz";
const RG: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn env(name: &str) -> Option<String> {
    match name {
        "AZURE_CLIENT_ID" => Some(CLIENT_ID.into()),
        "AZURE_CLIENT_SECRET" => Some(SECRET.into()),
        "AZURE_TENANT_ID" => Some(PROVIDER.into()),
        _ => None,
    }
}

#[tokio::test]
async fn trace_logs_and_errors_carry_no_token_or_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let token = fake_jwt(
        j!({"tid": PROVIDER, "oid": "44444444-4444-4444-4444-444444444444", "appid": CLIENT_ID, "idtyp": "app", "aud": "https://management.azure.com/"}),
    );
    let scripted = Scripted::new();
    scripted.on(
        Method::Post,
        &format!("/{PROVIDER}/oauth2/v2.0/token"),
        vec![json(200, j!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}))],
    );
    scripted.on(
        Method::Post,
        &format!("/{CUSTOMER}/oauth2/v2.0/token"),
        vec![json(
            400,
            j!({
                "error": "unauthorized_client",
                "error_description": format!("AADSTS700016: Application with identifier '{CLIENT_ID}' was not found in the directory 'Customer'.\r\nTrace ID: t-9\r\nCorrelation ID: c-9"),
                "error_codes": [700016],
                "trace_id": "t-9"
            }),
        )],
    );
    scripted.on(
        Method::Get,
        RG,
        vec![
            answer(429, &[("retry-after", "1")], ""),
            json(200, j!({"name": "rg1"})),
        ],
    );
    scripted.on(
        Method::Get,
        &format!("/v1.0/applications(appId='{CLIENT_ID}')"),
        vec![answer(401, &[], r#"{"error":{"code":"InvalidAuthenticationToken","message":"Access token validation failure."}}"#)],
    );

    let stack = HttpStack::builder(Cloud::public())
        .http_client(scripted.clone())
        .env(env)
        .retry(zero_time())
        .build()
        .unwrap();
    assert_eq!(stack.credentials().source().label(), "client secret");

    let rg: Option<Value> = stack
        .arm(None)
        .unwrap()
        .get(RG, "2024-03-01")
        .await
        .unwrap();
    assert!(rg.is_some());
    let claims = stack.signed_in(None, Audience::Arm).await.unwrap();
    assert_eq!(claims.tid.as_deref(), Some(PROVIDER));
    assert!(claims.is_application());

    let graph_err = stack
        .graph(None)
        .unwrap()
        .get::<Value>(&format!("/applications(appId='{CLIENT_ID}')"))
        .await
        .unwrap_err();
    assert_eq!(graph_err.status(), Some(401));

    let customer: TenantId = CUSTOMER.parse().unwrap();
    let login_err = stack
        .arm(Some(&customer))
        .unwrap()
        .get::<Value>(RG, "2024-03-01")
        .await
        .unwrap_err();
    let e = login_err
        .service_error()
        .unwrap_or_else(|| panic!("{login_err:?}"));
    assert_eq!(
        (e.service, e.status, e.code.as_deref()),
        (Service::Login, 400, Some("AADSTS700016"))
    );
    assert_eq!(e.path, format!("/{CUSTOMER}/oauth2/v2.0/token"));
    assert!(
        xtcmk::diagnostics::hints(&anyhow::Error::new(login_err.clone()))[0]
            .contains("admin-consent URL")
    );

    // The secret and the token were really used...
    let seen = scripted.seen();
    let token_request = seen
        .iter()
        .find(|s| s.url.path().ends_with("/oauth2/v2.0/token"))
        .unwrap();
    assert!(String::from_utf8_lossy(&token_request.body).contains("client_secret="));
    assert_eq!(
        token_request.url.host_str(),
        Some("login.microsoftonline.com")
    );
    let arm_request = seen.iter().find(|s| s.url.path() == RG).unwrap();
    assert_eq!(
        arm_request.header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );

    // ...and appear nowhere in the logs or the errors.
    let logs = captured.text();
    assert!(
        logs.contains("retrying in 1.0s"),
        "the capture works: {logs}"
    );
    assert!(
        logs.contains("==> Request"),
        "azure_core's trace logging ran"
    );
    let encoded_secret =
        url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect::<String>();
    let payload = token.split('.').nth(1).unwrap();
    for text in [
        logs,
        graph_err.to_string(),
        login_err.to_string(),
        format!("{login_err:?}"),
        format!("{stack:?}"),
    ] {
        assert!(
            !text.contains(SECRET) && !text.contains(&encoded_secret),
            "secret leaked: {text}"
        );
        assert!(!text.contains(payload), "token leaked: {text}");
    }
}
