//! How a library operation tells its caller what it is doing, without printing anything: it sends
//! [`Event`]s to a [`Reporter`]. The binaries' printer renders them (lines, spinners on a
//! terminal, JSON at the end); tests record them ([`RecordingReporter`]); a batch reporter
//! prefixes them with the customer.

use crate::output::{PlannedStep, StepKind, StepReport};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Something an operation did or is waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The plan was decided: every step the run will take, before any write.
    Planned(Vec<PlannedStep>),
    /// A step begins its writes (it may be in flight if the run is interrupted now).
    StepStarted { step: StepKind, resource: String },
    /// A step is done (or, in a plan rendered as a dry run, would be).
    StepFinished(StepReport),
    /// A long-running operation changed state (`Accepted`, `InProgress`, …).
    Progress(Progress),
    /// The run sleeps before trying again (throttling, propagation, a consent).
    Waiting(Wait),
    /// Something the user should know that does not stop the run.
    Warning(String),
    /// A line of information the user needs now (e.g. the URL an administrator must open).
    Notice(String),
}

/// A long-running operation's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// What a person waits for, e.g. `vault kv-cmk to be ready`.
    pub operation: String,
    pub state: String,
    /// Time waited so far (as requested; not slept under `XTCMK_RETRY_TIME_SCALE=0`).
    pub elapsed: Duration,
    /// The most the run will wait for it.
    pub bound: Duration,
}

/// A wait before the next attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    /// What the run waits for, e.g. "the service principal to replicate to Azure RBAC".
    pub what: String,
    /// The attempt that comes after the wait (2 = the first retry).
    pub attempt: u32,
    pub attempts: u32,
    pub delay: Duration,
    /// Time waited for this so far, before this wait.
    pub elapsed: Duration,
    /// The most the run will wait for it in all.
    pub bound: Duration,
}

impl Wait {
    /// Time left of the bound after this wait.
    pub fn left(&self) -> Duration {
        self.bound.saturating_sub(self.elapsed + self.delay)
    }
}

/// Receives an operation's events. Implementations must not block for long.
pub trait Reporter: Send + Sync {
    fn report(&self, event: Event);
}

/// Shorthands for the events steps send most.
pub trait ReporterExt: Reporter {
    fn warn(&self, text: impl Into<String>) {
        self.report(Event::Warning(text.into()));
    }

    fn notice(&self, text: impl Into<String>) {
        self.report(Event::Notice(text.into()));
    }

    fn started(&self, step: StepKind, resource: impl Into<String>) {
        self.report(Event::StepStarted {
            step,
            resource: resource.into(),
        });
    }

    fn finished(&self, step: &StepReport) {
        self.report(Event::StepFinished(step.clone()));
    }
}

impl<R: Reporter + ?Sized> ReporterExt for R {}

/// Drops every event (read-only helpers, tests that do not look).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullReporter;

impl Reporter for NullReporter {
    fn report(&self, _event: Event) {}
}

/// Keeps every event, in order, for tests to assert.
#[derive(Debug, Default)]
pub struct RecordingReporter {
    events: Mutex<Vec<Event>>,
}

impl RecordingReporter {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The finished steps, in order.
    pub fn steps(&self) -> Vec<StepReport> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::StepFinished(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    pub fn warnings(&self) -> Vec<String> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Warning(w) => Some(w),
                _ => None,
            })
            .collect()
    }

    pub fn waits(&self) -> Vec<Wait> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Waiting(w) => Some(w),
                _ => None,
            })
            .collect()
    }
}

impl Reporter for RecordingReporter {
    fn report(&self, event: Event) {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event);
    }
}

/// A reporter shared by an operation and the HTTP layer under it.
pub type SharedReporter = Arc<dyn Reporter>;

/// The reporter an HTTP call reports its waits to, carried in the `azure_core` call context.
#[derive(Clone)]
pub struct CallObserver(pub SharedReporter);

impl std::fmt::Debug for CallObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallObserver")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Outcome;

    #[test]
    fn records_in_order_and_filters() {
        let r = RecordingReporter::new();
        r.warn("w1");
        r.started(StepKind::Vault, "kv");
        r.finished(&StepReport::new(StepKind::Vault, Outcome::Created, "kv"));
        r.report(Event::Waiting(Wait {
            what: "x".into(),
            attempt: 2,
            attempts: 3,
            delay: Duration::from_secs(2),
            elapsed: Duration::ZERO,
            bound: Duration::from_secs(10),
        }));
        assert_eq!(r.events().len(), 4);
        assert_eq!(r.warnings(), ["w1"]);
        assert_eq!(r.steps()[0].outcome, Outcome::Created);
        assert_eq!(r.waits()[0].left(), Duration::from_secs(8));
    }
}
