//! Unit-carrying newtypes for the figures noisegate stores and prints.
//!
//! A bare `f64` in a metrics file is an invitation to mix milliseconds with seconds; these types
//! make the unit part of the name, serialize as plain numbers, and keep the invariants below.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A duration in whole nanoseconds: the unit every latency histogram records in.
///
/// Invariant: none beyond `u64` (≈ 584 years); conversions from [`Duration`] saturate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Nanos(pub u64);

impl Nanos {
    /// Saturating conversion from a [`Duration`].
    pub fn from_duration(d: Duration) -> Self {
        Nanos(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }
    /// As a [`Duration`].
    pub fn as_duration(self) -> Duration {
        Duration::from_nanos(self.0)
    }
    /// In (fractional) milliseconds, the unit targets are written in.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
}

impl From<Duration> for Nanos {
    fn from(d: Duration) -> Self {
        Nanos::from_duration(d)
    }
}

impl fmt::Display for Nanos {
    /// Human scale: `850 ns`, `12.3 µs`, `4.56 ms`, `1.234 s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0 as f64;
        if self.0 < 1_000 {
            write!(f, "{} ns", self.0)
        } else if self.0 < 1_000_000 {
            write!(f, "{:.1} µs", n / 1e3)
        } else if self.0 < 1_000_000_000 {
            write!(f, "{:.2} ms", n / 1e6)
        } else {
            write!(f, "{:.3} s", n / 1e9)
        }
    }
}

/// CPU use of this process over an interval.
///
/// Invariant: `cores ≥ 0` and `percent_of_machine = 100 · cores / logical_cpus`, so a process
/// keeping one core of a 2-core machine busy reads `cores = 1.0`, `percent_of_machine = 50.0`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CpuUse {
    /// CPU seconds consumed per wall-clock second (1.0 = one core fully busy).
    pub cores: f64,
    /// `cores` as a percentage of every logical CPU of the machine.
    pub percent_of_machine: f64,
}

impl CpuUse {
    /// Builds the pair from cores used and the machine's logical CPU count.
    pub fn from_cores(cores: f64, logical_cpus: usize) -> Self {
        let cpus = logical_cpus.max(1) as f64;
        CpuUse { cores, percent_of_machine: 100.0 * cores / cpus }
    }
}

/// Bytes expressed as mebibytes (2²⁰ bytes) — what "MB" means in every noisegate report.
pub fn bytes_to_mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Compact number formatting for reports: integers without decimals, others to 3 significant.
pub(crate) fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanos_display_picks_a_human_scale() {
        assert_eq!(Nanos(850).to_string(), "850 ns");
        assert_eq!(Nanos(12_340).to_string(), "12.3 µs");
        assert_eq!(Nanos(4_560_000).to_string(), "4.56 ms");
        assert_eq!(Nanos(1_234_000_000).to_string(), "1.234 s");
    }

    #[test]
    fn nanos_from_duration_saturates() {
        assert_eq!(Nanos::from_duration(Duration::MAX), Nanos(u64::MAX));
        assert_eq!(Nanos::from(Duration::from_micros(3)), Nanos(3_000));
    }

    #[test]
    fn cpu_use_relates_cores_to_the_machine() {
        let c = CpuUse::from_cores(1.0, 2);
        assert_eq!(c.percent_of_machine, 50.0);
        assert_eq!(CpuUse::from_cores(0.5, 0).percent_of_machine, 50.0);
    }
}
