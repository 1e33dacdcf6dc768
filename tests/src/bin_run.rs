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
