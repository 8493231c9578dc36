//! The gate's accuracy, measured: A/A false alarms and detection of +2 %, +5 % and +10 % of
//! exactly known extra work, for noisegate's gate and for criterion's own change verdict, on
//! the machine it runs on.
//!
//! Run: `cargo bench --bench gate_accuracy` (20 rounds, about 18 minutes on a 2-core machine;
//! `-- --quick` for 13 rounds, `-- --rounds N` to choose, `-- --reuse` to re-judge the rounds
//! of the last run without measuring; `-- --duet` for duet mode, below; `-- --probe` for the
//! 40-second probe of whether the noise belongs to a process or to a CPU, see `probe`;
//! `-- --through-ab N` for N whole `noisegate ab` runs per variant, see `through_ab`). Writes `target/noisegate/gate_accuracy/report.md` and
//! keeps the rounds (criterion's files under `criterion/`, criterion's printed verdicts in
//! `runs.json`). The target has `bench = false`: plain `cargo bench` does not run it.
//!
//! # Design
//! Every round runs one process per variant: `cal` (A, used only to calibrate the gate), `base`
//! (A), `aa` (A again), `p2`, `p5`, `p10` (B with 2, 5, 10 % more work units). Each process
//! runs the three kernels with short criterion settings (0.5 s warm-up, 1 s measurement).
//! `base` runs first and is saved as a criterion baseline; the other variants run in an order
//! that rotates every round, each with `--baseline` pointing at that round's base, so criterion
//! prints its own verdict for exactly the pair (one run a side, its default significance and
//! noise threshold). noisegate's gate judges the same runs as a CI `ab` would: five rounds a
//! side, each round's base and variant runs judged as a pair, one batch of extra rounds (to
//! ten, or twenty in duet mode, as `ab`'s `--max-rounds` defaults; judged at alpha / 2) for unresolved suspects, noise calibrated from the `base`/`cal`
//! A/A pairs of rounds the comparison does not use, its default threshold and alpha. Its comparisons are many random draws of rounds from the pool (deterministic
//! seed); draws share rounds, so the report states how many disjoint comparisons the data
//! really hold.

//!
//! # Duet mode (`--duet`)
//! Each variant runs at the same time as a base run of its own, one kernel at a time (a
//! criterion name filter), both processes pinned to the same CPU, two such duets at once (one
//! per CPU). The scheduler interleaves the two in millisecond slices, so a slow spell of that
//! CPU (on the development machine: a neighbour on its physical core, lasting 0.4–2 s) slows
//! both alike and cancels in their ratio. A run's figure is then its total time over total
//! iterations (`Figure::TotalOverIterations`, as `noisegate ab` judges its duets), and the gate judges on between-run variance
//! alone. criterion's own verdicts are not recorded in this mode.

mod experiment;
mod kernels;
mod probe;
mod through_ab;

use std::time::Duration;

use criterion::Criterion;

/// Environment variable that makes the executable a single measured variant.
const CHILD: &str = "NOISEGATE_ACCURACY_EXTRA_PCT";
/// Environment variable that pins a variant to one CPU (duet mode).
const CPU: &str = "NOISEGATE_ACCURACY_CPU";

fn main() {
    if let Some(secs) = std::env::var(probe::PROBE).ok().and_then(|s| s.parse().ok()) {
        if let Some(cpu) = std::env::var(CPU).ok().and_then(|c| c.parse::<usize>().ok()) {
            pin_to(cpu);
        }
        probe::probe(secs);
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--through-ab") {
        if let Err(e) = through_ab::run(&args) {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
        return;
    }
    if std::env::args().any(|a| a == "--probe") {
        if let Err(e) = probe::run() {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
        return;
    }
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
    if let Some(cpu) = std::env::var(CPU).ok().and_then(|c| c.parse::<usize>().ok()) {
        pin_to(cpu);
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    kernels::bench_all(&mut c, extra_pct);
    c.final_summary();
}

/// Pins this process to logical CPU `cpu` (Linux; elsewhere duet mode runs unpinned).
fn pin_to(cpu: usize) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `set` is a zeroed, valid cpu_set_t; CPU_SET writes inside it; the call only
        // reads it.
        let rc = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
        };
        if rc != 0 {
            eprintln!("gate_accuracy: cannot pin to CPU {cpu}: {}", std::io::Error::last_os_error());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpu;
}
