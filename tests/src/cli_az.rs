//! `xtcmk-sim az`: the Azure CLI commands the tools use, against a running simulator, for manual
//! use (tests use the `sh` shim, which needs no binary). `az login --user U` signs U in to U's
//! own config dir (`az-U` next to the profile, whatever `AZURE_CONFIG_DIR` says) and installs
//! the shim there; the account commands read the config dir `AZURE_CONFIG_DIR` names.

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::ExitCode;
use xtcmk::Cloud;
use xtcmk_sim::harness::az_shim;
use xtcmk_sim::service::ADMIN_HOST;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AzCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AzCommand {
    /// Sign a simulator user in; prints the `export` lines that put the `az` shim on PATH.
    Login {
        /// The cloud profile `xtcmk-sim serve` wrote.
        #[arg(long)]
        profile: PathBuf,
        /// The user's UPN.
        #[arg(long)]
        user: String,
        /// The tenant to use by default (id, domain or alias; default: the user's home tenant).
        #[arg(long)]
        tenant: Option<String>,
        /// The config dir to write (default: the user's own folder next to the profile, so a
        /// second `az login --user` in the same shell never writes into the first user's).
        #[arg(long)]
        config_dir: Option<PathBuf>,
    },
    /// `az account get-access-token` / `az account show`.
    #[command(subcommand)]
    Account(AccountCommand),
}

#[derive(Debug, clap::Subcommand)]
enum AccountCommand {
    GetAccessToken {
        #[command(flatten)]
        options: AccountOptions,
        #[arg(long)]
        scope: Option<String>,
        #[arg(long)]
        resource: Option<String>,
    },
    Show {
        #[command(flatten)]
        options: AccountOptions,
    },
}

#[derive(Debug, clap::Args)]
struct AccountOptions {
    #[arg(long, short = 't')]
    tenant: Option<String>,
    #[arg(long, short = 's')]
    subscription: Option<String>,
    /// Output format (only json).
    #[arg(long, short = 'o', default_value = "json")]
    output: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match args.command {
            AzCommand::Login {
                profile,
                user,
                tenant,
                config_dir,
            } => login(profile, user, tenant, config_dir).await,
            AzCommand::Account(AccountCommand::GetAccessToken {
                options,
                scope,
                resource,
            }) => {
                let mut form = options.form()?;
                form.extend(scope.map(|s| ("scope".to_string(), s)));
                form.extend(resource.map(|r| ("resource".to_string(), r)));
                account("get-access-token", form).await
            }
            AzCommand::Account(AccountCommand::Show { options }) => {
                account("show", options.form()?).await
            }
        }
    })
}

impl AccountOptions {
    fn form(&self) -> anyhow::Result<Vec<(String, String)>> {
        if self.output != "json" {
            bail!("only `-o json` is supported");
        }
        let mut form = Vec::new();
        form.extend(self.tenant.clone().map(|t| ("tenant".to_string(), t)));
        form.extend(
            self.subscription
                .clone()
                .map(|s| ("subscription".to_string(), s)),
        );
        Ok(form)
    }
}

/// An HTTP client trusting the simulator's CA, resolving `*.localhost` to loopback.
fn client(port: u16, ca: &std::path::Path) -> anyhow::Result<(reqwest::Client, String)> {
    let mut cloud = xtcmk_sim::profile::cloud(port, ca.to_path_buf());
    cloud.name = "xtcmk-sim".into();
    let client =
        xtcmk::http::transport::build_client(&cloud).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((client, format!("https://{ADMIN_HOST}:{port}")))
}

fn encode(form: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter())
        .finish()
}

async fn login(
    profile: PathBuf,
    user: String,
    tenant: Option<String>,
    config_dir: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let cloud = Cloud::load(&profile).map_err(|e| anyhow::anyhow!("{e}"))?;
    let port = cloud
        .service_port
        .context("the profile names no servicePort")?;
    let ca = cloud
        .ca_file
        .clone()
        .context("the profile names no caFile")?;
    let (client, admin) = client(port, &ca)?;
    let response = client
        .post(format!("{admin}/az/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(&[("user".to_string(), user.clone())]))
        .send()
        .await
        .with_context(|| format!("cannot reach xtcmk-sim on port {port}"))?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        eprint!("{text}");
        return Ok(ExitCode::FAILURE);
    }
    let body: serde_json::Value = serde_json::from_str(&text)?;
    let token = body["refreshToken"].as_str().unwrap_or_default();
    let tenant =
        tenant.unwrap_or_else(|| body["tenantId"].as_str().unwrap_or_default().to_string());
    let dir = config_dir.unwrap_or_else(|| user_config_dir(&profile, &user));
    let dir = std::path::absolute(dir)?;
    az_shim::sign_in(&dir, port, &ca, Some(&tenant), token)?;
    let bin = dir.join("bin");
    az_shim::install(&bin)?;
    eprintln!("signed in as {user} (tenant {tenant}) in {}", dir.display());
    println!("export AZURE_CONFIG_DIR='{}'", dir.display());
    println!("export PATH='{}':\"$PATH\"", bin.display());
    Ok(ExitCode::SUCCESS)
}

/// `az-<user>` next to the profile: each user signs in to a folder of their own.
pub fn user_config_dir(profile: &std::path::Path, user: &str) -> PathBuf {
    profile
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join(format!("az-{}", user.replace(['/', '\\', '@'], "_")))
}

async fn account(action: &str, mut form: Vec<(String, String)>) -> anyhow::Result<ExitCode> {
    let dir = std::env::var_os("AZURE_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".azure")))
        .context("neither AZURE_CONFIG_DIR nor HOME is set")?;
    let Ok((port, ca, tenant, token)) = az_shim::read_config(&dir) else {
        eprintln!("Please run 'az login' to setup account.");
        return Ok(ExitCode::FAILURE);
    };
    if !form
        .iter()
        .any(|(k, _)| k == "tenant" || k == "subscription")
        && !tenant.is_empty()
    {
        form.push(("tenant".into(), tenant));
    }
    form.push(("refresh_token".into(), token));
    let (client, admin) = client(port, &ca)?;
    let response = client
        .post(format!("{admin}/az/account/{action}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(&form))
        .send()
        .await
        .with_context(|| format!("cannot reach xtcmk-sim on port {port}"))?;
    let status = response.status();
    let text = response.text().await?;
    if status.is_success() {
        println!("{text}");
        Ok(ExitCode::SUCCESS)
    } else {
        eprint!("{text}");
        Ok(ExitCode::FAILURE)
    }
}
