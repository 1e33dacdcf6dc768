//! Phase 3 of the bench as the provider runs it: `xtcmk-provider cosmos deploy --batch DIR
//! --output json` in a process of its own. Its JSON lines are read as they come (counted, never
//! kept). Its peak memory is its own VmHWM, read from /proc while it runs (the kernel's
//! `ru_maxrss` for children also counts the bench's pages the child shared before its exec),
//! and its CPU time comes from the kernel once it has exited: the batch's own figures, not the
//! in-process simulator's.

use crate::bin_run::TOOL_VARIABLES;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// How often the batch's VmHWM is read (it only grows, so a sample misses at most the growth
/// of the last interval before exit).
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// What the batch process did.
#[derive(Debug, Clone)]
pub struct BatchProcess {
    /// The last JSON line: the batch's summary record.
    pub summary: Value,
    /// Customer records printed (one a customer).
    pub records: u64,
    /// Peak resident memory of the batch process (its VmHWM), MiB.
    pub peak_memory_mib: Option<f64>,
    /// The most files (connections included) the batch process held open at one sample.
    pub peak_open_files: Option<u64>,
    /// User and system CPU time of the batch process, seconds.
    pub cpu_seconds: Option<f64>,
}

/// Runs `bin args` in `dir` with the tool's variables cleared and `env` set; `Err` when it
/// cannot start or prints no summary (a batch with failed customers still has its figures).
pub fn run(
    bin: &Path,
    dir: &Path,
    args: &[String],
    env: &[(String, String)],
) -> anyhow::Result<BatchProcess> {
    let stderr_path = dir.join("batch.stderr");
    let before = usage::children();
    let mut cmd = Command::new(bin);
    cmd.args(args).current_dir(dir);
    for var in TOOL_VARIABLES {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path)?)
        .spawn()?;
    let sampler = PeakSampler::start(child.id());
    let mut records = 0u64;
    let mut summary = Value::Null;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    for line in BufReader::new(stdout).lines() {
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e.into());
            }
        };
        // Every line is a record; anything else is left to the stderr shown on failure.
        let Ok(record) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        match record.get("record").and_then(Value::as_str) {
            Some("customer") => records += 1,
            Some("summary") => summary = record,
            _ => {}
        }
    }
    let status = child.wait()?;
    let after = usage::children();
    let (peak_kib, peak_files) = sampler.stop();
    if summary.is_null() {
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        anyhow::bail!(
            "{} exited with {status}; its summary: {summary}; its stderr:\n{stderr}",
            bin.display()
        );
    }
    Ok(BatchProcess {
        summary,
        records,
        peak_memory_mib: (peak_kib > 0).then(|| peak_kib as f64 / 1024.0),
        peak_open_files: (peak_files > 0).then_some(peak_files),
        cpu_seconds: match (before, after) {
            (Some(b), Some(a)) => Some(a.cpu_seconds - b.cpu_seconds),
            _ => None,
        },
    })
}

/// Reads a process's VmHWM and counts its open files from /proc every [`SAMPLE_EVERY`] until
/// stopped (0 where /proc is not there).
struct PeakSampler {
    stop: Arc<AtomicBool>,
    peak_kib: Arc<AtomicU64>,
    peak_files: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PeakSampler {
    fn start(pid: u32) -> PeakSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak_kib = Arc::new(AtomicU64::new(0));
        let peak_files = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, peak_kib, peak_files) = (stop.clone(), peak_kib.clone(), peak_files.clone());
            std::thread::spawn(move || {
                let path = format!("/proc/{pid}/status");
                let fds = format!("/proc/{pid}/fd");
                while !stop.load(Ordering::Relaxed) {
                    if let Some(kib) = vm_hwm_kib(&path) {
                        peak_kib.fetch_max(kib, Ordering::Relaxed);
                    }
                    if let Ok(open) = std::fs::read_dir(&fds) {
                        peak_files.fetch_max(open.count() as u64, Ordering::Relaxed);
                    }
                    std::thread::sleep(SAMPLE_EVERY);
                }
            })
        };
        PeakSampler {
            stop,
            peak_kib,
            peak_files,
            thread: Some(thread),
        }
    }

    /// Stops sampling; the highest VmHWM read (KiB) and the most open files counted.
    fn stop(mut self) -> (u64, u64) {
        self.halt();
        (
            self.peak_kib.load(Ordering::Relaxed),
            self.peak_files.load(Ordering::Relaxed),
        )
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for PeakSampler {
    /// An early return stops the thread too.
    fn drop(&mut self) {
        self.halt();
    }
}

/// `VmHWM:` of a /proc status file, KiB.
pub(super) fn vm_hwm_kib(path: &str) -> Option<u64> {
    std::fs::read_to_string(path)
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(unix)]
mod usage {
    use nix::sys::resource::{UsageWho, getrusage};

    pub struct Children {
        pub cpu_seconds: f64,
    }

    /// The kernel's account of the children this process has waited for.
    pub fn children() -> Option<Children> {
        let u = getrusage(UsageWho::RUSAGE_CHILDREN).ok()?;
        let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
        Some(Children {
            cpu_seconds: seconds(u.user_time()) + seconds(u.system_time()),
        })
    }
}

#[cfg(not(unix))]
mod usage {
    pub struct Children {
        pub cpu_seconds: f64,
    }

    pub fn children() -> Option<Children> {
        None
    }
}
