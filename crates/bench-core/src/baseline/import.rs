//! `import`: a baseline file → criterion's directory and the results tree, plus the marker that
//! remembers which machine measured it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::staged::Staged;
use super::{BaselineError, Fingerprint, relative_path};
use crate::criterion_output::CriterionDir;
use crate::results::{ResultsDir, ResultsError, write_json_atomic};

/// Version of the marker file format.
const MARKER_VERSION: u32 = 1;

/// `<criterion root>/.noisegate/baselines/<name>.fingerprint.json`: where an imported baseline
/// came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Marker {
    pub schema_version: u32,
    pub baseline: String,
    /// The baseline file imported.
    pub source: String,
    /// RFC 3339 UTC.
    pub imported: String,
    pub fingerprint: Fingerprint,
    pub git_commit: Option<String>,
}

/// What [`import`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSummary {
    /// The baseline name written (the file's, or the `as_name` given).
    pub name: String,
    /// The baseline file read.
    pub file: PathBuf,
    /// The criterion output directory written to.
    pub criterion_root: PathBuf,
    /// Benchmarks written.
    pub benchmarks: usize,
    /// noisegate results (`metrics.json`) written.
    pub metrics: usize,
    /// The machine that measured the baseline.
    pub fingerprint: Fingerprint,
    /// How that machine differs from this one (empty: same kind of machine).
    pub differences: Vec<String>,
    /// Benchmarks that already had this baseline locally but are not in the file; left as they
    /// were, so the baseline now mixes both sources for them.
    pub kept_local: Vec<String>,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "imported baseline `{}` from {} into {}: {} benchmarks, {} noisegate results",
            self.name,
            self.file.display(),
            self.criterion_root.display(),
            self.benchmarks,
            self.metrics
        )?;
        if !self.differences.is_empty() {
            write!(f, "\nwarning: measured on another machine: {}", self.differences.join("; "))?;
        }
        if !self.kept_local.is_empty() {
            write!(
                f,
                "\nnote: {} local benchmarks with baseline `{}` are not in the file and were kept: {}",
                self.kept_local.len(),
                self.name,
                self.kept_local.join(", ")
            )?;
        }
        Ok(())
    }
}

/// Writes baseline `file` into criterion's directory (one `<bench dir>/<name>/` per benchmark,
/// each file atomically, in criterion's own encoding) and its results into `results`, then
/// records the fingerprint it came from. `as_name` imports it under another name.
///
/// The whole file is loaded and checked before anything is written. Benchmarks that already
/// have the baseline locally but are not in the file are left alone and listed in the summary.
pub fn import(
    file: &Path,
    criterion: &CriterionDir,
    results: &ResultsDir,
    as_name: Option<&str>,
) -> Result<ImportSummary, BaselineError> {
    let baseline = super::load(file)?;
    let name = as_name.unwrap_or(&baseline.name).to_owned();
    super::validate_name(&name)?;

    let stored: std::collections::BTreeSet<&str> = baseline.benchmark_ids().into_iter().collect();
    let kept_local = match criterion.read_baseline_files(&name) {
        Ok(local) => {
            local.into_iter().map(|(_, f)| f.benchmark.full_id).filter(|id| !stored.contains(id.as_str())).collect()
        }
        // Nothing usable locally means nothing is kept.
        Err(_) => Vec::new(),
    };

    // Every file is written before any is replaced: a failure part-way changes nothing.
    let mut staged = Staged::default();
    for b in &baseline.benchmarks {
        let dir = criterion.root().join(relative_path(&b.dir)).join(&name);
        stage_compact(&mut staged, &dir.join("benchmark.json"), &b.benchmark)?;
        stage_compact(&mut staged, &dir.join("estimates.json"), &b.estimates)?;
        if let Some(tukey) = &b.tukey {
            stage_compact(&mut staged, &dir.join("tukey.json"), tukey)?;
        }
        stage_compact(&mut staged, &dir.join("sample.json"), &b.sample)?;
    }
    for m in &baseline.metrics {
        let path = results.root().join(relative_path(&m.dir)).join(&name).join("metrics.json");
        let mut bytes = serde_json::to_vec_pretty(&m.metrics).map_err(|source| BaselineError::Write {
            path: path.clone(),
            source: ResultsError::Json { path: path.clone(), source },
        })?;
        bytes.push(b'\n');
        staged.stage(&path, &bytes).map_err(|source| BaselineError::Write { path: path.clone(), source })?;
    }
    staged.commit().map_err(|source| BaselineError::Write { path: criterion.root().into(), source })?;

    // Written last: its mtime separates imported files from later local runs.
    let marker = Marker {
        schema_version: MARKER_VERSION,
        baseline: name.clone(),
        source: file.display().to_string(),
        imported: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        fingerprint: baseline.fingerprint.clone(),
        git_commit: baseline.git_commit.clone(),
    };
    let path = marker_path(criterion, &name);
    write_json_atomic(&path, &marker).map_err(|source| BaselineError::Write { path: path.clone(), source })?;

    Ok(ImportSummary {
        differences: baseline.fingerprint.differences(&Fingerprint::detect()),
        name,
        file: file.into(),
        criterion_root: criterion.root().into(),
        benchmarks: baseline.benchmarks.len(),
        metrics: baseline.metrics.len(),
        fingerprint: baseline.fingerprint,
        kept_local,
    })
}

/// The fingerprint of the machine that measured criterion baseline `name`, if it was imported
/// from a baseline file; `None` means it was measured here.
///
/// Once every benchmark of the baseline has been re-measured locally (criterion rewrote each
/// `sample.json` after the import) the baseline is local again and this returns `None`. If only
/// some were, the imported fingerprint is still returned, so comparisons keep warning.
pub fn fingerprint_of(criterion: &CriterionDir, name: &str) -> Option<Fingerprint> {
    marker(criterion, name).map(|m| m.fingerprint)
}

/// The import marker of `name`, if present, readable and not superseded by local runs.
pub(crate) fn marker(criterion: &CriterionDir, name: &str) -> Option<Marker> {
    let path = marker_path(criterion, name);
    let marker: Marker = crate::results::read_json(&path).ok()?;
    let imported_at = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
    let sampled: Vec<SystemTime> = match criterion.read_baseline_files(name) {
        Ok(files) => files.into_iter().map(|(_, f)| f.modified).collect(),
        Err(_) => Vec::new(),
    };
    let all_remeasured = !sampled.is_empty() && sampled.iter().all(|t| *t > imported_at);
    (!all_remeasured).then_some(marker)
}

fn marker_path(criterion: &CriterionDir, name: &str) -> PathBuf {
    criterion
        .root()
        .join(crate::criterion_output::NOISEGATE_DIR)
        .join("baselines")
        .join(format!("{name}.fingerprint.json"))
}

/// Stages `value` for `path` as criterion writes it (`fs.rs`, `save`: compact
/// `serde_json::to_string`, no trailing newline).
fn stage_compact<T: Serialize>(staged: &mut Staged, path: &Path, value: &T) -> Result<(), BaselineError> {
    let write = |source| BaselineError::Write { path: path.into(), source };
    let bytes = serde_json::to_vec(value).map_err(|source| write(ResultsError::Json { path: path.into(), source }))?;
    staged.stage(path, &bytes).map_err(write)
}
