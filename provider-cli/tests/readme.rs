//! The README, as written, works: every block marked `<!-- readme-test: … -->` is run here.
//!
//! - `console` blocks: each `$ command` (with `\` continuations) runs in a fresh folder with the
//!   workspace's binaries first on `PATH`; its stdout and stderr, interleaved as a terminal shows
//!   them, must equal the lines printed under it in the README.
//! - `walkthrough-server` and `walkthrough`: the simulator is started as the README says (on any
//!   free port instead of 8443), then the walkthrough runs as one script in the same folder; its
//!   output is snapshotted, and the files it leaves are the ones the README names.

mod common;

use common::workspace_bin;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use xtcmk_sim::scenario::demo::{
    CUSTOMER_SUBSCRIPTION_ID, CUSTOMER_TENANT_ID, PROVIDER_SUBSCRIPTION_ID, PROVIDER_TENANT_ID,
};
use xtcmk_sim::snapshot::Filters;

/// One marked block of the README.
struct Block {
    kind: String,
    /// 1-based line of the marker, for messages.
    line: usize,
    body: Vec<String>,
}

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    std::fs::read_to_string(path).expect("README.md is readable")
}

/// The marked blocks, in order: a marker line, then a fenced block.
fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(kind) = lines[i]
            .trim()
            .strip_prefix("<!-- readme-test:")
            .and_then(|r| r.strip_suffix("-->"))
        else {
            i += 1;
            continue;
        };
        let line = i + 1;
        assert!(
            lines.get(i + 1).is_some_and(|l| l.starts_with("```")),
            "README line {line}: a readme-test marker must be followed by a fenced block"
        );
        let mut body = Vec::new();
        i += 2;
        while i < lines.len() && !lines[i].starts_with("```") {
            body.push(lines[i].to_string());
            i += 1;
        }
        assert!(i < lines.len(), "README line {line}: unclosed block");
        out.push(Block {
            kind: kind.trim().to_string(),
            line,
            body,
        });
        i += 1;
    }
    out
}

/// A console block's commands and the output shown under each.
fn commands(block: &Block) -> Vec<(String, String)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut continuing = false;
    for l in &block.body {
        if continuing {
            let (cmd, _) = out.last_mut().expect("a command continues");
            continuing = l.ends_with('\\');
            cmd.push('\n');
            cmd.push_str(l);
        } else if let Some(cmd) = l.strip_prefix("$ ") {
            continuing = cmd.ends_with('\\');
            out.push((cmd.to_string(), Vec::new()));
        } else {
            let (_, shown) = out
                .last_mut()
                .unwrap_or_else(|| panic!("README line {}: output before a `$`", block.line));
            shown.push(l.clone());
        }
    }
    out.into_iter()
        .map(|(cmd, mut shown)| {
            while shown.last().is_some_and(|l| l.trim().is_empty()) {
                shown.pop();
            }
            (cmd, shown.join("\n"))
        })
        .collect()
}

/// The folder of the workspace's binaries, all of them built.
fn bin_dir() -> PathBuf {
    workspace_bin("xtcmk-sim");
    workspace_bin("xtcmk-provider");
    workspace_bin("xtcmk-customer")
        .parent()
        .expect("binaries have a folder")
        .to_path_buf()
}

/// `bash` in `dir` with the binaries first on PATH and a clean environment for the tools.
fn bash(dir: &Path, bins: &Path) -> Command {
    let mut cmd = Command::new("bash");
    cmd.current_dir(dir);
    let path = std::env::var("PATH").unwrap_or_default();
    cmd.env("PATH", format!("{}:{path}", bins.display()));
    for var in [
        "XTCMK_CLOUD",
        "XTCMK_OUTPUT",
        "XTCMK_LOG",
        "XTCMK_AUTH",
        "RUST_LOG",
        "AZURE_CONFIG_DIR",
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `script` with stderr folded into stdout, as a terminal shows both.
fn run(dir: &Path, bins: &Path, flags: &[&str], script: &str) -> (Option<i32>, String) {
    let out = bash(dir, bins)
        .args(flags)
        .arg("-c")
        .arg(format!("{{\n{script}\n}} 2>&1"))
        .stdin(Stdio::null())
        .output()
        .expect("bash runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn trim_lines(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_string()
}

#[test]
fn console_blocks_print_what_the_readme_shows() {
    let text = readme();
    let consoles: Vec<Block> = blocks(&text)
        .into_iter()
        .filter(|b| b.kind == "console")
        .collect();
    assert!(
        consoles.len() >= 3,
        "the README's offline commands are marked for this test"
    );
    let bins = bin_dir();
    let mut failures = Vec::new();
    for block in &consoles {
        let dir = tempfile::TempDir::new().unwrap();
        for (cmd, shown) in commands(block) {
            let (_, got) = run(dir.path(), &bins, &[], &cmd);
            if trim_lines(&got) != trim_lines(&shown) {
                failures.push(format!(
                    "README block at line {}: `{cmd}`\n--- README shows\n{shown}\n--- it prints\n{got}",
                    block.line
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The simulator, stopped when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the README's server command on a free port and waits for its banner's last line.
fn start_server(dir: &Path, bins: &Path, command: &str) -> Server {
    assert!(
        command.contains("--port 8443"),
        "the README starts the simulator on port 8443: {command}"
    );
    let command = command.replace("--port 8443", "--port 0");
    let mut child = bash(dir, bins)
        .arg("-c")
        .arg(format!("exec {command}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the simulator starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let server = Server(child);
    let mut banner = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("the banner is text");
        banner.push_str(&line);
        banner.push('\n');
        // The banner ends with the curl example; the profile is written before it.
        if line.trim_start().starts_with("curl ") {
            break;
        }
    }
    for named in ["subscription", "resource group", "user"] {
        assert!(
            banner.contains(named),
            "the banner lists each tenant's {named}s:\n{banner}"
        );
    }
    server
}

/// The files the README says the walkthrough leaves, as backticked names in the paragraph after it.
fn files_named(text: &str) -> Vec<String> {
    let start = text
        .find("The folder then holds")
        .expect("the README says which files the walkthrough leaves");
    let paragraph = &text[start..];
    let end = paragraph
        .find("nothing else")
        .expect("the list of files ends with `nothing else`");
    // Files have an extension; per-user folders a `<placeholder>`.
    paragraph[..end]
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|n| n.contains('.') || n.contains('<'))
        .map(str::to_string)
        .collect()
}

#[test]
fn walkthrough_runs_as_written() {
    let text = readme();
    let all = blocks(&text);
    let find = |kind: &str| {
        let found: Vec<&Block> = all.iter().filter(|b| b.kind == kind).collect();
        assert_eq!(found.len(), 1, "one `{kind}` block in the README");
        found[0]
    };
    let server_block = find("walkthrough-server");
    let walkthrough = find("walkthrough");
    let bins = bin_dir();
    let dir = tempfile::TempDir::new().unwrap();
    let server = start_server(dir.path(), &bins, server_block.body.join("\n").trim());

    let (code, got) = run(dir.path(), &bins, &["-e"], &walkthrough.body.join("\n"));
    drop(server);
    assert_eq!(code, Some(0), "the walkthrough runs to its end:\n{got}");

    let filters = Filters::new()
        .dir(dir.path(), "[WALK]")
        .dir(&std::env::temp_dir(), "[TMP]")
        .known(PROVIDER_TENANT_ID, "[PROVIDER_TENANT]")
        .known(CUSTOMER_TENANT_ID, "[CUSTOMER_TENANT]")
        .known(PROVIDER_SUBSCRIPTION_ID, "[PROVIDER_SUB]")
        .known(CUSTOMER_SUBSCRIPTION_ID, "[CUSTOMER_SUB]");
    xtcmk_sim::assert_output_snapshot!(filters, "readme_walkthrough", &got);

    // The folder holds exactly what the README says it does.
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let named = files_named(&text);
    let mut expected: Vec<String> = named.iter().filter(|n| !n.contains('<')).cloned().collect();
    let per_user = named.iter().any(|n| n == "az-<user>");
    let az: Vec<&String> = left.iter().filter(|n| n.starts_with("az-")).collect();
    if per_user {
        assert_eq!(az.len(), 2, "one az folder per signed-in user: {left:?}");
        expected.extend(az.iter().map(|s| s.to_string()));
    }
    expected.sort();
    assert_eq!(
        left, expected,
        "the walkthrough leaves the files the README names"
    );
}
