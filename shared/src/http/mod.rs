//! The one HTTP stack for ARM, Graph, the Key Vault data plane, Entra ID and Atlas.
//!
//! Every request goes through an `azure_core` pipeline over one `reqwest` client ([`transport`]):
//! our retry policy ([`retry`]), the bearer-token policy fed by `azure_identity` credentials
//! ([`auth`]), and `azure_core`'s own header-redacting logging. Long-running operations are
//! followed by [`lro`]; every failure becomes an [`HttpError`] whose rendering names the service,
//! the request, the service's code and message, the request id and, where one is known, a hint
//! ([`hints`]). [`HttpStack`] ties it together and hands out the API clients of
//! [`crate::clients`].

pub mod auth;
pub mod call;
pub mod claims;
pub mod error;
pub mod federation;
pub mod hints;
pub mod lro;
pub mod pacing;
pub mod redact;
pub mod retry;
pub mod stack;
pub mod transport;

pub use auth::{AuthArgs, AuthMethod, AuthSource, Credentials};
pub use call::{ApiRequest, ApiResponse, ServiceClient};
pub use claims::TokenClaims;
pub use error::{
    AuthError, HttpError, OperationTimeout, RequestError, Service, ServiceError, TransportError,
};
pub use lro::OperationState;
pub use pacing::{Pacer, PacingSettings};
pub use retry::{RetrySettings, ScaledSleeper, Sleeper};
pub use stack::{Audience, HttpStack, HttpStackBuilder, StaticTokenCredential};
