//! The simulator's clock: real time by default, or a clock a test moves by hand, so token
//! buckets refill deterministically without sleeping.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Time since the clock's start.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Duration;

    /// A request was throttled, and its bucket is full again after `refill`: a zero-delay clock
    /// moves on by that, since zero-delay clients retry without sleeping; other clocks ignore it.
    fn throttled(&self, refill: Duration) {
        let _ = refill;
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

/// Real time plus, for every 429, the time its bucket takes to fill up again (zero-delay mode):
/// clients that record their waits instead of sleeping, and so retry at once, in no order, find a
/// full bucket. Moving on by only the `Retry-After` buys one token, and a crowd of callers larger
/// than the bucket could then starve one of them through all its attempts.
#[derive(Debug, Default)]
pub struct ZeroDelayClock {
    real: SystemClock,
    skipped: Mutex<Duration>,
}

impl Clock for ZeroDelayClock {
    fn now(&self) -> Duration {
        self.real.now() + *self.skipped.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn throttled(&self, refill: Duration) {
        *self.skipped.lock().unwrap_or_else(|p| p.into_inner()) += refill;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_delay_clock_moves_on_by_every_refill() {
        let clock = ZeroDelayClock::default();
        let start = clock.now();
        clock.throttled(Duration::from_secs(5));
        assert!(clock.now() >= start + Duration::from_secs(5));
        clock.throttled(Duration::from_secs(2));
        assert!(clock.now() >= start + Duration::from_secs(7));
    }

    #[test]
    fn a_real_clock_ignores_waits() {
        let clock = SystemClock::default();
        clock.throttled(Duration::from_secs(3600));
        assert!(clock.now() < Duration::from_secs(3600));
    }
}
