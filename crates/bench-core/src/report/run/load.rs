//! Reading runs for the report: `metrics.json` files, the `timeline.json` beside each, and the
//! baseline run to compare with.

use std::path::{Path, PathBuf};

use super::{BaselineRun, ReportError, RunInput, ScenarioInput};
use crate::metrics::{TIMELINE_FILE, TIMELINE_SCHEMA, Timeline};
use crate::results::read_system_metrics;

/// File name of a run's metrics inside its results directory.
pub const METRICS_FILE: &str = "metrics.json";

/// Every `<…>/<baseline>/metrics.json` under `root`, sorted. A missing root yields nothing.
pub fn discover(root: &Path, baseline: &str) -> Result<Vec<PathBuf>, ReportError> {
    let mut out = Vec::new();
    if root.is_dir() {
        walk(root, baseline, &mut out)?;
    }
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, baseline: &str, out: &mut Vec<PathBuf>) -> Result<(), ReportError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ReportError::Walk { path: dir.into(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| ReportError::Walk { path: dir.into(), source })?;
        let path = entry.path();
        // Symlinks are not followed: a link back up the tree must not loop.
        let Ok(kind) = entry.file_type() else { continue };
        if !kind.is_dir() {
            continue;
        }
        let file = path.join(super::METRICS_FILE);
        if entry.file_name() == baseline && file.is_file() {
            out.push(file);
        } else {
            walk(&path, baseline, out)?;
        }
    }
    Ok(())
}

/// Reads a timeline file, checking its layout version before decoding the rest.
pub fn read_timeline(path: &Path) -> Result<Timeline, ReportError> {
    let bytes = std::fs::read(path).map_err(|source| ReportError::TimelineRead { path: path.into(), source })?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|source| ReportError::TimelineJson { path: path.into(), source })?;
    let found = value.get("schema_version").and_then(serde_json::Value::as_u64).unwrap_or(0);
    if found != u64::from(TIMELINE_SCHEMA) {
        return Err(ReportError::TimelineSchema { path: path.into(), found, supported: TIMELINE_SCHEMA });
    }
    serde_json::from_value(value).map_err(|source| ReportError::TimelineJson { path: path.into(), source })
}

/// Resolves an input path: a `metrics.json` file, or a directory holding one.
fn metrics_path(path: &Path) -> Result<PathBuf, ReportError> {
    if path.is_dir() {
        let file = path.join(super::METRICS_FILE);
        return if file.is_file() { Ok(file) } else { Err(ReportError::MissingMetrics { path: path.into() }) };
    }
    if path.exists() { Ok(path.into()) } else { Err(ReportError::MissingMetrics { path: path.into() }) }
}

/// Reads one run: `path` is a `metrics.json` or its directory; the `timeline.json` beside it is
/// read too when present.
pub fn load_run(path: &Path) -> Result<RunInput, ReportError> {
    let file = metrics_path(path)?;
    let metrics = read_system_metrics(&file)?;
    let dir = file.parent().unwrap_or(Path::new("."));
    let tl_path = dir.join(TIMELINE_FILE);
    let timeline = if tl_path.is_file() {
        let t = read_timeline(&tl_path)?;
        if t.name != metrics.name {
            return Err(ReportError::TimelineMismatch { path: tl_path, timeline: t.name, metrics: metrics.name });
        }
        Some(t)
    } else {
        None
    };
    let baseline = dir.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    Ok(RunInput { source: file, baseline, metrics, timeline })
}

/// Reads every path, each with its baseline run from `<run dir>/../<compare_to>/metrics.json`
/// when `compare_to` is given. With a comparison asked for and no baseline run anywhere, fails
/// with [`ReportError::NoBaseline`] (a misspelt name should not pass silently).
pub fn load_scenarios(paths: &[PathBuf], compare_to: Option<&str>) -> Result<Vec<ScenarioInput>, ReportError> {
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        let run = load_run(p)?;
        let compare = match compare_to {
            None => None,
            Some(name) => {
                let dir = run.source.parent().and_then(Path::parent).unwrap_or(Path::new("."));
                let path = dir.join(name).join(super::METRICS_FILE);
                let metrics = if path.is_file() { Some(read_system_metrics(&path)?) } else { None };
                Some(BaselineRun { name: name.to_owned(), path, metrics })
            }
        };
        out.push(ScenarioInput { run, compare });
    }
    if let Some(name) = compare_to
        && !out.is_empty()
        && out.iter().all(|s| s.compare.as_ref().is_none_or(|c| c.metrics.is_none()))
    {
        let example = out[0].compare.as_ref().map(|c| c.path.clone()).unwrap_or_default();
        return Err(ReportError::NoBaseline { baseline: name.to_owned(), example });
    }
    Ok(out)
}
