//! `onboard` (phase 2): install the provider's app as a service principal, create or keep the
//! vault and key, grant the app's service principal least-privilege access to the key, check
//! the result and write the handoff.
//!
//! [`plan`] makes every read and every refusal that can come before a write — the signed-in
//! principal and its directory roles, the app's service principal, the resource group
//! permissions (ARM's permissions API), the vault (or a soft-deleted one, or the name held
//! elsewhere), the key where the signed-in principal may read it, the grant and the handoff
//! file; [`apply`] carries the plan out.

use crate::clients::arm::keys::KEY_WRITE;
use crate::clients::arm::permissions::{Permission, allows_action, allows_data_action};
use crate::clients::arm::vaults::Vault;
use crate::clients::graph::service_principals::ServicePrincipalInfo;
use crate::consent::{ConsentTenant, admin_consent_url};
use crate::context::Ctx;
use crate::directory_roles::{APP_ADMIN_ROLES, SP_INSTALLING_ROLES};
use crate::documents::{EncryptionTarget, Handoff, PermissionModel};
use crate::http::{Audience, TokenClaims};
use crate::output::{Action, Check, Outcome, PlannedStep, StepKind, StepReport};
use crate::report::{Event, ReporterExt};
use crate::steps::customer::grant::{self, GrantPlan, Principal, PrincipalKind};
use crate::steps::customer::grants::{self, FoundGrant, GrantSource};
use crate::steps::customer::key::{self, KeyAccess, KeyFound, check_key, read_key};
use crate::steps::customer::vault::{self, VaultFound, check_vault, vault_model};
use crate::steps::customer::{handoff, service_principal, verify};
use crate::{AppId, Location, ObjectId, Refusal, ResourceId, SubscriptionId, TenantId};
use std::path::PathBuf;

/// Where the provider's grant is scoped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GrantScope {
    /// The single key (least privilege; the default).
    #[default]
    Key,
    /// The whole vault.
    Vault,
}

/// How the provider's app gets installed when its service principal is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InstallVia {
    /// A Graph upsert by appId (needs Global, Application or Cloud Application Administrator).
    #[default]
    Graph,
    /// Print the admin-consent URL and wait (bounded) until an administrator has consented.
    Consent,
}

/// What the customer asked for.
#[derive(Debug, Clone)]
pub struct OnboardSpec {
    pub app_id: AppId,
    /// From the invitation, for messages (the provider's claim; the directory's name wins).
    pub app_display_name: Option<String>,
    pub subscription: SubscriptionId,
    pub resource_group: String,
    pub location: Location,
    pub vault: String,
    pub key: String,
    pub target: EncryptionTarget,
    /// `None`: the vault's own model (RBAC for a new vault).
    pub permission_model: Option<PermissionModel>,
    pub scope: GrantScope,
    pub key_size: u32,
    /// Turn purge protection (or soft delete) on for an adopted vault.
    pub fix: bool,
    /// Recover a soft-deleted vault of this name.
    pub recover: bool,
    pub via: InstallVia,
    /// The admin-consent URL (from the invitation, with its registered redirect URI), if known.
    pub consent_url: Option<url::Url>,
    /// Where the handoff is written.
    pub handoff_out: PathBuf,
}

impl OnboardSpec {
    pub fn resource_group_id(&self) -> ResourceId {
        ResourceId::resource_group(self.subscription, &self.resource_group)
    }

    pub fn vault_id(&self) -> ResourceId {
        ResourceId::vault(self.subscription, &self.resource_group, &self.vault)
    }

    pub fn key_id(&self) -> ResourceId {
        ResourceId::key(
            self.subscription,
            &self.resource_group,
            &self.vault,
            &self.key,
        )
    }

    /// The scope of the provider's role assignment.
    pub fn grant_scope_id(&self) -> ResourceId {
        match self.scope {
            GrantScope::Key => self.key_id(),
            GrantScope::Vault => self.vault_id(),
        }
    }

    /// The app, for messages: its display name and id, or the id alone.
    pub fn app_label(&self) -> String {
        match &self.app_display_name {
            Some(name) => format!("{name} ({})", self.app_id),
            None => format!("app {}", self.app_id),
        }
    }
}

pub const VAULT_WRITE: &str = "Microsoft.KeyVault/vaults/write";
pub const ROLE_ASSIGNMENT_WRITE: &str = "Microsoft.Authorization/roleAssignments/write";
pub const ACCESS_POLICY_WRITE: &str = "Microsoft.KeyVault/vaults/accessPolicies/write";

/// Every decision of an onboarding run, made from reads only.
#[derive(Debug, Clone)]
pub struct OnboardPlan {
    pub spec: OnboardSpec,
    /// The customer's tenant (the signed-in principal's).
    pub tenant: TenantId,
    pub user: TokenClaims,
    pub user_id: ObjectId,
    pub service_principal: Option<ServicePrincipalInfo>,
    pub vault: VaultFound,
    /// The signed-in principal's own key access, granted before the key is read or created.
    pub key_access: Option<KeyAccess>,
    pub key: KeyFound,
    /// The Atlas custom role (RBAC grants for Atlas only).
    pub atlas_role: Option<Action>,
    pub grant: GrantPlan,
    /// Grants onboarding made earlier at another scope (`--scope` changed): removed once the
    /// new grant is in place.
    pub replaced: Vec<FoundGrant>,
    pub handoff: Action,
    pub permission_model: PermissionModel,
    pub warnings: Vec<String>,
}

impl OnboardPlan {
    /// The steps, in order, as the plan decided them.
    pub fn steps(&self) -> Vec<PlannedStep> {
        let spec = &self.spec;
        let sp = self.service_principal.as_ref().map(|s| s.id);
        let mut steps = vec![
            service_principal::step(spec, &self.tenant, self.service_principal.as_ref()),
            vault::step(spec, &self.vault),
        ];
        if let Some(access) = self.key_access {
            steps.push(access.step(
                spec,
                &self.user_id,
                &self.user.display_name(),
                matches!(self.vault, VaultFound::Absent),
            ));
        }
        steps.push(key::step(spec, &self.key));
        if let Some(action) = self.atlas_role {
            steps.push(grant::atlas_role_step(spec, action));
        }
        steps.push(grant::step(spec, &self.grant, sp.as_ref()));
        for old in &self.replaced {
            steps.push(
                PlannedStep::new(StepKind::Grant, Action::Remove, &old.id).detail(format!(
                    "{}; replaced by the grant at {}",
                    old.describe(),
                    spec.grant_scope_id()
                )),
            );
        }
        steps.push(handoff::step(&spec.handoff_out, self.handoff));
        steps
    }

    /// The plan's steps that write in the tenant.
    pub fn writes(&self) -> usize {
        self.steps()
            .iter()
            .filter(|s| s.action.writes() && !s.step.is_local_file())
            .count()
    }
}

/// What an onboarding run made.
#[derive(Debug, Clone)]
pub struct OnboardOutcome {
    pub steps: Vec<StepReport>,
    pub checks: Vec<Check>,
    pub handoff: Handoff,
}

/// Runs every read and every check that needs no write, and decides every step.
pub async fn plan(ctx: &Ctx, spec: &OnboardSpec) -> anyhow::Result<OnboardPlan> {
    // Local preconditions first: nothing in the tenant changes before the handoff can be written.
    crate::files::check_output("--handoff-out", &spec.handoff_out)?;
    let user = ctx.claims(Audience::Arm).await?;
    let user_id = user.object_id().ok_or_else(|| {
        Refusal::new("the access token carries no object id (oid claim)")
            .hint("sign in as a user or service principal of the customer's tenant (`az login --tenant <tenant>`)")
    })?;

    let service_principal = ctx.graph.service_principal(&spec.app_id).await?;
    if service_principal.is_none()
        && spec.via == InstallVia::Graph
        && !APP_ADMIN_ROLES
            .iter()
            .any(|(id, _)| user.has_directory_role(id))
    {
        let url = admin_consent_url(
            ctx.cloud(),
            &ConsentTenant::Id(ctx.tenant),
            &spec.app_id,
            None,
        );
        return Err(Refusal::new(format!(
            "{} cannot install {} in this tenant: creating the service principal of another tenant's app needs the {SP_INSTALLING_ROLES} directory role",
            user.display_name(),
            spec.app_label()
        ))
        .hint(format!(
            "ask an administrator with one of these roles to run this command, or re-run with --via consent and have one open the admin-consent URL {url}"
        ))
        .into());
    }

    let mut warnings = Vec::new();
    let (vault_found, key_found, model, permissions) = match find_vault(ctx, spec).await? {
        VaultRead::Found(found) => {
            let model = vault_model(&found);
            let fixes = check_vault(&ctx.tenant, spec, &found, model)?;
            let permissions = ctx.arm.permissions(&spec.resource_group_id()).await?;
            check_permissions(spec, &permissions, fixes.any(), model)?;
            let key = match read_key(ctx, &found, &spec.key).await {
                Ok(Some(facts)) => {
                    check_key(spec, &facts)?;
                    KeyFound::Existing(facts)
                }
                Ok(None) => KeyFound::Absent,
                Err(e) if e.status() == Some(403) => KeyFound::NotReadable,
                Err(e) => return Err(e.into()),
            };
            check_key_write(spec, &permissions, &key)?;
            if let Some(w) = vault::location_warning(spec, &found) {
                warnings.push(w);
            }
            let found = VaultFound::Existing {
                vault: found,
                fixes,
            };
            (found, key, model, permissions)
        }
        VaultRead::Absent(found) => {
            let permissions = ctx.arm.permissions(&spec.resource_group_id()).await?;
            check_permissions(spec, &permissions, true, PermissionModel::Rbac)?;
            let key = match found {
                VaultFound::Absent => KeyFound::Absent,
                _ => KeyFound::NotReadable,
            };
            check_key_write(spec, &permissions, &key)?;
            (found, key, PermissionModel::Rbac, permissions)
        }
    };
    let key_access = match (&vault_found, &key_found) {
        (VaultFound::Absent, _) if !inherits_key_access(&permissions) => {
            Some(KeyAccess::CryptoOfficer)
        }
        (VaultFound::Existing { vault, .. }, KeyFound::NotReadable) => {
            Some(KeyAccess::for_vault(vault.rbac()))
        }
        _ => None,
    };

    let existing_vault = match &vault_found {
        VaultFound::Existing { vault, .. } => Some(vault.as_ref()),
        _ => None,
    };
    let sp_id = service_principal.as_ref().map(|s| s.id);
    let atlas_role = match (model, spec.target) {
        (PermissionModel::Rbac, EncryptionTarget::Atlas) => {
            Some(grant::plan_atlas_role(ctx, spec).await?)
        }
        _ => None,
    };
    let grant = grant::plan(ctx, spec, sp_id.as_ref(), existing_vault, model).await?;
    let replaced = match (&sp_id, existing_vault, model) {
        (Some(sp), Some(vault), PermissionModel::Rbac) => {
            let role = grant::provider_role(spec);
            let scope = spec.grant_scope_id().to_string();
            grants::find(ctx, &spec.key_id(), Some(vault), sp, model)
                .await?
                .into_iter()
                .filter(|g| {
                    g.ours
                        && grants::is_provider_role(&role, g)
                        && matches!(&g.source, GrantSource::RoleAssignment { scope: s, .. } if !s.eq_ignore_ascii_case(&scope))
                })
                .collect()
        }
        _ => Vec::new(),
    };

    // The handoff is known before the run only when nothing it names is still to be made.
    let expected = match (&sp_id, &key_found, grant.assignment_id(), model) {
        (Some(sp), KeyFound::Existing(facts), Some(id), PermissionModel::Rbac) => {
            Some(handoff::build(
                ctx.cloud(),
                ctx.tenant,
                spec,
                *sp,
                facts.versioned(ctx.cloud())?,
                model,
                Some(id.clone()),
            ))
        }
        (Some(sp), KeyFound::Existing(facts), _, PermissionModel::AccessPolicy) => {
            Some(handoff::build(
                ctx.cloud(),
                ctx.tenant,
                spec,
                *sp,
                facts.versioned(ctx.cloud())?,
                model,
                None,
            ))
        }
        _ => None,
    };
    let handoff_action = handoff::plan(&spec.handoff_out, expected.as_ref())?;

    for w in &warnings {
        ctx.reporter.warn(w.clone());
    }
    let plan = OnboardPlan {
        spec: spec.clone(),
        tenant: ctx.tenant,
        user,
        user_id,
        service_principal,
        vault: vault_found,
        key_access,
        key: key_found,
        atlas_role,
        grant,
        replaced,
        handoff: handoff_action,
        permission_model: model,
        warnings,
    };
    ctx.reporter.report(Event::Planned(plan.steps()));
    Ok(plan)
}

/// Carries the plan out, reporting each step as it finishes; then checks the result and writes
/// the handoff.
pub async fn apply(ctx: &Ctx, plan: OnboardPlan) -> anyhow::Result<OnboardOutcome> {
    let spec = &plan.spec;
    let mut steps: Vec<StepReport> = Vec::new();
    let done = |report: StepReport, steps: &mut Vec<StepReport>| {
        ctx.reporter.finished(&report);
        steps.push(report);
    };

    let (sp, report) = service_principal::apply(ctx, spec, plan.service_principal.as_ref()).await?;
    done(report, &mut steps);
    let (the_vault, report) = vault::apply(ctx, spec, &plan.vault).await?;
    done(report, &mut steps);
    let me = Principal {
        id: plan.user_id,
        kind: PrincipalKind::of(&plan.user),
    };
    if let Some(access) = plan.key_access {
        done(access.apply(ctx, spec, &me).await?, &mut steps);
    }
    let mut extra = Vec::new();
    let (key_facts, report) = key::apply(
        ctx,
        spec,
        &plan.key,
        &the_vault,
        &me,
        plan.key_access.is_some(),
        &mut extra,
    )
    .await?;
    for r in extra {
        done(r, &mut steps);
    }
    done(report, &mut steps);
    if let Some(action) = plan.atlas_role {
        done(
            grant::apply_atlas_role(ctx, spec, action).await?,
            &mut steps,
        );
    }
    // A grant planned before the service principal existed is decided again now it does.
    let grant_plan = match (&plan.grant, &plan.service_principal) {
        (GrantPlan::CreateAssignment(None), None) => {
            GrantPlan::CreateAssignment(Some(grant::assignment_id(spec, &sp.id)))
        }
        (other, _) => other.clone(),
    };
    let (report, role_assignment_id) = grant::apply(ctx, spec, &grant_plan, &sp.id).await?;
    done(report, &mut steps);
    for old in &plan.replaced {
        ctx.reporter.started(StepKind::Grant, &old.id);
        ctx.arm.delete_role_assignment(&old.id).await?;
        done(
            StepReport::new(StepKind::Grant, Outcome::Removed, &old.id).detail(format!(
                "{}; replaced by the grant at {}",
                old.describe(),
                spec.grant_scope_id()
            )),
            &mut steps,
        );
    }

    let doc = handoff::build(
        ctx.cloud(),
        ctx.tenant,
        spec,
        sp.id,
        key_facts.versioned(ctx.cloud())?,
        plan.permission_model,
        role_assignment_id,
    );
    let checks = verify_written(ctx, &doc).await?;
    if let Some(failed) = checks.iter().find(|c| !c.ok()) {
        return Err(Refusal::new(format!(
            "onboarding made its changes, but the check of `{}` did not pass: {}",
            failed.item, failed.detail
        ))
        .hint("re-run the same command; every step is safe to repeat")
        .into());
    }
    done(handoff::write(&spec.handoff_out, &doc)?, &mut steps);
    Ok(OnboardOutcome {
        steps,
        checks,
        handoff: doc,
    })
}

/// Checks what this run wrote. Entra ID, ARM and Key Vault replicate new objects with a delay,
/// so a just-written item may not show on the replica that answers yet: a failed check is made
/// again, bounded, before it counts.
async fn verify_written(ctx: &Ctx, doc: &Handoff) -> anyhow::Result<Vec<Check>> {
    let first = verify::run(ctx, doc).await?.checks;
    ctx.while_pending(
        first,
        |checks| {
            checks
                .iter()
                .find(|c| !c.ok())
                .map(|c| format!("the new `{}` to replicate", c.item))
        },
        || async { Ok(verify::run(ctx, doc).await?.checks) },
    )
    .await
}

/// The vault in the resource group, once provisioned; or why it is absent.
enum VaultRead {
    Found(Box<Vault>),
    Absent(VaultFound),
}

async fn find_vault(ctx: &Ctx, spec: &OnboardSpec) -> anyhow::Result<VaultRead> {
    let ready = || async {
        match ctx.arm.vault(&spec.vault_id()).await? {
            Some(found) => vault::when_ready(ctx, &spec.vault_id(), found).await,
            None => Ok(None),
        }
    };
    if let Some(found) = ready().await? {
        return Ok(VaultRead::Found(Box::new(found)));
    }
    match absent_vault(ctx, spec).await {
        Ok(absent) => Ok(VaultRead::Absent(absent)),
        // A name taken since the first read may be a concurrent run's new vault right here:
        // adopted like any vault found, instead of refused as someone else's.
        Err(refused) => match ready().await? {
            Some(found) => Ok(VaultRead::Found(Box::new(found))),
            None => Err(refused),
        },
    }
}

/// The vault does not exist: is the name held by a soft-deleted vault, or by someone else?
async fn absent_vault(ctx: &Ctx, spec: &OnboardSpec) -> anyhow::Result<VaultFound> {
    if spec.permission_model == Some(PermissionModel::AccessPolicy) {
        return Err(Refusal::new(format!(
            "--permission-model access-policy asks for a new vault {} without RBAC authorization; new vaults use Azure RBAC",
            spec.vault
        ))
        .hint("omit --permission-model (new vaults use RBAC), or create the vault with access policies yourself and re-run")
        .into());
    }
    let deleted = ctx
        .arm
        .deleted_vault(spec.subscription, spec.location.as_str(), &spec.vault)
        .await?;
    match deleted {
        Some(d) if spec.recover => Ok(VaultFound::Recoverable(Box::new(d))),
        Some(d) => {
            let purge = d
                .scheduled_purge_date()
                .map(|p| format!(" (it will be purged on {p})"))
                .unwrap_or_default();
            Err(Refusal::new(format!(
                "the vault name {} is held by a soft-deleted vault in {}{purge}",
                spec.vault, spec.location
            ))
            .hint(format!(
                "re-run with --recover to recover it with its keys, or choose another --vault name (purging it with `az keyvault purge --name {}` destroys its keys for good)",
                spec.vault
            ))
            .into())
        }
        None => {
            let availability = ctx
                .arm
                .check_vault_name(spec.subscription, &spec.vault)
                .await?;
            if !availability.name_available {
                return Err(Refusal::new(format!(
                    "the vault name {} is taken: {}",
                    spec.vault,
                    availability
                        .message
                        .unwrap_or_else(|| "vault names are unique across Azure".into())
                ))
                .hint("choose another --vault name (3-24 letters, digits and hyphens, unique across Azure)")
                .into());
            }
            Ok(VaultFound::Absent)
        }
    }
}

/// The Key Vault RBAC data action to read keys, held at the resource group or above
/// (authorization/builtin-roles: Key Vault Administrator, Crypto Officer, Reader). Creating the
/// key needs none: it goes through Resource Manager ([`KEY_WRITE`]).
fn inherits_key_access(permissions: &[Permission]) -> bool {
    allows_data_action(permissions, "Microsoft.KeyVault/vaults/keys/read")
}

/// Creating the key (Resource Manager's create-if-not-exist) needs `vaults/keys/write`.
fn check_key_write(
    spec: &OnboardSpec,
    permissions: &[Permission],
    key: &KeyFound,
) -> Result<(), Refusal> {
    if matches!(key, KeyFound::Existing(_)) || allows_action(permissions, KEY_WRITE) {
        return Ok(());
    }
    Err(Refusal::new(format!(
        "you may not create key {} in vault {}: missing {KEY_WRITE}",
        spec.key, spec.vault
    ))
    .hint(format!(
        "ask for the Owner role (or Key Vault Contributor) on resource group {} in subscription {}, or pass the --key name of an existing key, then re-run",
        spec.resource_group, spec.subscription
    )))
}

/// The signed-in principal must be able to write vaults (when one is created or fixed) and the
/// grant (role assignments or access policies) on the resource group.
fn check_permissions(
    spec: &OnboardSpec,
    permissions: &[Permission],
    writes_vault: bool,
    model: PermissionModel,
) -> Result<(), Refusal> {
    let mut missing = Vec::new();
    if writes_vault && !allows_action(permissions, VAULT_WRITE) {
        missing.push(VAULT_WRITE);
    }
    let grant = match model {
        PermissionModel::Rbac => ROLE_ASSIGNMENT_WRITE,
        PermissionModel::AccessPolicy => ACCESS_POLICY_WRITE,
    };
    if !allows_action(permissions, grant) {
        missing.push(grant);
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(Refusal::new(format!(
        "you may not do everything onboarding needs on resource group {}: missing {}",
        spec.resource_group,
        missing.join(", ")
    ))
    .hint(format!(
        "ask for the Owner role (or Key Vault Contributor plus Role Based Access Control Administrator) on resource group {} in subscription {}, then re-run",
        spec.resource_group, spec.subscription
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> OnboardSpec {
        OnboardSpec {
            app_id: "11111111-1111-1111-1111-111111111111".parse().unwrap(),
            app_display_name: None,
            subscription: "22222222-2222-2222-2222-222222222222".parse().unwrap(),
            resource_group: "rg-keys".into(),
            location: Location::parse_field("--location", "westeurope").unwrap(),
            vault: "kv-keys".into(),
            key: "cmk".into(),
            target: EncryptionTarget::Cosmos,
            permission_model: None,
            scope: GrantScope::Key,
            key_size: 3072,
            fix: false,
            recover: false,
            via: InstallVia::Graph,
            consent_url: None,
            handoff_out: PathBuf::from("handoff.json"),
        }
    }

    fn actions(actions: &[&str]) -> Vec<Permission> {
        vec![Permission {
            actions: actions.iter().map(|a| a.to_string()).collect(),
            not_actions: Vec::new(),
            data_actions: Vec::new(),
            not_data_actions: Vec::new(),
        }]
    }

    #[test]
    fn creating_the_key_needs_keys_write_before_any_write() {
        let reader = actions(&["*/read", ROLE_ASSIGNMENT_WRITE]);
        let refused = check_key_write(&spec(), &reader, &KeyFound::Absent).unwrap_err();
        assert!(refused.to_string().contains(KEY_WRITE), "{refused}");
        assert!(check_key_write(&spec(), &reader, &KeyFound::NotReadable).is_err());
        // Contributor (`*`) and Key Vault Contributor (`Microsoft.KeyVault/*`) may.
        assert!(check_key_write(&spec(), &actions(&["*"]), &KeyFound::Absent).is_ok());
        assert!(
            check_key_write(
                &spec(),
                &actions(&["Microsoft.KeyVault/*"]),
                &KeyFound::Absent
            )
            .is_ok()
        );
    }
}
