//! One transient failure on a POST that changes nothing does not abort a run: the token
//! endpoint (a 503, then a dropped connection) is retried like a read.

mod common;

use common::BIN;
use tempfile::TempDir;
use xtcmk_sim::faults::{FaultRule, Step};
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::service::Service;
use xtcmk_sim::{Scenario, Sim};

#[test]
fn a_503_and_a_dropped_connection_on_the_token_endpoint_are_ridden_out() {
    let sim = Sim::start(Scenario::demo());
    let dir = TempDir::new().unwrap();
    let rule = sim.faults().add(
        FaultRule::on("POST", "/*/oauth2/v2.0/token")
            .in_service(Service::Login)
            .sequence([Step::status(503), Step::drop_connection()]),
    );
    let run = xtcmk_sim::bin_run::run_bin(
        BIN,
        dir.path(),
        &["identities", "--app-id", CI_APP_ID],
        &sim.env_as_app(PROVIDER, CI_APP_ID, CI_SECRET),
    );
    assert_eq!(run.code, 0, "{}", run.shown());
    assert_eq!(
        sim.faults().hits(rule),
        2,
        "both faults were met, and retried"
    );
    let tokens = sim.log().matching("POST", "/*/oauth2/v2.0/token");
    assert!(tokens.len() >= 3, "{tokens:#?}");
}
