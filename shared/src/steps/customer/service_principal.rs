//! The provider app's service principal in the customer's tenant: keep it, install it with a
//! Graph upsert by `appId` (a concurrent admin consent then cannot cause a 409), or wait for an
//! administrator to install it through the admin-consent URL. Entra is eventually consistent,
//! so a read right after the write may miss it: that read is retried.

use crate::clients::Upserted;
use crate::clients::graph::service_principals::{ServicePrincipalInfo, service_principal_path};
use crate::consent::{ConsentTenant, admin_consent_url};
use crate::context::{Ctx, PROPAGATION_ATTEMPTS};
use crate::http::{HttpError, Service, ServiceError};
use crate::ops::onboard::{InstallVia, OnboardSpec};
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::ReporterExt;
use crate::{Refusal, TenantId};

/// Waits this many times (about ten minutes) for an administrator to consent.
const CONSENT_ATTEMPTS: u32 = 24;

/// The plan's step for the service principal `found` (or not) in `tenant`.
pub fn step(
    spec: &OnboardSpec,
    tenant: &TenantId,
    found: Option<&ServicePrincipalInfo>,
) -> PlannedStep {
    match found {
        Some(sp) => PlannedStep::new(StepKind::ServicePrincipal, Action::Keep, sp.id.to_string())
            .detail(label(spec, Some(sp))),
        None if spec.via == InstallVia::Consent => PlannedStep::new(
            StepKind::ServicePrincipal,
            Action::Create,
            service_principal_path(&spec.app_id),
        )
        .detail(format!(
            "{}, installed by an administrator through the admin-consent URL in tenant {tenant}",
            spec.app_label()
        )),
        None => PlannedStep::new(
            StepKind::ServicePrincipal,
            Action::Create,
            service_principal_path(&spec.app_id),
        )
        .detail(format!("install {} in tenant {tenant}", spec.app_label())),
    }
}

/// The app as the directory names it (the invitation's name is the provider's claim only).
fn label(spec: &OnboardSpec, sp: Option<&ServicePrincipalInfo>) -> String {
    match sp.and_then(|s| s.display_name.as_deref()) {
        Some(name) => format!("{name} (app {})", spec.app_id),
        None => spec.app_label(),
    }
}

/// Keeps or installs the service principal.
pub async fn apply(
    ctx: &Ctx,
    spec: &OnboardSpec,
    found: Option<&ServicePrincipalInfo>,
) -> anyhow::Result<(ServicePrincipalInfo, StepReport)> {
    if let Some(sp) = found {
        let report = StepReport::new(
            StepKind::ServicePrincipal,
            Outcome::Unchanged,
            sp.id.to_string(),
        )
        .detail(label(spec, Some(sp)));
        return Ok((sp.clone(), report));
    }
    ctx.reporter.started(
        StepKind::ServicePrincipal,
        service_principal_path(&spec.app_id),
    );
    if spec.via == InstallVia::Consent {
        let sp = wait_for_consent(ctx, spec).await?;
        let report = StepReport::new(
            StepKind::ServicePrincipal,
            Outcome::Created,
            sp.id.to_string(),
        )
        .detail(format!(
            "{}, installed by admin consent",
            label(spec, Some(&sp))
        ));
        return Ok((sp, report));
    }
    let upserted = ctx
        .graph
        .upsert_service_principal(&spec.app_id)
        .await
        .map_err(|e| unknown_app(e, spec))?;
    let (outcome, sp) = match upserted {
        Upserted::Created(sp) => (Outcome::Created, sp),
        Upserted::Updated => {
            // Installed meanwhile (an admin consent): read it, riding out replication.
            let sp = ctx
                .retrying(
                    "the service principal to replicate",
                    PROPAGATION_ATTEMPTS,
                    is_missing,
                    || read(ctx, spec),
                )
                .await?;
            (Outcome::Unchanged, sp)
        }
    };
    let report = StepReport::new(StepKind::ServicePrincipal, outcome, sp.id.to_string())
        .detail(label(spec, Some(&sp)));
    Ok((sp, report))
}

/// Graph refuses to install an app id that names no multi-tenant app: say what to ask for.
fn unknown_app(e: HttpError, spec: &OnboardSpec) -> anyhow::Error {
    let refused = matches!(e.status(), Some(400 | 403 | 404))
        && !e
            .code()
            .is_some_and(|c| c.eq_ignore_ascii_case("Authorization_RequestDenied"));
    if !refused {
        return e.into();
    }
    Refusal::new(format!(
        "Microsoft Graph would not install {} in this tenant",
        spec.app_label()
    ))
    .hint("the app id may not exist or the app may not be multi-tenant: ask the provider for a new invitation (their `xtcmk-provider setup` makes the app multi-tenant)")
    .because(e)
    .into()
}

async fn read(ctx: &Ctx, spec: &OnboardSpec) -> Result<ServicePrincipalInfo, HttpError> {
    match ctx.graph.service_principal(&spec.app_id).await? {
        Some(sp) => Ok(sp),
        None => Err(missing(spec)),
    }
}

/// Shows the admin-consent URL and waits, bounded, until the service principal appears.
async fn wait_for_consent(ctx: &Ctx, spec: &OnboardSpec) -> anyhow::Result<ServicePrincipalInfo> {
    let url = spec.consent_url.clone().unwrap_or_else(|| {
        admin_consent_url(
            ctx.cloud(),
            &ConsentTenant::Id(ctx.tenant),
            &spec.app_id,
            None,
        )
    });
    ctx.reporter.notice(format!(
        "an administrator (Global, Application or Cloud Application Administrator) opens this URL and accepts:\n    {url}"
    ));
    let found = ctx
        .retrying(
            "an administrator to consent",
            CONSENT_ATTEMPTS,
            is_missing,
            || read(ctx, spec),
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
    ServiceError::new(
        Service::Graph,
        "GET",
        &format!("/v1.0{}", service_principal_path(&spec.app_id)),
        404,
        Some("Request_ResourceNotFound".into()),
        "the service principal is not visible yet".into(),
        None,
    )
    .into()
}
