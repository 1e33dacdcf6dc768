//! Throttling as ARM and Graph do it: token buckets, a 429 with `Retry-After` when one is
//! empty, and (ARM) the remaining tokens in a header on every answer. Off unless asked for
//! ([`crate::SimOptions::throttle`], `xtcmk-sim serve --throttle`).
//!
//! ARM: one bucket per subscription and operation type; reads hold 250 and refill 25 per
//! second, writes and deletes hold 200 and refill 10 per second (learn.microsoft.com/azure/
//! azure-resource-manager/management/request-limits-and-throttling, "Regional throttling and
//! token bucket algorithm"). GET/HEAD are reads, DELETE a delete, every other method a write.
//! Tenant-level requests (no `/subscriptions/{id}` in the path) are not metered here.
//!
//! Graph: one bucket per app and tenant (learn.microsoft.com/graph/throttling-limits, identity
//! and access limits are "per app per tenant"), every request one token.

use crate::clock::Clock;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A token bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BucketLimit {
    pub capacity: u32,
    pub refill_per_second: f64,
}

impl BucketLimit {
    pub const fn new(capacity: u32, refill_per_second: f64) -> Self {
        Self {
            capacity,
            refill_per_second,
        }
    }
}

/// ARM's per-subscription buckets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArmLimits {
    pub reads: BucketLimit,
    pub writes: BucketLimit,
    pub deletes: BucketLimit,
}

impl ArmLimits {
    /// Azure's documented subscription limits (see the module documentation).
    pub const AZURE: ArmLimits = ArmLimits {
        reads: BucketLimit::new(250, 25.0),
        writes: BucketLimit::new(200, 10.0),
        deletes: BucketLimit::new(200, 10.0),
    };

    /// The same bucket for every operation type (tests use tiny ones).
    pub const fn uniform(limit: BucketLimit) -> Self {
        Self {
            reads: limit,
            writes: limit,
            deletes: limit,
        }
    }

    fn of(&self, op: ArmOp) -> BucketLimit {
        match op {
            ArmOp::Read => self.reads,
            ArmOp::Write => self.writes,
            ArmOp::Delete => self.deletes,
        }
    }
}

/// Which throttles are on. The default is none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThrottleOptions {
    pub arm: Option<ArmLimits>,
    pub graph: Option<BucketLimit>,
}

impl ThrottleOptions {
    /// Graph's bucket under `--throttle`: 3,500 per 10 seconds per app and tenant, the identity
    /// and access limit of the smallest tenant size (learn.microsoft.com/graph/throttling-limits).
    pub const GRAPH: BucketLimit = BucketLimit::new(3500, 350.0);

    /// ARM's documented limits and Graph's [`ThrottleOptions::GRAPH`].
    pub fn azure() -> Self {
        Self {
            arm: Some(ArmLimits::AZURE),
            graph: Some(Self::GRAPH),
        }
    }

    pub fn is_on(&self) -> bool {
        self.arm.is_some() || self.graph.is_some()
    }
}

/// ARM's operation types, each with its own bucket and header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArmOp {
    Read,
    Write,
    Delete,
}

impl ArmOp {
    pub fn of_method(method: &http::Method) -> Self {
        match *method {
            http::Method::GET | http::Method::HEAD => ArmOp::Read,
            http::Method::DELETE => ArmOp::Delete,
            _ => ArmOp::Write,
        }
    }

    /// The header ARM puts on the answers of this operation type (the page above, "Remaining
    /// requests": reads on read operations, writes on write operations, deletes on deletes).
    pub fn header(self) -> &'static str {
        match self {
            ArmOp::Read => "x-ms-ratelimit-remaining-subscription-reads",
            ArmOp::Write => "x-ms-ratelimit-remaining-subscription-writes",
            ArmOp::Delete => "x-ms-ratelimit-remaining-subscription-deletes",
        }
    }

    /// The word ARM's throttling message uses.
    pub fn word(self) -> &'static str {
        match self {
            ArmOp::Read => "read",
            ArmOp::Write => "write",
            ArmOp::Delete => "delete",
        }
    }
}

/// The subscription id (lowercase) of a subscription-scoped ARM path.
pub fn subscription_of(path: &str) -> Option<String> {
    let mut segments = path.trim_start_matches('/').split('/');
    let first = segments.next()?;
    let id = segments.next().filter(|s| !s.is_empty())?;
    first
        .eq_ignore_ascii_case("subscriptions")
        .then(|| id.to_ascii_lowercase())
}

/// What a bucket said about one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Let through; this many tokens are left.
    Admitted { remaining: u32 },
    /// Empty: a token is back after this long.
    Throttled { retry_after: Duration },
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Duration,
}

impl Bucket {
    fn full(limit: BucketLimit, now: Duration) -> Self {
        Self {
            tokens: limit.capacity as f64,
            at: now,
        }
    }

    /// How long the bucket takes to fill up from where it is; `None` if it never refills.
    fn until_full(&self, limit: BucketLimit) -> Option<Duration> {
        let short = (limit.capacity as f64 - self.tokens).max(0.0);
        (limit.refill_per_second > 0.0)
            .then(|| Duration::from_secs_f64(short / limit.refill_per_second))
    }

    fn take(&mut self, limit: BucketLimit, now: Duration) -> Verdict {
        let elapsed = now.saturating_sub(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * limit.refill_per_second).min(limit.capacity as f64);
        self.at = now.max(self.at);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Verdict::Admitted {
                remaining: self.tokens.floor() as u32,
            }
        } else if limit.refill_per_second > 0.0 {
            Verdict::Throttled {
                retry_after: Duration::from_secs_f64((1.0 - self.tokens) / limit.refill_per_second),
            }
        } else {
            Verdict::Throttled {
                retry_after: Duration::from_secs(3600),
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Arm(String, ArmOp),
    Graph(String),
}

/// The buckets of a running simulator.
#[derive(Debug)]
pub struct Throttle {
    clock: Arc<dyn Clock>,
    inner: Mutex<(ThrottleOptions, HashMap<Key, Bucket>)>,
}

impl Throttle {
    pub fn new(options: ThrottleOptions, clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            inner: Mutex::new((options, HashMap::new())),
        }
    }

    pub fn options(&self) -> ThrottleOptions {
        self.lock().0
    }

    /// Replaces the limits; every bucket starts full again.
    pub fn set(&self, options: ThrottleOptions) {
        *self.lock() = (options, HashMap::new());
    }

    /// The simulator's time (what buckets refill by).
    pub fn now(&self) -> Duration {
        self.clock.now()
    }

    /// Takes a token for an ARM request of `op` on `subscription`; `None` when ARM is not
    /// throttled.
    pub fn arm(&self, subscription: &str, op: ArmOp) -> Option<Verdict> {
        let limit = self.lock().0.arm?.of(op);
        Some(self.take(Key::Arm(subscription.to_string(), op), limit))
    }

    /// Takes a token for a Graph request of `app` in `tenant`; `None` when Graph is not throttled.
    pub fn graph(&self, tenant: &str, app: &str) -> Option<Verdict> {
        let limit = self.lock().0.graph?;
        Some(self.take(Key::Graph(format!("{tenant}/{app}")), limit))
    }

    fn take(&self, key: Key, limit: BucketLimit) -> Verdict {
        let now = self.clock.now();
        let (verdict, until_full) = {
            let mut inner = self.lock();
            let bucket = inner
                .1
                .entry(key)
                .or_insert_with(|| Bucket::full(limit, now));
            (bucket.take(limit, now), bucket.until_full(limit))
        };
        // A bucket that never refills stays empty, however far the clock moves.
        if let (Verdict::Throttled { .. }, Some(until_full)) = (verdict, until_full) {
            self.clock.throttled(now + until_full);
        }
        verdict
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (ThrottleOptions, HashMap<Key, Bucket>)> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `Retry-After` in whole seconds, rounded up, at least 1 (RFC 9110 §10.2.3 delta-seconds).
pub fn retry_after_seconds(wait: Duration) -> u64 {
    (wait.as_secs_f64().ceil() as u64).max(1)
}

/// ARM's message for an empty subscription bucket, worded as ARM's token-bucket 429s are quoted
/// in public bug reports (`SubscriptionRequestsThrottled`, "... after additional tokens are
/// available. Refer to `https://aka.ms/arm-throttling` ...").
pub fn arm_message(op: ArmOp, subscription: &str, actor: &str, seconds: u64) -> String {
    format!(
        "Number of '{}' requests for subscription '{subscription}' actor '{actor}' exceeded. Please try again after '{seconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.",
        op.word()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn a_bucket_empties_then_refills_at_its_rate() {
        let clock = Arc::new(ManualClock::default());
        let t = Throttle::new(
            ThrottleOptions {
                arm: Some(ArmLimits::uniform(BucketLimit::new(2, 0.5))),
                graph: None,
            },
            clock.clone(),
        );
        assert_eq!(
            t.arm("s", ArmOp::Read),
            Some(Verdict::Admitted { remaining: 1 })
        );
        assert_eq!(
            t.arm("s", ArmOp::Read),
            Some(Verdict::Admitted { remaining: 0 })
        );
        assert_eq!(
            t.arm("s", ArmOp::Read),
            Some(Verdict::Throttled {
                retry_after: Duration::from_secs(2)
            })
        );
        // Writes have their own bucket; another subscription too.
        assert!(matches!(
            t.arm("s", ArmOp::Write),
            Some(Verdict::Admitted { .. })
        ));
        assert!(matches!(
            t.arm("other", ArmOp::Read),
            Some(Verdict::Admitted { .. })
        ));
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            t.arm("s", ArmOp::Read),
            Some(Verdict::Throttled {
                retry_after: Duration::from_secs(1)
            })
        );
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            t.arm("s", ArmOp::Read),
            Some(Verdict::Admitted { remaining: 0 })
        );
        // Never more than the capacity.
        clock.advance(Duration::from_secs(3600));
        assert_eq!(
            t.arm("s", ArmOp::Read),
            Some(Verdict::Admitted { remaining: 1 })
        );
        assert_eq!(t.graph("t", "a"), None);
    }

    #[test]
    fn in_zero_delay_mode_a_429_leaves_a_full_bucket_for_the_retries() {
        let t = Throttle::new(
            ThrottleOptions {
                arm: Some(ArmLimits::uniform(BucketLimit::new(4, 2.0))),
                graph: None,
            },
            Arc::new(crate::clock::ZeroDelayClock::default()),
        );
        let take = || t.arm("s", ArmOp::Read).unwrap();
        for _ in 0..4 {
            assert!(matches!(take(), Verdict::Admitted { .. }));
        }
        assert!(matches!(take(), Verdict::Throttled { .. }));
        // The clock moved to where the bucket is full: four callers retrying at once all pass.
        for left in (0..4).rev() {
            assert_eq!(take(), Verdict::Admitted { remaining: left });
        }
        // A bucket that never refills stays empty: the clock does not move for it.
        let never = Throttle::new(
            ThrottleOptions {
                arm: Some(ArmLimits::uniform(BucketLimit::new(1, 0.0))),
                graph: None,
            },
            Arc::new(crate::clock::ZeroDelayClock::default()),
        );
        assert!(matches!(
            never.arm("s", ArmOp::Read),
            Some(Verdict::Admitted { .. })
        ));
        assert!(matches!(
            never.arm("s", ArmOp::Read),
            Some(Verdict::Throttled { .. })
        ));
        assert!(never.now() < Duration::from_secs(60));
    }

    #[test]
    fn paths_and_headers() {
        assert_eq!(
            subscription_of("/subscriptions/ABC/resourceGroups/rg").as_deref(),
            Some("abc")
        );
        assert_eq!(
            subscription_of("/subscriptions/abc").as_deref(),
            Some("abc")
        );
        assert_eq!(subscription_of("/subscriptions"), None);
        assert_eq!(subscription_of("/providers/Microsoft.Resources"), None);
        assert_eq!(retry_after_seconds(Duration::from_millis(40)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(2100)), 3);
        assert_eq!(
            ArmOp::of_method(&http::Method::DELETE).header(),
            "x-ms-ratelimit-remaining-subscription-deletes"
        );
        assert_eq!(ArmOp::of_method(&http::Method::POST), ArmOp::Write);
    }
}
