//! The simulator's clock: real time by default, or a clock a test moves by hand, so token
//! buckets refill deterministically without sleeping.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Time since the clock's start.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Duration;

    /// A client was told to wait until `until` (a 429's `Retry-After`): a zero-delay clock jumps
    /// there, since zero-delay clients retry without sleeping; other clocks ignore it.
    fn waited_until(&self, until: Duration) {
        let _ = until;
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

/// Real time plus every wait a throttled client was told to make (zero-delay mode): clients that
/// record their waits instead of sleeping still find the bucket refilled when they retry, and
/// time moves only as far as the demand needs.
#[derive(Debug, Default)]
pub struct ZeroDelayClock {
    real: SystemClock,
    skipped: Mutex<Duration>,
}

impl Clock for ZeroDelayClock {
    fn now(&self) -> Duration {
        self.real.now() + *self.skipped.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn waited_until(&self, until: Duration) {
        let mut skipped = self.skipped.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.real.now() + *skipped;
        *skipped += until.saturating_sub(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_delay_clock_jumps_to_the_end_of_a_wait_once() {
        let clock = ZeroDelayClock::default();
        let start = clock.now();
        clock.waited_until(start + Duration::from_secs(5));
        assert!(clock.now() >= start + Duration::from_secs(5));
        // A wait that already ended moves nothing.
        clock.waited_until(start + Duration::from_secs(2));
        assert!(clock.now() < start + Duration::from_secs(6));
    }
}
