//! The catalogue of gradeable metrics: each a key (as written in `noisegate.toml`), a unit, a
//! direction, and how to read it out of a [`SystemMetrics`].
//!
//! Units are part of the key (`latency_p99_ms`, `memory_peak_mb`) so a config value can never be
//! read in the wrong unit.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::SystemMetrics;
use crate::units::Nanos;

/// Whether larger or smaller values are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Throughput-like: more is better.
    Higher,
    /// Latency- and cost-like: less is better.
    Lower,
}

impl Direction {
    /// `"higher"` or `"lower"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
        }
    }

    /// True when `a` is at least as good as `b` in this direction.
    pub fn at_least_as_good(self, a: f64, b: f64) -> bool {
        match self {
            Direction::Higher => a >= b,
            Direction::Lower => a <= b,
        }
    }
}

macro_rules! catalogue {
    ($( $variant:ident => $key:literal, $unit:literal, $dir:ident, $doc:literal; )*) => {
        /// A metric that targets can be set on. See [`Metric::ALL`] for the list.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Metric {
            $( #[doc = $doc] $variant, )*
        }

        impl Metric {
            /// Every metric, in catalogue order.
            pub const ALL: &'static [Metric] = &[ $( Metric::$variant, )* ];

            /// The key used in `noisegate.toml` and reports.
            pub fn key(self) -> &'static str {
                match self { $( Metric::$variant => $key, )* }
            }

            /// The unit of the value (also the suffix of the key).
            pub fn unit(self) -> &'static str {
                match self { $( Metric::$variant => $unit, )* }
            }

            /// Which way is better.
            pub fn direction(self) -> Direction {
                match self { $( Metric::$variant => Direction::$dir, )* }
            }

            /// One-line description.
            pub fn description(self) -> &'static str {
                match self { $( Metric::$variant => $doc, )* }
            }
        }
    };
}

catalogue! {
    RequestsPerSecond => "requests_per_second", "req/s", Higher, "Successful requests per second";
    OperationsPerSecond => "operations_per_second", "op/s", Higher, "Workload operations per second";
    MessagesPerSecond => "messages_per_second", "msg/s", Higher, "Messages routed and delivered per second";
    DataTransferMbS => "data_transfer_mb_s", "MiB/s", Higher, "Payload bytes moved per second";
    LatencyMeanMs => "latency_mean_ms", "ms", Lower, "Mean latency";
    LatencyP50Ms => "latency_p50_ms", "ms", Lower, "Median latency";
    LatencyP75Ms => "latency_p75_ms", "ms", Lower, "75th percentile latency";
    LatencyP90Ms => "latency_p90_ms", "ms", Lower, "90th percentile latency";
    LatencyP95Ms => "latency_p95_ms", "ms", Lower, "95th percentile latency";
    LatencyP99Ms => "latency_p99_ms", "ms", Lower, "99th percentile latency";
    LatencyP999Ms => "latency_p999_ms", "ms", Lower, "99.9th percentile latency";
    LatencyMaxMs => "latency_max_ms", "ms", Lower, "Largest latency";
    SchedulerLagP99Ms => "scheduler_lag_p99_ms", "ms", Lower, "99th percentile of the load generator's lateness";
    CpuAvgPercent => "cpu_avg_percent", "%", Lower, "Average CPU, percent of the machine";
    CpuPeakPercent => "cpu_peak_percent", "%", Lower, "Peak CPU over one sampling tick, percent of the machine";
    MemoryAvgMb => "memory_avg_mb", "MiB", Lower, "Average resident memory";
    MemoryPeakMb => "memory_peak_mb", "MiB", Lower, "Peak resident memory";
    ThreadsPeak => "threads_peak", "threads", Lower, "Largest thread count";
    NetworkInMbS => "network_in_mb_s", "MiB/s", Higher, "Network ingress rate";
    NetworkOutMbS => "network_out_mb_s", "MiB/s", Higher, "Network egress rate";
    ErrorRatePercent => "error_rate_percent", "%", Lower, "Failed requests, percent of all";
    LinearScalingPercent => "linear_scaling_percent", "%", Higher, "throughput(n) / (n x throughput(1)) at the largest n";
    AgentSpawnMs => "agent_spawn_ms", "ms", Lower, "Time to spawn one agent";
    MemoryPerAgentMb => "memory_per_agent_mb", "MiB", Lower, "Memory attributable to one agent";
    CpuPerAgentPercent => "cpu_per_agent_percent", "%", Lower, "CPU of one agent, percent of one core";
    RecoveryTimeS => "recovery_time_s", "s", Lower, "Time to recover from an injected fault";
}

impl Metric {
    /// Reads this metric out of `m`; `None` when the run did not measure it.
    pub fn extract(self, m: &SystemMetrics) -> Option<f64> {
        let ms = |n: Nanos| n.as_millis_f64();
        let lat = m.latency.as_ref().filter(|l| l.count > 0);
        let res = m.resources.as_ref();
        match self {
            Metric::RequestsPerSecond => m.throughput.requests_per_second,
            Metric::OperationsPerSecond => m.throughput.operations_per_second,
            Metric::MessagesPerSecond => m.throughput.messages_per_second,
            Metric::DataTransferMbS => m.throughput.data_transfer_mb_s,
            Metric::LatencyMeanMs => lat.map(|l| l.mean_ns / 1e6),
            Metric::LatencyP50Ms => lat.map(|l| ms(l.p50_ns)),
            Metric::LatencyP75Ms => lat.map(|l| ms(l.p75_ns)),
            Metric::LatencyP90Ms => lat.map(|l| ms(l.p90_ns)),
            Metric::LatencyP95Ms => lat.map(|l| ms(l.p95_ns)),
            Metric::LatencyP99Ms => lat.map(|l| ms(l.p99_ns)),
            Metric::LatencyP999Ms => lat.map(|l| ms(l.p999_ns)),
            Metric::LatencyMaxMs => lat.map(|l| ms(l.max_ns)),
            Metric::SchedulerLagP99Ms => m.scheduler_lag.as_ref().filter(|l| l.count > 0).map(|l| ms(l.p99_ns)),
            Metric::CpuAvgPercent => res.and_then(|r| r.cpu_avg).map(|c| c.percent_of_machine),
            Metric::CpuPeakPercent => res.and_then(|r| r.cpu_peak).map(|c| c.percent_of_machine),
            Metric::MemoryAvgMb => res.and_then(|r| r.rss_avg_mb),
            Metric::MemoryPeakMb => res.and_then(|r| r.rss_peak_mb),
            Metric::ThreadsPeak => res.and_then(|r| r.threads_peak).map(|t| t as f64),
            Metric::NetworkInMbS => m.network.as_ref().map(|n| n.in_mb_s),
            Metric::NetworkOutMbS => m.network.as_ref().map(|n| n.out_mb_s),
            Metric::ErrorRatePercent => m.errors.error_rate_percent(),
            Metric::LinearScalingPercent => {
                m.scaling.as_ref().and_then(|s| s.efficiency_at_largest()).map(|e| 100.0 * e)
            }
            Metric::AgentSpawnMs => m.agents.as_ref().and_then(|a| a.spawn_time_ms),
            Metric::MemoryPerAgentMb => m.agents.as_ref().and_then(|a| a.memory_per_agent_mb),
            Metric::CpuPerAgentPercent => m.agents.as_ref().and_then(|a| a.cpu_per_agent_percent),
            Metric::RecoveryTimeS => m.recovery_time_s,
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The key names no catalogue metric.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown metric `{0}`")]
pub struct UnknownMetric(pub String);

impl FromStr for Metric {
    type Err = UnknownMetric;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL.iter().copied().find(|m| m.key() == s).ok_or_else(|| UnknownMetric(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_are_unique() {
        let mut keys: Vec<_> = Metric::ALL.iter().map(|m| m.key()).collect();
        for m in Metric::ALL {
            assert_eq!(m.key().parse::<Metric>().unwrap(), *m);
        }
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), Metric::ALL.len());
        assert!("latency_p42_ms".parse::<Metric>().is_err());
    }

    #[test]
    fn direction_compares() {
        assert!(Direction::Higher.at_least_as_good(2.0, 1.0));
        assert!(Direction::Lower.at_least_as_good(1.0, 1.0));
        assert!(!Direction::Lower.at_least_as_good(2.0, 1.0));
    }
}
