//! `xtcmk-provider consent-url`: the admin-consent URL a customer's administrator opens to install the
//! provider's multi-tenant app in their tenant (offline).

use serde::Serialize;
use xtcmk::AppId;
use xtcmk::cli::{GlobalArgs, Printer};
use xtcmk::consent::{self, ConsentTenant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Client id of the provider's multi-tenant app.
    #[arg(long, value_name = "GUID")]
    pub app_id: String,

    /// The customer's tenant id or verified domain, or `organizations` (the admin's own tenant).
    #[arg(long, value_name = "TENANT", default_value = "organizations")]
    pub tenant: String,

    /// Where Entra sends the admin after consent; must be registered on the app.
    #[arg(long, value_name = "URL")]
    pub redirect_uri: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    admin_consent_url: String,
    tenant: ConsentTenant,
    app_id: AppId,
    redirect_uri: Option<String>,
    cloud: String,
}

pub fn run(args: Args, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<()> {
    let cloud = global.cloud()?;
    let app_id = AppId::parse_field("--app-id", &args.app_id)?;
    let tenant = ConsentTenant::parse_field("--tenant", &args.tenant)?;
    let redirect = args
        .redirect_uri
        .as_deref()
        .map(|r| consent::check_redirect_uri("--redirect-uri", r))
        .transpose()?;
    let url = consent::admin_consent_url(&cloud, &tenant, &app_id, redirect.as_ref());

    if redirect.is_none() {
        // Entra answers AADSTS500113 ("No reply address is registered for the application") when the
        // consent request reaches an app without a registered redirect URI (Microsoft identity platform
        // error codes).
        printer.warn(
            "no --redirect-uri: if the app has no registered redirect URI, Entra ends the consent with AADSTS500113 (no reply address is registered)",
        );
        printer.status(
            "hint: register one under Entra admin center › App registrations › <app> › Authentication and pass it with --redirect-uri, or let the customer install the app with `xtcmk-customer onboard` (Graph, no browser)",
        );
    }

    if printer.is_json() {
        printer.json(&Report {
            admin_consent_url: url.to_string(),
            tenant,
            app_id,
            redirect_uri: redirect.map(|r| r.to_string()),
            cloud: cloud.name,
        });
    } else {
        printer.text(url.as_str());
    }
    Ok(())
}
