//! Running a built binary from an end-to-end test: a clean environment for the tool's own
//! variables, exit code and both streams captured, and snapshot filters for temp paths.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

/// The tool's own variables, removed so a developer's shell cannot change what a test sees.
pub const TOOL_VARIABLES: [&str; 5] = [
    "XTCMK_CLOUD",
    "XTCMK_OUTPUT",
    "XTCMK_LOG",
    "XTCMK_AUTH",
    "RUST_LOG",
];

/// What one run of a binary did.
#[derive(Debug, Clone)]
pub struct BinOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl BinOutput {
    /// `exit: N`, then stdout and stderr: the text snapshots hold.
    pub fn shown(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `bin` in `dir` with `args`, the tool's variables cleared and then `env` set.
pub fn run_bin<S: AsRef<OsStr>>(
    bin: &str,
    dir: &Path,
    args: &[S],
    env: &[(String, String)],
) -> BinOutput {
    let mut cmd = Command::new(bin);
    cmd.args(args).current_dir(dir);
    for var in TOOL_VARIABLES {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    let out = cmd.output().expect("the binary runs");
    BinOutput {
        code: out.status.code().expect("the binary exits normally"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `bin args` in `dir` on a pseudo-terminal (`script`, from util-linux) with `env` set,
/// typing `answer`; the exit code and every byte the terminal received, or `None` (said on
/// stdout) where `script` is not installed.
pub fn on_a_terminal(
    bin: &str,
    dir: &Path,
    args: &[String],
    env: &[(String, String)],
    answer: &str,
) -> Option<(i32, String)> {
    use std::io::Write;
    use std::process::Stdio;
    if Command::new("script").arg("--version").output().is_err() {
        println!("skipped: `script` (util-linux) is not installed");
        return None;
    }
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut lines = vec!["set -e".to_string()];
    for (k, v) in env {
        lines.push(format!("export {k}={}", quote(v)));
    }
    lines.push("unset XTCMK_OUTPUT XTCMK_LOG RUST_LOG".into());
    lines.push(format!(
        "exec {} {}",
        quote(bin),
        args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
    ));
    let script = dir.join("run.sh");
    std::fs::write(&script, lines.join("\n")).expect("the script is written");
    let mut child = Command::new("script")
        .args(["-qec", &format!("sh {}", script.display()), "/dev/null"])
        .current_dir(dir)
        .env("TERM", "xterm")
        .env("COLUMNS", "400")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    child
        .stdin
        .take()
        .expect("a stdin")
        .write_all(answer.as_bytes())
        .expect("the answer is typed");
    let out = child.wait_with_output().expect("script exits");
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

/// Regex-escapes a literal (temp paths hold `.` and, on some systems, other metacharacters).
pub fn regex_escape(literal: &str) -> String {
    let mut out = String::with_capacity(literal.len());
    for c in literal.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `(regex, replacement)` filters that print `dir` (as given and canonical) as `label`.
pub fn path_filters(dir: &Path, label: &str) -> Vec<(String, String)> {
    let mut filters = vec![(regex_escape(&dir.display().to_string()), label.to_string())];
    if let Ok(canonical) = dir.canonicalize()
        && canonical != dir
    {
        filters.push((
            regex_escape(&canonical.display().to_string()),
            label.to_string(),
        ));
    }
    filters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_regex_metacharacters() {
        assert_eq!(regex_escape("/tmp/a.b+c"), r"/tmp/a\.b\+c");
    }
}
