//! Memory per routed message, spawned agent and request/response, measured by criterion in
//! allocated bytes (`*_bytes` groups) and allocator calls (`*_allocs` groups) instead of time,
//! so `--save-baseline` / `--baseline` work for memory as for time. See `workloads::suite::orchestrator::memory`.
//!
//! Run: `cargo bench --bench memory`.

use std::alloc::System;

use bench_core::alloc::{AllocatedBytes, Allocations, INSTRUMENTED_SYSTEM, StatsAlloc};
use criterion::Criterion;
use workloads::orchestrator::NativeSystem;
use workloads::suite;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    // Benchmarks written after this instant are the ones this run measured (for the gate).
    let started = std::time::SystemTime::now();
    let rt = suite::runtime();
    let bytes = AllocatedBytes::global().expect("the instrumented allocator is installed above");
    let mut c = Criterion::default().with_measurement(bytes).configure_from_args();
    // `noisegate ab` runs criterion benchmarks and scenarios in separate processes.
    c = bench_core::cargo_hook::Phase::current().apply(c);
    suite::orchestrator::memory::memory(&mut c, bytes, "bytes", &rt, "orchestrator", NativeSystem::new);
    c.final_summary();

    let calls = Allocations::global().expect("the instrumented allocator is installed above");
    let mut c = Criterion::default().with_measurement(calls).configure_from_args();
    // `noisegate ab` runs criterion benchmarks and scenarios in separate processes.
    c = bench_core::cargo_hook::Phase::current().apply(c);
    suite::orchestrator::memory::memory(&mut c, calls, "allocs", &rt, "orchestrator", NativeSystem::new);
    c.final_summary();
    // With `--baseline NAME`, judge this run against NAME and exit 1 on a confident regression.
    std::process::exit(bench_core::cargo_hook::after_bench(started));
}
