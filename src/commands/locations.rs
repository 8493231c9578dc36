//! Where a command reads and writes when no flag says: the current directory's cargo workspace,
//! never the location of the `noisegate` binary (an installed binary, or one built in another
//! project, would otherwise read that project's results and append to its history).
//!
//! Order, as criterion's own (`default_output_directory`): an explicit flag, then
//! `$CRITERION_HOME` / `$NOISEGATE_DIR`, then `$CARGO_TARGET_DIR`, then the target directory
//! `cargo metadata` reports for the workspace around the current directory, else `./target`.
//! Whatever was found is printed once on stderr.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bench_core::criterion_output::CriterionDir;
use bench_core::history::{HISTORY_ENV, HISTORY_FILE, History};
use bench_core::results::ResultsDir;

use super::benches;

/// The target directory of the cargo workspace around the current directory, if there is one.
fn workspace_target() -> Option<&'static Path> {
    static TARGET: OnceLock<Option<PathBuf>> = OnceLock::new();
    TARGET
        .get_or_init(|| {
            let cwd = std::env::current_dir().ok()?;
            let root = benches::workspace_root(&cwd).ok()?;
            benches::target_dir(&root).ok()
        })
        .as_deref()
}

fn env_dir(var: &str) -> Option<PathBuf> {
    std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// `$CARGO_TARGET_DIR`, else the workspace's target directory, else `target`.
fn target() -> PathBuf {
    env_dir("CARGO_TARGET_DIR")
        .or_else(|| workspace_target().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target"))
}

fn announce(what: &str, path: &Path) {
    eprintln!("noisegate: {what} {}", path.display());
}

/// criterion's output directory.
pub(crate) fn criterion_dir(explicit: Option<&Path>) -> CriterionDir {
    if let Some(p) = explicit.map(Path::to_path_buf).or_else(|| env_dir("CRITERION_HOME")) {
        return CriterionDir::at(p);
    }
    let dir = target().join("criterion");
    announce("reading criterion output from", &dir);
    CriterionDir::at(dir)
}

/// noisegate's results directory.
pub(crate) fn results_dir(explicit: Option<&Path>) -> ResultsDir {
    if let Some(p) = explicit.map(Path::to_path_buf).or_else(|| env_dir("NOISEGATE_DIR")) {
        return ResultsDir::at(p);
    }
    let dir = target().join("noisegate");
    announce("using results in", &dir);
    ResultsDir::at(dir)
}

/// The run history: `$NOISEGATE_HISTORY`, else `history.jsonl` in `results`.
pub(crate) fn history(results: &ResultsDir) -> History {
    match env_dir(HISTORY_ENV) {
        Some(p) => History::at(p),
        None => History::at(results.root().join(HISTORY_FILE)),
    }
}
