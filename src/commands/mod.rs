//! Each subcommand as a pipeline of named steps returning an [`Outcome`].

mod grade;
mod targets;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use bench_core::targets::Targets;

use crate::cli::{Cli, Command};

/// Exit code of a run that could not be judged (see the crate docs).
pub const EXIT_ERROR: u8 = 2;

/// How a successful run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing failed the check.
    Passed,
    /// The check failed (critical grade).
    CheckFailed,
}

impl Outcome {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Passed => ExitCode::SUCCESS,
            Outcome::CheckFailed => ExitCode::from(1),
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Targets { config, metrics } => targets::run(config.as_deref(), metrics),
        Command::Grade { files, config, sets } => grade::run(&files, config.as_deref(), &sets),
    }
}

/// Loads targets from an explicit file, or discovers them from the current directory.
fn load_targets(config: Option<&Path>) -> anyhow::Result<Targets> {
    Ok(match config {
        Some(p) => Targets::load(p)?,
        None => {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            Targets::discover(&cwd)?
        }
    })
}
