//! How the agent orchestrator scales from 1 to 10,000 agents: spawn time, routing, capability
//! lookup (criterion), and memory per idle agent (heap bytes retained and RSS growth, written
//! as graded `SystemMetrics` under `target/noisegate/scalability/`). See
//! `workloads::suite::orchestrator::scalability`.
//!
//! This binary installs the instrumented allocator to count heap bytes per agent; its counting
//! (a few relaxed atomic adds per allocation) is included in the spawn and routing times here.
//!
//! Run: `cargo bench --bench scalability`.

use std::alloc::System;

use bench_core::alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use bench_core::flamegraph::FlamegraphProfiler;
use bench_core::targets::Targets;
use criterion::Criterion;
use workloads::orchestrator::NativeSystem;
use workloads::suite::{self, RunOptions};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    // Benchmarks written after this instant are the ones this run measured (for the gate).
    let started = std::time::SystemTime::now();
    let opts = RunOptions::from_env();
    let cwd = std::env::current_dir().unwrap_or_default();
    let targets = Targets::discover(&cwd).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let rt = suite::runtime();
    // Footprint first: once criterion has spawned and freed thousands of agents, the allocator
    // reuses those pages and RSS no longer grows.
    if opts.measuring {
        suite::orchestrator::scalability::footprint(&rt, "orchestrator", NativeSystem::new, &opts, &targets);
    }
    let mut c = Criterion::default().with_profiler(FlamegraphProfiler::new(997)).configure_from_args();
    // `noisegate ab` runs criterion benchmarks and scenarios in separate processes.
    c = bench_core::cargo_hook::Phase::current().apply(c);
    suite::orchestrator::scalability::scalability(&mut c, &rt, "orchestrator", NativeSystem::new);
    c.final_summary();
    // With `--baseline NAME`, judge this run against NAME and exit 1 on a confident regression.
    std::process::exit(bench_core::cargo_hook::after_bench(started));
}
