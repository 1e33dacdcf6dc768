//! Batch: one command for many customers. Every row of the source ([`manifest`]) is checked
//! before anything is sent; then the command's library operation runs for each customer
//! ([`items`]), at most `concurrency` at a time, over the caller's clients (for ARM one HTTP
//! stack, so every customer's requests share its pacing). One customer's failure is that customer's outcome and
//! never stops another. The loop keeps counters and one line per customer that did not succeed;
//! each customer's result goes to the [`BatchReporter`] as it finishes and is then dropped, so
//! memory does not grow with the number of customers.

pub mod items;
pub mod manifest;

pub use manifest::{Needs, Row, Source};

use crate::Cloud;
use crate::diagnostics::{BatchFailed, classify, hints};
use crate::output::ErrorReport;
use crate::report::{Event, Reporter, SharedReporter};
use futures::StreamExt;
use serde::Serialize;
use serde_json::{Map, Value};
use std::future::Future;
use std::sync::Arc;

/// How many customers run at once unless `--concurrency` says otherwise: enough to keep ARM's
/// per-subscription buckets busy at 20 ms a request, few enough to stay polite.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// How one customer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemState {
    /// Changes were made and the result reads back right.
    Done,
    /// Everything was already as asked: nothing was written.
    Adopted,
    /// Every link checked is intact (doctor, status).
    Intact,
    /// A dry run: the plan, nothing sent.
    Planned,
    /// The command worked and found a broken link (exit 3).
    Broken,
    /// The command could not be carried out for this customer (exit 1).
    Failed,
}

impl ItemState {
    pub fn label(self) -> &'static str {
        match self {
            ItemState::Done => "done",
            ItemState::Adopted => "adopted",
            ItemState::Intact => "intact",
            ItemState::Planned => "planned",
            ItemState::Broken => "broken",
            ItemState::Failed => "failed",
        }
    }
}

/// One customer's result.
#[derive(Debug, Clone)]
pub struct ItemOutcome {
    pub customer: String,
    /// The account (name) the customer's row names, if any.
    pub account: Option<String>,
    /// The Atlas project the customer's row names, if any (set by [`run`] from the row).
    pub project: Option<String>,
    pub state: ItemState,
    /// Changes made in a tenant for this customer.
    pub writes: usize,
    /// Why it failed or what is broken, in one line.
    pub reason: Option<String>,
    /// A dry run's plan: each step's predicted outcome.
    pub plan: Vec<crate::output::StepReport>,
    /// The customer's JSON record: its command's result fields.
    pub fields: Map<String, Value>,
    /// What the customer's operation warned about (a secret about to expire, …).
    pub warnings: Vec<String>,
}

impl ItemOutcome {
    pub fn new(customer: &str, account: Option<String>, state: ItemState) -> Self {
        Self {
            customer: customer.to_string(),
            account,
            project: None,
            state,
            writes: 0,
            reason: None,
            plan: Vec::new(),
            fields: Map::new(),
            warnings: Vec::new(),
        }
    }

    /// A field of the customer's JSON record (skipped when null).
    pub fn field(mut self, name: &str, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        if !value.is_null() {
            self.fields.insert(name.into(), value);
        }
        self
    }

    /// The customer failed with `err`: its first line is the reason, the record has the error.
    pub fn failed(customer: &str, account: Option<String>, err: &anyhow::Error) -> Self {
        let class = classify(err);
        let message = err.to_string();
        let mut outcome = Self::new(customer, account, ItemState::Failed);
        outcome.reason = Some(message.lines().next().unwrap_or_default().to_string());
        outcome.field(
            "error",
            ErrorReport {
                code: class.code,
                message,
                hints: hints(err),
                field: class.field,
                exit_code: class.exit_code,
            },
        )
    }

    /// The customer's JSON record: `customer`, `account`, `project`, `state`, `writes`, `reason`,
    /// `warnings`, then the command's fields.
    pub fn record(&self) -> Value {
        let mut m = Map::new();
        m.insert("customer".into(), Value::String(self.customer.clone()));
        if let Some(a) = &self.account {
            m.insert("account".into(), Value::String(a.clone()));
        }
        if let Some(p) = &self.project {
            m.insert("project".into(), Value::String(p.clone()));
        }
        m.insert("state".into(), Value::String(self.state.label().into()));
        m.insert("writes".into(), Value::from(self.writes));
        if let Some(r) = &self.reason {
            m.insert("reason".into(), Value::String(r.clone()));
        }
        if !self.warnings.is_empty() {
            m.insert("warnings".into(), Value::from(self.warnings.clone()));
        }
        if !self.plan.is_empty() {
            m.insert(
                "plan".into(),
                serde_json::to_value(&self.plan).unwrap_or_default(),
            );
        }
        for (k, v) in &self.fields {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }
}

/// Receives a batch's progress; the binaries draw one bar and the summary from it.
pub trait BatchReporter: Send + Sync {
    /// Every row was checked: `total` customers will run.
    fn begin(&self, total: u64);
    /// An event of one customer's operation.
    fn event(&self, customer: &str, event: Event);
    /// A customer finished.
    fn finished(&self, outcome: &ItemOutcome);
}

/// One customer's events, passed on with its name; its warnings are kept for its record.
struct ItemReporter {
    customer: String,
    batch: Arc<dyn BatchReporter>,
    warnings: std::sync::Mutex<Vec<String>>,
}

impl Reporter for ItemReporter {
    fn report(&self, event: Event) {
        if let Event::Warning(w) = &event {
            self.warnings
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(w.clone());
        }
        self.batch.event(&self.customer, event);
    }
}

/// A customer that did not succeed, in one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub customer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub state: ItemState,
    pub reason: String,
}

/// What a batch did: counters, and one line per customer that failed or is broken.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchSummary {
    pub total: u64,
    pub done: u64,
    pub adopted: u64,
    pub intact: u64,
    pub planned: u64,
    pub broken: u64,
    pub failed: u64,
    /// Customers whose operation warned (each warning is in its record).
    pub warned: u64,
    /// Changes made in all tenants.
    pub writes: u64,
    pub failures: Vec<Failure>,
}

impl BatchSummary {
    fn add(&mut self, o: &ItemOutcome) {
        let n = match o.state {
            ItemState::Done => &mut self.done,
            ItemState::Adopted => &mut self.adopted,
            ItemState::Intact => &mut self.intact,
            ItemState::Planned => &mut self.planned,
            ItemState::Broken => &mut self.broken,
            ItemState::Failed => &mut self.failed,
        };
        *n += 1;
        self.writes += o.writes as u64;
        if !o.warnings.is_empty() {
            self.warned += 1;
        }
        if matches!(o.state, ItemState::Failed | ItemState::Broken) {
            self.failures.push(Failure {
                customer: o.customer.clone(),
                account: o.account.clone(),
                project: o.project.clone(),
                state: o.state,
                reason: o.reason.clone().unwrap_or_default(),
            });
        }
    }

    /// The failures sorted by customer (they arrive in the order they finish).
    pub fn sorted_failures(&self) -> Vec<Failure> {
        let mut f = self.failures.clone();
        f.sort_by(|a, b| a.customer.cmp(&b.customer));
        f
    }

    /// `Err` unless every customer succeeded: 1 when one failed, else 3 when a link is broken.
    pub fn result(&self) -> anyhow::Result<()> {
        if self.failed > 0 || self.broken > 0 {
            return Err(BatchFailed {
                failed: self.failed,
                broken: self.broken,
                total: self.total,
            }
            .into());
        }
        Ok(())
    }
}

/// Every row of a source, checked: what [`run`] takes, so no batch sends before its check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    total: u64,
}

impl Checked {
    /// How many rows the source had when it was checked.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// Checks every row of `source`, reading only local files (a refusal lists the bad rows), so a
/// command runs it before it signs in.
pub async fn check(source: &Source, needs: &Needs, cloud: &Cloud) -> anyhow::Result<Checked> {
    Ok(Checked {
        total: manifest::check(source, needs, cloud).await?,
    })
}

/// Runs `work` for each customer of a [`check`]ed source, at most `concurrency` at once, each
/// with a reporter that names the customer; returns the counters.
pub async fn run<W, Fut>(
    source: &Source,
    needs: Needs,
    cloud: &Cloud,
    checked: Checked,
    concurrency: usize,
    reporter: Arc<dyn BatchReporter>,
    work: W,
) -> anyhow::Result<BatchSummary>
where
    W: Fn(Row, SharedReporter) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<ItemOutcome>> + Send + 'static,
{
    let total = checked.total;
    reporter.begin(total);
    let work = Arc::new(work);
    let batch = reporter.clone();
    let outcomes = manifest::rows(source, needs, cloud.clone())
        .map(move |item| {
            let work = work.clone();
            let batch = batch.clone();
            async move {
                let row = match item {
                    Ok(row) => row,
                    // The row changed since it was checked.
                    Err((at, e)) => return ItemOutcome::failed(&at, None, &e.into()),
                };
                let customer = row.customer.clone();
                let account = row.account.as_ref().map(|a| a.as_str().to_string());
                let project = row.project.as_ref().map(|p| p.as_str().to_string());
                let item = Arc::new(ItemReporter {
                    customer: customer.clone(),
                    batch,
                    warnings: Default::default(),
                });
                // A task of its own: a panic is this customer's failure, not the batch's.
                let mut outcome = match tokio::spawn(work(row, item.clone())).await {
                    Ok(Ok(outcome)) => outcome,
                    Ok(Err(e)) => ItemOutcome::failed(&customer, account, &e),
                    Err(e) => ItemOutcome::failed(
                        &customer,
                        account,
                        &anyhow::anyhow!("the run for this customer stopped: {e}"),
                    ),
                };
                outcome.project = project;
                outcome.warnings =
                    std::mem::take(&mut *item.warnings.lock().unwrap_or_else(|p| p.into_inner()));
                outcome
            }
        })
        .buffer_unordered(concurrency.max(1));
    futures::pin_mut!(outcomes);
    let mut summary = BatchSummary {
        total,
        ..BatchSummary::default()
    };
    while let Some(outcome) = outcomes.next().await {
        summary.add(&outcome);
        reporter.finished(&outcome);
    }
    Ok(summary)
}
