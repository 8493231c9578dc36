//! Throughput of the agent orchestrator beside raw `tokio::sync::mpsc` (see
//! `workloads::suite::orchestrator::throughput` for every group and case).
//!
//! Run: `cargo bench --bench throughput` (`-- --quick` for a fast pass, a name filter such as
//! `-- route_1to1` to select, `-- --profile-time 10` for flamegraphs under
//! `target/criterion/<id>/profile/flamegraph.svg`).

use bench_core::flamegraph::FlamegraphProfiler;
use criterion::Criterion;
use workloads::orchestrator::NativeSystem;
use workloads::suite;

fn main() {
    // Benchmarks written after this instant are the ones this run measured (for the gate).
    let started = std::time::SystemTime::now();
    let mut c = Criterion::default().with_profiler(FlamegraphProfiler::new(997)).configure_from_args();
    // `noisegate ab` runs criterion benchmarks and scenarios in separate processes.
    c = bench_core::cargo_hook::Phase::current().apply(c);
    let rt = suite::runtime();
    suite::orchestrator::throughput::throughput(&mut c, &rt, "orchestrator", NativeSystem::new);
    c.final_summary();
    // With `--baseline NAME`, judge this run against NAME and exit 1 on a confident regression.
    std::process::exit(bench_core::cargo_hook::after_bench(started));
}
