//! Where a batch's customers come from, read as a stream: a folder of handoff files, or a
//! manifest (CSV with a header, a JSON array, or JSON lines) of rows `customer`, `handoff`,
//! `account`, `location`, `project`. Every row is checked before anything is sent ([`check`]); a
//! bad row is named with its number, field, value and fix.
//!
//! - Folder: every `NAME.json` file is customer `NAME`, handoff `NAME.json`, account `NAME`
//!   (lowercased), in the default location (`--location`).
//! - Manifest: `handoff` is relative to the manifest's folder; `location` may be left out for
//!   the default; `account` is required for the commands that name an account, `project` (an
//!   Atlas project id) for the Atlas ones. A folder names no Atlas project.

use crate::atlas::GroupId;
use crate::cosmos::AccountName;
use crate::{Cloud, InputError, Location};
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

/// The columns of a manifest.
pub const COLUMNS: [&str; 5] = ["customer", "handoff", "account", "location", "project"];

/// How many bad rows a refusal lists (the rest are counted).
const LISTED: usize = 20;

/// A batch's customers: a folder of handoffs or a manifest file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Folder(PathBuf),
    Csv(PathBuf),
    /// A JSON array of rows, or one row object per line.
    Json(PathBuf),
}

impl Source {
    /// The source at `path` (`--batch`): a folder, a `.csv` file, or a `.json`/`.jsonl` file.
    pub fn at(flag: &str, path: &Path) -> Result<Source, InputError> {
        let shown = path.display().to_string();
        let fix = "pass a folder of handoff files, or a manifest ending in .csv, .json or .jsonl (columns customer, handoff, account, location, project: those the command uses)";
        let meta = std::fs::metadata(path).map_err(|e| {
            InputError::new(flag, &shown, format!("cannot read it: {e}")).with_fix(fix)
        })?;
        if meta.is_dir() {
            return Ok(Source::Folder(path.to_path_buf()));
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Ok(Source::Csv(path.to_path_buf())),
            Some("json" | "jsonl" | "ndjson") => Ok(Source::Json(path.to_path_buf())),
            _ => {
                Err(InputError::new(flag, &shown, "not a folder, .csv or .json file").with_fix(fix))
            }
        }
    }

    /// The folder or file as given.
    pub fn path(&self) -> &Path {
        match self {
            Source::Folder(p) | Source::Csv(p) | Source::Json(p) => p,
        }
    }

    fn base(&self) -> PathBuf {
        match self {
            Source::Folder(p) => p.clone(),
            Source::Csv(p) | Source::Json(p) => p
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
        }
    }
}

/// One customer as the source gives it, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRow {
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub handoff: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
}

/// One customer, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `row 3` of a manifest, or the file name in a folder.
    pub at: String,
    pub customer: String,
    /// The handoff file (resolved against the manifest's folder).
    pub handoff: Option<PathBuf>,
    pub account: Option<AccountName>,
    pub location: Option<Location>,
    /// The customer's Atlas project.
    pub project: Option<GroupId>,
}

/// What a command takes from each row.
#[derive(Debug, Clone)]
pub struct Needs {
    pub handoff: bool,
    pub account: bool,
    /// The location rows without one get (`--location`); required when `location` is.
    pub default_location: Option<Location>,
    pub location: bool,
    /// The Atlas project of each row (a manifest's `project` column).
    pub project: bool,
}

/// A row as read: where it is, and its fields or why it could not be read.
type Read1 = (String, Result<RawRow, InputError>);

/// Reads `source` on a blocking thread, sending each row as it is read (bounded, so memory does
/// not grow with the number of rows).
pub fn stream(source: &Source) -> mpsc::Receiver<Read1> {
    let (tx, rx) = mpsc::channel(64);
    let source = source.clone();
    std::thread::spawn(move || {
        let send = |item: Read1| tx.blocking_send(item).is_ok();
        match &source {
            Source::Folder(dir) => read_folder(dir, send),
            Source::Csv(path) => read_csv(path, send),
            Source::Json(path) => read_json(path, send),
        }
    });
    rx
}

fn unreadable(at: &str, path: &Path, e: impl std::fmt::Display) -> Read1 {
    (
        at.to_string(),
        Err(InputError::new(
            "--batch",
            path.display().to_string(),
            format!("cannot read it: {e}"),
        )
        .with_fix("check the path and its permissions")),
    )
}

fn read_folder(dir: &Path, send: impl Fn(Read1) -> bool) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            send(unreadable("folder", dir, e));
            return;
        }
    };
    for entry in entries {
        let path = match entry {
            Ok(e) => e.path(),
            Err(e) => {
                send(unreadable("folder", dir, e));
                return;
            }
        };
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        // Only handoff files: `NAME.json`, not hidden, not a folder.
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        if name.starts_with('.') || !path.is_file() {
            continue;
        }
        let row = RawRow {
            customer: Some(stem.to_string()),
            handoff: Some(name.to_string()),
            account: Some(stem.to_ascii_lowercase()),
            location: None,
            project: None,
        };
        if !send((name.to_string(), Ok(row))) {
            return;
        }
    }
}

/// One CSV line split into fields: commas, double quotes around a field, `""` for a quote.
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, '"') => return Err("a quote in the middle of a field".into()),
            // RFC 4180: a quoted field ends at its closing quote; only the comma may follow.
            (false, c) if was_quoted && !c.is_whitespace() => {
                return Err(format!(
                    "`{c}` after a quoted field's closing quote (write the whole field inside the quotes)"
                ));
            }
            (false, c) => {
                if !was_quoted {
                    field.push(c);
                }
            }
        }
    }
    if quoted {
        return Err("a quoted field is not closed on its line".into());
    }
    fields.push(field);
    Ok(fields.into_iter().map(|f| f.trim().to_string()).collect())
}

fn read_csv(path: &Path, send: impl Fn(Read1) -> bool) {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            send(unreadable("manifest", path, e));
            return;
        }
    };
    let mut lines = BufReader::new(file).lines().enumerate();
    let header = loop {
        match lines.next() {
            None => return,
            Some((_, Err(e))) => {
                send(unreadable("manifest", path, e));
                return;
            }
            Some((_, Ok(l))) if l.trim().is_empty() => continue,
            Some((_, Ok(l))) => break l,
        }
    };
    let columns = match csv_fields(header.trim_start_matches('\u{feff}')) {
        Ok(c) => c,
        Err(e) => {
            send(("header".into(), Err(header_error(&header, &e))));
            return;
        }
    };
    for c in &columns {
        if !COLUMNS.contains(&c.to_ascii_lowercase().as_str()) {
            send((
                "header".into(),
                Err(header_error(c, "it is not a column a manifest has")),
            ));
            return;
        }
    }
    let mut row = 0;
    for (index, line) in lines {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                send(unreadable(&format!("line {}", index + 1), path, e));
                return;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        row += 1;
        let at = format!("row {row} (line {})", index + 1);
        let parsed = csv_fields(&line)
            .map_err(|e| {
                InputError::new(at.clone(), line.clone(), e)
                    .with_fix("quote a field that holds a comma with double quotes, and double a quote inside it")
            })
            .and_then(|fields| {
                if fields.len() != columns.len() {
                    return Err(InputError::new(
                        at.clone(),
                        line.clone(),
                        format!("{} fields, the header has {}", fields.len(), columns.len()),
                    )
                    .with_fix(format!("give every row the header's columns: {}", columns.join(","))));
                }
                let mut raw = RawRow::default();
                for (name, value) in columns.iter().zip(fields) {
                    let value = (!value.is_empty()).then_some(value);
                    match name.to_ascii_lowercase().as_str() {
                        "customer" => raw.customer = value,
                        "handoff" => raw.handoff = value,
                        "account" => raw.account = value,
                        "location" => raw.location = value,
                        _ => raw.project = value,
                    }
                }
                Ok(raw)
            });
        if !send((at, parsed)) {
            return;
        }
    }
}

fn header_error(value: &str, problem: &str) -> InputError {
    InputError::new("header", value, problem.to_string()).with_fix(format!(
        "the first line names the columns: {} (only those the command uses are needed)",
        COLUMNS.join(",")
    ))
}

/// Sends each element of a JSON array as it is parsed.
struct Rows<'a, F: Fn(Read1) -> bool>(&'a F);

impl<'de, F: Fn(Read1) -> bool> Visitor<'de> for Rows<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut n = 0;
        loop {
            n += 1;
            let at = format!("row {n}");
            match seq.next_element::<serde_json::Value>()? {
                None => return Ok(()),
                Some(value) => {
                    let row = RawRow::deserialize(&value).map_err(|e| row_error(&at, &value, e));
                    if !(self.0)((at, row)) {
                        return Ok(());
                    }
                }
            }
        }
    }
}

impl<'de, F: Fn(Read1) -> bool> DeserializeSeed<'de> for Rows<'_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

fn row_error(at: &str, value: &serde_json::Value, e: serde_json::Error) -> InputError {
    InputError::new(at, value.to_string(), e.to_string()).with_fix(format!(
        "each row is an object with the string fields {}",
        COLUMNS.join(", ")
    ))
}

fn read_json(path: &Path, send: impl Fn(Read1) -> bool) {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            send(unreadable("manifest", path, e));
            return;
        }
    };
    let mut reader = BufReader::new(file);
    // A UTF-8 byte-order mark (spreadsheet exports write one) is not part of the JSON.
    if reader
        .fill_buf()
        .is_ok_and(|b| b.starts_with(&[0xEF, 0xBB, 0xBF]))
    {
        reader.consume(3);
    }
    // An array is streamed element by element; otherwise one object per line.
    let array = loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) => {
                send(unreadable("manifest", path, e));
                return;
            }
        };
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let first = buf[i];
                reader.consume(i);
                break first == b'[';
            }
            None if buf.is_empty() => return,
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    if array {
        let mut de = serde_json::Deserializer::from_reader(reader);
        if let Err(e) = Rows(&send).deserialize(&mut de) {
            send((
                format!("line {}", e.line()),
                Err(InputError::new(
                    "manifest",
                    path.display().to_string(),
                    format!("not valid JSON: {e}"),
                )
                .with_fix(
                    "a JSON manifest is an array of row objects, or one row object per line",
                )),
            ));
        }
        return;
    }
    let mut row = 0;
    for (index, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                send(unreadable("manifest", path, e));
                return;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        row += 1;
        let at = format!("row {row} (line {})", index + 1);
        let parsed = serde_json::from_str::<serde_json::Value>(&line)
            .map_err(|e| {
                InputError::new(at.clone(), line.clone(), format!("not valid JSON: {e}"))
                    .with_fix("write one row object per line, or a JSON array of rows")
            })
            .and_then(|v| RawRow::deserialize(&v).map_err(|e| row_error(&at, &v, e)));
        if !send((at, parsed)) {
            return;
        }
    }
}

fn digest(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// Checks one row as read; `base` resolves a relative handoff path.
pub fn row(
    at: &str,
    raw: RawRow,
    base: &Path,
    needs: &Needs,
    cloud: &Cloud,
) -> Result<Row, InputError> {
    let field = |name: &str| format!("{at} {name}");
    let customer = raw.customer.unwrap_or_default();
    if customer.trim().is_empty() {
        return Err(InputError::new(field("customer"), "", "it is empty")
            .with_fix("name every customer (it names the row in the summary)"));
    }
    if customer.chars().any(char::is_control) || customer.chars().count() > 256 {
        return Err(InputError::new(
            field("customer"),
            &customer,
            "it has control characters or more than 256 characters",
        )
        .with_fix("use a short printable name"));
    }
    let handoff = match raw.handoff {
        Some(h) if !h.trim().is_empty() => {
            let path = base.join(h.trim());
            if !path.is_file() {
                return Err(InputError::new(
                    field("handoff"),
                    h,
                    format!("no file at {}", path.display()),
                )
                .with_fix("give the handoff file's path, relative to the manifest's folder"));
            }
            Some(path)
        }
        _ if needs.handoff => {
            return Err(InputError::new(field("handoff"), "", "it is empty")
                .with_fix("give the path of the customer's handoff file, relative to the manifest's folder"));
        }
        _ => None,
    };
    let account = match raw.account {
        Some(a) if !a.trim().is_empty() => Some(AccountName::parse_field(&field("account"), &a)?),
        _ if needs.account => {
            return Err(InputError::new(field("account"), "", "it is empty")
                .with_fix("give the Cosmos DB account's name (3–44 lowercase letters, digits and hyphens)"));
        }
        _ => None,
    };
    let location = match raw.location {
        Some(l) if !l.trim().is_empty() => {
            let l = Location::parse_field(&field("location"), &l)?;
            cloud.check_location(&field("location"), &l)?;
            Some(l)
        }
        _ => needs.default_location.clone(),
    };
    let project = match raw.project {
        Some(p) if !p.trim().is_empty() => Some(GroupId::parse_field(&field("project"), &p)?),
        _ if needs.project => {
            return Err(InputError::new(field("project"), "", "it is empty")
                .with_fix("give the customer's Atlas project id (24 hex digits)"));
        }
        _ => None,
    };
    if needs.location && location.is_none() {
        return Err(InputError::new(
            field("location"),
            "",
            "it is empty and no --location is given",
        )
        .with_fix("give the row a location, or pass --location for the rows without one"));
    }
    Ok(Row {
        at: at.to_string(),
        customer,
        handoff,
        account,
        location,
        project,
    })
}

/// Every row of `source` checked, streaming: the number of rows, or a refusal listing the bad
/// ones (and duplicated customers, accounts or projects), before anything is sent.
pub async fn check(source: &Source, needs: &Needs, cloud: &Cloud) -> anyhow::Result<u64> {
    if needs.project && matches!(source, Source::Folder(_)) {
        return Err(InputError::new(
            "--batch",
            source.path().display().to_string(),
            "a folder of handoff files names no Atlas projects",
        )
        .with_fix("give a manifest (.csv, .json or .jsonl) with the columns customer and project")
        .into());
    }
    let base = source.base();
    let mut rows = stream(source);
    let mut count = 0u64;
    let mut bad: Vec<InputError> = Vec::new();
    let mut more = 0usize;
    let mut seen = Seen::default();
    while let Some((at, raw)) = rows.recv().await {
        count += 1;
        let checked = raw
            .and_then(|raw| row(&at, raw, &base, needs, cloud))
            .and_then(|r| seen.once(&at, r));
        if let Err(e) = checked {
            if bad.len() < LISTED {
                bad.push(e);
            } else {
                more += 1;
            }
        }
    }
    if bad.is_empty() {
        return Ok(count);
    }
    let mut lines: Vec<String> = bad
        .iter()
        .map(|e| match &e.fix {
            Some(fix) => format!("  {e}; fix: {fix}"),
            None => format!("  {e}"),
        })
        .collect();
    if more > 0 {
        lines.push(format!("  … and {more} more"));
    }
    Err(InputError::new(
        "--batch",
        source.path().display().to_string(),
        format!(
            "{} row(s) are not usable, so nothing was sent:\n{}",
            bad.len() + more,
            lines.join("\n")
        ),
    )
    .with_fix("correct the rows above and run the same command again")
    .into())
}

/// The customers, accounts and projects met so far: digests, not names, 8 bytes a row.
#[derive(Default)]
struct Seen {
    customers: HashSet<u64>,
    accounts: HashSet<u64>,
    projects: HashSet<u64>,
}

impl Seen {
    /// `r`, or the refusal of a customer or account an earlier row already named.
    fn once(&mut self, at: &str, r: Row) -> Result<Row, InputError> {
        if !self.customers.insert(digest(&r.customer)) {
            return Err(InputError::new(
                format!("{at} customer"),
                &r.customer,
                "another row has the same customer",
            )
            .with_fix("list each customer once"));
        }
        if let Some(a) = &r.account
            && !self.accounts.insert(digest(a.as_str()))
        {
            return Err(InputError::new(
                format!("{at} account"),
                a.as_str(),
                "another row has the same account",
            )
            .with_fix(
                "give each customer its own account: one account is encrypted with one customer's key",
            ));
        }
        if let Some(p) = &r.project
            && !self.projects.insert(digest(p.as_str()))
        {
            return Err(InputError::new(
                format!("{at} project"),
                p.as_str(),
                "another row has the same project",
            )
            .with_fix(
                "give each customer its own project: a project is encrypted with one customer's key",
            ));
        }
        Ok(r)
    }
}

/// The rows of `source`, streaming, for the run after [`check`]: each checked again as it is
/// read, duplicates included, since the files may have changed since the check.
pub fn rows(
    source: &Source,
    needs: Needs,
    cloud: Cloud,
) -> impl futures::Stream<Item = Result<Row, (String, InputError)>> + use<> {
    let base = source.base();
    let rx = stream(source);
    futures::stream::unfold(
        (rx, base, needs, cloud, Seen::default()),
        |(mut rx, base, needs, cloud, mut seen)| async move {
            let (at, raw) = rx.recv().await?;
            let item = raw
                .and_then(|raw| row(&at, raw, &base, &needs, &cloud))
                .and_then(|r| seen.once(&at, r))
                .map_err(|e| (at, e));
            Some((item, (rx, base, needs, cloud, seen)))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_quotes_and_commas() {
        assert_eq!(csv_fields("a, b ,c").unwrap(), ["a", "b", "c"]);
        assert_eq!(
            csv_fields(r#""Fabrikam, Inc.",h.json,"say ""hi""""#).unwrap(),
            ["Fabrikam, Inc.", "h.json", r#"say "hi""#]
        );
        assert_eq!(csv_fields("a,,c").unwrap(), ["a", "", "c"]);
        assert!(csv_fields(r#"a,"b"#).is_err());
        assert!(csv_fields(r#"a,b"c"#).is_err());
        assert!(csv_fields(r#""abc"def,x"#).is_err());
        assert_eq!(csv_fields(r#""abc" ,x"#).unwrap(), ["abc", "x"]);
    }

    #[tokio::test]
    async fn the_run_refuses_a_duplicate_the_files_gained_after_the_check() {
        use futures::StreamExt;
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("m.jsonl");
        std::fs::write(
            &path,
            "{\"customer\":\"a\",\"account\":\"acct-a\"}\n{\"customer\":\"a\",\"account\":\"acct-b\"}\n{\"customer\":\"c\",\"account\":\"acct-a\"}\n",
        )
        .unwrap();
        let needs = Needs {
            handoff: false,
            account: true,
            location: false,
            default_location: None,
            project: false,
        };
        let got: Vec<_> = rows(&Source::Json(path), needs, Cloud::public())
            .collect()
            .await;
        assert!(got[0].is_ok(), "{got:?}");
        let (at, e) = got[1].as_ref().unwrap_err();
        assert_eq!(
            (at.as_str(), e.field.as_str()),
            ("row 2 (line 2)", "row 2 (line 2) customer")
        );
        let (_, e) = got[2].as_ref().unwrap_err();
        assert_eq!(e.field, "row 3 (line 3) account");
    }

    #[tokio::test]
    async fn atlas_rows_need_a_valid_project_each_and_a_folder_names_none() {
        let dir = tempfile::TempDir::new().unwrap();
        let needs = Needs {
            handoff: false,
            account: false,
            location: false,
            default_location: None,
            project: true,
        };
        let cloud = Cloud::public();
        let csv = dir.path().join("p.csv");
        std::fs::write(
            &csv,
            "Customer,Project\na,65f00000000000000000a001\nb,65f00000000000000000a002\n",
        )
        .unwrap();
        assert_eq!(
            check(&Source::Csv(csv.clone()), &needs, &cloud)
                .await
                .unwrap(),
            2
        );
        let rows: Vec<_> = futures::StreamExt::collect::<Vec<_>>(rows(
            &Source::Csv(csv),
            needs.clone(),
            cloud.clone(),
        ))
        .await;
        let first = rows[0].as_ref().unwrap();
        assert_eq!(
            first.project.as_ref().map(GroupId::as_str),
            Some("65f00000000000000000a001")
        );

        let jsonl = dir.path().join("p.jsonl");
        std::fs::write(
            &jsonl,
            "{\"customer\":\"a\",\"project\":\"nope\"}\n{\"customer\":\"b\"}\n{\"customer\":\"c\",\"project\":\"65f00000000000000000a001\"}\n{\"customer\":\"d\",\"project\":\"65f00000000000000000a001\"}\n",
        )
        .unwrap();
        let refused = check(&Source::Json(jsonl), &needs, &cloud)
            .await
            .unwrap_err()
            .to_string();
        for named in [
            "row 1 (line 1) project `nope`",
            "row 2 (line 2) project ``: it is empty",
            "row 4 (line 4) project `65f00000000000000000a001`: another row has the same project",
        ] {
            assert!(refused.contains(named), "{named}: {refused}");
        }
        assert!(refused.starts_with("invalid --batch"), "{refused}");

        let folder = check(&Source::Folder(dir.path().into()), &needs, &cloud)
            .await
            .unwrap_err()
            .to_string();
        assert!(folder.contains("names no Atlas projects"), "{folder}");
        // The Cosmos DB commands take no project: a folder is theirs.
        let cosmos = Needs {
            project: false,
            ..needs
        };
        assert!(
            check(&Source::Folder(dir.path().into()), &cosmos, &cloud)
                .await
                .is_ok()
        );
    }

    #[test]
    fn a_json_manifest_may_start_with_a_byte_order_mark() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("m.json");
        let body = r#"[{"customer":"a","handoff":"a.json","account":"acct-a"}]"#;
        std::fs::write(&path, [&[0xEF, 0xBB, 0xBF][..], body.as_bytes()].concat()).unwrap();
        let rows = std::sync::Mutex::new(Vec::new());
        read_json(&path, |r| {
            rows.lock().unwrap().push(r);
            true
        });
        let rows = rows.into_inner().unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(rows[0].1.is_ok(), "{rows:?}");
    }
}
