//! `xtcmk-sim serve`: start the simulator, print where it is and how to point the tools at it.

use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;
use xtcmk_sim::scenario::Scenario;
use xtcmk_sim::{Sim, SimOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 8443)]
    port: u16,
    /// Keep the clouds' state in this JSON file (loaded if present, saved after every write).
    #[arg(long)]
    state: Option<PathBuf>,
    /// The starting world (tenants, users, apps, subscriptions); default: the built-in demo
    /// (the same as tests/scenarios/demo.json).
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Also write the cloud profile here (for `--cloud` / `XTCMK_CLOUD`).
    #[arg(long)]
    profile_out: Option<PathBuf>,
    /// Folder for the CA, the profile and the `az` shim (default: a temporary folder).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// No added latency and `Retry-After: 0` on operations (as tests run).
    #[arg(long)]
    zero_delay: bool,
    /// Log every request (method, host, path, status; never tokens or bodies).
    #[arg(short, long)]
    verbose: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let filter = if args.verbose { "info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let scenario = match &args.scenario {
        Some(path) => Scenario::load(path).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => Scenario::demo(),
    };
    let sim = Sim::start_with(
        Some(scenario.clone()),
        SimOptions {
            port: args.port,
            zero_delay: args.zero_delay,
            state_file: args.state.clone(),
            dir: args.dir.clone(),
            ..SimOptions::default()
        },
    )?;
    let mut profile = sim.profile_path().to_path_buf();
    if let Some(out) = &args.profile_out {
        std::fs::copy(sim.profile_path(), out)
            .with_context(|| format!("cannot write the profile to {}", out.display()))?;
        profile = std::path::absolute(out)?;
    }
    print!("{}", banner(&sim, &scenario, &profile));
    use std::io::Write;
    std::io::stdout().flush()?;
    sim.wait();
    Ok(ExitCode::SUCCESS)
}

fn banner(sim: &Sim, scenario: &Scenario, profile: &std::path::Path) -> String {
    let port = sim.port();
    let ca = sim.ca_path().display();
    let profile = profile.display();
    let mut text = format!(
        "xtcmk-sim listening on https://127.0.0.1:{port} (hosts *.localhost:{port})\n\
         CA certificate: {ca}\n\
         cloud profile:  {profile}\n\
         admin endpoint: {admin}/ (log, counters, faults)\n\
         tenants:\n",
        admin = sim.admin_url()
    );
    for t in &scenario.tenants {
        text.push_str(&format!(
            "  {:<10} {} ({})\n",
            t.alias, t.id, t.display_name
        ));
        for sub in &t.subscriptions {
            text.push_str(&format!(
                "    subscription {} ({})\n",
                sub.id, sub.display_name
            ));
            for rg in &sub.resource_groups {
                text.push_str(&format!(
                    "      resource group {} ({})\n",
                    rg.name, rg.location
                ));
            }
        }
        for u in &t.users {
            text.push_str(&format!("    user {}\n", u.user_principal_name));
        }
    }
    if let Some(atlas) = &scenario.atlas {
        for p in &atlas.projects {
            text.push_str(&format!(
                "MongoDB Atlas project {} (organization {}): group id {} ({})\n",
                p.name, atlas.org_name, p.id, p.cluster_tier
            ));
        }
        // The scenario's API keys are test data, printed like the tenants' users.
        for k in &atlas.api_keys {
            let roles: Vec<String> = k.project_roles.values().flatten().cloned().collect();
            text.push_str(&format!(
                "  Atlas API key ({}):\n  export MONGODB_ATLAS_PUBLIC_API_KEY={}\n  export MONGODB_ATLAS_PRIVATE_API_KEY={}\n",
                roles.join(", "),
                k.public_key,
                k.private_key.expose()
            ));
        }
    }
    let user = scenario
        .tenants
        .iter()
        .flat_map(|t| t.users.iter())
        .next()
        .map(|u| u.user_principal_name.as_str())
        .unwrap_or("<upn>");
    let tenant = scenario
        .tenants
        .first()
        .map(|t| t.id.to_string())
        .unwrap_or_default();
    text.push_str(&format!(
        "\nPoint the tools at it:\n\
         \x20 export XTCMK_CLOUD={profile}\n\
         \x20 eval \"$(xtcmk-sim az login --profile {profile} --user {user})\"   # az shim on PATH, signed in\n\
         \x20 xtcmk-provider --cloud {profile} consent-url --app-id <guid>\n\
         Try it with curl:\n\
         \x20 curl --cacert {ca} --resolve login.localhost:{port}:127.0.0.1 https://login.localhost:{port}/{tenant}/v2.0/.well-known/openid-configuration\n"
    ));
    text
}
