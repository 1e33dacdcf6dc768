//! The invitation document for customers (see [`crate::documents::Invitation`]): the app's name
//! and id, the admin-consent URL (for `organizations`, since the customer is not known yet) and
//! the exact `xtcmk-customer onboard` command. Written only when its content changes.

use super::SetupSpec;
use crate::consent::{ConsentTenant, admin_consent_url};
use crate::documents::{Invitation, onboard_command};
use crate::output::{Outcome, StepReport};
use crate::{AppId, Cloud, InputError};

/// Without a registered redirect URI the admin-consent URL ends on an Entra error page after
/// consent (AADSTS500113), although consent itself is granted.
pub const NO_REDIRECT_WARNING: &str = "no --consent-redirect-uri: after the customer's admin consents, Entra shows AADSTS500113 (no reply address registered) although consent is granted; the customer can instead install the app through Graph with `xtcmk-customer onboard`, which needs no redirect URI";

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

/// Writes the invitation unless the file already holds it.
pub fn write(spec: &SetupSpec, invitation: Option<&Invitation>) -> anyhow::Result<StepReport> {
    let path = &spec.invitation_out;
    let shown = path.display().to_string();
    let Some(invitation) = invitation else {
        return Ok(StepReport::new("invitation", Outcome::WouldCreate, shown));
    };
    let text = invitation.to_json();
    let current = std::fs::read_to_string(path).ok();
    let outcome = match (&current, spec.dry_run) {
        (Some(c), _) if *c == text => {
            return Ok(StepReport::new("invitation", Outcome::Unchanged, shown));
        }
        (Some(_), true) => Outcome::WouldUpdate,
        (None, true) => Outcome::WouldCreate,
        (Some(_), false) => Outcome::Updated,
        (None, false) => Outcome::Created,
    };
    if !spec.dry_run {
        std::fs::write(path, &text).map_err(|e| {
            InputError::new(
                "--invitation-out",
                &shown,
                format!("cannot write the file: {e}"),
            )
            .with_fix("pass a path in a writable folder")
        })?;
    }
    Ok(StepReport::new("invitation", outcome, shown))
}
