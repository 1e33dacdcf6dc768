//! `xtcmk-sim bench` runs end to end with two customers and no latency — phase 3 through this
//! package's binary in a process of its own — and writes the figures under the documented keys
//! (the figures themselves are measured in the README, not here).

mod common;

use serde_json::Value;

#[test]
fn bench_writes_its_figures_under_the_documented_keys() {
    let dir = tempfile::TempDir::new().unwrap();
    let out = dir.path().join("bench.json");
    let bins = std::path::Path::new(common::BIN).parent().unwrap();
    let run = std::process::Command::new(common::workspace_bin("xtcmk-sim"))
        .args(["bench", "--customers", "2", "--latency-ms", "0", "--out"])
        .arg(&out)
        .args(["--bin-dir"])
        .arg(bins)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let printed: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(written, printed);
    for key in [
        "wallSeconds",
        "lowerBoundSeconds",
        "ratio",
        "requestsPerCustomer",
        "writesPerCustomer",
        "peakMemoryMiB",
        "benchProcessPeakMemoryMiB",
        "throttled",
        "customers",
        "latencyMs",
        "concurrency",
        "onboard",
        "deploy",
        "machine",
        "binaries",
    ] {
        assert!(written.get(key).is_some(), "no {key} in {written:#}");
    }
    assert_eq!(written["customers"], 2);
    assert_eq!(written["accountsCreated"], 2);
    assert_eq!(written["failed"], 0);
    assert_eq!(written["batchRecords"], 2);
    for phase in ["onboard", "deploy"] {
        for key in [
            "wallSeconds",
            "lowerBoundSeconds",
            "requests",
            "writes",
            "byKind",
        ] {
            assert!(written[phase].get(key).is_some(), "no {phase}.{key}");
        }
    }
    // The batch ran as its own process: its memory and CPU are measured apart from the bench's.
    assert!(
        written["peakMemoryMiB"].as_f64().unwrap() > 0.0,
        "{written:#}"
    );
    assert!(
        written["deploy"]["cpuSeconds"].as_f64().is_some(),
        "{written:#}"
    );
    assert!(written["onboard"].get("waits").is_some(), "{written:#}");
    let started: Vec<&str> = written["binaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["command"].as_str().unwrap())
        .collect();
    assert!(started.contains(&"xtcmk-provider --help"), "{started:?}");
}
