//! Gating straight from `cargo bench -- --baseline NAME`: [`criterion_main!`](crate::criterion_main)
//! runs the benchmark groups, then [`after_bench`], which judges the benchmarks this process
//! just ran against baseline NAME, prints the verdict table and gives the exit code.
//!
//! One round a side cannot measure run-to-run noise, so this path leans on the project's
//! calibration (`baselines/calibration.json`, from `noisegate calibrate --mode alternate`); without one it
//! assumes [`ASSUMED_RUN_SD`](crate::gate::ASSUMED_RUN_SD) and says so in every row.

mod phase;

pub use phase::{PHASE_ENV, Phase};

use std::io::IsTerminal;
use std::time::SystemTime;

use crate::calibration::{Calibration, Pairing};
use crate::criterion_output::CriterionDir;
use crate::gate::{Comparison, GateConfig, Outcome, judge};
use crate::report::{Format, RenderOptions, render};
use crate::results::{LATEST, ResultsDir};
use crate::sides::{CollectError, CollectOptions, collect_side};

/// The baseline a bench run compares against: `--baseline NAME`, `--baseline=NAME`, `-b NAME`
/// or `--baseline-lenient NAME`; `None` when the run only saves.
pub fn baseline_to_compare(args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        for flag in ["--baseline", "--baseline-lenient"] {
            if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
                return Some(v.to_owned());
            }
        }
        if matches!(a.as_str(), "--baseline" | "-b" | "--baseline-lenient") {
            return it.next().cloned();
        }
    }
    None
}

/// Judges the benchmarks written since `started` against baseline `name`; `Ok(None)` when
/// nothing was run (e.g. a name filter matched nothing).
pub fn gate_run(
    criterion: &CriterionDir,
    results: &ResultsDir,
    name: &str,
    started: SystemTime,
    calibration: Option<&Calibration>,
) -> Result<Option<Comparison>, CollectError> {
    let head = collect_side(
        criterion,
        results,
        &[LATEST.to_owned()],
        CollectOptions { since: Some(started), ..Default::default() },
    )?;
    if head.series.is_empty() {
        return Ok(None);
    }
    let mut base = collect_side(criterion, results, &[name.to_owned()], CollectOptions::default())?;
    // Benchmarks this process did not run are not "removed": keep only those it ran.
    base.series.retain(|s| head.series.iter().any(|h| h.id == s.id));
    let noise = calibration.map(|c| c.benchmarks.clone()).unwrap_or_default();
    let config = GateConfig::default();
    let here = crate::baseline::Fingerprint::detect();
    let base_fp = crate::baseline::fingerprint_of(criterion, name).unwrap_or_else(|| here.clone());
    let warnings = crate::baseline::machine_warnings(&base_fp, &here, calibration.map(|c| &c.fingerprint));
    let rows = judge(&base.series, &head.series, &noise, &config);
    Ok(Some(Comparison {
        base_names: vec![name.to_owned()],
        head_names: vec![LATEST.to_owned()],
        config,
        rows,
        warnings,
    }))
}

/// What [`criterion_main!`](crate::criterion_main) calls after criterion finished: 0 when the
/// run saved or had no confident regression, 1 on a confident regression, 2 when the gate
/// could not judge (the reason is printed).
pub fn after_bench(started: SystemTime) -> i32 {
    let args: Vec<String> = std::env::args().collect();
    let Some(name) = baseline_to_compare(&args) else { return 0 };
    let criterion = CriterionDir::locate(None);
    let results = ResultsDir::locate();
    let calibration = match std::env::current_dir().ok().and_then(|d| Calibration::discover(&d, Pairing::BackToBack)) {
        Some(path) => match Calibration::load(&path) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("noisegate: {e}");
                return 2;
            }
        },
        None => None,
    };
    match gate_run(&criterion, &results, &name, started, calibration.as_ref()) {
        Ok(None) => 0,
        Ok(Some(cmp)) => {
            let color = std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
            println!("\nnoisegate gate (baseline `{name}`):");
            print!("{}", render(&cmp, Format::Text, &RenderOptions { color }).body);
            // criterion's `--baseline-lenient` accepts benchmarks the baseline lacks; so does the gate.
            if cmp.nothing_judged().is_some() && args.iter().any(|a| a == "--baseline-lenient") {
                println!("(--baseline-lenient: nothing to compare is not an error)");
                return 0;
            }
            exit_code(cmp.outcome())
        }
        Err(e) => {
            eprintln!("noisegate: cannot judge against baseline `{name}`: {e}");
            2
        }
    }
}

fn exit_code(o: Outcome) -> i32 {
    match o {
        Outcome::Passed => 0,
        Outcome::Regressed => 1,
        Outcome::CannotJudge => 2,
    }
}

/// Drop-in replacement for criterion's `criterion_main!`: runs the groups, criterion's final
/// summary, then — when the bench was given `--baseline NAME` — noisegate's gate, exiting 1 on
/// a confident regression. `use bench_core::criterion_main;` instead of criterion's.
#[macro_export]
macro_rules! criterion_main {
    ( $( $group:path ),+ $(,)* ) => {
        fn main() {
            let started = ::std::time::SystemTime::now();
            // In `noisegate ab`'s scenarios phase there is nothing for criterion to run.
            if $crate::cargo_hook::Phase::current() != $crate::cargo_hook::Phase::Scenarios {
                $( $group(); )+
            }
            ::criterion::Criterion::default().configure_from_args().final_summary();
            ::std::process::exit($crate::cargo_hook::after_bench(started));
        }
    };
}
