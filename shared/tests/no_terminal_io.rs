//! The library never touches the terminal: no printing, no stdin, no progress bar anywhere in
//! `shared/src` except the binaries' printer (`cli/printer.rs`). Operations report through a
//! `Reporter` instead.

use std::path::{Path, PathBuf};

const ALLOWED: &str = "cli/printer.rs";

const FORBIDDEN: [&str; 12] = [
    "println!",
    "eprintln!",
    "print!(",
    "eprint!(",
    "dbg!(",
    "stdout()",
    "stderr()",
    "stdin()",
    "io::stdout",
    "io::stderr",
    "io::stdin",
    "indicatif",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_printer_touches_stdout_stderr_or_stdin() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 40, "{files:#?}");
    let mut found = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if relative == ALLOWED {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for pattern in FORBIDDEN {
                if code.contains(pattern) {
                    found.push(format!("{relative}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "terminal I/O outside the printer: {found:#?}"
    );
    let printer = std::fs::read_to_string(src.join(ALLOWED)).unwrap();
    assert!(printer.contains("ProgressBar") && printer.contains("stdin()"));
}
