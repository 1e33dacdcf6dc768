//! `--state FILE`: the state as JSON, written whole (temporary file + rename) after every write.

use super::State;
use anyhow::Context;
use std::path::Path;

pub fn load_file(path: &Path) -> anyhow::Result<State> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the state file {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "the state file {} is not a simulator state (delete it to start from the scenario)",
            path.display()
        )
    })
}

pub fn save_file(path: &Path, state: &State) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(state)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}
