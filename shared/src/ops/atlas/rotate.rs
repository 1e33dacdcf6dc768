//! `atlas rotate-key` and `atlas rotate-secret`.
//!
//! `rotate-key` points Atlas at another version of the customer's key (Atlas does not rotate the
//! Azure key identifier itself and raises an alert 90 days after it last changed): the version the
//! customer's handoff names, or `--key-version`. The key must stay in the project's vault ("the
//! encryption key must belong to the Key Vault configured for the project").
//!
//! `rotate-secret` replaces the client secret Atlas signs in with (secret mode): add a new secret
//! → PATCH Atlas with it → check `valid` → remove the project's old secret(s). If any step before
//! the removal fails, the new secret is taken away again and the old one stays, so Atlas stays
//! valid. Only secrets this tool made for the project (`xtcmk-atlas-<group>`) are removed: one
//! provider app serves many projects, and another project's secret must not go.

use super::{AtlasCtx, explain, secret_name};
use crate::atlas::{
    AccessMode, AzureKeyVaultPatch, AzureKeyVaultView, EncryptionAtRestPatch, GroupId,
};
use crate::clients::graph::passwords::PasswordCredentialInfo;
use crate::context::{Ctx, PROPAGATION_ATTEMPTS};
use crate::documents::Handoff;
use crate::key_uri::VersionedKeyUri;
use crate::output::{Action, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::{Event, ReporterExt};
use crate::{AppId, InputError, Refusal};

#[derive(Debug, Clone)]
pub struct RotateKeySpec {
    pub group: GroupId,
    pub handoff: Handoff,
    /// A version other than the handoff's.
    pub key_version: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RotateKeyPlan {
    pub spec: RotateKeySpec,
    pub current: AzureKeyVaultView,
    pub key: VersionedKeyUri,
    pub action: Action,
}

impl RotateKeyPlan {
    pub fn steps(&self) -> Vec<PlannedStep> {
        vec![
            PlannedStep::new(
                StepKind::AtlasEncryption,
                self.action,
                format!("project {} encryptionAtRest", self.spec.group),
            )
            .detail(format!(
                "keyIdentifier {} → {}",
                self.current.key_identifier.as_deref().unwrap_or("(none)"),
                self.key
            )),
        ]
    }
}

#[derive(Debug, Clone)]
pub struct RotateOutcome {
    pub steps: Vec<StepReport>,
    pub view: AzureKeyVaultView,
}

fn not_enabled(group: &GroupId) -> Refusal {
    Refusal::new(format!(
        "encryption at rest with Azure Key Vault is not on in project {group}"
    ))
    .hint(format!(
        "enable it first: xtcmk-provider atlas enable --handoff <file> --group-id {group}"
    ))
}

pub async fn plan_key(atlas: &AtlasCtx, spec: &RotateKeySpec) -> anyhow::Result<RotateKeyPlan> {
    let current = atlas.atlas.encryption_at_rest(&spec.group).await?.azure();
    if !current.is_enabled() {
        return Err(not_enabled(&spec.group).into());
    }
    let key = match &spec.key_version {
        Some(v) => spec
            .handoff
            .key
            .versionless()
            .with_version("--key-version", v)?,
        None => spec.handoff.key.clone(),
    };
    let vault = current.key_vault_name.as_deref().unwrap_or_default();
    if !key.vault_name().eq_ignore_ascii_case(vault)
        || !current
            .resource_group_name
            .as_deref()
            .is_some_and(|rg| rg.eq_ignore_ascii_case(&spec.handoff.resource_group))
    {
        return Err(InputError::new(
            "--handoff",
            key.to_string(),
            format!(
                "the key is in vault {} (resource group {}), but the project's key is in vault {vault}: a key rotation stays in the project's vault",
                key.vault_name(),
                spec.handoff.resource_group
            ),
        )
        .with_fix(format!(
            "rotate to a key of vault {vault}; to move to another vault use `xtcmk-provider atlas enable` (not possible while private endpoints exist)"
        ))
        .into());
    }
    let action = if current
        .key_identifier
        .as_deref()
        .is_some_and(|k| k.eq_ignore_ascii_case(&key.to_string()))
    {
        Action::Keep
    } else {
        Action::Update
    };
    let plan = RotateKeyPlan {
        spec: spec.clone(),
        current,
        key,
        action,
    };
    atlas.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

pub async fn apply_key(atlas: &AtlasCtx, plan: RotateKeyPlan) -> anyhow::Result<RotateOutcome> {
    let step = plan.steps().remove(0);
    if plan.action == Action::Update {
        atlas
            .reporter
            .started(StepKind::AtlasEncryption, &step.resource);
        let body = EncryptionAtRestPatch::changes(AzureKeyVaultPatch {
            key_identifier: Some(plan.key.clone()),
            ..Default::default()
        });
        atlas
            .atlas
            .update_encryption_at_rest(&plan.spec.group, &body)
            .await
            .map_err(|e| explain(e, plan.current.mode()))?;
    }
    let view = atlas
        .atlas
        .encryption_at_rest(&plan.spec.group)
        .await?
        .azure();
    if !view.is_valid() {
        return Err(
            Refusal::new("Atlas reports valid: false after the key rotation")
                .hint(format!(
                    "`xtcmk-provider atlas status --group-id {}` shows the cause",
                    plan.spec.group
                ))
                .into(),
        );
    }
    let report = StepReport {
        outcome: plan.action.done(),
        ..step.predicted()
    };
    atlas.reporter.finished(&report);
    Ok(RotateOutcome {
        steps: vec![report],
        view,
    })
}

#[derive(Debug, Clone)]
pub struct RotateSecretSpec {
    pub group: GroupId,
    pub new_secret_days: i64,
}

#[derive(Debug, Clone)]
pub struct RotateSecretPlan {
    pub spec: RotateSecretSpec,
    pub app_id: AppId,
    /// The project's secrets this tool made before (removed once the new one works).
    pub old: Vec<PasswordCredentialInfo>,
}

impl RotateSecretPlan {
    pub fn steps(&self) -> Vec<PlannedStep> {
        let mut steps = vec![
            PlannedStep::new(
                StepKind::AtlasSecret,
                Action::Create,
                format!("{} ({})", secret_name(&self.spec.group), self.app_id),
            )
            .detail(format!(
                "a client secret for {} days",
                self.spec.new_secret_days
            )),
            PlannedStep::new(
                StepKind::AtlasEncryption,
                Action::Update,
                format!("project {} encryptionAtRest", self.spec.group),
            )
            .detail("the new secret, checked by Atlas (valid)"),
        ];
        for old in &self.old {
            steps.push(
                PlannedStep::new(
                    StepKind::AtlasSecret,
                    Action::Remove,
                    old.key_id.to_string(),
                )
                .detail(format!(
                    "the old secret, hint {}…, expires {}",
                    old.hint.as_deref().unwrap_or_default(),
                    old.end_date_time.as_deref().unwrap_or_default()
                )),
            );
        }
        steps
    }
}

pub async fn plan_secret(
    atlas: &AtlasCtx,
    ctx: &Ctx,
    spec: &RotateSecretSpec,
) -> anyhow::Result<RotateSecretPlan> {
    let current = atlas.atlas.encryption_at_rest(&spec.group).await?.azure();
    if !current.is_enabled() {
        return Err(not_enabled(&spec.group).into());
    }
    if current.mode() != Some(AccessMode::Secret) {
        return Err(Refusal::new(format!(
            "project {} signs in as MongoDB Atlas's own app (roleId): there is no secret to rotate",
            spec.group
        ))
        .into());
    }
    let app_id = current.client().ok_or_else(|| {
        Refusal::new("Atlas's configuration names no valid clientID").hint(format!(
            "enable it again: xtcmk-provider atlas enable --handoff <file> --group-id {}",
            spec.group
        ))
    })?;
    let secrets = super::secret::provider_app(ctx, &app_id).await?;
    let name = secret_name(&spec.group);
    let old: Vec<PasswordCredentialInfo> = secrets
        .into_iter()
        .filter(|p| p.display_name.as_deref() == Some(name.as_str()))
        .collect();
    if old.is_empty() {
        ctx.reporter.warn(format!(
            "no secret of app {app_id} is named {name}: the secret Atlas uses now was not made by this tool and is left in place; remove it with `xtcmk-provider atlas secret remove --app-id {app_id} --key-id <key id>` once the rotation is done"
        ));
    }
    let plan = RotateSecretPlan {
        spec: spec.clone(),
        app_id,
        old,
    };
    ctx.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

pub async fn apply_secret(
    atlas: &AtlasCtx,
    ctx: &Ctx,
    plan: RotateSecretPlan,
) -> anyhow::Result<RotateOutcome> {
    let planned = plan.steps();
    let spec = &plan.spec;
    let mut steps = Vec::new();
    atlas
        .reporter
        .started(StepKind::AtlasSecret, &planned[0].resource);
    let new = super::secret::add(
        ctx,
        &plan.app_id,
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

    // Give Atlas the new secret; until it accepts it, the old one stays in use.
    atlas
        .reporter
        .started(StepKind::AtlasEncryption, &planned[1].resource);
    let body = EncryptionAtRestPatch::changes(AzureKeyVaultPatch {
        secret: Some(new.secret.clone()),
        ..Default::default()
    });
    let sent = atlas
        .retrying(
            "the new client secret to replicate in Entra ID",
            PROPAGATION_ATTEMPTS,
            |e| e.is(400, "INVALID_AZURE_CREDENTIALS"),
            || atlas.atlas.update_encryption_at_rest(&spec.group, &body),
        )
        .await;
    let verified = match sent {
        Ok(_) => {
            let view = atlas.atlas.encryption_at_rest(&spec.group).await?.azure();
            if view.is_valid() {
                Ok(view)
            } else {
                Err(Refusal::new("Atlas took the new secret but reports valid: false").into())
            }
        }
        Err(e) => Err(explain(e, Some(AccessMode::Secret))),
    };
    let view = match verified {
        Ok(view) => view,
        Err(e) => {
            ctx.graph
                .remove_password(&plan.app_id, &new.info.key_id)
                .await?;
            let report = StepReport::new(
                StepKind::AtlasSecret,
                Outcome::Removed,
                new.info.key_id.to_string(),
            )
            .detail("the new secret, which Atlas did not accept: the old secret stays in use");
            atlas.reporter.finished(&report);
            return Err(e.context(format!(
                "the secret was not rotated: Atlas still uses the old secret, and the new one ({}) was removed again",
                new.info.key_id
            )));
        }
    };
    let report = StepReport {
        outcome: Outcome::Updated,
        ..planned[1].predicted()
    };
    atlas.reporter.finished(&report);
    steps.push(report);

    for (old, step) in plan.old.iter().zip(planned.iter().skip(2)) {
        atlas
            .reporter
            .started(StepKind::AtlasSecret, &step.resource);
        ctx.graph.remove_password(&plan.app_id, &old.key_id).await?;
        let report = StepReport {
            outcome: Outcome::Removed,
            ..step.predicted()
        };
        atlas.reporter.finished(&report);
        steps.push(report);
    }
    Ok(RotateOutcome { steps, view })
}
