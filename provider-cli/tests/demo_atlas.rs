//! `scripts/demo-atlas.sh`, the README's Atlas story, as CI runs it: Atlas's own app installed by
//! the customer, encryption at rest valid with no secret, a private endpoint the customer approves
//! (ACTIVE), then a revoke that Atlas's `valid` shows (exit 3) and a re-grant that restores it —
//! and the provider's Atlas API key never in the story.

mod common;

use common::workspace_bin;
use std::path::Path;
use xtcmk_sim::bin_run::run_bin;
use xtcmk_sim::scenario::demo::ATLAS_PRIVATE_KEY;

#[test]
fn the_atlas_demo_ends_valid_over_an_approved_endpoint_and_shows_a_revoke() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let bins = workspace_bin("xtcmk-customer");
    workspace_bin("xtcmk-sim");
    let tmp = tempfile::TempDir::new().unwrap();
    let env = vec![
        (
            "XTCMK_BIN_DIR".to_string(),
            bins.parent().unwrap().display().to_string(),
        ),
        ("AZURE_CONFIG_DIR".to_string(), String::new()),
        ("MONGODB_ATLAS_PUBLIC_API_KEY".to_string(), String::new()),
        ("MONGODB_ATLAS_PRIVATE_API_KEY".to_string(), String::new()),
        ("TMPDIR".to_string(), tmp.path().display().to_string()),
    ];
    let out = run_bin("bash", &root, &["scripts/demo-atlas.sh"], &env);
    assert_eq!(out.code, 0, "{}", out.shown());
    let text = &out.stdout;
    assert!(text.contains("valid: true"), "{}", out.shown());
    assert!(
        text.contains("Pending   atlas-"),
        "the customer saw the request: {}",
        out.shown()
    );
    assert!(text.contains("Approved  atlas-"), "{}", out.shown());
    assert!(text.contains("EUROPE_WEST ACTIVE"), "{}", out.shown());
    assert!(text.contains("roleId"), "{}", out.shown());
    // The revoke: Atlas's next read is invalid, status exits 3; the re-grant makes it valid again.
    let after_revoke = text.split("== 5 ").nth(1).expect("the revoke section");
    assert!(after_revoke.contains("valid: false"), "{after_revoke}");
    assert!(after_revoke.contains("(exit code 3)"), "{after_revoke}");
    let last_status = after_revoke
        .rsplit("$ xtcmk-provider atlas status")
        .next()
        .unwrap();
    assert!(last_status.contains("valid: true"), "{last_status}");
    assert!(!text.contains(ATLAS_PRIVATE_KEY) && !out.stderr.contains(ATLAS_PRIVATE_KEY));
    assert!(!text.contains("addPassword") && !text.contains("secret create"));
}
