//! What both binaries share: global flags, the [`Printer`] (every byte either binary writes to
//! the terminal), and [`run`], which drives a command on a runtime and turns its result into
//! an exit status: 0 done, 1 refused by the input or the cloud, 2 usage, 3 a check found a
//! broken link, 130 interrupted (Ctrl-C).

pub mod docs;
mod printer;

pub use crate::diagnostics::UsageError;
pub use printer::{Printer, Verbosity, clock, init_logging, progress_line, wait_line};

use crate::diagnostics::{BatchFailed, BrokenLink, Interrupted};
use crate::output::OutputFormat;
use crate::{Cloud, InputError};
use std::process::ExitCode;
use std::sync::Arc;

/// Flags every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Azure cloud: public, china, usgov, or the path of a cloud profile JSON file.
    #[arg(long, global = true, env = "XTCMK_CLOUD", default_value = "public")]
    pub cloud: String,

    /// Output format of the command's result on stdout.
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = OutputFormat::Text, env = "XTCMK_OUTPUT")]
    pub output: OutputFormat,

    /// More detail on stderr: -v each request the run makes, -vv the libraries' too, -vvv
    /// everything. Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Print only the result and errors: no plan, progress or warnings on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

impl GlobalArgs {
    /// The printer for `program`'s `command` (`xtcmk-customer`, `onboard`).
    pub fn printer(&self, program: &str, command: &str) -> Arc<Printer> {
        let verbosity = if self.quiet {
            Verbosity::Quiet
        } else if self.verbose > 0 {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        Arc::new(Printer::new(self.output, program, command, verbosity))
    }

    pub fn cloud(&self) -> Result<Cloud, InputError> {
        Cloud::select(&self.cloud)
    }
}

/// `--subscription` as given, or — as the Azure CLI does — the signed-in account's default
/// subscription, said on stderr.
pub async fn subscription_or_default(
    given: Option<crate::SubscriptionId>,
    ctx: &crate::Ctx,
    printer: &Printer,
) -> anyhow::Result<crate::SubscriptionId> {
    if let Some(s) = given {
        return Ok(s);
    }
    let (s, how) = crate::defaults::subscription(ctx).await?;
    printer.status(format!("using subscription {s}: {how}"));
    Ok(s)
}

/// Parses an optional `--subscription`.
pub fn optional_subscription(
    value: Option<&str>,
) -> Result<Option<crate::SubscriptionId>, InputError> {
    value
        .map(|v| crate::SubscriptionId::parse_field("--subscription", v))
        .transpose()
}

/// Checks the tool's environment variables before the arguments are parsed, so an error names
/// the variable that holds the bad value (not the flag it stands in for).
pub fn check_environment(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(), crate::diagnostics::UsageError> {
    let choices: [(&str, &[&str]); 2] = [
        ("XTCMK_OUTPUT", &["text", "json"]),
        (
            "XTCMK_AUTH",
            &[
                "auto",
                "cli",
                "client-secret",
                "workload-identity",
                "managed-identity",
            ],
        ),
    ];
    for (name, allowed) in choices {
        if let Some(value) = lookup(name)
            && !allowed.contains(&value.as_str())
        {
            return Err(UsageError::new(format!(
                "the environment variable {name} is `{value}`, which is not one of {}",
                allowed.join(", ")
            ))
            .hint(format!(
                "set {name} to one of {}, or unset it",
                allowed.join(", ")
            )));
        }
    }
    if let Some(value) = lookup("XTCMK_CLOUD")
        && value.trim().is_empty()
    {
        return Err(UsageError::new("the environment variable XTCMK_CLOUD is set but empty")
            .hint("set XTCMK_CLOUD to public, china, usgov or the path of a cloud profile, or unset it"));
    }
    Ok(())
}

/// Parses the command line after [`check_environment`]; a bad variable exits 2 with its name.
pub fn parse<T: clap::Parser>() -> T {
    if let Err(e) = check_environment(|name| std::env::var(name).ok()) {
        printer::fatal(&format!(
            "error: {}\nhint: {}",
            e.message,
            e.hint.unwrap_or_default()
        ));
        std::process::exit(2);
    }
    T::parse()
}

/// Runs a command's future on a Tokio runtime: renders its failure through `printer`, stops it
/// on Ctrl-C with one line saying what may be in flight, and maps the result to an exit status.
pub fn run<F>(printer: Arc<Printer>, fut: F) -> ExitCode
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            printer::fatal(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        tokio::select! {
            result = fut => result,
            _ = tokio::signal::ctrl_c() => Err(Interrupted { in_flight: printer.in_flight() }.into()),
        }
    });
    // Whatever was in flight is abandoned, not awaited.
    runtime.shutdown_background();
    match result {
        Ok(()) if printer.write_failed() => {
            printer::fatal("error: cannot write the result to stdout (closed pipe or full disk)");
            ExitCode::from(1)
        }
        Ok(()) => ExitCode::SUCCESS,
        // A report already on stdout says which links are broken; JSON needs no second document.
        Err(err) if printer.is_json() && err.chain().any(|c| c.is::<BrokenLink>()) => {
            ExitCode::from(3)
        }
        // A batch's summary record is already the last line on stdout.
        Err(err) if printer.is_json() && err.is::<BatchFailed>() => {
            ExitCode::from(crate::diagnostics::classify(&err).exit_code)
        }
        Err(err) => ExitCode::from(printer.fail(&err).exit_code),
    }
}
