//! Gathering a side: criterion baselines and noisegate `SystemMetrics` saved under the same
//! names, turned into one [`Series`] per benchmark with one figure per name (round).
//!
//! Criterion figures are by default the median time per iteration over the run's samples
//! (criterion's own "median" estimate, recomputed from `sample.json`), or the total over
//! iterations for runs that shared a CPU (see [`Figure`]), in nanoseconds unless the group's unit
//! was declared (see [`declare_group_unit`]). Scenario results contribute the
//! metrics in [`GATED_METRICS`], each in its catalogue direction; their id is
//! `<scenario id>/<metric key>`.

mod group_units;

pub use group_units::{UNITS_FILE, declare_group_unit};

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::criterion_output::{CriterionDir, CriterionError};
use crate::gate::{Figure, Series, Unit};
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
    /// A digest of each round's raw content (every sample and metric value), in round order:
    /// equal digests mean one run under two names (see [`check_distinct`]).
    pub digests: Vec<u64>,
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
    /// One baseline name given twice for a side: one run would count as several rounds and
    /// make the interval falsely tight.
    #[error(
        "baseline `{name}` is given more than once for one side; each round must be a separate run (save more with `cargo bench -- --save-baseline {name}-2`, …)"
    )]
    RepeatedName {
        /// The name repeated.
        name: String,
    },
    /// Two names hold identical figures: the same run saved (or copied) under two names.
    #[error(
        "baselines `{first}` and `{second}` hold identical figures for every benchmark: the same run under two names counts once; give separate runs"
    )]
    RepeatedRun {
        /// The first name.
        first: String,
        /// The second name.
        second: String,
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

/// How a side is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CollectOptions {
    /// Keep only benchmarks whose results were written at or after this time (the benchmarks a
    /// process just ran).
    pub since: Option<SystemTime>,
    /// The figure a criterion run is reduced to.
    pub figure: Figure,
}

/// Reads every round of a side.
pub fn collect_side(
    criterion: &CriterionDir,
    results: &ResultsDir,
    names: &[String],
    options: CollectOptions,
) -> Result<SideData, CollectError> {
    let CollectOptions { since, figure } = options;
    let mut by_id: BTreeMap<String, Series> = BTreeMap::new();
    let mut formats = BTreeSet::new();
    let mut written: BTreeMap<String, SystemTime> = BTreeMap::new();
    let mut note = |id: &str, t: SystemTime| {
        let w = written.entry(id.to_owned()).or_insert(t);
        *w = (*w).max(t);
    };
    let units = group_units::group_units(results)?;
    let mut digests = Vec::with_capacity(names.len());
    for (round, name) in names.iter().enumerate() {
        let mut digest = DefaultHasher::new();
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
            run.id.hash(&mut digest);
            run.per_iteration.iter().for_each(|v| v.to_bits().hash(&mut digest));
            by_id.entry(run.id.clone()).or_insert_with(|| {
                let unit = units.get(&run.group).cloned().unwrap_or(Unit::Nanoseconds);
                Series::lower_is_better(run.id.clone(), unit, Vec::new())
            });
            let s = by_id.get_mut(&run.id).expect("inserted above");
            match figure {
                Figure::Median => {
                    s.rounds.push(run.typical);
                    s.within.push(crate::gate::within_run_se(&run.per_iteration));
                }
                // No within-run floor: `within` stays empty.
                Figure::TotalOverIterations => s.rounds.push(run.total_per_iteration),
            }
            s.round_of.push(round);
        }
        for (id, metric, value, modified) in metrics {
            note(&id, modified);
            (id.as_str(), value.to_bits()).hash(&mut digest);
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
        digests.push(digest.finish());
    }
    check_distinct(names, &digests)?;
    Ok(SideData { names: names.to_vec(), series: by_id.into_values().collect(), formats, written, digests })
}

/// Refuses a side whose names repeat, or two of whose rounds are the same run (equal
/// [`SideData::digests`], one per name). Two real runs never agree on every raw sample.
pub fn check_distinct(names: &[String], digests: &[u64]) -> Result<(), CollectError> {
    let mut seen = BTreeSet::new();
    if let Some(name) = names.iter().find(|n| !seen.insert(n.as_str())) {
        return Err(CollectError::RepeatedName { name: name.clone() });
    }
    for (i, d) in digests.iter().enumerate() {
        if let Some(j) = digests[..i].iter().position(|e| e == d) {
            return Err(CollectError::RepeatedRun { first: names[j].clone(), second: names[i].clone() });
        }
    }
    Ok(())
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
        let side = collect_side(&criterion, &results, &["r1".into(), "r2".into()], CollectOptions::default()).unwrap();
        let rps = side.series.iter().find(|s| s.id == "peak/requests_per_second").unwrap();
        assert_eq!(rps.rounds, vec![1000.0, 1010.0]);
        assert_eq!(rps.direction, crate::metrics::Direction::Higher);

        // Another suite saving a scenario of the same name under r1 would make r1 two rounds.
        save(&results, "other/peak", "peak", "r1", 5.0);
        let err = collect_side(&criterion, &results, &["r1".into()], CollectOptions::default()).unwrap_err();
        assert!(matches!(err, CollectError::DuplicateScenario { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("`peak`") && msg.contains("`r1`") && msg.contains("other"), "{msg}");
    }

    #[test]
    fn the_figure_option_picks_median_with_a_floor_or_total_without() {
        let tmp = tempfile::tempdir().unwrap();
        let results = ResultsDir::at(tmp.path().join("noisegate"));
        let dir = tmp.path().join("criterion/g/r1");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("benchmark.json"),
            r#"{"group_id":"g","function_id":null,"value_str":null,"throughput":null,"full_id":"g","directory_name":"g","title":"g"}"#,
        )
        .unwrap();
        // Per iteration: 10, 10, 10, 10, 40; in total 100 ns over 7 iterations.
        std::fs::write(
            dir.join("sample.json"),
            r#"{"sampling_mode":"Linear","iters":[1.0,1.0,1.0,1.0,3.0],"times":[10.0,10.0,10.0,10.0,60.0]}"#,
        )
        .unwrap();
        let criterion = CriterionDir::at(tmp.path().join("criterion"));
        let names = ["r1".to_owned()];
        let median = collect_side(&criterion, &results, &names, CollectOptions::default()).unwrap();
        assert_eq!(median.series[0].rounds, vec![10.0]);
        assert_eq!(median.series[0].within.len(), 1);
        let total = CollectOptions { figure: Figure::TotalOverIterations, ..Default::default() };
        let total = collect_side(&criterion, &results, &names, total).unwrap();
        assert_eq!(total.series[0].rounds, vec![100.0 / 7.0]);
        assert!(total.series[0].within.is_empty(), "no within-run floor for a shared CPU's runs");
        assert_eq!(total.series[0].round_of, vec![0]);
    }
}
