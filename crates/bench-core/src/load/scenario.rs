//! `scenario.json`: what a load scenario concluded, beside its `metrics.json` and
//! `timeline.json`.
//!
//! `SystemMetrics` holds the gradeable figures (and stays small and stable for the gate);
//! scenario-level verdicts — the peak-rate search, leak slope, degradation, burst recovery, the
//! knee, the closed-loop comparison — plus per-operation and per-phase figures and the warm-up
//! and cool-down tallies go here, in their own versioned file:
//!
//! ```text
//! target/noisegate/<suite>/<scenario>/<baseline>/metrics.json    SystemMetrics
//! target/noisegate/<suite>/<scenario>/<baseline>/timeline.json   Timeline
//! target/noisegate/<suite>/<scenario>/<baseline>/scenario.json   ScenarioReport
//! ```
//!
//! The one verdict `SystemMetrics` already has a field for, the time to recover, is also
//! written there (`recovery_time_s`) so targets can grade it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::analysis::{BurstRecovery, Degradation, Knee, LeakCheck, RecoveryRule, StepResult};
use super::record::ExcludedStats;
use super::schedule::RateSchedule;
use super::summary::{LoadMode, LoadReport, OperationSummary};
use crate::latency::LatencySummary;
use crate::metrics::{ClockKind, ErrorStats};
use crate::results::{ResultsError, read_json};

/// File name of a scenario's verdicts inside its results directory.
pub const SCENARIO_FILE: &str = "scenario.json";

/// Version of the on-disk `scenario.json` layout written by this build.
pub const SCENARIO_SCHEMA: u32 = 1;

/// Figures of one schedule phase (a step; all bursts; all base time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseSummary {
    /// `step 1` …, `burst` or `base`.
    pub name: String,
    /// Outcomes of the measured requests intended in the phase.
    pub errors: ErrorStats,
    /// Their latency from the intended start.
    pub latency: LatencySummary,
}

/// One open-loop trial of a peak-rate search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeakTrial {
    /// Rate asked for, req/s (configured).
    pub offered_per_s: f64,
    /// It as a percentage of the measured capacity.
    pub percent_of_capacity: f64,
    /// Successful requests per second (measured).
    pub achieved_per_s: f64,
    /// Successful / all requests, percent.
    pub success_percent: f64,
    /// p99 latency from the intended start, ms.
    pub p99_ms: f64,
    /// Requests the generator could not send in time.
    pub dropped: u64,
    /// Whether the trial met every criterion of the search.
    pub sustainable: bool,
}

/// How the highest sustainable rate was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeakSearch {
    /// Successful requests per second of a closed loop with `capacity_workers` workers sending
    /// back to back (measured; the generator's cost included). The search bisects below it.
    pub capacity_per_s: f64,
    /// Workers of that closed loop.
    pub capacity_workers: usize,
    /// A sustainable trial has at least this success rate, percent (configured) …
    pub min_success_percent: f64,
    /// … a p99 at most this, ms, over the trial and in its last interval (configured), and no
    /// drops.
    pub max_p99_ms: f64,
    /// The trials, in the order run.
    pub trials: Vec<PeakTrial>,
    /// The highest sustainable offered rate; `None` if no trial was sustainable.
    pub sustainable_per_s: Option<f64>,
    /// The scenarios ran this much below `sustainable_per_s`, percent (configured).
    #[serde(default)]
    pub headroom_percent: f64,
}

/// One closed-loop run of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosedLoopPoint {
    /// Workers (virtual users).
    pub workers: usize,
    /// Intended interval between one worker's sends, µs (configured).
    pub pacing_us: Option<f64>,
    /// Successful requests per second (measured).
    pub achieved_per_s: f64,
    /// Latency from the actual send (the naive closed-loop view).
    pub naive: LatencySummary,
    /// The corrected view (`corrected = true`), when paced.
    pub corrected: Option<LatencySummary>,
    /// Pacing slots skipped while waiting for late answers.
    pub skipped_sends: u64,
    /// Outcomes.
    pub errors: ErrorStats,
}

/// Recovery after bursts, and the rule applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryVerdict {
    /// The rule (baseline p99, tolerance, consecutive intervals).
    pub rule: RecoveryRule,
    /// Per burst.
    pub bursts: Vec<BurstRecovery>,
    /// Longest recovery, seconds; `None` if some burst did not recover in its window.
    pub worst_s: Option<f64>,
}

/// The stepped run's per-step figures and its knee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KneeVerdict {
    /// Per step.
    pub steps: Vec<StepResult>,
    /// The knee.
    pub knee: Knee,
}

/// Scenario-level conclusions; each present only for the scenarios that reach it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdicts {
    /// Peak-rate search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak: Option<PeakSearch>,
    /// Memory-leak check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak: Option<LeakCheck>,
    /// First-versus-last degradation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degradation: Option<Degradation>,
    /// Burst recovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<RecoveryVerdict>,
    /// Stepped-run knee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knee: Option<KneeVerdict>,
    /// Closed-loop comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_loop: Option<Vec<ClosedLoopPoint>>,
    /// Problems flagged, one sentence each (empty = nothing flagged).
    #[serde(default)]
    pub flags: Vec<String>,
}

/// Everything `scenario.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioReport {
    /// [`SCENARIO_SCHEMA`].
    pub schema_version: u32,
    /// Scenario id, as the `name` of its `SystemMetrics`.
    pub name: String,
    /// Profile the durations came from.
    pub profile: Option<String>,
    /// Wall-clock or simulated.
    pub clock: ClockKind,
    /// Open or closed loop, when one run made the scenario.
    pub mode: Option<LoadMode>,
    /// The schedule (configured), for open-loop scenarios.
    pub schedule: Option<RateSchedule>,
    /// Warm-up excluded from the figures, seconds.
    pub warmup_s: f64,
    /// Cool-down excluded from the figures, seconds.
    pub cooldown_s: f64,
    /// Measured window, seconds.
    pub measured_s: f64,
    /// Outcomes of the excluded requests.
    pub excluded: ExcludedStats,
    /// Per operation of the mix.
    pub operations: Vec<OperationSummary>,
    /// Per schedule phase.
    pub phases: Vec<PhaseSummary>,
    /// The verdicts.
    pub verdicts: Verdicts,
}

impl ScenarioReport {
    /// A report for `name` with no run attached (e.g. a comparison of several runs).
    pub fn new(name: impl Into<String>, profile: Option<String>, clock: ClockKind) -> Self {
        ScenarioReport {
            schema_version: SCENARIO_SCHEMA,
            name: name.into(),
            profile,
            clock,
            mode: None,
            schedule: None,
            warmup_s: 0.0,
            cooldown_s: 0.0,
            measured_s: 0.0,
            excluded: ExcludedStats::default(),
            operations: Vec::new(),
            phases: Vec::new(),
            verdicts: Verdicts::default(),
        }
    }

    /// A report for `name` describing `report` (of `schedule`, for an open loop); add verdicts.
    pub fn of_run(
        name: impl Into<String>,
        profile: Option<String>,
        report: &LoadReport,
        schedule: Option<&RateSchedule>,
    ) -> Self {
        ScenarioReport {
            mode: Some(report.mode.clone()),
            schedule: schedule.cloned(),
            warmup_s: report.warmup.as_secs_f64(),
            cooldown_s: report.cooldown.as_secs_f64(),
            measured_s: report.measured.as_secs_f64(),
            excluded: report.excluded.clone(),
            operations: report.operation_summaries(),
            phases: report
                .phases
                .iter()
                .map(|p| PhaseSummary { name: p.name.clone(), errors: p.errors.clone(), latency: p.latency.summary() })
                .collect(),
            ..Self::new(name, profile, report.timeline.clock)
        }
    }
}

/// Reads a `scenario.json`, checking its schema version first.
pub fn read_scenario(path: &Path) -> Result<ScenarioReport, ResultsError> {
    let value: serde_json::Value = read_json(path)?;
    let found = value.get("schema_version").and_then(serde_json::Value::as_u64).unwrap_or(0);
    if found != u64::from(SCENARIO_SCHEMA) {
        return Err(ResultsError::Schema { path: path.into(), found, supported: SCENARIO_SCHEMA });
    }
    serde_json::from_value(value).map_err(|source| ResultsError::Json { path: path.into(), source })
}
