//! Pacing: every request through one [`super::HttpStack`] to the same ARM subscription (per
//! operation type) or the same Graph tenant shares one view of what the service has left, so
//! many concurrent operations follow the refill rate instead of running into 429s; and a 429
//! holds every request to that scope until its `Retry-After` has passed, so N callers do not each
//! fire a retry at the same instant.
//!
//! ARM meters each subscription with token buckets per operation type and says how many tokens
//! are left in `x-ms-ratelimit-remaining-subscription-reads` / `-writes` / `-deletes`
//! (learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
//! A scope's estimate is the last count the service gave, less every request claimed since and
//! not yet answered, plus the refill the client assumes ([`PacingSettings`]); while it is unknown
//! (nothing answered yet), one request goes alone to learn it. Graph sends no count: its 429s
//! hold, and the queue behind a hold leaves at an assumed rate.
//!
//! A 429 also halves the rate the scope assumes (once per hold; [`RECOVER_AFTER`] answers in a
//! row undo a halving), so a wrong assumption, or another client draining the same bucket, costs
//! a few 429s rather than one per request.
//!
//! [`decide`] is the decision (how long a new request waits), a pure function; [`Pacer`] keeps
//! the scopes; [`PacingPolicy`] is the pipeline policy that claims, sends and settles.

use super::error::Service;
use super::retry::{Sleeper, retry_after};
use async_trait::async_trait;
use azure_core::http::policies::{Policy, PolicyResult};
use azure_core::http::{Context, Method, Request};
use azure_core::time::OffsetDateTime;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the client assumes about the services' buckets.
#[derive(Debug, Clone, PartialEq)]
pub struct PacingSettings {
    /// Tokens per second ARM adds back to a subscription's read bucket (Azure: 25).
    pub reads_per_second: f64,
    /// ... to its write bucket (Azure: 10).
    pub writes_per_second: f64,
    /// ... to its delete bucket (Azure: 10).
    pub deletes_per_second: f64,
    /// Requests per second to one Graph tenant after a 429, until the hold and the queue are
    /// through (Graph sends no count; 3,500 per 10 seconds per app and tenant is its smallest
    /// identity-and-access limit, learn.microsoft.com/graph/throttling-limits).
    pub graph_per_second: f64,
    /// Tokens left untouched (rounding, and other clients of the subscription).
    pub reserve: f64,
    /// How long a 429 without `Retry-After` holds its scope.
    pub default_hold: Duration,
    /// The longest hold, whatever a `Retry-After` says (the stack sets it to the retry
    /// policy's longest wait, so a hold never outlasts the retry it precedes).
    pub max_hold: Duration,
}

impl Default for PacingSettings {
    fn default() -> Self {
        Self {
            reads_per_second: 25.0,
            writes_per_second: 10.0,
            deletes_per_second: 10.0,
            graph_per_second: 350.0,
            reserve: 1.0,
            default_hold: Duration::from_secs(1),
            max_hold: Duration::from_secs(60),
        }
    }
}

impl PacingSettings {
    fn rate(&self, op: Op) -> f64 {
        match op {
            Op::Read => self.reads_per_second,
            Op::Write => self.writes_per_second,
            Op::Delete => self.deletes_per_second,
        }
    }
}

/// ARM's operation types (GET/HEAD read, DELETE deletes, anything else writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Read,
    Write,
    Delete,
}

impl Op {
    pub fn of(method: Method) -> Self {
        match method {
            Method::Get | Method::Head => Op::Read,
            Method::Delete => Op::Delete,
            _ => Op::Write,
        }
    }

    /// The header ARM reports this bucket's remaining tokens in.
    pub fn header(self) -> &'static str {
        match self {
            Op::Read => "x-ms-ratelimit-remaining-subscription-reads",
            Op::Write => "x-ms-ratelimit-remaining-subscription-writes",
            Op::Delete => "x-ms-ratelimit-remaining-subscription-deletes",
        }
    }
}

/// What requests are paced together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One ARM subscription (lowercase id) and operation type.
    Subscription(String, Op),
    /// Graph as signed in for one tenant.
    Graph(Option<String>),
}

impl Scope {
    /// The scope of an ARM request to `path`: subscription-scoped paths only.
    pub fn of_arm(path: &str, method: Method) -> Option<Scope> {
        let mut segments = path.trim_start_matches('/').split('/');
        let first = segments.next()?;
        let id = segments.next().filter(|s| !s.is_empty())?;
        first
            .eq_ignore_ascii_case("subscriptions")
            .then(|| Scope::Subscription(id.to_ascii_lowercase(), Op::of(method)))
    }

    /// Whether the service reports this scope's remaining tokens.
    fn metered(&self) -> bool {
        matches!(self, Scope::Subscription(..))
    }
}

/// One scope's view of its bucket.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BucketState {
    /// Tokens at `at` by the last count, less every request claimed since; `None` = no count yet.
    pub tokens: Option<f64>,
    pub at: Duration,
    /// The most tokens ever seen (a lower bound of the bucket's size): the estimate never refills
    /// past it.
    pub ceiling: f64,
    /// No request goes before this (the end of a 429's `Retry-After`).
    pub hold_until: Duration,
    /// Requests claimed (waiting or in flight) and not answered yet.
    pub pending: u32,
    /// Something was answered (a count or not).
    pub answered: bool,
    /// Halvings of the assumed rate, one per hold: a 429 means the bucket refills slower than
    /// assumed (or others drain it too).
    pub slowdown: u32,
    /// Answers since the last halving; every [`RECOVER_AFTER`] of them undo one.
    pub calm: u32,
    /// Bumped by every 429: claims made before it queue again.
    pub epoch: u64,
}

/// Counted answers in a row that undo one halving of the assumed rate.
pub const RECOVER_AFTER: u32 = 8;

/// The most halvings (1/64 of the assumed rate).
const MAX_SLOWDOWN: u32 = 6;

/// How long a request claimed at `now` waits before it goes: until the hold ends, and until the
/// estimate (refilled at the assumed `rate` per second, halved per slowdown) keeps `reserve`
/// tokens after it.
pub fn decide(state: &BucketState, now: Duration, rate: f64, reserve: f64) -> Duration {
    let rate = state.rate(rate);
    // Refill counts from the estimate's time, which a hold puts at its end.
    let start = now.max(state.at);
    let ready = match state.tokens {
        Some(tokens) if rate > 0.0 => {
            let short = reserve + 1.0 - available(state, tokens, start, rate);
            start + Duration::from_secs_f64(short.max(0.0) / rate)
        }
        _ => now,
    };
    ready.max(state.hold_until).saturating_sub(now)
}

/// The estimate refilled up to `now`, never past the ceiling (when one is known).
fn available(state: &BucketState, tokens: f64, now: Duration, rate: f64) -> f64 {
    let refilled = tokens + rate * now.saturating_sub(state.at).as_secs_f64();
    if state.ceiling > 0.0 {
        refilled.min(state.ceiling.max(tokens))
    } else {
        refilled
    }
}

impl BucketState {
    /// The assumed rate with this scope's slowdown.
    pub fn rate(&self, assumed: f64) -> f64 {
        assumed / f64::from(1u32 << self.slowdown.min(MAX_SLOWDOWN))
    }

    /// Counts a request as claimed at `now`: one token less.
    pub fn claim(&mut self, now: Duration, rate: f64) {
        let rate = self.rate(rate);
        if let Some(tokens) = self.tokens {
            let start = now.max(self.at);
            self.tokens = Some(available(self, tokens, start, rate) - 1.0);
            self.at = start;
        }
        self.pending += 1;
    }

    /// After a claim made in `epoch` waited until `now`: if a 429 reset the scope meanwhile,
    /// the claim queues again behind the hold (one by one, not all at its end) and its epoch
    /// becomes the current one; returns the new wait, zero when nothing was reset.
    pub fn requeue(&mut self, epoch: &mut u64, now: Duration, rate: f64, reserve: f64) -> Duration {
        if *epoch == self.epoch {
            return Duration::ZERO;
        }
        *epoch = self.epoch;
        self.pending = self.pending.saturating_sub(1);
        let wait = decide(self, now, rate, reserve);
        self.claim(now, rate);
        wait
    }

    /// Takes an answer at `now`: the count the service gave, or a 429's hold, after which the
    /// scope counts from nothing left at the hold's end (so the waiting requests leave one by
    /// one at the rate).
    pub fn settle(&mut self, now: Duration, answer: Answer, hold: &HoldRule) {
        self.pending = self.pending.saturating_sub(1);
        self.answered = true;
        let pending = self.pending as f64;
        match answer {
            Answer::Remaining(left) => {
                self.calm_answer();
                self.tokens = Some(left as f64 - pending);
                self.ceiling = self.ceiling.max(left as f64 + 1.0);
                self.at = now;
            }
            Answer::Throttled(wait) => {
                // One halving per hold: the other 429s of the same moment say nothing new.
                if now >= self.hold_until {
                    self.slowdown = (self.slowdown + 1).min(MAX_SLOWDOWN);
                }
                self.calm = 0;
                let wait = wait.unwrap_or(hold.default).min(hold.max);
                self.hold_until = self.hold_until.max(now + wait);
                // ARM's Retry-After is when a token is back: one request goes at the hold's end
                // (the reserve untouched), the others follow at the rate, and the claims still
                // waiting queue again (see `requeue`).
                self.tokens = Some(hold.reserve + 1.0);
                self.at = self.hold_until;
                self.epoch += 1;
            }
            Answer::Passed => self.calm_answer(),
            Answer::Lost => {}
        }
    }

    /// An answer that was not a 429: enough in a row undo one halving.
    fn calm_answer(&mut self) {
        self.calm += 1;
        if self.calm >= RECOVER_AFTER && self.slowdown > 0 {
            self.slowdown -= 1;
            self.calm = 0;
        }
    }
}

/// How a 429 holds its scope.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldRule {
    /// Without `Retry-After`.
    pub default: Duration,
    /// The longest.
    pub max: Duration,
    /// The tokens pacing keeps back ([`PacingSettings::reserve`]).
    pub reserve: f64,
}

impl PacingSettings {
    fn hold_rule(&self) -> HoldRule {
        HoldRule {
            default: self.default_hold,
            max: self.max_hold,
            reserve: self.reserve,
        }
    }
}

/// What an answer said about its scope's bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    Remaining(u32),
    /// A 429, with its `Retry-After` if it had one.
    Throttled(Option<Duration>),
    /// Answered without a count (Graph, or ARM without throttling headers).
    Passed,
    /// No answer (the connection failed, or the caller gave up waiting).
    Lost,
}

/// The scopes of one [`super::HttpStack`], shared by all its pipelines.
#[derive(Debug)]
pub struct Pacer {
    settings: PacingSettings,
    sleeper: Arc<dyn Sleeper>,
    scopes: Mutex<HashMap<Scope, BucketState>>,
    /// Wakes requests waiting for a scope's first answer.
    answered: tokio::sync::Notify,
}

impl Pacer {
    pub fn new(settings: PacingSettings, sleeper: Arc<dyn Sleeper>) -> Self {
        Self {
            settings,
            sleeper,
            scopes: Mutex::new(HashMap::new()),
            answered: tokio::sync::Notify::new(),
        }
    }

    /// A scope's current view (for tests and diagnostics).
    pub fn state(&self, scope: &Scope) -> Option<BucketState> {
        self.lock().get(scope).cloned()
    }

    fn rate(&self, scope: &Scope) -> f64 {
        match scope {
            Scope::Subscription(_, op) => self.settings.rate(*op),
            Scope::Graph(_) => self.settings.graph_per_second,
        }
    }

    /// Claims a slot in `scope`, waiting as [`decide`] says (or for the scope's first answer).
    pub async fn claim(self: &Arc<Self>, scope: Scope) -> Claim {
        let rate = self.rate(&scope);
        let (mut wait, mut epoch) = loop {
            let notified = self.answered.notified();
            {
                let now = self.sleeper.now();
                let mut scopes = self.lock();
                let state = scopes.entry(scope.clone()).or_default();
                // One request learns an unknown bucket's count before the others go.
                if !(scope.metered() && !state.answered && state.pending > 0) {
                    let wait = decide(state, now, rate, self.settings.reserve);
                    state.claim(now, rate);
                    break (wait, state.epoch);
                }
            }
            notified.await;
        };
        let claim = Claim {
            pacer: self.clone(),
            scope,
            settled: false,
        };
        while !wait.is_zero() {
            tracing::debug!(
                "pacing {:?}: waiting {:.2}s",
                claim.scope,
                wait.as_secs_f64()
            );
            self.sleeper.sleep(wait).await;
            let now = self.sleeper.now();
            wait = match self.lock().get_mut(&claim.scope) {
                Some(state) => state.requeue(&mut epoch, now, rate, self.settings.reserve),
                None => Duration::ZERO,
            };
        }
        claim
    }

    fn settle(&self, scope: &Scope, answer: Answer) {
        let now = self.sleeper.now();
        let mut scopes = self.lock();
        let state = scopes.entry(scope.clone()).or_default();
        let first = !state.answered;
        state.settle(now, answer, &self.settings.hold_rule());
        drop(scopes);
        if first {
            self.answered.notify_waiters();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Scope, BucketState>> {
        self.scopes.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A claimed slot; settled by its answer, or as unanswered when dropped without one.
#[derive(Debug)]
pub struct Claim {
    pacer: Arc<Pacer>,
    scope: Scope,
    settled: bool,
}

impl Claim {
    pub fn settle(mut self, answer: Answer) {
        self.settled = true;
        self.pacer.settle(&self.scope, answer);
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.settled {
            self.pacer.settle(&self.scope, Answer::Lost);
        }
    }
}

/// The pipeline policy: claims before each attempt (it runs after the retry policy), settles with
/// the answer.
#[derive(Debug, Clone)]
pub struct PacingPolicy {
    pacer: Arc<Pacer>,
    service: Service,
    tenant: Option<String>,
}

impl PacingPolicy {
    pub fn new(pacer: Arc<Pacer>, service: Service, tenant: Option<String>) -> Self {
        Self {
            pacer,
            service,
            tenant,
        }
    }

    fn scope(&self, request: &Request) -> Option<Scope> {
        match self.service {
            Service::Arm => Scope::of_arm(request.url().path(), request.method()),
            Service::Graph => Some(Scope::Graph(self.tenant.clone())),
            _ => None,
        }
    }
}

#[async_trait]
impl Policy for PacingPolicy {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        let Some(scope) = self.scope(request) else {
            return next[0].send(ctx, request, &next[1..]).await;
        };
        let header = match &scope {
            Scope::Subscription(_, op) => Some(op.header()),
            Scope::Graph(_) => None,
        };
        let claim = self.pacer.claim(scope).await;
        let result = next[0].send(ctx, request, &next[1..]).await;
        let answer = match &result {
            Ok(response) if u16::from(response.status()) == 429 => {
                Answer::Throttled(retry_after(response.headers(), OffsetDateTime::now_utc()))
            }
            Ok(response) => header
                .and_then(|h| response.headers().get_optional_str(&h.into()))
                .and_then(|v| v.trim().parse::<u32>().ok())
                .map_or(Answer::Passed, Answer::Remaining),
            Err(_) => Answer::Lost,
        };
        claim.settle(answer);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    const HOLD: HoldRule = HoldRule {
        default: Duration::from_secs(1),
        max: Duration::from_secs(60),
        reserve: 1.0,
    };

    #[test]
    fn unknown_buckets_do_not_wait() {
        assert_eq!(
            decide(&BucketState::default(), secs(5.0), 10.0, 1.0),
            Duration::ZERO
        );
    }

    #[test]
    fn requests_follow_the_refill_rate_once_the_bucket_is_low() {
        let mut s = BucketState::default();
        s.claim(secs(0.0), 2.0);
        s.settle(secs(0.0), Answer::Remaining(3), &HOLD);
        assert_eq!((s.tokens, s.ceiling), (Some(3.0), 4.0));
        // Three go at once (reserve 1 keeps one back), then one every half second.
        let mut waits = Vec::new();
        for _ in 0..5 {
            waits.push(decide(&s, secs(0.0), 2.0, 1.0));
            s.claim(secs(0.0), 2.0);
        }
        assert_eq!(
            waits,
            [0.0, 0.0, 0.5, 1.0, 1.5].map(secs).to_vec(),
            "a queue at the refill rate"
        );
        assert_eq!(s.pending, 5);
        // A later count replaces the estimate, less what is still pending.
        s.settle(secs(1.0), Answer::Remaining(1), &HOLD);
        assert_eq!(s.tokens, Some(1.0 - 4.0));
        assert_eq!(decide(&s, secs(1.0), 2.0, 1.0), secs(2.5));
        // The estimate never refills past the largest count seen.
        assert_eq!(decide(&s, secs(100.0), 2.0, 1.0), Duration::ZERO);
        s.claim(secs(100.0), 2.0);
        assert_eq!(s.tokens, Some(3.0));
    }

    #[test]
    fn a_429_holds_the_scope_for_its_retry_after() {
        let mut s = BucketState::default();
        for _ in 0..4 {
            s.claim(secs(10.0), 10.0);
        }
        s.settle(
            secs(10.0),
            Answer::Throttled(Some(Duration::from_secs(2))),
            &HOLD,
        );
        assert_eq!(s.hold_until, secs(12.0));
        assert_eq!((s.tokens, s.at, s.slowdown), (Some(2.0), secs(12.0), 1));
        // One request goes when the hold ends; the next one a refill (at the halved rate, 5/s)
        // later: no burst at 12s.
        assert_eq!(decide(&s, secs(10.0), 10.0, 1.0), secs(2.0));
        s.claim(secs(10.0), 10.0);
        assert_eq!(decide(&s, secs(10.0), 10.0, 1.0), secs(2.2));
        // A hold never outlasts the longest wait.
        let mut h = BucketState::default();
        h.settle(
            secs(0.0),
            Answer::Throttled(Some(Duration::from_secs(600))),
            &HOLD,
        );
        assert_eq!(h.hold_until, secs(60.0));
        // Graph: no count, the default hold, then the assumed rate, halved: 2 per second.
        let mut g = BucketState::default();
        g.claim(secs(0.0), 4.0);
        g.claim(secs(0.0), 4.0);
        g.settle(secs(0.0), Answer::Throttled(None), &HOLD);
        assert_eq!((g.tokens, g.slowdown), (Some(2.0), 1));
        assert_eq!(decide(&g, secs(0.5), 4.0, 1.0), secs(0.5));
        assert_eq!(decide(&g, secs(1.0), 4.0, 1.0), Duration::ZERO);
        // A second 429 during the hold does not halve again; counts in a row undo the halving.
        g.claim(secs(0.5), 4.0);
        g.settle(secs(0.5), Answer::Throttled(None), &HOLD);
        assert_eq!(g.slowdown, 1);
        for _ in 0..RECOVER_AFTER {
            g.claim(secs(9.0), 4.0);
            g.settle(secs(9.0), Answer::Remaining(100), &HOLD);
        }
        assert_eq!(g.slowdown, 0);
    }

    #[test]
    fn a_claim_waiting_when_a_hold_begins_queues_again_behind_it() {
        let mut s = BucketState {
            tokens: Some(0.0),
            ceiling: 10.0,
            ..BucketState::default()
        };
        // Three claims queued at 10/s, then a 429 holds the scope for 2s.
        let waits: Vec<Duration> = (0..3)
            .map(|_| {
                let w = decide(&s, secs(0.0), 10.0, 0.0);
                s.claim(secs(0.0), 10.0);
                w
            })
            .collect();
        assert_eq!(waits, [0.1, 0.2, 0.3].map(secs).to_vec());
        let before = s.epoch;
        s.settle(
            secs(0.05),
            Answer::Throttled(Some(Duration::from_secs(2))),
            &HoldRule {
                reserve: 0.0,
                ..HOLD
            },
        );
        // Each waking claim queues again behind the hold, one slot apart at the halved rate.
        let again: Vec<Duration> = [0.1, 0.2, 0.3]
            .map(|t| secs(t) + s.requeue(&mut before.clone(), secs(t), 10.0, 0.0))
            .to_vec();
        let expected = [2.05, 2.25, 2.45].map(secs).to_vec();
        for (got, want) in again.iter().zip(&expected) {
            assert!(got.abs_diff(*want) < Duration::from_micros(1), "{again:?}");
        }
        assert_eq!(
            s.pending, 2,
            "the 429's claim was settled, the others still count"
        );
        let mut current = s.epoch;
        assert_eq!(
            s.requeue(&mut current, secs(0.3), 10.0, 0.0),
            Duration::ZERO
        );
    }

    #[test]
    fn scopes_of_arm_paths() {
        assert_eq!(
            Scope::of_arm("/subscriptions/ABC/resourceGroups/rg", Method::Put),
            Some(Scope::Subscription("abc".into(), Op::Write))
        );
        assert_eq!(
            Scope::of_arm("/subscriptions/abc/x", Method::Delete),
            Some(Scope::Subscription("abc".into(), Op::Delete))
        );
        assert_eq!(Scope::of_arm("/subscriptions", Method::Get), None);
        assert_eq!(Scope::of_arm("/providers/x", Method::Get), None);
    }

    #[derive(Debug, Default)]
    struct Recorder(Mutex<Vec<Duration>>);

    #[async_trait]
    impl Sleeper for Recorder {
        async fn sleep(&self, requested: Duration) {
            self.0.lock().unwrap().push(requested);
        }
        fn now(&self) -> Duration {
            Duration::ZERO
        }
    }

    #[tokio::test]
    async fn the_first_request_learns_the_count_alone_and_a_dropped_claim_frees_the_scope() {
        let sleeper = Arc::new(Recorder::default());
        let pacer = Arc::new(Pacer::new(PacingSettings::default(), sleeper.clone()));
        let scope = Scope::Subscription("s".into(), Op::Write);
        let first = pacer.claim(scope.clone()).await;
        let waiting = tokio::spawn({
            let pacer = pacer.clone();
            let scope = scope.clone();
            async move { pacer.claim(scope).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "waits for the first answer");
        drop(first);
        let second = waiting.await.unwrap();
        assert_eq!(pacer.state(&scope).unwrap().pending, 1);
        second.settle(Answer::Remaining(0));
        // Now counted: nothing left and a reserve of 1 means a wait of 2 tokens at 10/s.
        let _third = pacer.claim(scope.clone()).await;
        assert_eq!(sleeper.0.lock().unwrap().clone(), vec![secs(0.2)]);
    }
}
