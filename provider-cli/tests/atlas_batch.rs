//! `atlas status --batch MANIFEST`: every customer's Atlas project read at once, through the
//! built binary — one outcome per customer (intact, broken with the failing check, failed with
//! Atlas's refusal), the summary naming the ones that did not succeed, the exit code of the
//! worst, and bad manifests refused before any credential is used.

mod atlas_common;

use atlas_common::*;
use serde_json::Value;
use xtcmk_sim::scenario::{AtlasProjectSpec, Scenario, atlas_world};

/// A second project of the Project Owner key, with encryption at rest never turned on.
const OFF: &str = "65f00000000000000000a002";
/// A project of the organisation the key has no role on.
const FORBIDDEN: &str = "65f00000000000000000a003";

fn scenario() -> Scenario {
    let mut scenario = atlas_world::scenario();
    let atlas = scenario.atlas.as_mut().expect("the demo has Atlas");
    for (id, name) in [(OFF, "contoso-billing"), (FORBIDDEN, "contoso-other")] {
        atlas.projects.push(AtlasProjectSpec {
            id: id.into(),
            name: name.into(),
            cluster_tier: "M10".into(),
        });
    }
    atlas.api_keys[0]
        .project_roles
        .insert(OFF.into(), vec!["GROUP_OWNER".into()]);
    scenario
}

/// The world with encryption at rest on in the demo project (secret mode), and `manifest.csv`
/// written with `rows` (customer, project).
fn world(rows: &[(&str, &str)]) -> World {
    let w = World::start_with(scenario());
    let handoff = w.handoff(Way::Secret);
    let enabled = w.run(&[
        "enable",
        "--handoff",
        handoff.to_str().unwrap(),
        "--group-id",
        GROUP,
    ]);
    assert_eq!(enabled.code, 0, "{}", enabled.shown());
    let mut csv = String::from("customer,project\n");
    for (customer, project) in rows {
        csv.push_str(&format!("{customer},{project}\n"));
    }
    std::fs::write(w.path("manifest.csv"), csv).unwrap();
    w
}

fn records(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn each_project_gets_its_own_outcome_and_the_summary_names_the_others() {
    let w = world(&[
        ("Fabrikam", GROUP),
        ("Northwind", OFF),
        ("Tailspin", FORBIDDEN),
    ]);
    let mark = w.sim.log().mark();
    let out = w.run(&["status", "--batch", "manifest.csv"]);
    // A customer that could not be read is a failure (1), which outranks a broken link (3).
    assert_eq!(out.code, 1, "{}", out.shown());
    assert!(
        out.stdout
            .contains("3 customer(s): 1 intact, 1 broken, 1 failed; 0 change(s) made"),
        "{}",
        out.stdout
    );
    let line = |who: &str| {
        out.stdout
            .lines()
            .find(|l| l.contains(&format!(" {who} (project ")))
            .unwrap_or_else(|| panic!("no line for {who}:\n{}", out.stdout))
            .to_string()
    };
    assert!(line("Northwind").trim_start().starts_with("broken"));
    assert!(
        line("Northwind").contains(&format!("encryption at rest: off: enable it with `xtcmk-provider atlas enable --handoff <file> --group-id {OFF}`")),
        "{}",
        out.stdout
    );
    assert!(line("Tailspin").trim_start().starts_with("failed"));
    assert!(
        out.stdout
            .contains(&format!("failed  Tailspin (project {FORBIDDEN}): ")),
        "{}",
        out.stdout
    );
    assert!(line("Tailspin").contains("cannot access"), "{}", out.stdout);
    assert!(!out.stdout.contains("Fabrikam"), "{}", out.stdout);
    assert!(w.writes_since(mark).is_empty(), "status is read-only");

    // JSON lines: one record per customer, the summary last.
    let out = w.run(&["--output", "json", "status", "--batch", "manifest.csv"]);
    assert_eq!(out.code, 1, "{}", out.shown());
    let records = records(&out.stdout);
    assert_eq!(records.len(), 4, "{}", out.stdout);
    let of = |customer: &str| {
        records
            .iter()
            .find(|r| r["customer"] == customer)
            .unwrap_or_else(|| panic!("no record of {customer}"))
    };
    assert_eq!(of("Fabrikam")["state"], "intact");
    assert_eq!(of("Fabrikam")["project"], GROUP);
    assert_eq!(of("Fabrikam")["status"]["valid"], true);
    assert_eq!(of("Fabrikam")["status"]["mode"], "secret");
    assert_eq!(of("Northwind")["state"], "broken");
    assert_eq!(of("Northwind")["status"]["enabled"], false);
    assert_eq!(of("Tailspin")["state"], "failed");
    // A failed record names its project too, and so does the summary's line.
    assert_eq!(of("Tailspin")["project"], FORBIDDEN);
    assert_eq!(
        of("Tailspin")["error"]["code"],
        "USER_CANNOT_ACCESS_GROUP",
        "{}",
        out.stdout
    );
    let summary = records.last().unwrap();
    assert_eq!(summary["record"], "summary");
    assert_eq!(summary["command"], "atlas status");
    assert_eq!(summary["failures"][1]["project"], FORBIDDEN);
    assert_eq!(
        (&summary["intact"], &summary["broken"], &summary["failed"]),
        (&Value::from(1), &Value::from(1), &Value::from(1))
    );
}

#[test]
fn every_project_valid_is_exit_0_and_a_broken_one_is_exit_3() {
    let w = world(&[("Fabrikam", GROUP)]);
    let out = w.run(&["status", "--batch", "manifest.csv"]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert!(
        out.stdout.contains("1 customer(s): 1 intact"),
        "{}",
        out.stdout
    );

    w.world
        .break_link(&w.sim, atlas_world::Break::GrantsMissing);
    let out = w.run(&["status", "--batch", "manifest.csv"]);
    assert_eq!(out.code, 3, "{}", out.shown());
    assert!(
        out.stdout
            .contains(&format!("broken  Fabrikam (project {GROUP}): valid: false")),
        "{}",
        out.stdout
    );
}

#[test]
fn bad_rows_a_folder_and_group_id_with_batch_are_refused_before_anything_is_sent() {
    let w = world(&[
        ("Fabrikam", GROUP),
        ("Northwind", "65f00000000000000000A002"),
        ("Tailspin", ""),
        ("Fabrikam", OFF),
        ("Contoso", GROUP),
    ]);
    let mark = w.sim.log().mark();
    let out = w.run(&["status", "--batch", "manifest.csv"]);
    assert_eq!(out.code, 1, "{}", out.shown());
    for named in [
        "row 2 (line 3) project `65f00000000000000000A002`: an Atlas project (group) id is 24 lower-case hex digits",
        "row 3 (line 4) project ``: it is empty",
        "row 4 (line 5) customer `Fabrikam`: another row has the same customer",
        "row 5 (line 6) project `65f00000000000000000a001`: another row has the same project",
    ] {
        assert!(out.stderr.contains(named), "{named}\n{}", out.stderr);
    }
    assert!(out.stderr.contains("nothing was sent"), "{}", out.stderr);
    // The rows come first: without any Atlas credential the answer is the same.
    let mut env = w.env();
    env.retain(|(k, _)| !k.starts_with("MONGODB_ATLAS_"));
    let bare = xtcmk_sim::bin_run::run_bin(
        BIN,
        w.dir.path(),
        &["atlas", "status", "--batch", "manifest.csv"],
        &env,
    );
    assert_eq!(bare.code, 1, "{}", bare.shown());
    assert!(bare.stderr.contains("nothing was sent"), "{}", bare.stderr);
    assert!(!bare.stderr.contains("credentials"), "{}", bare.stderr);

    let folder = w.run(&["status", "--batch", "."]);
    assert_eq!(folder.code, 1, "{}", folder.shown());
    assert!(
        folder
            .stderr
            .contains("a folder of handoff files names no Atlas projects"),
        "{}",
        folder.stderr
    );
    assert!(
        folder.stderr.contains("columns customer and project"),
        "{}",
        folder.stderr
    );
    // Not one request, not even a token.
    let sent = w.sim.log().since(mark);
    assert!(sent.is_empty(), "{sent:#?}");

    let both = w.run(&["status", "--batch", "manifest.csv", "--group-id", GROUP]);
    assert_eq!(both.code, 2, "{}", both.shown());
    assert!(
        both.stderr.contains("cannot be used with"),
        "{}",
        both.stderr
    );
    let neither = w.run(&["status"]);
    assert_eq!(neither.code, 2, "{}", neither.shown());
    assert!(
        neither.stderr.contains("--group-id ID, or --batch PATH"),
        "{}",
        neither.stderr
    );
}

#[test]
fn the_project_variable_is_the_single_status_default_and_ignored_by_a_batch() {
    let w = world(&[("Fabrikam", GROUP)]);
    let mut env = w.env();
    env.retain(|(k, _)| k != "MONGODB_ATLAS_PROJECT_ID");
    env.push(("MONGODB_ATLAS_PROJECT_ID".into(), OFF.into()));
    let run = |args: &[&str], env: &[(String, String)]| {
        let mut all = vec!["atlas".to_string()];
        all.extend(args.iter().map(|a| a.to_string()));
        xtcmk_sim::bin_run::run_bin(BIN, w.dir.path(), &all, env)
    };
    let single = run(&["status"], &env);
    assert_eq!(single.code, 3, "{}", single.shown());
    assert!(
        single.stdout.contains(&format!("Atlas project {OFF}")),
        "{}",
        single.stdout
    );
    let batch = run(&["status", "--batch", "manifest.csv"], &env);
    assert_eq!(batch.code, 0, "{}", batch.shown());
    // A bad value names the variable it came from.
    env.retain(|(k, _)| k != "MONGODB_ATLAS_PROJECT_ID");
    env.push(("MONGODB_ATLAS_PROJECT_ID".into(), "65f0".into()));
    let bad = run(&["status"], &env);
    assert_eq!(bad.code, 1, "{}", bad.shown());
    assert!(
        bad.stderr
            .contains("invalid MONGODB_ATLAS_PROJECT_ID `65f0`"),
        "{}",
        bad.stderr
    );
}

#[test]
fn a_secret_about_to_expire_is_warned_about_per_customer_and_counted() {
    let w = world(&[("Fabrikam", GROUP), ("Northwind", OFF)]);
    {
        // The project's secret (made by enable) expires in ten days.
        let mut state = w.sim.state();
        let name = format!("xtcmk-atlas-{GROUP}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let soon = now + 10 * 86_400;
        for app in state
            .tenants
            .iter_mut()
            .flat_map(|t| t.applications.iter_mut())
        {
            for p in app.password_credentials.iter_mut() {
                if p.display_name == name {
                    p.end_date_time = soon;
                }
            }
        }
    }
    let out = w.run(&["status", "--batch", "manifest.csv"]);
    assert_eq!(out.code, 3, "{}", out.shown());
    assert!(
        out.stderr.contains(&format!(
            "warning: Fabrikam: the client secret expires in 9 days: xtcmk-provider atlas rotate-secret --group-id {GROUP}"
        )) || out.stderr.contains("warning: Fabrikam: the client secret expires in 10 days"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("; 1 with warnings (shown above)"),
        "{}",
        out.stdout
    );
    let out = w.run(&["--output", "json", "status", "--batch", "manifest.csv"]);
    let records = records(&out.stdout);
    let fabrikam = records
        .iter()
        .find(|r| r["customer"] == "Fabrikam")
        .unwrap();
    assert_eq!(fabrikam["state"], "intact", "{fabrikam}");
    assert!(
        fabrikam["warnings"][0]
            .as_str()
            .unwrap()
            .contains("the client secret expires in"),
        "{fabrikam}"
    );
    let northwind = records
        .iter()
        .find(|r| r["customer"] == "Northwind")
        .unwrap();
    assert!(northwind.get("warnings").is_none(), "{northwind}");
    assert_eq!(records.last().unwrap()["warned"], 1);
}

#[test]
fn without_the_provider_tenant_the_secrets_expiry_is_unknown_not_silently_fine() {
    let w = world(&[("Fabrikam", GROUP)]);
    // A sign-in that cannot work: the client-secret credential without its variables.
    let out = w.run(&[
        "--output",
        "json",
        "status",
        "--batch",
        "manifest.csv",
        "--auth",
        "client-secret",
    ]);
    assert_eq!(out.code, 0, "{}", out.shown());
    assert!(
        out.stderr.contains("the secrets' expiry is not shown"),
        "{}",
        out.stderr
    );
    let records = records(&out.stdout);
    let checks = records[0]["status"]["checks"].as_array().unwrap();
    let secret = checks
        .iter()
        .find(|c| c["item"] == "client secret")
        .unwrap_or_else(|| panic!("no client secret check: {checks:?}"));
    assert_eq!(secret["state"], "unknown", "{secret}");
}

#[test]
fn a_service_account_batch_fetches_one_token_for_every_project_at_once() {
    const CLIENT_ID: &str = "mdb_sa_id_65f00000000000000000b002";
    const CLIENT_SECRET: &str = "mdb_sa_sk_batch-secret-for-this-test";
    let w = world(&[("Fabrikam", GROUP), ("Northwind", OFF)]);
    w.sim.state().atlas.add_service_account(
        CLIENT_ID,
        CLIENT_SECRET,
        &[GROUP, OFF],
        &["GROUP_OWNER"],
    );
    let mut env = w.env();
    env.retain(|(k, _)| !k.starts_with("MONGODB_ATLAS_"));
    env.push(("MONGODB_ATLAS_CLIENT_ID".into(), CLIENT_ID.into()));
    env.push(("MONGODB_ATLAS_CLIENT_SECRET".into(), CLIENT_SECRET.into()));
    let mark = w.sim.log().mark();
    let out = xtcmk_sim::bin_run::run_bin(
        BIN,
        w.dir.path(),
        &[
            "atlas",
            "status",
            "--batch",
            "manifest.csv",
            "--concurrency",
            "8",
        ],
        &env,
    );
    assert_eq!(out.code, 3, "{}", out.shown());
    assert!(
        out.stdout.contains("2 customer(s): 1 intact, 1 broken"),
        "{}",
        out.stdout
    );
    // Both projects are read at once; they wait for one token rather than each fetching one.
    let tokens = w
        .sim
        .log()
        .since(mark)
        .iter()
        .filter(|e| e.method == "POST" && e.path == "/api/oauth/token")
        .count();
    assert_eq!(tokens, 1);
}
