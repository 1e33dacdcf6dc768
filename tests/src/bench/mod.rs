//! The fleet benchmark (`xtcmk-sim bench`): N customers, each in its own tenant and
//! subscription, through phase 2 (`onboard`, the library operation, one HTTP stack per customer
//! as each customer's admin runs it) and phase 3 (`xtcmk-provider cosmos deploy --batch`, the
//! built binary in a process of its own), against the in-process simulator in real time with a
//! fixed latency and ARM's and Graph's throttling on. Figures, not assertions: wall time,
//! requests and writes per customer from the simulator's log, the lower bound and the ratio, the
//! batch process's peak memory, open files and CPU, and each binary's cold start.
//!
//! Lower bound of a phase = max(critical path × latency, for every ARM bucket
//! (requests − burst) ÷ refill): a customer's requests within one operation each await the one
//! before (the critical path is the requests of one customer), and no schedule gets more out of
//! a subscription's bucket than its burst plus its refill. The run's bound is the sum of the two
//! phases' (phase 3 reads the handoffs phase 2 writes).

mod batch_process;

use crate::log::LoggedRequest;
use crate::scenario::fleet::{self, Fleet, FleetCustomer};
use crate::throttle::{ArmLimits, BucketLimit, ThrottleOptions};
use crate::{Sim, SimOptions};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use xtcmk::http::RetrySettings;

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
    /// Waits the in-process clients asked for (polling, propagation) and their sum (phase 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waited_seconds: Option<f64>,
    /// CPU time (user + system) of the batch process (phase 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
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
    /// Peak resident memory of phase 3's batch process (`xtcmk-provider cosmos deploy
    /// --batch`): the figure that should stay flat in N.
    #[serde(rename = "peakMemoryMiB")]
    pub peak_memory_mib: Option<f64>,
    /// VmHWM of the bench's own process: the in-process simulator (its state and request log
    /// grow with N) and phase 2's customers.
    #[serde(rename = "benchProcessPeakMemoryMiB")]
    pub bench_process_peak_memory_mib: f64,
    /// The most files the batch process held open at once (its connections among them).
    pub batch_peak_open_files: Option<u64>,
    /// The batch's JSON lines, one a customer (N when every row ran).
    pub batch_records: u64,
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
    batch_process::vm_hwm_kib("/proc/self/status").unwrap_or(0) as f64 / 1024.0
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
    // Phase 3 needs the provider's binary: found before any customer is onboarded.
    let provider_bin = spec
        .bin_dir
        .as_ref()
        .map(|d| d.join("xtcmk-provider"))
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "xtcmk-provider is not in --bin-dir; build it first (cargo build --release -p xtcmk-provider)"
            )
        })?;
    let throttle = if spec.throttle {
        ThrottleOptions::azure()
    } else {
        ThrottleOptions::default()
    };
    // Real time, as `serve` runs: buckets refill by the clock and every wait is slept.
    let options = SimOptions {
        zero_delay: false,
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

    // Phase 3: the provider's binary runs one batch over the folder of handoffs, in a process
    // of its own, so its peak memory and CPU time are the batch's, apart from the simulator's.
    let uami = fleet.uami_id().to_string();
    let concurrency = spec.concurrency.to_string();
    let handoffs = fleet.handoffs.display().to_string();
    let args: Vec<String> = [
        "cosmos",
        "deploy",
        "--batch",
        &handoffs,
        "--identity",
        &uami,
        "--subscription",
        crate::scenario::demo::PROVIDER_SUBSCRIPTION_ID,
        "--resource-group",
        crate::scenario::demo::PROVIDER_RESOURCE_GROUP,
        "--location",
        crate::scenario::demo::LOCATION,
        "--concurrency",
        &concurrency,
        "--output",
        "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let env = sim.env_as_user(
        crate::scenario::demo::PROVIDER,
        crate::scenario::demo::PROVIDER_ADMIN,
    );
    let mark = sim.log().mark();
    let started = Instant::now();
    let batch_run = {
        let dir = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || batch_process::run(&provider_bin, &dir, &args, &env))
            .await??
    };
    let deploy_wall = started.elapsed();
    let deploy_log = sim.log().since(mark);
    let count = |field: &str| batch_run.summary[field].as_u64().unwrap_or(0);

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
    onboard.waits = Some(onboard_waits.len());
    onboard.waited_seconds = Some(onboard_waited);
    deploy.cpu_seconds = batch_run.cpu_seconds;
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
        peak_memory_mib: batch_run.peak_memory_mib,
        bench_process_peak_memory_mib: peak_memory_mib(),
        batch_peak_open_files: batch_run.peak_open_files,
        batch_records: batch_run.records,
        accounts_created: count("done"),
        failed: count("failed") + count("broken"),
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
