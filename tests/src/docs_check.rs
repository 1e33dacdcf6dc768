//! What both binaries promise of their command tree, checked the same way for each: completions
//! for every shell (bash accepts its script), a man page per command, `--version` everywhere.

use std::process::Command;

fn run(bin: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin)
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

/// `completions SHELL` prints a script naming the subcommands for every shell; bash accepts it.
pub fn completions_are_valid_scripts_for_every_shell(bin: &str) {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (code, script, stderr) = run(bin, &["completions", shell]);
        assert_eq!(code, 0, "{shell}: {stderr}");
        assert!(
            script.contains("onboard") || script.contains("setup"),
            "{shell}: {script}"
        );
    }
    let (_, bash, _) = run(bin, &["completions", "bash"]);
    let path = dir.path().join("xtcmk.bash");
    std::fs::write(&path, bash).unwrap();
    let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// `man --out DIR` writes a roff page per command, `NAME.1` among them, naming each on stdout.
pub fn man_pages_are_written_for_every_command(bin: &str, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man");
    let (code, stdout, stderr) = run(bin, &["man", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let pages: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(pages.contains(&format!("{name}.1")), "{pages:?}");
    assert!(pages.len() >= 5, "{pages:?}");
    assert_eq!(stdout.lines().count(), pages.len(), "{stdout}");
    let page = std::fs::read_to_string(out.join(format!("{name}.1"))).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH"),
        "roff: {page}"
    );
}

/// Every subcommand of `--help` answers `--version` with `version`.
pub fn every_subcommand_answers_version(bin: &str, version: &str) {
    let (_, help, _) = run(bin, &["--help"]);
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
        let (code, out, err) = run(bin, &[c, "--version"]);
        assert_eq!(code, 0, "{c}: {err}");
        assert!(out.contains(version), "{c}: {out}");
    }
}
