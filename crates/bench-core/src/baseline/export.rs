//! `export`: criterion baseline NAME (and results saved under NAME) → `<out_dir>/NAME.json`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{BaselineError, BaselineFile, Fingerprint, SCHEMA_VERSION, StoredBench, StoredMetrics, import};
use crate::criterion_output::{CriterionDir, CriterionError};
use crate::results::{ResultsDir, read_system_metrics, write_json_atomic};

/// Reads criterion baseline `name` and the noisegate results saved under `name`, and writes
/// them to `<out_dir>/<name>.json` atomically; returns that path.
///
/// Everything is read and checked first: on any error nothing is written and an existing file
/// is left as it was. Every benchmark needs `estimates.json` (criterion reads it when comparing).
/// A name that only noisegate results were saved under exports those alone.
/// The fingerprint is this machine's, unless the baseline was imported from another machine
/// and not re-measured since (then the original fingerprint travels on).
pub fn export(
    criterion: &CriterionDir,
    results: &ResultsDir,
    name: &str,
    out_dir: &Path,
) -> Result<PathBuf, BaselineError> {
    super::validate_name(name)?;
    let mut metrics = Vec::new();
    let mut found = Vec::new();
    find_metrics(results.root(), name, &mut found)?;
    for file in found {
        let metrics_of =
            read_system_metrics(&file).map_err(|source| BaselineError::Results { name: name.into(), source })?;
        let bench_dir = file.parent().and_then(Path::parent).unwrap_or(results.root());
        if let Some(dir) = super::relative_to(results.root(), bench_dir) {
            metrics.push(StoredMetrics { dir, metrics: metrics_of });
        }
    }

    let criterion_files = match criterion.read_baseline_files(name) {
        Ok(files) => files,
        // A baseline only scenario benches saved is still a baseline (the gate reads it so too).
        Err(CriterionError::UnknownBaseline { .. } | CriterionError::MissingRoot { .. }) if !metrics.is_empty() => {
            Vec::new()
        }
        Err(e) => return Err(e.into()),
    };
    let mut benchmarks = Vec::new();
    for (dir, files) in criterion_files {
        let bench_dir = dir.parent().unwrap_or(&dir);
        let rel = super::relative_to(criterion.root(), bench_dir)
            .ok_or_else(|| BaselineError::NotBelowRoot { dir: dir.clone(), root: criterion.root().into() })?;
        let estimates = files
            .estimates
            .ok_or_else(|| CriterionError::MissingFile { path: dir.join("estimates.json"), baseline: name.into() })?;
        benchmarks.push(StoredBench {
            dir: rel,
            benchmark: files.benchmark,
            estimates,
            sample: files.sample,
            tukey: files.tukey,
        });
    }

    let imported = import::marker(criterion, name);
    let (fingerprint, git_commit) = match imported {
        Some(m) => (m.fingerprint, m.git_commit),
        None => (Fingerprint::detect(), git_head()),
    };
    let file = BaselineFile {
        schema_version: SCHEMA_VERSION,
        name: name.into(),
        created: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        fingerprint,
        git_commit,
        benchmarks,
        metrics,
    };
    let path = out_dir.join(format!("{name}.json"));
    write_json_atomic(&path, &file).map_err(|source| BaselineError::Write { path: path.clone(), source })?;
    Ok(path)
}

/// Every `<…>/<name>/metrics.json` below `dir`, sorted. A missing results root means none.
fn find_metrics(dir: &Path, name: &str, out: &mut Vec<PathBuf>) -> Result<(), BaselineError> {
    let walk = |source| BaselineError::Walk { path: dir.into(), source };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(walk(source)),
    };
    for entry in entries {
        let entry = entry.map_err(walk)?;
        if !entry.file_type().map_err(walk)?.is_dir() {
            continue;
        }
        let path = entry.path();
        let file = path.join("metrics.json");
        if entry.file_name() == name && file.is_file() {
            out.push(file);
        }
        find_metrics(&path, name, out)?;
    }
    out.sort();
    Ok(())
}

/// The checked-out commit, as the run context records it.
fn git_head() -> Option<String> {
    crate::metrics::RunContext::detect(
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION"),
        Duration::ZERO,
        Duration::ZERO,
    )
    .git_commit
}
