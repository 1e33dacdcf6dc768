//! `xtcmk-provider`: the provider's side of cross-tenant customer-managed keys (phases 1 and 3).
//! It parses arguments and renders; the work is in `xtcmk::ops`.

mod atlas;
mod batch;
mod consent_url;
mod cosmos_deploy;
mod cosmos_status;
mod cosmos_template;
mod doctor;
mod identities;
mod setup;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;
use xtcmk::cli::GlobalArgs;

#[derive(Debug, Parser)]
#[command(
    name = "xtcmk-provider",
    version,
    propagate_version = true,
    about = "Cross-tenant customer-managed keys on Azure: the provider's side"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Phase 1: the multi-tenant app, the managed identity, its federated credential and the invitation.
    Setup(setup::Args),
    /// List the app's federated credentials, the managed identity each trusts, and broken ones.
    Identities(identities::Args),
    /// Print the admin-consent URL a customer's admin opens to install the app (offline).
    ConsentUrl(consent_url::Args),
    /// Check every link from the Cosmos DB account to the customer's key, and say which is broken.
    Doctor(doctor::Args),
    /// Cosmos DB with a key from the customer's tenant.
    #[command(subcommand)]
    Cosmos(CosmosCommand),
    /// MongoDB Atlas encryption at rest with a key from the customer's tenant.
    #[command(subcommand)]
    Atlas(atlas::Command),
    /// Print a shell completion script (bash, zsh, fish or powershell) on stdout.
    Completions(xtcmk::cli::docs::CompletionsArgs),
    /// Write a man page for every command into a folder (default ./man).
    Man(xtcmk::cli::docs::ManArgs),
}

#[derive(Debug, Subcommand)]
enum CosmosCommand {
    /// Write the ARM template and parameters file for a Cosmos DB account on the customer's key (offline).
    Template(cosmos_template::Args),
    /// Phase 3: create the Cosmos DB account on the customer's key, or turn the key on for an existing one.
    Deploy(cosmos_deploy::Args),
    /// Show an account's customer-managed-key settings and key status, in words (exit 3 unless confirmed).
    Status(cosmos_status::Args),
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Completions(_) => "completions",
            Command::Man(_) => "man",
            Command::Setup(_) => "setup",
            Command::Identities(_) => "identities",
            Command::ConsentUrl(_) => "consent-url",
            Command::Doctor(_) => "doctor",
            Command::Cosmos(CosmosCommand::Template(_)) => "cosmos template",
            Command::Atlas(a) => a.name(),
            Command::Cosmos(CosmosCommand::Deploy(_)) => "cosmos deploy",
            Command::Cosmos(CosmosCommand::Status(_)) => "cosmos status",
        }
    }
}

fn main() -> ExitCode {
    let cli: Cli = xtcmk::cli::parse();
    xtcmk::cli::init_logging(cli.global.verbose, cli.global.quiet);
    let global = cli.global;
    let printer = global.printer("xtcmk-provider", cli.command.name());
    let p = printer.clone();
    xtcmk::cli::run(printer, async move {
        match cli.command {
            Command::Completions(args) => {
                xtcmk::cli::docs::print_completions(&p, Cli::command(), &args);
                Ok(())
            }
            Command::Man(args) => xtcmk::cli::docs::write_man_pages(&p, Cli::command(), &args),
            Command::Setup(args) => setup::run(args, &global, p).await,
            Command::Identities(args) => identities::run(args, &global, p).await,
            Command::ConsentUrl(args) => consent_url::run(args, &global, &p),
            Command::Doctor(args) => doctor::run(args, &global, p).await,
            Command::Cosmos(CosmosCommand::Template(args)) => {
                cosmos_template::run(args, &global, &p)
            }
            Command::Atlas(command) => atlas::run(command, &global, p).await,
            Command::Cosmos(CosmosCommand::Deploy(args)) => {
                cosmos_deploy::run(args, &global, p).await
            }
            Command::Cosmos(CosmosCommand::Status(args)) => {
                cosmos_status::run(args, &global, p).await
            }
        }
    })
}
