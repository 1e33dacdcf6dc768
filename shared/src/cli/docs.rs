//! Shell completions (clap_complete) and man pages (clap_mangen) of a binary, from its clap
//! command tree, so they never drift from the flags.

use crate::InputError;
use std::path::Path;

/// The shells completions are generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

/// The completion script of `command` for `shell`.
pub fn completions(mut command: clap::Command, shell: Shell) -> Vec<u8> {
    let name = command.get_name().to_string();
    let mut out = Vec::new();
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    clap_complete::generate(generator, &mut command, name, &mut out);
    out
}

/// Writes one man page per command and subcommand (`xtcmk-provider.1`,
/// `xtcmk-provider-setup.1`, …) into `dir`, created if missing; returns the files written.
pub fn man_pages(
    command: clap::Command,
    dir: &Path,
) -> Result<Vec<std::path::PathBuf>, InputError> {
    let fail = |e: std::io::Error| {
        InputError::new(
            "--out",
            dir.display().to_string(),
            format!("cannot write man pages there: {e}"),
        )
        .with_fix("pass a folder you can write to")
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut written = Vec::new();
    let mut pending = vec![(command.get_name().to_string(), command.clone())];
    while let Some((name, cmd)) = pending.pop() {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone())
            .title(name.to_uppercase())
            .render(&mut page)
            .map_err(fail)?;
        let path = dir.join(format!("{name}.1"));
        crate::files::write_atomic("--out", &path, &String::from_utf8_lossy(&page))?;
        written.push(path);
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            pending.push((format!("{name}-{}", sub.get_name()), sub.clone()));
        }
    }
    written.sort();
    Ok(written)
}

/// `completions SHELL`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish or powershell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `man --out DIR`.
#[derive(Debug, Clone, clap::Args)]
pub struct ManArgs {
    /// The folder the pages are written into (created if missing).
    #[arg(long, value_name = "DIR", default_value = "man")]
    pub out: std::path::PathBuf,
}

/// Prints the completion script on stdout.
pub fn print_completions(printer: &super::Printer, command: clap::Command, args: &CompletionsArgs) {
    printer.raw(&completions(command, args.shell));
}

/// Writes the man pages and lists them.
pub fn write_man_pages(
    printer: &super::Printer,
    command: clap::Command,
    args: &ManArgs,
) -> anyhow::Result<()> {
    let files = man_pages(command, &args.out)?;
    printer.json(&serde_json::json!({
        "command": printer.command(),
        "files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
    }));
    for f in &files {
        printer.text(f.display().to_string());
    }
    printer.status(format!(
        "{} man page(s) written; read one with `man {}`",
        files.len(),
        files
            .first()
            .map(|f| f.display().to_string())
            .unwrap_or_default()
    ));
    Ok(())
}
