//! The handoff: the document the customer sends back to the provider (no secrets), and the one
//! line to send with it.

use super::{Ctx, OnboardSpec};
use crate::clients::graph_sps::ServicePrincipalInfo;
use crate::documents::{Handoff, PermissionModel};
use crate::output::{Outcome, StepReport};
use crate::{ResourceId, VersionedKeyUri};
use std::path::Path;

/// Builds the handoff from what the steps made or found.
pub fn build(
    ctx: &Ctx,
    spec: &OnboardSpec,
    sp: &ServicePrincipalInfo,
    key: VersionedKeyUri,
    model: PermissionModel,
    role_assignment_id: Option<ResourceId>,
) -> Handoff {
    Handoff {
        customer_tenant_id: ctx.tenant,
        subscription_id: spec.subscription,
        resource_group: spec.resource_group.clone(),
        vault_name: spec.vault.clone(),
        key,
        app_id: spec.app_id,
        service_principal_object_id: sp.id,
        permission_model: model,
        target: spec.target,
        role_assignment_id,
    }
}

/// Writes the handoff file unless it already holds exactly this document.
pub fn write(path: &Path, handoff: &Handoff) -> anyhow::Result<StepReport> {
    let text = handoff.to_json();
    let shown = path.display().to_string();
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(StepReport::new("handoff", Outcome::Unchanged, shown));
    }
    let existed = path.exists();
    std::fs::write(path, &text)
        .map_err(|e| anyhow::anyhow!("cannot write the handoff to {shown}: {e}"))?;
    Ok(StepReport::new(
        "handoff",
        if existed {
            Outcome::Updated
        } else {
            Outcome::Created
        },
        shown,
    ))
}

/// The one line the customer sends the provider with the file.
pub fn send_line(path: &Path) -> String {
    format!(
        "Send {} to your provider: it names your key and the grant, and holds no secret.",
        path.display()
    )
}
