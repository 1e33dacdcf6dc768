//! Thin typed clients per API, all on the [`crate::http`] stack: ARM ([`arm`]), Microsoft Graph
//! v1.0 ([`graph`]), the Key Vault keys data plane through `azure_security_keyvault_keys`
//! ([`keyvault`]) and the MongoDB Atlas Admin API v2 ([`atlas`]). Get them from
//! [`crate::http::HttpStack`]; later features add their calls here.

pub mod arm;
pub mod arm_authorization;
pub mod arm_identities;
pub mod arm_vaults;
pub mod atlas;
pub mod graph;
pub mod graph_apps;
pub mod graph_sps;
pub mod keyvault;

pub use arm::ArmClient;
pub use atlas::{AtlasAuth, AtlasClient};
pub use graph::{GraphClient, GraphQuery, Upserted};
pub use keyvault::KeyVaultClient;
