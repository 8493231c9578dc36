//! Latency recording on HdrHistogram.
//!
//! Method: every sample goes into an [`hdrhistogram::Histogram`] covering 1 ns to one hour at
//! three significant decimal digits, so any reported value is within 0.1 % of the recorded one
//! and memory stays fixed (≈ 250 KiB) however many samples arrive — no sample store. Each thread
//! or task owns its own [`LatencyRecorder`] (recording is a plain `&mut` increment, no lock, no
//! atomic); recorders are merged with [`LatencyRecorder::merge`] when the run ends.
//!
//! Closed-loop correction ([`LatencyRecorder::record_correct`]) back-fills the samples a
//! closed-loop client *would* have taken had it not been stalled (G. Tene, "How NOT to Measure
//! Latency"; HdrHistogram's `recordValueWithExpectedInterval`). A recorder that used it says so in
//! its summary (`corrected = true`) and every report labels such figures as corrected. The
//! open-loop generator in `load` needs no correction: it measures from intended start.

mod summary;

use std::time::Duration;

use hdrhistogram::Histogram;

pub use summary::LatencySummary;

use crate::units::Nanos;

/// Lowest value the histograms distinguish: 1 ns.
pub const LOWEST_NS: u64 = 1;
/// Highest value recorded without clamping: one hour (the issue asks for at least 60 s).
pub const HIGHEST_NS: u64 = 3_600 * 1_000_000_000;
/// Significant decimal digits kept: values are exact to within 10⁻³ relative.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// A per-thread (or per-task) latency histogram. Not `Sync` by design: share by merging.
#[derive(Debug, Clone)]
pub struct LatencyRecorder {
    hist: Histogram<u64>,
    corrected: bool,
    clamped: u64,
}

impl Default for LatencyRecorder {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyRecorder {
    /// An empty recorder covering [`LOWEST_NS`]..=[`HIGHEST_NS`] at [`SIGNIFICANT_DIGITS`].
    pub fn new() -> Self {
        let hist = Histogram::new_with_bounds(LOWEST_NS, HIGHEST_NS, SIGNIFICANT_DIGITS)
            .expect("constant histogram bounds are valid");
        LatencyRecorder { hist, corrected: false, clamped: 0 }
    }

    /// Records one latency. Values above [`HIGHEST_NS`] are recorded as `HIGHEST_NS` and counted
    /// in [`LatencySummary::clamped`], so an absurd outlier is visible rather than lost.
    #[inline]
    pub fn record(&mut self, latency: Duration) {
        self.record_ns(Nanos::from_duration(latency).0);
    }

    /// Records one latency given in nanoseconds (see [`Self::record`]).
    #[inline]
    pub fn record_ns(&mut self, ns: u64) {
        let v = if ns > HIGHEST_NS {
            self.clamped += 1;
            HIGHEST_NS
        } else {
            ns
        };
        // In range by construction, so this cannot fail.
        let _ = self.hist.record(v);
    }

    /// Records `latency` and, when it exceeds `expected_interval`, the samples a closed-loop
    /// client issuing one request per `expected_interval` missed while it waited
    /// (`latency − interval`, `latency − 2·interval`, …). Marks the recorder as corrected.
    pub fn record_correct(&mut self, latency: Duration, expected_interval: Duration) {
        let ns = Nanos::from_duration(latency).0;
        let interval = Nanos::from_duration(expected_interval).0;
        self.corrected = true;
        let v = if ns > HIGHEST_NS {
            self.clamped += 1;
            HIGHEST_NS
        } else {
            ns
        };
        let _ = self.hist.record_correct(v, interval);
    }

    /// Adds every sample of `other` into `self` (the per-thread merge).
    pub fn merge(&mut self, other: &LatencyRecorder) {
        // Same bounds on both sides by construction, so `add` cannot fail.
        let _ = self.hist.add(&other.hist);
        self.corrected |= other.corrected;
        self.clamped += other.clamped;
    }

    /// Number of recorded samples (including back-filled corrected ones).
    pub fn len(&self) -> u64 {
        self.hist.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }

    /// True when any sample was recorded through [`Self::record_correct`].
    pub fn is_corrected(&self) -> bool {
        self.corrected
    }

    /// The value at quantile `q` (0..=1), nearest-rank, reported at its bucket's upper edge.
    pub fn value_at_quantile(&self, q: f64) -> Nanos {
        Nanos(self.hist.value_at_quantile(q))
    }

    /// Count, min, mean, p50 … p99.9, max of what was recorded.
    pub fn summary(&self) -> LatencySummary {
        LatencySummary::from_histogram(&self.hist, self.corrected, self.clamped)
    }

    /// Iterates `(quantile, value)` pairs at `steps_per_half` resolution, for distribution plots.
    pub fn percentile_curve(&self, steps_per_half: u32) -> Vec<(f64, Nanos)> {
        if self.hist.is_empty() {
            return Vec::new();
        }
        self.hist
            .iter_quantiles(steps_per_half)
            .map(|v| (v.quantile_iterated_to(), Nanos(v.value_iterated_to())))
            .collect()
    }

    /// The underlying histogram, for callers that need HdrHistogram's own API.
    pub fn histogram(&self) -> &Histogram<u64> {
        &self.hist
    }

    /// Clears all samples, keeping the allocation (for interval recorders).
    pub fn reset(&mut self) {
        self.hist.reset();
        self.corrected = false;
        self.clamped = 0;
    }
}

#[cfg(test)]
mod tests;
