//! The regression gate: from rounds of measurements on two sides (base, head) to a verdict per
//! benchmark that stays quiet on A/A comparisons and still catches small real regressions.
//!
//! # Method
//!
//! The unit of replication is the *process run* (a round), not criterion's samples inside one
//! run: on a shared machine the spread between runs is several times the spread inside one
//! (see `docs/noise.md`; Kalibera & Jones, "Rigorous Benchmarking in Reasonable
//! Time", ISMM 2013). So:
//!
//! 1. Each round is reduced to one robust figure (for criterion: the median time per iteration
//!    over its samples) and taken to log scale, where a ratio becomes a difference and a
//!    higher-is-better metric is negated so that "positive = worse" everywhere.
//! 2. Outlier rounds (more than [`OUTLIER_SDS`] robust standard deviations from their side's
//!    median) are set aside and reported, never averaged in: about one run in thirty to sixty is
//!    10–40 % off on this hardware. Only rare ones, though: with more than one far-off round in
//!    five the benchmark has a second mode (seen here: allocation-heavy runs landing at 200 or
//!    330 µs per process), and every round is kept so that its noise shows.
//! 3. The change is the difference of the side means of the remaining log figures; its standard
//!    error uses the between-run standard deviation: the larger of the one measured from these
//!    rounds and the per-benchmark noise learned by `noisegate calibrate` from many A/A runs
//!    spread over time (rounds close in time share offsets, so their spread alone under-states
//!    the noise). With neither, an assumed [`ASSUMED_RUN_SD`] is used and labelled so.
//! 4. A two-sided test of "no change" gives a p-value per benchmark; Benjamini–Hochberg at
//!    level α across the whole suite decides which changes are confident (Benjamini & Hochberg,
//!    1995), since a suite of 50 benchmarks tested at 5 % each almost surely flags one.
//! 5. A confident change is a regression (or improvement) only if its estimate also exceeds the
//!    minimum effect threshold. The noise floor — the smallest change the benchmark reliably
//!    shows with these rounds, (t₁₋α/₂ + z₁₋β)·se — decides between "inconclusive" and "too
//!    noisy" when nothing is confident.
//!
//! The decision ([`judge`]) is a pure function of its inputs: this module reads no file and
//! starts no process. Reading a side from disk is `sides`, the calibration file
//! `calibration`, and the `cargo bench` hook `cargo_hook`.

mod decide;
mod noise;
#[cfg(test)]
mod paired_tests;
mod series;
#[cfg(test)]
mod tests;

pub(crate) use decide::estimate_noise;
pub use decide::{ASSUMED_RUN_SD, ConfigError, GateConfig, OUTLIER_SDS, judge, noise_floor};
pub use noise::NoiseEstimate;
pub use series::{Figure, Series, Unit, within_run_se};

use serde::{Deserialize, Serialize};

use crate::metrics::Direction;

/// What the gate concluded about one benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Confidently worse by more than the threshold.
    Regressed,
    /// Confidently better by more than the threshold.
    Improved,
    /// The interval lies inside ± the threshold.
    Unchanged,
    /// The interval straddles the threshold: more rounds would tell.
    Inconclusive,
    /// Nothing confident, and the noise floor exceeds the threshold: this benchmark cannot show
    /// a change of the threshold's size with these rounds.
    TooNoisy,
}

impl Verdict {
    /// Lower-case label used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Unchanged => "unchanged",
            Verdict::Inconclusive => "inconclusive",
            Verdict::TooNoisy => "too noisy",
        }
    }
}

/// A relative change of the measured value, `head / base − 1` (so +0.05 = 5 % larger value;
/// whether larger is worse depends on the series' [`Direction`]), with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Point estimate (ratio of geometric means of the rounds, minus one).
    pub estimate: f64,
    /// Lower end of the interval.
    pub lower: f64,
    /// Upper end of the interval.
    pub upper: f64,
    /// Confidence level of the interval, e.g. 0.99.
    pub confidence: f64,
}

/// Where the between-run standard deviation used for a judgement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseSource {
    /// From a stored calibration (A/A runs), because it was at least the measured spread.
    Calibrated,
    /// From the spread of this comparison's own rounds.
    Measured,
    /// This comparison's spread, above the calibrated one but not significantly (F test at
    /// 5 %), pooled with it.
    Pooled,
    /// The spread inside the compared runs themselves (their samples), larger than every other
    /// estimate: a run was disturbed while it ran.
    WithinRun,
    /// Neither was available (one round per side, no calibration): [`ASSUMED_RUN_SD`].
    Assumed,
}

/// The noise a judgement used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoiseFloor {
    /// Between-run standard deviation of the log figure (≈ relative sd).
    pub run_sd: f64,
    /// Smallest relative change reliably shown with these rounds (see the module docs).
    pub floor: f64,
    /// Where `run_sd` came from.
    pub source: NoiseSource,
}

/// One side of a judged benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideSummary {
    /// Rounds given.
    pub rounds: usize,
    /// Indexes (into the rounds given) set aside as outliers.
    pub outliers: Vec<usize>,
    /// Indexes of rounds far from the median that were too many (more than one in five) to be
    /// outliers: the benchmark has a second mode, e.g. runs landing in a slow memory placement.
    /// They are kept in the statistics; reported so the benchmark's cause can be fixed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub second_mode: Vec<usize>,
    /// Geometric mean of the kept rounds, in the series' unit.
    pub typical: f64,
}

/// The gate's judgement of one benchmark present on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    /// Benchmark id, e.g. `route_1to1/orchestrator/256`.
    pub id: String,
    /// Unit of the values.
    pub unit: Unit,
    /// Which way is better.
    pub direction: Direction,
    /// Base side.
    pub base: SideSummary,
    /// Head side.
    pub head: SideSummary,
    /// Estimated change of the value and its interval.
    pub change: Change,
    /// Noise used.
    pub noise: NoiseFloor,
    /// Two-sided p-value of "no change" (before the suite-wide correction).
    pub p_value: f64,
    /// Whether Benjamini–Hochberg kept this change as a discovery at the suite's level.
    pub significant: bool,
    /// The verdict.
    pub verdict: Verdict,
}

/// One row of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Row {
    /// Present on both sides and judged.
    Judged(Judgement),
    /// Only in head (a new benchmark); nothing to compare with.
    Added {
        /// Benchmark id.
        id: String,
        /// Head's typical value.
        head: f64,
        /// Unit.
        unit: Unit,
    },
    /// Only in base (removed or renamed, or filtered out of the head run).
    Removed {
        /// Benchmark id.
        id: String,
        /// Base's typical value.
        base: f64,
        /// Unit.
        unit: Unit,
    },
    /// In base, and in the head run only as a leftover of an earlier run (its latest result is
    /// older than the base): not measured this time, so neither judged nor "removed".
    LeftOut {
        /// Benchmark id.
        id: String,
        /// Base's typical value.
        base: f64,
        /// Unit.
        unit: Unit,
    },
    /// Present but unusable (zero, negative or NaN figures); the run cannot be fully judged.
    Invalid {
        /// Benchmark id.
        id: String,
        /// What was wrong, naming the side and file.
        reason: String,
    },
}

impl Row {
    /// The benchmark id of any row.
    pub fn id(&self) -> &str {
        match self {
            Row::Judged(j) => &j.id,
            Row::Added { id, .. } | Row::Removed { id, .. } | Row::LeftOut { id, .. } | Row::Invalid { id, .. } => id,
        }
    }
}

/// The result of comparing two sides: every row plus what the reader must know about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Baseline names of the base rounds.
    pub base_names: Vec<String>,
    /// Baseline names of the head rounds.
    pub head_names: Vec<String>,
    /// The settings judged with.
    pub config: GateConfig,
    /// Rows in id order.
    pub rows: Vec<Row>,
    /// Warnings every output must show prominently (machine fingerprint mismatch, mixed
    /// criterion formats, calibration from another machine, …).
    pub warnings: Vec<String>,
}

/// Counts of each outcome, for summary lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Confident regressions.
    pub regressed: usize,
    /// Confident improvements.
    pub improved: usize,
    /// Within the threshold.
    pub unchanged: usize,
    /// Straddling the threshold.
    pub inconclusive: usize,
    /// Noise floor above the threshold.
    pub too_noisy: usize,
    /// Only in head.
    pub added: usize,
    /// Only in base.
    pub removed: usize,
    /// Left out: in the head run only as a leftover of an earlier run.
    #[serde(default)]
    pub left_out: usize,
    /// Unusable figures.
    pub invalid: usize,
}

impl Comparison {
    /// Counts rows by outcome.
    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for row in &self.rows {
            match row {
                Row::Judged(j) => match j.verdict {
                    Verdict::Regressed => t.regressed += 1,
                    Verdict::Improved => t.improved += 1,
                    Verdict::Unchanged => t.unchanged += 1,
                    Verdict::Inconclusive => t.inconclusive += 1,
                    Verdict::TooNoisy => t.too_noisy += 1,
                },
                Row::Added { .. } => t.added += 1,
                Row::Removed { .. } => t.removed += 1,
                Row::LeftOut { .. } => t.left_out += 1,
                Row::Invalid { .. } => t.invalid += 1,
            }
        }
        t
    }

    /// Marks the benchmarks `ids`, missing from the head, as left out instead of removed.
    pub fn leave_out(&mut self, ids: &[String]) {
        for row in &mut self.rows {
            if let Row::Removed { id, base, unit } = row
                && ids.contains(id)
            {
                *row = Row::LeftOut { id: std::mem::take(id), base: *base, unit: unit.clone() };
            }
        }
    }

    /// Benchmarks judged (every verdict counts, "too noisy" included).
    pub fn judged(&self) -> usize {
        self.rows.iter().filter(|r| matches!(r, Row::Judged(_))).count()
    }

    /// Why nothing was judged, when nothing was: a gate that judged nothing must not pass.
    pub fn nothing_judged(&self) -> Option<String> {
        if self.judged() > 0 {
            return None;
        }
        let t = self.tally();
        let mut why = if self.rows.is_empty() {
            "neither side has any benchmark".to_owned()
        } else {
            format!(
                "no benchmark has usable figures on both sides ({} only in base, {} only in head, {} left out, {} invalid)",
                t.removed, t.added, t.left_out, t.invalid
            )
        };
        if !self.warnings.is_empty() {
            why.push_str("; see the warnings above for benchmarks left out");
        }
        why.push_str("; check that --base and --head name runs of the same suite, and that the head run finished");
        Some(why)
    }

    /// "only J of N benchmarks judged" when fewer than half of the rows were judged, so a run
    /// that left most benchmarks out says so in its summary line.
    pub fn coverage_note(&self) -> Option<String> {
        let (judged, total) = (self.judged(), self.rows.len());
        (judged > 0 && judged * 2 < total)
            .then(|| format!("only {judged} of {total} benchmarks judged; the others were added, removed or left out"))
    }

    /// How a script should read this comparison.
    pub fn outcome(&self) -> Outcome {
        let t = self.tally();
        if t.invalid > 0 || self.judged() == 0 {
            Outcome::CannotJudge
        } else if t.regressed > 0 {
            Outcome::Regressed
        } else {
            Outcome::Passed
        }
    }
}

/// The overall result, mapped to the CLI's exit codes 0 / 1 / 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No confident regression (exit 0).
    Passed,
    /// At least one confident regression (exit 1).
    Regressed,
    /// Some benchmark could not be judged, or none was (exit 2), regardless of the others.
    CannotJudge,
}
