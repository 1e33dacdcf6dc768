//! The fleet benchmark (`xtcmk-sim bench`): N customers, each in its own tenant and
//! subscription, through phase 2 (`onboard`, the library operation, one HTTP stack per customer
//! as each customer's admin runs it) and phase 3 (`cosmos deploy` through the batch loop, one
//! HTTP stack for the provider), against the in-process simulator with a fixed latency and
//! ARM's and Graph's throttling on. Figures, not assertions: wall time, requests and writes per
//! customer from the simulator's log, the lower bound and the ratio, peak memory, and each
//! binary's cold start.
//!
//! Lower bound of a phase = max(critical path × latency, for every ARM bucket
//! (requests − burst) ÷ refill): a customer's requests within one operation each await the one
//! before (the critical path is the requests of one customer), and no schedule gets more out of
//! a subscription's bucket than its burst plus its refill. The run's bound is the sum of the two
//! phases' (phase 3 reads the handoffs phase 2 writes).

use crate::log::LoggedRequest;
use crate::scenario::fleet::{self, Fleet, FleetCustomer};
use crate::throttle::{ArmLimits, BucketLimit, ThrottleOptions};
use crate::{Sim, SimOptions};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use xtcmk::Ctx;
use xtcmk::http::RetrySettings;
use xtcmk::ops::batch::{self, BatchReporter, ItemOutcome, Needs, Source, items};
use xtcmk::report::Event;

/// The client polls a long-running operation at most once a second (`http/lro.rs`).
const MIN_POLL_SECONDS: f64 = 1.0;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchSpec {
    pub customers: usize,
    pub latency: Duration,
    /// Phase 3's batch concurrency.
    pub concurrency: usize,
    /// How many customers onboard at once (each is its own admin in its own tenant).
    pub onboard_concurrency: usize,
    pub throttle: bool,
    /// Where the binaries are, for their cold start (none: not measured).
    pub bin_dir: Option<PathBuf>,
}

/// One phase's figures.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseFigures {
    pub wall_seconds: f64,
    pub lower_bound_seconds: f64,
    /// Requests answered, 429s included.
    pub requests: u64,
    /// Requests answered 429 (throttled).
    pub throttled: u64,
    /// Writes that changed something.
    pub writes: u64,
    /// Requests of one customer's operation, each awaiting the one before.
    pub critical_path: u64,
    /// The waits one customer's operation cannot skip (a long-running operation's polls, each
    /// at least a second apart; propagation), in seconds.
    pub critical_waits_seconds: f64,
    /// The ARM bucket that binds: `subscription reads|writes`, its requests and bound.
    pub busiest_bucket: Option<BucketFigures>,
    /// Requests by `service METHOD`.
    pub by_kind: BTreeMap<String, u64>,
    /// Waits the clients asked for (pacing, Retry-After, polling, propagation) and their sum.
    pub waits: usize,
    pub waited_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketFigures {
    pub bucket: String,
    pub requests: u64,
    pub burst: u32,
    pub refill_per_second: f64,
    pub seconds: f64,
}

/// A binary's start.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartFigures {
    pub command: String,
    pub wall_ms: f64,
    #[serde(rename = "peakMemoryMiB")]
    pub peak_memory_mib: Option<f64>,
}

/// Everything the bench prints and writes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BenchReport {
    pub customers: usize,
    pub latency_ms: u64,
    pub throttle: Option<ArmLimits>,
    pub concurrency: usize,
    pub onboard_concurrency: usize,
    pub wall_seconds: f64,
    pub lower_bound_seconds: f64,
    pub ratio: f64,
    pub requests_per_customer: f64,
    pub writes_per_customer: f64,
    pub throttled: u64,
    /// VmHWM of this process: the tools' operations and the in-process simulator (its state
    /// and request log grow with N).
    #[serde(rename = "peakMemoryMiB")]
    pub peak_memory_mib: f64,
    pub onboard: PhaseFigures,
    pub deploy: PhaseFigures,
    pub accounts_created: u64,
    pub failed: u64,
    pub lower_bound: String,
    pub machine: Machine,
    pub binaries: Vec<StartFigures>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Machine {
    pub nproc: usize,
    pub cpu: String,
}

impl Machine {
    pub fn here() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        Machine {
            nproc: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            cpu,
        }
    }
}

/// VmHWM of this process in MiB (0 where /proc is not there).
pub fn peak_memory_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// A batch reporter that keeps nothing (the summary has the counters).
struct Silent;

impl BatchReporter for Silent {
    fn begin(&self, _total: u64) {}
    fn event(&self, _customer: &str, _event: Event) {}
    fn finished(&self, _outcome: &ItemOutcome) {}
}

/// ARM's bucket of a request: `(subscription, reads|writes|deletes)`.
fn bucket(e: &LoggedRequest) -> Option<(String, &'static str)> {
    if e.service.to_string() != "arm" {
        return None;
    }
    let mut segments = e.path.trim_start_matches('/').split('/');
    if !segments.next()?.eq_ignore_ascii_case("subscriptions") {
        return None;
    }
    let sub = segments.next()?.to_ascii_lowercase();
    let op = match e.method.as_str() {
        "GET" | "HEAD" => "reads",
        "DELETE" => "deletes",
        _ => "writes",
    };
    Some((sub, op))
}

fn figures(
    entries: &[LoggedRequest],
    customers: usize,
    latency: Duration,
    wall: Duration,
    limits: ArmLimits,
    critical_waits_seconds: f64,
) -> PhaseFigures {
    let mut f = PhaseFigures {
        wall_seconds: wall.as_secs_f64(),
        critical_waits_seconds,
        ..PhaseFigures::default()
    };
    let mut buckets: BTreeMap<(String, &'static str), u64> = BTreeMap::new();
    let mut answered = 0u64;
    for e in entries {
        f.requests += 1;
        *f.by_kind
            .entry(format!("{} {}", e.service, e.method))
            .or_default() += 1;
        if e.status == 429 {
            f.throttled += 1;
            continue;
        }
        answered += 1;
        if e.is_effective_write() && e.status < 400 {
            f.writes += 1;
        }
        if let Some(b) = bucket(e) {
            *buckets.entry(b).or_default() += 1;
        }
    }
    f.critical_path = answered / customers.max(1) as u64;
    let path = latency.as_secs_f64() * f.critical_path as f64 + critical_waits_seconds;
    let busiest = buckets
        .into_iter()
        .map(|((sub, op), n)| {
            let limit: BucketLimit = match op {
                "reads" => limits.reads,
                "deletes" => limits.deletes,
                _ => limits.writes,
            };
            BucketFigures {
                bucket: format!("{sub} {op}"),
                requests: n,
                burst: limit.capacity,
                refill_per_second: limit.refill_per_second,
                seconds: (n.saturating_sub(u64::from(limit.capacity))) as f64
                    / limit.refill_per_second,
            }
        })
        .max_by(|a, b| a.seconds.total_cmp(&b.seconds));
    f.lower_bound_seconds = path.max(busiest.as_ref().map(|b| b.seconds).unwrap_or(0.0));
    f.busiest_bucket = busiest;
    f
}

/// Runs the bench; `Err` when the fleet could not be onboarded or deployed.
pub async fn run(spec: &BenchSpec) -> anyhow::Result<BenchReport> {
    let n = spec.customers.max(1);
    let throttle = if spec.throttle {
        ThrottleOptions::azure()
    } else {
        ThrottleOptions::default()
    };
    let options = SimOptions {
        latency: spec.latency,
        throttle,
        ..SimOptions::default()
    };
    let sim = Sim::start_with(Some(fleet::scenario(n)), options)?;
    let dir = tempfile::Builder::new().prefix("xtcmk-bench-").tempdir()?;
    let fleet = Fleet::new(&sim, dir.path());
    // Real waits: pacing and Retry-After are slept, as in production.
    let stack = |tenant: &str, upn: &str| {
        sim.stack_builder_as_user(tenant, upn)
            .retry(RetrySettings::default())
            .build()
    };
    fleet.setup(Arc::new(xtcmk::report::NullReporter)).await?;

    // Phase 2: every customer onboards in its own tenant, as its own admin.
    let mut onboard_waits = Vec::new();
    let mark = sim.log().mark();
    let started = Instant::now();
    {
        use futures::StreamExt;
        let fleet = &fleet;
        let stack = &stack;
        let mut runs = futures::stream::iter(1..=n)
            .map(|i| async move {
                let c = FleetCustomer::number(i);
                let s = stack(&c.alias, &c.admin)?;
                fleet
                    .onboard_with(&c, s.clone())
                    .await
                    .map_err(|e| e.context(format!("onboarding {}", c.name)))?;
                Ok::<_, anyhow::Error>(s.requested_waits())
            })
            .buffer_unordered(spec.onboard_concurrency.max(1));
        while let Some(r) = runs.next().await {
            onboard_waits.extend(r?);
        }
    }
    let onboard_wall = started.elapsed();
    let onboard_log = sim.log().since(mark);

    // Phase 3: one batch over the folder of handoffs, one stack for the provider.
    let mark = sim.log().mark();
    let started = Instant::now();
    let provider = stack(
        crate::scenario::demo::PROVIDER,
        crate::scenario::demo::PROVIDER_ADMIN,
    )?;
    let ctx = Ctx::new(
        provider.clone(),
        crate::scenario::demo::PROVIDER_TENANT_ID.parse()?,
        Arc::new(xtcmk::report::NullReporter),
    )?;
    let shared = Arc::new(items::DeployShared {
        identity: fleet.uami_id(),
        app_id: None,
        subscription: crate::scenario::demo::PROVIDER_SUBSCRIPTION_ID.parse()?,
        resource_group: crate::scenario::demo::PROVIDER_RESOURCE_GROUP.into(),
        exchange: false,
        dry_run: false,
        yes: false,
    });
    let needs = Needs {
        handoff: true,
        account: true,
        location: true,
        default_location: Some(xtcmk::Location::parse_field(
            "--location",
            crate::scenario::demo::LOCATION,
        )?),
    };
    let summary = batch::run(
        &Source::Folder(fleet.handoffs.clone()),
        needs,
        sim.cloud(),
        spec.concurrency,
        Arc::new(Silent),
        move |row, reporter| items::deploy(ctx.clone(), shared.clone(), row, reporter),
    )
    .await?;
    let deploy_wall = started.elapsed();
    let deploy_log = sim.log().since(mark);

    let limits = throttle.arm.unwrap_or(ArmLimits::AZURE);
    // Phase 2's buckets never run dry (each customer has its own), so every wait its customers
    // asked for is the operations' own (polls, propagation).
    let onboard_waited: f64 = onboard_waits.iter().map(Duration::as_secs_f64).sum();
    // Phase 3's waits include pacing; its operations' part is one second a poll.
    let polls = deploy_log
        .iter()
        .filter(|e| e.status != 429 && e.path.contains("/operationsStatus/"))
        .count();
    let mut onboard = figures(
        &onboard_log,
        n,
        spec.latency,
        onboard_wall,
        limits,
        onboard_waited / n as f64,
    );
    let mut deploy = figures(
        &deploy_log,
        n,
        spec.latency,
        deploy_wall,
        limits,
        (polls / n) as f64 * MIN_POLL_SECONDS,
    );
    onboard.waits = onboard_waits.len();
    onboard.waited_seconds = onboard_waited;
    let deploy_waits = provider.requested_waits();
    deploy.waits = deploy_waits.len();
    deploy.waited_seconds = deploy_waits.iter().map(Duration::as_secs_f64).sum();
    drop(onboard_log);
    drop(deploy_log);
    let wall = onboard.wall_seconds + deploy.wall_seconds;
    let bound = onboard.lower_bound_seconds + deploy.lower_bound_seconds;
    let binaries = match &spec.bin_dir {
        Some(d) => cold_starts(d),
        None => Vec::new(),
    };
    Ok(BenchReport {
        customers: n,
        latency_ms: spec.latency.as_millis() as u64,
        throttle: throttle.arm,
        concurrency: spec.concurrency,
        onboard_concurrency: spec.onboard_concurrency,
        wall_seconds: wall,
        lower_bound_seconds: bound,
        ratio: if bound > 0.0 { wall / bound } else { 0.0 },
        requests_per_customer: (onboard.requests + deploy.requests) as f64 / n as f64,
        writes_per_customer: (onboard.writes + deploy.writes) as f64 / n as f64,
        throttled: onboard.throttled + deploy.throttled,
        peak_memory_mib: peak_memory_mib(),
        accounts_created: summary.done,
        failed: summary.failed + summary.broken,
        lower_bound: "per phase max(critical path × latency + the operation's own waits, max over ARM buckets (requests − burst) ÷ refill); onboard + deploy".into(),
        onboard,
        deploy,
        machine: Machine::here(),
        binaries,
    })
}

/// Wall time and peak memory of each binary for `--help` and an offline command (median of
/// five runs; peak memory through /usr/bin/time where it is installed).
pub fn cold_starts(dir: &Path) -> Vec<StartFigures> {
    let commands: [(&str, &[&str]); 5] = [
        ("xtcmk-provider", &["--help"]),
        (
            "xtcmk-provider",
            &[
                "consent-url",
                "--app-id",
                "00000000-0000-4000-8000-000000000001",
            ],
        ),
        ("xtcmk-customer", &["--help"]),
        (
            "xtcmk-customer",
            &[
                "check-key-uri",
                "https://kv-fabrikam.vault.azure.net/keys/cmk",
                "--for",
                "cosmos",
            ],
        ),
        ("xtcmk-sim", &["--help"]),
    ];
    let time = Path::new("/usr/bin/time");
    let mut out = Vec::new();
    for (bin, args) in commands {
        let path = dir.join(bin);
        if !path.is_file() {
            continue;
        }
        let mut walls = Vec::new();
        let mut peaks = Vec::new();
        for _ in 0..5 {
            let report = tempfile::NamedTempFile::new().ok();
            let mut cmd = match (&report, time.is_file()) {
                (Some(r), true) => {
                    let mut c = std::process::Command::new(time);
                    c.arg("-f").arg("%M").arg("-o").arg(r.path()).arg(&path);
                    c
                }
                _ => std::process::Command::new(&path),
            };
            cmd.args(args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            let started = Instant::now();
            if cmd.status().is_err() {
                break;
            }
            walls.push(started.elapsed().as_secs_f64() * 1000.0);
            if let Some(kb) = report
                .and_then(|r| std::fs::read_to_string(r.path()).ok())
                .and_then(|t| {
                    t.trim()
                        .lines()
                        .last()
                        .and_then(|l| l.trim().parse::<f64>().ok())
                })
            {
                peaks.push(kb / 1024.0);
            }
        }
        if walls.is_empty() {
            continue;
        }
        out.push(StartFigures {
            command: format!("{bin} {}", args.join(" ")),
            wall_ms: median(&mut walls),
            peak_memory_mib: (!peaks.is_empty()).then(|| median(&mut peaks)),
        });
    }
    out
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
