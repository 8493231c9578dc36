//! Consensus: the Raft cluster (openraft) under client load — criterion groups for replicated
//! writes (1–7 nodes, in-process and TCP, 1–1,024 clients), linearizable reads, the runtime's
//! share, and two references (the bare state machine; openraft's own benchmark cluster), then
//! open-loop commit latency at 50 % and 90 % of the measured maximum write rate for 1, 3 and 5
//! nodes, written as graded `SystemMetrics` under `target/noisegate/consensus/` (see
//! `workloads::suite::cluster`).
//!
//! Run: `cargo bench --bench consensus` (`-- --quick`: the quick profile, under 90 s on two
//! cores: no 7-node, TCP only at 3 nodes, no 1,024-client cases, shorter open-loop runs).

use bench_core::flamegraph::FlamegraphProfiler;
use bench_core::targets::Targets;
use criterion::Criterion;
use workloads::suite::{RunOptions, cluster};

fn main() {
    // Benchmarks written after this instant are the ones this run measured (for the gate).
    let started = std::time::SystemTime::now();
    let opts = RunOptions::from_env();
    let targets = Targets::discover(&std::env::current_dir().unwrap_or_default()).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let mut c = Criterion::default().with_profiler(FlamegraphProfiler::new(997)).configure_from_args();
    // `noisegate ab` runs criterion benchmarks and scenarios in separate processes.
    c = bench_core::cargo_hook::Phase::current().apply(c);
    let rt = cluster::runtime();
    cluster::benches(&mut c, &rt, &opts);
    c.final_summary();
    if opts.measuring {
        cluster::open_loop(&opts, &targets);
    }
    // With `--baseline NAME`, judge this run against NAME and exit 1 on a confident regression.
    std::process::exit(bench_core::cargo_hook::after_bench(started));
}
