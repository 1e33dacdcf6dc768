//! `xtcmk-provider setup`: phase 1 — the multi-tenant app, the managed identity, the federated
//! credential that lets the identity act as the app, and the invitation for customers.

use std::path::PathBuf;
use std::sync::Arc;
use xtcmk::cli::{GlobalArgs, Printer};
use xtcmk::consent::check_redirect_uri;
use xtcmk::http::{AuthArgs, HttpStack};
use xtcmk::ops::setup::{self, SetupSpec};
use xtcmk::report::{Event, Reporter};
use xtcmk::resource_id::{
    USER_ASSIGNED_IDENTITY_TYPE, check_identity_name, check_resource_group_name,
};
use xtcmk::{AppId, Ctx, FicName, InputError, Location, ResourceId, SubscriptionId, TenantId};

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
    let location = Location::parse_field("--location", &args.location)?;
    global.cloud()?.check_location("--location", &location)?;
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
    let identity_name = match &identity {
        Some(i) => i.name().to_string(),
        None => {
            check_identity_name("--identity-name", &args.identity_name)?;
            args.identity_name.clone()
        }
    };
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
        location,
        app_name: args.app_name.trim().to_string(),
        identity_name,
        app_id,
        identity,
        credential_name,
        consent_redirect_uri,
        invitation_out: args.invitation_out.clone(),
        cloud_arg: global.cloud.clone(),
        fix: args.fix,
    })
}

pub async fn run(args: Args, global: &GlobalArgs, printer: Arc<Printer>) -> anyhow::Result<()> {
    let spec = spec(&args, global)?;
    let stack = HttpStack::from_env(global.cloud()?, args.auth.auth)?;
    let ctx = Ctx::new(stack, spec.tenant, printer.clone())?;
    printer.context(Some(spec.tenant.to_string()), args.dry_run);
    let app = match &spec.app_id {
        Some(id) => format!("app {id}"),
        None => format!("app {} (uniqueName {})", spec.app_name, spec.unique_name()),
    };
    printer.status(format!(
        "setup{} in tenant {}: {app}, identity {}",
        if args.dry_run { " (dry run)" } else { "" },
        spec.tenant,
        spec.identity_id()
    ));
    let plan = setup::plan(&ctx, &spec).await?;
    printer.status(format!("signed in as {}", plan.signed_in_as));
    let invitation_file = spec.invitation_out.display().to_string();
    if args.dry_run {
        let steps = plan.steps();
        for step in &steps {
            printer.report(Event::StepFinished(step.predicted()));
        }
        let would = steps.iter().filter(|s| s.action.writes()).count();
        printer.json(
            &printer
                .report_document()
                .field("signedInAs", &plan.signed_in_as)
                .field("appId", plan.app.found.as_ref().map(|a| a.app_id))
                .field("invitationFile", &invitation_file),
        );
        printer.text(format!(
            "dry run: nothing was changed; {would} step(s) would change something"
        ));
        return Ok(());
    }
    let outcome = setup::apply(&ctx, plan).await?;
    let writes = xtcmk::output::cloud_writes(&outcome.steps);
    let inv = &outcome.invitation;
    if printer.is_json() {
        printer.json(
            &printer
                .report_document()
                .field("signedInAs", &outcome.signed_in_as)
                .field("appId", outcome.app.app_id)
                .field("identity", &outcome.identity.id)
                .field(
                    "identityPrincipalId",
                    outcome.identity.properties.principal_id,
                )
                .field("identityClientId", outcome.identity.properties.client_id)
                .field("invitationFile", &invitation_file)
                .field("invitation", inv.to_value()),
        );
        return Ok(());
    }
    printer.text(format!("{writes} change(s) made in tenant {}", spec.tenant));
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
    Ok(())
}
