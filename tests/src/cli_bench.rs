//! `xtcmk-sim bench`: the fleet benchmark ([`xtcmk_sim::bench`]); prints its figures as JSON and
//! writes them to `--out`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use xtcmk_sim::bench::{self, BenchSpec};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many customers, each with its own tenant and subscription.
    #[arg(long, default_value_t = 1000)]
    customers: usize,

    /// The simulator's fixed latency per request, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,

    /// Where to write the figures (JSON); they are printed either way.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,

    /// Phase 3's --concurrency (customers deployed at once): enough that a customer's own
    /// waits (its account's long-running operation) never leave the subscription's buckets idle.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,

    /// How many customers onboard at once in phase 2 (each is its own admin in its own tenant).
    #[arg(long, default_value_t = 1000)]
    onboard_concurrency: usize,

    /// Turn ARM's and Graph's throttling off.
    #[arg(long)]
    no_throttle: bool,

    /// Where xtcmk-provider (phase 3 runs it), xtcmk-customer and xtcmk-sim are, for their cold
    /// start (default: next to this binary).
    #[arg(long, value_name = "DIR")]
    bin_dir: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let bin_dir = args.bin_dir.clone().or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(|d| d.to_path_buf()))
    });
    let spec = BenchSpec {
        customers: args.customers,
        latency: Duration::from_millis(args.latency_ms),
        concurrency: args.concurrency,
        onboard_concurrency: args.onboard_concurrency,
        throttle: !args.no_throttle,
        bin_dir,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(bench::run(&spec))?;
    let text = serde_json::to_string_pretty(&report)?;
    println!("{text}");
    if let Some(out) = &args.out {
        std::fs::write(out, format!("{text}\n"))?;
    }
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
