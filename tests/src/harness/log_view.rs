//! Reading the request log from tests: entries, reads and writes, marks, counts per route.

use crate::faults::glob_match;
use crate::log::{Counters, LoggedRequest, RequestLog};
use crate::routes::Kind;

/// A view of a simulator's request log.
#[derive(Clone, Copy)]
pub struct LogView<'a> {
    log: &'a RequestLog,
}

/// A point in the log: entries after it are "since the mark".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(u64);

impl<'a> LogView<'a> {
    pub fn new(log: &'a RequestLog) -> Self {
        Self { log }
    }

    /// Every request answered (or dropped) since the start or the last [`LogView::clear`].
    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.log.entries()
    }

    /// The current end of the log.
    pub fn mark(&self) -> Mark {
        Mark(self.entries().last().map(|e| e.seq).unwrap_or(0))
    }

    /// Entries after `mark`.
    pub fn since(&self, mark: Mark) -> Vec<LoggedRequest> {
        self.entries()
            .into_iter()
            .filter(|e| e.seq > mark.0)
            .collect()
    }

    /// Empties the log.
    pub fn clear(&self) {
        self.log.reset();
    }

    /// Writes that reached a service (not answered by a fault, not refused for the token):
    /// what "this run made exactly these writes" counts.
    pub fn writes(&self) -> Vec<LoggedRequest> {
        self.entries()
            .into_iter()
            .filter(LoggedRequest::is_effective_write)
            .collect()
    }

    /// Every write request, including those a fault or the token check answered.
    pub fn write_attempts(&self) -> Vec<LoggedRequest> {
        self.entries()
            .into_iter()
            .filter(|e| e.kind == Kind::Write)
            .collect()
    }

    pub fn reads(&self) -> Vec<LoggedRequest> {
        self.entries()
            .into_iter()
            .filter(|e| e.kind == Kind::Read)
            .collect()
    }

    /// Data-plane cryptographic operations (wrap, unwrap, encrypt, decrypt): neither reads nor
    /// writes.
    pub fn crypto(&self) -> Vec<LoggedRequest> {
        self.entries()
            .into_iter()
            .filter(|e| e.kind == Kind::Crypto)
            .collect()
    }

    /// Requests with `method` (`*` = any) whose path matches `path_glob` (see
    /// [`crate::faults::glob_match`]).
    pub fn matching(&self, method: &str, path_glob: &str) -> Vec<LoggedRequest> {
        self.entries()
            .into_iter()
            .filter(|e| {
                (method == "*" || e.method.eq_ignore_ascii_case(method))
                    && glob_match(path_glob, &e.path)
            })
            .collect()
    }

    /// How many requests [`LogView::matching`] finds.
    pub fn count(&self, method: &str, path_glob: &str) -> usize {
        self.matching(method, path_glob).len()
    }

    /// Counters per route (`arm PUT /subscriptions/{sub}/resourcegroups/{rg}`), reads vs writes.
    pub fn counters(&self) -> Counters {
        self.log.counters()
    }

    /// One line per entry, `METHOD service path -> status`, for snapshots.
    pub fn summary(&self) -> Vec<String> {
        summarize(&self.entries())
    }
}

/// One line per entry, `METHOD service path -> status [fault]`.
pub fn summarize(entries: &[LoggedRequest]) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            let fault = e
                .fault
                .as_deref()
                .map(|f| format!(" (fault: {f})"))
                .or_else(|| e.after_commit.as_deref().map(|f| format!(" (after: {f})")))
                .unwrap_or_default();
            format!(
                "{} {} {} -> {}{fault}",
                e.method, e.service, e.path, e.status
            )
        })
        .collect()
}
