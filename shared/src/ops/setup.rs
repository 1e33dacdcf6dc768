//! `setup` (phase 1): the multi-tenant app, the user-assigned managed identity (UAMI), the
//! federated credential on the app that trusts the UAMI, and the invitation for customers.
//!
//! [`plan`] makes every read and refuses before any write where it can (wrong tenant, missing
//! directory role, missing resource group, single-tenant app, a credential name taken by other
//! values, 20 credentials in use); [`apply`] carries the plan out, step by step.

use crate::clients::arm::user_assigned_identities::UserAssignedIdentity;
use crate::clients::graph::applications::ApplicationInfo;
use crate::context::Ctx;
use crate::documents::Invitation;
use crate::fic::FicName;
use crate::http::Audience;
use crate::output::{Action, PlannedStep, StepReport};
use crate::report::{Event, ReporterExt};
use crate::steps::provider::credential::{self, CredentialPlan};
use crate::steps::provider::{app, identity, invitation, rights};
use crate::{AppId, Location, ObjectId, ResourceId, SubscriptionId, TenantId};
use std::path::PathBuf;
use url::Url;

/// What the provider asked for.
#[derive(Debug, Clone)]
pub struct SetupSpec {
    pub tenant: TenantId,
    pub subscription: SubscriptionId,
    pub resource_group: String,
    pub location: Location,
    /// The app's display name; its unique name is derived from it ([`unique_name`]).
    pub app_name: String,
    pub identity_name: String,
    /// Adopt this app instead of finding it by unique name.
    pub app_id: Option<AppId>,
    /// Adopt this UAMI instead of the one named by subscription, group and `identity_name`.
    pub identity: Option<ResourceId>,
    pub credential_name: FicName,
    pub consent_redirect_uri: Option<Url>,
    pub invitation_out: PathBuf,
    /// The `--cloud` value as given, repeated in the customer's command.
    pub cloud_arg: String,
    /// Switch a single-tenant app to multi-tenant; rewrite a same-named credential.
    pub fix: bool,
}

impl SetupSpec {
    /// The UAMI's resource id.
    pub fn identity_id(&self) -> ResourceId {
        self.identity.clone().unwrap_or_else(|| {
            ResourceId::user_assigned_identity(
                self.subscription,
                &self.resource_group,
                &self.identity_name,
            )
        })
    }

    /// The app's unique name (see [`unique_name`]).
    pub fn unique_name(&self) -> String {
        unique_name(&self.app_name)
    }
}

/// The app's stable unique name (Graph's `uniqueName` alternate key): `xtcmk-` and the display
/// name in lower case with every character other than a letter or digit turned into `-`; when
/// that lost information, a short hash of the display name keeps distinct names apart.
/// Deterministic, so a re-run finds the app it created even before its display name replicates.
pub fn unique_name(app_name: &str) -> String {
    let slug: String = app_name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug: String = slug.chars().take(80).collect();
    if slug == app_name.trim() {
        return format!("xtcmk-{slug}");
    }
    let hash = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, app_name.trim().as_bytes())
        .simple()
        .to_string();
    format!("xtcmk-{slug}-{}", &hash[..8])
}

/// Every decision of a setup run, made from reads only.
#[derive(Debug, Clone)]
pub struct SetupPlan {
    pub spec: SetupSpec,
    /// `name (roles)` of the signed-in principal.
    pub signed_in_as: String,
    pub app: app::AppPlan,
    pub identity: identity::IdentityPlan,
    /// Decided when both the app and the identity exist; otherwise decided during apply.
    pub credential: Option<CredentialPlan>,
    pub invitation: Action,
    pub warnings: Vec<String>,
}

impl SetupPlan {
    /// The steps, in order, as the plan decided them.
    pub fn steps(&self) -> Vec<PlannedStep> {
        let credential = match &self.credential {
            Some(c) => c.step(&self.spec),
            None => CredentialPlan::Create.step(&self.spec),
        };
        vec![
            self.app.step(&self.spec),
            self.identity.step(&self.spec),
            credential,
            invitation::step(&self.spec, self.invitation),
        ]
    }
}

/// What a setup run made.
#[derive(Debug, Clone)]
pub struct SetupOutcome {
    pub steps: Vec<StepReport>,
    pub signed_in_as: String,
    pub app: ApplicationInfo,
    pub identity: UserAssignedIdentity,
    pub invitation: Invitation,
}

/// Reads everything and decides every step; refuses before any write.
pub async fn plan(ctx: &Ctx, spec: &SetupSpec) -> anyhow::Result<SetupPlan> {
    // Local preconditions first: nothing in the tenant changes before the invitation can be written.
    crate::files::check_output("--invitation-out", &spec.invitation_out)?;
    let claims = ctx.claims(Audience::Graph).await?;
    rights::check_tenant(spec, &claims)?;
    let roles = rights::held_roles(&claims);
    let signed_in_as = if roles.is_empty() {
        format!(
            "{} (no app-registering directory role)",
            claims.display_name()
        )
    } else {
        format!("{} ({})", claims.display_name(), roles.join(", "))
    };

    let app = app::plan(ctx, spec).await?;
    let mut identity = identity::plan(ctx, spec).await?;
    let mut warnings = Vec::new();
    let existing = match &app.found {
        Some(found) => Some(ctx.graph.federated_credentials(&found.id).await?),
        None => None,
    };
    // A credential of our name next to an identity read as absent: another run may have made
    // both since that read, so the identity is read again before the credential is judged.
    let ours = |c: &crate::fic::GraphFederatedIdentityCredential| {
        c.name.eq_ignore_ascii_case(spec.credential_name.as_str())
    };
    if identity.found.is_none() && existing.iter().flatten().any(ours) {
        identity = identity::plan(ctx, spec).await?;
    }
    let credential = match (&existing, &identity.found) {
        (Some(existing), identity_found) => {
            let principal = identity_found.as_ref().map(|i| i.properties.principal_id);
            let decided = credential::decide(ctx, spec, existing, principal).await?;
            warnings.extend(credential::near_miss_warnings(
                ctx.cloud(),
                spec,
                existing,
                principal,
            ));
            identity_found.as_ref().map(|_| decided)
        }
        (None, _) => None,
    };

    let creates_app = app.found.is_none();
    let changes_app = app.changes.any() || !matches!(credential, Some(CredentialPlan::Trusting(_)));
    let owns_app = match (&app.found, claims.object_id()) {
        (Some(found), Some(me)) if changes_app && !creates_app => owns(ctx, &found.id, &me).await?,
        _ => false,
    };
    rights::check_rights(&claims, creates_app, changes_app && !creates_app, owns_app)?;

    let expected = app.found.as_ref().map(|found| {
        let display_name = found
            .display_name
            .clone()
            .unwrap_or_else(|| spec.app_name.clone());
        invitation::build(
            ctx.cloud(),
            spec,
            &found.app_id,
            &display_name,
            app.redirect_registered(spec),
        )
    });
    let invitation = invitation::plan(spec, expected.as_ref())?;
    if spec.consent_redirect_uri.is_none() {
        warnings.push(invitation::NO_REDIRECT_WARNING.to_string());
    }
    for w in &warnings {
        ctx.reporter.warn(w.clone());
    }
    let plan = SetupPlan {
        spec: spec.clone(),
        signed_in_as,
        app,
        identity,
        credential,
        invitation,
        warnings,
    };
    ctx.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

async fn owns(ctx: &Ctx, app: &ObjectId, me: &ObjectId) -> anyhow::Result<bool> {
    Ok(ctx
        .graph
        .application_owners(app)
        .await?
        .iter()
        .any(|o| o.id == *me))
}

/// Carries the plan out: app, identity, credential, invitation, in that order, each reported
/// as it finishes.
pub async fn apply(ctx: &Ctx, plan: SetupPlan) -> anyhow::Result<SetupOutcome> {
    let spec = &plan.spec;
    let mut steps = Vec::new();
    let done = |report: StepReport, steps: &mut Vec<StepReport>| {
        ctx.reporter.finished(&report);
        steps.push(report);
    };

    let (app, report) = app::apply(ctx, spec, &plan.app).await?;
    let app_created = report.outcome == crate::output::Outcome::Created;
    done(report, &mut steps);
    let (identity, report) = identity::apply(ctx, spec, &plan.identity).await?;
    done(report, &mut steps);
    let (report, warnings) = credential::apply(
        ctx,
        spec,
        plan.credential.as_ref(),
        &app,
        app_created,
        &identity,
    )
    .await?;
    for w in warnings {
        ctx.reporter.warn(w);
    }
    done(report, &mut steps);

    let display_name = app
        .display_name
        .clone()
        .unwrap_or_else(|| spec.app_name.clone());
    let redirect_registered = spec
        .consent_redirect_uri
        .as_ref()
        .is_some_and(|uri| app.redirect_uris().iter().any(|r| r == uri.as_str()));
    let invitation = invitation::build(
        ctx.cloud(),
        spec,
        &app.app_id,
        &display_name,
        redirect_registered,
    );
    done(invitation::write(spec, &invitation)?, &mut steps);
    Ok(SetupOutcome {
        steps,
        signed_in_as: plan.signed_in_as,
        app,
        identity,
        invitation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_are_stable_and_distinct() {
        assert_eq!(unique_name("contoso-cmk"), "xtcmk-contoso-cmk");
        let a = unique_name("Contoso CMK");
        assert!(a.starts_with("xtcmk-contoso-cmk-"), "{a}");
        assert_eq!(a, unique_name("Contoso CMK"));
        assert_ne!(a, unique_name("contoso cmk"));
    }
}
