//! PLACEHOLDER: check-key-uri

use xtcmk::cli::GlobalArgs;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, _global: &GlobalArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
