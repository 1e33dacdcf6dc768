//! `xtcmk-provider setup`: phase 1 — the multi-tenant app, the managed identity, the federated
//! credential that lets the identity act as the app, and the invitation for customers.

use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use xtcmk::cli::GlobalArgs;
use xtcmk::consent::check_redirect_uri;
use xtcmk::http::{AuthArgs, HttpStack};
use xtcmk::output::{Outcome, StepReport};
use xtcmk::resource_id::{USER_ASSIGNED_IDENTITY_TYPE, check_resource_group_name};
use xtcmk::steps::provider::{self, Session, SetupSpec};
use xtcmk::{AppId, FicName, InputError, ResourceId, SubscriptionId, TenantId};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The provider's tenant (id), where the app and the identity live.
    #[arg(long, value_name = "GUID")]
    pub tenant: String,

    /// The subscription for the managed identity.
    #[arg(long, value_name = "GUID")]
    pub subscription: String,

    /// The resource group for the managed identity (it must exist).
    #[arg(long, value_name = "NAME")]
    pub resource_group: String,

    /// The region of the managed identity, e.g. westeurope.
    #[arg(long, value_name = "REGION")]
    pub location: String,

    /// The app's display name; its unique name is derived from it, so re-runs find the app.
    #[arg(long, value_name = "NAME")]
    pub app_name: String,

    /// The managed identity's name.
    #[arg(long, value_name = "NAME")]
    pub identity_name: String,

    /// Adopt this existing app (client id) instead of finding it by name.
    #[arg(long, value_name = "GUID")]
    pub app_id: Option<String>,

    /// Adopt this existing managed identity (ARM resource id).
    #[arg(long, value_name = "RESOURCE_ID")]
    pub identity: Option<String>,

    /// The federated credential's name (default: xtcmk-<identity name>).
    #[arg(long, value_name = "NAME")]
    pub credential_name: Option<String>,

    /// A redirect URI to register on the app and put in the admin-consent URL.
    #[arg(long, value_name = "URI")]
    pub consent_redirect_uri: Option<String>,

    /// Where to write the invitation for customers.
    #[arg(long, value_name = "FILE", default_value = "invitation.json")]
    pub invitation_out: PathBuf,

    /// Read everything and report what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Repair what is wrong instead of refusing: switch a single-tenant app to multi-tenant,
    /// point a same-named credential at this identity.
    #[arg(long)]
    pub fix: bool,

    #[command(flatten)]
    pub auth: AuthArgs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    tenant: TenantId,
    dry_run: bool,
    signed_in_as: &'a str,
    steps: &'a [StepReport],
    writes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_id: Option<AppId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_client_id: Option<String>,
    invitation_file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation: Option<serde_json::Value>,
    warnings: &'a [String],
}

fn spec(args: &Args, global: &GlobalArgs) -> anyhow::Result<SetupSpec> {
    let tenant = TenantId::parse_field("--tenant", &args.tenant)?;
    let subscription = SubscriptionId::parse_field("--subscription", &args.subscription)?;
    check_resource_group_name("--resource-group", &args.resource_group)?;
    if args.app_name.trim().is_empty() || args.app_name.chars().count() > 120 {
        return Err(InputError::new(
            "--app-name",
            &args.app_name,
            "an app display name has 1–120 characters",
        )
        .with_fix("pass a short name customers will recognise, e.g. `Contoso CMK`")
        .into());
    }
    if args.location.trim().is_empty() {
        return Err(InputError::new("--location", &args.location, "it is empty")
            .with_fix("pass an Azure region such as westeurope")
            .into());
    }
    let app_id = args
        .app_id
        .as_deref()
        .map(|v| AppId::parse_field("--app-id", v))
        .transpose()?;
    let identity = args
        .identity
        .as_deref()
        .map(|v| ResourceId::parse_typed("--identity", v, USER_ASSIGNED_IDENTITY_TYPE))
        .transpose()?;
    let identity_name = identity
        .as_ref()
        .map(|i| i.name().to_string())
        .unwrap_or_else(|| args.identity_name.clone());
    let credential_name = match &args.credential_name {
        Some(n) => FicName::parse_field("--credential-name", n)?,
        None => FicName::for_identity(&identity_name),
    };
    let consent_redirect_uri = args
        .consent_redirect_uri
        .as_deref()
        .map(|v| check_redirect_uri("--consent-redirect-uri", v))
        .transpose()?;
    Ok(SetupSpec {
        tenant,
        subscription,
        resource_group: args.resource_group.clone(),
        location: args.location.trim().to_string(),
        app_name: args.app_name.trim().to_string(),
        identity_name,
        app_id,
        identity,
        credential_name,
        consent_redirect_uri,
        invitation_out: args.invitation_out.clone(),
        cloud_arg: global.cloud.clone(),
        dry_run: args.dry_run,
        fix: args.fix,
    })
}

pub async fn run(args: Args, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let spec = spec(&args, global)?;
    let cloud = global.cloud()?;
    let stack = Arc::new(HttpStack::from_env(cloud, args.auth.auth)?);
    let session = Session::new(stack, &spec.tenant)?;
    let app = match &spec.app_id {
        Some(id) => format!("app {id}"),
        None => format!("app {} (uniqueName {})", spec.app_name, spec.unique_name()),
    };
    printer.status(format!(
        "setup{} in tenant {}: {app}, identity {}",
        if spec.dry_run { " (dry run)" } else { "" },
        spec.tenant,
        spec.identity_id()
    ));
    let result = provider::run(&session, &spec).await?;
    printer.status(format!("signed in as {}", result.signed_in_as));
    for w in &result.warnings {
        printer.warn(w);
    }
    let writes = result.steps.iter().filter(|s| s.outcome.is_write()).count();
    let invitation_file = spec.invitation_out.display().to_string();
    let report = Report {
        tenant: spec.tenant,
        dry_run: spec.dry_run,
        signed_in_as: &result.signed_in_as,
        steps: &result.steps,
        writes,
        app_id: result.app.as_ref().map(|a| a.app_id),
        identity: result.identity.as_ref().map(|i| i.id.as_str()),
        identity_principal_id: result
            .identity
            .as_ref()
            .map(|i| i.properties.principal_id.to_string()),
        identity_client_id: result
            .identity
            .as_ref()
            .map(|i| i.properties.client_id.to_string()),
        invitation_file: invitation_file.clone(),
        invitation: result.invitation.as_ref().map(|i| i.to_value()),
        warnings: &result.warnings,
    };
    printer.json(&report);
    printer.text("steps:");
    for step in &result.steps {
        printer.text(step.line());
    }
    let would = result
        .steps
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::WouldCreate | Outcome::WouldUpdate))
        .count();
    if spec.dry_run {
        printer.text(format!(
            "dry run: nothing was changed; {would} step(s) would change something"
        ));
        return Ok(());
    }
    printer.text(format!("{writes} change(s) made"));
    if let Some(inv) = &result.invitation {
        printer.text("");
        printer.text(format!(
            "send {invitation_file} to the customer's tenant administrator:"
        ));
        printer.text(format!(
            "  app:               {} (app id {})",
            inv.app_display_name, inv.app_id
        ));
        printer.text(format!("  admin consent URL: {}", inv.admin_consent_url));
        printer.text(format!("  next command:      {}", inv.next_command));
    }
    Ok(())
}
