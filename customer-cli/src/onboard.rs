//! `xtcmk-customer onboard`: install the provider's app, create or adopt the vault and key,
//! grant the app's service principal least-privilege access to the key, write the handoff.

use std::path::PathBuf;
use std::sync::Arc;
use xtcmk::cli::{GlobalArgs, Printer, UsageError};
use xtcmk::documents::{EncryptionTarget, Invitation, PermissionModel};
use xtcmk::http::{AuthArgs, HttpStack};
use xtcmk::key_uri::{check_key_name, check_vault_name};
use xtcmk::ops::onboard::{self, GrantScope, InstallVia, OnboardSpec};
use xtcmk::report::{Event, Reporter};
use xtcmk::resource_id::check_resource_group_name;
use xtcmk::steps::customer::handoff;
use xtcmk::{AppId, Ctx, Location, SubscriptionId, TenantId};

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

    /// The subscription that holds (or will hold) the vault (default: the signed-in account's,
    /// as `az`).
    #[arg(long, value_name = "GUID")]
    pub subscription: Option<String>,

    /// The resource group of the vault (it must exist).
    #[arg(long, short = 'g', value_name = "NAME")]
    pub resource_group: String,

    /// The Azure region of a new vault, e.g. westeurope.
    #[arg(long, short = 'l', value_name = "REGION")]
    pub location: String,

    /// The Key Vault name (3-24 letters, digits and hyphens, unique across Azure).
    #[arg(long, value_name = "NAME")]
    pub vault: String,

    /// The key name.
    #[arg(long, value_name = "NAME")]
    pub key: String,

    /// What the key will encrypt: Cosmos DB (wrap/unwrap) or MongoDB Atlas (encrypt/decrypt).
    /// Default: what the invitation is for (Cosmos DB without one).
    #[arg(long = "for", value_name = "TARGET", value_enum)]
    pub target: Option<EncryptionTarget>,

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

fn spec(args: &Args, global: &GlobalArgs) -> anyhow::Result<OnboardSpec> {
    let cloud = global.cloud()?;
    let (app_id, app_display_name, consent_url, invited_for) =
        match (&args.invitation, &args.app_id) {
            (Some(path), _) => {
                let inv = Invitation::read_from_file("--invitation", path, &cloud)?;
                let target = inv.target();
                (
                    inv.app_id,
                    Some(inv.app_display_name),
                    Some(inv.admin_consent_url),
                    Some(target),
                )
            }
            (None, Some(id)) => (AppId::parse_field("--app-id", id)?, None, None, None),
            (None, None) => {
                return Err(UsageError::new("name the provider's app")
                    .hint("pass --invitation FILE (from the provider) or --app-id GUID")
                    .into());
            }
        };
    // An Atlas invitation names the app Atlas reaches the key through; its grant must be Atlas's.
    let target = match (args.target, invited_for) {
        (Some(asked), Some(invited)) if asked != invited => {
            return Err(UsageError::new(format!(
                "--for {} contradicts the invitation, which is for {}",
                asked.as_str(),
                invited.as_str()
            ))
            .hint(format!(
                "omit --for (the invitation says {})",
                invited.as_str()
            ))
            .into());
        }
        (Some(asked), _) => asked,
        (None, Some(invited)) => invited,
        (None, None) => EncryptionTarget::Cosmos,
    };
    check_resource_group_name("--resource-group", &args.resource_group)?;
    let location = Location::parse_field("--location", &args.location)?;
    cloud.check_location("--location", &location)?;
    check_vault_name("--vault", &args.vault, &args.vault)?;
    check_key_name("--key", &args.key, &args.key)?;
    if let Some(invitation) = &args.invitation {
        xtcmk::files::check_distinct(
            "--handoff-out",
            &args.handoff_out,
            "--invitation",
            invitation,
        )?;
    }
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
        // Filled in with the signed-in account's default when the flag is not given.
        subscription: xtcmk::cli::optional_subscription(args.subscription.as_deref())?
            .unwrap_or_else(|| SubscriptionId::from_uuid(uuid::Uuid::nil())),
        resource_group: args.resource_group.clone(),
        location,
        vault: args.vault.clone(),
        key: args.key.clone(),
        target,
        permission_model: args.permission_model,
        scope: args.scope,
        key_size: args.key_size,
        fix: args.fix,
        recover: args.recover,
        via: args.via,
        consent_url,
        handoff_out: args.handoff_out.clone(),
    })
}

pub async fn run(args: Args, global: &GlobalArgs, printer: Arc<Printer>) -> anyhow::Result<()> {
    let mut spec = spec(&args, global)?;
    let tenant = args
        .tenant
        .as_deref()
        .map(|t| TenantId::parse_field("--tenant", t))
        .transpose()?;
    let stack = HttpStack::from_env(global.cloud()?, args.auth.auth)?;
    let ctx = Ctx::connect(stack, tenant, printer.clone()).await?;
    printer.context(Some(ctx.tenant.to_string()), args.dry_run);
    let given = xtcmk::cli::optional_subscription(args.subscription.as_deref())?;
    spec.subscription = xtcmk::cli::subscription_or_default(given, &ctx, &printer).await?;

    let plan = onboard::plan(&ctx, &spec).await?;
    let steps = plan.steps();
    printer.status(format!(
        "Onboarding in tenant {} as {}{}:",
        ctx.tenant,
        plan.user.display_name(),
        if args.dry_run {
            " (dry run: nothing will change)"
        } else {
            ""
        }
    ));
    if args.dry_run {
        // The predicted rows say what the plan's sentences would: show each step once.
        for step in &steps {
            printer.report(Event::StepFinished(step.predicted()));
        }
        printer.json(&printer.report_document());
        printer.text("Dry run: nothing was changed. Re-run without --dry-run to apply the plan.");
        return Ok(());
    }
    for step in &steps {
        printer.status(format!("  - {}", step.sentence()));
    }
    if plan.writes() > 0 {
        printer.confirm("Proceed?", args.yes).await?;
    }

    let outcome = onboard::apply(&ctx, plan).await?;
    let writes = xtcmk::output::cloud_writes(&outcome.steps);
    if printer.is_json() {
        printer.json(
            &printer
                .report_document()
                .field("checks", &outcome.checks)
                .field("handoffFile", args.handoff_out.display().to_string())
                .field("handoff", outcome.handoff.to_value()),
        );
        return Ok(());
    }
    for c in &outcome.checks {
        printer.text(c.line());
    }
    if writes == 0 {
        printer.text(format!(
            "Already onboarded: nothing needed changing. Handoff: {}.",
            args.handoff_out.display()
        ));
    } else {
        printer.text(format!(
            "Onboarded: {writes} change(s) made in your tenant. Handoff written to {}.",
            args.handoff_out.display()
        ));
    }
    printer.text(handoff::send_line(&args.handoff_out));
    Ok(())
}
