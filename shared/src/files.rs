//! The few local files the tools read and write (invitation, handoff, templates): reads are
//! bounded, writes are atomic (a temporary file in the same folder, then a rename), so an
//! interrupted run never leaves half a document behind.

use crate::InputError;
use std::io::{Read, Write};
use std::path::Path;

/// The largest document the tools read: far above any real invitation, handoff or template.
pub const MAX_DOCUMENT_BYTES: u64 = 1024 * 1024;

/// The file's text, or `None` when it does not exist. Refuses files over [`MAX_DOCUMENT_BYTES`]
/// and text that is not UTF-8, naming `field`.
pub fn read_text(field: &str, path: &Path) -> Result<Option<String>, InputError> {
    let shown = path.display().to_string();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(
                InputError::new(field, &shown, format!("cannot read the file: {e}"))
                    .with_fix("pass the path of a readable file"),
            );
        }
    };
    let mut bytes = Vec::new();
    file.take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            InputError::new(field, &shown, format!("cannot read the file: {e}"))
                .with_fix("pass the path of a readable file")
        })?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(InputError::new(
            field,
            &shown,
            format!(
                "it is larger than {} KiB, more than any document of this tool",
                MAX_DOCUMENT_BYTES / 1024
            ),
        )
        .with_fix(
            "pass the file the other side sent (an invitation or handoff is a few KiB of JSON)",
        ));
    }
    String::from_utf8(bytes).map(Some).map_err(|_| {
        InputError::new(field, &shown, "it is not UTF-8 text")
            .with_fix("pass the JSON file the other side sent, unchanged")
    })
}

/// Checks, before anything is sent anywhere, that `path` can be written: it is (or will be) a
/// regular file in an existing folder this process can create files in. Refused with the field
/// named: a folder, a device (`/dev/full`), a missing folder, a read-only or pseudo file system.
pub fn check_output(field: &str, path: &Path) -> Result<(), InputError> {
    let shown = path.display().to_string();
    let refuse = |problem: String, fix: &str| InputError::new(field, &shown, problem).with_fix(fix);
    if shown.trim().is_empty() {
        return Err(refuse(
            "it is empty".into(),
            "pass the path of the file to write",
        ));
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            return Err(refuse(
                "it is a folder, not a file".into(),
                "pass a file path inside the folder, e.g. <folder>/handoff.json",
            ));
        }
        Ok(m) if !m.is_file() => {
            return Err(refuse(
                "it is not a regular file (a device or a pipe)".into(),
                "pass the path of a regular file",
            ));
        }
        _ => {}
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(refuse(
            format!("its folder {} does not exist", dir.display()),
            "create the folder first, or pass a path in an existing folder",
        ));
    }
    match tempfile_in(&dir, path) {
        Ok((probe, file)) => {
            drop(file);
            let _ = std::fs::remove_file(probe);
            Ok(())
        }
        Err(e) => Err(refuse(
            format!("files cannot be written in {} ({e})", dir.display()),
            "pass a path in a folder you can write to",
        )),
    }
}

/// Refuses an output that would overwrite an input: `output` (from `out_field`) is the same file
/// as `input` (from `in_field`).
pub fn check_distinct(
    out_field: &str,
    output: &Path,
    in_field: &str,
    input: &Path,
) -> Result<(), InputError> {
    let same = match (output.canonicalize(), input.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => output == input,
    };
    if same {
        return Err(InputError::new(
            out_field,
            output.display().to_string(),
            format!("it is the {in_field} file, which the command reads"),
        )
        .with_fix(format!("pass another path for {out_field}")));
    }
    Ok(())
}

/// Writes `contents` to `path` atomically: a temporary file beside it, flushed, then renamed
/// over it. Errors name `field` and the path.
pub fn write_atomic(field: &str, path: &Path, contents: &str) -> Result<(), InputError> {
    let shown = path.display().to_string();
    let fail = |e: std::io::Error| {
        InputError::new(field, &shown, format!("cannot write the file: {e}"))
            .with_fix("pass a path in an existing, writable folder")
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut temp = tempfile_in(&dir, path).map_err(fail)?;
    let written = temp
        .1
        .write_all(contents.as_bytes())
        .and_then(|_| temp.1.sync_all());

    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp.0);
        return Err(fail(e));
    }
    drop(temp.1);
    std::fs::rename(&temp.0, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp.0);
        fail(e)
    })
}

/// A new file `.<name>.<random>.tmp` in `dir`.
fn tempfile_in(dir: &Path, target: &Path) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let path = dir.join(format!(
        ".{name}.{}.tmp",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    ));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((path, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_and_reads_bounded() {
        let dir = std::env::temp_dir().join(format!("xtcmk-files-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("doc.json");
        assert_eq!(read_text("--f", &path).unwrap(), None);
        write_atomic("--f", &path, "{}\n").unwrap();
        assert_eq!(read_text("--f", &path).unwrap().as_deref(), Some("{}\n"));
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temp file left"
        );
        let big = dir.join("big");
        std::fs::write(&big, vec![b'a'; (MAX_DOCUMENT_BYTES + 1) as usize]).unwrap();
        assert!(
            read_text("--f", &big)
                .unwrap_err()
                .problem
                .contains("larger")
        );
        let missing = dir.join("no/such/dir/x.json");
        assert_eq!(
            write_atomic("--out", &missing, "x").unwrap_err().field,
            "--out"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
