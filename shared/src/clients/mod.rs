//! Thin typed clients per API, all on the [`crate::http`] stack, laid out as their simulator
//! twins in `tests/src/` are (`clients/graph/service_principals.rs` ↔
//! `tests/src/graph/service_principals.rs`): ARM ([`arm`]), Microsoft Graph v1.0 ([`graph`]),
//! the Key Vault keys data plane through `azure_security_keyvault_keys` ([`keyvault`]) and the
//! MongoDB Atlas Admin API v2 ([`atlas`]). Get them from [`crate::http::HttpStack`].

pub mod arm;
pub mod atlas;
pub mod graph;
pub mod keyvault;

pub use arm::ArmClient;
pub use atlas::{AtlasAuth, AtlasClient};
pub use graph::{GraphClient, GraphQuery, Upserted};
pub use keyvault::KeyVaultClient;
