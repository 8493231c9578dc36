//! The gate's accuracy, measured: A/A false alarms and detection of +2 %, +5 % and +10 % of
//! exactly known extra work, for noisegate's gate and for criterion's own change verdict, on
//! the machine it runs on.
//!
//! Run: `cargo bench --bench gate_accuracy` (about 20 minutes on a 2-core machine;
//! `-- --quick` for a 5-minute smoke run, `-- --rounds N` to choose). Writes
//! `target/noisegate/gate_accuracy/report.md` and `results.json`.
//!
//! # Design
//! Every round runs one process per variant: `cal` (A, used only to calibrate the gate), `base`
//! (A), `aa` (A again), `p2`, `p5`, `p10` (B with 2, 5, 10 % more work units). Each process
//! runs the three kernels with short criterion settings (0.5 s warm-up, 1 s measurement).
//! `base` runs first and is saved as a criterion baseline; the other variants run in an order
//! that rotates every round, each with `--baseline` pointing at that round's base, so criterion
//! prints its own verdict for exactly the pair (one run a side, its default significance and
//! noise threshold). noisegate's gate judges the same runs as a CI `ab` would: five rounds a
//! side, extra rounds (up to ten) for unresolved suspects, calibrated noise from the `cal`
//! runs, its default threshold and alpha. Its comparisons are many random draws of rounds
//! from the pool (deterministic seed), so the rates' effective sample size is the number of
//! rounds, not the number of draws; the report says both.

mod experiment;
mod kernels;

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;

/// Environment variable that makes the executable a single measured variant.
const CHILD: &str = "NOISEGATE_ACCURACY_EXTRA_PCT";

fn main() {
    match std::env::var(CHILD) {
        Ok(pct) => child(pct.parse().expect("NOISEGATE_ACCURACY_EXTRA_PCT is a whole percentage")),
        Err(_) => {
            if let Err(e) = experiment::run(std::env::args().skip(1).collect()) {
                eprintln!("error: {e:#}");
                std::process::exit(2);
            }
        }
    }
}

/// One variant: the three kernels at `extra_pct` percent more work, under criterion.
fn child(extra_pct: u64) {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    let mut g = c.benchmark_group("accuracy");
    let cpu = kernels::units(kernels::CPU_UNITS, extra_pct);
    g.bench_function("cpu", |b| b.iter(|| kernels::cpu(black_box(cpu))));
    let chase = kernels::Chase::new();
    let steps = kernels::units(kernels::MEMORY_UNITS, extra_pct);
    g.bench_function("memory", |b| b.iter(|| chase.run(black_box(steps))));
    let maps = kernels::units(kernels::ALLOC_UNITS, extra_pct);
    g.bench_function("alloc", |b| b.iter(|| kernels::alloc(black_box(maps))));
    g.finish();
    c.final_summary();
}
