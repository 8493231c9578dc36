//! Duets: the base and head runs of one criterion benchmark at the same time, pinned to the
//! same CPU.
//!
//! Why: on the development machine (a 2-vCPU KVM guest) most of the run-to-run noise of
//! load/store-heavy code belongs to a *vCPU and a time*, not to a process — a neighbour on the
//! vCPU's physical core slows it by 40–85 % for 0.4–2 s at a time. Two processes timing the same
//! hashing loop on one CPU agreed (ratio sd 6.3 %, correlation 0.92); on different CPUs they did
//! not (ratio sd 22.9 %, correlation 0.13; `cargo bench --bench gate_accuracy -- --probe`). Runs
//! made one after the other share nothing of such a spell, so their pairs are as noisy as
//! unpaired runs. Two runs sharing one CPU are interleaved by the scheduler in slices of
//! milliseconds, and whatever slows that CPU slows both alike, cancelling in their ratio. This
//! is duet benchmarking (Bulej et al., "Duet Benchmarking: Improving Measurement Accuracy in
//! the Cloud", EMSE 2020); tango's paired benchmarking runs both versions in one process for
//! the same reason.
//!
//! How: every benchmark runs alone (an exact criterion filter) in two processes started
//! together with the same `sched_setaffinity` mask of one CPU, each with its own criterion home
//! (criterion's files are moved into the shared one afterwards); one duet per CPU runs at once.
//! A duet's figure is total time over total iterations ([`Figure::TotalOverIterations`]).
//! What it does not measure: a benchmark's use of several cores (each side sees one CPU), so
//! contention and scaling regressions need `--mode alternate`.
//!
//! [`Figure::TotalOverIterations`]: bench_core::gate::Figure::TotalOverIterations

mod affinity;
mod merge;
mod plan;
mod run;

pub(super) use affinity::supported;
pub(super) use plan::Plan;

use anyhow::bail;

use crate::cli::ModeArg;

/// The mode asked for, or the default: duets where they can be pinned.
pub(super) fn resolve(mode: Option<ModeArg>) -> anyhow::Result<ModeArg> {
    match mode {
        Some(ModeArg::Duet) if !supported() => {
            bail!("--mode duet needs to pin processes to a CPU (Linux sched_setaffinity); use --mode alternate")
        }
        Some(m) => Ok(m),
        None if supported() => Ok(ModeArg::Duet),
        None => {
            eprintln!(
                "noisegate: processes cannot be pinned to a CPU here; pairs run one after the other (--mode alternate)"
            );
            Ok(ModeArg::Alternate)
        }
    }
}

#[cfg(test)]
mod tests;
