//! The interactive onboard, on a real pseudo-terminal (`script`, from util-linux): the plan and
//! the question are shown, "no" writes nothing and exits 1 saying so, "yes" carries the plan out,
//! and a wait is one line redrawn in place (not a line per update).

mod common;

use common::*;
use xtcmk_sim::replication::ReplicationRule;
use xtcmk_sim::scenario::demo::*;

/// Runs the binary with `args` on a pseudo-terminal, typing `answer`; returns the exit code and
/// every byte the terminal received.
fn on_a_terminal(
    w: &World,
    args: &[String],
    answer: &str,
    extra_env: &[(&str, &str)],
) -> Option<(i32, String)> {
    let mut env = w.sim.env_as_user(CUSTOMER, CUSTOMER_ADMIN);
    env.extend(
        extra_env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    xtcmk_sim::bin_run::on_a_terminal(BIN, w.dir.path(), args, &env, answer)
}

#[test]
fn answering_no_changes_nothing_and_says_so() {
    let w = World::new();
    let args = w.onboard_args(&[]);
    let Some((code, screen)) = on_a_terminal(&w, &args, "n\n", &[]) else {
        return;
    };
    assert_eq!(code, 1, "{screen}");
    assert!(
        screen.contains("  - vault: create"),
        "the plan is shown: {screen}"
    );
    assert!(screen.contains("Proceed? [y/N]"), "{screen}");
    assert!(screen.contains("nothing was changed"), "{screen}");
    assert!(
        w.sim.log().write_attempts().is_empty(),
        "{:#?}",
        w.sim.log().write_attempts()
    );
    assert!(!w.handoff_path().exists());
}

#[test]
fn answering_yes_onboards_and_a_wait_is_one_line_redrawn_in_place() {
    let w = World::new();
    // The admin's new key access reaches the vault after a few requests: the run waits.
    w.sim.replication().add(ReplicationRule::reads(
        xtcmk_sim::arm::role_assignments::PROPAGATION,
        3,
    ));
    let args = w.onboard_args(&[]);
    // Real (scaled) waits, so the terminal has time to draw the wait line.
    let Some((code, screen)) =
        on_a_terminal(&w, &args, "y\n", &[("XTCMK_RETRY_TIME_SCALE", "0.2")])
    else {
        return;
    };
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Proceed? [y/N]"), "{screen}");
    assert!(screen.contains("Onboarded: 5 change(s)"), "{screen}");
    assert!(w.handoff_path().exists());
    // On a terminal the wait is drawn on one line that is cleared and redrawn…
    let waits: Vec<&str> = screen.split("waiting").skip(1).collect();
    assert!(!waits.is_empty(), "a wait was shown: {screen:?}");
    assert!(
        screen.contains("\u{1b}[2K"),
        "the line is cleared in place: {screen:?}"
    );
    // …never printed as the plain per-change lines of a run without a terminal.
    assert!(!screen.contains("\n  waiting"), "{screen:?}");
    assert!(screen.contains("Ctrl-C is safe"), "{screen:?}");
    if std::env::var_os("XTCMK_SHOW_SCREEN").is_some() {
        println!("{screen:?}");
    }
}
