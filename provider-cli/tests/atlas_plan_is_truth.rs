//! The plan is the truth for the Atlas commands: for each case, the outcomes a `--dry-run`
//! predicts are the outcomes the real run that follows reports, step for step, and the dry run
//! writes nothing (in Atlas, Graph or ARM).

mod atlas_common;

use atlas_common::*;

fn realized(outcome: &str) -> &str {
    match outcome {
        "would-create" => "created",
        "would-update" => "updated",
        "would-remove" => "removed",
        other => other,
    }
}

struct Case {
    name: &'static str,
    before: fn(&World),
    args: fn(&World) -> Vec<String>,
}

fn nothing(_: &World) {}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn enabled(w: &World) {
    let h = w.handoff(Way::Secret);
    assert_eq!(
        w.run(&[
            "enable",
            "--handoff",
            h.to_str().unwrap(),
            "--group-id",
            GROUP
        ])
        .code,
        0
    );
}

fn enabled_private(w: &World) {
    let h = w.handoff(Way::Secret);
    let out = w.run(&[
        "enable",
        "--handoff",
        h.to_str().unwrap(),
        "--group-id",
        GROUP,
        "--private-networking",
    ]);
    assert_eq!(out.code, 0, "{}", out.shown());
}

fn with_endpoint(w: &World) {
    enabled_private(w);
    assert_eq!(
        w.run(&[
            "private-endpoint",
            "add",
            "--group-id",
            GROUP,
            "--region",
            "westeurope"
        ])
        .code,
        0
    );
}

fn registered(w: &World) {
    let h = w.handoff(Way::Role);
    assert_eq!(
        w.run(&[
            "register-access",
            "--handoff",
            h.to_str().unwrap(),
            "--group-id",
            GROUP
        ])
        .code,
        0
    );
}

fn enable_secret(w: &World) -> Vec<String> {
    let h = w.handoff(Way::Secret);
    strings(&[
        "enable",
        "--handoff",
        h.to_str().unwrap(),
        "--group-id",
        GROUP,
    ])
}

fn enable_role(w: &World) -> Vec<String> {
    let h = w.handoff(Way::Role);
    strings(&[
        "enable",
        "--handoff",
        h.to_str().unwrap(),
        "--group-id",
        GROUP,
    ])
}

fn register(w: &World) -> Vec<String> {
    let h = w.handoff(Way::Role);
    strings(&[
        "register-access",
        "--handoff",
        h.to_str().unwrap(),
        "--group-id",
        GROUP,
    ])
}

fn rotate_key(w: &World) -> Vec<String> {
    let next = w.world.new_key_version(&w.sim);
    let h = w.handoff_with(Way::Secret, &next);
    strings(&[
        "rotate-key",
        "--group-id",
        GROUP,
        "--handoff",
        h.to_str().unwrap(),
    ])
}

#[test]
fn every_dry_run_predicts_the_real_run() {
    let cases = [
        Case {
            name: "enable, secret mode, fresh",
            before: nothing,
            args: enable_secret,
        },
        Case {
            name: "enable, secret mode, again",
            before: enabled,
            args: enable_secret,
        },
        Case {
            name: "register-access, fresh",
            before: nothing,
            args: register,
        },
        Case {
            name: "register-access, again",
            before: registered,
            args: register,
        },
        Case {
            name: "enable, role mode",
            before: registered,
            args: enable_role,
        },
        Case {
            name: "private-endpoint add",
            before: enabled_private,
            args: |_| {
                strings(&[
                    "private-endpoint",
                    "add",
                    "--group-id",
                    GROUP,
                    "--region",
                    "westeurope",
                    "--region",
                    "uksouth",
                ])
            },
        },
        Case {
            name: "private-endpoint remove",
            before: with_endpoint,
            args: |_| strings(&["private-endpoint", "remove", "--group-id", GROUP, "--all"]),
        },
        Case {
            name: "rotate-key",
            before: enabled,
            args: rotate_key,
        },
        Case {
            name: "rotate-secret",
            before: enabled,
            args: |_| strings(&["rotate-secret", "--group-id", GROUP]),
        },
        Case {
            name: "disable",
            before: enabled,
            args: |_| strings(&["disable", "--group-id", GROUP]),
        },
        Case {
            name: "disable, already off",
            before: nothing,
            args: |_| strings(&["disable", "--group-id", GROUP]),
        },
    ];
    for case in cases {
        let w = World::start();
        (case.before)(&w);
        let args = (case.args)(&w);
        let mut dry: Vec<&str> = args.iter().map(String::as_str).collect();
        dry.push("--dry-run");
        let mark = w.sim.log().mark();
        let (out, planned) = w.json(&dry);
        assert_eq!(out.code, 0, "{}: {}", case.name, out.shown());
        assert_eq!(planned["dryRun"], true, "{}", case.name);
        assert_eq!(
            w.writes_since(mark),
            Vec::<String>::new(),
            "{}: a dry run writes nothing",
            case.name
        );
        let real_args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (out, done) = w.json(&real_args);
        assert_eq!(out.code, 0, "{}: {}", case.name, out.shown());
        let predicted: Vec<(String, String)> = World::steps(&planned)
            .into_iter()
            .map(|(s, o)| (s, realized(&o).to_string()))
            .collect();
        assert_eq!(predicted, World::steps(&done), "{}", case.name);
        assert!(!predicted.is_empty(), "{}", case.name);
    }
}
