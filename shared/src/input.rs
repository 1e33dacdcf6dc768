//! The error for input the tool refuses before anything is sent or written.

use std::fmt;

/// Input that was refused: names the field, the value, what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The flag, document field or parameter the value came from, e.g. `--key-uri`.
    pub field: String,
    /// The offending value as given (never a secret).
    pub value: String,
    /// What is wrong, as one sentence fragment.
    pub problem: String,
    /// How to fix it, when known.
    pub fix: Option<String>,
}

impl InputError {
    pub fn new(
        field: impl Into<String>,
        value: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            value: value.into(),
            problem: problem.into(),
            fix: None,
        }
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// The same error reported against another field name (e.g. a flag instead of a document path).
    pub fn in_field(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} `{}`: {}",
            self.field, self.value, self.problem
        )
    }
}

impl std::error::Error for InputError {}
