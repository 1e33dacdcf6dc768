//! `xtcmk-provider cosmos template`: writes the ARM deployment template and parameters file for a
//! Cosmos DB account encrypted with the customer's key (offline; nothing is sent anywhere).

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use xtcmk::cli::{GlobalArgs, Printer, UsageError};
use xtcmk::cosmos::{self, AccountName, CosmosCmkAccount, Location};
use xtcmk::files::{read_text, write_atomic};
use xtcmk::output::{Outcome, StepKind, StepReport};
use xtcmk::{AppId, EncryptionTarget, Handoff, InputError, KeyUri, TenantId, VersionlessKeyUri};

#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("key_source").required(true).args(["handoff", "key_uri"]))]
pub struct Args {
    /// The handoff file the customer sent (written by `xtcmk-customer onboard`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["customer_tenant", "key_uri"])]
    pub handoff: Option<PathBuf>,

    /// The customer's tenant id (the key's tenant), when there is no handoff file.
    #[arg(long, value_name = "GUID", requires = "key_uri")]
    pub customer_tenant: Option<String>,

    /// The customer's key URI, when there is no handoff file; a version is dropped (Cosmos DB takes none).
    #[arg(long, value_name = "URI", requires = "customer_tenant")]
    pub key_uri: Option<String>,

    /// Resource id of the provider's user-assigned managed identity.
    #[arg(long, value_name = "UAMI_RESOURCE_ID")]
    pub identity: String,

    /// Client id of the provider's multi-tenant app (taken from the handoff when omitted).
    #[arg(long, value_name = "GUID")]
    pub app_id: Option<String>,

    /// Name of the Cosmos DB account to create.
    #[arg(long, value_name = "NAME")]
    pub account: String,

    /// Azure region of the account, e.g. westeurope.
    #[arg(long, value_name = "REGION")]
    pub location: String,

    /// Folder to write the template and parameters file into (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
}

/// Where the key comes from, after the flags or the handoff were read.
struct KeySource {
    tenant: TenantId,
    key: VersionlessKeyUri,
    /// The version the given URI carried (and that was dropped).
    dropped_version: Option<String>,
    app_id_from_handoff: Option<AppId>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    files: Vec<StepReport>,
    account: String,
    location: String,
    api_version: &'static str,
    key_tenant_id: TenantId,
    key_vault_key_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    dropped_key_version: Option<String>,
    identity: String,
    app_id: AppId,
    default_identity: String,
}

pub fn run(args: Args, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<()> {
    let cloud = global.cloud()?;

    let source = match (&args.handoff, &args.customer_tenant, &args.key_uri) {
        (Some(path), _, _) => from_handoff(path, &cloud)?,
        (None, Some(tenant), Some(uri)) => {
            let tenant = TenantId::parse_field("--customer-tenant", tenant)?;
            let uri = KeyUri::parse(&cloud, "--key-uri", uri)?;
            KeySource {
                tenant,
                key: uri.versionless(),
                dropped_version: uri.version().map(str::to_string),
                app_id_from_handoff: None,
            }
        }
        _ => {
            return Err(UsageError::new(
                "pass either --handoff FILE or both --customer-tenant and --key-uri",
            )
            .into());
        }
    };

    let app_id = match (&args.app_id, source.app_id_from_handoff) {
        (Some(flag), from_handoff) => {
            let flag = AppId::parse_field("--app-id", flag)?;
            if let Some(h) = from_handoff
                && h != flag
            {
                return Err(UsageError::new(format!(
                    "--app-id {flag} conflicts with the handoff's appId {h}"
                ))
                .hint("the handoff names the app the customer granted; omit --app-id to use it, or ask the customer to onboard the other app")
                .into());
            }
            flag
        }
        (None, Some(h)) => h,
        (None, None) => {
            return Err(UsageError::new("--app-id is required without --handoff")
                .hint("pass the client id of the provider's multi-tenant app (printed by `xtcmk-provider setup`)")
                .into());
        }
    };

    let identity = cosmos::parse_cross_tenant_identity("--identity", &args.identity)?;
    let account = CosmosCmkAccount::new(
        AccountName::parse_field("--account", &args.account)?,
        {
            let location = Location::parse_field("--location", &args.location)?;
            cloud.check_location("--location", &location)?;
            location
        },
        identity,
        app_id,
        source.key,
    )?;

    if let Some(v) = &source.dropped_version {
        // Cosmos DB refuses a versioned keyVaultKeyUri ("No version is permitted during provisioning").
        printer.status(format!(
            "note: dropped the key version {v}: Cosmos DB takes the key URI without a version and follows the key's current version"
        ));
    }

    let template_path = args.out.join(cosmos::TEMPLATE_FILE_NAME);
    let parameters_path = args.out.join(cosmos::PARAMETERS_FILE_NAME);
    std::fs::create_dir_all(&args.out).map_err(|e| {
        InputError::new(
            "--out",
            args.out.display().to_string(),
            format!("the folder cannot be created ({e})"),
        )
        .with_fix("pass a folder you can write to")
    })?;
    let files = vec![
        write_file(StepKind::Template, &template_path, cosmos::TEMPLATE_JSON)?,
        write_file(
            StepKind::Parameters,
            &parameters_path,
            &pretty(&account.parameters_file()),
        )?,
    ];

    let report = Report {
        files,
        account: account.name.to_string(),
        location: account.location.to_string(),
        api_version: cosmos::API_VERSION,
        key_tenant_id: source.tenant,
        key_vault_key_uri: account.key.to_string(),
        dropped_key_version: source.dropped_version.clone(),
        identity: account.identity.to_string(),
        app_id: account.app_id,
        default_identity: account.default_identity(),
    };

    if printer.is_json() {
        printer.json(&report);
    } else {
        for f in &report.files {
            printer.text(f.line());
        }
        printer.text(format!(
            "  {:<18} {} in {} (Microsoft.DocumentDB apiVersion {})",
            "account", report.account, report.location, report.api_version
        ));
        printer.text(format!(
            "  {:<18} {}",
            "keyVaultKeyUri", report.key_vault_key_uri
        ));
        printer.text(format!("  {:<18} {}", "key tenant", report.key_tenant_id));
        printer.text(format!(
            "  {:<18} {}",
            "defaultIdentity", report.default_identity
        ));
    }
    printer.status(format!(
        "next: az deployment group create --resource-group <group> --template-file {} --parameters @{}",
        template_path.display(),
        parameters_path.display()
    ));
    Ok(())
}

fn from_handoff(path: &Path, cloud: &xtcmk::Cloud) -> anyhow::Result<KeySource> {
    let handoff = Handoff::read_from_file("--handoff", path, cloud)
        .with_context(|| format!("cannot use the handoff {}", path.display()))?;
    if handoff.target != EncryptionTarget::Cosmos {
        // Cosmos DB wraps and unwraps with the key; an Atlas grant (encrypt/decrypt) does not allow that.
        return Err(anyhow::Error::new(
            InputError::new(
                "handoff.target",
                handoff.target.as_str(),
                "the customer onboarded this key for MongoDB Atlas, whose grant (get, encrypt, decrypt) does not let Cosmos DB wrap and unwrap with it",
            )
            .with_fix("ask the customer to run `xtcmk-customer onboard` with --for cosmos and send the new handoff"),
        )
        .context(format!("cannot use the handoff {}", path.display())));
    }
    Ok(KeySource {
        tenant: handoff.customer_tenant_id,
        key: handoff.key.versionless(),
        dropped_version: None,
        app_id_from_handoff: Some(handoff.app_id),
    })
}

fn pretty(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("JSON values serialise");
    s.push('\n');
    s
}

/// Writes `contents` to `path`, reporting whether the file was created, changed or already identical.
fn write_file(step: StepKind, path: &Path, contents: &str) -> anyhow::Result<StepReport> {
    let outcome = match read_text("--out", path)? {
        Some(existing) if existing == contents => Outcome::Unchanged,
        Some(_) => Outcome::Updated,
        None => Outcome::Created,
    };
    if outcome != Outcome::Unchanged {
        write_atomic("--out", path, contents)?;
    }
    Ok(StepReport::new(step, outcome, path.display().to_string()))
}
