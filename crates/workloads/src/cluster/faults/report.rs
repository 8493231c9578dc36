//! A scenario's runs over many seeds, summarised: the distribution of recovery times (in
//! simulated time), the write outcomes, and a graded `SystemMetrics`.

use std::fmt;
use std::time::Duration;

use bench_core::metrics::{ClockKind, NetworkRates, SystemMetrics};

use super::{CLIENT_STOPS, Outcome, SETTLE, Scenario};

/// min, median, 95th percentile and max of a sample (nearest rank), simulated milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Smallest.
    pub min: f64,
    /// Median.
    pub median: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`; `None` when empty.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let rank = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Some(Spread { min: v[0], median: rank(0.5), p95: rank(0.95), max: v[v.len() - 1] })
    }
}

impl fmt::Display for Spread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "min {:.0} ms, median {:.0} ms, p95 {:.0} ms, max {:.0} ms",
            self.min, self.median, self.p95, self.max
        )
    }
}

/// One scenario over its seeds.
#[derive(Debug, Clone)]
pub struct ScenarioSummary {
    /// The scenario.
    pub scenario: Scenario,
    /// Seeds run.
    pub seeds: Vec<u64>,
    /// Time to a new leader (0 when the old one kept leading).
    pub to_leader: Option<Spread>,
    /// Runs in which no leader emerged after the fault.
    pub no_leader: usize,
    /// Time to the first acknowledged write after the fault.
    pub to_commit: Option<Spread>,
    /// Runs with no acknowledged write after the fault.
    pub no_commit: usize,
    /// Writes acknowledged, rejected, retried and lost, over all seeds.
    pub writes: [u64; 4],
    /// Reads answered.
    pub reads: u64,
    /// Messages and bytes between nodes, over all seeds.
    pub network: (u64, u64),
}

impl ScenarioSummary {
    /// Summarises the runs of one scenario.
    pub fn of(scenario: Scenario, runs: &[Outcome]) -> Self {
        let leader: Vec<f64> = runs.iter().filter_map(|o| o.to_leader_ms).collect();
        let commit: Vec<f64> = runs.iter().filter_map(|o| o.to_commit_ms).collect();
        let sum = |f: fn(&Outcome) -> u64| runs.iter().map(f).sum::<u64>();
        ScenarioSummary {
            scenario,
            seeds: runs.iter().map(|o| o.seed).collect(),
            to_leader: Spread::of(&leader),
            no_leader: runs.len() - leader.len(),
            to_commit: Spread::of(&commit),
            no_commit: runs.len() - commit.len(),
            writes: [sum(|o| o.acked), sum(|o| o.rejected), sum(|o| o.retried), sum(|o| o.lost)],
            reads: sum(|o| o.reads),
            network: (sum(|o| o.network.0), sum(|o| o.network.1)),
        }
    }

    /// The scenario's id in results: `cluster_faults/<scenario>`.
    pub fn id(&self) -> String {
        format!("cluster_faults/{}", self.scenario.as_str())
    }

    /// As `SystemMetrics` (clock: simulated). `recovery_time_s` is the 95th percentile of the
    /// time to the first acknowledged write after the fault: the client-visible recovery.
    pub fn to_metrics(&self, mut context: bench_core::metrics::RunContext) -> SystemMetrics {
        context.clock = ClockKind::Simulated;
        let simulated_s = (CLIENT_STOPS + SETTLE).as_secs_f64() * self.seeds.len() as f64;
        let mut m = SystemMetrics::new(self.id(), context);
        m.recovery_time_s = self.to_commit.map(|s| s.p95 / 1e3);
        let mib_s = self.network.1 as f64 / (1024.0 * 1024.0) / simulated_s;
        m.network = Some(NetworkRates { in_mb_s: mib_s, out_mb_s: mib_s });
        m.throughput.requests_per_second =
            Some(self.writes[0] as f64 / (simulated_s - SETTLE.as_secs_f64() * self.seeds.len() as f64));
        m
    }

    /// Simulated time per run.
    pub fn simulated_per_run() -> Duration {
        CLIENT_STOPS + SETTLE
    }
}

impl fmt::Display for ScenarioSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.scenario;
        writeln!(f, "fault scenario {} ({} nodes, {} seeds; simulated time)", s.as_str(), s.nodes(), self.seeds.len())?;
        let show = |x: Option<Spread>| x.map_or_else(|| "none".to_owned(), |x| x.to_string());
        writeln!(f, "  time to a new leader:   {} ({} run(s) without one)", show(self.to_leader), self.no_leader)?;
        writeln!(f, "  time to first commit:   {} ({} run(s) without one)", show(self.to_commit), self.no_commit)?;
        let [acked, rejected, retried, lost] = self.writes;
        writeln!(
            f,
            "  writes: {acked} acknowledged, {rejected} rejected, {retried} retried, {lost} lost; {} linearizable reads",
            self.reads
        )?;
        write!(f, "  network: {} messages, {:.1} MiB between nodes", self.network.0, self.network.1 as f64 / 1048576.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_uses_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        let s = Spread::of(&v).unwrap();
        assert_eq!((s.min, s.median, s.p95, s.max), (1.0, 10.0, 19.0, 20.0));
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(Spread::of(&[f64::NAN]), None);
    }
}
