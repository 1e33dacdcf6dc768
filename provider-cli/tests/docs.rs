//! Completions and man pages come from the command tree: `completions bash` is valid bash (and
//! every shell gets a script naming the subcommands), `man --out DIR` writes a page per
//! command, and every subcommand answers `--version`.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_xtcmk-provider");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_remove("XTCMK_OUTPUT")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn completions_are_valid_scripts_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (code, script, stderr) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {stderr}");
        assert!(
            script.contains("onboard") || script.contains("setup"),
            "{shell}: {script}"
        );
    }
    let (_, bash, _) = run(&["completions", "bash"]);
    let path = dir.path().join("xtcmk.bash");
    std::fs::write(&path, bash).unwrap();
    let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn man_pages_are_written_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man");
    let (code, stdout, stderr) = run(&["man", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let pages: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(pages.contains(&"xtcmk-provider.1".to_string()), "{pages:?}");
    assert!(pages.len() >= 5, "{pages:?}");
    assert_eq!(stdout.lines().count(), pages.len(), "{stdout}");
    let page = std::fs::read_to_string(out.join("xtcmk-provider.1")).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH"),
        "roff: {page}"
    );
}

#[test]
fn every_subcommand_answers_version() {
    let (_, help, _) = run(&["--help"]);
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 4, "{help}");
    for c in commands {
        let (code, out, err) = run(&[c, "--version"]);
        assert_eq!(code, 0, "{c}: {err}");
        assert!(out.contains(env!("CARGO_PKG_VERSION")), "{c}: {out}");
    }
}
