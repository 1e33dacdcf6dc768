//! A refusal found by reading the cloud's state: the tool stops before writing and says why.

/// The cloud's state makes the requested change wrong or impossible (exit code 1): e.g. the app
/// already holds 20 federated credentials, a vault lacks purge protection, a role is missing.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub message: String,
    pub hint: Option<String>,
}

impl Refusal {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}
