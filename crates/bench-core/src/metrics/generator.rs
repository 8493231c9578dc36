//! The load generator's account of itself, stored with a run's metrics: whether it kept to its
//! schedule and which clock it timed requests with. Defined here, beside [`SystemMetrics`](super::SystemMetrics),
//! so the result type does not depend on the generator that fills it in.

use serde::{Deserialize, Serialize};

use crate::units::Nanos;

/// Which clock a run's requests were timed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockSource {
    /// The CPU's time-stamp counter, scaled with a per-process calibration against the OS
    /// monotonic clock (wall-clock time).
    Tsc,
    /// The OS monotonic clock through tokio (wall-clock time, or tokio's paused clock in
    /// simulated runs).
    Os,
}

/// Whether the generator kept to its schedule. "Configured" figures come from the schedule,
/// "achieved" ones were measured. Counts cover the whole run, warm-up and cool-down included;
/// the lag percentile covers the measured phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorHealth {
    /// Worker tasks used.
    pub workers: usize,
    /// Requests the schedule intended (configured; closed loop with pacing: sent + skipped
    /// slots; closed loop without pacing: the requests sent).
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
    /// The clock the generator timed requests with (absent in files written before it was
    /// recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockSource>,
    /// Open loop: seconds the workers spent busy-waiting to send on time (gaps shorter than
    /// `spin_below`; measured wall-clock spells between yields to the runtime, so tasks the
    /// runtime ran meanwhile are not counted). This is the price of microsecond send times on
    /// a runtime whose timer has millisecond resolution; `spin_below = 0` trades it for sends
    /// up to ~1 ms late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy_wait_s: Option<f64>,
}
