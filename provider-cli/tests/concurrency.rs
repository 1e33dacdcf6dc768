//! Concurrency (issue 13): two `setup` runs for the same app, and two `onboard` runs for the same
//! customer, at once, end in one consistent state — the one a single run leaves, with one app,
//! one identity, one credential; one service principal, one vault, one key version, one grant.
//! The key is created through Resource Manager's create-if-not-exist, so even a run whose last
//! key read and create straddle another run's create adds no second version (its own test).
//!
//! The interleavings are made deterministic rather than left to the scheduler: run A is paused
//! at one request (the simulator handles it and holds its answer) while run B runs from start to
//! end, then A resumes. A is paused after each of its writes with both plans made first (each
//! plan is stale by the time it is applied), and at each request of its plan with B planning
//! and applying inside. A last case per command runs both at once, as the scheduler lets them.

mod proofs;

use proofs::{Phase, World};
use std::future::Future;
use std::pin::pin;
use std::time::Duration;
use xtcmk::ops::onboard::{self, OnboardOutcome};
use xtcmk::ops::setup;
use xtcmk_sim::faults::{FaultRule, Step};
use xtcmk_sim::harness::Mark;
use xtcmk_sim::service::Service;
use xtcmk_sim::state::State;

/// Plenty for runs that take well under a second; a hang fails instead of blocking CI.
const BOUND: Duration = Duration::from_secs(60);

/// Runs `a` until the simulator holds the answer to its request `rule` picks, then `b` from start
/// to end, then lets `a` go on; both results. Fails if `a` ends without reaching that request.
async fn b_inside_a<T, U>(
    w: &World,
    name: &str,
    rule: FaultRule,
    a: impl Future<Output = anyhow::Result<T>>,
    b: impl Future<Output = anyhow::Result<U>>,
) -> (T, U) {
    let holds = w.sim.faults().holds();
    let held = holds.reached();
    w.sim.faults().add(rule);
    let run = async {
        let mut a = pin!(a);
        tokio::select! {
            ended = &mut a => panic!("{name}: A ended before its held request: {:?}", ended.err()),
            _ = holds.wait_reached(held + 1) => {}
        }
        let b = b.await;
        w.sim.faults().release_held();
        (a.await, b)
    };
    let (a, b) = tokio::time::timeout(BOUND, run).await.expect(name);
    let a = a.unwrap_or_else(|e| panic!("{name}: A failed: {e:#}"));
    let b = b.unwrap_or_else(|e| panic!("{name}: B failed: {e:#}"));
    (a, b)
}

/// Holds the answer to run A's `j`-th write (1-based); B's writes come after and pass.
fn after_write(j: usize) -> FaultRule {
    let mut steps = vec![Step::pass(); j - 1];
    steps.push(Step::commit_then_hold());
    FaultRule::writes().sequence(steps)
}

/// Effective writes the simulator saw since `mark`.
fn writes_since(w: &World, mark: Mark) -> usize {
    w.sim
        .log()
        .since(mark)
        .iter()
        .filter(|e| e.is_effective_write())
        .count()
}

/// Role assignments held by `principal`.
fn grants_of(state: &State, principal: &str) -> usize {
    state
        .resources
        .values()
        .filter(|r| {
            r.kind
                .eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments")
                && r.body["properties"]["principalId"] == principal
        })
        .count()
}

/// One app, identity and credential in the provider tenant, as one run leaves them.
fn assert_one_setup(w: &World, reference: &[String], name: &str) {
    let state = w.sim.state();
    let dups = xtcmk_sim::audit::duplicates(&state);
    assert!(dups.is_empty(), "{name}: duplicates {dups:#?}");
    let provider = state
        .tenants
        .iter()
        .find(|t| t.alias == "provider")
        .unwrap();
    let apps: Vec<_> = provider
        .applications
        .iter()
        .filter(|a| a.display_name == proofs::APP_NAME)
        .collect();
    assert_eq!(apps.len(), 1, "{name}: one app");
    assert_eq!(
        apps[0].federated_identity_credentials.len(),
        1,
        "{name}: one credential"
    );
    let identities: Vec<_> = state
        .resources
        .values()
        .filter(|r| r.kind == "Microsoft.ManagedIdentity/userAssignedIdentities")
        .collect();
    assert_eq!(identities.len(), 1, "{name}: one identity");
    // The credential trusts the identity that exists (no run replaced the other's).
    assert_eq!(
        apps[0].federated_identity_credentials[0].subject,
        identities[0].body["properties"]["principalId"]
            .as_str()
            .unwrap(),
        "{name}: the credential trusts the identity"
    );
    drop(state);
    assert_eq!(
        w.comparable(),
        reference,
        "{name}: the state one run leaves"
    );
}

/// One service principal, vault and grant in customer 1's tenant, and `versions` key versions.
fn assert_onboarding(w: &World, name: &str, versions: usize) {
    let state = w.sim.state();
    let c = w.customer(1);
    let customer = state.tenants.iter().find(|t| t.alias == c.alias).unwrap();
    let sps: Vec<_> = customer
        .service_principals
        .iter()
        .filter(|sp| sp.display_name == proofs::APP_NAME)
        .collect();
    assert_eq!(sps.len(), 1, "{name}: one service principal");
    let vaults = state
        .resources
        .values()
        .filter(|r| r.kind == "Microsoft.KeyVault/vaults")
        .count();
    assert_eq!(vaults, 1, "{name}: one vault");
    assert_eq!(
        state.keys[&c.vault][proofs::KEY].versions.len(),
        versions,
        "{name}: key versions"
    );
    assert_eq!(
        grants_of(&state, &sps[0].id.to_string()),
        1,
        "{name}: one grant"
    );
}

/// Exactly the state one onboarding leaves.
fn assert_one_onboarding(w: &World, reference: &[String], name: &str) {
    let dups = xtcmk_sim::audit::duplicates(&w.sim.state());
    assert!(dups.is_empty(), "{name}: duplicates {dups:#?}");
    assert_onboarding(w, name, 1);
    assert_eq!(
        w.comparable(),
        reference,
        "{name}: the state one run leaves"
    );
}

/// Both runs hand off the same key, principal and grant.
fn assert_same_handoff(a: &OnboardOutcome, b: &OnboardOutcome, name: &str) {
    assert_eq!(a.handoff, b.handoff, "{name}: both hand off the same");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setup_inside_another_after_each_of_its_writes_ends_as_one() {
    let w = World::start(1);
    let before = w.save();
    let mark = w.sim.log().mark();
    w.run(Phase::Setup).await.unwrap();
    let writes = writes_since(&w, mark);
    assert_eq!(writes, 3, "app, identity, credential");
    let reference = w.comparable();

    for j in 1..=writes {
        let name = format!("setup B inside setup A after its write {j}");
        w.restore(&before);
        let (ctx_a, ctx_b) = (w.provider_ctx(), w.provider_ctx());
        let plan_a = setup::plan(&ctx_a, &w.setup_spec()).await.unwrap();
        let plan_b = setup::plan(&ctx_b, &w.setup_spec()).await.unwrap();
        let (a, b) = b_inside_a(
            &w,
            &name,
            after_write(j),
            setup::apply(&ctx_a, plan_a),
            setup::apply(&ctx_b, plan_b),
        )
        .await;
        assert_eq!(a.invitation, b.invitation, "{name}: the same invitation");
        assert_one_setup(&w, &reference, &name);
    }
}

/// Holds the answer to run A's `k`-th request (1-based), whatever it is.
fn after_request(k: usize) -> FaultRule {
    let mut steps = vec![Step::pass(); k - 1];
    steps.push(Step::commit_then_hold());
    FaultRule::on("*", "**").sequence(steps)
}

/// Requests the simulator saw since `mark`.
fn requests_since(w: &World, mark: Mark) -> usize {
    w.sim.log().since(mark).len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setup_inside_anothers_plan_at_each_of_its_reads_ends_as_one() {
    let w = World::start(1);
    let before = w.save();
    let mark = w.sim.log().mark();
    setup::plan(&w.provider_ctx(), &w.setup_spec())
        .await
        .unwrap();
    let requests = requests_since(&w, mark);
    w.run(Phase::Setup).await.unwrap();
    let reference = w.comparable();

    for k in 1..=requests {
        let name = format!("setup B inside setup A's plan after its request {k}");
        w.restore(&before);
        let ctx_a = w.provider_ctx();
        let a = async {
            let plan = setup::plan(&ctx_a, &w.setup_spec()).await?;
            setup::apply(&ctx_a, plan).await
        };
        let b = w.run(Phase::Setup);
        b_inside_a(&w, &name, after_request(k), a, b).await;
        assert_one_setup(&w, &reference, &name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_setups_at_once_end_as_one() {
    let w = World::start(1);
    let before = w.save();
    w.run(Phase::Setup).await.unwrap();
    let reference = w.comparable();
    w.restore(&before);
    let name = "two setups at once";
    let (a, b) = tokio::time::timeout(BOUND, async {
        tokio::join!(w.run(Phase::Setup), w.run(Phase::Setup))
    })
    .await
    .expect(name);
    a.unwrap_or_else(|e| panic!("{name}: A failed: {e:#}"));
    b.unwrap_or_else(|e| panic!("{name}: B failed: {e:#}"));
    assert_one_setup(&w, &reference, name);
}

/// A run that found the app (left by an interrupted run) but not yet the identity, while another
/// run makes the identity and its credential: the first must read the identity again rather than
/// take the new credential for one that trusts someone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setup_inside_anothers_plan_after_an_interrupted_run_ends_as_one() {
    let w = World::start(1);
    w.run(Phase::Setup).await.unwrap();
    let reference = w.comparable();
    // The state an interrupted run leaves after its first write: the app only.
    {
        let mut state = w.sim.state();
        state
            .resources
            .retain(|_, r| r.kind != "Microsoft.ManagedIdentity/userAssignedIdentities");
        for t in state.tenants.iter_mut().filter(|t| t.alias == "provider") {
            for app in t.applications.iter_mut() {
                app.federated_identity_credentials.clear();
            }
            // The identity's own service principal goes with it.
            t.service_principals
                .retain(|sp| sp.display_name != "uami-cmk");
        }
    }
    let interrupted = w.save();
    let mark = w.sim.log().mark();
    setup::plan(&w.provider_ctx(), &w.setup_spec())
        .await
        .unwrap();
    let requests = requests_since(&w, mark);
    for k in 1..=requests {
        let name = format!("setup B inside setup A's plan after its request {k}, app left over");
        w.restore(&interrupted);
        let ctx_a = w.provider_ctx();
        let a = async {
            let plan = setup::plan(&ctx_a, &w.setup_spec()).await?;
            setup::apply(&ctx_a, plan).await
        };
        let b = w.run(Phase::Setup);
        b_inside_a(&w, &name, after_request(k), a, b).await;
        assert_one_setup(&w, &reference, &name);
    }
}

/// The world after setup, the state one onboarding of customer 1 leaves, and its write count.
async fn onboarding_reference() -> (World, proofs::Boundary, Vec<String>, usize) {
    let w = World::start(1);
    w.run(Phase::Setup).await.unwrap();
    let before = w.save();
    let mark = w.sim.log().mark();
    w.run(Phase::Onboard(1)).await.unwrap();
    let writes = writes_since(&w, mark);
    let reference = w.comparable();
    w.restore(&before);
    (w, before, reference, writes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_onboarding_inside_another_after_each_of_its_writes_ends_as_one() {
    let (w, before, reference, writes) = onboarding_reference().await;
    assert_eq!(
        writes, 5,
        "service principal, vault, key access, key, grant"
    );
    for j in 1..=writes {
        let name = format!("onboard B inside onboard A after its write {j}");
        w.restore(&before);
        let (ctx_a, ctx_b) = (w.customer_ctx(1), w.customer_ctx(1));
        let spec = w.onboard_spec(1).unwrap();
        let plan_a = onboard::plan(&ctx_a, &spec).await.unwrap();
        let plan_b = onboard::plan(&ctx_b, &spec).await.unwrap();
        let (a, b) = b_inside_a(
            &w,
            &name,
            after_write(j),
            onboard::apply(&ctx_a, plan_a),
            onboard::apply(&ctx_b, plan_b),
        )
        .await;
        assert_same_handoff(&a, &b, &name);
        assert_one_onboarding(&w, &reference, &name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_onboarding_inside_anothers_plan_at_each_of_its_reads_ends_as_one() {
    let (w, before, reference, _) = onboarding_reference().await;
    let mark = w.sim.log().mark();
    onboard::plan(&w.customer_ctx(1), &w.onboard_spec(1).unwrap())
        .await
        .unwrap();
    let requests = requests_since(&w, mark);
    for k in 1..=requests {
        let name = format!("onboard B inside onboard A's plan after its request {k}");
        w.restore(&before);
        let ctx_a = w.customer_ctx(1);
        let spec = w.onboard_spec(1).unwrap();
        let a = async {
            let plan = onboard::plan(&ctx_a, &spec).await?;
            onboard::apply(&ctx_a, plan).await
        };
        let b = async {
            let ctx_b = w.customer_ctx(1);
            let plan = onboard::plan(&ctx_b, &spec).await?;
            onboard::apply(&ctx_b, plan).await
        };
        let (a, b) = b_inside_a(&w, &name, after_request(k), a, b).await;
        assert_same_handoff(&a, &b, &name);
        assert_one_onboarding(&w, &reference, &name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_onboardings_at_once_end_as_one() {
    let (w, _, reference, _) = onboarding_reference().await;
    let name = "two onboardings at once";
    let (a, b) = tokio::time::timeout(BOUND, async {
        tokio::join!(w.run(Phase::Onboard(1)), w.run(Phase::Onboard(1)))
    })
    .await
    .expect(name);
    a.unwrap_or_else(|e| panic!("{name}: A failed: {e:#}"));
    b.unwrap_or_else(|e| panic!("{name}: B failed: {e:#}"));
    assert_one_onboarding(&w, &reference, name);
}

/// The narrowest window: A has read the key as absent right before creating it, and B creates it
/// meanwhile. A's create is Resource Manager's create-if-not-exist, which returns B's key as it
/// is: one version, the state one run leaves, and both handoffs name the same key version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_onboarding_between_anothers_last_key_read_and_its_create() {
    let (w, _, reference, _) = onboarding_reference().await;
    let name = "onboard B between A's last read of the key and A's create";
    let (ctx_a, ctx_b) = (w.customer_ctx(1), w.customer_ctx(1));
    let spec = w.onboard_spec(1).unwrap();
    let plan_a = onboard::plan(&ctx_a, &spec).await.unwrap();
    let plan_b = onboard::plan(&ctx_b, &spec).await.unwrap();
    let mark = w.sim.log().mark();
    // The first request of a new Key Vault client carries no token (it asks for the challenge);
    // the second is the read.
    let rule = FaultRule::on_route(Service::KeyVault, "GET", "/keys/{name}")
        .sequence([Step::pass(), Step::commit_then_hold()]);
    let (a, b) = b_inside_a(
        &w,
        name,
        rule,
        onboard::apply(&ctx_a, plan_a),
        onboard::apply(&ctx_b, plan_b),
    )
    .await;
    let log = w.sim.log().since(mark);
    let held: Vec<_> = log.iter().filter(|e| e.after_commit.is_some()).collect();
    assert_eq!(held.len(), 1, "{name}: one held answer");
    assert_eq!(
        held[0].status, 404,
        "{name}: A was held on its read that found no key"
    );
    let creates: Vec<_> = log
        .iter()
        .filter(|e| {
            e.method == "PUT"
                && e.route
                    .as_deref()
                    .is_some_and(|r| r.ends_with("/keys/{key}"))
        })
        .filter(|e| e.seq > held[0].seq)
        .collect();
    assert_eq!(creates.len(), 2, "{name}: B's create, then A's");
    assert!(
        creates[0].is_effective_write() && !creates[1].is_effective_write(),
        "{name}: B's create writes, A's returns B's key without a write"
    );
    assert_one_onboarding(&w, &reference, name);
    assert_eq!(a.handoff.key, b.handoff.key, "{name}: the same key version");
    assert_eq!(
        a.handoff.role_assignment_id, b.handoff.role_assignment_id,
        "{name}: the same grant"
    );
}
