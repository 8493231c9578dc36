//! Committed baselines (`baselines/<NAME>.json`) and the machine fingerprint.
//!
//! A baseline file carries one criterion baseline (every benchmark saved with
//! `cargo bench -- --save-baseline NAME`) plus the noisegate results saved under the same name,
//! so a baseline measured on one machine can be committed and compared against elsewhere:
//!
//! ```text
//! {
//!   "schema_version": 1,
//!   "name": "main",
//!   "created": "2026-11-23T08:00:00Z",            RFC 3339 UTC, when exported
//!   "fingerprint": { "cpu_model": …, "logical_cpus": 2, "os": …, "arch": …, "rustc": … },
//!   "git_commit": "3bdf7fa…",                      HEAD when exported, if a git checkout
//!   "benchmarks": [ { "dir": "tp/bytes/1024",      criterion's directory, relative to its root
//!                     "benchmark": {…},            benchmark.json, field for field
//!                     "estimates": {…},            estimates.json
//!                     "sample": {…},               sample.json
//!                     "tukey": [ … ] }, … ],       tukey.json, when criterion wrote one
//!   "metrics": [ { "dir": "latency/…",             results directory, relative to its root
//!                  "metrics": { SystemMetrics } }, … ]
//! }
//! ```
//!
//! [`import`] writes criterion's files back exactly as criterion 0.8 writes them (compact JSON,
//! same field order), so `cargo bench -- --baseline NAME` compares against an imported baseline
//! as if it had been measured here, and records where it came from in
//! `<criterion root>/.noisegate/baselines/<NAME>.fingerprint.json` for [`fingerprint_of`].
//! Both directions are all-or-nothing where it matters: [`export`] reads and checks everything
//! before it writes one file atomically, so a failed export never replaces a good baseline;
//! [`import`] checks the whole file before writing anything.

mod export;
mod fingerprint;
mod import;
mod staged;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

pub use export::export;
pub use fingerprint::{Fingerprint, machine_warnings};
pub use import::{ImportSummary, fingerprint_of, import};

use crate::criterion_output::BenchRun;
use crate::criterion_output::schema::{BenchmarkFile, EstimatesFile, SampleFile, TukeyFile};
use crate::metrics::SystemMetrics;
use crate::results::ResultsError;

/// Version of the baseline file format this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// A baseline file (`baselines/<NAME>.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineFile {
    /// Format version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The criterion baseline name.
    pub name: String,
    /// When it was exported, RFC 3339 UTC.
    pub created: String,
    /// The machine and compiler that measured it.
    pub fingerprint: Fingerprint,
    /// `git rev-parse HEAD` when it was exported, if known.
    pub git_commit: Option<String>,
    /// criterion's files, one entry per benchmark (see [`BaselineFile::runs`]).
    pub(crate) benchmarks: Vec<StoredBench>,
    /// noisegate results saved under the same name.
    pub metrics: Vec<StoredMetrics>,
}

/// One benchmark's criterion files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredBench {
    /// The benchmark's directory below criterion's root, `/`-separated (`tp/bytes/1024`).
    pub dir: String,
    pub benchmark: BenchmarkFile,
    pub estimates: EstimatesFile,
    pub sample: SampleFile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tukey: Option<TukeyFile>,
}

/// One `metrics.json` saved under the baseline's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMetrics {
    /// The result's directory below the results root without the baseline segment,
    /// `/`-separated (`latency/request_response/50pct`).
    pub dir: String,
    /// The result (it carries its own `schema_version`).
    pub metrics: SystemMetrics,
}

impl BaselineFile {
    /// The criterion ids of the benchmarks stored, sorted.
    pub fn benchmark_ids(&self) -> Vec<&str> {
        self.benchmarks.iter().map(|b| b.benchmark.full_id.as_str()).collect()
    }

    /// The stored benchmarks as the gate reads them. `dir` is the baseline directory relative
    /// to a criterion root (`tp/bytes/1024/main`) and `modified` is the export time.
    pub fn runs(&self) -> Vec<BenchRun> {
        let modified = humantime::parse_rfc3339(&self.created).unwrap_or(SystemTime::UNIX_EPOCH);
        self.benchmarks
            .iter()
            .map(|b| {
                let files = crate::criterion_output::BaselineFiles {
                    benchmark: b.benchmark.clone(),
                    estimates: Some(b.estimates.clone()),
                    sample: b.sample.clone(),
                    tukey: b.tukey,
                    modified,
                };
                files.to_run(relative_path(&b.dir).join(&self.name))
            })
            .collect()
    }

    /// Everything [`import`] relies on, checked before anything is written.
    fn validate(&self, path: &Path) -> Result<(), BaselineError> {
        let invalid = |problem: String| BaselineError::Invalid { path: path.into(), problem };
        validate_name(&self.name).map_err(|e| invalid(e.to_string()))?;
        let mut dirs = std::collections::BTreeSet::new();
        for b in &self.benchmarks {
            check_relative(&b.dir).map_err(&invalid)?;
            if !dirs.insert(&b.dir) {
                return Err(invalid(format!("benchmark directory `{}` appears twice", b.dir)));
            }
            if let Some(problem) = b.sample.problem() {
                return Err(invalid(format!("benchmark `{}`: {problem}", b.benchmark.full_id)));
            }
        }
        for m in &self.metrics {
            check_relative(&m.dir).map_err(&invalid)?;
        }
        Ok(())
    }
}

/// A baseline could not be exported, imported or loaded.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The baseline name cannot be used as a criterion baseline directory.
    #[error("baseline name `{name}` cannot be used: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Why, and what to use instead.
        reason: String,
    },
    /// criterion's files could not be read.
    #[error(transparent)]
    Criterion(#[from] crate::criterion_output::CriterionError),
    /// A noisegate result saved under the baseline could not be read.
    #[error(
        "cannot read the noisegate results of baseline `{name}`: {source}; re-run the scenario benches with `cargo bench -- --save-baseline {name}`, or delete that file"
    )]
    Results {
        /// The baseline.
        name: String,
        /// What went wrong, with the path.
        source: ResultsError,
    },
    /// A directory of the results tree could not be listed.
    #[error("cannot list {path}: {source}; check that it is readable by this user")]
    Walk {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A benchmark's baseline directory sits directly in criterion's root, so the root given is
    /// one benchmark's directory rather than criterion's output root.
    #[error(
        "{dir} is directly below {root}, which must be criterion's output root (e.g. target/criterion), not one benchmark's directory; pass that root with --criterion-dir"
    )]
    NotBelowRoot {
        /// The baseline directory.
        dir: PathBuf,
        /// The criterion root given.
        root: PathBuf,
    },
    /// A file could not be written (nothing else was changed by that write).
    #[error("cannot write {path}: {source}; check that its directory can be created and written to")]
    Write {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: ResultsError,
    },
    /// The baseline file cannot be read.
    #[error(
        "cannot read baseline file {path}: {source}; baseline files are `baselines/NAME.json`, written by `noisegate baseline export NAME`"
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The baseline file is not valid JSON of the expected shape.
    #[error(
        "{path} is not a valid noisegate baseline file ({source}); restore it from version control or re-create it with `noisegate baseline export NAME`"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The decoder's message, with line and column.
        source: serde_json::Error,
    },
    /// The baseline file has another format version.
    #[error(
        "{path} has baseline schema_version {found}; this noisegate reads version {supported}: use the noisegate that wrote it, or re-export the baseline with this one"
    )]
    SchemaVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file (0 when absent).
        found: u64,
        /// The version this build reads.
        supported: u32,
    },
    /// The baseline file decodes but cannot be imported as it is.
    #[error("{path} is not a usable baseline file: {problem}; restore it from version control or re-export it")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// Reads and checks a baseline file.
pub fn load(file: &Path) -> Result<BaselineFile, BaselineError> {
    let bytes = std::fs::read(file).map_err(|source| BaselineError::Read { path: file.into(), source })?;
    let corrupt = |source| BaselineError::Corrupt { path: file.into(), source };
    // The version is checked first so a newer layout is reported as such, not as a decode error.
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(corrupt)?;
    let found = value.get("schema_version").and_then(serde_json::Value::as_u64).unwrap_or(0);
    if found != u64::from(SCHEMA_VERSION) {
        return Err(BaselineError::SchemaVersion { path: file.into(), found, supported: SCHEMA_VERSION });
    }
    drop(value);
    // Decoded again from the bytes so errors carry line and column.
    let baseline: BaselineFile = serde_json::from_slice(&bytes).map_err(corrupt)?;
    baseline.validate(file)?;
    Ok(baseline)
}

/// Checks that `name` can be a criterion baseline directory and a file name.
pub(crate) fn validate_name(name: &str) -> Result<(), BaselineError> {
    let reason = if name.is_empty() {
        Some("it is empty; give the name used with `cargo bench -- --save-baseline NAME`".to_owned())
    } else if name.contains(['/', '\\']) {
        Some(
            "it contains a path separator, but it names one directory per benchmark and the file `baselines/NAME.json`"
                .into(),
        )
    } else if name == "new" {
        Some("`new` is criterion's latest run, rewritten by every `cargo bench`; save the run under a name with `cargo bench -- --save-baseline NAME` and use that".into())
    } else if name == "change" || name == "report" {
        Some(format!(
            "criterion writes its own `{name}/` directory next to the baselines of every benchmark; pick another name"
        ))
    } else if name.starts_with('.') {
        Some("names starting with `.` are hidden files (and `.noisegate` is noisegate's own); pick another name".into())
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '=')) {
        Some("use only letters, digits and `-_.+=`, so the name is the same file name on every system".into())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(BaselineError::InvalidName { name: name.into(), reason }),
        None => Ok(()),
    }
}

/// A stored `/`-separated directory as a path, after [`check_relative`].
fn relative_path(dir: &str) -> PathBuf {
    dir.split('/').collect()
}

/// Rejects stored directories that could write outside the tree they belong to.
fn check_relative(dir: &str) -> Result<(), String> {
    let bad = |seg: &str| seg.is_empty() || seg == "." || seg == ".." || seg.contains(['\\', ':', '\0']);
    if dir.split('/').any(bad) { Err(format!("directory `{dir}` is not a plain relative path")) } else { Ok(()) }
}

/// `dir` below `root` as a `/`-separated string (None if it is not below `root`).
fn relative_to(root: &Path, dir: &Path) -> Option<String> {
    let rel = dir.strip_prefix(root).ok()?;
    let segs: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    (!segs.is_empty()).then(|| segs.join("/"))
}
