//! The run report (`noisegate report`): what one or more scenario runs measured, laid out as the
//! MEZAN guide's performance report — a summary graded against the targets (✓/✗), throughput
//! average and peak, the latency distribution (min, p50, p75, p90, p95, p99, p99.9, max),
//! resource use average and peak, errors by type, recommendations from rule-based bottleneck
//! detection ([`rules`]), and a comparison with a baseline run in percent — plus scaling curves
//! across runs of one family (throughput, p99, spawn time, memory per agent … against agents or
//! configured rate).
//!
//! Input is each run's `metrics.json` ([`SystemMetrics`]) and, where the scenario recorded one,
//! the `timeline.json` beside it ([`Timeline`]); [`load_scenarios`] reads them and
//! [`RunReport::analyse`] derives everything the formats print. [`render`] writes text,
//! Markdown, versioned JSON or a self-contained HTML page with SVG charts. A value a run did not
//! measure is printed as "not measured" (`null` in JSON), never as zero.

mod analyse;
mod charts;
pub(crate) mod format;
mod html;
mod json;
mod load;
mod markdown;
#[cfg(test)]
mod rule_tests;
pub mod rules;
#[cfg(test)]
pub(crate) mod tests;
mod text;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

pub use json::{REPORT_FORMAT, REPORT_SCHEMA};
pub use load::{METRICS_FILE, discover, load_run, load_scenarios, read_timeline};
pub use rules::{Finding, Rule, RuleSettings, RuleStatus, Severity};

pub(crate) use charts::{Chart, ChartSeries, Mark, inline, line_chart};
pub(crate) use html::page_head;

use crate::metrics::{HostInfo, Metric, SystemMetrics, Timeline};
use crate::targets::{Evaluation, Targets};

/// An output format of the run report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    /// The MEZAN-style plain-text report.
    Text,
    /// GitHub-flavoured Markdown.
    Markdown,
    /// Versioned JSON (`"format": "noisegate-run-report"`), see [`REPORT_SCHEMA`].
    Json,
    /// One self-contained HTML file with inline SVG charts (no scripts, no external assets).
    Html,
}

impl ReportFormat {
    /// Every format.
    pub const ALL: [ReportFormat; 4] =
        [ReportFormat::Text, ReportFormat::Markdown, ReportFormat::Json, ReportFormat::Html];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Text => "text",
            ReportFormat::Markdown => "markdown",
            ReportFormat::Json => "json",
            ReportFormat::Html => "html",
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReportFormat {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportFormat::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| ReportError::UnknownFormat(s.to_owned()))
    }
}

/// A report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A format name that is not text, markdown, json or html.
    #[error("unknown report format `{0}` (expected text, markdown, json or html)")]
    UnknownFormat(String),
    /// A path given as input holds no `metrics.json`.
    #[error(
        "no metrics.json at {path}: pass a metrics.json file or a results directory holding one (run the scenario's bench first, e.g. `cargo bench --bench latency`)"
    )]
    MissingMetrics {
        /// The path given.
        path: PathBuf,
    },
    /// No run was found for the baseline under the results directory.
    #[error(
        "no scenario results for baseline `{baseline}` under {root}: run a scenario bench first (e.g. `cargo bench --bench latency`), pass metrics.json files, or choose another --baseline"
    )]
    NoResults {
        /// The results directory searched.
        root: PathBuf,
        /// The baseline name looked for.
        baseline: String,
    },
    /// `--compare-to NAME` found no run saved under NAME beside any reported run.
    #[error(
        "no results saved under baseline `{baseline}` beside any reported run (looked for {example}); save one with `cargo bench -- --save-baseline {baseline}`"
    )]
    NoBaseline {
        /// The baseline name.
        baseline: String,
        /// One of the paths looked for.
        example: PathBuf,
    },
    /// A `metrics.json` could not be read (the message names the file and the fix).
    #[error(transparent)]
    Metrics(#[from] crate::results::ResultsError),
    /// A `timeline.json` could not be read.
    #[error("cannot read {path}: {source}")]
    TimelineRead {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A `timeline.json` is not valid JSON of the timeline layout.
    #[error(
        "{path} is not a valid noisegate timeline: {source} (re-run the scenario to rewrite it, or delete the file to report without a time series)"
    )]
    TimelineJson {
        /// The file.
        path: PathBuf,
        /// The decoder's message, with line and column.
        source: serde_json::Error,
    },
    /// A `timeline.json` of another layout version.
    #[error(
        "{path} has timeline schema_version {found}; this noisegate reads version {supported} (re-run the scenario with this noisegate, or report with the noisegate that wrote it)"
    )]
    TimelineSchema {
        /// The file.
        path: PathBuf,
        /// Version in the file (0 when absent).
        found: u64,
        /// Version this build reads.
        supported: u32,
    },
    /// A `timeline.json` that belongs to another scenario than the `metrics.json` beside it.
    #[error(
        "{path} is the timeline of scenario `{timeline}`, but the metrics.json beside it is `{metrics}`: a stale file; re-run the scenario or delete it"
    )]
    TimelineMismatch {
        /// The timeline file.
        path: PathBuf,
        /// Scenario named in the timeline.
        timeline: String,
        /// Scenario named in metrics.json.
        metrics: String,
    },
    /// A directory could not be listed.
    #[error("cannot list {path}: {source}")]
    Walk {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A chart could not be drawn.
    #[error("cannot draw the chart `{chart}`: {message}")]
    Chart {
        /// The chart's title.
        chart: String,
        /// What plotters said.
        message: String,
    },
}

/// One run read from disk.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInput {
    /// The `metrics.json` it came from.
    pub source: PathBuf,
    /// The baseline directory it was saved under (`new` for the latest run).
    pub baseline: String,
    /// The run's metrics.
    pub metrics: SystemMetrics,
    /// The run's time series, when the scenario recorded one.
    pub timeline: Option<Timeline>,
}

/// The run a scenario is compared with (`--compare-to NAME`).
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineRun {
    /// The baseline name.
    pub name: String,
    /// Where its `metrics.json` was looked for.
    pub path: PathBuf,
    /// Its metrics; `None` when no run was saved there.
    pub metrics: Option<SystemMetrics>,
}

/// A run and what it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioInput {
    /// The run.
    pub run: RunInput,
    /// The baseline run, when a comparison was asked for.
    pub compare: Option<BaselineRun>,
}

/// The machine the report is made on, for rules that need facts a run does not record.
#[derive(Debug, Clone, PartialEq)]
pub struct ThisMachine {
    /// Its description; a run measured on an identical host is taken to be from this machine.
    pub host: HostInfo,
    /// Its memory, MiB.
    pub memory_mb: f64,
}

impl ThisMachine {
    /// This machine (memory from `/proc/meminfo`); `None` where that is unavailable.
    pub fn detect() -> Option<Self> {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let kb: f64 = info
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(ThisMachine { host: HostInfo::detect(), memory_mb: kb / 1024.0 })
    }
}

/// How to analyse.
#[derive(Debug, Clone)]
pub struct AnalysisOptions<'a> {
    /// Targets to grade against.
    pub targets: &'a Targets,
    /// Only these target sets (empty: every set).
    pub sets: &'a [String],
    /// The machine the report is made on, when known (see [`ThisMachine`]).
    pub this_machine: Option<ThisMachine>,
    /// When the report was made (RFC 3339), printed in its header.
    pub generated_at: String,
}

/// One row of the throughput section.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    /// What is counted: `Requests`, `Operations`, …
    pub label: &'static str,
    /// The unit, e.g. `req/s`.
    pub unit: &'static str,
    /// Average over the measured phase.
    pub avg: Option<f64>,
    /// Highest rate seen.
    pub peak: Option<f64>,
    /// Where the peak came from (`per-second peak`, `1 s interval of the timeline`).
    pub peak_source: Option<String>,
}

/// One row of the resource section.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRow {
    /// `CPU`, `Memory`, …
    pub label: &'static str,
    /// The unit.
    pub unit: &'static str,
    /// Average.
    pub avg: Option<f64>,
    /// Peak; `None` also where the resource has no peak figure.
    pub peak: Option<f64>,
}

/// How a metric moved against the baseline, in the metric's own direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Assessment {
    /// Moved the good way.
    Better,
    /// Moved the bad way.
    Worse,
    /// Rounds to no change (|change| < 0.05 %).
    Same,
    /// One side did not measure it, or the baseline is zero.
    NotComparable,
}

impl Assessment {
    /// Lower-case word.
    pub fn as_str(self) -> &'static str {
        match self {
            Assessment::Better => "better",
            Assessment::Worse => "worse",
            Assessment::Same => "same",
            Assessment::NotComparable => "not comparable",
        }
    }
}

/// One metric against the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    /// The metric.
    pub metric: Metric,
    /// This run's value.
    pub current: Option<f64>,
    /// The baseline's value.
    pub baseline: Option<f64>,
    /// (current − baseline) / baseline.
    pub change: Option<f64>,
    /// Better or worse in the metric's direction.
    pub assessment: Assessment,
}

/// A run against its baseline run.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The baseline name.
    pub baseline: String,
    /// Where the baseline run was looked for.
    pub path: PathBuf,
    /// Whether it was there.
    pub found: bool,
    /// Every metric either side measured, in catalogue order.
    pub rows: Vec<ComparisonRow>,
}

/// Everything the report says about one run.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioReport {
    /// The run.
    pub run: RunInput,
    /// Grades against the targets.
    pub evaluation: Evaluation,
    /// Throughput rows.
    pub rates: Vec<Rate>,
    /// Resource rows.
    pub resources: Vec<ResourceRow>,
    /// Every rule's outcome, in rule order.
    pub rules: Vec<(Rule, RuleStatus)>,
    /// The comparison, when one was asked for.
    pub comparison: Option<Comparison>,
}

impl ScenarioReport {
    /// The rules that fired, critical first.
    pub fn findings(&self) -> Vec<&Finding> {
        let mut f: Vec<&Finding> = self
            .rules
            .iter()
            .filter_map(|(_, s)| match s {
                RuleStatus::Fired(f) => Some(f),
                _ => None,
            })
            .collect();
        f.sort_by_key(|f| std::cmp::Reverse(f.severity));
        f
    }
}

/// One point of a scaling curve.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingPoint {
    /// Scale: agents, configured rate, or the number in the scenario name.
    pub x: f64,
    /// The scenario measured at this scale.
    pub scenario: String,
    /// One value per column of the curve; `None` = not measured at this scale.
    pub values: Vec<Option<f64>>,
}

/// What one column of a scaling curve holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalingColumn {
    /// Metric key (e.g. `requests_per_second`, `agent_spawn_ms`), or `throughput` for a
    /// scenario's own scaling series.
    pub key: String,
    /// Its unit.
    pub unit: String,
}

/// Metrics across runs of one family (names differing only in one number), against scale.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingCurve {
    /// The family: the scenario name with the varying number as `*`.
    pub family: String,
    /// What x is.
    pub x_label: String,
    /// The metrics measured at two scales or more.
    pub columns: Vec<ScalingColumn>,
    /// Points in increasing x.
    pub points: Vec<ScalingPoint>,
}

/// The analysed report.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// When it was made.
    pub generated_at: String,
    /// Where the targets came from (`built-in defaults` or a file).
    pub targets_origin: String,
    /// Per run, in input order.
    pub scenarios: Vec<ScenarioReport>,
    /// Scaling curves found across the runs.
    pub scaling: Vec<ScalingCurve>,
}

impl RunReport {
    /// Grades, derives and checks everything the formats print.
    pub fn analyse(inputs: Vec<ScenarioInput>, opts: &AnalysisOptions<'_>) -> RunReport {
        let scenarios: Vec<ScenarioReport> = inputs.into_iter().map(|s| analyse::scenario(s, opts)).collect();
        let scaling = analyse::scaling_curves(&scenarios);
        let targets_origin =
            opts.targets.origin.as_ref().map_or_else(|| "built-in defaults".to_owned(), |p| p.display().to_string());
        RunReport { generated_at: opts.generated_at.clone(), targets_origin, scenarios, scaling }
    }

    /// The worst verdict over every run.
    pub fn verdict(&self) -> crate::targets::Verdict {
        self.scenarios.iter().map(|s| s.evaluation.verdict).max().unwrap_or(crate::targets::Verdict::NoData)
    }
}

/// Renders `report` in `format`. Only HTML can fail (a chart that cannot be drawn).
pub fn render(report: &RunReport, format: ReportFormat) -> Result<String, ReportError> {
    Ok(match format {
        ReportFormat::Text => text::render(report),
        ReportFormat::Markdown => markdown::render(report),
        ReportFormat::Json => json::render(report),
        ReportFormat::Html => html::render(report)?,
    })
}
