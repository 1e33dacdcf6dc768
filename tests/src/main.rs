//! `xtcmk-sim`: serve the local cloud simulator, or act as `az` against a running one.

mod cli_az;
mod cli_bench;
mod cli_serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "xtcmk-sim",
    version,
    about = "Local HTTPS simulator of Entra ID, Microsoft Graph, ARM, Key Vault and MongoDB Atlas for xtcmk"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the simulator on 127.0.0.1 until interrupted.
    Serve(cli_serve::Args),
    /// The Azure CLI commands the tools use, answered by a running simulator
    /// (`az login`, `az account get-access-token`, `az account show`).
    Az(cli_az::Args),
    /// The fleet benchmark: N customers through phases 2 and 3 with latency and throttling on;
    /// prints wall time, its lower bound, requests per customer and peak memory as JSON.
    Bench(cli_bench::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => cli_serve::run(args),
        Command::Az(args) => cli_az::run(args),
        Command::Bench(args) => cli_bench::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
