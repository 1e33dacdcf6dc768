//! Fault steps that act once the service has handled a request (see [`crate::faults::Step`]):
//! the answer held until a test releases it, and a long-running operation slowed down. The
//! dropped answer needs nothing here: the dispatcher closes the connection instead of answering.

use crate::state::State;
use std::collections::BTreeSet;
use tokio::sync::watch;

/// Answers held by [`crate::faults::Step::CommitThenHold`] (a test control, not Azure behaviour):
/// how many were held so far, and a release generation the held answers wait on.
#[derive(Debug)]
pub struct Holds {
    reached: watch::Sender<u64>,
    release: watch::Sender<u64>,
}

impl Default for Holds {
    fn default() -> Self {
        Self {
            reached: watch::channel(0).0,
            release: watch::channel(0).0,
        }
    }
}

impl Holds {
    /// Holds the current answer until [`Holds::release`] (the server's shutdown also ends it).
    pub async fn hold(&self) {
        // Subscribed before counting, so a release right after the count is not missed.
        let mut released = self.release.subscribe();
        self.reached.send_modify(|n| *n += 1);
        let _ = released.changed().await;
    }

    /// How many answers have been held so far (released or not).
    pub fn reached(&self) -> u64 {
        *self.reached.borrow()
    }

    /// Waits until at least `n` answers have been held.
    pub async fn wait_reached(&self, n: u64) {
        let mut reached = self.reached.subscribe();
        let _ = reached.wait_for(|held| *held >= n).await;
    }

    /// Lets every answer held so far go.
    pub fn release(&self) {
        self.release.send_modify(|generation| *generation += 1);
    }
}

/// The ids of the long-running operations in `state` (taken before a request is handled).
pub fn operation_ids(state: &State) -> BTreeSet<String> {
    state.operations.keys().cloned().collect()
}

/// Every operation started since `before` reports its in-progress step `polls` more times before
/// its last step; returns how many operations were slowed.
pub fn slow_down(state: &mut State, before: &BTreeSet<String>, polls: u32) -> usize {
    let mut slowed = 0;
    for op in state.operations.values_mut() {
        if before.contains(&op.id) || op.steps.len() < 2 {
            continue;
        }
        let last = op.steps.len() - 1;
        let in_progress = op.steps[last - 1].clone();
        for _ in 0..polls {
            op.steps.insert(last, in_progress.clone());
        }
        slowed += 1;
    }
    slowed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Operation;

    #[test]
    fn slows_only_new_operations_before_their_last_step() {
        let mut state = State::default();
        for id in ["old", "new"] {
            state.operations.insert(
                id.into(),
                Operation {
                    id: id.into(),
                    resource_key: "r".into(),
                    steps: vec!["Creating".into(), "Succeeded".into()],
                    polls: 0,
                    error: None,
                },
            );
        }
        let before: BTreeSet<String> = ["old".to_string()].into();
        assert_eq!(slow_down(&mut state, &before, 2), 1);
        assert_eq!(
            state.operations["new"].steps,
            ["Creating", "Creating", "Creating", "Succeeded"]
        );
        assert_eq!(state.operations["old"].steps, ["Creating", "Succeeded"]);
    }

    #[tokio::test]
    async fn a_held_answer_waits_for_its_release() {
        let holds = std::sync::Arc::new(Holds::default());
        let held = tokio::spawn({
            let holds = holds.clone();
            async move { holds.hold().await }
        });
        holds.wait_reached(1).await;
        assert_eq!(holds.reached(), 1);
        assert!(!held.is_finished());
        holds.release();
        held.await.unwrap();
    }
}
