//! The HTTPS server: one TLS listener on 127.0.0.1 for every service, HTTP/1.1 by hyper, and the
//! state every request shares.

mod dispatch;

use crate::faults::Faults;
use crate::log::RequestLog;
use crate::replication::Replication;
use crate::reply::Reply;
use crate::routes::{Call, Caller, RouteTable};
use crate::service::Service;
use crate::state::State;
use crate::tokens::Signer;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use xtcmk::{AppId, Cloud, TenantId};

/// How one service answers: its routes, its token check and its error shape.
pub struct ServiceDef {
    pub service: Service,
    pub routes: RouteTable,
    /// Runs before routing: checks the bearer token (and what the service checks first, such as
    /// `api-version`). `Ok(None)` = the service takes no token.
    pub admit: fn(&Call) -> Result<Option<Caller>, Reply>,
    /// An error in the service's shape: status, code, message.
    pub error: fn(&Call, u16, &str, &str) -> Reply,
    /// The answer for a path the service has no route for.
    pub not_found: fn(&Call) -> Reply,
    /// Adds the headers the service puts on every answer (request ids).
    pub stamp: fn(&Call, &mut Reply),
}

/// What every request handler can reach.
pub struct Shared {
    pub cloud: Cloud,
    pub port: u16,
    pub zero_delay: bool,
    pub signer: Signer,
    pub log: RequestLog,
    pub faults: Faults,
    pub replication: Replication,
    pub state_file: Option<PathBuf>,
    state: Mutex<State>,
    /// Managed-identity hosts: `IDENTITY_HEADER` value → the identities (client ids) assigned.
    computes: Mutex<HashMap<String, Vec<AppId>>>,
    services: Vec<ServiceDef>,
}

impl Shared {
    pub fn new(
        cloud: Cloud,
        port: u16,
        zero_delay: bool,
        signer: Signer,
        state: State,
        state_file: Option<PathBuf>,
    ) -> Self {
        Self {
            cloud,
            port,
            zero_delay,
            signer,
            log: RequestLog::default(),
            faults: Faults::default(),
            replication: Replication::new(zero_delay),
            state_file,
            state: Mutex::new(state),
            computes: Mutex::default(),
            services: vec![
                crate::login::def(),
                crate::graph::def(),
                crate::arm::def(),
                crate::keyvault::def(Service::KeyVault),
                crate::keyvault::def(Service::ManagedHsm),
                crate::atlas::def(),
                crate::identity::def(),
                crate::admin::def(),
            ],
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn service_def(&self, service: Service) -> &ServiceDef {
        self.services
            .iter()
            .find(|d| d.service == service)
            .expect("every service has a definition")
    }

    /// `https://login.localhost:PORT/`.
    pub fn login_url(&self) -> String {
        self.cloud.login_endpoint.to_string()
    }

    /// The issuer of tokens for `tenant`: `https://login.localhost:PORT/{tenant}/v2.0`.
    pub fn issuer(&self, tenant: &TenantId) -> String {
        self.cloud.issuer(tenant)
    }

    /// `Retry-After` seconds on long-running operations (0 in zero-delay mode).
    pub fn lro_retry_after(&self) -> u64 {
        if self.zero_delay { 0 } else { 1 }
    }

    /// Registers a host with managed identities; returns its `IDENTITY_HEADER` secret.
    pub fn register_compute(&self, identities: Vec<AppId>) -> String {
        let secret = uuid::Uuid::new_v4().simple().to_string();
        self.computes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(secret.clone(), identities);
        secret
    }

    pub fn compute(&self, header: &str) -> Option<Vec<AppId>> {
        self.computes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(header)
            .cloned()
    }

    /// Writes the state file, if there is one.
    pub fn persist(&self) {
        let Some(path) = &self.state_file else {
            return;
        };
        let snapshot = self.state().clone();
        if let Err(e) = crate::state::save_file(path, &snapshot) {
            tracing::warn!("cannot save the state: {e:#}");
        }
    }
}

/// Accepts connections until `stop` turns true.
pub async fn serve(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((tcp, peer)) = accepted else { continue };
                let acceptor = acceptor.clone();
                let shared = shared.clone();
                connections.spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let service = hyper::service::service_fn(move |request| {
                        dispatch::handle(shared.clone(), request, Some(peer))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}
