//! What can go wrong reading criterion's output, each with the path and the fix.

use std::path::PathBuf;

/// criterion's output could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CriterionError {
    /// The criterion output directory does not exist.
    #[error(
        "criterion output directory {root} does not exist: run `cargo bench` first, or point noisegate at criterion's output with --criterion-dir (or CRITERION_HOME)"
    )]
    MissingRoot {
        /// The directory looked for.
        root: PathBuf,
    },
    /// No benchmark has a baseline of this name.
    #[error(
        "no benchmark under {root} has criterion baseline `{name}` (available: {}); create it with `cargo bench -- --save-baseline {name}`",
        list(.available)
    )]
    UnknownBaseline {
        /// The name asked for.
        name: String,
        /// The criterion output directory searched.
        root: PathBuf,
        /// Every baseline name present, sorted.
        available: Vec<String>,
    },
    /// A file a baseline directory must contain is absent.
    #[error("{path} is missing (an interrupted or partial criterion run?); {}", rerun(.baseline))]
    MissingFile {
        /// The absent file.
        path: PathBuf,
        /// The baseline it belongs to.
        baseline: String,
    },
    /// A file or directory exists but cannot be read.
    #[error("cannot read {path}: {source}; check that it is readable by this user")]
    Unreadable {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file is not valid JSON (truncated or overwritten).
    #[error("{path} is corrupt or truncated ({source}); {}", rerun(.baseline))]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The baseline it belongs to.
        baseline: String,
        /// The decoder's message, with line and column.
        source: serde_json::Error,
    },
    /// Two benchmark directories of one baseline carry the same `full_id`: their figures would
    /// be merged into one row.
    #[error(
        "benchmark `{id}` appears twice in baseline `{baseline}`: {} and {}; delete the stale directory (or run `cargo bench` afresh)",
        first.display(),
        second.display()
    )]
    DuplicateId {
        /// The benchmark id.
        id: String,
        /// The baseline name.
        baseline: String,
        /// The first directory.
        first: PathBuf,
        /// The second directory.
        second: PathBuf,
    },
    /// A file is valid JSON but not what criterion 0.3.3 – 0.8 writes.
    #[error("{path} is not in the format criterion 0.3.3 – 0.8 writes: {problem}; {}", rerun(.baseline))]
    Schema {
        /// The file.
        path: PathBuf,
        /// The baseline it belongs to.
        baseline: String,
        /// What is wrong, e.g. "`iters` has 10 entries but `times` has 9".
        problem: String,
    },
}

fn list(names: &[String]) -> String {
    if names.is_empty() { "none".into() } else { names.join(", ") }
}

/// How to rewrite a baseline: `new` is rewritten by every plain run.
pub(crate) fn rerun(baseline: &str) -> String {
    if baseline == "new" {
        "re-run `cargo bench` to rewrite it".into()
    } else {
        format!("re-run `cargo bench -- --save-baseline {baseline}` to rewrite it")
    }
}
