//! What both binaries share: global flags, logging set-up, error rendering and exit codes.

use crate::output::{OutputFormat, Printer};
use crate::{Cloud, InputError};
use std::process::ExitCode;

/// Flags every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Azure cloud: public, china, usgov, or the path of a cloud profile JSON file.
    #[arg(long, global = true, env = "XTCMK_CLOUD", default_value = "public")]
    pub cloud: String,

    /// Output format of the command's result on stdout.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text, env = "XTCMK_OUTPUT")]
    pub output: OutputFormat,

    /// More log detail on stderr (-v info, -vv debug, -vvv trace). Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl GlobalArgs {
    pub fn printer(&self) -> Printer {
        Printer::new(self.output)
    }

    pub fn cloud(&self) -> Result<Cloud, InputError> {
        Cloud::select(&self.cloud)
    }
}

/// A usage error found after argument parsing (exit code 2), e.g. two flags that exclude each other.
#[derive(Debug, thiserror::Error)]
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

/// Sets up logging to stderr. `RUST_LOG` overrides the verbosity flags.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,xtcmk=info",
        2 => "info,xtcmk=debug",
        _ => "debug,xtcmk=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("XTCMK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

/// The hint for an error, from the first cause that carries one.
pub fn hint_of(err: &anyhow::Error) -> Option<String> {
    err.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<InputError>() {
            return e.fix.clone();
        }
        if let Some(e) = cause.downcast_ref::<UsageError>() {
            return e.hint.clone();
        }
        if let Some(e) = cause.downcast_ref::<crate::Refusal>() {
            return e.hint.clone();
        }
        crate::http::hint_for(cause)
    })
}

/// `error: …`, one `Caused by:` line per cause, then `hint: …` where one is known.
pub fn render_error(err: &anyhow::Error) -> String {
    let mut out = format!("error: {err}");
    let causes: Vec<String> = err.chain().skip(1).map(|c| c.to_string()).collect();
    if !causes.is_empty() {
        out.push_str("\n  Caused by:");
        for c in causes {
            out.push_str(&format!("\n    {c}"));
        }
    }
    if let Some(h) = hint_of(err) {
        out.push_str(&format!("\nhint: {h}"));
    }
    out
}

/// 2 for usage errors, 1 for everything the input or the cloud refused.
pub fn exit_code_for(err: &anyhow::Error) -> u8 {
    if err.chain().any(|c| c.is::<UsageError>()) {
        2
    } else {
        1
    }
}

/// Runs a command's future on a Tokio runtime and maps its result to an exit code.
pub fn run<F>(fut: F) -> ExitCode
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(fut) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", render_error(&err));
            ExitCode::from(exit_code_for(&err))
        }
    }
}
