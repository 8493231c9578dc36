//! `SystemMetrics`: the one result type every noisegate scenario writes and every report reads.
//!
//! It holds each metric the seed documents name (ollama-distributed's `SystemMetrics`, Caxton's
//! performance table, MEZAN's KPIs and detailed metrics). A field is `None` when the run did not
//! measure it — "not measured" is never written as zero. The type is versioned on disk
//! (`schema_version`); readers refuse versions they do not know.

mod catalog;
mod context;
mod errors;
mod generator;
mod timeline;

use serde::{Deserialize, Serialize};

pub use catalog::{Direction, Metric};
pub use context::{ClockKind, HostInfo, RunContext};
pub use errors::{ErrorKind, ErrorStats};
pub use generator::{ClockSource, GeneratorHealth};
pub use timeline::{TIMELINE_FILE, TIMELINE_SCHEMA, Timeline, TimelinePoint};

use crate::latency::LatencySummary;
use crate::resource::ResourceSummary;

/// Version of the on-disk `SystemMetrics` layout written by this build.
pub const SCHEMA_VERSION: u32 = 1;

/// Rates of useful work.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Completed requests per second (requests that succeeded).
    pub requests_per_second: Option<f64>,
    /// Highest per-second request rate seen in the run.
    pub peak_requests_per_second: Option<f64>,
    /// Workload-specific operations per second (e.g. consensus rounds, lookups).
    pub operations_per_second: Option<f64>,
    /// Messages routed and delivered per second.
    pub messages_per_second: Option<f64>,
    /// Payload bytes moved per second, MiB/s.
    pub data_transfer_mb_s: Option<f64>,
}

/// Bytes a workload moved over its network (or simulated links), MiB/s.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkRates {
    /// Ingress.
    pub in_mb_s: f64,
    /// Egress.
    pub out_mb_s: f64,
}

/// Per-agent costs of an agent system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentMetrics {
    /// Agents alive during the run.
    pub agents: u64,
    /// Mean time to spawn one agent, milliseconds.
    pub spawn_time_ms: Option<f64>,
    /// Memory attributable to one agent, MiB.
    pub memory_per_agent_mb: Option<f64>,
    /// CPU of one agent as a percentage of one core.
    pub cpu_per_agent_percent: Option<f64>,
}

/// One point of a scaling series: throughput with `n` workers / nodes / agents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingPoint {
    /// Scale (nodes, agents, workers).
    pub n: u32,
    /// Throughput at that scale, per second.
    pub throughput: f64,
}

/// A throughput-versus-scale series, from which linear-scaling efficiency is derived.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScalingSeries {
    /// What `n` counts ("nodes", "agents", …).
    pub unit: String,
    /// Points in increasing `n`; efficiency needs the `n = 1` point.
    pub points: Vec<ScalingPoint>,
}

impl ScalingSeries {
    /// throughput(n) / (n · throughput(1)); `None` without a positive `n = 1` point.
    pub fn efficiency(&self, n: u32) -> Option<f64> {
        let one = self.points.iter().find(|p| p.n == 1)?.throughput;
        let at = self.points.iter().find(|p| p.n == n)?.throughput;
        (one > 0.0 && n > 0).then(|| at / (n as f64 * one))
    }

    /// Efficiency at the largest measured scale (what the `linear_scaling_efficiency` metric is).
    pub fn efficiency_at_largest(&self) -> Option<f64> {
        self.efficiency(self.points.iter().map(|p| p.n).max()?)
    }
}

/// Every metric of one run. See the module docs for the "None = not measured" rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemMetrics {
    /// Layout version; [`SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// Benchmark or scenario id, e.g. `latency/request_response/open_loop_50pct`.
    pub name: String,
    /// Where and how it was measured.
    pub context: RunContext,
    /// Work rates.
    pub throughput: Throughput,
    /// Latency from intended start to completion (open-loop) or per request (closed-loop).
    pub latency: Option<LatencySummary>,
    /// Time from actual send to completion, when the generator tracked it separately.
    pub service_time: Option<LatencySummary>,
    /// Delay between intended and actual send (the generator's own lateness).
    pub scheduler_lag: Option<LatencySummary>,
    /// CPU, memory, threads and storage I/O of the process.
    pub resources: Option<ResourceSummary>,
    /// Network rates, where the workload moves bytes.
    pub network: Option<NetworkRates>,
    /// Request outcomes by kind.
    pub errors: ErrorStats,
    /// Throughput-versus-scale series, where one was measured.
    pub scaling: Option<ScalingSeries>,
    /// Per-agent costs, for agent systems.
    pub agents: Option<AgentMetrics>,
    /// Time to recover from an injected fault, seconds.
    pub recovery_time_s: Option<f64>,
    /// Health of the load generator that drove the run (configured vs achieved rate, drops).
    pub generator: Option<GeneratorHealth>,
}

impl SystemMetrics {
    /// The share of the run's process CPU time the open-loop generator spent busy-waiting, where
    /// both were measured.
    pub fn generator_busy_wait_share(&self) -> Option<f64> {
        let spun = self.generator.as_ref()?.busy_wait_s?;
        let r = self.resources.as_ref()?;
        let cpu_s = r.cpu_avg?.cores * r.duration_s;
        (cpu_s > 0.0).then(|| (spun / cpu_s).min(1.0))
    }

    /// An empty result for `name` measured in `context`; fill the fields the run measured.
    pub fn new(name: impl Into<String>, context: RunContext) -> Self {
        SystemMetrics {
            schema_version: SCHEMA_VERSION,
            name: name.into(),
            context,
            throughput: Throughput::default(),
            latency: None,
            service_time: None,
            scheduler_lag: None,
            resources: None,
            network: None,
            errors: ErrorStats::default(),
            scaling: None,
            agents: None,
            recovery_time_s: None,
            generator: None,
        }
    }

    /// The value of a catalogue metric, in the metric's unit; `None` when not measured.
    pub fn value(&self, metric: Metric) -> Option<f64> {
        metric.extract(self)
    }
}
