//! The provider app's service principal in the customer's tenant: adopt it, or install it with
//! a Graph upsert by `appId` (a concurrent admin consent then cannot cause a 409). Entra is
//! eventually consistent, so a read right after the write may miss it: that read is retried.

use super::wait::{retrying, retrying_n};
use super::{Ctx, InstallVia, OnboardSpec};
use crate::Refusal;
use crate::clients::Upserted;
use crate::clients::graph_sps::ServicePrincipalInfo;
use crate::consent::{ConsentTenant, admin_consent_url};
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
    if spec.via == InstallVia::Consent {
        let sp = wait_for_consent(ctx, spec).await?;
        ctx.report(
            reports,
            StepReport::new("service principal", Outcome::Adopted, sp.id.to_string())
                .detail(format!("{}, installed by admin consent", spec.app_label())),
        );
        return Ok(Some(sp));
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

/// Waits this many times (about ten minutes) for an administrator to consent.
const CONSENT_ATTEMPTS: u32 = 24;

/// Prints the admin-consent URL and waits, bounded, until the service principal appears.
async fn wait_for_consent(ctx: &Ctx, spec: &OnboardSpec) -> anyhow::Result<ServicePrincipalInfo> {
    let url = spec.consent_url.clone().unwrap_or_else(|| {
        admin_consent_url(
            ctx.stack.cloud(),
            &ConsentTenant::Id(ctx.tenant),
            &spec.app_id,
            None,
        )
    });
    ctx.printer.status(format!(
        "  an administrator (Global, Application or Cloud Application Administrator) opens this URL and accepts:\n    {url}"
    ));
    let found = retrying_n(
        ctx,
        "the administrator's consent",
        CONSENT_ATTEMPTS,
        is_missing,
        || async {
            match ctx.graph.service_principal(&spec.app_id).await? {
                Some(sp) => Ok(sp),
                None => Err(missing(spec)),
            }
        },
    )
    .await;
    match found {
        Ok(sp) => Ok(sp),
        Err(e) if is_missing(&e) => Err(Refusal::new(format!(
            "{} is still not installed in tenant {}: nobody consented in time",
            spec.app_label(),
            ctx.tenant
        ))
        .hint(format!(
            "have an administrator open {url}, then re-run this command"
        ))
        .into()),
        Err(e) => Err(e.into()),
    }
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
