//! xtcmk: cross-tenant customer-managed-key onboarding on Azure, as a library.
//!
//! Layers, top down (see ARCHITECTURE.md): [`ops`] (one operation per command: plan → apply)
//! → [`steps`] (one create-or-adopt step per resource) → [`clients`] (one typed client per API)
//! → [`http`] (one HTTP stack: auth, retry, long-running operations, typed errors) → the domain
//! types (ids, key URIs, resource ids, clouds, documents). Operations report through
//! [`report::Reporter`] and never print; [`cli`] holds the binaries' shared printer.

pub mod atlas;
pub mod cli;
pub mod clients;
pub mod cloud;
pub mod consent;
pub mod context;
pub mod cosmos;
pub mod defaults;
pub mod diagnostics;
pub mod directory_roles;
pub mod documents;
pub mod fic;
pub mod files;
pub mod http;
pub mod ids;
pub mod input;
pub mod key_uri;
pub mod location;
pub mod memo;
pub mod ops;
pub mod output;
pub mod refusal;
pub mod report;
pub mod resource_id;
pub mod secret;
pub mod steps;

pub use cloud::Cloud;
pub use consent::ConsentTenant;
pub use context::Ctx;
pub use cosmos::CosmosCmkAccount;
pub use documents::{EncryptionTarget, Handoff, Invitation, PermissionModel};
pub use fic::{FicMatch, FicName};
pub use ids::{AppId, ObjectId, SubscriptionId, TenantId};
pub use input::InputError;
pub use key_uri::{KeyStoreKind, KeyUri, VersionedKeyUri, VersionlessKeyUri};
pub use location::Location;
pub use refusal::Refusal;
pub use resource_id::ResourceId;
pub use secret::Secret;
