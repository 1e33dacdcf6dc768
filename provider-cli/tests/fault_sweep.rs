//! The fault sweep (issue 13): phases 1 → 2 → 3 for two customers, in-process, first without
//! faults (the reference), then once per route the reference used and per fault class — 429 with
//! `Retry-After`, 500, 503, a dropped connection, added latency — with that one fault on the first
//! request of that route; then a replication delay on each kind of object the reference created,
//! and a slow long-running operation on each write that started one. Each case starts from the
//! reference's state before the phase that first used the route (state and documents restored),
//! runs that phase, and must end with the reference's state after it (the simulator's normalised
//! snapshot and the documents, ids aside) and no duplicate; later phases start from that same
//! state, so they run as in the reference. A phase rides a fault out in one run, except where the
//! toolkit rightly does not retry (a POST answered 500 or 503 without a retry hint, or cut off:
//! it may have taken effect): that run fails, and one re-run finishes it.

mod proofs;

use proofs::{Boundary, Phase, World};
use std::collections::{BTreeMap, BTreeSet};
use xtcmk_sim::faults::{FaultRule, Step};
use xtcmk_sim::log::LoggedRequest;
use xtcmk_sim::replication::ReplicationRule;
use xtcmk_sim::service::Service;

const CUSTOMERS: usize = 2;

/// A route as the request log names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Route {
    service: Service,
    method: String,
    pattern: String,
}

impl Route {
    fn of(e: &LoggedRequest) -> Option<Route> {
        Some(Route {
            service: e.service,
            method: e.method.clone(),
            pattern: e.route.clone()?,
        })
    }
}

/// What the fault-free run did: the state before each phase (and after the last), the routes each
/// phase was first to use, the kinds of object each phase first created, and the writes that
/// started a long-running operation.
struct Reference {
    boundaries: Vec<Boundary>,
    comparable: Vec<Vec<String>>,
    first_use: Vec<(usize, Route)>,
    first_kinds: Vec<(usize, String)>,
    long_running: Vec<(usize, Route)>,
    /// Requests per phase, to tell a slowed operation's extra polls.
    requests: Vec<usize>,
}

fn is_poll(e: &LoggedRequest) -> bool {
    e.route.as_deref().is_some_and(|r| {
        ["operationStatuses", "operationsStatus", "operationResults"]
            .iter()
            .any(|p| r.contains(p))
    })
}

async fn reference(w: &World) -> Reference {
    let phases = Phase::all(CUSTOMERS);
    let mut r = Reference {
        boundaries: Vec::new(),
        comparable: Vec::new(),
        first_use: Vec::new(),
        first_kinds: Vec::new(),
        long_running: Vec::new(),
        requests: Vec::new(),
    };
    let mut seen = BTreeSet::new();
    let mut kinds: BTreeSet<String> = BTreeSet::new();
    for (i, phase) in phases.iter().enumerate() {
        r.boundaries.push(w.save());
        r.comparable.push(w.comparable());
        let mark = w.sim.log().mark();
        w.run(*phase)
            .await
            .unwrap_or_else(|e| panic!("the fault-free {phase:?} failed: {e:#}"));
        let entries = w.sim.log().since(mark);
        r.requests.push(entries.len());
        for (j, e) in entries.iter().enumerate() {
            let Some(route) = Route::of(e) else { continue };
            if seen.insert(route.clone()) {
                r.first_use.push((i, route.clone()));
            }
            let polled = entries[j + 1..]
                .iter()
                .take_while(|n| !n.is_effective_write())
                // A PUT answered with `Location` may be followed by reading the resource itself.
                .any(|n| is_poll(n) || (n.method == "GET" && n.path == e.path));
            if e.is_effective_write() && polled && !r.long_running.iter().any(|(_, l)| *l == route)
            {
                r.long_running.push((i, route));
            }
        }
        for kind in w.sim.replication().kinds_created() {
            if kinds.insert(kind.clone()) {
                r.first_kinds.push((i, kind));
            }
        }
    }
    r.boundaries.push(w.save());
    r.comparable.push(w.comparable());
    assert!(xtcmk_sim::audit::duplicates(&w.sim.state()).is_empty());
    r
}

/// One case: from the reference's state before phase `i`, `arrange` the fault, run the phase (and
/// once more if `may_fail` and it failed), compare with the reference after it. Returns whether a
/// re-run was needed.
async fn case(
    w: &World,
    r: &Reference,
    i: usize,
    name: &str,
    may_fail: bool,
    arrange: impl FnOnce(&World),
) -> bool {
    let phase = Phase::all(CUSTOMERS)[i];
    w.restore(&r.boundaries[i]);
    assert_eq!(w.comparable(), r.comparable[i], "{name}: restored");
    arrange(w);
    let rerun = match w.run(phase).await {
        Ok(()) => false,
        Err(e) if may_fail => {
            w.run(phase).await.unwrap_or_else(|e2| {
                panic!("{name}: {phase:?} failed ({e:#}), and its re-run too: {e2:#}")
            });
            true
        }
        Err(e) => panic!("{name}: {phase:?} did not ride the fault out: {e:#}"),
    };
    let dups = xtcmk_sim::audit::duplicates(&w.sim.state());
    assert!(dups.is_empty(), "{name}: duplicates {dups:#?}");
    let now = w.comparable();
    if now != r.comparable[i + 1] {
        let want: BTreeSet<_> = r.comparable[i + 1].iter().collect();
        let got: BTreeSet<_> = now.iter().collect();
        panic!(
            "{name}: {phase:?} ended in another state\nonly in the reference: {:#?}\nonly here: {:#?}",
            want.difference(&got).collect::<Vec<_>>(),
            got.difference(&want).collect::<Vec<_>>()
        );
    }
    rerun
}

/// The fault classes applied to each route: a name, the step, and whether a POST may fail
/// (and need its re-run) with it.
fn classes() -> Vec<(&'static str, Step, bool)> {
    vec![
        ("429 Retry-After", Step::throttle(1), false),
        ("500", Step::status(500), true),
        ("503", Step::status(503), true),
        ("dropped connection", Step::drop_connection(), true),
    ]
}

/// Every route × the status and connection classes.
async fn sweep_routes(phases: impl Fn(usize) -> bool) -> BTreeMap<String, usize> {
    let w = World::start(CUSTOMERS);
    let r = reference(&w).await;
    let mut tally = BTreeMap::new();
    for (i, route) in r.first_use.iter().filter(|(i, _)| phases(*i)) {
        for (class, step, post_may_fail) in classes() {
            let name = format!(
                "{class} on {} {} {}",
                route.service, route.method, route.pattern
            );
            let rule = FaultRule::on_route(route.service, &route.method, &route.pattern)
                .sequence([step.clone()]);
            let mut id = 0;
            let may_fail = post_may_fail && route.method == "POST";
            let rerun = case(&w, &r, *i, &name, may_fail, |w| {
                id = w.sim.faults().add(rule)
            })
            .await;
            assert_eq!(w.sim.faults().hits(id), 1, "{name}: the fault was met");
            *tally
                .entry(format!("{class}{}", if rerun { " (re-run)" } else { "" }))
                .or_insert(0) += 1;
        }
    }
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_of_setup_and_onboarding_rides_out_each_fault() {
    let tally = sweep_routes(|i| i <= 1).await;
    eprintln!("setup and onboarding: {tally:?}");
    assert!(tally.values().sum::<usize>() >= 4 * 20, "{tally:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_of_the_later_phases_rides_out_each_fault() {
    let tally = sweep_routes(|i| i >= 2).await;
    eprintln!("deploy and later: {tally:?}");
    assert!(tally.values().sum::<usize>() >= 4 * 5, "{tally:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn added_latency_on_every_route_changes_nothing() {
    let w = World::start_with_delays(CUSTOMERS);
    let r = reference(&w).await;
    for (i, route) in &r.first_use {
        let name = format!(
            "latency on {} {} {}",
            route.service, route.method, route.pattern
        );
        let rule = FaultRule::on_route(route.service, &route.method, &route.pattern)
            .sequence([Step::latency(2)]);
        let mut id = 0;
        case(&w, &r, *i, &name, false, |w| id = w.sim.faults().add(rule)).await;
        assert_eq!(w.sim.faults().hits(id), 1, "{name}: the latency was met");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replication_delay_on_every_kind_and_slow_operations_change_nothing() {
    let w = World::start(CUSTOMERS);
    let r = reference(&w).await;
    assert!(r.first_kinds.len() >= 4, "{:?}", r.first_kinds);
    for (i, kind) in &r.first_kinds {
        let name = format!("replication delay of {kind}");
        case(&w, &r, *i, &name, false, |w| {
            w.sim.replication().add(ReplicationRule::reads(kind, 3))
        })
        .await;
    }
    assert!(r.long_running.len() >= 2, "{:?}", r.long_running);
    for (i, route) in &r.long_running {
        let name = format!(
            "slow operation of {} {} {}",
            route.service, route.method, route.pattern
        );
        let rule = FaultRule::on_route(route.service, &route.method, &route.pattern)
            .sequence([Step::slow_operation(3)]);
        let mark = w.sim.log().mark();
        case(&w, &r, *i, &name, false, |w| {
            w.sim.faults().add(rule);
        })
        .await;
        let made = w.sim.log().since(mark).len();
        assert!(
            made >= r.requests[*i] + 3,
            "{name}: {made} requests, the reference {}",
            r.requests[*i]
        );
    }
}
