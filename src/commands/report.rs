//! `noisegate report`: a performance report of scenario runs, appended to the run history.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;
use bench_core::history::{Appended, History, HistoryError, Record};
use bench_core::report::run::{
    AnalysisOptions, ReportError, ReportFormat, RunReport, ThisMachine, discover, load_scenarios, render,
};
use bench_core::targets::{Targets, Verdict};

use super::Outcome;
use crate::cli::ReportFormatArg;

pub(super) struct ReportArgs<'a> {
    pub paths: &'a [PathBuf],
    pub baseline: &'a str,
    pub compare_to: Option<&'a str>,
    pub format: ReportFormatArg,
    pub output: Option<&'a Path>,
    pub config: Option<&'a Path>,
    pub sets: &'a [String],
    pub results_dir: Option<&'a Path>,
    /// `None`: do not append; `Some(None)`: the default history; `Some(Some(file))`: that file.
    pub history: Option<Option<&'a Path>>,
}

pub(super) fn format(f: ReportFormatArg) -> ReportFormat {
    match f {
        ReportFormatArg::Text => ReportFormat::Text,
        ReportFormatArg::Markdown => ReportFormat::Markdown,
        ReportFormatArg::Json => ReportFormat::Json,
        ReportFormatArg::Html => ReportFormat::Html,
    }
}

/// Writes `body` to `output` atomically (saying so on stdout), or prints it.
pub(super) fn emit(body: &str, output: Option<&Path>, what: &str) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            super::judge::write_output(path, body.as_bytes())?;
            println!("wrote {what} to {}", path.display());
        }
        None => print!("{body}"),
    }
    Ok(())
}

pub(super) fn run(a: ReportArgs<'_>) -> anyhow::Result<Outcome> {
    let targets = super::load_targets(a.config)?;
    check_sets_exist(&targets, a.sets)?;
    if a.compare_to == Some(a.baseline) && a.paths.is_empty() {
        anyhow::bail!(
            "--compare-to {0} compares the `{0}` runs with themselves; name another baseline (e.g. --compare-to main)",
            a.baseline
        );
    }
    let results = super::locations::results_dir(a.results_dir);
    let paths = if a.paths.is_empty() {
        let found = discover(results.root(), a.baseline)?;
        if found.is_empty() {
            return Err(ReportError::NoResults { root: results.root().into(), baseline: a.baseline.into() }.into());
        }
        found
    } else {
        a.paths.to_vec()
    };
    let inputs = load_scenarios(&paths, a.compare_to)?;
    let opts = AnalysisOptions {
        targets: &targets,
        sets: a.sets,
        this_machine: ThisMachine::detect(),
        generated_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
    };
    let report = RunReport::analyse(inputs, &opts);
    let body = render(&report, format(a.format))?;
    if let Some(file) = a.history {
        let history = match file {
            Some(f) => History::at(f),
            None => super::locations::history(&results),
        };
        append_history(&history, &report).with_context(|| {
            format!(
                "the run history {} was not updated, so the report was not written either (fix the path, choose another with --history FILE, or pass --no-history)",
                history.path().display()
            )
        })?;
    }
    // Written last, once everything that can fail has succeeded: a failed run leaves the old
    // output in place.
    emit(&body, a.output, &format!("the {} report of {} runs", a.format_name(), report.scenarios.len()))?;
    Ok(if report.verdict() == Verdict::Fail { Outcome::CheckFailed } else { Outcome::Passed })
}

impl ReportArgs<'_> {
    fn format_name(&self) -> &'static str {
        format(self.format).as_str()
    }
}

/// Appends every reported run once; says on stderr what it did and which lines it skipped.
fn append_history(history: &History, report: &RunReport) -> Result<(), HistoryError> {
    let (mut added, mut there) = (0, 0);
    let mut warned = std::collections::BTreeSet::new();
    for s in &report.scenarios {
        let (what, warnings) = history.append_new(&Record::from_metrics(&s.run.metrics, &s.run.baseline))?;
        for w in warnings {
            if warned.insert(w.line) {
                eprintln!("warning: {w}");
            }
        }
        match what {
            Appended::Added => added += 1,
            Appended::AlreadyThere => there += 1,
        }
    }
    let already = if there > 0 { format!(" ({there} already there)") } else { String::new() };
    eprintln!("history: appended {added} runs to {}{already}", history.path().display());
    Ok(())
}

fn check_sets_exist(targets: &Targets, sets: &[String]) -> anyhow::Result<()> {
    for s in sets {
        if !targets.sets.iter().any(|t| &t.name == s) {
            let known: Vec<_> = targets.sets.iter().map(|t| t.name.as_str()).collect();
            anyhow::bail!("no target set named `{s}`; known sets: {}", known.join(", "));
        }
    }
    Ok(())
}
