//! One snapshot policy for every test of the binaries' output: the same filters everywhere
//! (temp folders, the simulator's folder and port, known ids by name, key versions, times, other
//! GUIDs), applied in that order, and one place the snapshots live (`<crate>/tests/snapshots`).
//!
//! ```ignore
//! let filters = Filters::new().sim(&sim).dir(dir.path(), "[TMP]").known(APP_ID, "[APP_ID]");
//! xtcmk_sim::assert_output_snapshot!(filters, "onboard_fresh", &run.shown());
//! ```

use crate::Sim;
use crate::bin_run::{path_filters, regex_escape};
use std::path::Path;

/// The filters of one snapshot, built in the order they apply.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    paths: Vec<(String, String)>,
    known: Vec<(String, String)>,
}

impl Filters {
    pub fn new() -> Self {
        Self::default()
    }

    /// The simulator's folder as `[SIM]`.
    pub fn sim(self, sim: &Sim) -> Self {
        self.dir(sim.dir(), "[SIM]")
    }

    /// `dir` (as given and canonical) as `label`.
    pub fn dir(mut self, dir: &Path, label: &str) -> Self {
        self.paths.extend(path_filters(dir, label));
        self
    }

    /// A literal id shown by name (e.g. the app id as `[APP_ID]`) instead of `[GUID]`.
    pub fn known(mut self, literal: &str, label: &str) -> Self {
        self.known.push((regex_escape(literal), label.to_string()));
        self
    }

    /// `(regex, replacement)` pairs, in the order they apply.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut all = self.paths.clone();
        all.push((r"localhost:\d+".into(), "localhost:[PORT]".into()));
        all.extend(self.known.iter().cloned());
        all.push((r"\b[0-9a-f]{32}\b".into(), "[VERSION]".into()));
        all.push((
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z".into(),
            "[TIME]".into(),
        ));
        all.push((
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
                .into(),
            "[GUID]".into(),
        ));
        all
    }

    /// insta settings with these filters, the snapshots in `snapshots` and no module prefix.
    pub fn settings(&self, snapshots: &Path) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        for (regex, label) in self.pairs() {
            settings.add_filter(&regex, label);
        }
        settings.set_prepend_module_to_snapshot(false);
        settings.set_snapshot_path(snapshots);
        settings
    }
}

/// Asserts `text` against the snapshot `name` in the calling crate's `tests/snapshots`, through
/// [`Filters`].
#[macro_export]
macro_rules! assert_output_snapshot {
    ($filters:expr, $name:expr, $text:expr) => {{
        let dir = ::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
        let text: &str = $text;
        $filters
            .settings(&dir)
            .bind(|| ::insta::assert_snapshot!($name, text));
    }};
}
