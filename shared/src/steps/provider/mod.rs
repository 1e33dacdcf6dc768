//! Phase 1, the provider's setup: the multi-tenant app, the user-assigned managed identity (UAMI),
//! the federated credential on the app that trusts the UAMI, and the invitation for customers.
//!
//! [`preflight`] does every read the plan needs and refuses before any write where it can (wrong
//! tenant, missing directory role, missing resource group, single-tenant app, a credential name
//! taken by other values, 20 credentials in use). Then [`app`], [`identity`], [`credential`] and
//! [`invitation`] each create, adopt or leave unchanged their resource, in that order.

pub mod app;
pub mod credential;
pub mod identity;
pub mod invitation;
pub mod preflight;

use crate::clients::arm_identities::UserAssignedIdentity;
use crate::clients::graph_apps::ApplicationInfo;
use crate::clients::{ArmClient, GraphClient};
use crate::documents::Invitation;
use crate::fic::FicName;
use crate::http::{Audience, HttpStack};
use crate::output::StepReport;
use crate::{AppId, ResourceId, SubscriptionId, TenantId};
use std::path::PathBuf;
use url::Url;

/// What the provider asked for.
#[derive(Debug, Clone)]
pub struct SetupSpec {
    pub tenant: TenantId,
    pub subscription: SubscriptionId,
    pub resource_group: String,
    pub location: String,
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
    pub dry_run: bool,
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

/// The clients one setup run uses.
#[derive(Clone, Debug)]
pub struct Session {
    pub graph: GraphClient,
    pub arm: ArmClient,
    pub stack: std::sync::Arc<HttpStack>,
}

impl Session {
    pub fn new(stack: std::sync::Arc<HttpStack>, tenant: &TenantId) -> Result<Self, anyhow::Error> {
        Ok(Self {
            graph: stack.graph(Some(tenant))?,
            arm: stack.arm(Some(tenant))?,
            stack,
        })
    }

    pub fn cloud(&self) -> &crate::Cloud {
        self.stack.cloud()
    }

    pub async fn claims(
        &self,
        tenant: &TenantId,
    ) -> Result<crate::http::TokenClaims, crate::http::HttpError> {
        self.stack.signed_in(Some(tenant), Audience::Graph).await
    }
}

/// What a setup run did (or, dry, would do).
#[derive(Debug, Clone)]
pub struct SetupResult {
    pub steps: Vec<StepReport>,
    pub signed_in_as: String,
    pub app: Option<ApplicationInfo>,
    pub identity: Option<UserAssignedIdentity>,
    pub invitation: Option<Invitation>,
    /// Warnings to show (near-miss credentials, a consent URL without redirect URI).
    pub warnings: Vec<String>,
}

/// Runs phase 1: preflight, then app, identity, credential and invitation.
pub async fn run(session: &Session, spec: &SetupSpec) -> anyhow::Result<SetupResult> {
    let plan = preflight::run(session, spec).await?;
    let mut warnings = plan.warnings.clone();
    let mut steps = Vec::new();

    let (app, report) = app::apply(session, spec, &plan.app).await?;
    steps.push(report);
    let (identity, report) = identity::apply(session, spec, &plan.identity).await?;
    steps.push(report);
    let app_created = steps[0].outcome == crate::output::Outcome::Created;
    let (report, more) = credential::apply(
        session,
        spec,
        &plan,
        app.as_ref(),
        app_created,
        identity.as_ref(),
    )
    .await?;
    steps.push(report);
    warnings.extend(more);

    let redirect_registered = match (&spec.consent_redirect_uri, &app) {
        (Some(uri), Some(app)) => app.redirect_uris().iter().any(|r| r == uri.as_str()),
        (Some(_), None) => true,
        (None, _) => false,
    };
    let display_name = app
        .as_ref()
        .and_then(|a| a.display_name.clone())
        .unwrap_or_else(|| spec.app_name.clone());
    let invitation = app.as_ref().map(|a| {
        invitation::build(
            session.cloud(),
            spec,
            &a.app_id,
            &display_name,
            redirect_registered,
        )
    });
    steps.push(invitation::write(spec, invitation.as_ref())?);
    if spec.consent_redirect_uri.is_none() {
        warnings.push(invitation::NO_REDIRECT_WARNING.to_string());
    }
    Ok(SetupResult {
        steps,
        signed_in_as: plan.signed_in_as,
        app,
        identity,
        invitation,
        warnings,
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
