//! `xtcmk-customer onboard`: install the provider's app, create or adopt the vault and key,
//! grant the app's service principal least-privilege access to the key, write the handoff.

use serde::Serialize;
use std::path::PathBuf;
use xtcmk::cli::{GlobalArgs, UsageError};
use xtcmk::documents::{EncryptionTarget, Invitation, PermissionModel};
use xtcmk::http::AuthArgs;
use xtcmk::key_uri::{check_key_name, check_vault_name};
use xtcmk::output::{Outcome, StepReport};
use xtcmk::resource_id::check_resource_group_name;
use xtcmk::steps::customer::preflight::{self, KeyFound};
use xtcmk::steps::customer::verify::Check;
use xtcmk::steps::customer::{
    GrantScope, InstallVia, OnboardSpec, grant, handoff, key, service_principal, session, vault,
    verify,
};
use xtcmk::{AppId, SubscriptionId, TenantId};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The invitation file the provider sent (names the app to install).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "app_id",
        required_unless_present = "app_id"
    )]
    pub invitation: Option<PathBuf>,

    /// The provider app's client id, when there is no invitation file.
    #[arg(long, value_name = "GUID")]
    pub app_id: Option<String>,

    /// The subscription that holds (or will hold) the vault.
    #[arg(long, value_name = "GUID")]
    pub subscription: String,

    /// The resource group of the vault (it must exist).
    #[arg(long, value_name = "NAME")]
    pub resource_group: String,

    /// The Azure region of a new vault, e.g. westeurope.
    #[arg(long, value_name = "REGION")]
    pub location: String,

    /// The Key Vault name (3-24 letters, digits and hyphens, unique across Azure).
    #[arg(long, value_name = "NAME")]
    pub vault: String,

    /// The key name.
    #[arg(long, value_name = "NAME")]
    pub key: String,

    /// What the key will encrypt: Cosmos DB (wrap/unwrap) or MongoDB Atlas (encrypt/decrypt).
    #[arg(long = "for", value_name = "TARGET", value_enum, default_value_t = EncryptionTarget::Cosmos)]
    pub target: EncryptionTarget,

    /// How to grant the provider access (default: the vault's own model; RBAC for a new vault).
    #[arg(long, value_enum)]
    pub permission_model: Option<PermissionModel>,

    /// Scope of the role assignment: the key (least privilege) or the whole vault.
    #[arg(long, value_enum, default_value_t = GrantScope::Key)]
    pub scope: GrantScope,

    /// RSA key size in bits for a new key: 2048, 3072 or 4096.
    #[arg(long, default_value_t = 3072)]
    pub key_size: u32,

    /// Where to write the handoff document for the provider.
    #[arg(long, value_name = "FILE", default_value = "handoff.json")]
    pub handoff_out: PathBuf,

    /// The customer tenant id (default: the signed-in account's tenant).
    #[arg(long, value_name = "GUID")]
    pub tenant: Option<String>,

    /// Show what would be done; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Turn soft delete and purge protection on for an adopted vault (purge protection can never
    /// be turned off again).
    #[arg(long)]
    pub fix: bool,

    /// Recover a soft-deleted vault of this name (with its keys).
    #[arg(long)]
    pub recover: bool,

    /// Install the provider's app through Graph (needs an administrator role), or print the
    /// admin-consent URL and wait until an administrator has consented.
    #[arg(long, value_enum, default_value_t = InstallVia::Graph)]
    pub via: InstallVia,

    #[command(flatten)]
    pub auth: AuthArgs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    tenant: TenantId,
    dry_run: bool,
    plan: Vec<String>,
    steps: Vec<StepReport>,
    checks: Vec<Check>,
    writes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    handoff_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    handoff: Option<serde_json::Value>,
}

fn spec(args: &Args, global: &GlobalArgs) -> anyhow::Result<OnboardSpec> {
    let cloud = global.cloud()?;
    let (app_id, app_display_name, consent_url) = match (&args.invitation, &args.app_id) {
        (Some(path), _) => {
            let inv = Invitation::read_from_file("--invitation", path, &cloud)?;
            (
                inv.app_id,
                Some(inv.app_display_name),
                Some(inv.admin_consent_url),
            )
        }
        (None, Some(id)) => (AppId::parse_field("--app-id", id)?, None, None),
        (None, None) => {
            return Err(UsageError::new("name the provider's app")
                .hint("pass --invitation FILE (from the provider) or --app-id GUID")
                .into());
        }
    };
    check_resource_group_name("--resource-group", &args.resource_group)?;
    check_vault_name("--vault", &args.vault, &args.vault)?;
    check_key_name("--key", &args.key, &args.key)?;
    if ![2048, 3072, 4096].contains(&args.key_size) {
        return Err(xtcmk::InputError::new(
            "--key-size",
            args.key_size.to_string(),
            "RSA keys in Key Vault are 2048, 3072 or 4096 bits",
        )
        .with_fix("use 3072 (the recommended size) or omit --key-size")
        .into());
    }
    Ok(OnboardSpec {
        app_id,
        app_display_name,
        subscription: SubscriptionId::parse_field("--subscription", &args.subscription)?,
        resource_group: args.resource_group.clone(),
        location: args.location.trim().to_ascii_lowercase().replace(' ', ""),
        vault: args.vault.clone(),
        key: args.key.clone(),
        target: args.target,
        permission_model: args.permission_model,
        scope: args.scope,
        key_size: args.key_size,
        fix: args.fix,
        recover: args.recover,
        via: args.via,
        consent_url,
    })
}

pub async fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let spec = spec(&args, global)?;
    let tenant = args
        .tenant
        .as_deref()
        .map(|t| TenantId::parse_field("--tenant", t))
        .transpose()?;
    let ctx = session::connect(
        global.cloud()?,
        args.auth.auth,
        tenant,
        args.dry_run,
        printer,
    )
    .await?;

    let pre = preflight::run(&ctx, &spec).await?;
    let plan = pre.plan(&spec);
    printer.status(format!(
        "Onboarding in tenant {} as {}{}:",
        ctx.tenant,
        pre.user.display_name(),
        if args.dry_run {
            " (dry run: nothing will change)"
        } else {
            ""
        }
    ));
    for line in &plan {
        printer.status(format!("  - {line}"));
    }
    if !args.dry_run {
        session::confirm("Proceed?", args.yes, "xtcmk-customer onboard")?;
    }

    let mut steps = Vec::new();
    let sp =
        service_principal::ensure(&ctx, &spec, pre.service_principal.as_ref(), &mut steps).await?;
    let (report, the_vault) = vault::ensure(&ctx, &spec, &pre.vault).await?;
    ctx.report(&mut steps, report);
    let me_kind = grant::PrincipalKind::of(&pre.user);
    let key_facts = match (&pre.key, the_vault.as_ref()) {
        (KeyFound::Existing(facts), Some(_)) => {
            ctx.report(
                &mut steps,
                StepReport::new("key", Outcome::Adopted, facts.kid.clone()),
            );
            Some(facts.clone())
        }
        _ => {
            key::ensure(
                &ctx,
                &spec,
                pre.grants_self_on_new_vault(),
                the_vault.as_ref(),
                &pre.user_id,
                me_kind,
                &mut steps,
            )
            .await?
        }
    };
    let granted = match &sp {
        Some(sp) => Some(
            grant::ensure(
                &ctx,
                &spec,
                &sp.id,
                the_vault.as_ref(),
                pre.permission_model,
                &mut steps,
            )
            .await?,
        ),
        None => {
            ctx.report(
                &mut steps,
                StepReport::new(
                    "grant",
                    Outcome::WouldCreate,
                    spec.grant_scope_id().to_string(),
                )
                .detail(format!(
                    "{} for the new service principal",
                    grant::role_name(spec.target)
                )),
            );
            None
        }
    };

    let mut checks = Vec::new();
    let mut handoff_value = None;
    let mut handoff_file = None;
    if let (Some(sp), Some(k), Some(granted)) = (&sp, &key_facts, &granted) {
        let doc = handoff::build(
            &ctx,
            &spec,
            sp,
            k.versioned(&ctx)?,
            pre.permission_model,
            granted.role_assignment_id.clone(),
        );
        if !args.dry_run {
            checks = verify::run(&ctx, &doc).await?;
            // The checks are data, on stdout as `status` prints them.
            for c in &checks {
                printer.text(c.line());
            }
            if let Some(failed) = checks.iter().find(|c| !c.ok) {
                anyhow::bail!(
                    xtcmk::Refusal::new(format!(
                        "onboarding finished, but the check of `{}` failed: {}",
                        failed.item, failed.detail
                    ))
                    .hint("re-run the same command; every step is safe to repeat")
                );
            }
            let report = handoff::write(&args.handoff_out, &doc)?;
            ctx.report(&mut steps, report);
            handoff_file = Some(args.handoff_out.display().to_string());
        } else {
            ctx.report(
                &mut steps,
                StepReport::new(
                    "handoff",
                    Outcome::WouldCreate,
                    args.handoff_out.display().to_string(),
                ),
            );
        }
        handoff_value = Some(doc.to_value());
    } else {
        ctx.report(
            &mut steps,
            StepReport::new(
                "handoff",
                Outcome::WouldCreate,
                args.handoff_out.display().to_string(),
            ),
        );
    }

    // Changes in the tenant (the handoff file is local).
    let writes = steps
        .iter()
        .filter(|s| s.outcome.is_write() && s.step != "handoff")
        .count();
    if printer.is_json() {
        printer.json(&Report {
            tenant: ctx.tenant,
            dry_run: args.dry_run,
            plan,
            steps,
            checks,
            writes,
            handoff_file,
            handoff: handoff_value,
        });
    } else if args.dry_run {
        printer.text("Dry run: nothing was changed. Re-run without --dry-run to apply the plan.");
    } else if writes == 0 {
        printer.text(format!(
            "Already onboarded: nothing needed changing. Handoff: {}.",
            args.handoff_out.display()
        ));
        printer.text(handoff::send_line(&args.handoff_out));
    } else {
        printer.text(format!(
            "Onboarded: {writes} change(s) made in your tenant. Handoff written to {}.",
            args.handoff_out.display()
        ));
        printer.text(handoff::send_line(&args.handoff_out));
    }
    Ok(())
}
