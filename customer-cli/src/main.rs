//! `xtcmk-customer`: see `--help`.

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use xtcmk::cli::GlobalArgs;

#[derive(Debug, Parser)]
#[command(name = "xtcmk-customer", version, about = "Cross-tenant customer-managed keys on Azure: the customer's side")]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    xtcmk::cli::init_logging(cli.global.verbose);
    xtcmk::cli::run(async move { match cli.command {} })
}
