//! Every command a message names must exist: the mentions of `xtcmk-provider …` and
//! `xtcmk-customer …` in the sources and the README (in backticks, or followed by a flag) are
//! collected here, and each binary's tests check its own with `<binary> help <subcommand>`.

use std::path::{Path, PathBuf};

/// A mention: the file it is in and the words after the binary name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub file: PathBuf,
    pub words: Vec<String>,
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "rs" || e == "md" || e == "sh")
        {
            out.push(path);
        }
    }
}

/// Mentions of `binary` in `shared/src`, `provider-cli/src`, `customer-cli/src`, `scripts` and
/// `README.md` under the workspace `root`.
pub fn mentions(root: &Path, binary: &str) -> Vec<Mention> {
    let mut files = Vec::new();
    for dir in [
        "shared/src",
        "provider-cli/src",
        "customer-cli/src",
        "scripts",
    ] {
        sources(&root.join(dir), &mut files);
    }
    files.push(root.join("README.md"));
    let mut found = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let mut rest = text.as_str();
        while let Some(at) = rest.find(binary) {
            let before = rest[..at].chars().last();
            let after = &rest[at + binary.len()..];
            rest = after;
            let words: Vec<String> = after
                .split(['`', '\n', '"', ')'])
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .take_while(|w| {
                    w.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        && !w.starts_with('-')
                })
                .map(str::to_string)
                .collect();
            let quoted = before == Some('`') || before == Some('$') || before == Some(' ');
            let flagged = after
                .split_whitespace()
                .nth(words.len())
                .is_some_and(|w| w.starts_with("--"));
            if !words.is_empty() && (before == Some('`') || (quoted && flagged)) {
                found.push(Mention {
                    file: file.clone(),
                    words,
                });
            }
        }
    }
    found
}
