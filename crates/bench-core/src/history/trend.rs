//! Trends across runs: each (scenario, metric) series of the history, in the order runs were
//! appended, with its step changes ([`changepoint`](super::changepoint)) judged in the metric's
//! direction.
//!
//! The check `noisegate trend` exits 1 on: the **latest** step of some series is for the worse
//! — the metric's current level is worse than the level before it — and the runs on either side
//! of that step came from the same machine and compiler. A step that coincides with a change of
//! machine (fingerprint) is reported with the differences but does not fail the check: it says
//! more about the machine than the code. Earlier steps that a later step undid are history.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::changepoint::{ChangePointConfig, detect};
use super::{HistoryWarning, Record};
use crate::metrics::{Direction, Metric};

/// Which series to analyse.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrendOptions {
    /// Only these scenarios (empty: all).
    pub scenarios: Vec<String>,
    /// Only these metrics (empty: every metric some run measured).
    pub metrics: Vec<Metric>,
    /// Only runs saved under this baseline name (`None`: all).
    pub baseline: Option<String>,
    /// The detector's settings.
    pub detector: ChangePointConfig,
}

/// One run in a series.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// Line of the history file.
    pub line: usize,
    /// When the run ended.
    pub run_at: String,
    /// Its commit, when known.
    pub git_commit: Option<String>,
    /// Its value.
    pub value: f64,
}

/// A step change in a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Index (into the series' points) of the first run at the new level.
    pub index: usize,
    /// Median before.
    pub before: f64,
    /// Median after.
    pub after: f64,
    /// (after − before) / |before|.
    pub shift: f64,
    /// Permutation p-value.
    pub p_value: f64,
    /// Whether the new level is worse in the metric's direction.
    pub worse: bool,
    /// How the machine of the run before the step differs from the run at it (empty: same
    /// machine and compiler).
    pub machine_change: Vec<String>,
}

/// One (scenario, metric) series.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendSeries {
    /// Scenario name.
    pub scenario: String,
    /// The metric.
    pub metric: Metric,
    /// Its runs, in append order.
    pub points: Vec<TrendPoint>,
    /// Its step changes, in order.
    pub steps: Vec<Step>,
}

impl TrendSeries {
    /// The latest step when it is for the worse on an unchanged machine: what fails the check.
    pub fn failing_step(&self) -> Option<&Step> {
        self.steps.last().filter(|s| s.worse && s.machine_change.is_empty())
    }
}

/// The trends of a history.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendReport {
    /// The history file.
    pub path: PathBuf,
    /// Records read (before filtering).
    pub runs: usize,
    /// The detector's settings.
    pub detector: ChangePointConfig,
    /// Series in scenario, then catalogue, order.
    pub series: Vec<TrendSeries>,
    /// Lines of the history that were skipped.
    pub warnings: Vec<HistoryWarning>,
}

impl TrendReport {
    /// Analyses the records of a history file.
    pub fn analyse(
        path: PathBuf,
        records: &[(usize, Record)],
        warnings: Vec<HistoryWarning>,
        opts: &TrendOptions,
    ) -> TrendReport {
        let mut by_scenario: BTreeMap<&str, Vec<&(usize, Record)>> = BTreeMap::new();
        for rec in records {
            let r = &rec.1;
            if (opts.scenarios.is_empty() || opts.scenarios.contains(&r.scenario))
                && opts.baseline.as_ref().is_none_or(|b| *b == r.baseline)
            {
                by_scenario.entry(&r.scenario).or_default().push(rec);
            }
        }
        let mut series = Vec::new();
        for (scenario, recs) in by_scenario {
            let metrics: Vec<Metric> =
                if opts.metrics.is_empty() { Metric::ALL.to_vec() } else { opts.metrics.clone() };
            for metric in metrics {
                let runs: Vec<&(usize, Record)> =
                    recs.iter().copied().filter(|(_, r)| r.value(metric).is_some_and(f64::is_finite)).collect();
                if runs.is_empty() {
                    continue;
                }
                series.push(analyse_series(scenario, metric, &runs, &opts.detector));
            }
        }
        TrendReport { path, runs: records.len(), detector: opts.detector, series, warnings }
    }

    /// Series whose latest step is for the worse on an unchanged machine.
    pub fn failing(&self) -> Vec<&TrendSeries> {
        self.series.iter().filter(|s| s.failing_step().is_some()).collect()
    }
}

fn analyse_series(scenario: &str, metric: Metric, runs: &[&(usize, Record)], cfg: &ChangePointConfig) -> TrendSeries {
    let points: Vec<TrendPoint> = runs
        .iter()
        .map(|(line, r)| TrendPoint {
            line: *line,
            run_at: r.run_at.clone(),
            git_commit: r.git_commit.clone(),
            value: r.value(metric).unwrap_or(f64::NAN),
        })
        .collect();
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    let steps = detect(&values, cfg)
        .into_iter()
        .map(|c| {
            let worse = match metric.direction() {
                Direction::Higher => c.after < c.before,
                Direction::Lower => c.after > c.before,
            };
            let machine_change = runs[c.index - 1].1.fingerprint.differences(&runs[c.index].1.fingerprint);
            Step {
                index: c.index,
                before: c.before,
                after: c.after,
                shift: c.shift,
                p_value: c.p_value,
                worse,
                machine_change,
            }
        })
        .collect();
    TrendSeries { scenario: scenario.to_owned(), metric, points, steps }
}
