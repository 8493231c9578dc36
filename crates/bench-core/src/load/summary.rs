//! What a run measured, and how healthy the generator itself was.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::closed::ClosedLoop;
use super::mix::Mix;
use super::record::{ExcludedStats, Recorder, SliceStats};
use crate::latency::{LatencyRecorder, LatencySummary};
use crate::metrics::{ErrorStats, GeneratorHealth, RunContext, SystemMetrics, Timeline};
use crate::resource::ResourceReport;

/// How the run was driven.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LoadMode {
    /// Open loop: requests on a rate schedule, latency from the intended start.
    Open,
    /// Closed loop: the given workers, latency from the actual send.
    Closed(ClosedLoop),
}

/// Measured figures of one operation of a [`Mix`].
#[derive(Debug, Clone)]
pub struct OperationReport {
    /// Its name.
    pub name: String,
    /// Its configured weight.
    pub weight: u32,
    /// Its configured share of the requests, 0..=1.
    pub share: f64,
    /// Latency of its measured requests (same definition as [`LoadReport::latency`]).
    pub latency: LatencyRecorder,
    /// Outcomes of its measured requests.
    pub errors: ErrorStats,
}

/// Serializable summary of an [`OperationReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationSummary {
    /// Operation name.
    pub name: String,
    /// Configured weight.
    pub weight: u32,
    /// Configured share, percent.
    pub configured_percent: f64,
    /// Measured requests of this operation (successful and failed, dropped included).
    pub requests: u64,
    /// Measured share of all measured requests, percent.
    pub measured_percent: f64,
    /// Outcomes by kind.
    pub errors: ErrorStats,
    /// Latency of the answered ones.
    pub latency: LatencySummary,
}

/// Measured figures of one phase of the schedule (a step, or all bursts / all base time).
#[derive(Debug, Clone)]
pub struct PhaseReport {
    /// `step 1` … or `burst` / `base`.
    pub name: String,
    /// Latency of the measured requests intended during the phase.
    pub latency: LatencyRecorder,
    /// Their outcomes.
    pub errors: ErrorStats,
}

/// The result of [`run`](super::run) or [`run_closed`](super::run_closed): merged histograms,
/// outcomes, per-operation and per-phase figures, the timeline and generator health.
///
/// Only requests of the measured phase (intended after the warm-up and before the cool-down)
/// are in the histograms and counters; the others are tallied in `excluded`.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Open loop: completion − intended start, for every answered request — failures and
    /// per-request timeouts included (as wrk2 does), so fast errors cannot hide slow successes
    /// unnoticed: read it together with `errors`. Closed loop: completion − actual send (naive).
    pub latency: LatencyRecorder,
    /// Completion − actual send.
    pub service_time: LatencyRecorder,
    /// Actual send − intended start.
    pub scheduler_lag: LatencyRecorder,
    /// Outcomes by kind (dropped and unfinished included).
    pub errors: ErrorStats,
    /// Successful measured completions in each whole second of the run.
    pub per_second: Vec<u64>,
    /// Wall time from start until the last worker finished.
    pub elapsed: Duration,
    /// Length of the schedule (configured).
    pub scheduled: Duration,
    /// Generator health.
    pub health: GeneratorHealth,
    /// Open or closed loop.
    pub mode: LoadMode,
    /// Closed loop with an intended interval (pacing or `expected_interval`): the corrected
    /// view (`record_correct` with that interval); its summary says `corrected = true`.
    pub corrected_latency: Option<LatencyRecorder>,
    /// Closed loop with pacing: sends skipped because an answer came back late.
    pub skipped_sends: u64,
    /// Per operation of the mix; empty without one.
    pub operations: Vec<OperationReport>,
    /// Per phase of a stepped or burst schedule; empty otherwise.
    pub phases: Vec<PhaseReport>,
    /// Outcomes of the warm-up and cool-down requests (sent, not in the figures).
    pub excluded: ExcludedStats,
    /// Configured warm-up.
    pub warmup: Duration,
    /// Configured cool-down.
    pub cooldown: Duration,
    /// The measured window the rates are computed over: from the end of the warm-up to the
    /// start of the cool-down, or to the last measured completion if that came later.
    pub measured: Duration,
    /// Per-interval time series of the whole run (warm-up and drain labelled).
    pub timeline: Timeline,
    /// The resource sampler's report, when the run sampled resources.
    pub resources: Option<ResourceReport>,
}

/// Everything [`LoadReport::merge`] needs besides the workers' recorders.
pub(super) struct MergeInput<'a> {
    pub mode: LoadMode,
    pub workers: usize,
    pub intended: Option<u64>,
    pub scheduled: Duration,
    pub warmup: Duration,
    pub cooldown: Duration,
    pub saturation_lag: Duration,
    pub mix: Option<&'a Mix>,
    pub phases: &'a [String],
    pub timeline: Timeline,
    pub resources: Option<ResourceReport>,
    pub clock: crate::metrics::ClockSource,
}

impl LoadReport {
    pub(super) fn merge(input: MergeInput<'_>, results: Vec<Recorder>) -> Self {
        let mut latency = LatencyRecorder::new();
        let mut service_time = LatencyRecorder::new();
        let mut scheduler_lag = LatencyRecorder::new();
        let mut corrected: Option<LatencyRecorder> = None;
        let mut errors = ErrorStats::default();
        let mut excluded = ExcludedStats::default();
        let mut per_second: Vec<u64> = Vec::new();
        let n_ops = input.mix.map_or(0, |m| m.operations().len());
        let mut ops = vec![SliceStats::default(); n_ops];
        let mut phases = vec![SliceStats::default(); input.phases.len()];
        let (mut issued, mut dropped, mut unfinished, mut skipped, mut peak) = (0, 0, 0, 0, 0);
        let mut busy_wait_ns = 0u64;
        let (mut elapsed, mut last_done) = (Duration::ZERO, Duration::ZERO);
        for r in results {
            // A worker records a mixed run's latencies per operation only (one histogram write
            // per request on the hot path); the run's histogram is their sum.
            latency.merge(&r.latency);
            for op in &r.ops {
                latency.merge(&op.latency);
            }
            service_time.merge(&r.service);
            scheduler_lag.merge(&r.lag);
            if let Some((c, _)) = &r.corrected {
                corrected.get_or_insert_with(LatencyRecorder::new).merge(c);
            }
            errors.merge(&r.errors);
            excluded.merge(&r.excluded);
            for (acc, s) in ops.iter_mut().zip(&r.ops) {
                acc.merge(s);
            }
            for (acc, s) in phases.iter_mut().zip(&r.phases) {
                acc.merge(s);
            }
            issued += r.issued;
            dropped += r.dropped;
            unfinished += r.unfinished;
            skipped += r.skipped;
            busy_wait_ns += r.busy_wait_ns;
            peak += r.in_flight_peak as u64;
            elapsed = elapsed.max(r.finished);
            last_done = last_done.max(r.last_measured_done);
            if per_second.len() < r.per_second.len() {
                per_second.resize(r.per_second.len(), 0);
            }
            for (acc, n) in per_second.iter_mut().zip(&r.per_second) {
                *acc += n;
            }
        }
        let lag_p99 = scheduler_lag.value_at_quantile(0.99);
        let intended = input.intended.unwrap_or(issued + dropped + skipped);
        let scheduled_s = input.scheduled.as_secs_f64();
        let health = GeneratorHealth {
            workers: input.workers,
            intended,
            intended_rate: if scheduled_s > 0.0 { intended as f64 / scheduled_s } else { 0.0 },
            issued,
            dropped,
            unfinished,
            in_flight_peak: peak,
            achieved_rate: if elapsed.is_zero() { 0.0 } else { issued as f64 / elapsed.as_secs_f64() },
            lag_p99_ns: lag_p99,
            saturated: dropped > 0 || lag_p99.as_duration() > input.saturation_lag,
            clock: Some(input.clock),
            busy_wait_s: matches!(input.mode, LoadMode::Open).then_some(busy_wait_ns as f64 / 1e9),
        };
        // The measured window ends at the cool-down, or at the last measured answer if that came
        // later. (`scheduled` of a closed loop capped by `max_requests` is where it stopped.)
        let cooldown_start = input.scheduled.saturating_sub(input.cooldown);
        let measured = cooldown_start.max(last_done).saturating_sub(input.warmup);
        let operations = ops
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let op = &input.mix.expect("operations only with a mix").operations()[i];
                OperationReport {
                    name: op.name.clone(),
                    weight: op.weight,
                    share: input.mix.map_or(0.0, |m| m.share(i)),
                    latency: s.latency,
                    errors: s.errors,
                }
            })
            .collect();
        let phases = phases
            .into_iter()
            .zip(input.phases)
            .map(|(s, name)| PhaseReport { name: name.clone(), latency: s.latency, errors: s.errors })
            .collect();
        LoadReport {
            latency,
            service_time,
            scheduler_lag,
            errors,
            per_second,
            elapsed,
            scheduled: input.scheduled,
            health,
            mode: input.mode,
            corrected_latency: corrected,
            skipped_sends: skipped,
            operations,
            phases,
            excluded,
            warmup: input.warmup,
            cooldown: input.cooldown,
            measured,
            timeline: input.timeline,
            resources: input.resources,
        }
    }

    /// Successful measured requests per second of the measured window.
    pub fn requests_per_second(&self) -> f64 {
        if self.measured.is_zero() { 0.0 } else { self.errors.succeeded() as f64 / self.measured.as_secs_f64() }
    }

    /// Highest successful-completions count in any whole second lying entirely inside the
    /// measured phase (partial seconds at either end are left out); `None` when there is none.
    pub fn peak_requests_per_second(&self) -> Option<f64> {
        let first = self.warmup.as_secs_f64().ceil() as usize;
        let end = self.scheduled.saturating_sub(self.cooldown).as_secs() as usize;
        self.per_second.iter().take(end).skip(first).max().map(|&n| n as f64)
    }

    /// Per-operation summaries, in mix order.
    pub fn operation_summaries(&self) -> Vec<OperationSummary> {
        let all: u64 = self.operations.iter().map(|o| o.errors.total).sum();
        self.operations
            .iter()
            .map(|o| OperationSummary {
                name: o.name.clone(),
                weight: o.weight,
                configured_percent: 100.0 * o.share,
                requests: o.errors.total,
                measured_percent: if all == 0 { 0.0 } else { 100.0 * o.errors.total as f64 / all as f64 },
                errors: o.errors.clone(),
                latency: o.latency.summary(),
            })
            .collect()
    }

    /// A [`SystemMetrics`] named `name` holding this run's throughput, latency, lag, errors and
    /// (when sampled) resources. Pass a context made with
    /// `run_context!(report.measured, report.warmup)`; its clock is set from the run's.
    pub fn to_system_metrics(&self, name: impl Into<String>, context: RunContext) -> SystemMetrics {
        let mut m = SystemMetrics::new(name, RunContext { clock: self.timeline.clock, ..context });
        m.throughput.requests_per_second = Some(self.requests_per_second());
        m.throughput.peak_requests_per_second = self.peak_requests_per_second();
        m.latency = Some(self.latency.summary());
        m.service_time = Some(self.service_time.summary());
        m.scheduler_lag = Some(self.scheduler_lag.summary());
        m.resources = self.resources.as_ref().map(|r| r.summary.clone());
        m.errors = self.errors.clone();
        m.generator = Some(self.health.clone());
        m
    }
}
