//! Stored per-benchmark noise: `baselines/calibration.json` (pairs run back to back) or
//! `baselines/calibration-duet.json` (duets; see [`Pairing`]), written by `noisegate calibrate`
//! from A/A runs and picked up by every later comparison in the same project.
//!
//! The file is versioned and carries the fingerprint of the machine it was measured on; noise
//! measured elsewhere is still used, but the comparison warns about it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::baseline::Fingerprint;
use crate::gate::{NoiseEstimate, Series, estimate_noise};
use crate::results::{ResultsError, write_json_atomic};

/// File name of the calibration inside a project's `baselines/` directory (pairs of runs made
/// one after the other; [`Pairing::Duet`] has [`Pairing::file_name`] `calibration-duet.json`).
pub const CALIBRATION_FILE: &str = "calibration.json";

/// How the pairs of a calibration (and of the comparisons it serves) were run. The noise of a
/// pair depends on it, so a calibration serves only comparisons paired the same way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pairing {
    /// One run after the other (`noisegate ab --mode alternate`, `compare --paired`).
    #[default]
    BackToBack,
    /// Both runs at the same time on one CPU (`noisegate ab`'s duets); criterion figures are
    /// totals over iterations ([`Figure::TotalOverIterations`](super::Figure)).
    Duet,
}

impl Pairing {
    /// The calibration file's name in `baselines/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Pairing::BackToBack => CALIBRATION_FILE,
            Pairing::Duet => "calibration-duet.json",
        }
    }

    /// Label for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Pairing::BackToBack => "back-to-back",
            Pairing::Duet => "duet",
        }
    }
}

/// Version of the calibration layout written by this build.
pub const CALIBRATION_SCHEMA: u32 = 1;

/// The calibration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Layout version, [`CALIBRATION_SCHEMA`].
    pub schema_version: u32,
    /// When it was measured, RFC 3339 UTC.
    pub created: String,
    /// The machine it was measured on.
    pub fingerprint: Fingerprint,
    /// Runs performed.
    pub runs: usize,
    /// How its pairs were run; files written before this field existed are back-to-back.
    #[serde(default)]
    pub pairing: Pairing,
    /// Noise per benchmark id.
    pub benchmarks: BTreeMap<String, NoiseEstimate>,
}

/// A calibration file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    /// Reading, decoding or writing failed.
    #[error(transparent)]
    Results(#[from] ResultsError),
    /// Written by a noisegate with another layout.
    #[error(
        "{path} has schema_version {found}; this noisegate reads version {CALIBRATION_SCHEMA} (re-run `noisegate calibrate`)"
    )]
    Schema {
        /// The file.
        path: PathBuf,
        /// Version found.
        found: u64,
    },
    /// A benchmark's stored noise is unusable.
    #[error("{path}: benchmark `{id}` has {problem}; re-run `noisegate calibrate` or delete the file")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The benchmark.
        id: String,
        /// What is wrong.
        problem: String,
    },
    /// Too few A/A runs to estimate anything.
    #[error(
        "calibration needs at least 3 runs of each benchmark, got {runs} (use --runs 3 or more; 10+ gives a usable estimate)"
    )]
    TooFewRuns {
        /// Runs given.
        runs: usize,
    },
}

impl Calibration {
    /// Estimates each benchmark's noise from A/A runs: `runs[r]` holds every benchmark's
    /// figure in run `r` (one-round [`Series`]), in the order they ran, so that runs 1–2, 3–4, …
    /// are back-to-back pairs. Benchmarks seen in fewer than 3 valid runs are left out.
    pub fn from_runs(
        runs: &[Vec<Series>],
        fingerprint: Fingerprint,
        created: String,
    ) -> Result<Self, CalibrationError> {
        if runs.len() < 3 {
            return Err(CalibrationError::TooFewRuns { runs: runs.len() });
        }
        // Per benchmark, its figure in each run (None where the run lacks it), so that pairs
        // stay aligned with the runs' order.
        let mut by_id: BTreeMap<&str, Vec<Option<f64>>> = BTreeMap::new();
        for (r, run) in runs.iter().enumerate() {
            for s in run {
                let v = by_id.entry(s.id.as_str()).or_insert_with(|| vec![None; runs.len()]);
                v[r] = s.rounds.first().copied();
            }
        }
        let benchmarks = by_id.into_iter().filter_map(|(id, v)| Some((id.to_owned(), estimate_noise(&v)?))).collect();
        Ok(Calibration {
            schema_version: CALIBRATION_SCHEMA,
            created,
            fingerprint,
            runs: runs.len(),
            pairing: Pairing::BackToBack,
            benchmarks,
        })
    }

    /// Reads a calibration file, checking its version first.
    pub fn load(path: &Path) -> Result<Self, CalibrationError> {
        let value: serde_json::Value = crate::results::read_json(path)?;
        let found = value.get("schema_version").and_then(serde_json::Value::as_u64).unwrap_or(0);
        if found != u64::from(CALIBRATION_SCHEMA) {
            return Err(CalibrationError::Schema { path: path.into(), found });
        }
        let cal: Calibration =
            serde_json::from_value(value).map_err(|source| ResultsError::Json { path: path.into(), source })?;
        // A negative or NaN noise would turn every change into a certainty or none at all.
        if let Some((id, n)) = cal.benchmarks.iter().find(|(_, n)| {
            !(n.run_sd.is_finite() && n.run_sd >= 0.0)
                || n.runs < 3
                || n.pair_sd.is_some_and(|sd| !(sd.is_finite() && sd >= 0.0))
        }) {
            return Err(CalibrationError::Invalid {
                path: path.into(),
                id: id.clone(),
                problem: format!(
                    "run_sd {} from {} runs, pair_sd {:?} (needs finite sds ≥ 0 from at least 3 runs)",
                    n.run_sd, n.runs, n.pair_sd
                ),
            });
        }
        Ok(cal)
    }

    /// `older` updated with this calibration: its benchmarks replace or join `older`'s, so that
    /// calibrating a subset of benchmarks keeps the others' noise.
    pub fn merged_into(self, mut older: Calibration) -> Calibration {
        older.benchmarks.extend(self.benchmarks);
        Calibration { benchmarks: older.benchmarks, ..self }
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> Result<(), CalibrationError> {
        Ok(write_json_atomic(path, self)?)
    }

    /// The nearest `baselines/<file>` for comparisons paired as `pairing` (see
    /// [`Pairing::file_name`]) from `start` upwards, if any.
    pub fn discover(start: &Path, pairing: Pairing) -> Option<PathBuf> {
        start.ancestors().map(|d| d.join("baselines").join(pairing.file_name())).find(|p| p.is_file())
    }
}

#[cfg(test)]
mod tests;
