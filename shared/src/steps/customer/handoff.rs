//! The handoff: the document the customer sends back to the provider (no secrets), and the one
//! line to send with it.

use crate::documents::{Handoff, PermissionModel};
use crate::files::{read_text, write_atomic};
use crate::ops::onboard::OnboardSpec;
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::{InputError, ObjectId, ResourceId, TenantId, VersionedKeyUri};
use std::path::Path;

const FIELD: &str = "--handoff-out";

/// Builds the handoff from what the steps made or found.
pub fn build(
    cloud: &crate::Cloud,
    tenant: TenantId,
    spec: &OnboardSpec,
    sp: ObjectId,
    key: VersionedKeyUri,
    model: PermissionModel,
    role_assignment_id: Option<ResourceId>,
) -> Handoff {
    Handoff {
        cloud: cloud.name.clone(),
        customer_tenant_id: tenant,
        subscription_id: spec.subscription,
        resource_group: spec.resource_group.clone(),
        vault_name: spec.vault.clone(),
        key,
        app_id: spec.app_id,
        service_principal_object_id: sp,
        permission_model: model,
        target: spec.target,
        role_assignment_id,
    }
}

/// What the file needs, given the handoff the run will write (`None`: not known before the run,
/// because the run creates the service principal, the key or the grant).
pub fn plan(path: &Path, expected: Option<&Handoff>) -> Result<Action, InputError> {
    Ok(match (read_text(FIELD, path)?, expected) {
        (Some(text), Some(doc)) if text == doc.to_json() => Action::Keep,
        (Some(_), _) => Action::Update,
        (None, _) => Action::Create,
    })
}

pub fn step(path: &Path, action: Action) -> PlannedStep {
    PlannedStep::new(StepKind::Handoff, action, path.display().to_string())
}

/// Writes the handoff file unless it already holds exactly this document.
pub fn write(path: &Path, handoff: &Handoff) -> Result<StepReport, InputError> {
    let text = handoff.to_json();
    let shown = path.display().to_string();
    let outcome = match read_text(FIELD, path)? {
        Some(old) if old == text => Outcome::Unchanged,
        Some(_) => Outcome::Updated,
        None => Outcome::Created,
    };
    if outcome != Outcome::Unchanged {
        write_atomic(FIELD, path, &text)?;
    }
    Ok(StepReport::new(StepKind::Handoff, outcome, shown))
}

/// The one line the customer sends the provider with the file.
pub fn send_line(path: &Path) -> String {
    format!(
        "Send {} to your provider: it names your key and the grant, and holds no secret.",
        path.display()
    )
}
