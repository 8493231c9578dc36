//! `noisegate compare`: judge two sides of saved rounds.

use std::path::Path;

use super::Outcome;
use super::judge::{self, Dirs};
use bench_core::calibration::Pairing;
use bench_core::gate::Figure;

use crate::cli::{FigureArg, GateArgs, Locations, OutputArgs};

pub(super) fn run(
    base: &[String],
    head: &[String],
    paired: bool,
    figure: FigureArg,
    loc: &Locations,
    gate: &GateArgs,
    out: &OutputArgs,
) -> anyhow::Result<Outcome> {
    let dirs = Dirs::locate(loc);
    let config = bench_core::gate::GateConfig { paired, ..judge::config(gate)? };
    // Totals over iterations come from duets, whose pairs have their own calibration.
    let (figure, pairing) = match figure {
        FigureArg::Median => (Figure::Median, Pairing::BackToBack),
        FigureArg::Total => (Figure::TotalOverIterations, Pairing::Duet),
    };
    let noise = judge::noise(gate, pairing)?;
    let latest = head.is_empty();
    let head: Vec<String> = if latest { vec![bench_core::results::LATEST.to_owned()] } else { head.to_vec() };
    check_names(base, &head)?;
    if paired && base.len() != head.len() {
        anyhow::bail!(
            "--paired needs as many head rounds as base rounds (got {} base, {} head): pair the i-th names of each side",
            base.len(),
            head.len()
        );
    }
    let baselines = Path::new("baselines");
    let base = judge::side(&dirs, "base", base, baselines, figure)?;
    let mut head = judge::side(&dirs, "head", &head, baselines, figure)?;
    let stale = if latest { head.drop_stale(&base) } else { Vec::new() };
    let mut cmp = judge::compare(&base, &head, &noise, &config);
    cmp.leave_out(&stale);
    if !stale.is_empty() {
        cmp.warnings.push(format!(
            "left out {} benchmark(s) whose latest result (criterion's `new`) is older than the base, a leftover of an earlier run: {} (run them again, or name the head rounds with --head)",
            stale.len(),
            stale.join(", ")
        ));
    }
    judge::emit(&cmp, out)
}

/// Rejects empty names and a name on both sides (a comparison of a run with itself).
fn check_names(base: &[String], head: &[String]) -> anyhow::Result<()> {
    if let Some(n) = base.iter().chain(head).find(|n| n.trim().is_empty()) {
        anyhow::bail!("empty baseline name in {n:?}: --base and --head take comma-separated names such as main,main2");
    }
    if let Some(n) = base.iter().find(|n| head.contains(n)) {
        anyhow::bail!(
            "baseline `{n}` is on both sides; a run compared with itself says nothing (give different names)"
        );
    }
    Ok(())
}
