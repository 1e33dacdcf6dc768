//! Replication delay: an object created by a write stays invisible to reads for a while — a time
//! span, or a number of reads — as Entra and ARM replicas lag behind the one that took the write.
//! Write handlers call [`Replication::created`]; read handlers ask [`Replication::visible`].
//! In zero-delay mode time spans count as zero; read counts still apply.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// New objects of `object` kind (see [`crate::state::kinds`], `*` = every kind) are invisible
/// for `delay_ms` and/or for their first `reads` reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicationRule {
    pub object: String,
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default)]
    pub reads: u32,
}

impl ReplicationRule {
    pub fn reads(object: &str, reads: u32) -> Self {
        Self {
            object: object.into(),
            delay_ms: 0,
            reads,
        }
    }

    pub fn delay(object: &str, delay: Duration) -> Self {
        Self {
            object: object.into(),
            delay_ms: delay.as_millis() as u64,
            reads: 0,
        }
    }
}

#[derive(Debug)]
struct Hidden {
    until: Option<Instant>,
    reads_left: u32,
}

#[derive(Debug, Default)]
struct Inner {
    rules: Vec<ReplicationRule>,
    hidden: HashMap<(String, String), Hidden>,
    /// Every kind of object a write created, rule or not (so a test can delay each in turn).
    kinds: std::collections::BTreeSet<String>,
}

#[derive(Debug, Default)]
pub struct Replication {
    zero_delay: bool,
    inner: Mutex<Inner>,
}

impl Replication {
    pub fn new(zero_delay: bool) -> Self {
        Self {
            zero_delay,
            inner: Mutex::default(),
        }
    }

    pub fn add(&self, rule: ReplicationRule) {
        self.lock().rules.push(rule);
    }

    pub fn rules(&self) -> Vec<ReplicationRule> {
        self.lock().rules.clone()
    }

    /// Forgets the rules and makes every object visible.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.rules.clear();
        inner.hidden.clear();
    }

    /// The kinds of object writes have created so far.
    pub fn kinds_created(&self) -> Vec<String> {
        self.lock().kinds.iter().cloned().collect()
    }

    /// A write created object `key` of `kind`: hide it if a rule says so.
    pub fn created(&self, kind: &str, key: &str) {
        let mut inner = self.lock();
        inner.kinds.insert(kind.to_string());
        let Some(rule) = inner
            .rules
            .iter()
            .rev()
            .find(|r| r.object == "*" || r.object.eq_ignore_ascii_case(kind))
            .cloned()
        else {
            return;
        };
        let delay = if self.zero_delay { 0 } else { rule.delay_ms };
        if delay == 0 && rule.reads == 0 {
            return;
        }
        inner.hidden.insert(
            (kind.to_ascii_lowercase(), key.to_ascii_lowercase()),
            Hidden {
                until: (delay > 0).then(|| Instant::now() + Duration::from_millis(delay)),
                reads_left: rule.reads,
            },
        );
    }

    /// Whether a read sees object `key` of `kind` (a hidden object's read is counted).
    pub fn visible(&self, kind: &str, key: &str) -> bool {
        let mut inner = self.lock();
        let id = (kind.to_ascii_lowercase(), key.to_ascii_lowercase());
        let Some(hidden) = inner.hidden.get_mut(&id) else {
            return true;
        };
        let time_hides = hidden.until.is_some_and(|t| Instant::now() < t);
        let reads_hide = hidden.reads_left > 0;
        hidden.reads_left = hidden.reads_left.saturating_sub(1);
        if time_hides || reads_hide {
            return false;
        }
        inner.hidden.remove(&id);
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_for_a_number_of_reads() {
        let r = Replication::new(true);
        r.created("key", "kv/k1");
        assert!(r.visible("key", "kv/k1"), "no rule, no delay");
        r.add(ReplicationRule::reads("key", 2));
        r.add(ReplicationRule::delay(
            "resourceGroup",
            Duration::from_secs(60),
        ));
        r.created("key", "kv/k2");
        r.created("resourceGroup", "rg");
        assert!(!r.visible("KEY", "KV/K2"));
        assert!(!r.visible("key", "kv/k2"));
        assert!(r.visible("key", "kv/k2"));
        assert!(
            r.visible("resourceGroup", "rg"),
            "zero-delay mode ignores time spans"
        );
    }

    #[test]
    fn hides_for_a_time_span() {
        let r = Replication::new(false);
        r.add(ReplicationRule::delay("*", Duration::from_secs(60)));
        r.created("deployment", "d1");
        assert!(!r.visible("deployment", "d1"));
        assert!(!r.visible("deployment", "d1"));
        r.clear();
        assert!(r.visible("deployment", "d1"));
    }
}
