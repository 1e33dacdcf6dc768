//! `xtcmk-customer check-key-uri`: validates a key URI against the selected cloud and prints the form
//! the target needs — versionless for Cosmos DB, the full versioned identifier for MongoDB Atlas (offline).

use serde::Serialize;
use xtcmk::cli::{GlobalArgs, Printer};
use xtcmk::{EncryptionTarget, KeyStoreKind, KeyUri};

/// The field name key URI errors carry.
const FIELD: &str = "key URI";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The key URI, e.g. https://contoso-kv.vault.azure.net/keys/cmk[/<version>].
    #[arg(value_name = "KEY_URI")]
    pub uri: String,

    /// What the key will encrypt: decides whether the URI needs a version.
    #[arg(long = "for", value_name = "TARGET", value_enum)]
    pub target: EncryptionTarget,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    target: EncryptionTarget,
    /// The URI to give the target.
    key_uri: String,
    kind: KeyStoreKind,
    vault_name: String,
    key_name: String,
    version: Option<String>,
    vault_url: String,
    cloud: String,
}

pub fn run(args: Args, global: &GlobalArgs, printer: &Printer) -> anyhow::Result<()> {
    let cloud = global.cloud()?;
    let uri = KeyUri::parse(&cloud, FIELD, &args.uri)?;
    if uri.to_string() != args.uri.trim() {
        printer.status(format!("note: normalised to {uri}"));
    }

    let (normalised, version) = match args.target {
        // Cosmos DB refuses a versioned keyVaultKeyUri ("No version is permitted during provisioning").
        EncryptionTarget::Cosmos => {
            if let Some(v) = uri.version() {
                printer.status(format!(
                    "note: dropped the version {v}: Cosmos DB takes the key URI without a version and follows the key's current version"
                ));
            }
            (uri.versionless().to_string(), None)
        }
        // Atlas's azureKeyVault.keyIdentifier is the full versioned key identifier.
        EncryptionTarget::Atlas => {
            let versioned = uri.versioned().map_err(|e| e.in_field(FIELD))?;
            let v = versioned.version().to_string();
            (versioned.to_string(), Some(v))
        }
    };

    if printer.is_json() {
        printer.json(&Report {
            target: args.target,
            key_uri: normalised,
            kind: uri.kind(),
            vault_name: uri.vault_name().to_string(),
            key_name: uri.key_name().to_string(),
            version,
            vault_url: uri.vault_url().to_string(),
            cloud: cloud.name,
        });
    } else {
        printer.text(normalised);
    }
    Ok(())
}
