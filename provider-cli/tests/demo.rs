//! `scripts/demo.sh`, the README's first command, as CI runs it: the three phases as a story on
//! the simulator, ending with the account on the customer's key and its status confirmed; and with
//! `--break fic|grant|key|sp`, the deploy failing, doctor naming exactly that link, the fix. The
//! output is snapshotted through the one filter policy (folders, port, ids, key versions); the
//! retry waits, whose jitter is random, are shown as `[retry wait]`.

mod common;

use common::workspace_bin;
use std::path::Path;
use xtcmk_sim::bin_run::{BinOutput, run_bin};
use xtcmk_sim::scenario::demo::{
    CUSTOMER_SUBSCRIPTION_ID, CUSTOMER_TENANT_ID, PROVIDER_SUBSCRIPTION_ID, PROVIDER_TENANT_ID,
};
use xtcmk_sim::snapshot::Filters;

fn demo(args: &[&str]) -> BinOutput {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let bins = workspace_bin("xtcmk-customer");
    workspace_bin("xtcmk-sim");
    let dir = bins.parent().unwrap().display().to_string();
    // The demo keeps its folder for the reader; a test's goes with the test.
    let tmp = tempfile::TempDir::new().unwrap();
    let mut all = vec!["scripts/demo.sh".to_string()];
    all.extend(args.iter().map(|s| s.to_string()));
    let env = vec![
        ("XTCMK_BIN_DIR".to_string(), dir),
        ("AZURE_CONFIG_DIR".to_string(), String::new()),
        ("IDENTITY_ENDPOINT".to_string(), String::new()),
        ("IDENTITY_HEADER".to_string(), String::new()),
        ("TMPDIR".to_string(), tmp.path().display().to_string()),
    ];
    run_bin("bash", &root, &all, &env)
}

/// The demo's output as the snapshot holds it.
fn shown(out: &BinOutput) -> (String, Filters) {
    let folder = out
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("folder: "))
        .expect("the demo names its folder")
        .to_string();
    let text: String = out
        .stdout
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("waiting ")
                && l.contains("s for ")
                && l.contains("(attempt ")
            {
                "  [retry wait]".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let filters = Filters::new()
        .dir(Path::new(&folder), "[DEMO]")
        .known(PROVIDER_TENANT_ID, "[PROVIDER_TENANT]")
        .known(CUSTOMER_TENANT_ID, "[CUSTOMER_TENANT]")
        .known(PROVIDER_SUBSCRIPTION_ID, "[PROVIDER_SUB]")
        .known(CUSTOMER_SUBSCRIPTION_ID, "[CUSTOMER_SUB]");
    (
        format!("exit: {}\n{text}\n--- stderr\n{}", out.code, out.stderr),
        filters,
    )
}

#[test]
fn the_demo_tells_the_three_phases_and_ends_confirmed() {
    let out = demo(&[]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert!(
        out.stdout.contains("key status         confirmed"),
        "{}",
        out.shown()
    );
    assert!(
        out.stdout.contains("✓ key status           confirmed"),
        "{}",
        out.shown()
    );
    let (text, filters) = shown(&out);
    xtcmk_sim::assert_output_snapshot!(filters, "demo", &text);
}

#[test]
fn each_broken_link_fails_the_deploy_and_doctor_names_it_then_the_fix_restores_it() {
    let cases = [
        ("fic", "✗ credential"),
        ("grant", "✗ grant"),
        ("key", "✗ key "),
        ("sp", "✗ service principal"),
    ];
    let results: Vec<(&str, &str, BinOutput)> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|(link, mark)| s.spawn(move || (*link, *mark, demo(&["--break", link]))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (link, mark, out) in results {
        assert_eq!(out.code, 0, "--break {link}: {}", out.shown());
        let broken: Vec<&str> = out.stdout.lines().filter(|l| l.contains("  ✗ ")).collect();
        assert_eq!(
            broken.len(),
            1,
            "--break {link}: doctor names one link: {broken:#?}"
        );
        assert!(
            broken[0].trim_start().starts_with(mark.trim_start()),
            "--break {link}: {broken:#?}"
        );
        let fixed = out.stdout.split("== The fix").nth(1).unwrap();
        assert!(
            fixed.contains("0 broken, 0 not checked"),
            "--break {link}: {fixed}"
        );
        assert!(
            out.stdout.contains("✓ key status           confirmed"),
            "--break {link}"
        );
        if link == "grant" {
            let (text, filters) = shown(&out);
            xtcmk_sim::assert_output_snapshot!(filters, "demo_break_grant", &text);
        }
    }
}
