//! `--batch PATH` of `cosmos deploy`, `doctor`, `cosmos status` and `atlas status`: the flags every customer
//! shares, and the rendering of `xtcmk::ops::batch` — one progress bar on a terminal, a line per
//! customer and per step with `-v`, each plan with `--dry-run`, one JSON record per customer
//! with `--output json` (JSON lines, the summary last), and the summary table at the end.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use xtcmk::InputError;
use xtcmk::cli::{Printer, UsageError};
use xtcmk::ops::batch::{
    BatchReporter, BatchSummary, Checked, DEFAULT_CONCURRENCY, ItemOutcome, ItemState, Needs, Row,
    Source,
};
use xtcmk::report::Event;
use xtcmk::report::SharedReporter;

#[derive(Debug, Clone, clap::Args)]
pub struct BatchArgs {
    /// Run for many customers: a folder of handoff files (each NAME.json is customer NAME and
    /// account NAME, in --location), or a manifest — .csv with a header, a .json array or .jsonl
    /// — with the columns customer, handoff (relative to the manifest), account, location
    /// (optional: --location). Every row is checked before anything is sent.
    #[arg(long, value_name = "PATH")]
    pub batch: Option<PathBuf>,

    #[command(flatten)]
    pub concurrency: Concurrency,
}

impl BatchArgs {
    pub fn concurrency(&self) -> usize {
        self.concurrency.get()
    }

    /// The `--batch` path, if given; see [`Concurrency::batch`].
    pub fn path(&self) -> Result<Option<PathBuf>, UsageError> {
        self.concurrency.batch(self.batch.as_deref())
    }
}

/// `--concurrency`, for every command with a `--batch` flag.
#[derive(Debug, Clone, clap::Args)]
pub struct Concurrency {
    /// With --batch: how many customers run at once (1–1024) [default: 16].
    // No clap default: clap does not enforce `requires` on an argument that has one.
    #[arg(long, value_name = "N", requires = "batch",
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    concurrency: Option<u16>,
}

impl Concurrency {
    pub fn get(&self) -> usize {
        self.concurrency.map_or(DEFAULT_CONCURRENCY, usize::from)
    }

    /// `batch` (the `--batch` path), or the refusal of `--concurrency` without it: clap drops
    /// `requires` when `--batch` conflicts with a flag that is given (`--account`, `--group-id`).
    pub fn batch(&self, batch: Option<&Path>) -> Result<Option<PathBuf>, UsageError> {
        if batch.is_none() && self.concurrency.is_some() {
            return Err(UsageError::new("--concurrency needs --batch")
                .hint("pass --batch PATH to run for many customers, or leave --concurrency out"));
        }
        Ok(batch.map(Path::to_path_buf))
    }
}

/// `--batch`'s source.
pub fn source(path: &std::path::Path) -> Result<xtcmk::ops::batch::Source, InputError> {
    xtcmk::ops::batch::Source::at("--batch", path)
}

/// Renders a batch as it runs.
pub struct BatchPrinter {
    printer: Arc<Printer>,
    failed: AtomicU64,
    broken: AtomicU64,
}

impl BatchPrinter {
    pub fn new(printer: Arc<Printer>) -> Arc<Self> {
        Arc::new(Self {
            printer,
            failed: AtomicU64::new(0),
            broken: AtomicU64::new(0),
        })
    }
}

/// `fabrikam (account fabrikam-data)`, `northwind (project 65f0…)`.
fn who(customer: &str, account: Option<&str>, project: Option<&str>) -> String {
    match (account, project) {
        (Some(a), _) if a != customer => format!("{customer} (account {a})"),
        (_, Some(p)) => format!("{customer} (project {p})"),
        _ => customer.to_string(),
    }
}

fn outcome_line(o: &ItemOutcome) -> String {
    let mut line = format!(
        "{:<8} {}",
        o.state.label(),
        who(&o.customer, o.account.as_deref(), o.project.as_deref())
    );
    match o.state {
        ItemState::Done => line.push_str(&format!(": {} change(s)", o.writes)),
        ItemState::Adopted => line.push_str(": already as asked, nothing written"),
        _ => {}
    }
    if let Some(r) = &o.reason {
        line.push_str(&format!(": {r}"));
    }
    line
}

impl BatchReporter for BatchPrinter {
    fn begin(&self, total: u64) {
        self.printer.status(format!(
            "{total} customer(s) checked, nothing sent yet; running"
        ));
        self.printer.batch_begin(total);
    }

    fn event(&self, customer: &str, event: Event) {
        // Warnings are shown as a single command shows them; the rest only with -v.
        if let Event::Warning(w) = &event {
            self.printer.status(format!("warning: {customer}: {w}"));
            return;
        }
        if !self.printer.is_verbose() {
            return;
        }
        match event {
            Event::StepFinished(s) => {
                self.printer
                    .status(format!("{customer}: {}", s.line().trim()));
            }
            Event::Warning(_) => {}
            Event::Waiting(w) => self
                .printer
                .status(format!("{customer}: {}", xtcmk::cli::wait_line(&w))),
            Event::Notice(n) => self.printer.status(format!("{customer}: {n}")),
            Event::Planned(_) | Event::StepStarted { .. } | Event::Progress(_) => {}
        }
    }

    fn finished(&self, o: &ItemOutcome) {
        match o.state {
            ItemState::Failed => {
                self.failed.fetch_add(1, Ordering::Relaxed);
            }
            ItemState::Broken => {
                self.broken.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        if self.printer.is_json() {
            let mut record = serde_json::Map::new();
            record.insert("record".into(), "customer".into());
            if let serde_json::Value::Object(fields) = o.record() {
                record.extend(fields);
            }
            self.printer.json_line(&record);
        } else if o.state == ItemState::Planned {
            // A dry run renders each customer's plan.
            self.printer.text(format!(
                "{}:",
                who(&o.customer, o.account.as_deref(), o.project.as_deref())
            ));
            for step in &o.plan {
                self.printer.text(format!("  {}", step.line().trim()));
            }
        } else if self.printer.is_verbose() {
            self.printer.text(outcome_line(o));
        }
        let failed = self.failed.load(Ordering::Relaxed);
        let broken = self.broken.load(Ordering::Relaxed);
        self.printer.batch_advance(match (failed, broken) {
            (0, 0) => String::new(),
            (f, 0) => format!("({f} failed)"),
            (0, b) => format!("({b} broken)"),
            (f, b) => format!("({f} failed, {b} broken)"),
        });
    }
}

/// The summary: a JSON record (last line), or the table — the counts, then one line per
/// customer that failed or is broken, with its reason.
pub fn summary(printer: &Printer, s: &BatchSummary) {
    printer.batch_end();
    if printer.is_json() {
        let mut record = serde_json::Map::new();
        record.insert("record".into(), "summary".into());
        record.insert("command".into(), printer.command().into());
        if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(s) {
            let mut fields = fields;
            fields.insert(
                "failures".into(),
                serde_json::to_value(s.sorted_failures()).unwrap_or_default(),
            );
            record.extend(fields);
        }
        printer.json_line(&record);
        return;
    }
    let counts: Vec<String> = [
        (s.done, "done"),
        (s.adopted, "adopted"),
        (s.intact, "intact"),
        (s.planned, "planned"),
        (s.broken, "broken"),
        (s.failed, "failed"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, label)| format!("{n} {label}"))
    .collect();
    printer.text(format!(
        "{} customer(s): {}; {} change(s) made{}",
        s.total,
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        },
        s.writes,
        if s.warned > 0 {
            format!("; {} with warnings (shown above)", s.warned)
        } else {
            String::new()
        }
    ));
    for f in s.sorted_failures() {
        printer.text(format!(
            "  {:<7} {}: {}",
            f.state.label(),
            who(&f.customer, f.account.as_deref(), f.project.as_deref()),
            f.reason
        ));
    }
}

/// Runs `work` for every customer of a checked source with the batch's printer, then prints the
/// summary; the command's result follows it (exit 1 on a failure, 3 on a broken link).
pub async fn run_and_summarise<W, Fut>(
    printer: &Arc<Printer>,
    source: &Source,
    needs: Needs,
    cloud: &xtcmk::Cloud,
    checked: Checked,
    concurrency: usize,
    work: W,
) -> anyhow::Result<()>
where
    W: Fn(Row, SharedReporter) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<ItemOutcome>> + Send + 'static,
{
    let counts = xtcmk::ops::batch::run(
        source,
        needs,
        cloud,
        checked,
        concurrency,
        BatchPrinter::new(printer.clone()),
        work,
    )
    .await?;
    summary(printer, &counts);
    counts.result()
}
