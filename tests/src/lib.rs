//! `xtcmk-sim`: a local HTTPS simulator of Entra ID, Microsoft Graph, ARM, Key Vault and Atlas.

pub mod admin;
pub mod arm;
pub mod atlas;
pub mod auth;
pub mod contract;
pub mod faults;
pub mod graph;
pub mod identity;
pub mod keyvault;
pub mod log;
pub mod login;
pub mod replication;
pub mod reply;
pub mod roles;
pub mod routes;
pub mod scenario;
pub mod server;
pub mod service;
pub mod state;
pub mod tls;
pub mod tokens;
