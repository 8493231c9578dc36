//! Gathering a side: criterion baselines and noisegate `SystemMetrics` saved under the same
//! names, turned into one [`Series`] per benchmark with one figure per name (round).
//!
//! Criterion figures are the median time per iteration over the run's samples (criterion's
//! own "median" estimate, recomputed from `sample.json`), in nanoseconds unless the group's unit
//! was declared (see [`declare_group_unit`](super::declare_group_unit)). Scenario results contribute the
//! metrics in [`GATED_METRICS`], each in its catalogue direction; their id is
//! `<scenario id>/<metric key>`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{Series, Unit};
use crate::criterion::{CriterionDir, CriterionError};
use crate::metrics::Metric;
use crate::results::{ResultsDir, ResultsError, read_system_metrics};

/// The scenario metrics the gate judges: rates, latency percentiles and memory, which are
/// positive whenever measured. Error rates (often exactly zero) are graded against targets
/// instead, since a ratio of zeros means nothing.
pub const GATED_METRICS: &[Metric] = &[
    Metric::RequestsPerSecond,
    Metric::OperationsPerSecond,
    Metric::MessagesPerSecond,
    Metric::LatencyP50Ms,
    Metric::LatencyP99Ms,
    Metric::LatencyP999Ms,
    Metric::MemoryPeakMb,
    Metric::AgentSpawnMs,
    Metric::MemoryPerAgentMb,
];

/// One side of a comparison, gathered.
#[derive(Debug, Clone, PartialEq)]
pub struct SideData {
    /// The baseline names read, in round order.
    pub names: Vec<String>,
    /// One series per benchmark.
    pub series: Vec<Series>,
    /// Criterion on-disk format generations seen (more than one = mixed criterion versions).
    pub formats: BTreeSet<String>,
    /// When each benchmark's newest figure on this side was written (file modification time).
    pub written: BTreeMap<String, SystemTime>,
}

/// A side could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// Reading criterion's files failed.
    #[error(transparent)]
    Criterion(#[from] CriterionError),
    /// Reading a scenario result failed.
    #[error(transparent)]
    Results(#[from] ResultsError),
    /// Two scenario results saved under one baseline name carry the same scenario name, so one
    /// round would count twice.
    #[error(
        "scenario `{scenario}` is saved twice under baseline `{baseline}`: {} and {}; give the scenarios distinct names (or delete the stale file)",
        first.display(),
        second.display()
    )]
    DuplicateScenario {
        /// The scenario name inside both files.
        scenario: String,
        /// The baseline name.
        baseline: String,
        /// The first file.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },
    /// A directory under the results root could not be listed.
    #[error("cannot list {path}: {source}")]
    Walk {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Reads every round of a side. `since` keeps only benchmarks whose results were written at or
/// after that time (the benchmarks a process just ran).
pub fn collect_side(
    criterion: &CriterionDir,
    results: &ResultsDir,
    names: &[String],
    since: Option<SystemTime>,
) -> Result<SideData, CollectError> {
    let mut by_id: BTreeMap<String, Series> = BTreeMap::new();
    let mut formats = BTreeSet::new();
    let mut written: BTreeMap<String, SystemTime> = BTreeMap::new();
    let mut note = |id: &str, t: SystemTime| {
        let w = written.entry(id.to_owned()).or_insert(t);
        *w = (*w).max(t);
    };
    let units = super::units::group_units(results)?;
    for (round, name) in names.iter().enumerate() {
        let metrics = scenario_metrics(results.root(), name, since)?;
        let runs = match criterion.read_baseline(name) {
            Ok(runs) => runs,
            // A name that only scenario targets saved is a valid side.
            Err(CriterionError::UnknownBaseline { .. } | CriterionError::MissingRoot { .. }) if !metrics.is_empty() => {
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        };
        for run in runs.into_iter().filter(|r| since.is_none_or(|t| r.modified >= t)) {
            formats.insert(run.format.to_string());
            note(&run.id, run.modified);
            by_id.entry(run.id.clone()).or_insert_with(|| {
                let unit = units.get(&run.group).cloned().unwrap_or(Unit::Nanoseconds);
                Series::lower_is_better(run.id.clone(), unit, Vec::new())
            });
            let s = by_id.get_mut(&run.id).expect("inserted above");
            s.rounds.push(run.typical);
            s.within.push(super::within_run_se(&run.per_iteration));
            s.round_of.push(round);
        }
        for (id, metric, value, modified) in metrics {
            note(&id, modified);
            by_id.entry(id.clone()).or_insert_with(|| Series {
                id: id.clone(),
                unit: Unit::Metric(metric.unit().to_owned()),
                direction: metric.direction(),
                rounds: Vec::new(),
                within: Vec::new(),
                round_of: Vec::new(),
            });
            let s = by_id.get_mut(&id).expect("inserted above");
            s.rounds.push(value);
            s.round_of.push(round);
        }
    }
    Ok(SideData { names: names.to_vec(), series: by_id.into_values().collect(), formats, written })
}

/// `(series id, metric, value, file modified)` for every gated metric of every `metrics.json`
/// saved under baseline `name` anywhere below `root`.
fn scenario_metrics(
    root: &Path,
    name: &str,
    since: Option<SystemTime>,
) -> Result<Vec<(String, Metric, f64, SystemTime)>, CollectError> {
    let mut files = Vec::new();
    find_metrics_files(root, name, &mut files)?;
    let modified = |f: &Path| std::fs::metadata(f).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
    if let Some(t) = since {
        files.retain(|f| modified(f) >= t);
    }
    let mut out = Vec::new();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files {
        let m = read_system_metrics(&file)?;
        if let Some(first) = seen.insert(m.name.clone(), file.clone()) {
            return Err(CollectError::DuplicateScenario {
                scenario: m.name.clone(),
                baseline: name.to_owned(),
                first,
                second: file,
            });
        }
        for &metric in GATED_METRICS {
            if let Some(v) = m.value(metric) {
                out.push((format!("{}/{}", m.name, metric.key()), metric, v, modified(&file)));
            }
        }
    }
    Ok(out)
}

fn find_metrics_files(dir: &Path, name: &str, out: &mut Vec<PathBuf>) -> Result<(), CollectError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(CollectError::Walk { path: dir.into(), source }),
    };
    for entry in entries {
        let entry = entry.map_err(|source| CollectError::Walk { path: dir.into(), source })?;
        let path = entry.path();
        if !entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            continue;
        }
        let file = path.join("metrics.json");
        if entry.file_name() == name && file.is_file() {
            out.push(file);
        } else {
            find_metrics_files(&path, name, out)?;
        }
    }
    out.sort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::{RunContext, SystemMetrics};

    fn save(results: &ResultsDir, dir_id: &str, scenario: &str, baseline: &str, rps: f64) {
        let ctx = RunContext::detect("t", "0", Duration::from_secs(1), Duration::ZERO);
        let mut m = SystemMetrics::new(scenario, ctx);
        m.throughput.requests_per_second = Some(rps);
        results.write(dir_id, baseline, "metrics.json", &m).unwrap();
    }

    #[test]
    fn scenario_metrics_are_one_round_per_name_and_duplicates_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let results = ResultsDir::at(tmp.path().join("noisegate"));
        let criterion = CriterionDir::at(tmp.path().join("criterion"));
        save(&results, "load/peak", "peak", "r1", 1000.0);
        save(&results, "load/peak", "peak", "r2", 1010.0);
        let side = collect_side(&criterion, &results, &["r1".into(), "r2".into()], None).unwrap();
        let rps = side.series.iter().find(|s| s.id == "peak/requests_per_second").unwrap();
        assert_eq!(rps.rounds, vec![1000.0, 1010.0]);
        assert_eq!(rps.direction, crate::metrics::Direction::Higher);

        // Another suite saving a scenario of the same name under r1 would make r1 two rounds.
        save(&results, "other/peak", "peak", "r1", 5.0);
        let err = collect_side(&criterion, &results, &["r1".into()], None).unwrap_err();
        assert!(matches!(err, CollectError::DuplicateScenario { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("`peak`") && msg.contains("`r1`") && msg.contains("other"), "{msg}");
    }
}
