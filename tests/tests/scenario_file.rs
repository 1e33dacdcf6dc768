//! `tests/scenarios/demo.json` is the built-in demo scenario, field for field.

use xtcmk_sim::Scenario;

#[test]
fn the_demo_file_is_the_built_in_demo() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/demo.json");
    if std::env::var_os("XTCMK_SIM_WRITE_DEMO").is_some() {
        let text = serde_json::to_string_pretty(&Scenario::demo()).unwrap() + "\n";
        std::fs::write(&path, text).unwrap();
    }
    let loaded = Scenario::load(&path).unwrap();
    assert_eq!(loaded, Scenario::demo());
}
