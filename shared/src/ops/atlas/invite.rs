//! `atlas invite`: the invitation for a customer whose data lives in MongoDB Atlas. It names the
//! way Atlas will reach the key and therefore the app the customer installs: the provider's
//! multi-tenant app (`secret`: Atlas signs in with that app's client secret) or MongoDB Atlas's own
//! app (`role`: no secret), with the admin-consent URL of that app and the provider's Atlas project
//! (whose private endpoint requests the customer may later approve). schemaVersion 2.

use crate::atlas::{ATLAS_APP_DISPLAY_NAME, AccessMode, GroupId, atlas_app_id};
use crate::consent::{ConsentTenant, admin_consent_url};
use crate::context::Ctx;
use crate::diagnostics::UsageError;
use crate::documents::{AtlasInvitation, EncryptionTarget, Invitation, onboard_command_for};
use crate::files::{read_text, write_atomic};
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::{Event, ReporterExt, SharedReporter};
use crate::{AppId, Cloud, InputError, Refusal, TenantId};
use std::path::PathBuf;

const FIELD: &str = "--invitation-out";

/// Which app the customer installs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteApp {
    /// The provider's multi-tenant app (secret mode).
    Provider(AppId),
    /// MongoDB Atlas's own Azure app (role mode).
    Atlas,
}

#[derive(Debug, Clone)]
pub struct InviteSpec {
    pub group: GroupId,
    pub provider_tenant: TenantId,
    pub app: InviteApp,
    pub invitation_out: PathBuf,
    /// The `--cloud` value as given, repeated in the customer's command.
    pub cloud_arg: String,
}

#[derive(Debug, Clone)]
pub struct InvitePlan {
    pub invitation: Invitation,
    pub out: PathBuf,
    pub action: Action,
}

impl InvitePlan {
    pub fn steps(&self) -> Vec<PlannedStep> {
        let a = self
            .invitation
            .atlas
            .as_ref()
            .map(|a| a.mode.as_str())
            .unwrap_or_default();
        vec![
            PlannedStep::new(
                StepKind::Invitation,
                self.action,
                self.out.display().to_string(),
            )
            .detail(format!(
                "Atlas, mode {a}: install {} ({})",
                self.invitation.app_display_name, self.invitation.app_id
            )),
        ]
    }
}

/// Builds the invitation; for the provider's app, reads it (it must exist and be multi-tenant).
pub async fn plan(
    cloud: &Cloud,
    reporter: &SharedReporter,
    ctx: Option<&Ctx>,
    spec: &InviteSpec,
) -> anyhow::Result<InvitePlan> {
    let (app_id, name, mode) = match &spec.app {
        InviteApp::Atlas => (
            atlas_app_id(),
            ATLAS_APP_DISPLAY_NAME.to_string(),
            AccessMode::Role,
        ),
        InviteApp::Provider(app_id) => {
            let Some(ctx) = ctx else {
                return Err(UsageError::new(
                    "reading the provider's app needs a sign-in to the provider's tenant",
                )
                .hint("sign in (`az login --tenant <provider tenant>`), or use --atlas-app")
                .into());
            };
            let app = ctx.graph.application_by_app_id(app_id).await?.ok_or_else(|| {
                InputError::new(
                    "--app-id",
                    app_id.to_string(),
                    format!("no app registration with this client id in tenant {}", ctx.tenant),
                )
                .with_fix("pass the client id of the app `xtcmk-provider setup` made, or use --atlas-app")
            })?;
            if app.sign_in_audience.as_deref() == Some("AzureADMyOrg") {
                return Err(Refusal::new(format!(
                    "app {app_id} is single-tenant: it cannot be installed in the customer's tenant"
                ))
                .hint("make it multi-tenant with `xtcmk-provider setup --fix --app-id <app id> …`, or use --atlas-app (Atlas's own app, no secret)")
                .into());
            }
            (
                *app_id,
                app.display_name.unwrap_or_else(|| app_id.to_string()),
                AccessMode::Secret,
            )
        }
    };
    let file = spec
        .invitation_out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "invitation.json".into());
    let invitation = Invitation {
        cloud: cloud.name.clone(),
        provider_tenant_id: spec.provider_tenant,
        app_id,
        app_display_name: name,
        admin_consent_url: admin_consent_url(cloud, &ConsentTenant::Organizations, &app_id, None),
        redirect_uri_registered: false,
        next_command: onboard_command_for(&spec.cloud_arg, &file, EncryptionTarget::Atlas),
        atlas: Some(AtlasInvitation {
            mode,
            group_id: spec.group.clone(),
        }),
    };
    let action = match read_text(FIELD, &spec.invitation_out)? {
        Some(text) if text == invitation.to_json() => Action::Keep,
        Some(_) => Action::Update,
        None => Action::Create,
    };
    let plan = InvitePlan {
        invitation,
        out: spec.invitation_out.clone(),
        action,
    };
    reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

pub fn apply(reporter: &SharedReporter, plan: InvitePlan) -> anyhow::Result<Vec<StepReport>> {
    let step = plan.steps().remove(0);
    if plan.action != Action::Keep {
        write_atomic(FIELD, &plan.out, &plan.invitation.to_json())?;
    }
    let report = StepReport {
        outcome: match plan.action {
            Action::Keep => Outcome::Unchanged,
            other => other.done(),
        },
        ..step.predicted()
    };
    reporter.finished(&report);
    Ok(vec![report])
}
