//! Virtual time shared by the simulator and the tools in one test: the simulator's buckets refill
//! by it ([`crate::clock::Clock`]) and the HTTP stack's waits pass in it ([`xtcmk::http::Sleeper`]),
//! so throttling tests are deterministic and take no real time.
//!
//! Time moves like a discrete-event simulation: each task that drives requests is a participant
//! ([`VirtualTime::enter`]); when every participant is asleep, the clock jumps to the earliest
//! wake-up and wakes that sleeper. A participant waiting for an answer is awake, so time stands
//! still while requests are in flight.
//!
//! ```no_run
//! # async fn demo(sim_options: xtcmk_sim::SimOptions) {
//! use xtcmk_sim::virtual_time::VirtualTime;
//! let time = VirtualTime::new();
//! // SimOptions { clock: Some(time.clone()), .. } and HttpStack::builder(..).sleeper(time.clone())
//! let tasks = (0..8).map(|_| time.run(async { /* an operation through the stack */ }));
//! futures::future::join_all(tasks).await;
//! # }
//! ```

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

#[derive(Debug, Default)]
struct State {
    now: Duration,
    /// Participants not asleep.
    active: usize,
    next_id: u64,
    sleepers: BTreeMap<(Duration, u64), oneshot::Sender<()>>,
}

impl State {
    /// Wakes the earliest sleeper while nobody is awake.
    fn advance(&mut self) {
        while self.active == 0 {
            let Some(((at, _), wake)) = self.sleepers.pop_first() else {
                return;
            };
            self.now = self.now.max(at);
            self.active += 1;
            if wake.send(()).is_err() {
                // Its sleep was cancelled: nobody to wake.
                self.active -= 1;
            }
        }
    }
}

/// A clock that moves only when every participant sleeps.
#[derive(Debug, Default)]
pub struct VirtualTime {
    state: Mutex<State>,
}

/// A participating task; leaves when dropped.
#[derive(Debug)]
pub struct Participant(Arc<VirtualTime>);

impl Drop for Participant {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.active -= 1;
        state.advance();
    }
}

impl VirtualTime {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Joins the calling task as a participant until the guard drops.
    pub fn enter(self: &Arc<Self>) -> Participant {
        self.lock().active += 1;
        Participant(self.clone())
    }

    /// Runs `work` as a participant (joined now, left when it ends).
    pub fn run<F: Future>(self: &Arc<Self>, work: F) -> impl Future<Output = F::Output> + use<F> {
        let participant = self.enter();
        async move {
            let out = work.await;
            drop(participant);
            out
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl xtcmk::http::Sleeper for VirtualTime {
    async fn sleep(&self, requested: Duration) {
        if requested.is_zero() {
            return;
        }
        let (wake, woken) = oneshot::channel();
        {
            let mut state = self.lock();
            let id = state.next_id;
            state.next_id += 1;
            let at = state.now + requested;
            state.sleepers.insert((at, id), wake);
            state.active = state.active.saturating_sub(1);
            state.advance();
        }
        let _ = woken.await;
    }

    fn now(&self) -> Duration {
        self.lock().now
    }
}

impl crate::clock::Clock for VirtualTime {
    fn now(&self) -> Duration {
        self.lock().now
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xtcmk::http::Sleeper;

    #[tokio::test]
    async fn time_jumps_to_the_earliest_wake_up_when_all_sleep() {
        let time = VirtualTime::new();
        let order = Arc::new(Mutex::new(Vec::new()));
        let task = |secs: u64| {
            let time2 = time.clone();
            let order = order.clone();
            time.run(async move {
                time2.sleep(Duration::from_secs(secs)).await;
                order
                    .lock()
                    .unwrap()
                    .push((secs, Sleeper::now(&*time2).as_secs()));
            })
        };
        let (a, b, c) = (task(3), task(1), task(2));
        futures::join!(a, b, c);
        assert_eq!(*order.lock().unwrap(), vec![(1, 1), (2, 2), (3, 3)]);
        assert_eq!(Sleeper::now(&*time), Duration::from_secs(3));
    }
}
