//! The provider app's service principal in the customer's tenant: adopt it, or install it with
//! a Graph upsert by `appId` (a concurrent admin consent then cannot cause a 409). Entra is
//! eventually consistent, so a read right after the write may miss it: that read is retried.

use super::wait::retrying;
use super::{Ctx, OnboardSpec};
use crate::clients::Upserted;
use crate::clients::graph_sps::ServicePrincipalInfo;
use crate::http::{HttpError, ServiceError};
use crate::output::{Outcome, StepReport};

/// Adopts or installs the service principal. `None` only in a dry run that would install it.
pub async fn ensure(
    ctx: &Ctx,
    spec: &OnboardSpec,
    found: Option<&ServicePrincipalInfo>,
    reports: &mut Vec<StepReport>,
) -> anyhow::Result<Option<ServicePrincipalInfo>> {
    let label = format!("servicePrincipals(appId='{}')", spec.app_id);
    if let Some(sp) = found {
        ctx.report(
            reports,
            StepReport::new("service principal", Outcome::Adopted, sp.id.to_string())
                .detail(spec.app_label()),
        );
        return Ok(Some(sp.clone()));
    }
    if ctx.dry_run {
        ctx.report(
            reports,
            StepReport::new("service principal", Outcome::WouldCreate, label)
                .detail(spec.app_label()),
        );
        return Ok(None);
    }
    let (outcome, sp) = match ctx.graph.upsert_service_principal(&spec.app_id).await? {
        Upserted::Created(sp) => (Outcome::Created, sp),
        Upserted::Updated => {
            // Installed meanwhile (an admin consent): read it, riding out replication.
            let sp = retrying(
                ctx,
                "the service principal to replicate",
                is_missing,
                || async {
                    match ctx.graph.service_principal(&spec.app_id).await? {
                        Some(sp) => Ok(sp),
                        None => Err(missing(spec)),
                    }
                },
            )
            .await?;
            (Outcome::Adopted, sp)
        }
    };
    ctx.report(
        reports,
        StepReport::new("service principal", outcome, sp.id.to_string()).detail(spec.app_label()),
    );
    Ok(Some(sp))
}

fn is_missing(e: &HttpError) -> bool {
    e.status() == Some(404)
}

fn missing(spec: &OnboardSpec) -> HttpError {
    HttpError::Service(Box::new(ServiceError::new(
        crate::http::Service::Graph,
        "GET",
        &format!("/v1.0/servicePrincipals(appId='{}')", spec.app_id),
        404,
        Some("Request_ResourceNotFound".into()),
        "the service principal is not visible yet".into(),
        None,
    )))
}
