//! The gate accuracy experiment's three kernels as a plain criterion target, for measuring
//! `noisegate ab` end to end: `cargo bench --bench gate_accuracy -- --through-ab` clones the
//! repository, sets [`EXTRA_PCT`] in the clone's working tree (the head) and runs
//! `noisegate ab --base HEAD -p bench-core --bench accuracy_kernels` against the committed code
//! (the base, 0 %). Not run by plain `cargo bench` (`bench = false`). It lives in `bench-core` so
//! that building it twice (base and head) does not build the WASM and orchestrator workloads.

#[path = "../../../benches/gate_accuracy/kernels.rs"]
mod kernels;

use std::time::Duration;

use criterion::{Criterion, criterion_group};

/// Percent more work units than the committed kernels; the experiment edits this line.
const EXTRA_PCT: u64 = 0;

fn accuracy(c: &mut Criterion) {
    kernels::bench_all(c, EXTRA_PCT);
}

criterion_group! {
    name = benches;
    // The experiment's settings: 0.5 s warm-up, 1 s measurement.
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(1));
    targets = accuracy
}
bench_core::criterion_main!(benches);
