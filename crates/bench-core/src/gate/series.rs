//! The gate's input: per benchmark and side, one figure per round.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::metrics::Direction;

/// Unit of a series' figures; decides formatting only (the statistics are unit-free).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Time per iteration, nanoseconds (criterion's wall-clock measurement).
    Nanoseconds,
    /// Bytes allocated per iteration (noisegate's `AllocatedBytes` measurement).
    Bytes,
    /// Allocator calls per iteration (noisegate's `Allocations` measurement).
    Allocations,
    /// A `SystemMetrics` figure in the unit its catalogue entry names (e.g. `ms`, `req/s`).
    Metric(String),
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unit::Nanoseconds => f.write_str("ns"),
            Unit::Bytes => f.write_str("B"),
            Unit::Allocations => f.write_str("allocs"),
            Unit::Metric(u) => f.write_str(u),
        }
    }
}

/// One benchmark's figures on one side: one value per round (process run), in `unit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Benchmark id (criterion's full id, or `<scenario id>/<metric key>` for SystemMetrics).
    pub id: String,
    /// Unit of `rounds`.
    pub unit: Unit,
    /// Which way is better.
    pub direction: Direction,
    /// One robust figure per round, in round order.
    pub rounds: Vec<f64>,
    /// Per round, the relative standard error of its figure from the spread *inside* that run
    /// (criterion: of the median over its samples); 0 where unknown, empty when none is known
    /// (scenario metrics). A round disturbed while it ran is less precise than the run-to-run
    /// noise says; the gate uses this as a floor under the noise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub within: Vec<f64>,
    /// Per value in `rounds`, the index of the side's round (its baseline name) it came from;
    /// empty when unknown, and then round i of one side is taken to pair with round i of the
    /// other. A benchmark missing from some rounds has gaps here, so a paired judgement pairs
    /// the rounds both sides have instead of shifting every later pair.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub round_of: Vec<usize>,
}

/// Which figure of a criterion run a round is reduced to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// The median time per iteration over the run's samples (criterion's own "median"
    /// estimate), with its within-run standard error as a floor under the noise. For runs that
    /// had a CPU to themselves.
    #[default]
    Median,
    /// Total time over total iterations (`Σ times / Σ iters`), with no within-run floor. For
    /// runs that shared one CPU with another (`noisegate ab`'s duets): the scheduler hands the
    /// CPU over in slices of milliseconds, so a short sample may or may not contain the other
    /// process's slice and per-sample figures are a mixture whose median shifts with how many
    /// samples are shorter than a slice (which differs between a base and a slower head). The
    /// long samples, which dominate the totals, hold the fair share. The spread inside such a
    /// run says nothing about its total's precision, so the gate judges on between-run noise.
    TotalOverIterations,
}

impl Figure {
    /// Label used on the command line and in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Figure::Median => "median",
            Figure::TotalOverIterations => "total",
        }
    }
}

/// The within-run standard error of a criterion run's figure (the median of its per-iteration
/// times) on the log scale, for [`Series::within`]; 0 when it cannot be known (fewer than 5
/// samples, unusable values, or identical samples such as allocation counts).
pub fn within_run_se(per_iteration: &[f64]) -> f64 {
    crate::stats::median_se_log(per_iteration).unwrap_or(0.0)
}

impl Series {
    /// A lower-is-better series (criterion time, bytes, allocations).
    pub fn lower_is_better(id: impl Into<String>, unit: Unit, rounds: Vec<f64>) -> Self {
        Series { id: id.into(), unit, direction: Direction::Lower, rounds, within: Vec::new(), round_of: Vec::new() }
    }

    /// The same series with per-round within-run standard errors (see [`Series::within`]).
    pub fn with_within(self, within: Vec<f64>) -> Self {
        Series { within, ..self }
    }

    /// The same series with the round index of each value (see [`Series::round_of`]).
    pub fn with_round_of(self, round_of: Vec<usize>) -> Self {
        Series { round_of, ..self }
    }

    /// The first round that is not a finite positive number, with its index.
    pub fn first_invalid(&self) -> Option<(usize, f64)> {
        self.rounds.iter().copied().enumerate().find(|(_, v)| !(v.is_finite() && *v > 0.0))
    }
}
