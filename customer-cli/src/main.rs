//! `xtcmk-customer`: the customer's side of cross-tenant customer-managed keys (phase 2). It
//! parses arguments, asks before changing anything and renders; the work is in `xtcmk::ops`.

mod check_key_uri;
mod onboard;
mod private_endpoints;
mod revoke;
mod status;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;
use xtcmk::cli::GlobalArgs;

#[derive(Debug, Parser)]
#[command(
    name = "xtcmk-customer",
    version,
    propagate_version = true,
    about = "Cross-tenant customer-managed keys on Azure: the customer's side"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Phase 2: install the provider's app, create the vault and key, grant the key, write the handoff.
    Onboard(onboard::Args),
    /// Re-check every item of an onboarding, read-only.
    Status(status::Args),
    /// Remove exactly the grant onboarding made (never the key or the vault).
    Revoke(revoke::Args),
    /// Validate a key URI and print the form Cosmos DB or Atlas needs (offline).
    CheckKeyUri(check_key_uri::Args),
    /// List your vault's private endpoint connections; approve Atlas's for this provider, or one by name.
    PrivateEndpoints(private_endpoints::Args),
    /// Print a shell completion script (bash, zsh, fish or powershell) on stdout.
    Completions(xtcmk::cli::docs::CompletionsArgs),
    /// Write a man page for every command into a folder (default ./man).
    Man(xtcmk::cli::docs::ManArgs),
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Completions(_) => "completions",
            Command::Man(_) => "man",
            Command::Onboard(_) => "onboard",
            Command::Status(_) => "status",
            Command::Revoke(_) => "revoke",
            Command::CheckKeyUri(_) => "check-key-uri",
            Command::PrivateEndpoints(_) => "private-endpoints",
        }
    }
}

fn main() -> ExitCode {
    let cli: Cli = xtcmk::cli::parse();
    xtcmk::cli::init_logging(cli.global.verbose, cli.global.quiet);
    let global = cli.global;
    let printer = global.printer("xtcmk-customer", cli.command.name());
    let p = printer.clone();
    xtcmk::cli::run(printer, async move {
        match cli.command {
            Command::Completions(args) => {
                xtcmk::cli::docs::print_completions(&p, Cli::command(), &args);
                Ok(())
            }
            Command::Man(args) => xtcmk::cli::docs::write_man_pages(&p, Cli::command(), &args),
            Command::Onboard(args) => onboard::run(args, &global, p).await,
            Command::Status(args) => status::run(args, &global, p).await,
            Command::Revoke(args) => revoke::run(args, &global, p).await,
            Command::CheckKeyUri(args) => check_key_uri::run(args, &global, &p),
            Command::PrivateEndpoints(args) => private_endpoints::run(args, &global, p).await,
        }
    })
}
