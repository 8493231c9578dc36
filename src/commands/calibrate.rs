//! `noisegate calibrate`: A/A runs → per-benchmark run-to-run noise → baselines/calibration.json.

use std::path::PathBuf;

use anyhow::Context;
use bench_core::baseline::Fingerprint;
use bench_core::criterion::CriterionDir;
use bench_core::gate::{self, CALIBRATION_FILE, Calibration, GateConfig, Series};
use bench_core::results::ResultsDir;

use super::Outcome;
use super::benches::{self, RoundEnv};
use super::judge::{self, Dirs};
use crate::cli::{BuildArgs, GateArgs, Locations};

pub struct CalibrateArgs<'a> {
    pub runs: usize,
    pub from: &'a [String],
    pub output: Option<PathBuf>,
    pub build: &'a BuildArgs,
    pub locations: &'a Locations,
    pub gate: &'a GateArgs,
    pub bench_args: &'a [String],
}

/// Rounds a side the printed noise floors are computed for (the `ab` default).
const AB_ROUNDS: usize = 5;

pub fn run(a: CalibrateArgs<'_>) -> anyhow::Result<Outcome> {
    let config = judge::config(a.gate)?;
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let (dirs, names) = if a.from.is_empty() {
        if a.runs < 3 {
            anyhow::bail!("--runs {} is too few: at least 3 A/A runs are needed (10 or more recommended)", a.runs);
        }
        benches::check_bench_args(a.bench_args)?;
        let root = benches::workspace_root(&cwd)?;
        let target = benches::target_dir(&root)?;
        let exes = benches::build(&root, a.build, &target, "calibration")?;
        let dir = target.join("noisegate").join("calibrate");
        let env = RoundEnv {
            criterion_home: dir.join("criterion"),
            results_home: dir.join("noisegate"),
            log: dir.join("runs.log"),
        };
        for d in [&env.criterion_home, &env.results_home] {
            if d.exists() {
                std::fs::remove_dir_all(d).with_context(|| format!("cannot clear {}", d.display()))?;
            }
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
        }
        let names: Vec<String> = (1..=a.runs).map(|i| format!("noisegate-cal-{i}")).collect();
        for name in &names {
            let mut took = 0.0;
            for exe in &exes {
                took += benches::run_round(exe, a.bench_args, name, &env)?.as_secs_f64();
            }
            eprintln!("noisegate: calibration run {name}: {took:.1} s");
        }
        (Dirs { criterion: CriterionDir::at(&env.criterion_home), results: ResultsDir::at(&env.results_home) }, names)
    } else {
        (Dirs::locate(a.locations), a.from.to_vec())
    };

    let runs: Vec<Vec<Series>> = names
        .iter()
        .map(|n| {
            Ok(judge::side(&dirs, "calibration", std::slice::from_ref(n), std::path::Path::new("baselines"))?
                .data
                .series)
        })
        .collect::<anyhow::Result<_>>()?;
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let cal = Calibration::from_runs(&runs, Fingerprint::detect(), created)?;
    let path = match a.output.or_else(|| a.gate.calibration.clone()) {
        Some(p) => p,
        None => benches::workspace_root(&cwd).unwrap_or(cwd).join("baselines").join(CALIBRATION_FILE),
    };
    // Calibrating some benchmarks (a --bench or name filter) keeps the others' stored noise.
    let cal = if path.is_file() {
        let older = Calibration::load(&path).with_context(|| {
            format!("cannot merge with the existing {} (fix or delete it; nothing was written)", path.display())
        })?;
        cal.merged_into(older)
    } else {
        cal
    };
    cal.save(&path)
        .with_context(|| format!("cannot write the calibration to {} (choose a writable --output)", path.display()))?;
    print_table(&cal, &config);
    println!(
        "wrote {} ({} runs, {} benchmarks); `noisegate compare` and `ab` in this project use it from now on",
        path.display(),
        cal.runs,
        cal.benchmarks.len()
    );
    Ok(Outcome::Passed)
}

/// One line per benchmark: its noise and the smallest change it reliably shows.
fn print_table(cal: &Calibration, config: &GateConfig) {
    let width = cal.benchmarks.keys().map(String::len).max().unwrap_or(9).max(9);
    // `ab` judges back-to-back pairs; `compare` of separate runs judges them unpaired.
    let ab = GateConfig { paired: true, ..*config };
    let unpaired = GateConfig { paired: false, ..*config };
    println!(
        "{:<width$}  {:>8}  {:>8}  {:>16}  {:>16}  smallest reliable regression with `ab`",
        "benchmark",
        "run sd",
        "pair sd",
        format!("floor {AB_ROUNDS} unpaired"),
        format!("floor {AB_ROUNDS} ab pairs"),
    );
    for (id, n) in &cal.benchmarks {
        let floor = gate::noise_floor(n, AB_ROUNDS, &ab);
        let pair_sd = n.pair_sd.map_or_else(|| "n/a".to_owned(), |sd| format!("{:.2}%", 100.0 * sd));
        println!(
            "{id:<width$}  {:>7.2}%  {pair_sd:>8}  {:>15.2}%  {:>15.2}%  {:.1}% with {AB_ROUNDS} rounds a side{}",
            100.0 * n.run_sd,
            100.0 * gate::noise_floor(n, AB_ROUNDS, &unpaired),
            100.0 * floor,
            100.0 * floor.max(config.threshold),
            if floor > config.threshold { " (too noisy for the threshold: add rounds)" } else { "" }
        );
    }
}
