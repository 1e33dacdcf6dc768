//! The federated identity credential on the app that trusts the UAMI: keep or adopt one that
//! already trusts it (same issuer, subject and audience, whatever its name); refuse a credential
//! of the same name with other values (rewrite it only with `--fix`); refuse a 21st credential
//! before any write, naming the 20 in use (Graph: at most 20 per application,
//! learn.microsoft.com/graph/api/application-post-federatedidentitycredentials).

use crate::clients::Upserted;
use crate::clients::arm::user_assigned_identities::UserAssignedIdentity;
use crate::clients::graph::applications::ApplicationInfo;
use crate::clients::graph::federated_credentials::credentials_path;
use crate::context::Ctx;
use crate::fic::{
    FederatedIdentityCredential, FicExpectation, FicMatch, GraphFederatedIdentityCredential,
};
use crate::ops::setup::SetupSpec;
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::ReporterExt;
use crate::{Cloud, ObjectId, Refusal, SubscriptionId};
use serde_json::json;
use std::collections::BTreeMap;

/// Graph's limit of federated identity credentials per application.
pub const MAX_PER_APP: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialPlan {
    /// This credential already trusts the UAMI.
    Trusting(GraphFederatedIdentityCredential),
    Create,
    /// Rewrite this same-named credential to trust the UAMI (`--fix`).
    Fix(GraphFederatedIdentityCredential),
}

fn describe(c: &GraphFederatedIdentityCredential) -> String {
    format!(
        "issuer `{}`, subject `{}`, audiences [{}]",
        c.issuer,
        c.subject.as_deref().unwrap_or("(none)"),
        c.audiences.join(", ")
    )
}

/// Decides what to do with the app's `existing` credentials for the UAMI with principal id
/// `principal` (`None`: the UAMI does not exist yet).
pub async fn decide(
    ctx: &Ctx,
    spec: &SetupSpec,
    existing: &[GraphFederatedIdentityCredential],
    principal: Option<ObjectId>,
) -> anyhow::Result<CredentialPlan> {
    let expectation = principal.map(|p| FicExpectation::new(ctx.cloud(), &spec.tenant, &p));
    if let Some(e) = &expectation
        && let Some(c) = existing
            .iter()
            .find(|c| e.classify_credential(c) == FicMatch::Trusts)
    {
        return Ok(CredentialPlan::Trusting(c.clone()));
    }
    let name = spec.credential_name.as_str();
    if let Some(same) = existing.iter().find(|c| c.name.eq_ignore_ascii_case(name)) {
        if spec.fix && principal.is_some() {
            return Ok(CredentialPlan::Fix(same.clone()));
        }
        let why = match (&expectation, principal) {
            (Some(e), Some(p)) => match e.classify_credential(same) {
                FicMatch::NearMiss(reasons) => reasons.join("; "),
                _ => format!(
                    "its subject is not the managed identity's principal id {p}, so it trusts another identity"
                ),
            },
            _ => format!(
                "the managed identity {} does not exist yet, so this credential trusts another identity",
                spec.identity_id()
            ),
        };
        return Err(Refusal::new(format!(
            "the app already has a federated credential named `{}` with {}; it does not trust the managed identity {}: {why}",
            same.name,
            describe(same),
            spec.identity_id()
        ))
        .hint(format!(
            "a credential's name cannot change and Entra accepts wrong values silently. Pass --credential-name with another name, re-run with --fix to point `{0}` at this identity (whatever it trusts now loses access), or delete it: az ad app federated-credential delete --id <app id> --federated-credential-id {0}",
            same.name
        ))
        .into());
    }
    if existing.len() >= MAX_PER_APP {
        let owners = identities_by_principal(ctx, &spec.subscription).await;
        let mut lines = Vec::new();
        for (i, c) in existing.iter().enumerate() {
            let subject = c.subject.as_deref().unwrap_or("(none)");
            let uami = owners
                .get(&subject.to_ascii_lowercase())
                .cloned()
                .unwrap_or_else(|| {
                    format!(
                        "no managed identity in subscription {} has this principal id",
                        spec.subscription
                    )
                });
            lines.push(format!(
                "  {:>2}. {}  subject {subject}  → {uami}",
                i + 1,
                c.name
            ));
        }
        return Err(Refusal::new(format!(
            "the app already holds {} federated credentials, the most Entra ID allows ({MAX_PER_APP}); a credential for {} would be the {}st. Nothing was changed. In use:\n{}",
            existing.len(),
            spec.identity_id(),
            existing.len() + 1,
            lines.join("\n")
        ))
        .hint("one managed identity serves every customer tenant: pass --identity with the resource id of one already trusted above, or use another app (--app-name), or delete a credential no longer needed")
        .into());
    }
    Ok(CredentialPlan::Create)
}

/// Principal id (lower case) → UAMI resource id, for the identities of `subscription` the
/// signed-in principal can see (empty when it can see none).
pub async fn identities_by_principal(
    ctx: &Ctx,
    subscription: &SubscriptionId,
) -> BTreeMap<String, String> {
    match ctx.arm.list_user_assigned_identities(subscription).await {
        Ok(list) => list
            .into_iter()
            .map(|i| (i.properties.principal_id.to_string(), i.id))
            .collect(),
        Err(e) => {
            tracing::info!("cannot list managed identities of {subscription}: {e}");
            BTreeMap::new()
        }
    }
}

/// Credentials meant for the UAMI (same subject) that would fail token exchange.
pub fn near_miss_warnings(
    cloud: &Cloud,
    spec: &SetupSpec,
    existing: &[GraphFederatedIdentityCredential],
    principal: Option<ObjectId>,
) -> Vec<String> {
    let Some(p) = principal else {
        return Vec::new();
    };
    let e = FicExpectation::new(cloud, &spec.tenant, &p);
    existing
        .iter()
        .filter_map(|c| match e.classify_credential(c) {
            FicMatch::NearMiss(reasons) => Some(format!(
                "federated credential `{}` is meant for {} but token exchange would fail: {}",
                c.name,
                spec.identity_id(),
                reasons.join("; ")
            )),
            _ => None,
        })
        .collect()
}

impl CredentialPlan {
    pub fn step(&self, spec: &SetupSpec) -> PlannedStep {
        let name = spec.credential_name.as_str();
        match self {
            CredentialPlan::Trusting(c) if c.name.eq_ignore_ascii_case(name) => {
                PlannedStep::new(StepKind::Credential, Action::Keep, &c.name)
            }
            CredentialPlan::Trusting(c) => {
                PlannedStep::new(StepKind::Credential, Action::Adopt, &c.name)
                    .detail("it already trusts the managed identity")
            }
            CredentialPlan::Create => PlannedStep::new(StepKind::Credential, Action::Create, name)
                .detail("trusting the managed identity above"),
            CredentialPlan::Fix(c) => {
                PlannedStep::new(StepKind::Credential, Action::Update, &c.name).detail(format!(
                    "now {}; to trust the managed identity above",
                    describe(c)
                ))
            }
        }
    }
}

/// Creates, fixes or keeps the credential. `planned` is the plan's decision, made when both the
/// app and the identity existed; `None` means one of them is new, so it is decided now.
pub async fn apply(
    ctx: &Ctx,
    spec: &SetupSpec,
    planned: Option<&CredentialPlan>,
    app: &ApplicationInfo,
    app_created: bool,
    identity: &UserAssignedIdentity,
) -> anyhow::Result<(StepReport, Vec<String>)> {
    let principal = identity.properties.principal_id;
    let mut warnings = Vec::new();
    let decided = match (planned, app_created) {
        // The app was created by this run: it has no credentials yet.
        (_, true) => CredentialPlan::Create,
        (Some(p), false) => p.clone(),
        // The app was found late (replication) or the identity is new: read and decide now.
        (None, false) => {
            let existing = ctx.graph.federated_credentials(&app.id).await?;
            warnings = near_miss_warnings(ctx.cloud(), spec, &existing, Some(principal));
            decide(ctx, spec, &existing, Some(principal)).await?
        }
    };
    let body = FederatedIdentityCredential::for_uami(
        ctx.cloud(),
        &spec.tenant,
        &principal,
        spec.credential_name.clone(),
        &spec.identity_name,
    );
    let detail = format!("subject {principal}, issuer {}", body.issuer);
    let step = decided.step(spec);
    let report = match decided {
        CredentialPlan::Trusting(c) => {
            StepReport::new(StepKind::Credential, step.action.done(), c.name).detail(detail)
        }
        CredentialPlan::Create => {
            ctx.reporter.started(StepKind::Credential, &step.resource);
            match ctx
                .graph
                .upsert_federated_credential(&app.id, &body)
                .await?
            {
                Upserted::Created(created) => {
                    StepReport::new(StepKind::Credential, Outcome::Created, created.name)
                        .detail(detail)
                }
                // A credential of this name appeared since the read: it now holds these values.
                Upserted::Updated => {
                    StepReport::new(StepKind::Credential, Outcome::Updated, step.resource)
                        .detail(detail)
                }
            }
        }
        CredentialPlan::Fix(c) => {
            ctx.reporter.started(StepKind::Credential, &c.name);
            ctx.graph
                .patch(
                    &format!("{}/{}", credentials_path(&app.id), c.id),
                    &json!({
                        "issuer": body.issuer,
                        "subject": body.subject,
                        "audiences": body.audiences,
                    }),
                )
                .await?;
            StepReport::new(StepKind::Credential, Outcome::Updated, c.name).detail(detail)
        }
    };
    Ok((report, warnings))
}
