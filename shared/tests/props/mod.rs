//! What the property tests share: their configuration (a fixed seed, so CI runs the same cases;
//! `PROPTEST_RNG_SEED` and `PROPTEST_CASES` still override), strategies for valid values, for any
//! input, and for valid values with a few edits.
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use xtcmk::{Cloud, InputError};

/// 256 cases per property unless `PROPTEST_CASES` says otherwise; a fixed seed unless
/// `PROPTEST_RNG_SEED` gives one; no regression files written into the source tree.
pub fn config() -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(0x0c3c_2026);
    }
    config.failure_persistence = None;
    config
}

/// The built-in clouds and a custom one whose services listen on their own port.
pub fn clouds() -> Vec<Cloud> {
    let mut custom = Cloud::public();
    custom.name = "local-profile".into();
    custom.key_vault_dns_suffix = "vault.localhost".into();
    custom.managed_hsm_dns_suffix = "managedhsm.localhost".into();
    custom.service_port = Some(8443);
    let mut all = Cloud::builtins().to_vec();
    all.push(custom);
    all
}

pub fn cloud() -> impl Strategy<Value = Cloud> {
    prop::sample::select(clouds())
}

/// Any text: arbitrary Unicode, printable text, URL- and path-like noise, and the lossy reading
/// of arbitrary bytes.
pub fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,80}",
        "[a-zA-Z0-9:/.?#%@_ -]{0,80}",
        prop::collection::vec(any::<u8>(), 0..120)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// One edit of a text.
#[derive(Debug, Clone)]
pub enum Edit {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
    /// Drops everything from here on.
    Truncate(usize),
    /// Repeats the span `[at, at + len)` right after itself.
    Repeat(usize, usize),
    /// Flips the ASCII case of one character.
    Case(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let ch = prop_oneof![
        prop::sample::select(vec![
            '/', '.', '-', ':', '?', '#', '%', '@', ' ', '0', 'a', 'Z', 'é', '\u{0}', '\u{feff}',
            '"', '\\', '{', '}', ','
        ]),
        any::<char>(),
    ];
    let at = any::<usize>();
    prop_oneof![
        (at, ch.clone()).prop_map(|(i, c)| Edit::Insert(i, c)),
        at.prop_map(Edit::Delete),
        (at, ch).prop_map(|(i, c)| Edit::Replace(i, c)),
        at.prop_map(Edit::Truncate),
        (at, 1usize..12).prop_map(|(i, n)| Edit::Repeat(i, n)),
        at.prop_map(Edit::Case),
    ]
}

/// Applies `edits` to `text`, each position taken modulo the text's length in characters.
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let len = chars.len();
        let pos = |i: usize| if len == 0 { 0 } else { i % len };
        match *e {
            Edit::Insert(i, c) => chars.insert(i % (len + 1), c),
            Edit::Delete(i) if len > 0 => {
                chars.remove(pos(i));
            }
            Edit::Replace(i, c) if len > 0 => chars[pos(i)] = c,
            Edit::Truncate(i) => chars.truncate(i % (len + 1)),
            Edit::Repeat(i, n) if len > 0 => {
                let start = pos(i);
                let end = (start + n).min(len);
                let span: Vec<char> = chars[start..end].to_vec();
                chars.splice(end..end, span);
            }
            Edit::Case(i) if len > 0 => {
                let c = chars[pos(i)];
                chars[pos(i)] = if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                };
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// One to four edits.
pub fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 1..5)
}

/// A refusal names `field`: in its field, in its message, with the value and a fix.
pub fn assert_names_field(e: &InputError, field: &str, value: &str) {
    assert_eq!(e.field, field, "the refusal names the field: {e}");
    assert_eq!(e.value, value, "the refusal echoes the value: {e}");
    assert!(
        e.to_string().contains(field),
        "the message names the field: {e}"
    );
    assert!(
        !e.problem.trim().is_empty(),
        "the refusal says what is wrong: {e:?}"
    );
    assert!(
        e.fix.as_deref().is_some_and(|f| !f.trim().is_empty()),
        "the refusal says how to fix it: {e:?}"
    );
}

/// A GUID Entra or ARM could assign (never the all-zero one).
pub fn guid() -> impl Strategy<Value = uuid::Uuid> {
    any::<u128>()
        .prop_filter("not the nil GUID", |n| *n != 0)
        .prop_map(uuid::Uuid::from_u128)
}

/// A Key Vault or Managed HSM name: 3–24 letters, digits and hyphens, starting with a letter,
/// ending with a letter or digit, no `--` (lower case: hosts are read in lower case).
pub fn vault_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{1,22}[a-z0-9]".prop_filter("no consecutive hyphens", |s| !s.contains("--"))
}

/// A key name: 1–127 letters, digits and hyphens.
pub fn key_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-9a-zA-Z-]{1,24}",
        1 => "[0-9a-zA-Z-]{100,127}",
    ]
}

/// A key version: 32 hexadecimal characters.
pub fn key_version() -> impl Strategy<Value = String> {
    "[0-9a-fA-F]{32}"
}

/// A resource group name: 1–90 letters, digits, `_`, `(`, `)`, `-`, `.`, not ending in `.`.
pub fn resource_group_name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_().é-]{0,40}[a-zA-Z0-9_()é-]"
}
