//! One way to explain a failure: every error type says what would fix it ([`Hint`]), and
//! [`hints`] walks the whole error chain and collects every hint (not only the first).
//! [`classify`] gives the exit status and the stable code scripts see in JSON.

use crate::http::{
    AuthError, HttpError, OperationTimeout, RequestError, ServiceError, TransportError,
};
use crate::{InputError, Refusal};

/// What would fix an error, in words (may be empty).
pub trait Hint {
    fn hints(&self) -> Vec<String>;
}

/// A usage error found after argument parsing (exit code 2), e.g. two flags that exclude each other.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    pub message: String,
    pub hint: Option<String>,
}

impl UsageError {
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

/// A check found a broken link: the tool worked, the chain is not healthy (exit code 3).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{failed} of {total} checks failed")]
pub struct BrokenLink {
    pub failed: usize,
    pub total: usize,
    pub hint: Option<String>,
}

/// Some customers of a batch failed (exit code 1) or, none failing, have a broken link (exit
/// code 3); the summary above names each with its reason.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} of {total} customers {} (each is named above with its reason)", if *failed > 0 { failed } else { broken }, if *failed > 0 { "failed" } else { "have a broken link" })]
pub struct BatchFailed {
    pub failed: u64,
    pub broken: u64,
    pub total: u64,
}

/// The run was interrupted (Ctrl-C; exit code 130).
#[derive(Debug, Clone, thiserror::Error)]
#[error("interrupted{}", in_flight.as_ref().map(|s| format!(" while {s} may be in flight")).unwrap_or_default())]
pub struct Interrupted {
    /// The step that had started and not finished, in words.
    pub in_flight: Option<String>,
}

fn one(hint: &Option<String>) -> Vec<String> {
    hint.iter().cloned().collect()
}

impl Hint for InputError {
    fn hints(&self) -> Vec<String> {
        one(&self.fix)
    }
}

impl Hint for UsageError {
    fn hints(&self) -> Vec<String> {
        one(&self.hint)
    }
}

impl Hint for Refusal {
    fn hints(&self) -> Vec<String> {
        one(&self.hint)
    }
}

impl Hint for BrokenLink {
    fn hints(&self) -> Vec<String> {
        one(&self.hint)
    }
}

impl Hint for BatchFailed {
    fn hints(&self) -> Vec<String> {
        vec![if self.failed > 0 {
            "fix what each failed customer's line says, then run the same command again: the customers already done are read, not written again".into()
        } else {
            "`xtcmk-provider doctor --handoff FILE` shows one customer's chain link by link".into()
        }]
    }
}

impl Hint for Interrupted {
    fn hints(&self) -> Vec<String> {
        vec!["re-run the same command: every step reads before it writes, so it finishes what was left".into()]
    }
}

impl Hint for ServiceError {
    fn hints(&self) -> Vec<String> {
        one(&self.hint)
    }
}

impl Hint for TransportError {
    fn hints(&self) -> Vec<String> {
        vec![self.hint()]
    }
}

impl Hint for AuthError {
    fn hints(&self) -> Vec<String> {
        one(&self.hint)
    }
}

impl Hint for RequestError {
    fn hints(&self) -> Vec<String> {
        one(&self.hint)
    }
}

impl Hint for OperationTimeout {
    fn hints(&self) -> Vec<String> {
        vec![self.hint()]
    }
}

impl Hint for HttpError {
    fn hints(&self) -> Vec<String> {
        self.hint().into_iter().collect()
    }
}

/// Calls `$f` with every one of the toolkit's error types `$e` can be viewed as.
macro_rules! each_type {
    ($e:expr, $f:ident) => {
        $f!($e, InputError);
        $f!($e, UsageError);
        $f!($e, Refusal);
        $f!($e, BrokenLink);
        $f!($e, BatchFailed);
        $f!($e, Interrupted);
        $f!($e, HttpError);
        $f!($e, ServiceError);
        $f!($e, TransportError);
        $f!($e, AuthError);
        $f!($e, RequestError);
        $f!($e, OperationTimeout);
    };
}

/// Every hint along the error chain, outermost first, without repeats: the context layers
/// (which only the `anyhow::Error` itself can be downcast to), then every source.
pub fn hints(err: &anyhow::Error) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    let mut add = |found: Vec<String>| {
        for h in found {
            if !h.is_empty() && !all.contains(&h) {
                all.push(h);
            }
        }
    };
    macro_rules! from_context {
        ($e:expr, $t:ty) => {
            if let Some(e) = $e.downcast_ref::<$t>() {
                add(e.hints());
            }
        };
    }
    each_type!(err, from_context);
    for cause in err.chain() {
        macro_rules! from_cause {
            ($e:expr, $t:ty) => {
                if let Some(e) = $e.downcast_ref::<$t>() {
                    add(e.hints());
                }
            };
        }
        each_type!(cause, from_cause);
    }
    all
}

/// How an error ends the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    pub exit_code: u8,
    /// The stable code for JSON output.
    pub code: String,
    /// The flag or field at fault, for input errors.
    pub field: Option<String>,
}

/// Exit status and code of an error: 2 usage, 3 a broken link, 130 interrupted, 1 for
/// everything the input or the cloud refused.
pub fn classify(err: &anyhow::Error) -> Class {
    let class = |exit_code: u8, code: &str| Class {
        exit_code,
        code: code.into(),
        field: None,
    };
    if err.is::<UsageError>() || err.chain().any(|c| c.is::<UsageError>()) {
        return class(2, "Usage");
    }
    if err.is::<BrokenLink>() || err.chain().any(|c| c.is::<BrokenLink>()) {
        return class(3, "BrokenLink");
    }
    if let Some(b) = err.downcast_ref::<BatchFailed>() {
        return if b.failed > 0 {
            class(1, "BatchFailed")
        } else {
            class(3, "BrokenLink")
        };
    }
    if err.is::<Interrupted>() || err.chain().any(|c| c.is::<Interrupted>()) {
        return class(130, "Interrupted");
    }
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<InputError>() {
            return Class {
                exit_code: 1,
                code: "InvalidInput".into(),
                field: Some(e.field.clone()),
            };
        }
        // A refusal that explains a service's answer takes that answer's code.
        if let Some(r) = cause.downcast_ref::<Refusal>()
            && r.cause.is_none()
        {
            return class(1, "Refused");
        }
        if let Some(e) = cause.downcast_ref::<HttpError>() {
            return class(1, &http_code(e));
        }
        if let Some(e) = cause.downcast_ref::<ServiceError>() {
            return class(1, &service_code(e));
        }
    }
    if err.chain().any(|c| c.is::<Refusal>()) {
        return class(1, "Refused");
    }
    class(1, "Failed")
}

fn service_code(e: &ServiceError) -> String {
    e.code
        .clone()
        .unwrap_or_else(|| format!("HTTP{}", e.status))
}

fn http_code(e: &HttpError) -> String {
    match e {
        HttpError::Service(s) => service_code(s),
        HttpError::Transport(_) => "Unreachable".into(),
        HttpError::Auth(_) => "SignInFailed".into(),
        HttpError::Request(_) => "BadRequest".into(),
        HttpError::Timeout(_) => "OperationTimeout".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hint_of_the_chain_is_collected_once() {
        let inner = InputError::new("--vault", "x", "too short").with_fix("use 3-24 characters");
        let err = anyhow::Error::new(Refusal::new("stopped").hint("re-run").because(inner))
            .context("reading the options");
        assert_eq!(hints(&err), ["re-run", "use 3-24 characters"]);
        let c = classify(&err);
        assert_eq!((c.exit_code, c.code.as_str()), (1, "InvalidInput"));
        assert_eq!(c.field.as_deref(), Some("--vault"));
    }

    #[test]
    fn classes() {
        let usage = anyhow::Error::new(UsageError::new("both flags"));
        assert_eq!(classify(&usage).exit_code, 2);
        let broken = anyhow::Error::new(BrokenLink {
            failed: 1,
            total: 4,
            hint: None,
        });
        assert_eq!(classify(&broken).exit_code, 3);
        let stop = anyhow::Error::new(Interrupted { in_flight: None });
        assert_eq!(classify(&stop).exit_code, 130);
        assert_eq!(classify(&anyhow::anyhow!("x")).code, "Failed");
    }
}
