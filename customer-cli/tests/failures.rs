//! How `xtcmk-customer` fails: with `--output json` every failure is a JSON document on stdout
//! naming the error (code, message, hints) and the steps done before it; in text, a failure after
//! writes lists them and says a re-run finishes the rest. Exit codes: 1 refused, 2 usage, 3 a
//! broken link, 130 interrupted. A check the caller may not make is `unknown`, not FAIL.

mod common;

use common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use xtcmk_sim::faults::{FaultRule, Step};
use xtcmk_sim::scenario::demo::*;

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", run.shown()))
}

fn outcomes(doc: &Value) -> Vec<(String, String)> {
    doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_string(),
                s["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn bad_input_is_json_naming_the_field_before_any_request() {
    let w = World::new();
    let mut args = w.onboard_args(&["--yes", "--output", "json"]);
    let at = args.iter().position(|a| a == "--vault").unwrap();
    args[at + 1] = "kv--".into();
    let run = w.run(&args);
    assert_eq!(run.code, 1, "{}", run.shown());
    let doc = json(&run);
    assert_eq!(doc["command"], "onboard");
    assert_eq!(doc["error"]["code"], "InvalidInput");
    assert_eq!(doc["error"]["field"], "--vault");
    assert_eq!(doc["error"]["exitCode"], 1);
    assert!(doc["error"]["message"].as_str().unwrap().contains("kv--"));
    assert!(!doc["error"]["hints"].as_array().unwrap().is_empty());
    assert_eq!(doc["steps"], serde_json::json!([]));
    assert_eq!(doc["writes"], 0);
    assert!(w.sim.log().entries().is_empty(), "nothing was sent");
}

#[test]
fn a_graph_refusal_of_an_unknown_app_is_json_with_the_hint_to_ask_for_a_new_invitation() {
    let w = World::new();
    let mut args = w.onboard_args(&["--yes", "--output", "json"]);
    let at = args.iter().position(|a| a == "--app-id").unwrap();
    args[at + 1] = "10000000-0000-4000-8000-0000000000ff".into();
    let run = w.run(&args);
    assert_eq!(run.code, 1, "{}", run.shown());
    let doc = json(&run);
    assert_eq!(doc["error"]["code"], "Request_BadRequest");
    let hints: Vec<&str> = doc["error"]["hints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(
        hints
            .iter()
            .any(|h| h.contains("ask the provider for a new invitation")
                && h.contains("may not be multi-tenant")),
        "{hints:#?}"
    );
    let changed: Vec<_> = w
        .sim
        .log()
        .writes()
        .into_iter()
        .filter(|e| e.status < 400)
        .collect();
    assert!(changed.is_empty(), "{changed:#?}");

    // In text the same failure ends with the same hint.
    let mut args = w.onboard_args(&["--yes"]);
    let at = args.iter().position(|a| a == "--app-id").unwrap();
    args[at + 1] = "10000000-0000-4000-8000-0000000000ff".into();
    let text = w.run(&args);
    assert_eq!(text.code, 1, "{}", text.shown());
    assert!(
        text.stderr
            .contains("hint: the app id may not exist or the app may not be multi-tenant"),
        "{}",
        text.shown()
    );
}

#[test]
fn a_500_on_the_grant_after_four_writes_names_the_steps_done_and_a_rerun_finishes() {
    let w = World::new();
    let rule = w.sim.faults().add(
        FaultRule::on(
            "PUT",
            "/subscriptions/*/resourceGroups/*/providers/Microsoft.KeyVault/vaults/*/keys/*/providers/Microsoft.Authorization/roleAssignments/*",
        )
        .forever(Step::status(500)),
    );
    let run = w.run(&w.onboard_args(&["--yes", "--output", "json"]));
    assert_eq!(run.code, 1, "{}", run.shown());
    let doc = json(&run);
    assert_eq!(
        outcomes(&doc),
        [
            ("service-principal".into(), "created".into()),
            ("vault".into(), "created".into()),
            ("key-access".into(), "created".into()),
            ("key".into(), "created".into()),
        ]
    );
    assert_eq!(doc["writes"], 4);
    assert_eq!(doc["error"]["exitCode"], 1);
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("roleAssignments"),
        "{doc:#}"
    );
    assert!(!w.handoff_path().exists());

    w.sim.faults().remove(rule);
    let mark = w.sim.log().mark();
    let again = w.run(&w.onboard_args(&["--yes"]));
    assert_eq!(again.code, 0, "{}", again.shown());
    let writes: Vec<String> = w
        .sim
        .log()
        .since(mark)
        .iter()
        .filter(|e| e.is_effective_write())
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert_eq!(writes.len(), 1, "only the grant was left: {writes:#?}");
    assert!(writes[0].contains("/keys/cmk/providers/Microsoft.Authorization/roleAssignments/"));
}

#[test]
fn a_failure_after_writes_in_text_lists_them_and_says_a_rerun_finishes() {
    let w = World::new();
    w.sim.faults().add(
        FaultRule::on(
            "PUT",
            "/subscriptions/*/resourceGroups/*/providers/Microsoft.KeyVault/vaults/*/keys/*/providers/Microsoft.Authorization/roleAssignments/*",
        )
        .forever(Step::status(500)),
    );
    let text = w.run(&w.onboard_args(&["--yes"]));
    assert_eq!(text.code, 1, "{}", text.shown());
    assert!(
        text.stdout.contains("key                created"),
        "{}",
        text.shown()
    );
    assert!(
        text.stderr.contains(
            "note: 4 change(s) were made before this error (the steps above); re-running the same command finishes the rest"
        ),
        "{}",
        text.shown()
    );
}

#[test]
fn status_after_revoke_exits_3_and_json_says_which_link_broke() {
    let w = World::new();
    assert_eq!(w.run(&w.onboard_args(&["--yes"])).code, 0);
    let handoff = w.handoff_path().display().to_string();
    let revoke = w.run(&[
        "revoke".into(),
        "--handoff".into(),
        handoff.clone(),
        "--yes".into(),
    ]);
    assert_eq!(revoke.code, 0, "{}", revoke.shown());
    let status = w.run(&[
        "status".into(),
        "--handoff".into(),
        handoff,
        "--output".into(),
        "json".into(),
    ]);
    assert_eq!(status.code, 3, "{}", status.shown());
    let doc = json(&status);
    assert_eq!(doc["ok"], false);
    let failed: Vec<&str> = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "fail")
        .map(|c| c["item"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["grant"]);
}

#[test]
fn a_check_the_caller_may_not_make_is_unknown_with_the_role_it_needs() {
    let w = World::new();
    assert_eq!(w.run(&w.onboard_args(&["--yes"])).code, 0);
    // nico is Owner of the subscription but holds no Key Vault data-plane role: he cannot read
    // the key, so that check is unknown, and the command still succeeds.
    let handoff = w.handoff_path().display().to_string();
    let status = w.run_as(
        CUSTOMER_USER,
        &["status".into(), "--handoff".into(), handoff],
    );
    assert_eq!(status.code, 0, "{}", status.shown());
    let key = status
        .stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("key"))
        .unwrap_or_else(|| panic!("{}", status.shown()));
    assert!(
        key.trim_start().starts_with("unknown"),
        "{}",
        status.shown()
    );
    assert!(key.contains("Key Vault Reader"), "{key}");
    assert!(!status.stdout.contains("FAIL"), "{}", status.shown());
}

#[test]
fn ctrl_c_while_waiting_prints_one_line_and_exits_130() {
    let w = World::new();
    let mut args = w.onboard_args(&["--yes", "--via", "consent"]);
    let at = args.iter().position(|a| a == "--app-id").unwrap();
    args[at + 1] = APP_ID.into();
    // Real waits (not recorded ones), so the run is still waiting when the signal comes.
    let mut env = w.sim.env_as_user(CUSTOMER, CUSTOMER_USER);
    env.push(("XTCMK_RETRY_TIME_SCALE".into(), "1".into()));
    let mut child = Command::new(BIN)
        .args(&args)
        .current_dir(w.dir.path())
        .env_remove("XTCMK_OUTPUT")
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("the run ended before it waited:\n{seen}");
        }
        seen.push_str(&line);
        if line.contains("waiting") {
            break;
        }
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(out.status.code(), Some(130), "{seen}{rest}");
    let error: Vec<&str> = rest.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error.len(), 1, "{rest}");
    assert!(
        error[0].contains("interrupted while the service principal step")
            && error[0].contains("may be in flight"),
        "{rest}"
    );
    assert!(rest.contains("hint: re-run the same command"), "{rest}");
}
