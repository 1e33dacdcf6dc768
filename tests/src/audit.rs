//! The simulated clouds' state as compared across runs, and the duplicates and dangling references
//! a run must not leave. [`snapshot`] is one sorted line per object (tenants' applications with
//! their credentials, service principals, resource groups; ARM resources; keys with their
//! versions; Cosmos DB's and Atlas's bookkeeping) with every random id, key version and timestamp
//! replaced by a placeholder: two runs that made the same objects with the same names and settings
//! give equal snapshots, whatever ids they drew; one more object or version makes them differ.
//! Long-running operations are left out (a retried poll is no object).

use crate::state::State;
use serde_json::Value;
use std::collections::BTreeSet;

/// Members holding a time (seconds or a date) rather than a setting.
const TIME_MEMBERS: [&str; 10] = [
    "created",
    "updated",
    "nbf",
    "exp",
    "endDateTime",
    "startDateTime",
    "createdDateTime",
    "createdOn",
    "updatedOn",
    "lastModifiedAt",
];

/// One line per object, sorted, ids and times replaced (see the module).
pub fn snapshot(state: &State) -> Vec<String> {
    let mut lines = Vec::new();
    for t in &state.tenants {
        let tenant = &t.alias;
        lines.push(format!("tenant {tenant} users {}", t.users.len()));
        for s in &t.subscriptions {
            for g in &s.resource_groups {
                lines.push(format!(
                    "{tenant} resourceGroup {}",
                    line(&serde_json::to_value(g).unwrap_or_default())
                ));
            }
        }
        for a in &t.applications {
            lines.push(format!(
                "{tenant} application {}",
                line(&serde_json::to_value(a).unwrap_or_default())
            ));
        }
        for sp in &t.service_principals {
            lines.push(format!(
                "{tenant} servicePrincipal {}",
                line(&serde_json::to_value(sp).unwrap_or_default())
            ));
        }
    }
    for r in state.resources.values() {
        lines.push(format!("resource {} {}", r.kind, line(&r.body)));
    }
    for (vault, keys) in &state.keys {
        for (name, key) in keys {
            lines.push(format!(
                "key {vault}/{name} {}",
                line(&serde_json::to_value(&key.versions).unwrap_or_default())
            ));
        }
    }
    for (what, value) in [
        ("cosmos", serde_json::to_value(&state.cosmos)),
        ("atlas", serde_json::to_value(&state.atlas)),
        ("appOwners", serde_json::to_value(&state.app_owners)),
        ("deletedVaults", serde_json::to_value(&state.deleted_vaults)),
    ] {
        lines.push(format!("{what} {}", line(&value.unwrap_or_default())));
    }
    lines.sort();
    lines
}

/// Objects the toolkit must never make twice, counted: apps by unique name, federated
/// credentials by issuer and subject, service principals by app id per tenant, role assignments
/// by scope, role and principal, vaults by name, key versions by key. Each entry found more than
/// once is named.
pub fn duplicates(state: &State) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut twice = Vec::new();
    let mut count = |what: String| {
        if !seen.insert(what.clone()) {
            twice.push(what);
        }
    };
    for t in &state.tenants {
        for a in &t.applications {
            count(format!(
                "application {} {}",
                t.alias,
                a.unique_name.as_deref().unwrap_or(&a.display_name)
            ));
            for f in &a.federated_identity_credentials {
                count(format!(
                    "federated credential on {}: {} {}",
                    a.display_name, f.issuer, f.subject
                ));
            }
        }
        for sp in &t.service_principals {
            count(format!("service principal {} {}", t.alias, sp.app_id));
        }
    }
    for r in state.resources.values() {
        if r.kind
            .eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments")
        {
            let p = &r.body["properties"];
            count(format!(
                "role assignment {} {} {}",
                p["scope"].as_str().unwrap_or_default().to_ascii_lowercase(),
                p["roleDefinitionId"]
                    .as_str()
                    .unwrap_or_default()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default(),
                p["principalId"].as_str().unwrap_or_default()
            ));
        } else {
            count(format!("{} {}", r.kind, r.name.to_ascii_lowercase()));
        }
    }
    for (vault, keys) in &state.keys {
        for (name, key) in keys {
            for _ in &key.versions {
                count(format!("version of key {vault}/{name}"));
            }
        }
    }
    twice
}

/// The object's JSON with ids, versions and times replaced.
fn line(value: &Value) -> String {
    normalize(value).to_string()
}

fn normalize(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if TIME_MEMBERS.iter().any(|t| t.eq_ignore_ascii_case(k)) {
                        Value::String("<time>".into())
                    } else if k == "public" {
                        // A key's public material is drawn at random.
                        Value::String("<key material>".into())
                    } else {
                        normalize(v)
                    };
                    (placeholders(k), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::String(s) => Value::String(placeholders(s)),
        other => other.clone(),
    }
}

/// `text` with every GUID as `<id>`, every 32-hex-digit run (key versions, instance ids) as
/// `<hex>`, every ISO 8601 date-time as `<time>` and the simulator's port as `<port>`.
pub fn placeholders(text: &str) -> String {
    let text = ids(text);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("localhost:") {
        let (head, tail) = rest.split_at(at + "localhost:".len());
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push_str("<port>");
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

fn ids(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let boundary = |j: usize| j >= b.len() || !b[j].is_ascii_alphanumeric();
    while i < b.len() {
        let start_ok = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if start_ok {
            if is_guid(&b[i..]) && boundary(i + 36) {
                out.push_str("<id>");
                i += 36;
                continue;
            }
            let hex = b[i..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
            if hex == 32 && boundary(i + 32) {
                out.push_str("<hex>");
                i += 32;
                continue;
            }
            if let Some(n) = date_time(&b[i..]) {
                out.push_str("<time>");
                i += n;
                continue;
            }
        }
        let c = text[i..].chars().next().unwrap_or_default();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

fn is_guid(b: &[u8]) -> bool {
    b.len() >= 36
        && b[..36].iter().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// The length of an ISO 8601 date-time at the start of `b` (`2026-01-31T12:00:00.123Z`).
fn date_time(b: &[u8]) -> Option<usize> {
    let shape = b"dddd-dd-ddTdd:dd";
    if b.len() < shape.len()
        || !shape.iter().zip(b).all(|(s, c)| match s {
            b'd' => c.is_ascii_digit(),
            other => other == c,
        })
    {
        return None;
    }
    let rest = b[shape.len()..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || b":.Z+-".contains(c))
        .count();
    Some(shape.len() + rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_versions_and_times_become_placeholders() {
        assert_eq!(
            placeholders(
                "/subscriptions/10000000-0000-4000-8000-0000000000a1/keys/cmk/0123456789abcdef0123456789ABCDEF at 2026-01-31T12:00:00.5Z"
            ),
            "/subscriptions/<id>/keys/cmk/<hex> at <time>"
        );
        assert_eq!(
            placeholders("https://kv.vault.localhost:39443/keys/cmk"),
            "https://kv.vault.localhost:<port>/keys/cmk"
        );
        assert_eq!(
            placeholders(
                "UserAssignedIdentity=/x&FederatedClientId=10000000-0000-4000-8000-0000000000d1"
            ),
            "UserAssignedIdentity=/x&FederatedClientId=<id>"
        );
        assert_eq!(placeholders("kv-fabrikam-cmk"), "kv-fabrikam-cmk");
        // A longer hex run is not a version.
        assert_eq!(
            placeholders(&"a".repeat(40)),
            "a".repeat(40),
            "only exactly 32 hex digits"
        );
    }
}
