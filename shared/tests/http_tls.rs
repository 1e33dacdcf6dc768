//! The real transport against a local HTTPS server: the cloud profile's CA is trusted on top of
//! the system roots, `*.localhost` names (a vault host included) resolve by the profile's rule,
//! and an untrusted certificate is refused.

use azure_core::http::Method;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use xtcmk::Cloud;
use xtcmk::cloud::ResolveRule;
use xtcmk::http::{Audience, HttpError, HttpStack, RetrySettings, Service, StaticTokenCredential};

struct Server {
    port: u16,
    ca_pem: String,
}

/// An HTTPS server on 127.0.0.1 answering every request with `{"host": <Host header>}`, with a
/// certificate issued by a fresh CA. Service hosts are named one by one: certificate verifiers
/// (webpki) refuse a wildcard directly over a single-label name such as `*.localhost`, while
/// `*.vault.localhost` covers every vault.
async fn serve() -> Server {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let names = [
        "localhost",
        "login.localhost",
        "management.localhost",
        "graph.localhost",
        "*.vault.localhost",
    ]
    .map(String::from)
    .to_vec();
    let leaf = CertificateParams::new(names)
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_string();
                let host = head
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("host: ")
                            .or_else(|| l.strip_prefix("Host: "))
                    })
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                let body = serde_json::json!({ "host": host }).to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Server {
        port,
        ca_pem: ca.pem(),
    }
}

fn cloud(port: u16, ca_file: Option<std::path::PathBuf>) -> Cloud {
    let mut c = Cloud::public();
    c.name = "local".into();
    c.login_endpoint = format!("https://login.localhost:{port}/").parse().unwrap();
    c.resource_manager_endpoint = format!("https://management.localhost:{port}/")
        .parse()
        .unwrap();
    c.graph_endpoint = format!("https://graph.localhost:{port}/").parse().unwrap();
    c.key_vault_dns_suffix = "vault.localhost".into();
    c.service_port = Some(port);
    c.ca_file = ca_file;
    c.resolve = vec![ResolveRule {
        host_suffix: "localhost".into(),
        address: "127.0.0.1".parse().unwrap(),
    }];
    c
}

fn stack(cloud: Cloud) -> HttpStack {
    let token = StaticTokenCredential::new(
        xtcmk::Secret::new("opaque-test-token"),
        Duration::from_secs(3600),
    );
    HttpStack::builder(cloud)
        .credential("test", Arc::new(token))
        .retry(RetrySettings {
            time_scale: 0.0,
            max_retries: 0,
            ..RetrySettings::default()
        })
        .build()
        .unwrap()
}

#[tokio::test]
async fn trusts_the_profile_ca_and_resolves_localhost_names() {
    let server = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &server.ca_pem).unwrap();
    let stack = stack(cloud(server.port, Some(ca)));

    let got: Option<Value> = stack
        .arm(None)
        .unwrap()
        .get("/subscriptions/s", "2024-01-01")
        .await
        .unwrap();
    assert_eq!(
        got.unwrap()["host"],
        format!("management.localhost:{}", server.port)
    );

    let vault = stack.cloud().vault_url("kv1");
    let client = stack
        .bearer_client(Service::KeyVault, vault.clone(), None, Audience::KeyVault)
        .unwrap();
    let answer = client
        .call(client.request(Method::Get, "/keys").unwrap())
        .await
        .unwrap();
    assert_eq!(
        answer.json::<Value>().unwrap()["host"],
        format!("kv1.vault.localhost:{}", server.port)
    );
}

#[tokio::test]
async fn refuses_a_server_whose_ca_is_not_trusted() {
    let server = serve().await;
    let stack = stack(cloud(server.port, None));
    let err = stack
        .arm(None)
        .unwrap()
        .get::<Value>("/subscriptions/s", "2024-01-01")
        .await
        .unwrap_err();
    let HttpError::Transport(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(t.host, "management.localhost");
    assert!(err.hint().unwrap().contains("caFile"));
}
