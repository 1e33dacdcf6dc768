//! `xtcmk-sim serve`: start the simulator, print where it is and how to point the tools at it.

use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;
use xtcmk_sim::scenario::Scenario;
use xtcmk_sim::throttle::{ArmLimits, BucketLimit, ThrottleOptions};
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
    /// Throttle as Azure does: ARM's per-subscription token buckets (reads 250, refilled 25/s;
    /// writes and deletes 200, refilled 10/s) with their remaining-requests headers, and Graph's
    /// per app and tenant; an empty bucket answers 429 with `Retry-After`.
    #[arg(long)]
    throttle: bool,
    /// ARM's buckets as CAPACITY/REFILL-PER-SECOND for reads, writes and deletes alike (implies
    /// --throttle), e.g. `--arm-bucket 5/1` to see throttling within seconds.
    #[arg(long, value_name = "CAPACITY/RATE", value_parser = parse_bucket)]
    arm_bucket: Option<BucketLimit>,
    /// Add this many milliseconds to every answer (a fixed network and service latency).
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
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
            throttle: throttle_options(&args),
            latency: std::time::Duration::from_millis(args.latency_ms),
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

fn throttle_line(options: &ThrottleOptions) -> String {
    let Some(arm) = options.arm else {
        return String::new();
    };
    format!(
        "throttling:     ARM reads {}/{}/s, writes {}/{}/s, deletes {}/{}/s per subscription{}\n",
        arm.reads.capacity,
        arm.reads.refill_per_second,
        arm.writes.capacity,
        arm.writes.refill_per_second,
        arm.deletes.capacity,
        arm.deletes.refill_per_second,
        options
            .graph
            .map(|g| format!(
                "; Graph {}/{}/s per app and tenant",
                g.capacity, g.refill_per_second
            ))
            .unwrap_or_default()
    )
}

fn throttle_options(args: &Args) -> ThrottleOptions {
    match (args.throttle, args.arm_bucket) {
        (_, Some(bucket)) => ThrottleOptions {
            arm: Some(ArmLimits::uniform(bucket)),
            ..ThrottleOptions::azure()
        },
        (true, None) => ThrottleOptions::azure(),
        (false, None) => ThrottleOptions::default(),
    }
}

/// `CAPACITY/RATE`, e.g. `5/1` or `250/25`.
fn parse_bucket(text: &str) -> Result<BucketLimit, String> {
    let problem = || format!("`{text}` is not CAPACITY/REFILL-PER-SECOND (e.g. 5/1 or 250/25)");
    let (capacity, rate) = text.split_once('/').ok_or_else(problem)?;
    let capacity: u32 = capacity.trim().parse().map_err(|_| problem())?;
    let rate: f64 = rate.trim().parse().map_err(|_| problem())?;
    if capacity == 0 || !rate.is_finite() || rate <= 0.0 {
        return Err(problem());
    }
    Ok(BucketLimit::new(capacity, rate))
}

fn banner(sim: &Sim, scenario: &Scenario, profile: &std::path::Path) -> String {
    let port = sim.port();
    let ca = sim.ca_path().display();
    let profile = profile.display();
    let mut text = format!(
        "xtcmk-sim listening on https://127.0.0.1:{port} (hosts *.localhost:{port})\n\
         CA certificate: {ca}\n\
         cloud profile:  {profile}\n\
         admin endpoint: {admin}/ (log, counters, faults)\n",
        admin = sim.admin_url()
    );
    text.push_str(&throttle_line(&sim.throttle().options()));
    text.push_str("tenants:\n");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_parse_as_capacity_slash_rate() {
        assert_eq!(parse_bucket("5/1"), Ok(BucketLimit::new(5, 1.0)));
        assert_eq!(parse_bucket(" 250 / 25 "), Ok(BucketLimit::new(250, 25.0)));
        for bad in ["5", "0/1", "5/0", "5/-1", "x/1", "5/inf"] {
            let err = parse_bucket(bad).unwrap_err();
            assert!(
                err.contains(bad) && err.contains("CAPACITY/REFILL-PER-SECOND"),
                "{err}"
            );
        }
    }

    #[test]
    fn the_banner_names_the_limits_only_when_throttling() {
        assert_eq!(throttle_line(&ThrottleOptions::default()), "");
        assert_eq!(
            throttle_line(&ThrottleOptions::azure()),
            "throttling:     ARM reads 250/25/s, writes 200/10/s, deletes 200/10/s per subscription; Graph 3500/350/s per app and tenant\n"
        );
    }
}
