//! `noisegate grade`: grade stored SystemMetrics against the targets.

use std::path::{Path, PathBuf};

use bench_core::results::read_system_metrics;
use bench_core::targets::Verdict;

use super::Outcome;

pub(super) fn run(files: &[PathBuf], config: Option<&Path>, sets: &[String]) -> anyhow::Result<Outcome> {
    let targets = super::load_targets(config)?;
    check_sets_exist(&targets, sets)?;
    // Read every file first: one corrupt file fails the run before anything is printed.
    let metrics = files.iter().map(|f| read_system_metrics(f)).collect::<Result<Vec<_>, _>>()?;
    let mut worst = Verdict::Pass;
    for (file, m) in files.iter().zip(&metrics) {
        let eval = targets.evaluate_sets(m, |s| sets.is_empty() || sets.iter().any(|x| x == s));
        println!("{} ({}, {} on {})", m.name, file.display(), clock_label(m), m.context.host.cpu_model);
        println!("{eval}");
        println!();
        if eval.verdict == Verdict::Fail {
            worst = Verdict::Fail;
        }
    }
    Ok(if worst == Verdict::Fail { Outcome::CheckFailed } else { Outcome::Passed })
}

fn clock_label(m: &bench_core::metrics::SystemMetrics) -> &'static str {
    match m.context.clock {
        bench_core::metrics::ClockKind::WallClock => "wall-clock",
        bench_core::metrics::ClockKind::Simulated => "simulated time",
    }
}

fn check_sets_exist(targets: &bench_core::targets::Targets, sets: &[String]) -> anyhow::Result<()> {
    for s in sets {
        if !targets.sets.iter().any(|t| &t.name == s) {
            let known: Vec<_> = targets.sets.iter().map(|t| t.name.as_str()).collect();
            anyhow::bail!("no target set named `{s}`; known sets: {}", known.join(", "));
        }
    }
    Ok(())
}
