//! `--batch` through the binary on a fleet of customers (each in its own tenant and
//! subscription, onboarded in-process): a folder and a manifest, the summary, JSON lines, a
//! second run that writes nothing, broken customers named with their cause while the others are
//! done, bad manifest rows refused before any write, and the progress bar on a terminal.

mod common;

use common::BIN;
use serde_json::Value;
use tempfile::TempDir;
use xtcmk_sim::Sim;
use xtcmk_sim::bin_run::{BinOutput, run_bin};
use xtcmk_sim::scenario::demo::*;
use xtcmk_sim::scenario::fleet::{self, Fleet, FleetCustomer};
use xtcmk_sim::snapshot::Filters;

struct World {
    sim: Sim,
    dir: TempDir,
}

impl World {
    /// `n` customers through phases 1 and 2.
    fn start(n: usize) -> World {
        let sim = Sim::start(fleet::scenario(n));
        let dir = TempDir::new().unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime
            .block_on(Fleet::new(&sim, dir.path()).prepare(n, 4))
            .expect("phases 1 and 2");
        World { sim, dir }
    }

    fn fleet(&self) -> Fleet<'_> {
        Fleet::new(&self.sim, self.dir.path())
    }

    fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> BinOutput {
        run_bin(
            BIN,
            self.dir.path(),
            args,
            &self.sim.env_as_user(PROVIDER, PROVIDER_ADMIN),
        )
    }

    /// The arguments of `cosmos deploy --batch PATH` with the fleet's identity, plus `extra`.
    fn deploy_args(&self, path: &str, extra: &[&str]) -> Vec<String> {
        let uami = self.fleet().uami_id().to_string();
        let mut args = vec![
            "cosmos",
            "deploy",
            "--batch",
            path,
            "--identity",
            &uami,
            "--subscription",
            PROVIDER_SUBSCRIPTION_ID,
            "--resource-group",
            PROVIDER_RESOURCE_GROUP,
            "--location",
            LOCATION,
        ];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect()
    }

    /// `cosmos deploy --batch PATH` with the fleet's identity, plus `extra`.
    fn deploy(&self, path: &str, extra: &[&str]) -> BinOutput {
        self.run(&self.deploy_args(path, extra))
    }

    fn writes_since(&self, mark: xtcmk_sim::harness::Mark) -> usize {
        self.sim
            .log()
            .since(mark)
            .iter()
            .filter(|e| e.is_effective_write() && e.status < 400)
            .count()
    }

    fn account(&self, name: &str) -> Option<Value> {
        let id = format!(
            "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.DocumentDB/databaseAccounts/{name}"
        );
        self.sim.state().resource(&id).map(|r| r.body.clone())
    }

    fn filters(&self) -> Filters {
        Filters::new().sim(&self.sim).dir(self.dir.path(), "[TMP]")
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).unwrap();
    }
}

fn lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn a_folder_of_handoffs_deploys_every_customer_and_a_second_run_writes_nothing() {
    let w = World::start(4);
    let mark = w.sim.log().mark();
    let run = w.deploy("handoffs", &[]);
    assert_eq!(run.code, 0, "{}", run.shown());
    for n in 1..=4 {
        let c = FleetCustomer::number(n);
        let stored = w.account(&c.name).expect("the account is created");
        let key = stored["properties"]["keyVaultKeyUri"].as_str().unwrap();
        assert!(key.contains(&c.vault), "{key}");
    }
    assert_eq!(w.writes_since(mark), 4, "one PUT per account");
    // What every customer shares is read once per run, not once per customer.
    let log = w.sim.log().since(mark);
    let reads = |fragment: &str| {
        log.iter()
            .filter(|e| e.method == "GET" && e.path.contains(fragment))
            .count()
    };
    assert_eq!(reads("userAssignedIdentities/"), 1);
    assert_eq!(reads("federatedIdentityCredentials"), 1);
    assert_eq!(reads("/v1.0/applications("), 1);
    let filters = w.filters();
    xtcmk_sim::assert_output_snapshot!(filters, "batch_folder_summary", &run.stdout);

    let mark = w.sim.log().mark();
    let again = w.deploy("handoffs", &["--output", "json"]);
    assert_eq!(again.code, 0, "{}", again.shown());
    assert_eq!(w.writes_since(mark), 0, "a second run writes nothing");
    let records = lines(&again.stdout);
    assert_eq!(records.len(), 5, "{}", again.stdout);
    for r in &records[..4] {
        assert_eq!(r["record"], "customer", "{r}");
        assert_eq!(r["state"], "adopted", "{r}");
        assert_eq!(r["writes"], 0, "{r}");
    }
    let mut customers: Vec<&str> = records[..4]
        .iter()
        .map(|r| r["customer"].as_str().unwrap())
        .collect();
    customers.sort();
    assert_eq!(
        customers,
        ["customer1", "customer2", "customer3", "customer4"]
    );
    let summary = &records[4];
    assert_eq!(summary["record"], "summary");
    assert_eq!(summary["total"], 4);
    assert_eq!(summary["adopted"], 4);
    assert_eq!(summary["writes"], 0);
}

#[test]
fn broken_customers_are_named_with_their_cause_and_the_others_are_done() {
    let w = World::start(5);
    // customer2: its handoff is not a handoff any more.
    std::fs::write(
        w.fleet().handoff_path(&FleetCustomer::number(2)),
        "{ not json",
    )
    .unwrap();
    // customer3: the vault is gone (deleted in the customer's tenant).
    {
        let c = FleetCustomer::number(3);
        let mut state = w.sim.state();
        let id = state.vault(&c.vault).unwrap().id.to_ascii_lowercase();
        state.resources.remove(&id);
    }
    // customer4: its handoff was made for MongoDB Atlas.
    {
        let path = w.fleet().handoff_path(&FleetCustomer::number(4));
        let mut doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        doc["target"] = "atlas".into();
        std::fs::write(&path, doc.to_string()).unwrap();
    }
    w.write(
        "customers.csv",
        "customer,handoff,account,location\n\
         Customer One,handoffs/customer1.json,customer1-data,\n\
         Customer Two,handoffs/customer2.json,customer2-data,westeurope\n\
         Customer Three,handoffs/customer3.json,customer3-data,\n\
         Customer Four,handoffs/customer4.json,customer4-data,\n\
         Customer Five,handoffs/customer5.json,customer5-data,\"westeurope\"\n",
    );
    let run = w.deploy("customers.csv", &[]);
    assert_eq!(run.code, 1, "{}", run.shown());
    for name in ["customer1-data", "customer5-data"] {
        assert!(
            w.account(name).is_some(),
            "{name} is created: {}",
            run.shown()
        );
    }
    for name in ["customer2-data", "customer3-data", "customer4-data"] {
        assert!(w.account(name).is_none(), "{name} is not: {}", run.shown());
    }
    let filters = w.filters();
    xtcmk_sim::assert_output_snapshot!(filters, "batch_broken_customers", &run.shown());

    // Fixed customer 4, a second run finishes it and writes nothing for the done ones.
    {
        let path = w.fleet().handoff_path(&FleetCustomer::number(4));
        let mut doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        doc["target"] = "cosmos".into();
        std::fs::write(&path, doc.to_string()).unwrap();
    }
    let mark = w.sim.log().mark();
    let again = w.deploy("customers.csv", &["--output", "json"]);
    assert_eq!(again.code, 1, "{}", again.shown());
    assert_eq!(
        w.writes_since(mark),
        1,
        "only customer 4's account is written"
    );
    let records = lines(&again.stdout);
    let state = |customer: &str| {
        records
            .iter()
            .find(|r| r["customer"] == customer)
            .map(|r| r["state"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(state("Customer One"), "adopted");
    assert_eq!(state("Customer Four"), "done");
    assert_eq!(state("Customer Two"), "failed");
    assert_eq!(state("Customer Three"), "failed");
    let summary = records.last().unwrap();
    assert_eq!(summary["record"], "summary");
    assert_eq!(summary["failed"], 2);
    assert_eq!(summary["failures"][0]["customer"], "Customer Three");
}

#[test]
fn bad_manifest_rows_are_refused_before_any_write() {
    let w = World::start(2);
    w.write(
        "customers.json",
        r#"[
  {"customer": "one", "handoff": "handoffs/customer1.json", "account": "Customer_1"},
  {"customer": "two", "handoff": "handoffs/missing.json", "account": "customer2-data"},
  {"customer": "three", "handoff": "handoffs/customer2.json", "account": "customer3-data"},
  {"customer": "four", "handoff": "handoffs/customer2.json", "account": "customer3-data"},
  {"customer": "", "handoff": "handoffs/customer2.json", "account": "customer5-data"},
  {"customer": "six", "handoff": "handoffs/customer2.json", "acount": "customer6-data"},
  {"customer": "seven", "handoff": "handoffs/customer2.json", "account": "customer7-data", "location": "mars"}
]"#,
    );
    let mark = w.sim.log().mark();
    let run = w.deploy("customers.json", &[]);
    assert_eq!(run.code, 1, "{}", run.shown());
    assert_eq!(w.writes_since(mark), 0);
    // Checked before signing in: not one request, a token's included.
    let sent = w.sim.log().since(mark);
    assert!(sent.is_empty(), "{sent:#?}");
    assert!(w.account("customer2-data").is_none());
    let filters = w.filters();
    xtcmk_sim::assert_output_snapshot!(filters, "batch_bad_rows", &run.stderr);

    let json = w.deploy("customers.json", &["--output", "json"]);
    assert_eq!(json.code, 1, "{}", json.shown());
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "InvalidInput", "{doc}");
    assert_eq!(doc["error"]["field"], "--batch", "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("row 4 account `customer3-data`: another row has the same account"),
        "{doc}"
    );
}

#[test]
fn a_dry_run_renders_each_plan_and_doctor_and_status_check_every_customer() {
    let w = World::start(3);
    w.write(
        "customers.jsonl",
        "{\"customer\": \"c1\", \"handoff\": \"handoffs/customer1.json\", \"account\": \"c1-data\"}\n\
         {\"customer\": \"c2\", \"handoff\": \"handoffs/customer2.json\", \"account\": \"c2-data\"}\n\
         {\"customer\": \"c3\", \"handoff\": \"handoffs/customer3.json\", \"account\": \"c3-data\"}\n",
    );
    let mark = w.sim.log().mark();
    let dry = w.deploy("customers.jsonl", &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.shown());
    assert_eq!(w.writes_since(mark), 0);
    for c in ["c1", "c2", "c3"] {
        assert!(
            dry.stdout.contains(&format!("{c} (account {c}-data):")),
            "{}",
            dry.shown()
        );
    }
    assert_eq!(
        dry.stdout.matches("would-create").count(),
        3,
        "{}",
        dry.shown()
    );

    let run = w.deploy("customers.jsonl", &["-v"]);
    assert_eq!(run.code, 0, "{}", run.shown());
    assert_eq!(run.stdout.matches("done ").count(), 3, "{}", run.shown());

    let uami = w.fleet().uami_id().to_string();
    let doctor = w.run(&[
        "doctor",
        "--batch",
        "customers.jsonl",
        "--identity",
        &uami,
        "--output",
        "json",
    ]);
    assert_eq!(doctor.code, 0, "{}", doctor.shown());
    let records = lines(&doctor.stdout);
    assert_eq!(records.len(), 4);
    assert!(
        records[..3].iter().all(|r| r["state"] == "intact"),
        "{}",
        doctor.stdout
    );

    // Customer c2's key is disabled: status says which account, with the account's words.
    {
        let mut state = w.sim.state();
        let keys = state.keys.get_mut("kv-customer2").unwrap();
        for v in keys.get_mut("cmk").unwrap().versions.iter_mut() {
            v.enabled = false;
        }
    }
    let status = w.run(&[
        "cosmos",
        "status",
        "--batch",
        "customers.jsonl",
        "--subscription",
        PROVIDER_SUBSCRIPTION_ID,
        "--resource-group",
        PROVIDER_RESOURCE_GROUP,
    ]);
    assert_eq!(status.code, 3, "{}", status.shown());
    assert!(
        status.stdout.contains("3 customer(s): 2 intact, 1 broken"),
        "{}",
        status.shown()
    );
    assert!(
        status.stdout.contains("broken  c2 (account c2-data)"),
        "{}",
        status.shown()
    );
    let doctor = w.run(&["doctor", "--batch", "customers.jsonl", "--identity", &uami]);
    assert_eq!(doctor.code, 3, "{}", doctor.shown());
}

#[test]
fn batch_flags_are_checked_as_usage() {
    let w = World::start(1);
    let uami = w.fleet().uami_id().to_string();
    let both = w.run(&[
        "cosmos",
        "deploy",
        "--batch",
        "handoffs",
        "--handoff",
        "x.json",
        "--identity",
        &uami,
        "-g",
        PROVIDER_RESOURCE_GROUP,
        "--location",
        LOCATION,
    ]);
    assert_eq!(both.code, 2, "{}", both.shown());
    let zero = w.deploy("handoffs", &["--concurrency", "0"]);
    assert_eq!(zero.code, 2, "{}", zero.shown());
    let missing = w.deploy("nowhere", &[]);
    assert_eq!(missing.code, 1, "{}", missing.shown());
    assert!(missing.stderr.contains("--batch"), "{}", missing.shown());
}

/// The acceptance run: 200 customers' handoffs in one batch against ARM's and Graph's throttling
/// (small buckets, in virtual time, so the waits take no real time), with pacing that assumes
/// Azure's faster refill and so meets 429s: every account is created, and a second run writes
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_handoffs_under_throttling_all_done_then_a_second_run_writes_nothing() {
    use std::sync::Arc;
    use xtcmk::ops::batch::{self, BatchReporter, ItemOutcome, Needs, Source, items};
    use xtcmk::report::Event;
    use xtcmk_sim::throttle::{ArmLimits, BucketLimit, ThrottleOptions};
    use xtcmk_sim::virtual_time::VirtualTime;

    const N: usize = 200;
    struct Silent;
    impl BatchReporter for Silent {
        fn begin(&self, _: u64) {}
        fn event(&self, _: &str, _: Event) {}
        fn finished(&self, _: &ItemOutcome) {}
    }

    let time = VirtualTime::new();
    let sim = Sim::start_with(
        Some(fleet::scenario(N)),
        xtcmk_sim::SimOptions {
            clock: Some(time.clone()),
            ..xtcmk_sim::SimOptions::default()
        },
    )
    .unwrap();
    let dir = TempDir::new().unwrap();
    let fleet = Fleet::new(&sim, dir.path());
    fleet.prepare(N, 16).await.expect("phases 1 and 2");
    // Throttling on for phase 3: every customer's account is in the provider's subscription.
    let reads = BucketLimit::new(40, 12.0);
    let writes = BucketLimit::new(20, 4.0);
    sim.throttle().set(ThrottleOptions {
        arm: Some(ArmLimits {
            reads,
            writes,
            deletes: writes,
        }),
        graph: Some(BucketLimit::new(20, 5.0)),
    });
    let stack = sim
        .stack_builder_as_user(PROVIDER, PROVIDER_ADMIN)
        .sleeper(time.clone())
        .build()
        .unwrap();
    let ctx = xtcmk::Ctx::new(
        stack,
        PROVIDER_TENANT_ID.parse().unwrap(),
        Arc::new(xtcmk::report::NullReporter),
    )
    .unwrap();
    let shared = Arc::new(items::DeployShared {
        identity: fleet.uami_id(),
        app_id: None,
        subscription: PROVIDER_SUBSCRIPTION_ID.parse().unwrap(),
        resource_group: PROVIDER_RESOURCE_GROUP.into(),
        exchange: false,
        dry_run: false,
        yes: false,
    });
    let source = Source::Folder(fleet.handoffs.clone());
    let needs = Needs {
        handoff: true,
        account: true,
        location: true,
        default_location: Some(xtcmk::Location::parse_field("--location", LOCATION).unwrap()),
        project: false,
    };
    let checked = batch::check(&source, &needs, sim.cloud()).await.unwrap();
    assert_eq!(checked.total(), N as u64);
    let run = || {
        let ctx = ctx.clone();
        let shared = shared.clone();
        let time = time.clone();
        batch::run(
            &source,
            needs.clone(),
            sim.cloud(),
            checked,
            32,
            Arc::new(Silent),
            move |row, reporter| {
                time.run(items::deploy(ctx.clone(), shared.clone(), row, reporter))
            },
        )
    };

    let mark = sim.log().mark();
    let started = xtcmk::http::Sleeper::now(&*time);
    let summary = run().await.unwrap();
    let elapsed = xtcmk::http::Sleeper::now(&*time) - started;
    assert_eq!(
        (summary.done, summary.failed, summary.broken),
        (N as u64, 0, 0),
        "{summary:#?}"
    );
    let log = sim.log().since(mark);
    let throttled = log.iter().filter(|e| e.status == 429).count();
    assert!(
        throttled > 0,
        "the simulator answered no 429: throttling did not engage"
    );
    let writes_made = log
        .iter()
        .filter(|e| e.is_effective_write() && e.status < 400)
        .count();
    assert_eq!(writes_made, N, "one PUT per account");
    // The subscription's read bucket bounds the run: it cannot end before it refilled enough.
    let arm_reads = log
        .iter()
        .filter(|e| e.status != 429 && e.method == "GET" && e.path.starts_with("/subscriptions/"))
        .count() as f64;
    let bound = (arm_reads - f64::from(reads.capacity)) / reads.refill_per_second;
    assert!(
        elapsed.as_secs_f64() >= bound * 0.95,
        "{elapsed:?} < {bound}s"
    );
    for n in 1..=N {
        let name = FleetCustomer::number(n).name;
        let id = format!(
            "/subscriptions/{PROVIDER_SUBSCRIPTION_ID}/resourceGroups/{PROVIDER_RESOURCE_GROUP}/providers/Microsoft.DocumentDB/databaseAccounts/{name}"
        );
        assert!(
            sim.state().resource(&id).is_some(),
            "{name} has its account"
        );
    }

    let mark = sim.log().mark();
    let again = run().await.unwrap();
    assert_eq!((again.adopted, again.failed), (N as u64, 0), "{again:#?}");
    let writes_again = sim
        .log()
        .since(mark)
        .iter()
        .filter(|e| e.is_effective_write())
        .count();
    assert_eq!(writes_again, 0, "a second run writes nothing");
    println!(
        "{N} accounts under throttling: {throttled} answers 429, {elapsed:?} of virtual time (bound {bound:.1}s)"
    );
}

#[test]
fn on_a_terminal_the_batch_draws_one_progress_bar_then_clears_it_for_the_summary() {
    let w = World::start(3);
    let args = w.deploy_args("handoffs", &[]);
    let env = w.sim.env_as_user(PROVIDER, PROVIDER_ADMIN);
    let Some((code, screen)) =
        xtcmk_sim::bin_run::on_a_terminal(BIN, w.dir.path(), &args, &env, "")
    else {
        return;
    };
    assert_eq!(code, 0, "{screen}");
    // The bar counts customers against the total the check found…
    assert!(screen.contains("/3 customers"), "{screen:?}");
    // …is redrawn in place (carriage returns), not printed a line per customer…
    let bar_lines = screen
        .split('\n')
        .filter(|l| l.contains("customers, eta"))
        .count();
    assert_eq!(bar_lines, 1, "{screen:?}");
    assert!(
        !screen.lines().any(|l| l.trim_start().starts_with("done ")),
        "per-customer lines only with -v: {screen:?}"
    );
    // …and is gone when the summary is written.
    let summary = screen.rfind("3 done").expect("the summary");
    let last_bar = screen.rfind("customers, eta").expect("the bar");
    assert!(last_bar < summary, "{screen:?}");
}
