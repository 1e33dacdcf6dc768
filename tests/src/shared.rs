//! The state every request handler can reach: the cloud, the signer, the request log, faults,
//! replication delays and the simulated clouds' state. It knows nothing of the services; the
//! server finds them in [`crate::registry`].

use crate::clock::{Clock, SystemClock};
use crate::faults::Faults;
use crate::log::RequestLog;
use crate::replication::Replication;
use crate::state::State;
use crate::throttle::{Throttle, ThrottleOptions};
use crate::tokens::Signer;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use xtcmk::{AppId, Cloud, TenantId};

/// What every request handler can reach.
pub struct Shared {
    pub cloud: Cloud,
    pub port: u16,
    pub zero_delay: bool,
    pub signer: Signer,
    pub log: RequestLog,
    pub faults: Faults,
    pub replication: Replication,
    /// ARM's and Graph's token buckets (off unless configured).
    pub throttle: Throttle,
    /// Added to every answer (`serve --latency-ms`, [`crate::SimOptions::latency`]).
    pub latency: Duration,
    pub state_file: Option<PathBuf>,
    state: Mutex<State>,
    /// Managed-identity hosts: `IDENTITY_HEADER` value → the identities (client ids) assigned.
    computes: Mutex<HashMap<String, Vec<AppId>>>,
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
            throttle: Throttle::new(ThrottleOptions::default(), Arc::new(SystemClock::default())),
            latency: Duration::ZERO,
            state_file,
            state: Mutex::new(state),
            computes: Mutex::default(),
        }
    }

    /// Throttling with these limits on this clock (buckets start full).
    pub fn with_throttle(mut self, options: ThrottleOptions, clock: Arc<dyn Clock>) -> Self {
        self.throttle = Throttle::new(options, clock);
        self
    }

    /// A fixed latency added to every answer.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
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
