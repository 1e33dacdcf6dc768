//! Completions and man pages come from the command tree: `completions bash` is valid bash (and
//! every shell gets a script naming the subcommands), `man --out DIR` writes a page per
//! command, and every subcommand answers `--version`.

use xtcmk_sim::docs_check;

const BIN: &str = env!("CARGO_BIN_EXE_xtcmk-customer");

#[test]
fn completions_are_valid_scripts_for_every_shell() {
    docs_check::completions_are_valid_scripts_for_every_shell(BIN);
}

#[test]
fn man_pages_are_written_for_every_command() {
    docs_check::man_pages_are_written_for_every_command(BIN, "xtcmk-customer");
}

#[test]
fn every_subcommand_answers_version() {
    docs_check::every_subcommand_answers_version(BIN, env!("CARGO_PKG_VERSION"));
}
