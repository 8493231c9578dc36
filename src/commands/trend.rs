//! `noisegate trend`: metric trends across the runs in the history, with step changes.

use std::path::Path;

use bench_core::history::{ChangePointConfig, History, TrendOptions, TrendReport, render_trend};
use bench_core::metrics::Metric;

use super::Outcome;
use super::report::{emit, format};
use crate::cli::ReportFormatArg;

pub(super) struct TrendArgs<'a> {
    pub scenarios: Vec<String>,
    pub metrics: &'a [String],
    pub baseline: Option<String>,
    pub format: ReportFormatArg,
    pub output: Option<&'a Path>,
    pub history: Option<&'a Path>,
    pub min_shift: f64,
    pub min_segment: usize,
    pub alpha: f64,
    pub permutations: usize,
    pub seed: Option<u64>,
}

fn detector(a: &TrendArgs<'_>) -> anyhow::Result<ChangePointConfig> {
    if !(a.min_shift.is_finite() && a.min_shift >= 0.0) {
        anyhow::bail!("--min-shift {} is not a percentage: use a number ≥ 0 such as 5", a.min_shift);
    }
    if !(a.alpha > 0.0 && a.alpha < 1.0) {
        anyhow::bail!("--alpha {} must be between 0 and 1, e.g. 0.01", a.alpha);
    }
    if a.min_segment < 2 {
        anyhow::bail!("--min-segment {} is too small: a segment needs at least 2 runs", a.min_segment);
    }
    let smallest_p = 1.0 / (a.permutations as f64 + 1.0);
    if smallest_p > a.alpha {
        anyhow::bail!(
            "with --permutations {} the smallest p-value is {smallest_p:.3}, above --alpha {}: nothing could ever be flagged; use --permutations {} or more",
            a.permutations,
            a.alpha,
            (1.0 / a.alpha).ceil() as usize
        );
    }
    let d = ChangePointConfig::default();
    Ok(ChangePointConfig {
        min_segment: a.min_segment,
        min_shift: a.min_shift / 100.0,
        alpha: a.alpha,
        permutations: a.permutations,
        seed: a.seed.unwrap_or(d.seed),
    })
}

pub(super) fn run(a: TrendArgs<'_>) -> anyhow::Result<Outcome> {
    let detector = detector(&a)?;
    let metrics = a
        .metrics
        .iter()
        .map(|k| {
            k.parse::<Metric>().map_err(|e| {
                let known: Vec<&str> = Metric::ALL.iter().map(|m| m.key()).collect();
                anyhow::anyhow!("{e}; known metrics: {}", known.join(", "))
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let history =
        a.history.map_or_else(|| super::locations::history(&super::locations::results_dir(None)), History::at);
    let loaded = history.load()?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    if loaded.records.is_empty() {
        anyhow::bail!(
            "{} holds no readable run: `noisegate report` appends every run it reports",
            history.path().display()
        );
    }
    let opts = TrendOptions { scenarios: a.scenarios.clone(), metrics, baseline: a.baseline.clone(), detector };
    let report = TrendReport::analyse(history.path().into(), &loaded.records, loaded.warnings, &opts);
    if report.series.is_empty() {
        let mut known: Vec<&str> = loaded.records.iter().map(|(_, r)| r.scenario.as_str()).collect();
        known.sort_unstable();
        known.dedup();
        anyhow::bail!(
            "no run in {} matches the --scenario/--metric/--baseline filters; scenarios there: {}",
            history.path().display(),
            known.join(", ")
        );
    }
    let body = render_trend(&report, format(a.format))?;
    emit(&body, a.output, &format!("the {} trends of {} series", format(a.format).as_str(), report.series.len()))?;
    Ok(if report.failing().is_empty() { Outcome::Passed } else { Outcome::CheckFailed })
}
