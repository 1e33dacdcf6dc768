//! What the binaries print: data to stdout (text or JSON), status to stderr, and step reports.

use serde::Serialize;
use std::io::Write;

/// `--output text|json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// Writes data to stdout and status to stderr, so `--output json | jq` always sees clean JSON.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub format: OutputFormat,
}

impl Printer {
    pub fn new(format: OutputFormat) -> Self {
        Self { format }
    }

    pub fn is_json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    /// A line of human-readable data on stdout (text mode only).
    pub fn text(&self, line: impl AsRef<str>) {
        if !self.is_json() {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", line.as_ref());
        }
    }

    /// The command's result as pretty JSON on stdout (JSON mode only).
    pub fn json<T: Serialize>(&self, value: &T) {
        if self.is_json() {
            let mut out = std::io::stdout().lock();
            let _ = serde_json::to_writer_pretty(&mut out, value);
            let _ = writeln!(out);
        }
    }

    /// A status line on stderr (both modes): progress, warnings, what was skipped.
    pub fn status(&self, line: impl AsRef<str>) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{}", line.as_ref());
    }

    /// A warning on stderr.
    pub fn warn(&self, line: impl AsRef<str>) {
        self.status(format!("warning: {}", line.as_ref()));
    }
}

/// What a create-or-adopt step did (or, in a dry run, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Created,
    Adopted,
    Updated,
    Unchanged,
    WouldCreate,
    WouldUpdate,
    Removed,
    WouldRemove,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Adopted => "adopted",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::WouldCreate => "would-create",
            Outcome::WouldUpdate => "would-update",
            Outcome::Removed => "removed",
            Outcome::WouldRemove => "would-remove",
        }
    }

    /// Whether the step wrote something.
    pub fn is_write(&self) -> bool {
        matches!(self, Outcome::Created | Outcome::Updated | Outcome::Removed)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step's line in a command's report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepReport {
    pub step: String,
    pub outcome: Outcome,
    /// The resource the step is about (id, name or URI; never a secret).
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl StepReport {
    pub fn new(step: impl Into<String>, outcome: Outcome, resource: impl Into<String>) -> Self {
        Self {
            step: step.into(),
            outcome,
            resource: resource.into(),
            detail: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// `  app               created     <resource>  (detail)`
    pub fn line(&self) -> String {
        let mut s = format!(
            "  {:<18} {:<13} {}",
            self.step,
            self.outcome.as_str(),
            self.resource
        );
        if let Some(d) = &self.detail {
            s.push_str(&format!("  ({d})"));
        }
        s
    }
}
