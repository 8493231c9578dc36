//! A run's time series: one measured point per interval of the measured phase, saved beside
//! `metrics.json` as `timeline.json` so reports can draw throughput, latency and resources over
//! time (and the summary file stays small enough for the gate to read quickly).
//!
//! Every point is measured over its own interval: latency percentiles come from that interval's
//! histogram, not the run's cumulative one, so a slow minute shows as a slow minute.

use serde::{Deserialize, Serialize};

use super::ClockKind;

/// File name of a run's timeline inside its results directory.
pub const TIMELINE_FILE: &str = "timeline.json";

/// Version of the on-disk timeline layout written by this build.
pub const TIMELINE_SCHEMA: u32 = 1;

/// One interval of a run. `None` = not measured in this interval (never zero for "unknown").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// End of the interval, seconds since the start of the measured phase.
    pub t_s: f64,
    /// Request rate the schedule asked for during the interval (configured, per second).
    pub offered_per_s: Option<f64>,
    /// Requests completed successfully per second (measured).
    pub completed_per_s: f64,
    /// Requests that failed in the interval.
    pub errors: u64,
    /// Requests the generator could not send in time in the interval.
    pub dropped: u64,
    /// Latency (from the intended start) of the interval's requests, milliseconds.
    pub latency_p50_ms: Option<f64>,
    /// 99th percentile latency of the interval's requests, milliseconds.
    pub latency_p99_ms: Option<f64>,
    /// Slowest request of the interval, milliseconds.
    pub latency_max_ms: Option<f64>,
    /// Resident memory at the end of the interval, MiB.
    pub rss_mb: Option<f64>,
    /// Process CPU over the interval, percent of the whole machine.
    pub cpu_percent: Option<f64>,
    /// Label of the schedule phase (e.g. `warmup`, `step 3 (200 %)`, `burst 2`); `None` when the
    /// schedule has no phases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
}

/// A run's time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// Layout version, [`TIMELINE_SCHEMA`].
    pub schema_version: u32,
    /// Scenario name, as in the run's `SystemMetrics`.
    pub name: String,
    /// Length of each interval, seconds.
    pub interval_s: f64,
    /// Whether `t_s` is wall-clock or simulated time.
    pub clock: ClockKind,
    /// The points, in time order.
    pub points: Vec<TimelinePoint>,
}

impl Timeline {
    /// An empty timeline for `name` with intervals of `interval_s` seconds.
    pub fn new(name: impl Into<String>, interval_s: f64, clock: ClockKind) -> Self {
        Timeline { schema_version: TIMELINE_SCHEMA, name: name.into(), interval_s, clock, points: Vec::new() }
    }
}
