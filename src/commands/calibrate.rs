//! `noisegate calibrate`: A/A runs → per-benchmark run-to-run noise → `baselines/`.
//!
//! Pairs of runs are made as `ab` makes them (see [`super::duet`]): as duets, written to
//! `baselines/calibration-duet.json`, or one after the other, written to
//! `baselines/calibration.json`. Each comparison reads the file of its own pairing.

use std::path::PathBuf;

use anyhow::Context;
use bench_core::baseline::Fingerprint;
use bench_core::calibration::{Calibration, Pairing};
use bench_core::cargo_hook::Phase;
use bench_core::criterion_output::CriterionDir;
use bench_core::gate::{self, Figure, GateConfig, Series};
use bench_core::results::ResultsDir;
use bench_core::sides;

use super::Outcome;
use super::benches::{self, RoundEnv};
use super::duet;
use super::judge::{self, Dirs};
use crate::cli::{BuildArgs, GateArgs, Locations, ModeArg};

pub(super) struct CalibrateArgs<'a> {
    pub runs: usize,
    pub mode: Option<ModeArg>,
    pub from: &'a [String],
    pub output: Option<PathBuf>,
    pub build: &'a BuildArgs,
    pub locations: &'a Locations,
    pub gate: &'a GateArgs,
    pub bench_args: &'a [String],
}

/// Rounds a side the printed noise floors are computed for (the `ab` default).
const AB_ROUNDS: usize = 5;

pub(super) fn run(a: CalibrateArgs<'_>) -> anyhow::Result<Outcome> {
    let config = judge::config(a.gate)?;
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    // Saved runs were made one after the other; new ones are made as `ab` would pair them.
    let mode = if a.from.is_empty() { duet::resolve(a.mode)? } else { ModeArg::Alternate };
    let (pairing, figure) = match mode {
        ModeArg::Duet => (Pairing::Duet, Figure::TotalOverIterations),
        ModeArg::Alternate => (Pairing::BackToBack, Figure::Median),
    };
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
            phase: Phase::All,
        };
        let scenario_home = dir.join("criterion-scenarios");
        for d in [&env.criterion_home, &env.results_home, &scenario_home] {
            if d.exists() {
                std::fs::remove_dir_all(d).with_context(|| format!("cannot clear {}", d.display()))?;
            }
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
        }
        let _ = std::fs::remove_file(&env.log);
        // Duets come in twos: an odd --runs gets one more run.
        let runs = if mode == ModeArg::Duet { a.runs.next_multiple_of(2) } else { a.runs };
        let names: Vec<String> = (1..=runs).map(|i| format!("noisegate-cal-{i}")).collect();
        match mode {
            ModeArg::Alternate => {
                for name in &names {
                    let mut took = 0.0;
                    for exe in &exes {
                        took += benches::run_round(exe, a.bench_args, name, &env)?.as_secs_f64();
                    }
                    eprintln!("noisegate: calibration run {name}: {took:.1} s");
                }
            }
            ModeArg::Duet => {
                // Both sides of every duet are this tree's executables: an A/A pair.
                let mut plan = duet::Plan::new([&exes, &exes], a.bench_args, scenario_home)?;
                for (pair, two) in names.chunks_exact(2).enumerate() {
                    let took = plan.round(pair + 1, None, [&two[0], &two[1]], &env)?;
                    eprintln!("noisegate: calibration pair {}/{}: {took}", pair + 1, runs / 2);
                }
            }
        }
        (Dirs { criterion: CriterionDir::at(&env.criterion_home), results: ResultsDir::at(&env.results_home) }, names)
    } else {
        (Dirs::locate(a.locations), a.from.to_vec())
    };

    let mut runs: Vec<Vec<Series>> = Vec::with_capacity(names.len());
    let mut digests = Vec::with_capacity(names.len());
    for n in &names {
        let baselines = std::path::Path::new("baselines");
        let data = judge::side(&dirs, "calibration", std::slice::from_ref(n), baselines, figure)?.data;
        digests.extend(data.digests);
        runs.push(data.series);
    }
    // One run named twice (or copied under two names) would fake a 0 % noise.
    sides::check_distinct(&names, &digests)?;
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let cal = Calibration { pairing, ..Calibration::from_runs(&runs, Fingerprint::detect(), created)? };
    let path = match a.output.or_else(|| a.gate.calibration.clone()) {
        Some(p) => p,
        None => benches::workspace_root(&cwd).unwrap_or(cwd).join("baselines").join(pairing.file_name()),
    };
    // Calibrating some benchmarks (a --bench or name filter) keeps the others' stored noise.
    let cal = if path.is_file() {
        let older = Calibration::load(&path).with_context(|| {
            format!("cannot merge with the existing {} (fix or delete it; nothing was written)", path.display())
        })?;
        if older.pairing != cal.pairing {
            anyhow::bail!(
                "{} holds a calibration of {} pairs and this one is of {} pairs; write it elsewhere (--output) or delete the file (nothing was written)",
                path.display(),
                older.pairing.as_str(),
                cal.pairing.as_str()
            );
        }
        cal.merged_into(older)
    } else {
        cal
    };
    cal.save(&path)
        .with_context(|| format!("cannot write the calibration to {} (choose a writable --output)", path.display()))?;
    print_table(&cal, &config);
    println!(
        "wrote {} ({} runs in {} pairs, {} benchmarks); {} in this project use it from now on",
        path.display(),
        cal.runs,
        cal.pairing.as_str(),
        cal.benchmarks.len(),
        match cal.pairing {
            Pairing::Duet => "`noisegate ab` (duets) and `compare --figure total`",
            Pairing::BackToBack => "`noisegate compare` and `ab --mode alternate`",
        }
    );
    Ok(Outcome::Passed)
}

/// One line per benchmark: its noise and the smallest change it reliably shows.
fn print_table(cal: &Calibration, config: &GateConfig) {
    let width = cal.benchmarks.keys().map(String::len).max().unwrap_or(9).max(9);
    // `ab` judges pairs (duets or back to back, as calibrated); `compare` of separate runs
    // judges them unpaired.
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
