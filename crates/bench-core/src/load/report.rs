//! What an open-loop run measured, and how healthy the generator itself was.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::LoadConfig;
use super::schedule::CompiledSchedule;
use super::worker::WorkerResult;
use crate::latency::LatencyRecorder;
use crate::metrics::{ErrorKind, ErrorStats, RunContext, SystemMetrics};
use crate::units::Nanos;

/// Whether the generator kept to its schedule. "Configured" figures come from the schedule,
/// "achieved" ones were measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorHealth {
    /// Worker tasks used.
    pub workers: usize,
    /// Requests the schedule intended (configured).
    pub intended: u64,
    /// Mean rate the schedule intended, req/s (configured).
    pub intended_rate: f64,
    /// Requests actually sent.
    pub issued: u64,
    /// Requests not sent because they were more than `drop_after` late.
    pub dropped: u64,
    /// Sent requests still unanswered at the drain deadline (counted as timeouts).
    pub unfinished: u64,
    /// Largest number of requests in flight at once (sum of per-worker peaks: an upper bound).
    pub in_flight_peak: u64,
    /// Issued requests per second of wall time (achieved).
    pub achieved_rate: f64,
    /// 99th percentile of scheduler lag.
    pub lag_p99_ns: Nanos,
    /// Lag p99 above the configured bound, or any request dropped: the generator (or the
    /// runtime it shares with the target) could not keep the schedule, so latency figures
    /// include the generator's own delay.
    pub saturated: bool,
}

/// The result of [`run`](super::run): merged histograms, outcomes and generator health.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Completion − intended start, for every answered request — failures and per-request
    /// timeouts included (as wrk2 does), so fast errors cannot hide slow successes unnoticed:
    /// read it together with `errors`.
    pub latency: LatencyRecorder,
    /// Completion − actual send.
    pub service_time: LatencyRecorder,
    /// Actual send − intended start.
    pub scheduler_lag: LatencyRecorder,
    /// Outcomes by kind (dropped and unfinished included).
    pub errors: ErrorStats,
    /// Successful completions in each whole second of the run.
    pub per_second: Vec<u64>,
    /// Wall time from start until the last worker finished.
    pub elapsed: Duration,
    /// Length of the schedule (configured).
    pub scheduled: Duration,
    /// Generator health.
    pub health: GeneratorHealth,
}

impl LoadReport {
    pub(super) fn merge(
        schedule: &CompiledSchedule,
        config: &LoadConfig,
        workers: usize,
        results: Vec<WorkerResult>,
    ) -> Self {
        let mut latency = LatencyRecorder::new();
        let mut service_time = LatencyRecorder::new();
        let mut scheduler_lag = LatencyRecorder::new();
        let mut errors = ErrorStats::default();
        let mut per_second: Vec<u64> = Vec::new();
        let (mut issued, mut peak, mut elapsed) = (0, 0, Duration::ZERO);
        for r in results {
            latency.merge(&r.latency);
            service_time.merge(&r.service);
            scheduler_lag.merge(&r.lag);
            errors.merge(&r.errors);
            issued += r.issued;
            peak += r.in_flight_peak as u64;
            elapsed = elapsed.max(r.finished);
            if per_second.len() < r.per_second.len() {
                per_second.resize(r.per_second.len(), 0);
            }
            for (acc, n) in per_second.iter_mut().zip(&r.per_second) {
                *acc += n;
            }
        }
        let dropped = errors.count(ErrorKind::Dropped);
        let unfinished = issued.saturating_sub(latency.len());
        let lag_p99 = scheduler_lag.value_at_quantile(0.99);
        let health = GeneratorHealth {
            workers,
            intended: schedule.total_requests(),
            intended_rate: schedule.mean_rate(),
            issued,
            dropped,
            unfinished,
            in_flight_peak: peak,
            achieved_rate: if elapsed.is_zero() { 0.0 } else { issued as f64 / elapsed.as_secs_f64() },
            lag_p99_ns: lag_p99,
            saturated: dropped > 0 || lag_p99.as_duration() > config.saturation_lag,
        };
        LoadReport {
            latency,
            service_time,
            scheduler_lag,
            errors,
            per_second,
            elapsed,
            scheduled: schedule.duration(),
            health,
        }
    }

    /// Successful requests per second of wall time.
    pub fn requests_per_second(&self) -> f64 {
        if self.elapsed.is_zero() { 0.0 } else { self.errors.succeeded() as f64 / self.elapsed.as_secs_f64() }
    }

    /// Highest completed-requests count in any whole second (the last, partial second excluded).
    pub fn peak_requests_per_second(&self) -> Option<f64> {
        let full = self.elapsed.as_secs() as usize;
        self.per_second.iter().take(full).max().map(|&n| n as f64)
    }

    /// A [`SystemMetrics`] named `name` holding this run's throughput, latency, lag and errors.
    /// Add resource figures from a [`ResourceSampler`](crate::resource::ResourceSampler) run
    /// alongside.
    pub fn to_system_metrics(&self, name: impl Into<String>, context: RunContext) -> SystemMetrics {
        let mut m = SystemMetrics::new(name, context);
        m.throughput.requests_per_second = Some(self.requests_per_second());
        m.throughput.peak_requests_per_second = self.peak_requests_per_second();
        m.latency = Some(self.latency.summary());
        m.service_time = Some(self.service_time.summary());
        m.scheduler_lag = Some(self.scheduler_lag.summary());
        m.errors = self.errors.clone();
        m.generator = Some(self.health.clone());
        m
    }
}
