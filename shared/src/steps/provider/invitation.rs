//! The invitation document for customers (see [`crate::documents::Invitation`]): the app's name
//! and id, the admin-consent URL (for `organizations`, since the customer is not known yet) and
//! the exact `xtcmk-customer onboard` command. Written only when its content changes.

use crate::consent::{ConsentTenant, admin_consent_url};
use crate::documents::{Invitation, onboard_command};
use crate::files::{read_text, write_atomic};
use crate::ops::setup::SetupSpec;
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::{AppId, Cloud, InputError};

/// Without a registered redirect URI the admin-consent URL ends on an Entra error page after
/// consent (AADSTS500113), although consent itself is granted.
pub const NO_REDIRECT_WARNING: &str = "no --consent-redirect-uri: after the customer's admin consents, Entra shows AADSTS500113 (no reply address registered) although consent is granted; the customer can instead install the app through Graph with `xtcmk-customer onboard`, which needs no redirect URI";

const FIELD: &str = "--invitation-out";

/// The invitation for the app.
pub fn build(
    cloud: &Cloud,
    spec: &SetupSpec,
    app_id: &AppId,
    display_name: &str,
    redirect_uri_registered: bool,
) -> Invitation {
    let redirect = spec
        .consent_redirect_uri
        .as_ref()
        .filter(|_| redirect_uri_registered);
    Invitation {
        cloud: cloud.name.clone(),
        provider_tenant_id: spec.tenant,
        app_id: *app_id,
        app_display_name: display_name.to_string(),
        admin_consent_url: admin_consent_url(
            cloud,
            &ConsentTenant::Organizations,
            app_id,
            redirect,
        ),
        redirect_uri_registered: redirect.is_some(),
        next_command: onboard_command(&spec.cloud_arg, &file_name(spec)),
        atlas: None,
    }
}

/// The file name the customer will have (the provider sends the file; the customer runs the
/// command next to it).
fn file_name(spec: &SetupSpec) -> String {
    spec.invitation_out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "invitation.json".into())
}

/// What the invitation file needs, given the invitation the run will produce (`None` when the
/// app does not exist yet, so its id is not known).
pub fn plan(spec: &SetupSpec, invitation: Option<&Invitation>) -> Result<Action, InputError> {
    let current = read_text(FIELD, &spec.invitation_out)?;
    Ok(match (current, invitation) {
        (Some(text), Some(inv)) if text == inv.to_json() => Action::Keep,
        (Some(_), _) => Action::Update,
        (None, _) => Action::Create,
    })
}

pub fn step(spec: &SetupSpec, action: Action) -> PlannedStep {
    PlannedStep::new(
        StepKind::Invitation,
        action,
        spec.invitation_out.display().to_string(),
    )
}

/// Writes the invitation unless the file already holds it.
pub fn write(spec: &SetupSpec, invitation: &Invitation) -> Result<StepReport, InputError> {
    let shown = spec.invitation_out.display().to_string();
    let text = invitation.to_json();
    let outcome = match read_text(FIELD, &spec.invitation_out)? {
        Some(current) if current == text => Outcome::Unchanged,
        Some(_) => Outcome::Updated,
        None => Outcome::Created,
    };
    if outcome != Outcome::Unchanged {
        write_atomic(FIELD, &spec.invitation_out, &text)?;
    }
    Ok(StepReport::new(StepKind::Invitation, outcome, shown))
}
