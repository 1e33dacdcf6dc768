//! The simulator's clock: real time by default, or a clock a test moves by hand, so token
//! buckets refill deterministically without sleeping.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Time since the clock's start.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Duration;

    /// A request was throttled, and its bucket is full again at `full` (on this clock): a
    /// zero-delay clock moves on to there, since zero-delay clients retry without sleeping;
    /// other clocks ignore it.
    fn throttled(&self, full: Duration) {
        let _ = full;
    }
}

/// Real monotonic time since the simulator started.
#[derive(Debug)]
pub struct SystemClock(Instant);

impl Default for SystemClock {
    fn default() -> Self {
        Self(Instant::now())
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// A clock that stands still until [`ManualClock::advance`].
#[derive(Debug, Default)]
pub struct ManualClock(Mutex<Duration>);

impl ManualClock {
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Real time plus the skips that put it, at each 429, where the throttled bucket is full again
/// (zero-delay mode): clients that record their waits instead of sleeping, and so retry at once
/// and in no order, find a full bucket rather than the one token a `Retry-After` buys, so one
/// caller is very unlikely to lose every attempt to the others. 429s of the same moment move it
/// once. Deterministic tests use [`crate::virtual_time::VirtualTime`] instead.
#[derive(Debug, Default)]
pub struct ZeroDelayClock {
    real: SystemClock,
    skipped: Mutex<Duration>,
}

impl Clock for ZeroDelayClock {
    fn now(&self) -> Duration {
        self.real.now() + *self.skipped.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn throttled(&self, full: Duration) {
        let mut skipped = self.skipped.lock().unwrap_or_else(|p| p.into_inner());
        let current = self.real.now() + *skipped;
        *skipped += full.saturating_sub(current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_delay_clock_moves_to_where_the_bucket_is_full_once() {
        let clock = ZeroDelayClock::default();
        let start = clock.now();
        clock.throttled(start + Duration::from_secs(5));
        assert!(clock.now() >= start + Duration::from_secs(5));
        // Another 429 of the same moment: the bucket is full at the same time, nothing more.
        clock.throttled(start + Duration::from_secs(5));
        assert!(clock.now() < start + Duration::from_secs(9));
    }
}
