//! Scalability: what 1, 10, 100, 1,000 and 10,000 agents cost.
//!
//! Criterion groups (ids `<group>/<system>/<agents>`):
//! - `spawn` — spawning N agents into a fresh system (elements/s = agents spawned per second;
//!   time / N = spawn time per agent). Shutdown is outside the timed region.
//! - `route_across` — 1,000 messages of 256 B rotated over N sinks (cold mailboxes and a large
//!   registry as N grows).
//! - `lookup` — counting the holders of one capability among N agents (each agent offers `sink`
//!   and one of ten `skill-k`).
//!
//! [`footprint`] measures memory per idle agent at each N: bytes retained on the heap (through
//! the instrumented allocator when the bench binary installs it) and RSS growth (N ≥ 1,000; a
//! page is 4 KiB, so smaller N cannot resolve it), and writes `SystemMetrics` with the agent
//! metrics to `target/noisegate/scalability/<system>/agents_<N>/`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_core::alloc::AllocCounter;
use bench_core::metrics::{AgentMetrics, SystemMetrics};
use bench_core::resource::current_rss_bytes;
use bench_core::results::ResultsDir;
use bench_core::targets::{Evaluation, Targets};
use criterion::{BenchmarkId, Criterion, Throughput};
use tokio::runtime::Runtime;

use super::reference::{Shape, SystemRoute, route_iterations};
use crate::orchestrator::{AgentId, AgentSystem, Role, Tally};
use crate::suite::RunOptions;

/// Agent counts the suite sweeps.
pub const SIZES: [usize; 5] = [1, 10, 100, 1_000, 10_000];

const SKILLS: [&str; 10] =
    ["skill-0", "skill-1", "skill-2", "skill-3", "skill-4", "skill-5", "skill-6", "skill-7", "skill-8", "skill-9"];

fn populate<S: AgentSystem>(sys: &S, n: usize, tally: &Arc<Tally>) -> Vec<AgentId> {
    (0..n)
        .map(|i| {
            sys.spawn(Role::Sink(tally.clone()), &["sink", SKILLS[i % SKILLS.len()]])
                .unwrap_or_else(|e| panic!("spawning agent {i} of {n}: {e}"))
        })
        .collect()
}

/// A system with `n` agents, their shared tally and ids.
type Populated<S> = (usize, Arc<S>, Arc<Tally>, Arc<[AgentId]>);

/// Runs the criterion groups for the system `make` builds (inside `rt`), named `name`.
pub fn scalability<S: AgentSystem>(c: &mut Criterion, rt: &Runtime, name: &str, make: impl Fn() -> S) {
    let mut g = c.benchmark_group("spawn");
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    for n in SIZES {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new(name, n), |b| {
            b.iter_custom(|iters| {
                let _in_runtime = rt.enter();
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let sys = make();
                    let tally = Tally::new();
                    let start = Instant::now();
                    std::hint::black_box(populate(&sys, n, &tally));
                    total += start.elapsed();
                    rt.block_on(sys.shutdown());
                }
                total
            })
        });
    }
    g.finish();

    // One populated system per size, shared by the routing and lookup groups.
    let _in_runtime = rt.enter();
    let systems: Vec<Populated<S>> = SIZES
        .into_iter()
        .map(|n| {
            let sys = Arc::new(make());
            let tally = Tally::new();
            let ids = populate(&*sys, n, &tally).into();
            (n, sys, tally, ids)
        })
        .collect();

    let mut g = c.benchmark_group("route_across");
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    let shape = Shape { senders: 1, receivers: 1, multicast: false, messages: 1000, payload: 256 };
    g.throughput(Throughput::Elements(shape.deliveries()));
    for (n, sys, tally, ids) in &systems {
        let route = Arc::new(SystemRoute(sys.clone()));
        g.bench_function(BenchmarkId::new(name, n), |b| {
            b.iter_custom(|iters| {
                let run = route_iterations(route.clone(), shape, ids.clone(), tally.clone(), iters);
                rt.block_on(rt.spawn(run)).expect("routing iterations panicked")
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("lookup");
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(1));
    for (n, sys, _, _) in &systems {
        let expected = (0..*n).filter(|i| i % SKILLS.len() == 3).count();
        assert_eq!(sys.count_capable("skill-3"), expected, "capability lookup among {n} agents");
        g.bench_function(BenchmarkId::new(name, n), |b| b.iter(|| sys.count_capable(std::hint::black_box("skill-3"))));
    }
    g.finish();
    for (_, sys, _, _) in systems {
        rt.block_on(sys.shutdown());
    }
}

/// Memory and spawn time per agent at one size.
#[derive(Debug, Clone)]
pub struct Footprint {
    /// Results id, `scalability/<system>/agents_<N>`.
    pub id: String,
    /// Agents spawned.
    pub agents: usize,
    /// Wall-clock spawn time per agent (one pass; criterion's `spawn` group has the statistics).
    pub spawn_per_agent: Duration,
    /// Heap bytes still allocated per idle agent after spawning; `None` without the
    /// instrumented allocator.
    pub heap_bytes_per_agent: Option<f64>,
    /// RSS growth per agent; `None` below 1,000 agents or where the OS does not report RSS.
    pub rss_bytes_per_agent: Option<f64>,
    /// What was written.
    pub metrics: SystemMetrics,
    /// Its grades.
    pub evaluation: Evaluation,
}

/// Measures memory and spawn time per idle agent at every size the filter selects.
pub fn footprint<S: AgentSystem>(
    rt: &Runtime,
    name: &str,
    make: impl Fn() -> S,
    opts: &RunOptions,
    targets: &Targets,
) -> Vec<Footprint> {
    let counter = AllocCounter::global().ok();
    if counter.is_none() {
        println!(
            "{name}: heap bytes per agent not measured (the bench binary does not install the instrumented allocator)"
        );
    }
    let mut out = Vec::new();
    for n in SIZES {
        let id = format!("scalability/{name}/agents_{n}");
        if !opts.selects(&id) {
            continue;
        }
        let _in_runtime = rt.enter();
        let sys = make();
        let tally = Tally::new();
        // Let the runtime settle so its own lazy allocations are not charged to the agents.
        rt.block_on(tokio::time::sleep(Duration::from_millis(20)));
        let rss_before = current_rss_bytes();
        let region = counter.map(|c| c.region());
        let start = Instant::now();
        let ids = populate(&sys, n, &tally);
        let spawn = start.elapsed();
        // Every agent task runs to its first wait for mail: now it is idle.
        rt.block_on(tokio::time::sleep(Duration::from_millis(50)));
        let usage = region.map(|r| r.finish(n as u64));
        let rss_after = current_rss_bytes();
        // The ids vector is the bench's, not the agents'.
        let ids_bytes = (ids.capacity() * std::mem::size_of::<AgentId>()) as f64;
        let heap = usage.map(|u| (u.net_bytes() as f64 - ids_bytes) / n as f64);
        let rss = match (rss_before, rss_after) {
            (Some(a), Some(b)) if n >= 1_000 => Some(b.saturating_sub(a) as f64 / n as f64),
            _ => None,
        };
        rt.block_on(sys.shutdown());
        drop(ids);

        let spawn_per_agent = spawn / n as u32;
        let mut metrics = SystemMetrics::new(&id, bench_core::run_context!(spawn, Duration::ZERO));
        let per_agent_bytes = heap.or(rss);
        metrics.agents = Some(AgentMetrics {
            agents: n as u64,
            spawn_time_ms: Some(spawn_per_agent.as_secs_f64() * 1e3),
            memory_per_agent_mb: per_agent_bytes.map(|b| b / (1024.0 * 1024.0)),
            cpu_per_agent_percent: None,
        });
        // The orchestrator is what Caxton's guide benchmarks: its targets and our own goals apply.
        let evaluation = targets.evaluate_sets(&metrics, |set| matches!(set, "caxton" | "orchestrator"));
        println!(
            "{id}: spawn {:?}/agent; heap {} /agent (retained, instrumented allocator); RSS growth {} /agent",
            spawn_per_agent,
            heap.map_or("not measured".into(), |b| format!("{b:.0} B")),
            rss.map_or("not resolvable".into(), |b| format!("{b:.0} B")),
        );
        match ResultsDir::locate().write(&id, &opts.baseline, "metrics.json", &metrics) {
            Ok(path) => println!("  wrote {}", path.display()),
            Err(e) => eprintln!("  could not write results: {e}"),
        }
        println!("{evaluation}");
        out.push(Footprint {
            id,
            agents: n,
            spawn_per_agent,
            heap_bytes_per_agent: heap,
            rss_bytes_per_agent: rss,
            metrics,
            evaluation,
        });
    }
    out
}
