//! `xtcmk::ops::setup` driven in-process against the simulator, without the binary: the plan
//! reads only and names every step; apply reports each step and makes exactly three writes (app,
//! identity, credential); a second plan keeps everything.

mod common;

use common::*;
use tempfile::TempDir;
use xtcmk::ops::setup::{self, SetupSpec};
use xtcmk::output::{Action, Outcome, StepKind};
use xtcmk::report::{Event, RecordingReporter};
use xtcmk::{Ctx, FicName, Location};
use xtcmk_sim::Sim;

fn spec(sim: &Sim, dir: &TempDir) -> SetupSpec {
    SetupSpec {
        tenant: sim.tenant_id(PROVIDER),
        subscription: subscription(sim),
        resource_group: RG.into(),
        location: Location::parse_field("--location", LOCATION).unwrap(),
        app_name: APP_NAME.into(),
        identity_name: UAMI.into(),
        app_id: None,
        identity: None,
        credential_name: FicName::for_identity(UAMI),
        consent_redirect_uri: None,
        invitation_out: dir.path().join("invitation.json"),
        cloud_arg: sim.profile_path().display().to_string(),
        fix: false,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_plans_with_reads_only_then_applies_reporting_each_step() {
    let sim = Sim::start(scenario(|t| t));
    let dir = TempDir::new().unwrap();
    let reporter = RecordingReporter::new();
    let ctx = Ctx::new(
        sim.stack_as_user(PROVIDER, ADMIN),
        sim.tenant_id(PROVIDER),
        reporter.clone(),
    )
    .unwrap();

    let plan = setup::plan(&ctx, &spec(&sim, &dir)).await.unwrap();
    assert!(all_writes(&sim).is_empty(), "{:#?}", all_writes(&sim));
    let planned: Vec<(StepKind, Action)> =
        plan.steps().iter().map(|s| (s.step, s.action)).collect();
    assert_eq!(
        planned,
        [
            (StepKind::App, Action::Create),
            (StepKind::Identity, Action::Create),
            (StepKind::Credential, Action::Create),
            (StepKind::Invitation, Action::Create),
        ]
    );
    // The plan's warning (no redirect URI) went to the reporter, not to a terminal.
    assert_eq!(reporter.warnings().len(), 1, "{:#?}", reporter.events());

    let outcome = setup::apply(&ctx, plan).await.unwrap();
    assert_eq!(
        outcome.steps.iter().map(|s| s.outcome).collect::<Vec<_>>(),
        [Outcome::Created; 4]
    );
    assert_eq!(reporter.steps(), outcome.steps);
    let started: Vec<StepKind> = reporter
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::StepStarted { step, .. } => Some(*step),
            _ => None,
        })
        .collect();
    assert_eq!(
        started,
        [StepKind::App, StepKind::Identity, StepKind::Credential]
    );
    assert_eq!(all_writes(&sim).len(), 3, "{:#?}", all_writes(&sim));
    assert_eq!(outcome.invitation.app_id, outcome.app.app_id);

    let again = setup::plan(&ctx, &spec(&sim, &dir)).await.unwrap();
    assert!(
        again.steps().iter().all(|s| s.action == Action::Keep),
        "{:#?}",
        again.steps()
    );
}

/// `xtcmk::ops::cosmos_deploy` in-process: the plan reads only; apply announces each write with
/// `StepStarted` before it and `StepFinished` after, in the order identity, default identity, key.
#[tokio::test(flavor = "multi_thread")]
async fn cosmos_deploy_plans_with_reads_only_then_reports_each_write() {
    use common::cmk::*;
    use xtcmk::cosmos::{AccountName, CosmosCmkAccount};
    use xtcmk::ops::cosmos_deploy::{self, DeploySpec};
    use xtcmk_sim::scenario::demo::{
        PROVIDER as DEMO_PROVIDER, PROVIDER_ADMIN, PROVIDER_RESOURCE_GROUP,
        PROVIDER_SUBSCRIPTION_ID,
    };

    let c = tokio::task::spawn_blocking(|| {
        Cmk::start_with(Cmk::scenario_with(vec![seeded("legacy", None, None, None)]))
    })
    .await
    .unwrap();
    let reporter = RecordingReporter::new();
    let ctx = Ctx::new(
        c.sim.stack_as_user(DEMO_PROVIDER, PROVIDER_ADMIN),
        c.sim.tenant_id(DEMO_PROVIDER),
        reporter.clone(),
    )
    .unwrap();
    let handoff = c.handoff();
    let spec = DeploySpec {
        account: CosmosCmkAccount::new(
            AccountName::parse_field("--account", "legacy").unwrap(),
            Location::parse_field("--location", LOCATION).unwrap(),
            c.world.uami_id.parse().unwrap(),
            handoff.app_id,
            handoff.key.versionless(),
        )
        .unwrap(),
        handoff,
        subscription: PROVIDER_SUBSCRIPTION_ID.parse().unwrap(),
        resource_group: PROVIDER_RESOURCE_GROUP.into(),
        exchange: false,
    };
    let mark = c.sim.log().mark();
    let plan = cosmos_deploy::plan(&ctx, &spec).await.unwrap();
    assert!(writes_since(&c.sim, mark).is_empty());
    let planned: Vec<(StepKind, Action)> =
        plan.steps().iter().map(|s| (s.step, s.action)).collect();
    assert_eq!(
        planned,
        [
            (StepKind::CosmosAccount, Action::Keep),
            (StepKind::AccountIdentity, Action::Update),
            (StepKind::DefaultIdentity, Action::Update),
            (StepKind::AccountKey, Action::Update),
        ]
    );
    let outcome = cosmos_deploy::apply(&ctx, plan).await.unwrap();
    assert!(outcome.status.unwrap().is_confirmed());
    assert_eq!(reporter.steps(), outcome.steps);
    // Each write is announced before it is sent and reported after it finished.
    let order: Vec<String> = reporter
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::StepStarted { step, .. } => Some(format!("start {step}")),
            Event::StepFinished(r) if r.outcome.is_write() => Some(format!("done {}", r.step)),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        [
            "start account identity",
            "done account identity",
            "start default identity",
            "done default identity",
            "start account key",
            "done account key",
        ]
    );
    // Progress of the long-running updates went to the reporter, not to a terminal.
    assert!(
        reporter
            .events()
            .iter()
            .any(|e| matches!(e, Event::Progress(_))),
        "{:#?}",
        reporter.events()
    );
    assert_eq!(writes_since(&c.sim, mark).len(), 3);
}
