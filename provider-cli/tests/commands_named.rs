//! No message names a command that does not exist: every `xtcmk-provider …` the sources, the
//! scripts and the README mention is a real subcommand (`xtcmk-provider help <it>` succeeds).

use std::path::Path;
use std::process::Command;
use xtcmk_sim::mentions::mentions;

const BIN: &str = env!("CARGO_BIN_EXE_xtcmk-provider");

fn help(words: &[String]) -> (bool, String) {
    let out = Command::new(BIN).arg("help").args(words).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn every_command_a_message_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let found = mentions(&root, "xtcmk-provider");
    assert!(found.len() >= 5, "{found:#?}");
    let mut missing = Vec::new();
    for m in &found {
        let (ok, text) = help(&m.words[..1]);
        let exists =
            ok && (!text.contains("Commands:") || m.words.len() < 2 || help(&m.words[..2]).0);
        if !exists {
            missing.push(format!(
                "{}: xtcmk-provider {}",
                m.file.display(),
                m.words.join(" ")
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "commands that do not exist: {missing:#?}"
    );
}
