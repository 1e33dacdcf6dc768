//! `identities`: the app's federated credentials (`n/20 used`), the managed identity each one
//! trusts (resolved in the subscriptions the signed-in principal can read), and the broken ones:
//! near misses that Entra accepted but token exchange would refuse (AADSTS700211 wrong issuer,
//! e.g. a trailing slash; AADSTS700213 wrong subject) and subjects that match no managed
//! identity. Read-only.

use crate::clients::arm::user_assigned_identities::UserAssignedIdentity;
use crate::context::Ctx;
use crate::fic::{FicExpectation, FicMatch};
use crate::http::Audience;
use crate::steps::provider::credential::MAX_PER_APP;
use crate::{AppId, InputError, ObjectId, Refusal, SubscriptionId, TenantId};
use serde::Serialize;
use std::collections::BTreeMap;

/// A credential's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialStatus {
    /// Trusts a managed identity the provider can see, with the right issuer and audience.
    Ok,
    /// Token exchange would fail.
    Broken,
    /// Not a managed identity of an Entra tenant (e.g. a CI workload).
    Other,
}

/// One federated credential of the app.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialRow {
    pub name: String,
    pub issuer: String,
    pub subject: Option<String>,
    pub audiences: Vec<String>,
    pub status: CredentialStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    pub problems: Vec<String>,
}

/// The app's credentials.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitiesReport {
    pub tenant: TenantId,
    pub app_id: AppId,
    pub app_display_name: Option<String>,
    pub used: usize,
    pub limit: usize,
    pub credentials: Vec<CredentialRow>,
}

impl IdentitiesReport {
    pub fn broken(&self) -> usize {
        self.credentials
            .iter()
            .filter(|r| r.status == CredentialStatus::Broken)
            .count()
    }
}

/// The identities of `given` subscriptions (or of every one the caller can read), by principal.
async fn identities(
    ctx: &Ctx,
    given: &[SubscriptionId],
) -> anyhow::Result<BTreeMap<ObjectId, UserAssignedIdentity>> {
    let subscriptions = if given.is_empty() {
        ctx.arm
            .subscriptions()
            .await?
            .into_iter()
            .map(|s| s.subscription_id)
            .collect()
    } else {
        given.to_vec()
    };
    let mut by_principal = BTreeMap::new();
    for sub in &subscriptions {
        for identity in ctx.arm.list_user_assigned_identities(sub).await? {
            by_principal.insert(identity.properties.principal_id, identity);
        }
    }
    Ok(by_principal)
}

/// Lists and classifies the credentials of `app_id` in the context's tenant.
pub async fn run(
    ctx: &Ctx,
    app_id: &AppId,
    subscriptions: &[SubscriptionId],
) -> anyhow::Result<IdentitiesReport> {
    let claims = ctx.claims(Audience::Graph).await?;
    if claims.tenant_id() != Some(ctx.tenant) {
        return Err(Refusal::new(format!(
            "signed in to tenant {}, but --tenant is {}",
            claims
                .tenant_id()
                .map(|t| t.to_string())
                .unwrap_or_else(|| "(none)".into()),
            ctx.tenant
        ))
        .hint(format!(
            "sign in to the provider tenant: az login --tenant {}",
            ctx.tenant
        ))
        .into());
    }
    let app = ctx
        .graph
        .application_by_app_id(app_id)
        .await?
        .ok_or_else(|| {
            InputError::new(
                "--app-id",
                app_id.to_string(),
                format!(
                    "no app registration with this client id in tenant {}",
                    ctx.tenant
                ),
            )
            .with_fix("pass the client id of an app registered in the provider tenant")
        })?;
    let credentials = ctx.graph.federated_credentials(&app.id).await?;
    let known = identities(ctx, subscriptions).await?;
    let rows: Vec<CredentialRow> = credentials
        .iter()
        .map(|c| {
            let subject_id = c
                .subject
                .as_deref()
                .and_then(|s| s.trim().parse::<ObjectId>().ok());
            let (status, identity, problems) = match subject_id {
                None => (CredentialStatus::Other, None, Vec::new()),
                Some(principal) => {
                    let expectation = FicExpectation::new(ctx.cloud(), &ctx.tenant, &principal);
                    let mut problems = match expectation.classify_credential(c) {
                        FicMatch::NearMiss(reasons) => reasons,
                        _ => Vec::new(),
                    };
                    let identity = known.get(&principal).map(|i| i.id.clone());
                    if identity.is_none() {
                        problems.push(format!(
                            "subject {principal} matches no managed identity in the subscriptions searched"
                        ));
                    }
                    let status = if problems.is_empty() {
                        CredentialStatus::Ok
                    } else {
                        CredentialStatus::Broken
                    };
                    (status, identity, problems)
                }
            };
            CredentialRow {
                name: c.name.clone(),
                issuer: c.issuer.clone(),
                subject: c.subject.clone(),
                audiences: c.audiences.clone(),
                status,
                identity,
                problems,
            }
        })
        .collect();
    Ok(IdentitiesReport {
        tenant: ctx.tenant,
        app_id: *app_id,
        app_display_name: app.display_name.clone(),
        used: rows.len(),
        limit: MAX_PER_APP,
        credentials: rows,
    })
}
