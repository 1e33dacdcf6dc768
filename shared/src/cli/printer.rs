//! The binaries' terminal: the only place in the workspace's library that writes to stdout or
//! stderr, reads stdin or draws a spinner. It renders an operation's [`Event`]s as they come
//! (data lines on stdout, progress and warnings on stderr, one updating line on a terminal),
//! keeps the steps and warnings for the JSON document at the end, asks for confirmation, and
//! renders failures (text, or JSON on stdout with `--output json`).

use crate::Refusal;
use crate::diagnostics::{Class, UsageError, classify, hints};
use crate::output::{CommandReport, ErrorReport, OutputFormat, StepKind, StepReport, cloud_writes};
use crate::report::{Event, Progress, Reporter, Wait};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How much the printer says on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Only data and errors (`-q`).
    Quiet,
    Normal,
    Verbose,
}

#[derive(Default)]
struct State {
    steps: Vec<StepReport>,
    warnings: Vec<String>,
    in_flight: Option<(StepKind, String)>,
    tenant: Option<String>,
    dry_run: bool,
    last_line: Option<String>,
    bar: Option<ProgressBar>,
}

/// Renders one command's events and result.
pub struct Printer {
    format: OutputFormat,
    /// `xtcmk-customer`, `xtcmk-provider`.
    program: String,
    command: String,
    verbosity: Verbosity,
    terminal: bool,
    write_failed: AtomicBool,
    /// stdout carries one secret for the next command; every other line goes to stderr.
    stdout_reserved: AtomicBool,
    state: Mutex<State>,
}

impl std::fmt::Debug for Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer")
            .field("format", &self.format)
            .field("command", &self.command)
            .finish_non_exhaustive()
    }
}

/// Characters that can rewrite what a terminal shows: C0 and C1 controls (escape sequences
/// clear the screen, retitle the window, move the cursor), bidirectional overrides and isolates
/// (Trojan Source, CVE-2021-42574) and invisible zero-width characters.
fn is_hostile(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Text as it may reach a terminal: hostile characters shown as `\u{1b}` instead of obeyed.
/// Every string from a file or the cloud is printed through this.
pub fn neutralise(text: &str) -> String {
    if !text.chars().any(is_hostile) {
        return text.to_string();
    }
    // A CRLF (services such as Cosmos DB end lines with it) is a line break; a lone CR is not.
    let text = text.replace("\r\n", "\n");
    if !text.chars().any(is_hostile) {
        return text;
    }
    text.chars()
        .map(|c| {
            if is_hostile(c) {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// JSON text with the hostile characters serde leaves raw (DEL, C1, bidi, zero-width) written
/// as `\uXXXX` escapes: the same string to a JSON reader, harmless on a terminal.
fn neutralise_json(text: &str) -> String {
    if !text.chars().any(is_hostile) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hostile(c) && c != '\n' {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// `m:ss` (or `h:mm:ss`).
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// `2s`, or `0.4s` under ten seconds.
fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(10) && d.subsec_millis() != 0 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}s", d.as_secs())
    }
}

/// The line a wait is shown as.
pub fn wait_line(w: &Wait) -> String {
    format!(
        "waiting {} for {} (attempt {} of {}; {} of at most {}); Ctrl-C is safe, re-run the same command later",
        seconds(w.delay),
        w.what,
        w.attempt,
        w.attempts,
        clock(w.elapsed + w.delay),
        clock(w.bound)
    )
}

/// The line a long-running operation's state is shown as.
pub fn progress_line(p: &Progress) -> String {
    format!(
        "waiting for {}: {} ({} of at most {}); Ctrl-C is safe, re-run the same command later",
        p.operation,
        p.state,
        clock(p.elapsed),
        clock(p.bound)
    )
}

impl Printer {
    pub fn new(format: OutputFormat, program: &str, command: &str, verbosity: Verbosity) -> Self {
        Self {
            format,
            program: program.to_string(),
            command: command.to_string(),
            verbosity,
            terminal: std::io::stderr().is_terminal(),
            write_failed: AtomicBool::new(false),
            stdout_reserved: AtomicBool::new(false),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    pub fn command(&self) -> &str {
        &self.command
    }

    /// `xtcmk-customer onboard`, as a user types it.
    pub fn command_line(&self) -> String {
        format!("{} {}", self.program, self.command)
    }

    /// The tenant and mode the JSON document names.
    pub fn context(&self, tenant: Option<String>, dry_run: bool) {
        let mut s = self.state();
        s.tenant = tenant;
        s.dry_run = dry_run;
    }

    fn clear_bar(state: &mut State) {
        if let Some(bar) = state.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Writes already-safe text to stdout.
    fn out_raw(&self, text: &str) {
        let mut s = self.state();
        Self::clear_bar(&mut s);
        drop(s);
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{text}").and_then(|_| out.flush()).is_err() {
            self.write_failed.store(true, Ordering::SeqCst);
        }
    }

    fn out(&self, line: &str) {
        self.out_raw(&neutralise(line));
    }

    fn err(&self, line: &str) {
        let mut s = self.state();
        Self::clear_bar(&mut s);
        drop(s);
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{}", neutralise(line));
    }

    /// Bytes the user asked for on stdout as they are (a completion script), in any mode.
    pub fn raw(&self, bytes: &[u8]) {
        let mut out = std::io::stdout().lock();
        if out.write_all(bytes).and_then(|_| out.flush()).is_err() {
            self.write_failed.store(true, Ordering::SeqCst);
        }
    }

    /// A line of data on stdout (text mode only; on stderr once stdout carries a secret).
    pub fn text(&self, line: impl AsRef<str>) {
        if self.is_json() {
            return;
        }
        if self.stdout_reserved.load(Ordering::SeqCst) {
            self.err(line.as_ref());
        } else {
            self.out(line.as_ref());
        }
    }

    /// Keeps stdout for a secret the next command reads (`… | xtcmk-provider atlas enable
    /// --secret-from -`): refused when stdout is a terminal, where a secret would be shown and
    /// kept in scrollback, and with `--output json`. Every other line goes to stderr from now on.
    pub fn reserve_stdout_for_secret(&self, file_flag: &str) -> Result<(), UsageError> {
        let command = self.command_line();
        if self.is_json() {
            return Err(UsageError::new(format!(
                "{command} writes a new secret; with --output json stdout holds the report"
            ))
            .hint(format!("pass {file_flag} FILE (written with mode 0600)")));
        }
        if std::io::stdout().is_terminal() {
            return Err(UsageError::new(format!(
                "{command} will not show a new secret on a terminal"
            ))
            .hint(format!(
                "pass {file_flag} FILE (written with mode 0600), or pipe it into the command that uses it: `{command} … | xtcmk-provider atlas enable --secret-from - …`"
            )));
        }
        self.stdout_reserved.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Reads a secret piped to stdin (`--secret-from -`): one line, trimmed. Refuses a terminal
    /// (a typed secret would be echoed) and an empty input.
    pub fn read_secret_from_stdin(&self, flag: &str) -> Result<crate::Secret, crate::InputError> {
        if std::io::stdin().is_terminal() {
            return Err(crate::InputError::new(flag, "-", "stdin is a terminal")
                .with_fix(format!(
                    "pipe the secret in (`xtcmk-provider atlas secret create … | {} {flag} -`) or pass {flag} FILE",
                    self.command_line()
                )));
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text).map_err(|e| {
            crate::InputError::new(flag, "-", format!("cannot read stdin: {e}"))
                .with_fix("pipe the secret in, or pass a file")
        })?;
        let secret = text.trim().to_string();
        if secret.is_empty() || secret.contains('\n') {
            return Err(crate::InputError::new(
                flag,
                "-",
                "stdin must hold exactly one secret on one line",
            )
            .with_fix("pipe exactly the secret, e.g. from `xtcmk-provider atlas secret create`"));
        }
        Ok(crate::Secret::new(secret))
    }

    /// Writes a secret, alone, to the reserved stdout (see [`Printer::reserve_stdout_for_secret`]).
    pub fn secret_to_pipe(&self, secret: &crate::Secret) {
        if !self.stdout_reserved.load(Ordering::SeqCst) {
            return;
        }
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{}", secret.expose())
            .and_then(|_| out.flush())
            .is_err()
        {
            self.write_failed.store(true, Ordering::SeqCst);
        }
    }

    /// The command's result as pretty JSON on stdout (JSON mode only).
    pub fn json<T: Serialize>(&self, value: &T) {
        if self.is_json() {
            match serde_json::to_string_pretty(value) {
                Ok(text) => self.out_raw(&neutralise_json(&text)),
                Err(e) => self.err(&format!("error: cannot render the result as JSON: {e}")),
            }
        }
    }

    /// A status line on stderr (not with `-q`).
    pub fn status(&self, line: impl AsRef<str>) {
        if self.verbosity > Verbosity::Quiet {
            self.err(line.as_ref());
        }
    }

    /// A warning on stderr, kept for the JSON document.
    pub fn warn(&self, line: impl AsRef<str>) {
        self.report(Event::Warning(line.as_ref().to_string()));
    }

    /// The steps finished so far.
    pub fn steps(&self) -> Vec<StepReport> {
        self.state().steps.clone()
    }

    /// The warnings so far.
    pub fn warnings(&self) -> Vec<String> {
        self.state().warnings.clone()
    }

    /// The JSON document of this command with the steps and warnings seen so far.
    pub fn report_document(&self) -> CommandReport {
        let s = self.state();
        CommandReport::new(&self.command, s.tenant.clone(), s.dry_run)
            .steps(s.steps.clone())
            .warnings(s.warnings.clone())
    }

    /// Whether a write to stdout failed (a closed pipe, a full disk): the run must not exit 0.
    pub fn write_failed(&self) -> bool {
        self.write_failed.load(Ordering::SeqCst)
    }

    /// The step that started and has not finished, in words.
    pub fn in_flight(&self) -> Option<String> {
        self.state()
            .in_flight
            .as_ref()
            .map(|(step, resource)| format!("the {} step on {resource}", step.label()))
    }

    /// One line that updates in place on a terminal; without one, a plain line each time `key`
    /// (what is waited for, and its state) changes.
    fn live(&self, key: String, line: String) {
        if self.verbosity == Verbosity::Quiet {
            return;
        }
        let mut s = self.state();
        let changed = s.last_line.as_deref() != Some(key.as_str());
        s.last_line = Some(key);
        if self.terminal {
            let bar = s.bar.get_or_insert_with(|| {
                let bar = ProgressBar::new_spinner();
                if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
                    bar.set_style(style);
                }
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            });
            bar.set_message(neutralise(&line));
        } else if changed {
            drop(s);
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "  {line}");
        }
    }

    /// Asks `question` on the terminal unless `yes`; without a terminal and without `--yes`,
    /// refuses (exit 2) rather than wait for an answer that cannot come. "No" changes nothing.
    /// The answer is read on a blocking thread, so Ctrl-C still stops the run while it waits.
    pub async fn confirm(&self, question: &str, yes: bool) -> anyhow::Result<()> {
        if yes {
            return Ok(());
        }
        let command = self.command_line();
        if !std::io::stdin().is_terminal() {
            return Err(UsageError::new(format!(
                "{command} changes your tenant and needs a confirmation, but there is no terminal to ask on"
            ))
            .hint(format!(
                "review the plan with `{command} --dry-run`, then re-run with --yes"
            ))
            .into());
        }
        {
            let mut s = self.state();
            Self::clear_bar(&mut s);
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{} [y/N] ", neutralise(question));
        let _ = err.flush();
        drop(err);
        let answer = tokio::task::spawn_blocking(|| {
            let mut answer = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut answer)
                .map(|_| answer)
        })
        .await??;
        if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            Ok(())
        } else {
            Err(Refusal::new("stopped at your answer: nothing was changed").into())
        }
    }

    /// Renders a failure: JSON on stdout (with the steps done before it) and/or text on stderr.
    pub fn fail(&self, err: &anyhow::Error) -> Class {
        let class = classify(err);
        let hints = hints(err);
        let steps = self.steps();
        if self.is_json() {
            let mut doc = self.report_document();
            doc.error = Some(ErrorReport {
                code: class.code.clone(),
                message: err.to_string(),
                hints: hints.clone(),
                field: class.field.clone(),
                exit_code: class.exit_code,
            });
            self.json(&doc);
        }
        let mut text = format!("error: {err}");
        let causes: Vec<String> = err.chain().skip(1).map(|c| c.to_string()).collect();
        if !causes.is_empty() {
            text.push_str("\n  Caused by:");
            for c in causes {
                text.push_str(&format!("\n    {c}"));
            }
        }
        for h in &hints {
            text.push_str(&format!("\nhint: {h}"));
        }
        let writes = cloud_writes(&steps);
        if writes > 0 && class.exit_code != 3 {
            text.push_str(&format!(
                "\nnote: {writes} change(s) were made before this error (the steps above); re-running the same command finishes the rest, since every step reads before it writes"
            ));
        }
        self.err(&text);
        class
    }
}

impl Reporter for Printer {
    fn report(&self, event: Event) {
        match event {
            Event::Planned(_) => {}
            Event::StepStarted { step, resource } => {
                self.state().in_flight = Some((step, resource));
            }
            Event::StepFinished(report) => {
                {
                    let mut s = self.state();
                    s.in_flight = None;
                    s.last_line = None;
                    s.steps.push(report.clone());
                }
                self.text(report.line());
            }
            Event::Progress(p) => {
                self.live(format!("{} {}", p.operation, p.state), progress_line(&p))
            }
            Event::Waiting(w) => self.live(format!("{} {}", w.what, w.attempt), wait_line(&w)),
            Event::Warning(w) => {
                self.state().warnings.push(w.clone());
                if self.verbosity > Verbosity::Quiet {
                    self.err(&format!("warning: {w}"));
                }
            }
            Event::Notice(n) => self.status(n),
        }
    }
}

/// Sets up logging to stderr, without colour codes unless stderr is a terminal. `-v` shows
/// what the run does (info), `-vv` debug, `-vvv` trace; `XTCMK_LOG` overrides. Secrets are never
/// logged.
pub fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "warn,xtcmk=debug",
        (false, 2) => "info,xtcmk=trace",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("XTCMK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .try_init();
}

/// Writes a last-resort error to stderr (the runtime could not start).
pub fn fatal(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}", neutralise(line));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_shown_not_obeyed() {
        let hostile = "Contoso\u{1b}[2J\u{1b}]0;pwned\u{7}\rOK\u{202e}dcba";
        let shown = neutralise(hostile);
        assert!(!shown.chars().any(is_hostile), "{shown}");
        assert_eq!(
            shown,
            "Contoso\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{d}OK\\u{202e}dcba"
        );
        assert_eq!(neutralise("line one\n\tline two"), "line one\n\tline two");
        assert_eq!(
            neutralise("failed.\r\nActivityId: 1"),
            "failed.\nActivityId: 1"
        );
        let json = serde_json::to_string(&serde_json::json!({"name": hostile})).unwrap();
        let safe = neutralise_json(&json);
        assert!(!safe.chars().any(is_hostile), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(
            back["name"], hostile,
            "JSON readers still get the exact string"
        );
    }

    #[test]
    fn clocks_and_lines() {
        assert_eq!(clock(Duration::from_secs(42)), "0:42");
        assert_eq!(clock(Duration::from_secs(600)), "10:00");
        assert_eq!(clock(Duration::from_secs(3661)), "1:01:01");
        let w = Wait {
            what: "the service principal to appear in your tenant".into(),
            attempt: 2,
            attempts: 8,
            delay: Duration::from_secs(2),
            elapsed: Duration::ZERO,
            bound: Duration::from_secs(120),
        };
        assert_eq!(
            wait_line(&w),
            "waiting 2s for the service principal to appear in your tenant (attempt 2 of 8; 0:02 of at most 2:00); Ctrl-C is safe, re-run the same command later"
        );
    }
}
