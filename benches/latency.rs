//! Request→response latency of the agent orchestrator: criterion round trips, then open-loop
//! runs at 50 % and 90 % of the measured maximum rate that write graded `SystemMetrics` under
//! `target/noisegate/latency/` (see `workloads::suite::orchestrator::latency`).
//!
//! Run: `cargo bench --bench latency` (`-- --quick` shortens the open-loop runs to 3 s each).

use bench_core::flamegraph::FlamegraphProfiler;
use bench_core::targets::Targets;
use criterion::Criterion;
use workloads::orchestrator::NativeSystem;
use workloads::suite::{self, RunOptions};

fn main() {
    // Benchmarks written after this instant are the ones this run measured (for the gate).
    let started = std::time::SystemTime::now();
    let opts = RunOptions::from_env();
    let targets = load_targets();
    let mut c = Criterion::default().with_profiler(FlamegraphProfiler::new(997)).configure_from_args();
    // `noisegate ab` runs criterion benchmarks and scenarios in separate processes.
    c = bench_core::cargo_hook::Phase::current().apply(c);
    let rt = suite::runtime();
    suite::orchestrator::latency::latency(&mut c, &rt, "orchestrator", NativeSystem::new);
    c.final_summary();
    if opts.measuring {
        suite::orchestrator::latency::open_loop(&rt, "orchestrator", NativeSystem::new, &opts, &targets);
    }
    // With `--baseline NAME`, judge this run against NAME and exit 1 on a confident regression.
    std::process::exit(bench_core::cargo_hook::after_bench(started));
}

fn load_targets() -> Targets {
    let cwd = std::env::current_dir().unwrap_or_default();
    Targets::discover(&cwd).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    })
}
