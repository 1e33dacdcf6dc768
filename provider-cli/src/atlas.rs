//! `xtcmk-provider atlas …`: MongoDB Atlas encryption at rest with the customer's key. Parses,
//! asks nothing (every write is planned and `--dry-run` shows the plan), and renders; the work is
//! in `xtcmk::ops::atlas`. Atlas credentials come from the environment or `--atlas-credentials
//! FILE`, never from flags.

use crate::batch;
use clap::{Args as ClapArgs, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use xtcmk::atlas::{AtlasRegion, EndpointId, GroupId, RoleId};
use xtcmk::cli::{GlobalArgs, Printer, UsageError};
use xtcmk::clients::atlas::AtlasAuth;
use xtcmk::http::{AuthArgs, HttpStack};
use xtcmk::ops::atlas::{
    AtlasCtx, disable, enable, invite, private_endpoint, register_access, rotate, secret, status,
};
use xtcmk::ops::batch::{Needs, items};
use xtcmk::output::PlannedStep;
use xtcmk::report::{Event, Reporter};
use xtcmk::{AppId, Ctx, Handoff, InputError, Secret, TenantId};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the invitation for a customer whose data lives in Atlas (the provider's app, or Atlas's own app with --atlas-app).
    Invite(InviteArgs),
    /// The client secrets of the provider's app that Atlas signs in with.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Register MongoDB Atlas's own app's service principal in the customer's tenant (role mode) and print the role id.
    RegisterAccess(RegisterArgs),
    /// Turn on encryption at rest with the customer's key from the handoff, then check Atlas's `valid`.
    Enable(EnableArgs),
    /// Atlas's private endpoints to the customer's vault.
    #[command(subcommand)]
    PrivateEndpoint(EndpointCommand),
    /// Point Atlas at another version of the customer's key.
    RotateKey(RotateKeyArgs),
    /// Replace the client secret Atlas signs in with (new → Atlas → valid → old removed).
    RotateSecret(RotateSecretArgs),
    /// Encryption at rest, its way in, private endpoints, secret expiry and key age (read-only; exit 3 when not valid).
    Status(StatusArgs),
    /// Turn encryption at rest off (after every private endpoint is deleted).
    Disable(DisableArgs),
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Add a client secret; its text goes only to --out FILE (mode 0600) or to a pipe.
    Create(SecretCreateArgs),
    /// List the app's secrets (key ids, hints, expiry; never the text), warning within 60 days.
    List(SecretListArgs),
    /// Remove one secret by key id.
    Remove(SecretRemoveArgs),
}

#[derive(Debug, Subcommand)]
pub enum EndpointCommand {
    /// Ask Atlas for a private endpoint per region and follow it until the customer must approve it.
    Add(EndpointAddArgs),
    /// Every endpoint's state, explained, with the customer's command for pending ones.
    Status(EndpointStatusArgs),
    /// Delete endpoints and follow them until they are gone.
    Remove(EndpointRemoveArgs),
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Invite(_) => "atlas invite",
            Command::Secret(SecretCommand::Create(_)) => "atlas secret create",
            Command::Secret(SecretCommand::List(_)) => "atlas secret list",
            Command::Secret(SecretCommand::Remove(_)) => "atlas secret remove",
            Command::RegisterAccess(_) => "atlas register-access",
            Command::Enable(_) => "atlas enable",
            Command::PrivateEndpoint(EndpointCommand::Add(_)) => "atlas private-endpoint add",
            Command::PrivateEndpoint(EndpointCommand::Status(_)) => "atlas private-endpoint status",
            Command::PrivateEndpoint(EndpointCommand::Remove(_)) => "atlas private-endpoint remove",
            Command::RotateKey(_) => "atlas rotate-key",
            Command::RotateSecret(_) => "atlas rotate-secret",
            Command::Status(_) => "atlas status",
            Command::Disable(_) => "atlas disable",
        }
    }
}

/// How to reach Atlas.
#[derive(Debug, Clone, ClapArgs)]
pub struct AtlasArgs {
    /// A JSON file with the Atlas credentials ({"publicApiKey","privateApiKey"} or
    /// {"clientId","clientSecret"}); default: MONGODB_ATLAS_PUBLIC_API_KEY/_PRIVATE_API_KEY or
    /// MONGODB_ATLAS_CLIENT_ID/_CLIENT_SECRET. Never pass the secrets themselves as flags.
    #[arg(long, value_name = "FILE")]
    pub atlas_credentials: Option<PathBuf>,
}

impl AtlasArgs {
    fn auth(&self) -> Result<AtlasAuth, InputError> {
        match &self.atlas_credentials {
            Some(path) => AtlasAuth::from_file("--atlas-credentials", path),
            None => AtlasAuth::from_env(),
        }
    }
}

#[derive(Debug, Clone, ClapArgs)]
pub struct GroupArg {
    /// The Atlas project (group) id, 24 hex digits.
    #[arg(long, value_name = "ID", env = "MONGODB_ATLAS_PROJECT_ID")]
    pub group_id: String,
}

impl GroupArg {
    fn parse(&self) -> Result<GroupId, InputError> {
        GroupId::parse_field("--group-id", &self.group_id)
    }
}

#[derive(Debug, ClapArgs)]
pub struct InviteArgs {
    #[command(flatten)]
    group: GroupArg,
    /// The provider's multi-tenant app Atlas signs in as with a client secret.
    #[arg(
        long,
        value_name = "GUID",
        conflicts_with = "atlas_app",
        required_unless_present = "atlas_app"
    )]
    app_id: Option<String>,
    /// Have the customer install MongoDB Atlas's own app instead: no secret to rotate or leak (recommended).
    #[arg(long)]
    atlas_app: bool,
    /// The provider's tenant (default: the signed-in principal's; required with --atlas-app).
    #[arg(long, value_name = "GUID")]
    tenant: Option<String>,
    /// Where to write the invitation.
    #[arg(long, value_name = "FILE", default_value = "invitation.json")]
    invitation_out: PathBuf,
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    auth: AuthArgs,
}

#[derive(Debug, ClapArgs)]
pub struct SecretCreateArgs {
    /// The provider's app (client id).
    #[arg(long, value_name = "GUID")]
    app_id: String,
    /// Name the secret after this Atlas project (`xtcmk-atlas-<group>`), so rotate-secret finds it.
    #[arg(long, value_name = "ID")]
    group_id: Option<String>,
    /// Lifetime: 90d, 26w, 6m, 1y … at most 2y (Atlas's limit).
    #[arg(long, value_name = "DURATION", default_value = "1y")]
    expires_in: String,
    /// Write the secret to this new file (mode 0600); without it, stdout must be a pipe.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[arg(long, value_name = "GUID")]
    tenant: Option<String>,
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    auth: AuthArgs,
}

#[derive(Debug, ClapArgs)]
pub struct SecretListArgs {
    #[arg(long, value_name = "GUID")]
    app_id: String,
    #[arg(long, value_name = "GUID")]
    tenant: Option<String>,
    #[command(flatten)]
    auth: AuthArgs,
}

#[derive(Debug, ClapArgs)]
pub struct SecretRemoveArgs {
    #[arg(long, value_name = "GUID")]
    app_id: String,
    /// The secret's key id (from `atlas secret list`).
    #[arg(long, value_name = "GUID")]
    key_id: String,
    #[arg(long, value_name = "GUID")]
    tenant: Option<String>,
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    auth: AuthArgs,
}

#[derive(Debug, ClapArgs)]
pub struct RegisterArgs {
    /// The customer's handoff (onboarded with MongoDB Atlas's app).
    #[arg(long, value_name = "FILE")]
    handoff: PathBuf,
    #[command(flatten)]
    group: GroupArg,
    #[command(flatten)]
    atlas: AtlasArgs,
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, ClapArgs)]
pub struct EnableArgs {
    /// The customer's handoff (the key, its vault and the app granted).
    #[arg(long, value_name = "FILE")]
    handoff: PathBuf,
    #[command(flatten)]
    group: GroupArg,
    /// Secret mode: read the client secret from FILE, or from stdin with `-`. Without it a new
    /// secret is made and sent straight to Atlas.
    #[arg(long, value_name = "FILE|-", conflicts_with = "role_id")]
    secret_from: Option<PathBuf>,
    /// Role mode: the cloudProviderAccess role (default: the one registered for the handoff's principal).
    #[arg(long, value_name = "ID")]
    role_id: Option<String>,
    /// Require private networking to the vault (then add private endpoints).
    #[arg(long)]
    private_networking: bool,
    /// Lifetime of a new secret (at most 2y).
    #[arg(long, value_name = "DURATION", default_value = "1y")]
    expires_in: String,
    #[command(flatten)]
    atlas: AtlasArgs,
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    auth: AuthArgs,
}

#[derive(Debug, ClapArgs)]
pub struct EndpointAddArgs {
    #[command(flatten)]
    group: GroupArg,
    /// Regions, as Azure locations (westeurope) or Atlas names (EUROPE_WEST); one endpoint each.
    #[arg(long = "region", value_name = "REGION", required = true, num_args = 1..)]
    regions: Vec<String>,
    #[command(flatten)]
    atlas: AtlasArgs,
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, ClapArgs)]
pub struct EndpointStatusArgs {
    #[command(flatten)]
    group: GroupArg,
    #[command(flatten)]
    atlas: AtlasArgs,
}

#[derive(Debug, ClapArgs)]
pub struct EndpointRemoveArgs {
    #[command(flatten)]
    group: GroupArg,
    #[arg(long = "region", value_name = "REGION", num_args = 1.., conflicts_with_all = ["endpoint_ids", "all"])]
    regions: Vec<String>,
    #[arg(long = "endpoint-id", value_name = "ID", num_args = 1.., conflicts_with = "all")]
    endpoint_ids: Vec<String>,
    /// Every endpoint of the project (what disable needs first).
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    atlas: AtlasArgs,
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, ClapArgs)]
pub struct RotateKeyArgs {
    #[command(flatten)]
    group: GroupArg,
    /// The customer's (new) handoff: the key and its current version.
    #[arg(long, value_name = "FILE")]
    handoff: PathBuf,
    /// Another version of the same key (32 hex digits) than the handoff's.
    #[arg(long, value_name = "VERSION")]
    key_version: Option<String>,
    #[command(flatten)]
    atlas: AtlasArgs,
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, ClapArgs)]
pub struct RotateSecretArgs {
    #[command(flatten)]
    group: GroupArg,
    #[arg(long, value_name = "DURATION", default_value = "1y")]
    expires_in: String,
    #[arg(long, value_name = "GUID")]
    tenant: Option<String>,
    #[command(flatten)]
    atlas: AtlasArgs,
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    auth: AuthArgs,
}

/// Where every Atlas command but `status --batch` finds the project when --group-id is not given.
const PROJECT_VARIABLE: &str = "MONGODB_ATLAS_PROJECT_ID";

#[derive(Debug, ClapArgs)]
pub struct StatusArgs {
    /// The Atlas project (group) id, 24 hex digits (default: MONGODB_ATLAS_PROJECT_ID; the
    /// variable is ignored with --batch).
    #[arg(long, value_name = "ID", conflicts_with = "batch")]
    group_id: Option<String>,
    /// The provider's tenant, to read the expiry of the app's secrets (default: the signed-in one).
    #[arg(long, value_name = "GUID")]
    tenant: Option<String>,
    /// Many customers' projects: a manifest (.csv with a header, a .json array or .jsonl) with
    /// the columns customer and project (the Atlas project id). Every row is checked before
    /// anything is sent.
    #[arg(long, value_name = "PATH")]
    batch: Option<PathBuf>,
    #[command(flatten)]
    concurrency: batch::Concurrency,
    #[command(flatten)]
    atlas: AtlasArgs,
    #[command(flatten)]
    auth: AuthArgs,
}

#[derive(Debug, ClapArgs)]
pub struct DisableArgs {
    #[command(flatten)]
    group: GroupArg,
    #[command(flatten)]
    atlas: AtlasArgs,
    #[arg(long)]
    dry_run: bool,
}

fn tenant_of(value: &Option<String>) -> Result<Option<TenantId>, InputError> {
    value
        .as_deref()
        .map(|t| TenantId::parse_field("--tenant", t))
        .transpose()
}

async fn azure(
    global: &GlobalArgs,
    auth: &AuthArgs,
    tenant: Option<TenantId>,
    printer: &Arc<Printer>,
) -> anyhow::Result<Ctx> {
    let stack = HttpStack::from_env(global.cloud()?, auth.auth)?;
    Ctx::connect(stack, tenant, printer.clone()).await
}

fn atlas_ctx(
    global: &GlobalArgs,
    args: &AtlasArgs,
    printer: &Arc<Printer>,
) -> anyhow::Result<AtlasCtx> {
    let auth = args.auth()?;
    let stack = HttpStack::from_env(global.cloud()?, xtcmk::http::AuthMethod::Auto)?;
    Ok(AtlasCtx::new(&stack, auth, printer.clone())?)
}

/// A dry run: the plan's steps as predicted, the JSON document, and the closing line.
fn dry_run(printer: &Printer, steps: &[PlannedStep]) {
    for step in steps {
        printer.report(Event::StepFinished(step.predicted()));
    }
    printer.json(&printer.report_document());
    let would = steps.iter().filter(|s| s.action.writes()).count();
    printer.text(format!(
        "dry run: nothing was changed; {would} step(s) would change something"
    ));
}

fn read_secret(printer: &Printer, path: &std::path::Path) -> Result<Secret, InputError> {
    if path.as_os_str() == "-" {
        return printer.read_secret_from_stdin("--secret-from");
    }
    let text = xtcmk::files::read_text("--secret-from", path)?.ok_or_else(|| {
        InputError::new(
            "--secret-from",
            path.display().to_string(),
            "the file does not exist",
        )
        .with_fix(
            "pass the file `xtcmk-provider atlas secret create --out FILE` wrote, or `-` for stdin",
        )
    })?;
    let secret = text.trim().to_string();
    if secret.is_empty() || secret.contains('\n') {
        return Err(InputError::new(
            "--secret-from",
            path.display().to_string(),
            "the file must hold exactly one secret on one line",
        )
        .with_fix("pass the file `xtcmk-provider atlas secret create --out FILE` wrote"));
    }
    Ok(Secret::new(secret))
}

pub async fn run(
    command: Command,
    global: &GlobalArgs,
    printer: Arc<Printer>,
) -> anyhow::Result<()> {
    let cloud_arg = global.cloud.clone();
    match command {
        Command::Invite(a) => {
            let group = a.group.parse()?;
            let tenant = tenant_of(&a.tenant)?;
            let cloud = global.cloud()?;
            let (app, ctx) = match &a.app_id {
                Some(id) => {
                    let app = AppId::parse_field("--app-id", id)?;
                    (
                        invite::InviteApp::Provider(app),
                        Some(azure(global, &a.auth, tenant, &printer).await?),
                    )
                }
                None => (invite::InviteApp::Atlas, None),
            };
            let provider_tenant = match (&ctx, tenant) {
                (Some(c), _) => c.tenant,
                (None, Some(t)) => t,
                (None, None) => {
                    return Err(UsageError::new("--atlas-app needs --tenant (the provider's tenant id, named in the invitation)").into());
                }
            };
            printer.context(Some(provider_tenant.to_string()), a.dry_run);
            let spec = invite::InviteSpec {
                group,
                provider_tenant,
                app,
                invitation_out: a.invitation_out.clone(),
                cloud_arg,
            };
            let reporter: xtcmk::report::SharedReporter = printer.clone();
            let plan = invite::plan(&cloud, &reporter, ctx.as_ref(), &spec).await?;
            if a.dry_run {
                dry_run(&printer, &plan.steps());
                return Ok(());
            }
            let inv = plan.invitation.clone();
            invite::apply(&reporter, plan)?;
            printer.json(
                &printer
                    .report_document()
                    .field("invitation", inv.to_value()),
            );
            printer.text(format!(
                "send {} to the customer's administrator: they install {} ({}) and run:",
                a.invitation_out.display(),
                inv.app_display_name,
                inv.app_id
            ));
            printer.text(format!("  {}", inv.next_command));
            Ok(())
        }
        Command::Secret(SecretCommand::Create(a)) => {
            let app_id = AppId::parse_field("--app-id", &a.app_id)?;
            let group = a
                .group_id
                .as_deref()
                .map(|g| GroupId::parse_field("--group-id", g))
                .transpose()?;
            let days = secret::parse_expires_in("--expires-in", &a.expires_in)?;
            let destination = match &a.out {
                Some(p) => secret::SecretDestination::File(p.clone()),
                None => {
                    printer.reserve_stdout_for_secret("--out")?;
                    secret::SecretDestination::Pipe
                }
            };
            let ctx = azure(global, &a.auth, tenant_of(&a.tenant)?, &printer).await?;
            printer.context(Some(ctx.tenant.to_string()), a.dry_run);
            let spec = secret::CreateSpec {
                app_id,
                group,
                expires_in_days: days,
                destination,
            };
            let plan = secret::plan_create(&ctx, &spec).await?;
            if a.dry_run {
                dry_run(&printer, &plan.steps());
                return Ok(());
            }
            let outcome = secret::apply_create(&ctx, plan).await?;
            printer.json(
                &printer
                    .report_document()
                    .field("keyId", outcome.key_id)
                    .field("hint", &outcome.hint)
                    .field("expires", &outcome.expires),
            );
            if let Some(s) = &outcome.secret {
                printer.secret_to_pipe(s);
            }
            Ok(())
        }
        Command::Secret(SecretCommand::List(a)) => {
            let app_id = AppId::parse_field("--app-id", &a.app_id)?;
            let ctx = azure(global, &a.auth, tenant_of(&a.tenant)?, &printer).await?;
            let report = secret::list(&ctx, &app_id).await?;
            printer.json(&serde_json::json!({
                "command": printer.command(),
                "tenant": ctx.tenant,
                "appId": report.app_id,
                "secrets": report.secrets,
                "warnings": printer.warnings(),
            }));
            printer.text(format!("client secrets of app {app_id}:"));
            if report.secrets.is_empty() {
                printer.text("  (none)");
            }
            for s in &report.secrets {
                printer.text(format!(
                    "  {:<8} {}  {:<32} hint {}…  expires {} ({} days)",
                    s.state,
                    s.key_id,
                    s.display_name.as_deref().unwrap_or("(no name)"),
                    s.hint.as_deref().unwrap_or_default(),
                    s.expires.as_deref().unwrap_or("never"),
                    s.days_left
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "-".into())
                ));
            }
            Ok(())
        }
        Command::Secret(SecretCommand::Remove(a)) => {
            let app_id = AppId::parse_field("--app-id", &a.app_id)?;
            let key_id = uuid::Uuid::parse_str(a.key_id.trim()).map_err(|_| {
                InputError::new("--key-id", &a.key_id, "not a GUID")
                    .with_fix("pass the key id `xtcmk-provider atlas secret list` shows")
            })?;
            let ctx = azure(global, &a.auth, tenant_of(&a.tenant)?, &printer).await?;
            printer.context(Some(ctx.tenant.to_string()), a.dry_run);
            let plan = secret::plan_remove(&ctx, &app_id, key_id).await?;
            if a.dry_run {
                dry_run(&printer, &plan.steps());
                return Ok(());
            }
            secret::apply_remove(&ctx, plan).await?;
            printer.json(&printer.report_document());
            Ok(())
        }
        Command::RegisterAccess(a) => {
            let cloud = global.cloud()?;
            let handoff = Handoff::read_from_file("--handoff", &a.handoff, &cloud)?;
            let group = a.group.parse()?;
            let atlas = atlas_ctx(global, &a.atlas, &printer)?;
            printer.context(Some(handoff.customer_tenant_id.to_string()), a.dry_run);
            let spec = register_access::RegisterSpec { handoff, group };
            let plan = register_access::plan(&atlas, &spec).await?;
            if a.dry_run {
                dry_run(&printer, &plan.steps());
                return Ok(());
            }
            let outcome = register_access::apply(&atlas, plan).await?;
            printer.json(&printer.report_document().field("roleId", &outcome.role.id));
            printer.text(format!("role id: {}", outcome.role.id));
            printer.text(format!(
                "next: xtcmk-provider atlas enable --handoff {} --group-id {} --role-id {}",
                a.handoff.display(),
                spec.group,
                outcome.role.id
            ));
            Ok(())
        }
        Command::Enable(a) => {
            let cloud = global.cloud()?;
            let handoff = Handoff::read_from_file("--handoff", &a.handoff, &cloud)?;
            let group = a.group.parse()?;
            let role_id = a
                .role_id
                .as_deref()
                .map(|r| RoleId::parse_field("--role-id", r))
                .transpose()?;
            let days = secret::parse_expires_in("--expires-in", &a.expires_in)?;
            let secret = a
                .secret_from
                .as_deref()
                .map(|p| read_secret(&printer, p))
                .transpose()?;
            let atlas = atlas_ctx(global, &a.atlas, &printer)?;
            printer.context(Some(handoff.customer_tenant_id.to_string()), a.dry_run);
            let spec = enable::EnableSpec {
                handoff,
                group,
                secret,
                role_id,
                new_secret_days: days,
                private_networking: a.private_networking,
            };
            let plan = enable::plan(&atlas, &spec).await?;
            if a.dry_run {
                dry_run(&printer, &plan.steps());
                return Ok(());
            }
            let ctx = match plan.way {
                enable::Way::NewSecret if plan.action != xtcmk::output::Action::Keep => {
                    Some(azure(global, &a.auth, None, &printer).await?)
                }
                _ => None,
            };
            let outcome = enable::apply(&atlas, ctx.as_ref(), plan).await?;
            printer.json(
                &printer
                    .report_document()
                    .field("valid", outcome.view.is_valid())
                    .field("keyIdentifier", &outcome.view.key_identifier),
            );
            printer.text(format!("valid: {}", outcome.view.is_valid()));
            Ok(())
        }
        Command::PrivateEndpoint(EndpointCommand::Add(a)) => {
            let group = a.group.parse()?;
            let regions = a
                .regions
                .iter()
                .map(|r| AtlasRegion::parse_field("--region", r))
                .collect::<Result<Vec<_>, _>>()?;
            let atlas = atlas_ctx(global, &a.atlas, &printer)?;
            printer.context(None, a.dry_run);
            let spec = private_endpoint::AddSpec {
                group,
                regions,
                cloud_arg,
            };
            let plan = private_endpoint::plan_add(&atlas, &spec).await?;
            if a.dry_run {
                dry_run(&printer, &plan.steps());
                return Ok(());
            }
            let outcome = private_endpoint::apply_add(&atlas, plan).await?;
            render_endpoints(&printer, &outcome.report, true);
            Ok(())
        }
        Command::PrivateEndpoint(EndpointCommand::Status(a)) => {
            let group = a.group.parse()?;
            let atlas = atlas_ctx(global, &a.atlas, &printer)?;
            let report = private_endpoint::status(&atlas, &group, &cloud_arg).await?;
            render_endpoints(&printer, &report, false);
            Ok(())
        }
        Command::PrivateEndpoint(EndpointCommand::Remove(a)) => {
            let group = a.group.parse()?;
            let which = if a.all {
                private_endpoint::Which::All
            } else if !a.regions.is_empty() {
                private_endpoint::Which::Regions(
                    a.regions
                        .iter()
                        .map(|r| AtlasRegion::parse_field("--region", r))
                        .collect::<Result<_, _>>()?,
                )
            } else if !a.endpoint_ids.is_empty() {
                private_endpoint::Which::Ids(
                    a.endpoint_ids
                        .iter()
                        .map(|e| EndpointId::parse_field("--endpoint-id", e))
                        .collect::<Result<_, _>>()?,
                )
            } else {
                return Err(UsageError::new("name the endpoints to remove")
                    .hint("pass --region REGION…, --endpoint-id ID… or --all")
                    .into());
            };
            let atlas = atlas_ctx(global, &a.atlas, &printer)?;
            printer.context(None, a.dry_run);
            let plan = private_endpoint::plan_remove(
                &atlas,
                &private_endpoint::RemoveSpec { group, which },
            )
            .await?;
            if a.dry_run {
                dry_run(&printer, &plan.steps());
                return Ok(());
            }
            private_endpoint::apply_remove(&atlas, plan).await?;
            printer.json(&printer.report_document());
            Ok(())
        }
        Command::RotateKey(a) => {
            let cloud = global.cloud()?;
            let handoff = Handoff::read_from_file("--handoff", &a.handoff, &cloud)?;
            let group = a.group.parse()?;
            let atlas = atlas_ctx(global, &a.atlas, &printer)?;
            printer.context(Some(handoff.customer_tenant_id.to_string()), a.dry_run);
            let spec = rotate::RotateKeySpec {
                group,
                handoff,
                key_version: a.key_version.clone(),
            };
            let plan = rotate::plan_key(&atlas, &spec).await?;
            if a.dry_run {
                dry_run(&printer, &plan.steps());
                return Ok(());
            }
            let outcome = rotate::apply_key(&atlas, plan).await?;
            printer.json(
                &printer
                    .report_document()
                    .field("valid", outcome.view.is_valid())
                    .field("keyIdentifier", &outcome.view.key_identifier),
            );
            printer.text(format!(
                "keyIdentifier: {}, valid: {}",
                outcome.view.key_identifier.as_deref().unwrap_or_default(),
                outcome.view.is_valid()
            ));
            Ok(())
        }
        Command::RotateSecret(a) => {
            let group = a.group.parse()?;
            let days = secret::parse_expires_in("--expires-in", &a.expires_in)?;
            let atlas = atlas_ctx(global, &a.atlas, &printer)?;
            let ctx = azure(global, &a.auth, tenant_of(&a.tenant)?, &printer).await?;
            printer.context(Some(ctx.tenant.to_string()), a.dry_run);
            let spec = rotate::RotateSecretSpec {
                group,
                new_secret_days: days,
            };
            let plan = rotate::plan_secret(&atlas, &ctx, &spec).await?;
            if a.dry_run {
                dry_run(&printer, &plan.steps());
                return Ok(());
            }
            let outcome = rotate::apply_secret(&atlas, &ctx, plan).await?;
            printer.json(
                &printer
                    .report_document()
                    .field("valid", outcome.view.is_valid()),
            );
            printer.text(format!("valid: {}", outcome.view.is_valid()));
            Ok(())
        }
        Command::Status(a) => {
            if let Some(path) = a.concurrency.batch(a.batch.as_deref())? {
                return status_batch(&a, &path, global, printer, cloud_arg).await;
            }
            let group = status_project(a.group_id.as_deref())?;
            let atlas = atlas_ctx(global, &a.atlas, &printer)?;
            let ctx = provider_tenant(global, &a, &printer).await?;
            let report = status::run(&atlas, ctx.as_ref(), &group, &cloud_arg).await?;
            if printer.is_json() {
                printer.json(&serde_json::json!({
                    "command": printer.command(),
                    "ok": report.checks.iter().all(|c| !c.failed()),
                    "status": report,
                    "warnings": printer.warnings(),
                }));
            } else {
                printer.text(format!(
                    "Atlas project {group}: encryption at rest {}, valid: {}",
                    if report.enabled { "on" } else { "off" },
                    report.valid
                ));
                for c in &report.checks {
                    printer.text(c.line());
                }
                for e in &report.endpoints {
                    if let Some(cmd) = &e.customer_command {
                        printer.text(format!("  customer runs: {cmd}"));
                    }
                }
            }
            Ok(report.health()?)
        }
        Command::Disable(a) => {
            let group = a.group.parse()?;
            let atlas = atlas_ctx(global, &a.atlas, &printer)?;
            printer.context(None, a.dry_run);
            let plan = disable::plan(&atlas, &group).await?;
            if a.dry_run {
                dry_run(&printer, &plan.steps());
                return Ok(());
            }
            disable::apply(&atlas, plan).await?;
            printer.json(&printer.report_document());
            Ok(())
        }
    }
}

/// The project of a single `atlas status`: `--group-id`, else the variable (read here, not by
/// clap, so that it does not count as `--group-id` next to `--batch`), named as given.
fn status_project(flag: Option<&str>) -> anyhow::Result<GroupId> {
    if let Some(g) = flag {
        return Ok(GroupId::parse_field("--group-id", g)?);
    }
    match std::env::var(PROJECT_VARIABLE) {
        Ok(v) if !v.is_empty() => Ok(GroupId::parse_field(PROJECT_VARIABLE, &v)?),
        _ => Err(
            UsageError::new("atlas status needs the project: --group-id ID, or --batch PATH")
                .hint(format!("or set {PROJECT_VARIABLE} to the project id"))
                .into(),
        ),
    }
}

/// The provider's tenant for `atlas status`, read only for the secrets' expiry: without a
/// sign-in that check is `unknown`, with a warning.
async fn provider_tenant(
    global: &GlobalArgs,
    a: &StatusArgs,
    printer: &Arc<Printer>,
) -> Result<Option<Ctx>, InputError> {
    let tenant = tenant_of(&a.tenant)?;
    Ok(match azure(global, &a.auth, tenant, printer).await {
        Ok(c) => Some(c),
        Err(e) => {
            printer.warn(format!(
                "the provider's tenant cannot be read, so the secrets' expiry is not shown: {e}"
            ));
            None
        }
    })
}

/// `atlas status --batch`: every row's project, read-only; exit 3 when one is not valid.
async fn status_batch(
    a: &StatusArgs,
    path: &std::path::Path,
    global: &GlobalArgs,
    printer: Arc<Printer>,
    cloud_arg: String,
) -> anyhow::Result<()> {
    let cloud = global.cloud()?;
    let source = batch::source(path)?;
    let needs = Needs {
        handoff: false,
        account: false,
        location: false,
        default_location: None,
        project: true,
    };
    // The rows are checked before any credential is read or any sign-in.
    let checked = xtcmk::ops::batch::check(&source, &needs, &cloud).await?;
    let atlas = atlas_ctx(global, &a.atlas, &printer)?;
    let ctx = provider_tenant(global, a, &printer).await?;
    printer.context(ctx.as_ref().map(|c| c.tenant.to_string()), false);
    let shared = Arc::new(items::AtlasStatusShared {
        atlas,
        ctx,
        cloud_arg,
    });
    batch::run_and_summarise(
        &printer,
        &source,
        needs,
        &cloud,
        checked,
        a.concurrency.get(),
        move |row, reporter| items::atlas_status(shared.clone(), row, reporter),
    )
    .await
}

fn render_endpoints(
    printer: &Printer,
    report: &private_endpoint::EndpointsReport,
    with_steps: bool,
) {
    if printer.is_json() {
        let doc = if with_steps {
            printer
                .report_document()
                .field("endpoints", &report.endpoints)
        } else {
            xtcmk::output::CommandReport::new(printer.command(), None, false)
                .field("groupId", &report.group_id)
                .field(
                    "requirePrivateNetworking",
                    report.require_private_networking,
                )
                .field("endpoints", &report.endpoints)
        };
        printer.json(&doc);
        return;
    }
    printer.text(format!(
        "private endpoints of project {} (private networking required: {}):",
        report.group_id, report.require_private_networking
    ));
    if report.endpoints.is_empty() {
        printer.text("  (none)");
    }
    for e in &report.endpoints {
        printer.text(format!(
            "  {} {:<18} {:<20} {}",
            e.id,
            e.region,
            e.status,
            e.connection_name.as_deref().unwrap_or_default()
        ));
        printer.text(format!("      {}", e.explanation));
        if let Some(cmd) = &e.customer_command {
            printer.text(format!("      the customer approves it with: {cmd}"));
        }
    }
}
