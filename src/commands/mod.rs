//! Each subcommand as a pipeline of named steps returning an [`Outcome`].

mod ab;
mod baseline;
mod benches;
mod calibrate;
mod compare;
mod duet;
mod grade;
mod judge;
mod locations;
mod report;
mod targets;
mod trend;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use bench_core::targets::Targets;

use crate::cli::{BaselineCommand, Cli, Command};

/// Exit code of a run that could not be judged (see the crate docs).
pub(crate) const EXIT_ERROR: u8 = 2;

/// How a successful run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing failed the check.
    Passed,
    /// The check failed (a confident regression, or a critical grade).
    CheckFailed,
    /// Some benchmarks could not be judged (the report says which); exit 2.
    CannotJudge,
}

impl From<bench_core::gate::Outcome> for Outcome {
    fn from(o: bench_core::gate::Outcome) -> Self {
        match o {
            bench_core::gate::Outcome::Passed => Outcome::Passed,
            bench_core::gate::Outcome::Regressed => Outcome::CheckFailed,
            bench_core::gate::Outcome::CannotJudge => Outcome::CannotJudge,
        }
    }
}

impl Outcome {
    pub(crate) fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Passed => ExitCode::SUCCESS,
            Outcome::CheckFailed => ExitCode::from(1),
            Outcome::CannotJudge => ExitCode::from(EXIT_ERROR),
        }
    }
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Targets { config, metrics } => targets::run(config.as_deref(), metrics),
        Command::Grade { files, config, sets } => grade::run(&files, config.as_deref(), &sets),
        Command::Report {
            paths,
            baseline,
            compare_to,
            format,
            output,
            config,
            sets,
            results_dir,
            history,
            no_history,
        } => report::run(report::ReportArgs {
            paths: &paths,
            baseline: &baseline,
            compare_to: compare_to.as_deref(),
            format,
            output: output.as_deref(),
            config: config.as_deref(),
            sets: &sets,
            results_dir: results_dir.as_deref(),
            history: if no_history { None } else { Some(history.as_deref()) },
        }),
        Command::Trend {
            scenarios,
            metrics,
            baseline,
            format,
            output,
            history,
            min_shift,
            min_segment,
            alpha,
            permutations,
            seed,
        } => trend::run(trend::TrendArgs {
            scenarios,
            metrics: &metrics,
            baseline,
            format,
            output: output.as_deref(),
            history: history.as_deref(),
            min_shift,
            min_segment,
            alpha,
            permutations,
            seed,
        }),
        Command::Compare { base, head, paired, figure, locations, gate, output } => {
            compare::run(&base, &head, paired, figure, &locations, &gate, &output)
        }
        Command::Calibrate { runs, from, mode, output, build, locations, gate, bench_args } => {
            calibrate::run(calibrate::CalibrateArgs {
                runs,
                mode,
                from: &from,
                output,
                build: &build,
                locations: &locations,
                gate: &gate,
                bench_args: &bench_args,
            })
        }
        Command::Ab { base, mode, rounds, max_rounds, build, gate, output, bench_args } => ab::run(ab::AbArgs {
            base: &base,
            mode,
            rounds,
            max_rounds,
            build: &build,
            gate: &gate,
            output: &output,
            bench_args: &bench_args,
        }),
        Command::Baseline(BaselineCommand::Export { name, dir, locations }) => {
            baseline::export(&name, &dir, &locations)
        }
        Command::Baseline(BaselineCommand::Import { name, as_name, dir, locations }) => {
            baseline::import(&name, as_name.as_deref(), &dir, &locations)
        }
    }
}

/// Loads targets from an explicit file, or discovers them from the current directory.
fn load_targets(config: Option<&Path>) -> anyhow::Result<Targets> {
    let targets = match config {
        Some(p) => Targets::load(p)?,
        None => {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            Targets::discover(&cwd)?
        }
    };
    // A file replaces the built-in targets whole, so an empty one grades nothing: say so.
    if let (true, Some(origin)) = (targets.sets.is_empty(), &targets.origin) {
        eprintln!(
            "note: {} defines no [targets.*] set, so nothing is graded (a file replaces the built-in targets: delete it to grade against them, or add `[targets.NAME]` tables)",
            origin.display()
        );
    }
    Ok(targets)
}
