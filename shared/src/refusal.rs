//! A refusal found by reading the cloud's state: the tool stops before writing and says why.

use std::sync::Arc;

/// The cloud's state makes the requested change wrong or impossible (exit code 1): e.g. the app
/// already holds 20 federated credentials, a vault lacks purge protection, a role is missing.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub message: String,
    pub hint: Option<String>,
    /// What the cloud answered, when the refusal explains a service's error.
    pub cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Refusal {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            cause: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The error this refusal explains (shown as its cause, its hints collected too).
    pub fn because(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Arc::new(cause));
        self
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
