//! `xtcmk-sim`: a local HTTPS simulator of Entra ID, Microsoft Graph, ARM, Key Vault and Atlas.
//!
//! # Using it from tests
//!
//! [`Sim::start`] serves a [`Scenario`] on an ephemeral port of 127.0.0.1 (zero-delay mode),
//! with a CA generated at start; [`Sim::profile_path`] is the cloud profile for `--cloud`.
//! [`Sim::env_as_user`] returns the environment that makes a binary sign in through its Azure
//! CLI credential as a user (an `az` shim, a `sh` script needing only `curl`, is put first on
//! `PATH`); [`Sim::env_as_app`] the client-secret environment. Both set
//! `XTCMK_RETRY_TIME_SCALE=0`, so retries record their waits instead of sleeping.
//!
//! ```no_run
//! use xtcmk_sim::faults::{FaultRule, Step};
//! use xtcmk_sim::scenario::demo;
//! use xtcmk_sim::{Scenario, Sim};
//!
//! let sim = Sim::start(Scenario::demo());
//! // Throttle the first two resource-group reads.
//! sim.faults().add(FaultRule::on("GET", "/subscriptions/*/resourcegroups/*").sequence([Step::throttle(1), Step::throttle(1)]));
//! let out = std::process::Command::new("xtcmk-provider") // env!("CARGO_BIN_EXE_xtcmk-provider") in a test
//!     .args(["--cloud", &sim.profile_path().display().to_string(), "setup"])
//!     .envs(sim.env_as_user(demo::PROVIDER, demo::PROVIDER_ADMIN))
//!     .output()
//!     .unwrap();
//! assert!(out.status.success());
//! let mark = sim.log().mark();
//! // ... run it again: a second run makes no writes.
//! assert!(sim.log().since(mark).iter().all(|e| !e.is_effective_write()));
//! // Seed or inspect the clouds directly.
//! assert_eq!(sim.state().tenants.len(), 3);
//! ```
//!
//! Other handles: [`Sim::log`] (entries, `writes()`, `reads()`, `mark()`/`since()`, `clear()`,
//! `count(method, glob)`, `counters()`), [`Sim::faults`] (429 with Retry-After, 5xx, latency,
//! dropped connections, in sequences or forever), [`Sim::replication`] (new objects invisible
//! for a while), [`Sim::throttle`] (ARM's and Graph's token buckets, off unless
//! [`SimOptions::throttle`] turns them on; see [`throttle`] and [`virtual_time`]), [`Sim::state`], [`Sim::user_token`]/[`Sim::app_token`] (tokens for direct
//! calls), [`Sim::env_as_managed_identity`]. The same controls are on the admin endpoint
//! `https://sim.localhost:PORT/` (see [`admin`]).
//!
//! Cosmos DB with a cross-tenant key: [`scenario::cross_tenant::CmkWorld::start`] builds a world
//! where the chain works and `break_link` breaks one link; `sim.state().cosmos.last_failure(name)`
//! (or `GET /cosmos` on the admin endpoint) names the link that failed; a replication rule of kind
//! [`arm::cosmos::KEY_STATUS`] delays `customerManagedKeyStatus` changes (see [`arm::cosmos`]).

pub mod admin;
pub mod after_commit;
pub mod arm;
pub mod atlas;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod bin_run;
pub mod clock;
pub mod contract;
pub mod docs_check;
pub mod faults;
pub mod graph;
pub mod harness;
pub mod identity;
pub mod keyvault;
pub mod log;
pub mod login;
pub mod mentions;
pub mod profile;
pub mod registry;
pub mod replication;
pub mod reply;
pub mod roles;
pub mod routes;
pub mod scenario;
pub mod server;
pub mod service;
pub mod service_def;
pub mod shared;
pub mod snapshot;
pub mod state;
pub mod throttle;
pub mod tls;
pub mod tokens;
pub mod virtual_time;

pub use harness::{LogView, Sim, SimOptions};
pub use scenario::Scenario;
