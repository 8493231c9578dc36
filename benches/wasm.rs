//! What running agents as WebAssembly costs against native code, and how memory limits behave
//! (see `workloads::suite::wasm` for every group and case, and `workloads::wasm` for the host).
//!
//! Run: `cargo bench --bench wasm` (`-- --quick` for a fast pass, a name filter such as
//! `-- wasm_overhead` to select, `--save-baseline NAME` / `--baseline NAME` as for any bench).
//! The WASM/native ratios computed from this run's medians are printed at the end.

use bench_core::flamegraph::FlamegraphProfiler;
use criterion::Criterion;
use workloads::suite;

fn main() {
    // Benchmarks written after this instant are the ones this run measured (for the gate).
    let started = std::time::SystemTime::now();
    let opts = suite::RunOptions::from_env();
    let mut c = Criterion::default().with_profiler(FlamegraphProfiler::new(997)).configure_from_args();
    // `noisegate ab` runs criterion benchmarks and scenarios in separate processes.
    c = bench_core::cargo_hook::Phase::current().apply(c);
    let rt = suite::runtime();
    let findings = suite::wasm::wasm(&mut c, &rt);
    c.final_summary();
    suite::wasm::report(started, &opts, &findings);
    // With `--baseline NAME`, judge this run against NAME and exit 1 on a confident regression.
    std::process::exit(bench_core::cargo_hook::after_bench(started));
}
