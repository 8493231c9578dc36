//! The Raft cluster under seeded faults (see `workloads::cluster::faults`): every scenario over
//! many seeds on turmoil's simulated network, Raft's safety invariants checked at every step,
//! and the distribution of recovery times in **simulated** time. Each scenario's figures are
//! written as `SystemMetrics` to `target/noisegate/cluster_faults/<scenario>/<baseline>/` and
//! graded against the Caxton recovery targets (`recovery_time_s`: 95th percentile of the time
//! to the first acknowledged write after the fault).
//!
//! Run: `cargo bench --bench cluster_faults` (50 seeds per scenario; `-- --quick`: 20), a
//! positional filter selects scenarios by name, `-- --seeds N` sets the count, and
//! `-- --scenario NAME --seed N` replays one run (with `NOISEGATE_FAULT_DEBUG=1` it prints every
//! state change). Exit codes: 0 every invariant held, 1 a violation (the seed and the replay
//! command are printed), 2 bad arguments.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use bench_core::results::ResultsDir;
use bench_core::targets::Targets;
use workloads::cluster::faults::{self, Scenario, ScenarioSummary};
use workloads::cluster::store::StoreFault;
use workloads::suite::RunOptions;

struct Args {
    seeds: u64,
    scenario: Option<Scenario>,
    seed: Option<u64>,
}

fn parse(args: &[String], quick: bool) -> Result<Args, String> {
    let mut a = Args { seeds: if quick { 20 } else { 50 }, scenario: None, seed: None };
    let mut it = args.iter().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "--seeds" => {
                let v = value("--seeds")?;
                a.seeds = v.parse().ok().filter(|n| (1..=10_000).contains(n)).ok_or_else(|| {
                    format!("--seeds {v}: give a count from 1 to 10000 (20 or more for a distribution)")
                })?;
            }
            "--seed" => {
                let v = value("--seed")?;
                a.seed = Some(v.parse().map_err(|_| format!("--seed {v}: give an unsigned integer"))?);
            }
            "--scenario" => a.scenario = Some(value("--scenario")?.parse()?),
            _ => {}
        }
    }
    if a.seed.is_some() && a.scenario.is_none() {
        return Err("--seed replays one run: give its --scenario too".into());
    }
    Ok(a)
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let opts = RunOptions::from_env();
    // Not a criterion target: nothing to list, and nothing to do in `noisegate ab`'s criterion phase.
    if !opts.measuring {
        return ExitCode::SUCCESS;
    }
    let args = match parse(&argv, opts.quick) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let (Some(s), Some(seed)) = (args.scenario, args.seed) {
        return match faults::run(s, seed, StoreFault::None) {
            Ok(o) => {
                println!("{o:#?}");
                ExitCode::SUCCESS
            }
            Err(v) => {
                eprintln!("VIOLATION: {v}");
                ExitCode::from(1)
            }
        };
    }
    let targets = Targets::discover(&std::env::current_dir().unwrap_or_default()).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let chosen: Vec<Scenario> = Scenario::ALL
        .into_iter()
        .filter(|s| args.scenario.is_none_or(|x| x == *s))
        .filter(|s| opts.selects(&format!("cluster_faults/{}", s.as_str())))
        .collect();
    println!(
        "cluster_faults: {} scenario(s) × {} seeds, {:?} of simulated time each (every figure below is simulated time)",
        chosen.len(),
        args.seeds,
        ScenarioSummary::simulated_per_run()
    );
    let results = ResultsDir::locate();
    for s in chosen {
        let started = Instant::now();
        let mut runs = Vec::new();
        for seed in 0..args.seeds {
            match faults::run(s, seed, StoreFault::None) {
                Ok(o) => runs.push(o),
                Err(v) => {
                    eprintln!("VIOLATION: {v}");
                    return ExitCode::from(1);
                }
            }
        }
        let summary = ScenarioSummary::of(s, &runs);
        println!("{summary}");
        let metrics = summary.to_metrics(bench_core::run_context!(started.elapsed(), Duration::ZERO));
        println!("  (took {:.1} s of wall-clock time)", started.elapsed().as_secs_f64());
        let mut evaluation = targets.evaluate_sets(&metrics, |set| set == "caxton");
        // The fault suite measures recovery only: the set's other metrics belong to other targets.
        evaluation.graded.retain(|g| g.value.is_some());
        match results.write(&summary.id(), &opts.baseline, "metrics.json", &metrics) {
            Ok(path) => println!("  wrote {}", path.display()),
            Err(e) => eprintln!("  could not write results: {e}"),
        }
        println!("{evaluation}");
    }
    ExitCode::SUCCESS
}
