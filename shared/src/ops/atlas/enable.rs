//! `atlas enable`: turns on the Atlas project's encryption at rest with the customer's key from
//! the handoff — `PATCH encryptionAtRest` with the `azureKeyVault` body, then a read of `valid`.
//!
//! The handoff says which app holds the grant: the provider's app (secret mode: `clientID`,
//! `tenantID` = the key's tenant, `secret`) or MongoDB Atlas's own app (role mode: the
//! `cloudProviderAccess` role registered for its service principal, no secret). In secret mode a
//! secret is given (`--secret-from`) or made for this project and sent straight in the PATCH (a
//! new secret may take a while to replicate in Entra ID: Atlas's refusals are retried, bounded,
//! and a secret Atlas never accepted is removed again).
//!
//! Refused before anything is sent: a handoff for another target, a mode the handoff does not
//! grant, a Managed HSM key, a role that is not registered, and — Atlas's rule once private
//! endpoints exist — a change of `keyVaultName`, `resourceGroupName` or `subscriptionID`, or
//! private networking turned off.

use super::{AtlasCtx, explain, secret_name};
use crate::atlas::{
    AccessMode, AtlasAccess, AtlasKeyTarget, AzureKeyVaultView, EncryptionAtRestPatch, GroupId,
    RoleId, check_key_for_atlas,
};
use crate::clients::atlas::private_endpoints::EarPrivateEndpoint;
use crate::context::{Ctx, PROPAGATION_ATTEMPTS};
use crate::diagnostics::UsageError;
use crate::documents::{EncryptionTarget, Handoff};
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::{Event, ReporterExt};
use crate::{Refusal, Secret};

#[derive(Debug, Clone)]
pub struct EnableSpec {
    pub handoff: Handoff,
    pub group: GroupId,
    /// Secret mode: the secret to give Atlas (`--secret-from`); `None` makes a new one.
    pub secret: Option<Secret>,
    /// Role mode: the role to use; `None` finds the one registered for the handoff's principal.
    pub role_id: Option<RoleId>,
    /// Lifetime of a secret this run makes.
    pub new_secret_days: i64,
    pub private_networking: bool,
}

/// How the run gives Atlas its way in.
#[derive(Debug, Clone, PartialEq)]
pub enum Way {
    /// The secret the user gave.
    GivenSecret,
    /// A secret this run adds to the provider's app.
    NewSecret,
    /// The project's encryption at rest already uses the app and this key; no new secret.
    KeptSecret,
    Role(RoleId),
}

#[derive(Debug, Clone)]
pub struct EnablePlan {
    pub spec: EnableSpec,
    pub way: Way,
    pub current: AzureKeyVaultView,
    pub endpoints: Vec<EarPrivateEndpoint>,
    pub action: Action,
}

impl EnablePlan {
    pub fn mode(&self) -> AccessMode {
        match self.way {
            Way::Role(_) => AccessMode::Role,
            _ => AccessMode::Secret,
        }
    }

    pub fn steps(&self) -> Vec<PlannedStep> {
        let h = &self.spec.handoff;
        let mut steps = Vec::new();
        if self.way == Way::NewSecret {
            steps.push(
                PlannedStep::new(
                    StepKind::AtlasSecret,
                    Action::Create,
                    format!("{} ({})", secret_name(&self.spec.group), h.app_id),
                )
                .detail(format!(
                    "a client secret for {} days, sent only to Atlas",
                    self.spec.new_secret_days
                )),
            );
        }
        let how = match &self.way {
            Way::Role(r) => format!("roleId {r} (MongoDB Atlas's app, no secret)"),
            _ => format!("clientID {} with a client secret", h.app_id),
        };
        steps.push(
            PlannedStep::new(
                StepKind::AtlasEncryption,
                self.action,
                format!("project {} encryptionAtRest", self.spec.group),
            )
            .detail(format!(
                "key {}, {how}, private networking {}",
                h.key,
                if self.spec.private_networking {
                    "on"
                } else {
                    "off"
                }
            )),
        );
        steps
    }

    fn target(&self) -> AtlasKeyTarget {
        let h = &self.spec.handoff;
        AtlasKeyTarget {
            key_tenant: h.customer_tenant_id,
            subscription: h.subscription_id,
            resource_group: h.resource_group.clone(),
            key: h.key.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct EnableOutcome {
    pub steps: Vec<StepReport>,
    pub view: AzureKeyVaultView,
}

fn same(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| a.eq_ignore_ascii_case(b))
}

/// Whether the project already uses exactly this key, vault and way in.
fn unchanged(current: &AzureKeyVaultView, spec: &EnableSpec, way: &Way) -> bool {
    let h = &spec.handoff;
    let way_same = match way {
        Way::Role(r) => same(current.role_id.as_deref(), r.as_str()),
        _ => {
            current.mode() == Some(AccessMode::Secret)
                && same(current.client_id.as_deref(), &h.app_id.to_string())
                && same(
                    current.tenant_id.as_deref(),
                    &h.customer_tenant_id.to_string(),
                )
        }
    };
    current.is_enabled()
        && way_same
        && same(current.key_identifier.as_deref(), &h.key.to_string())
        && same(current.key_vault_name.as_deref(), &h.vault_name)
        && same(current.resource_group_name.as_deref(), &h.resource_group)
        && same(
            current.subscription_id.as_deref(),
            &h.subscription_id.to_string(),
        )
        && current.private_networking() == spec.private_networking
}

/// Atlas's rule once private endpoints exist: the vault's name, group and subscription stay.
pub fn check_pinned(
    current: &AzureKeyVaultView,
    endpoints: &[EarPrivateEndpoint],
    handoff: &Handoff,
    private_networking: bool,
    group: &GroupId,
) -> Result<(), Refusal> {
    if endpoints.is_empty() || !current.is_enabled() {
        return Ok(());
    }
    let remove = format!(
        "delete the private endpoints first (`xtcmk-provider atlas private-endpoint remove --group-id {group} --all`), or keep the vault"
    );
    for (field, now, wanted) in [
        (
            "keyVaultName",
            current.key_vault_name.as_deref(),
            handoff.vault_name.clone(),
        ),
        (
            "resourceGroupName",
            current.resource_group_name.as_deref(),
            handoff.resource_group.clone(),
        ),
        (
            "subscriptionID",
            current.subscription_id.as_deref(),
            handoff.subscription_id.to_string(),
        ),
    ] {
        if !same(now, &wanted) {
            return Err(Refusal::new(format!(
                "the project has {} encryption-at-rest private endpoint(s), and Atlas does not let {field} change while they exist ({} → {wanted})",
                endpoints.len(),
                now.unwrap_or("(none)")
            ))
            .hint(remove));
        }
    }
    if !private_networking && current.private_networking() {
        return Err(Refusal::new(format!(
            "the project has {} encryption-at-rest private endpoint(s): private networking cannot be turned off while they exist",
            endpoints.len()
        ))
        .hint(format!("pass --private-networking, or {remove}")));
    }
    Ok(())
}

/// Reads the project's configuration, its private endpoints and (role mode) its roles, and decides.
pub async fn plan(atlas: &AtlasCtx, spec: &EnableSpec) -> anyhow::Result<EnablePlan> {
    let h = &spec.handoff;
    if h.target != EncryptionTarget::Atlas {
        return Err(Refusal::new(format!(
            "the handoff is for {}, not MongoDB Atlas: its key URI and grant are for another service",
            h.target.as_str()
        ))
        .hint("ask the customer to onboard for Atlas (`xtcmk-customer onboard --invitation <Atlas invitation>`) and send that handoff")
        .into());
    }
    check_key_for_atlas("handoff.keyUri", &h.key)?;
    let mode = AccessMode::of_app(&h.app_id);
    match (mode, &spec.secret, &spec.role_id) {
        (AccessMode::Role, Some(_), _) => {
            return Err(UsageError::new("--secret-from is for secret mode, but the handoff grants MongoDB Atlas's own app (role mode: no secret)")
                .hint("omit --secret-from; Atlas signs in as its own app through the cloudProviderAccess role")
                .into());
        }
        (AccessMode::Secret, _, Some(_)) => {
            return Err(UsageError::new(format!(
                "--role-id is for MongoDB Atlas's own app, but the handoff grants app {}",
                h.app_id
            ))
            .hint("omit --role-id (Atlas signs in with that app's client secret), or have the customer onboard with an invitation for Atlas's app")
            .into());
        }
        _ => {}
    }
    let current = atlas.atlas.encryption_at_rest(&spec.group).await?.azure();
    let endpoints = atlas.atlas.private_endpoints(&spec.group).await?;
    check_pinned(
        &current,
        &endpoints,
        h,
        spec.private_networking,
        &spec.group,
    )?;
    let way = match mode {
        AccessMode::Role => {
            let roles = atlas.atlas.azure_service_principals(&spec.group).await?;
            let role = match &spec.role_id {
                Some(r) => match roles.iter().find(|found| found.id == r.as_str()) {
                    Some(found)
                        if found.is_for(&h.customer_tenant_id, &h.service_principal_object_id) =>
                    {
                        r.clone()
                    }
                    Some(found) => {
                        return Err(Refusal::new(format!(
                            "role {r} names service principal {} in tenant {}, but the handoff grants {} in tenant {}",
                            found.service_principal_id.as_deref().unwrap_or("(none)"),
                            found.tenant_id.as_deref().unwrap_or("(none)"),
                            h.service_principal_object_id,
                            h.customer_tenant_id
                        ))
                        .hint("omit --role-id to use the role registered for the handoff's principal")
                        .into());
                    }
                    None => {
                        return Err(Refusal::new(format!(
                            "project {} has no cloudProviderAccess role {r}",
                            spec.group
                        ))
                        .hint(format!(
                            "register it: xtcmk-provider atlas register-access --handoff <file> --group-id {}",
                            spec.group
                        ))
                        .into());
                    }
                },
                None => {
                    let found = roles
                        .into_iter()
                        .find(|r| r.is_for(&h.customer_tenant_id, &h.service_principal_object_id));
                    match found {
                        Some(r) => RoleId::parse_field("cloudProviderAccess._id", &r.id)?,
                        None => {
                            return Err(Refusal::new(format!(
                                "no cloudProviderAccess role of project {} names MongoDB Atlas's service principal {} in tenant {}",
                                spec.group, h.service_principal_object_id, h.customer_tenant_id
                            ))
                            .hint(format!(
                                "register it first: xtcmk-provider atlas register-access --handoff <file> --group-id {}",
                                spec.group
                            ))
                            .into());
                        }
                    }
                }
            };
            Way::Role(role)
        }
        AccessMode::Secret => match &spec.secret {
            Some(_) => Way::GivenSecret,
            None if unchanged(&current, spec, &Way::KeptSecret) => Way::KeptSecret,
            None => Way::NewSecret,
        },
    };
    let action = if way == Way::GivenSecret {
        // Atlas never shows the secret it holds: a given one is always sent.
        if current.is_enabled() {
            Action::Update
        } else {
            Action::Create
        }
    } else if unchanged(&current, spec, &way) {
        Action::Keep
    } else if current.is_enabled() {
        Action::Update
    } else {
        Action::Create
    };
    let plan = EnablePlan {
        spec: spec.clone(),
        way,
        current,
        endpoints,
        action,
    };
    atlas.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

fn rejected_new_secret(e: &crate::http::HttpError) -> bool {
    e.is(400, "INVALID_AZURE_CREDENTIALS")
}

/// PATCHes the configuration (retrying while a new secret replicates), then reads `valid`.
/// `ctx` (the provider tenant) is needed only to make a new secret.
pub async fn apply(
    atlas: &AtlasCtx,
    ctx: Option<&Ctx>,
    plan: EnablePlan,
) -> anyhow::Result<EnableOutcome> {
    let mut steps = Vec::new();
    let planned = plan.steps();
    let spec = &plan.spec;
    let mode = plan.mode();
    let encryption_step = planned.last().cloned().expect("the encryption step");
    if plan.action != Action::Keep {
        let mut new_secret = None;
        let access = match &plan.way {
            Way::Role(role_id) => AtlasAccess::Role {
                role_id: role_id.clone(),
            },
            Way::GivenSecret => AtlasAccess::Secret {
                client_id: spec.handoff.app_id,
                secret: spec.secret.clone().expect("a given secret"),
            },
            Way::NewSecret | Way::KeptSecret => {
                let ctx = ctx.ok_or_else(|| {
                    UsageError::new("a new client secret needs a sign-in to the provider's tenant")
                        .hint("sign in (`az login --tenant <provider tenant>`), or pass --secret-from FILE")
                })?;
                atlas
                    .reporter
                    .started(StepKind::AtlasSecret, &planned[0].resource);
                let new = super::secret::add(
                    ctx,
                    &spec.handoff.app_id,
                    &secret_name(&spec.group),
                    spec.new_secret_days,
                )
                .await?;
                let report = StepReport::new(
                    StepKind::AtlasSecret,
                    Outcome::Created,
                    new.info.key_id.to_string(),
                )
                .detail(format!(
                    "{}, hint {}…, expires {}",
                    secret_name(&spec.group),
                    new.info.hint.clone().unwrap_or_default(),
                    new.info.end_date_time.clone().unwrap_or_default()
                ));
                atlas.reporter.finished(&report);
                steps.push(report);
                let access = AtlasAccess::Secret {
                    client_id: spec.handoff.app_id,
                    secret: new.secret.clone(),
                };
                new_secret = Some(new);
                access
            }
        };
        let body = EncryptionAtRestPatch::enable(
            &atlas.cloud,
            access,
            &plan.target(),
            spec.private_networking,
        )?;
        atlas
            .reporter
            .started(StepKind::AtlasEncryption, &encryption_step.resource);
        let sent = match &new_secret {
            Some(_) => {
                atlas
                    .retrying(
                        "the new client secret to replicate in Entra ID",
                        PROPAGATION_ATTEMPTS,
                        rejected_new_secret,
                        || atlas.atlas.update_encryption_at_rest(&spec.group, &body),
                    )
                    .await
            }
            None => {
                atlas
                    .atlas
                    .update_encryption_at_rest(&spec.group, &body)
                    .await
            }
        };
        if let Err(e) = sent {
            if let (Some(new), Some(ctx)) = (&new_secret, ctx) {
                // Atlas never took it: nobody uses this secret.
                ctx.graph
                    .remove_password(&spec.handoff.app_id, &new.info.key_id)
                    .await?;
                atlas.reporter.notice(format!(
                    "removed the new secret {} again: Atlas did not accept it",
                    new.info.key_id
                ));
            }
            return Err(explain(e, Some(mode)));
        }
    }
    let view = atlas.atlas.encryption_at_rest(&spec.group).await?.azure();
    if !view.is_valid() {
        return Err(Refusal::new(
            "Atlas holds the settings but reports valid: false: it cannot encrypt and decrypt with the key",
        )
        .hint(format!(
            "`xtcmk-provider atlas status --group-id {}` shows the cause; ask the customer to run `xtcmk-customer status --handoff <their handoff file>`",
            spec.group
        ))
        .into());
    }
    let report = StepReport {
        outcome: plan.action.done(),
        ..encryption_step.predicted()
    };
    atlas.reporter.finished(&report);
    steps.push(report);
    Ok(EnableOutcome { steps, view })
}
