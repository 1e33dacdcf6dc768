//! The in-process simulator for tests: [`Sim::start`] serves HTTPS on an ephemeral port of
//! 127.0.0.1 from its own thread (so it works from plain `#[test]`s and from async tests
//! alike), writes its CA and cloud profile to a temporary folder, and offers the environment
//! that makes the binaries sign in as a user (through the `az` shim) or as an app.

pub mod az_shim;
mod credential;
mod log_view;
pub mod probe;

pub use credential::SimUserCredential;

pub use log_view::{LogView, Mark, summarize};

use crate::clock::{Clock, SystemClock, ZeroDelayClock};
use crate::faults::Faults;
use crate::login::issue;
use crate::replication::Replication;
use crate::scenario::Scenario;
use crate::server::{Shared, serve};
use crate::service::ADMIN_HOST;
use crate::state::State;
use crate::throttle::{Throttle, ThrottleOptions};
use crate::tokens::Signer;
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::{Arc, MutexGuard};
use std::thread::JoinHandle;
use tokio::sync::watch;
use xtcmk::{AppId, Cloud, TenantId};

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// The loopback address to listen on (127.0.0.1 by default; any 127.x.y.z works, which lets
    /// a test take port 443 without meeting another listener).
    pub address: std::net::IpAddr,
    /// 0 = an ephemeral port.
    pub port: u16,
    /// No latency, no time-based replication delay, `Retry-After: 0` on operations; and the env
    /// helpers set `XTCMK_RETRY_TIME_SCALE=0` so the tools record waits instead of sleeping.
    pub zero_delay: bool,
    /// Keep the state in this file (loaded if it exists, saved after every write).
    pub state_file: Option<PathBuf>,
    /// Where to write the CA, the profile and the `az` shim (default: a temporary folder).
    pub dir: Option<PathBuf>,
    /// ARM's and Graph's token buckets (default: off; [`ThrottleOptions::azure`] = Azure's
    /// limits). Can be changed while running through [`Sim::throttle`].
    pub throttle: ThrottleOptions,
    /// What the buckets refill by and the request log's times are read from (default: real
    /// time, which in zero-delay mode also moves on after every 429 until its bucket is full,
    /// [`crate::clock::ZeroDelayClock`]; tests pass a [`crate::clock::ManualClock`] or a
    /// [`crate::virtual_time::VirtualTime`]).
    pub clock: Option<Arc<dyn Clock>>,
    /// A fixed latency added to every answer (default none; applies in zero-delay mode too).
    pub latency: std::time::Duration,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            address: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            port: 0,
            zero_delay: true,
            state_file: None,
            dir: None,
            throttle: ThrottleOptions::default(),
            clock: None,
            latency: std::time::Duration::ZERO,
        }
    }
}

/// A running simulator; stopped when dropped.
pub struct Sim {
    shared: Arc<Shared>,
    dir: PathBuf,
    profile_path: PathBuf,
    ca_path: PathBuf,
    stop: Option<watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("port", &self.port())
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Starts `scenario` in zero-delay mode on an ephemeral port. Panics if it cannot start.
    pub fn start(scenario: Scenario) -> Sim {
        Self::start_with(Some(scenario), SimOptions::default())
            .unwrap_or_else(|e| panic!("xtcmk-sim cannot start: {e:#}"))
    }

    /// [`Sim::start`] with [`Scenario::demo`].
    pub fn demo() -> Sim {
        Self::start(Scenario::demo())
    }

    /// Starts a simulator. Without a scenario (and without a state file to load) the clouds are
    /// empty.
    pub fn start_with(scenario: Option<Scenario>, options: SimOptions) -> anyhow::Result<Sim> {
        let (temp, dir) = match &options.dir {
            Some(d) => {
                std::fs::create_dir_all(d)
                    .with_context(|| format!("cannot create {}", d.display()))?;
                (None, d.clone())
            }
            None => {
                let t = tempfile::Builder::new().prefix("xtcmk-sim-").tempdir()?;
                let d = t.path().to_path_buf();
                (Some(t), d)
            }
        };
        let dir = std::path::absolute(&dir)?;
        let listener = std::net::TcpListener::bind((options.address, options.port))
            .with_context(|| format!("cannot listen on {}:{}", options.address, options.port))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();

        let tls = crate::tls::generate()?;
        let ca_path = dir.join("ca.pem");
        std::fs::write(&ca_path, &tls.ca_pem)
            .with_context(|| format!("cannot write {}", ca_path.display()))?;
        let cloud = crate::profile::cloud_at(options.address, port, ca_path.clone());
        let profile_path = dir.join("cloud.json");
        std::fs::write(&profile_path, serde_json::to_string_pretty(&cloud)? + "\n")
            .with_context(|| format!("cannot write {}", profile_path.display()))?;
        az_shim::install(&dir.join("bin"))?;

        let state = match &options.state_file {
            Some(path) if path.exists() => {
                let mut state = crate::state::load_file(path)?;
                state.rebase_vault_urls(&cloud);
                state
            }
            _ => match &scenario {
                Some(s) => State::seed(s, &cloud),
                None => State::default(),
            },
        };
        let shared = Arc::new(
            Shared::new(
                cloud,
                port,
                options.zero_delay,
                Signer::generate()?,
                state,
                options.state_file.clone(),
            )
            .with_throttle(
                options.throttle,
                options.clock.clone().unwrap_or_else(|| {
                    if options.zero_delay {
                        Arc::new(ZeroDelayClock::default())
                    } else {
                        Arc::new(SystemClock::default())
                    }
                }),
            )
            .with_latency(options.latency),
        );
        shared.persist();

        let (stop_tx, stop_rx) = watch::channel(false);
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.server_config);
        let server = shared.clone();
        let thread = std::thread::Builder::new()
            .name("xtcmk-sim".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("the simulator's runtime starts");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("the listener was bound non-blocking");
                    serve(listener, acceptor, server, stop_rx).await;
                });
            })?;
        Ok(Sim {
            shared,
            dir,
            profile_path,
            ca_path,
            stop: Some(stop_tx),
            thread: Some(thread),
            _temp: temp,
        })
    }

    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// The cloud the tools see (what the profile file holds).
    pub fn cloud(&self) -> &Cloud {
        &self.shared.cloud
    }

    /// The cloud profile JSON, for `--cloud` / `XTCMK_CLOUD`.
    pub fn profile_path(&self) -> &Path {
        &self.profile_path
    }

    /// The CA certificate (PEM) the server's certificate chains to.
    pub fn ca_path(&self) -> &Path {
        &self.ca_path
    }

    /// The folder holding the CA, the profile, `bin/az` and the shim's config dirs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder with the `az` shim.
    pub fn az_bin_dir(&self) -> PathBuf {
        self.dir.join("bin")
    }

    /// `https://sim.localhost:PORT` (the admin endpoint).
    pub fn admin_url(&self) -> String {
        format!("https://{ADMIN_HOST}:{}", self.port())
    }

    /// What every request handler shares (state, signer, log, faults).
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The simulated clouds' state, to seed or assert (release the guard before requests).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state()
    }

    /// The request log.
    pub fn log(&self) -> LogView<'_> {
        LogView::new(&self.shared.log)
    }

    /// Scripted faults (see [`crate::faults::FaultRule`]).
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// ARM's and Graph's token buckets: `sim.throttle().set(..)` changes the limits while
    /// running (see [`crate::throttle`]).
    pub fn throttle(&self) -> &Throttle {
        &self.shared.throttle
    }

    /// Replication-delay rules (see [`crate::replication::ReplicationRule`]).
    pub fn replication(&self) -> &Replication {
        &self.shared.replication
    }

    /// The id of a tenant named by alias, verified domain or id. Panics if there is none.
    pub fn tenant_id(&self, tenant: &str) -> TenantId {
        self.state()
            .tenant_by_ref(tenant)
            .map(|t| t.id)
            .unwrap_or_else(|| panic!("the simulator has no tenant `{tenant}`"))
    }

    fn base_env(&self, auth: &str) -> Vec<(String, String)> {
        let mut env = vec![
            (
                "XTCMK_CLOUD".to_string(),
                self.profile_path.display().to_string(),
            ),
            ("XTCMK_AUTH".to_string(), auth.to_string()),
        ];
        if self.shared.zero_delay {
            env.push(("XTCMK_RETRY_TIME_SCALE".into(), "0".into()));
        }
        env
    }

    /// Signs `upn` in for the `az` shim (as `az login --tenant <tenant>` would) into its own config
    /// dir; returns that dir. Panics if the simulator has no such user.
    pub fn sign_in_user(&self, tenant: &str, upn: &str) -> PathBuf {
        let tenant_id = self.tenant_id(tenant);
        let (token, _home) = crate::admin::login(&self.shared, upn)
            .unwrap_or_else(|| panic!("the simulator has no user `{upn}`"));
        let config = self
            .dir
            .join("az-config")
            .join(format!("{}-{tenant_id}", upn.replace(['/', '\\'], "_")));
        az_shim::sign_in(
            &config,
            self.port(),
            &self.ca_path,
            Some(&tenant_id.to_string()),
            &token,
        )
        .unwrap_or_else(|e| panic!("cannot write the az config for `{upn}`: {e}"));
        config
    }

    /// The environment that makes the tools sign in as `upn` through the Azure CLI credential:
    /// `PATH` with the `az` shim first, `AZURE_CONFIG_DIR` of this user (default tenant
    /// `tenant`), `XTCMK_CLOUD`, `XTCMK_AUTH=cli`, `XTCMK_RETRY_TIME_SCALE=0` (zero-delay mode)
    /// and the other credentials' variables blanked.
    pub fn env_as_user(&self, tenant: &str, upn: &str) -> Vec<(String, String)> {
        let config = self.sign_in_user(tenant, upn);
        let path = match std::env::var_os("PATH") {
            Some(p) => {
                let mut dirs = vec![self.az_bin_dir()];
                dirs.extend(std::env::split_paths(&p));
                std::env::join_paths(dirs)
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_else(|_| self.az_bin_dir().display().to_string())
            }
            None => self.az_bin_dir().display().to_string(),
        };
        let mut env = self.base_env("cli");
        env.push(("PATH".into(), path));
        env.push(("AZURE_CONFIG_DIR".into(), config.display().to_string()));
        for blank in [
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET",
            "AZURE_TENANT_ID",
            "AZURE_FEDERATED_TOKEN_FILE",
        ] {
            env.push((blank.into(), String::new()));
        }
        env
    }

    /// The environment for the client-secret flow: `AZURE_TENANT_ID` (of `tenant`),
    /// `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, `XTCMK_AUTH=client-secret`, `XTCMK_CLOUD`, and
    /// `XTCMK_RETRY_TIME_SCALE=0` in zero-delay mode.
    pub fn env_as_app(&self, tenant: &str, client_id: &str, secret: &str) -> Vec<(String, String)> {
        let mut env = self.base_env("client-secret");
        env.push(("AZURE_TENANT_ID".into(), self.tenant_id(tenant).to_string()));
        env.push(("AZURE_CLIENT_ID".into(), client_id.into()));
        env.push(("AZURE_CLIENT_SECRET".into(), secret.into()));
        env.push(("AZURE_FEDERATED_TOKEN_FILE".into(), String::new()));
        env
    }

    /// The environment of a host with these user-assigned managed identities:
    /// `IDENTITY_ENDPOINT`, `IDENTITY_HEADER`, `XTCMK_AUTH=managed-identity` and, if given,
    /// `AZURE_CLIENT_ID` choosing one of them.
    pub fn env_as_managed_identity(
        &self,
        identities: &[AppId],
        client_id: Option<&AppId>,
    ) -> Vec<(String, String)> {
        let header = self.shared.register_compute(identities.to_vec());
        let mut env = self.base_env("managed-identity");
        env.push((
            "IDENTITY_ENDPOINT".into(),
            crate::admin::identity_endpoint(&self.shared),
        ));
        env.push(("IDENTITY_HEADER".into(), header));
        env.push((
            "AZURE_CLIENT_ID".into(),
            client_id.map(ToString::to_string).unwrap_or_default(),
        ));
        env
    }

    /// A user's access token for `audience` in `tenant`, signed by this simulator (for tests
    /// that call services directly). Panics if the user is not a member of the tenant.
    pub fn user_token(&self, tenant: &str, upn: &str, audience: &str) -> String {
        let state = self.state();
        let t = state
            .tenant_by_ref(tenant)
            .unwrap_or_else(|| panic!("the simulator has no tenant `{tenant}`"));
        let user = t
            .users
            .iter()
            .find(|u| u.user_principal_name.eq_ignore_ascii_case(upn))
            .unwrap_or_else(|| panic!("`{upn}` is not a member of `{tenant}`"));
        issue::user_token(
            &self.shared,
            t,
            user,
            audience,
            crate::roles::AZURE_CLI_APP_ID,
        )
        .token
    }

    /// An application's access token for `audience` in `tenant` (its service principal there).
    pub fn app_token(&self, tenant: &str, app_id: &AppId, audience: &str) -> String {
        let state = self.state();
        let t = state
            .tenant_by_ref(tenant)
            .unwrap_or_else(|| panic!("the simulator has no tenant `{tenant}`"));
        let sp = t
            .service_principals
            .iter()
            .find(|sp| sp.app_id == *app_id)
            .unwrap_or_else(|| panic!("`{app_id}` has no service principal in `{tenant}`"));
        issue::app_token(&self.shared, t, sp, audience).token
    }

    /// The library's HTTP stack signed in as `upn` of `tenant` (tokens issued in-process, no
    /// `az`), on this simulator's cloud, with waits recorded instead of slept: for tests that
    /// drive `xtcmk::ops` directly.
    pub fn stack_as_user(&self, tenant: &str, upn: &str) -> xtcmk::http::HttpStack {
        self.stack_builder_as_user(tenant, upn)
            .build()
            .expect("the simulator's cloud profile is valid")
    }

    /// [`Sim::stack_as_user`] before `build()`, to set a sleeper (e.g. a
    /// [`crate::virtual_time::VirtualTime`]), retry or pacing settings.
    pub fn stack_builder_as_user(&self, tenant: &str, upn: &str) -> xtcmk::http::HttpStackBuilder {
        let credential = SimUserCredential {
            shared: self.shared.clone(),
            tenant: tenant.to_string(),
            upn: upn.to_string(),
        };
        xtcmk::http::HttpStack::builder(self.cloud().clone())
            .retry(xtcmk::http::RetrySettings {
                time_scale: 0.0,
                ..xtcmk::http::RetrySettings::default()
            })
            .credential(format!("simulator user {upn}"), Arc::new(credential))
    }

    /// Stops the server (also done on drop).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Blocks until the server stops (for `xtcmk-sim serve`).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shutdown();
    }
}
