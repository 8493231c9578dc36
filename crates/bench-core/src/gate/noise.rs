//! A benchmark's between-run noise, as calibration learns it and the decision uses it.

use serde::{Deserialize, Serialize};

/// Between-run noise of one benchmark, learned from A/A runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoiseEstimate {
    /// Standard deviation of the log figure across runs (≈ relative standard deviation).
    pub run_sd: f64,
    /// Runs it was estimated from (after setting aside outlier runs); at least 3.
    pub runs: usize,
    /// Standard deviation of the log difference between two runs made back to back (what a
    /// paired base/head round of `noisegate ab` sees). Drift that both runs of a pair share
    /// cancels, so it is usually well under `run_sd · √2`. `None` in files written before it
    /// was measured, or with fewer than two pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pair_sd: Option<f64>,
    /// Back-to-back pairs `pair_sd` was estimated from (after setting aside outlier pairs).
    #[serde(default)]
    pub pairs: usize,
}

impl NoiseEstimate {
    /// Noise of runs without pairs: `run_sd` from `runs` runs.
    pub fn unpaired(run_sd: f64, runs: usize) -> Self {
        NoiseEstimate { run_sd, runs, pair_sd: None, pairs: 0 }
    }

    /// Degrees of freedom of the estimate, for Student's t.
    pub fn degrees_of_freedom(&self) -> f64 {
        self.runs.saturating_sub(1).max(1) as f64
    }

    /// The sd of a back-to-back pair's log difference and its degrees of freedom: measured if
    /// calibration saw pairs, else `run_sd · √2` (two independent runs; an upper bound).
    pub fn pair(&self) -> (f64, f64) {
        match self.pair_sd {
            Some(sd) if self.pairs >= 2 => (sd, self.pairs as f64),
            _ => (self.run_sd * std::f64::consts::SQRT_2, self.degrees_of_freedom()),
        }
    }
}
