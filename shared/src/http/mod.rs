//! The one HTTP stack for ARM, Graph, Key Vault and Atlas.

/// The hint a service error carries, if `cause` is one.
pub fn hint_for(_cause: &(dyn std::error::Error + 'static)) -> Option<String> {
    None
}
