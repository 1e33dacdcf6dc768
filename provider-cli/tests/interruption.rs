//! Interruption (issue 13): the run is cut off right after its k-th write, for every k of the
//! three phases, and the same command run again ends in the state of an uninterrupted run with no
//! duplicate.
//!
//! - Dropped connection: the service commits the k-th write and the connection drops before the
//!   answer (two customers, in-process). The run retries what it may (PUT, PATCH) or fails (POST);
//!   a failed run is re-run.
//! - SIGKILL: the binary's k-th write is committed and its answer held (a test control) until
//!   the process has been killed — so the kill lands after exactly k writes, without racing the
//!   process; then the same binary runs the same command again (one customer).
//!
//! Each case starts from the uninterrupted run's state and documents before the phase that made
//! the k-th write, and is compared with its state after that phase (later phases start from that
//! same state, so they run as in the reference).

mod common;
mod proofs;

use proofs::{Boundary, Phase, World};
use std::process::Stdio;
use xtcmk_sim::bin_run::run_bin;
use xtcmk_sim::faults::{FaultRule, Step};
use xtcmk_sim::scenario::demo::*;

/// The reference: boundaries, comparable states, and the phase of each write (1-based k).
struct Reference {
    boundaries: Vec<Boundary>,
    comparable: Vec<Vec<String>>,
    /// For write k (index k-1): its phase's index and its number within the phase (1-based).
    writes: Vec<(usize, usize)>,
}

async fn reference<F, Fut>(w: &World, phases: &[Phase], mut run: F) -> Reference
where
    F: FnMut(Phase) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let mut r = Reference {
        boundaries: Vec::new(),
        comparable: Vec::new(),
        writes: Vec::new(),
    };
    for (i, phase) in phases.iter().enumerate() {
        r.boundaries.push(w.save());
        r.comparable.push(w.comparable());
        let mark = w.sim.log().mark();
        run(*phase)
            .await
            .unwrap_or_else(|e| panic!("the uninterrupted {phase:?} failed: {e}"));
        let writes = w
            .sim
            .log()
            .since(mark)
            .into_iter()
            .filter(|e| e.kind == xtcmk_sim::routes::Kind::Write)
            .count();
        r.writes.extend((1..=writes).map(|j| (i, j)));
    }
    r.boundaries.push(w.save());
    r.comparable.push(w.comparable());
    r
}

/// The same state as the reference after phase `i`, no duplicate.
fn assert_as_reference(w: &World, r: &Reference, i: usize, name: &str) {
    let dups = xtcmk_sim::audit::duplicates(&w.sim.state());
    assert!(dups.is_empty(), "{name}: duplicates {dups:#?}");
    let now = w.comparable();
    if now != r.comparable[i + 1] {
        let want: std::collections::BTreeSet<_> = r.comparable[i + 1].iter().collect();
        let got: std::collections::BTreeSet<_> = now.iter().collect();
        panic!(
            "{name}: another state\nonly in the reference: {:#?}\nonly here: {:#?}",
            want.difference(&got).collect::<Vec<_>>(),
            got.difference(&want).collect::<Vec<_>>()
        );
    }
}

/// The rule that acts on write `j` of a phase and lets the others pass.
fn on_write(j: usize, step: Step) -> FaultRule {
    let mut steps = vec![Step::pass(); j - 1];
    steps.push(step);
    FaultRule::writes().sequence(steps)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_after_every_committed_write_then_a_rerun_ends_as_the_reference() {
    let w = World::start(2);
    let phases = Phase::all(2);
    let r = reference(&w, &phases, |p| {
        let w = &w;
        async move { w.run(p).await.map_err(|e| format!("{e:#}")) }
    })
    .await;
    assert!(r.writes.len() >= 15, "{} writes", r.writes.len());
    for (k, (i, j)) in r.writes.iter().enumerate() {
        let (i, j) = (*i, *j);
        let name = format!("write {} ({:?}, its write {j})", k + 1, phases[i]);
        w.restore(&r.boundaries[i]);
        w.sim.faults().add(on_write(j, Step::commit_then_drop()));
        let mark = w.sim.log().mark();
        if let Err(e) = w.run(phases[i]).await {
            w.run(phases[i])
                .await
                .unwrap_or_else(|e2| panic!("{name}: failed ({e:#}), and its re-run too: {e2:#}"));
        }
        let lost: Vec<_> = w
            .sim
            .log()
            .since(mark)
            .into_iter()
            .filter(|e| e.after_commit.is_some())
            .collect();
        assert!(
            lost.len() == 1 && lost[0].is_effective_write() && lost[0].status < 400,
            "{name}: one committed write lost its answer: {lost:#?}"
        );
        assert_as_reference(&w, &r, i, &name);
    }
}

/// The command line of a phase for customer 1 through the binaries.
fn command(w: &World, phase: Phase) -> (std::path::PathBuf, Vec<String>, Vec<(String, String)>) {
    let provider = || w.sim.env_as_user(PROVIDER, PROVIDER_ADMIN);
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match phase {
        Phase::Setup => (
            common::BIN.into(),
            s(&[
                "setup",
                "--tenant",
                PROVIDER_TENANT_ID,
                "--subscription",
                PROVIDER_SUBSCRIPTION_ID,
                "--resource-group",
                PROVIDER_RESOURCE_GROUP,
                "--location",
                LOCATION,
                "--app-name",
                proofs::APP_NAME,
                "--identity-name",
                proofs::UAMI,
                "--invitation-out",
                "invitation.json",
            ]),
            provider(),
        ),
        Phase::Onboard(n) => (
            common::workspace_bin("xtcmk-customer"),
            s(&[
                "onboard",
                "--invitation",
                "invitation.json",
                "--subscription",
                &w.customer(n).subscription_id,
                "--resource-group",
                CUSTOMER_RESOURCE_GROUP,
                "--location",
                LOCATION,
                "--vault",
                &w.customer(n).vault,
                "--key",
                proofs::KEY,
                "--handoff-out",
                &format!("handoff-{n}.json"),
                "--yes",
            ]),
            w.sim
                .env_as_user(&w.customer(n).alias, &w.customer(n).admin),
        ),
        Phase::Deploy(n) => (
            common::BIN.into(),
            s(&[
                "cosmos",
                "deploy",
                "--handoff",
                &format!("handoff-{n}.json"),
                "--identity",
                &w.uami_id().to_string(),
                "--subscription",
                PROVIDER_SUBSCRIPTION_ID,
                "--resource-group",
                PROVIDER_RESOURCE_GROUP,
                "--account",
                &w.customer(n).account,
                "--location",
                LOCATION,
                "--yes",
            ]),
            provider(),
        ),
    }
}

/// Runs the phase's binary to its end.
async fn run_binary(w: &World, phase: Phase) -> Result<(), String> {
    let (bin, args, env) = command(w, phase);
    let dir = w.dir.path().to_path_buf();
    let out =
        tokio::task::spawn_blocking(move || run_bin(bin.to_str().unwrap(), &dir, &args, &env))
            .await
            .unwrap();
    if out.code == 0 {
        Ok(())
    } else {
        Err(out.shown())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_after_every_committed_write_then_a_rerun_ends_as_the_reference() {
    let w = World::start(1);
    let phases = Phase::all(1);
    let r = reference(&w, &phases, |p| run_binary(&w, p)).await;
    assert!(r.writes.len() >= 9, "{} writes", r.writes.len());
    for (k, (i, j)) in r.writes.iter().enumerate() {
        let (i, j) = (*i, *j);
        let name = format!(
            "SIGKILL after write {} ({:?}, its write {j})",
            k + 1,
            phases[i]
        );
        w.restore(&r.boundaries[i]);
        w.sim.faults().add(on_write(j, Step::commit_then_hold()));
        let held_before = w.sim.faults().holds().reached();
        let mark = w.sim.log().mark();

        let (bin, args, env) = command(&w, phases[i]);
        let mut child = tokio::process::Command::new(bin);
        child
            .args(&args)
            .current_dir(w.dir.path())
            .env_remove("XTCMK_CLOUD")
            .env_remove("RUST_LOG")
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = child.spawn().expect("the binary starts");
        tokio::select! {
            _ = w.sim.faults().holds().wait_reached(held_before + 1) => {}
            status = child.wait() => panic!("{name}: the run ended ({status:?}) before its write {j}"),
        }
        child.kill().await.expect("SIGKILL");
        w.sim.faults().release_held();

        let made: Vec<_> = w
            .sim
            .log()
            .since(mark)
            .into_iter()
            .filter(|e| e.is_effective_write())
            .collect();
        assert_eq!(made.len(), j, "{name}: killed after exactly {j} writes");
        run_binary(&w, phases[i])
            .await
            .unwrap_or_else(|e| panic!("{name}: the re-run failed: {e}"));
        assert_as_reference(&w, &r, i, &name);
    }
}
