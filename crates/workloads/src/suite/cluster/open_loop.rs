//! Commit latency free of coordinated omission, at 50 % and 90 % of the measured maximum write
//! rate, for 1, 3 and 5 in-process nodes.
//!
//! Per node count, on one cluster:
//!
//! 1. **Maximum write rate**, as the latency suite measures it: the generator scheduled far
//!    above capacity with 64 writes in flight at most (64 clients) for 2 s (`--quick`) or 5 s;
//!    committed writes per second of wall time.
//!
//! The generator and the cluster run on two runtimes of one worker thread each, so on two
//! cores each has one: a client machine and the system under test. Sharing one runtime, the
//! spinning generator and the nodes delayed each other (the generator saturated, and its lag
//! was half of the 3-node p99).
//! 2. **Open loop** at 50 % and 90 % of that rate for 3 s (`--quick`) or 10 s, with bench-core's
//!    generator (one worker, as the latency suite): every write has an intended start time and
//!    is issued then whether or not earlier writes finished, and its latency runs from that
//!    time to the commit acknowledgement (applied on the leader) — a stall delays every write
//!    scheduled behind it, as it would delay users, instead of pausing the clock.
//! 3. **`SystemMetrics`**: throughput and latency p50…p99.9 from the generator; CPU and memory
//!    from a sampler over the run; the nodes' traffic to each other from the transport's
//!    counters over the run (`messages_per_second`, and `network` in = out, since every byte
//!    one node sends another receives); and the scaling series below.
//!
//! **Scaling** is recorded in the metrics (`scaling`, unit `nodes`): the maximum write rates of
//! the node counts measured, so `linear_scaling_percent` = rate(5) / (5 × rate(1)). A Raft write
//! goes through the one leader and waits for a majority, so more nodes cannot add write
//! throughput: the series shows what each added replica costs.
//!
//! Results go to `target/noisegate/consensus/inproc/<n>n/open_loop_<pct>pct/<baseline>/` and are
//! graded against the `consensus` target set and the node count's `consensus_<n>n` set.

use std::sync::Arc;
use std::time::Duration;

use bench_core::load::{self, LoadConfig, RateSchedule, Request, from_fn};
use bench_core::metrics::{ErrorKind, NetworkRates, ScalingPoint, ScalingSeries, SystemMetrics};
use bench_core::resource::ResourceSampler;
use bench_core::results::ResultsDir;
use bench_core::targets::{Evaluation, Targets};
use tokio::runtime::Runtime;

use super::{CLIENTS, Kv, sole};
use crate::cluster::NetworkMode;
use crate::suite::RunOptions;

/// Node counts measured.
const NODES: [usize; 3] = [1, 3, 5];
/// Loads, in percent of the maximum write rate.
const PERCENTS: [u32; 2] = [50, 90];
const MIB: f64 = 1024.0 * 1024.0;

/// One open-loop run's outcome.
#[derive(Debug, Clone)]
pub struct ConsensusRun {
    /// Results id, `consensus/inproc/<n>n/open_loop_<pct>pct`.
    pub id: String,
    /// Nodes in the cluster.
    pub nodes: usize,
    /// Load, in percent of the measured maximum write rate.
    pub percent: u32,
    /// The measured maximum write rate, writes per second.
    pub max_rate: f64,
    /// What was measured.
    pub metrics: SystemMetrics,
    /// Its grades against the `consensus` and `consensus_<n>n` target sets.
    pub evaluation: Evaluation,
}

/// Measures, writes and grades the open-loop runs the name filter selects (see the module docs).
pub fn open_loop(opts: &RunOptions, targets: &Targets) -> Vec<ConsensusRun> {
    let mode = NetworkMode::InProc;
    let (rt, cluster_rt) = (one_worker("load-generator"), one_worker("cluster-nodes"));
    let rt = &rt;
    let mut runs = Vec::new();
    let mut rates = Vec::new();
    for n in NODES {
        let ids: Vec<(u32, String)> = PERCENTS
            .iter()
            .map(|&p| (p, format!("consensus/{}/{n}n/open_loop_{p}pct", mode.as_str())))
            .filter(|(_, id)| opts.selects(id))
            .collect();
        if ids.is_empty() {
            continue;
        }
        let kv = Arc::new(cluster_rt.block_on(Kv::start(n, mode)));
        let target = Arc::new(from_fn({
            let kv = kv.clone();
            move |req: Request| {
                let kv = kv.clone();
                // Spread over the clients' keys, as the criterion cases write them.
                async move { kv.put(req.seq % CLIENTS, req.seq / CLIENTS).await.map_err(|_| ErrorKind::Failed) }
            }
        }));
        let max_rate = rt.block_on(saturate(target.clone(), opts.pick(Duration::from_secs(2), Duration::from_secs(5))));
        rates.push((n, max_rate));
        println!(
            "consensus/{}/{n}n: maximum write rate {max_rate:.0} writes/s (generator scheduled far above capacity, \
             {CLIENTS} in flight; generator cost included; wall-clock)",
            mode.as_str()
        );
        // One generator worker on the generator's runtime. No per-request timeout: a timer per write would cost more than a commit.
        let config = LoadConfig { workers: Some(1), ..LoadConfig::default() };
        let duration = opts.pick(Duration::from_secs(3), Duration::from_secs(10));
        for (percent, id) in ids {
            let rate = max_rate * f64::from(percent) / 100.0;
            let schedule = RateSchedule::constant(rate, duration);
            let sampler = ResourceSampler::start().ok();
            let (messages_before, bytes_before) = kv.network();
            let report = rt
                .block_on(load::run(&schedule, &config, target.clone()))
                .unwrap_or_else(|e| panic!("{id}: open-loop run at {rate:.0} writes/s: {e}"));
            let (messages, bytes) = kv.network();
            let mut metrics = report.to_system_metrics(&id, bench_core::run_context!(report.elapsed, Duration::ZERO));
            metrics.resources = sampler.map(|s| s.stop().summary);
            let secs = report.elapsed.as_secs_f64();
            metrics.throughput.messages_per_second = Some((messages - messages_before) as f64 / secs);
            let mib_s = (bytes - bytes_before) as f64 / MIB / secs;
            metrics.network = Some(NetworkRates { in_mb_s: mib_s, out_mb_s: mib_s });
            let lat = report.latency.summary();
            println!(
                "{id}: {:.0} writes/s intended, {:.0} achieved; commit latency p50 {} p90 {} p99 {} p99.9 {} max {}; \
                 {:.0} node messages/s, {mib_s:.2} MiB/s between nodes{}",
                report.health.intended_rate,
                report.health.achieved_rate,
                lat.p50_ns,
                lat.p90_ns,
                lat.p99_ns,
                lat.p999_ns,
                lat.max_ns,
                (messages - messages_before) as f64 / secs,
                if report.health.saturated { " — GENERATOR SATURATED, latencies include its lag" } else { "" }
            );
            runs.push((n, percent, max_rate, id, metrics));
        }
        drop(target);
        cluster_rt.block_on(sole(kv).shutdown(&format!("consensus/{}/{n}n/open_loop", mode.as_str())));
    }

    let scaling = scaling(&rates);
    if let Some(s) = &scaling {
        let line: Vec<String> = s
            .points
            .iter()
            .map(|p| match s.efficiency(p.n) {
                Some(e) => format!(
                    "{}n {:.0}/s ({:.2} × 1n, efficiency {:.0} %)",
                    p.n,
                    p.throughput,
                    e * f64::from(p.n),
                    100.0 * e
                ),
                None => format!("{}n {:.0}/s", p.n, p.throughput),
            })
            .collect();
        println!(
            "consensus scaling (maximum write rate by nodes; efficiency = rate(n) / (n × rate(1)); in every run's \
             metrics.json as `scaling`): {}",
            line.join("; ")
        );
    }
    let results = ResultsDir::locate();
    runs.into_iter()
        .map(|(nodes, percent, max_rate, id, mut metrics)| {
            metrics.scaling = scaling.clone();
            let per_size = format!("consensus_{nodes}n");
            let evaluation = targets.evaluate_sets(&metrics, |set| set == "consensus" || set == per_size);
            println!("{id}:");
            match results.write(&id, &opts.baseline, "metrics.json", &metrics) {
                Ok(path) => println!("  wrote {}", path.display()),
                Err(e) => eprintln!("  could not write results: {e}"),
            }
            println!("{evaluation}");
            ConsensusRun { id, nodes, percent, max_rate, metrics, evaluation }
        })
        .collect()
}

/// A runtime with one worker thread: the generator and the cluster each get one, so on two
/// cores neither waits for the other's tasks (see the module docs).
fn one_worker(name: &str) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .thread_name(name)
        .build()
        .unwrap_or_else(|e| panic!("building the {name} runtime: {e}"))
}

/// Successful writes per second when the generator is scheduled far above what the cluster can
/// do, with [`CLIENTS`] writes outstanding at most: the rate the open-loop runs can drive, on a
/// machine whose cores the generator shares with the cluster.
async fn saturate<T: bench_core::load::Target>(target: Arc<T>, duration: Duration) -> f64 {
    let schedule = RateSchedule::constant(20_000_000.0, duration);
    let config = LoadConfig { workers: Some(1), max_in_flight: CLIENTS as usize, ..LoadConfig::default() };
    let report = load::run(&schedule, &config, target).await.expect("valid saturation schedule");
    report.errors.succeeded() as f64 / report.elapsed.as_secs_f64()
}

/// The maximum write rates as a scaling series; `None` unless the 1-node rate (the base of
/// the efficiency) and another were measured.
fn scaling(rates: &[(usize, f64)]) -> Option<ScalingSeries> {
    let has_base = rates.iter().any(|&(n, _)| n == 1);
    (has_base && rates.len() > 1).then(|| ScalingSeries {
        unit: "nodes".into(),
        points: rates.iter().map(|&(n, r)| ScalingPoint { n: n as u32, throughput: r }).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_needs_the_one_node_rate_and_another() {
        assert_eq!(scaling(&[(3, 10.0), (5, 8.0)]), None);
        assert_eq!(scaling(&[(1, 10.0)]), None);
        let s = scaling(&[(1, 10.0), (3, 15.0), (5, 10.0)]).unwrap();
        assert_eq!(s.efficiency_at_largest(), Some(0.2));
        assert_eq!(s.efficiency(3), Some(0.5));
    }
}
