//! The serializable latency summary every report and metrics file carries.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::units::Nanos;

/// Count, min, mean, the percentiles the seed documents name, and max — in nanoseconds.
///
/// Percentiles are nearest-rank and reported at the upper edge of their histogram bucket, so each
/// is at most 0.1 % above the exact sample value. `corrected` is true when closed-loop correction
/// back-filled samples: such figures are estimates of what an open-loop client would have seen
/// and every report labels them "corrected".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Samples recorded (including back-filled ones when `corrected`).
    pub count: u64,
    /// Smallest sample.
    pub min_ns: Nanos,
    /// Arithmetic mean of the samples (bucket midpoints).
    pub mean_ns: f64,
    /// Median.
    pub p50_ns: Nanos,
    /// 75th percentile.
    pub p75_ns: Nanos,
    /// 90th percentile.
    pub p90_ns: Nanos,
    /// 95th percentile.
    pub p95_ns: Nanos,
    /// 99th percentile.
    pub p99_ns: Nanos,
    /// 99.9th percentile.
    pub p999_ns: Nanos,
    /// Largest sample.
    pub max_ns: Nanos,
    /// Whether closed-loop correction contributed samples.
    pub corrected: bool,
    /// Samples above the histogram's one-hour ceiling, recorded at the ceiling.
    #[serde(default)]
    pub clamped: u64,
}

impl LatencySummary {
    pub(crate) fn from_histogram(h: &Histogram<u64>, corrected: bool, clamped: u64) -> Self {
        if h.is_empty() {
            return LatencySummary {
                count: 0,
                min_ns: Nanos(0),
                mean_ns: 0.0,
                p50_ns: Nanos(0),
                p75_ns: Nanos(0),
                p90_ns: Nanos(0),
                p95_ns: Nanos(0),
                p99_ns: Nanos(0),
                p999_ns: Nanos(0),
                max_ns: Nanos(0),
                corrected,
                clamped,
            };
        }
        let q = |q: f64| Nanos(h.value_at_quantile(q));
        LatencySummary {
            count: h.len(),
            min_ns: Nanos(h.min()),
            mean_ns: h.mean(),
            p50_ns: q(0.50),
            p75_ns: q(0.75),
            p90_ns: q(0.90),
            p95_ns: q(0.95),
            p99_ns: q(0.99),
            p999_ns: q(0.999),
            max_ns: Nanos(h.max()),
            corrected,
            clamped,
        }
    }

    /// The percentile rows in report order, each with its label (`"p50"` …).
    pub fn rows(&self) -> [(&'static str, Nanos); 8] {
        [
            ("min", self.min_ns),
            ("p50", self.p50_ns),
            ("p75", self.p75_ns),
            ("p90", self.p90_ns),
            ("p95", self.p95_ns),
            ("p99", self.p99_ns),
            ("p99.9", self.p999_ns),
            ("max", self.max_ns),
        ]
    }

    /// `" (corrected)"` when closed-loop correction was applied, else `""`: append to labels.
    pub fn label_suffix(&self) -> &'static str {
        if self.corrected { " (corrected)" } else { "" }
    }
}
