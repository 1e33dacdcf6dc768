//! `xtcmk::ops::onboard` driven in-process against the simulator, without the binary: the plan
//! reads only, apply reports every step (started before its writes, finished after), the
//! long-running vault PUT reports its progress, and the writes in the simulator are exactly the
//! plan's.

mod common;

use common::*;
use std::sync::Arc;
use xtcmk::ops::onboard::{self, GrantScope, InstallVia, OnboardSpec};
use xtcmk::output::{Action, Outcome, StepKind};
use xtcmk::report::{Event, RecordingReporter};
use xtcmk::{Ctx, EncryptionTarget, Location};
use xtcmk_sim::scenario::demo::*;

fn spec(w: &World) -> OnboardSpec {
    OnboardSpec {
        app_id: APP_ID.parse().unwrap(),
        app_display_name: Some(APP_NAME.into()),
        subscription: CUSTOMER_SUBSCRIPTION_ID.parse().unwrap(),
        resource_group: CUSTOMER_RESOURCE_GROUP.into(),
        location: Location::parse_field("--location", LOCATION).unwrap(),
        vault: VAULT.into(),
        key: KEY.into(),
        target: EncryptionTarget::Cosmos,
        permission_model: None,
        scope: GrantScope::Key,
        key_size: 3072,
        fix: false,
        recover: false,
        via: InstallVia::Graph,
        consent_url: None,
        handoff_out: w.handoff_path(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn onboard_plans_with_reads_only_then_applies_reporting_each_step() {
    let w = World::new();
    let reporter = RecordingReporter::new();
    let stack = w.sim.stack_as_user(CUSTOMER, CUSTOMER_ADMIN);
    let ctx = Ctx::connect(stack, None, reporter.clone()).await.unwrap();
    assert_eq!(ctx.tenant.to_string(), CUSTOMER_TENANT_ID);

    let plan = onboard::plan(&ctx, &spec(&w)).await.unwrap();
    assert!(w.writes().is_empty(), "the plan wrote: {:#?}", w.writes());
    let planned: Vec<(StepKind, Action)> =
        plan.steps().iter().map(|s| (s.step, s.action)).collect();
    assert_eq!(
        planned,
        [
            (StepKind::ServicePrincipal, Action::Create),
            (StepKind::Vault, Action::Create),
            (StepKind::KeyAccess, Action::Create),
            (StepKind::Key, Action::Create),
            (StepKind::Grant, Action::Create),
            (StepKind::Handoff, Action::Create),
        ]
    );
    assert_eq!(plan.writes(), 5);
    let events = reporter.events();
    assert!(
        matches!(events.last(), Some(Event::Planned(steps)) if steps.len() == 6),
        "{events:#?}"
    );

    let outcome = onboard::apply(&ctx, plan).await.unwrap();
    let done: Vec<(StepKind, Outcome)> =
        outcome.steps.iter().map(|s| (s.step, s.outcome)).collect();
    assert_eq!(
        done,
        planned
            .iter()
            .map(|(k, a)| (*k, a.done()))
            .collect::<Vec<_>>()
    );
    assert_eq!(reporter.steps(), outcome.steps, "every step was reported");
    assert!(
        outcome.checks.iter().all(|c| c.ok()),
        "{:#?}",
        outcome.checks
    );

    // Each write was announced before it happened, and finished after.
    let events = reporter.events();
    for step in &outcome.steps {
        let started = events
            .iter()
            .position(|e| matches!(e, Event::StepStarted { step: s, .. } if *s == step.step));
        let finished = events
            .iter()
            .position(|e| matches!(e, Event::StepFinished(r) if r.step == step.step))
            .unwrap();
        if step.outcome.is_write() && !step.step.is_local_file() {
            assert!(started.unwrap() < finished, "{:?}", step.step);
        }
    }
    // The vault PUT is long-running: its progress was reported, not printed.
    assert!(
        events.iter().any(
            |e| matches!(e, Event::Progress(p) if p.operation == "vault kv-fabrikam-cmk to be ready")
        ),
        "{events:#?}"
    );
    // The writes the simulator saw are exactly the plan's five changes in the tenant.
    let writes = w.writes();
    assert_eq!(writes.len(), 5, "{writes:#?}");
    assert!(
        writes[0].starts_with("PATCH graph /v1.0/servicePrincipals"),
        "{writes:#?}"
    );
    assert!(w.handoff_path().exists());

    // A second plan on the result decides nothing to do.
    let again = onboard::plan(&ctx, &spec(&w)).await.unwrap();
    assert!(
        again.steps().iter().all(|s| s.action == Action::Keep),
        "{:#?}",
        again.steps()
    );
    assert_eq!(again.writes(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn waits_for_propagation_are_reported_with_the_time_left() {
    use xtcmk_sim::replication::ReplicationRule;
    let w = World::new();
    w.sim.replication().add(ReplicationRule::reads(
        xtcmk_sim::arm::role_assignments::PROPAGATION,
        4,
    ));
    let reporter = RecordingReporter::new();
    let stack = w.sim.stack_as_user(CUSTOMER, CUSTOMER_ADMIN);
    let ctx = Ctx::connect(stack, None, reporter.clone() as Arc<_>)
        .await
        .unwrap();
    let plan = onboard::plan(&ctx, &spec(&w)).await.unwrap();
    onboard::apply(&ctx, plan).await.unwrap();
    let waits = reporter.waits();
    assert!(!waits.is_empty(), "{waits:#?}");
    assert!(
        waits[0].what.contains("your key access to reach the vault"),
        "{waits:#?}"
    );
    assert_eq!(waits[0].attempt, 2);
    assert!(waits[0].left() < waits[0].bound, "{waits:#?}");
    assert!(
        waits.windows(2).all(|p| p[1].left() < p[0].left()),
        "{waits:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_onboards_racing_on_the_key_end_with_one_version_and_one_key_named() {
    let w = World::new();
    let ctx_a = Ctx::connect(
        w.sim.stack_as_user(CUSTOMER, CUSTOMER_ADMIN),
        None,
        RecordingReporter::new(),
    )
    .await
    .unwrap();
    let reporter_b = RecordingReporter::new();
    let ctx_b = Ctx::connect(
        w.sim.stack_as_user(CUSTOMER, CUSTOMER_ADMIN),
        None,
        reporter_b.clone(),
    )
    .await
    .unwrap();
    // Both plan before either creates anything (two admins, two confirmations pending).
    let plan_a = onboard::plan(&ctx_a, &spec(&w)).await.unwrap();
    let plan_b = onboard::plan(&ctx_b, &spec(&w)).await.unwrap();
    let a = onboard::apply(&ctx_a, plan_a).await.unwrap();
    let b = onboard::apply(&ctx_b, plan_b).await.unwrap();
    let versions = w.sim.state().keys[VAULT][KEY].versions.len();
    assert_eq!(versions, 1, "one key version");
    let key_b = b.steps.iter().find(|s| s.step == StepKind::Key).unwrap();
    assert_eq!(key_b.outcome, Outcome::Adopted, "{key_b:?}");
    assert_eq!(a.handoff.key, b.handoff.key, "both name the same version");
}
