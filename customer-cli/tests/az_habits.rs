//! Azure-CLI habits: short flags (`-g`, `-l`, `-y`, `-o`, `-q`) and `--subscription` left out
//! meaning the signed-in account's default subscription (what `az account show` prints), said
//! on stderr.

mod common;

use common::*;
use xtcmk_sim::scenario::demo::*;

fn short_args(w: &World, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "onboard",
        "--app-id",
        APP_ID,
        "-g",
        CUSTOMER_RESOURCE_GROUP,
        "-l",
        LOCATION,
        "--vault",
        VAULT,
        "--key",
        KEY,
        "--handoff-out",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(w.handoff_path().display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[test]
fn short_flags_and_the_default_subscription_as_az_has_them() {
    let w = World::new();
    let run = w.run(&short_args(&w, &["-y", "-o", "json"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert!(
        run.stderr.contains(&format!(
            "using subscription {CUSTOMER_SUBSCRIPTION_ID}: the Azure CLI's default subscription (`az account show`)"
        )),
        "{}",
        run.shown()
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["writes"], 5);
    w.snapshot("az_habits_json", &run.stdout);
}

#[test]
fn quiet_prints_only_the_result() {
    let w = World::new();
    let run = w.run(&short_args(&w, &["--yes", "-q"]));
    assert_eq!(run.code, 0, "{}", run.shown());
    assert_eq!(run.stderr, "", "no plan, progress or notes with -q");
    assert!(
        run.stdout.contains("Onboarded: 5 change(s)"),
        "{}",
        run.shown()
    );
    w.snapshot("az_habits_quiet", &run.shown());
    // -q and -v exclude each other.
    let both = w.run(&short_args(&w, &["--yes", "-q", "-v"]));
    assert_eq!(both.code, 2, "{}", both.shown());
}
