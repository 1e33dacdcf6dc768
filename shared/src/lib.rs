//! xtcmk: the domain of cross-tenant customer-managed-key onboarding on Azure.
//!
//! Typed ids and parsers, cloud profiles, the artefacts each phase builds (federated credential,
//! Cosmos DB parameters, Atlas payload, admin-consent URL, the documents that cross between the
//! provider and the customer), the HTTP stack and API clients, and the create-or-adopt steps.

pub mod atlas;
pub mod cli;
pub mod clients;
pub mod cloud;
pub mod consent;
pub mod cosmos;
pub mod documents;
pub mod fic;
pub mod http;
pub mod ids;
pub mod input;
pub mod key_uri;
pub mod output;
pub mod refusal;
pub mod resource_id;
pub mod secret;
pub mod steps;

pub use cloud::Cloud;
pub use consent::ConsentTenant;
pub use cosmos::CosmosCmkAccount;
pub use documents::{EncryptionTarget, Handoff, Invitation, PermissionModel};
pub use fic::{FicMatch, FicName};
pub use ids::{AppId, ObjectId, SubscriptionId, TenantId};
pub use input::InputError;
pub use key_uri::{KeyStoreKind, KeyUri, VersionedKeyUri, VersionlessKeyUri};
pub use refusal::Refusal;
pub use resource_id::ResourceId;
pub use secret::Secret;
