//! noisegate's own JSON for a comparison, for scripts and dashboards.
//!
//! # Schema (version 1)
//!
//! Every key is always present; `null` means "does not apply to this row". Relative figures
//! (changes, thresholds, noise) are fractions: `0.05` is 5 %.
//!
//! ```text
//! {
//!   "schema_version": 1,
//!   "format": "noisegate-comparison",
//!   "outcome": "passed" | "regressed" | "cannot_judge",
//!   "exit_code": 0 | 1 | 2,                 // what `noisegate compare` exits with
//!   "base_names": [string], "head_names": [string],   // baselines, one per round
//!   "config": { "threshold", "alpha", "power", "confidence", "paired" },   // confidence = 1 − alpha
//!   "warnings": [string],                  // must be shown to whoever reads the result
//!   "summary": { "total", "regressed", "improved", "unchanged", "inconclusive",
//!                "too_noisy", "added", "removed", "invalid" },
//!   "benchmarks": [{                       // in id order, every row (none dropped)
//!     "id": string,
//!     "kind": "judged" | "added" | "removed" | "invalid",
//!     "verdict": "regressed" | "improved" | "unchanged" | "inconclusive" | "too_noisy" | null,
//!     "unit": string | null,               // "ns", "B", "allocs" or a metric's unit ("req/s")
//!     "direction": "lower" | "higher" | null,   // which way is better (judged rows)
//!     "base": side | null, "head": side | null,  // null on the side a row lacks
//!     "change": { "estimate", "lower", "upper", "confidence" } | null,   // head / base − 1
//!     "noise": { "floor", "run_sd", "source": "calibrated" | "measured" | "pooled" | "within_run" | "assumed" } | null,
//!     "p_value": number | null,            // before the suite-wide correction
//!     "significant": bool | null,          // kept by Benjamini–Hochberg at level alpha
//!     "reason": string | null              // why an invalid row could not be judged
//!   }]
//! }
//! side = { "typical": number,              // geometric mean of the kept rounds, in `unit`
//!          "rounds": number | null,        // rounds given (null: not judged)
//!          "outliers": [number] | null,    // 0-based indexes of rounds set aside
//!          "second_mode": [number] }       // optional: rounds of a second mode (kept)
//! ```
//!
//! A change to the meaning or type of an existing key increments `schema_version`; new keys
//! may appear without one.

use serde::{Deserialize, Serialize};

use crate::gate::{Comparison, Judgement, NoiseSource, Outcome, Row, Verdict};

/// Version of the layout above.
pub(crate) const SCHEMA_VERSION: u32 = 1;
/// The `format` tag, so a file identifies itself.
pub(crate) const FORMAT_TAG: &str = "noisegate-comparison";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ComparisonJson {
    pub(crate) schema_version: u32,
    pub(crate) format: String,
    pub(crate) outcome: OutcomeJson,
    pub(crate) exit_code: u8,
    pub(crate) base_names: Vec<String>,
    pub(crate) head_names: Vec<String>,
    pub(crate) config: ConfigJson,
    pub(crate) warnings: Vec<String>,
    pub(crate) summary: SummaryJson,
    pub(crate) benchmarks: Vec<BenchmarkJson>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OutcomeJson {
    Passed,
    Regressed,
    CannotJudge,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct ConfigJson {
    pub(crate) threshold: f64,
    pub(crate) alpha: f64,
    pub(crate) power: f64,
    pub(crate) confidence: f64,
    /// Rounds were judged as back-to-back base/head pairs (added after schema 1 shipped; absent
    /// in older files, which were unpaired).
    #[serde(default)]
    pub(crate) paired: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SummaryJson {
    pub(crate) total: usize,
    pub(crate) regressed: usize,
    pub(crate) improved: usize,
    pub(crate) unchanged: usize,
    pub(crate) inconclusive: usize,
    pub(crate) too_noisy: usize,
    pub(crate) added: usize,
    pub(crate) removed: usize,
    pub(crate) invalid: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum KindJson {
    Judged,
    Added,
    Removed,
    LeftOut,
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum VerdictJson {
    Regressed,
    Improved,
    Unchanged,
    Inconclusive,
    TooNoisy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DirectionJson {
    Lower,
    Higher,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NoiseSourceJson {
    Calibrated,
    Measured,
    Pooled,
    WithinRun,
    Assumed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SideJson {
    pub(crate) typical: f64,
    pub(crate) rounds: Option<usize>,
    pub(crate) outliers: Option<Vec<usize>>,
    /// Rounds of a second mode (kept in the statistics); absent when there is none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) second_mode: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChangeJson {
    pub(crate) estimate: f64,
    pub(crate) lower: f64,
    pub(crate) upper: f64,
    pub(crate) confidence: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct NoiseJson {
    pub(crate) floor: f64,
    pub(crate) run_sd: f64,
    pub(crate) source: NoiseSourceJson,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BenchmarkJson {
    pub(crate) id: String,
    pub(crate) kind: KindJson,
    pub(crate) verdict: Option<VerdictJson>,
    pub(crate) unit: Option<String>,
    pub(crate) direction: Option<DirectionJson>,
    pub(crate) base: Option<SideJson>,
    pub(crate) head: Option<SideJson>,
    pub(crate) change: Option<ChangeJson>,
    pub(crate) noise: Option<NoiseJson>,
    pub(crate) p_value: Option<f64>,
    pub(crate) significant: Option<bool>,
    pub(crate) reason: Option<String>,
}

impl BenchmarkJson {
    fn bare(id: &str, kind: KindJson) -> BenchmarkJson {
        BenchmarkJson {
            id: id.to_owned(),
            kind,
            verdict: None,
            unit: None,
            direction: None,
            base: None,
            head: None,
            change: None,
            noise: None,
            p_value: None,
            significant: None,
            reason: None,
        }
    }

    fn judged(j: &Judgement) -> BenchmarkJson {
        let side = |s: &crate::gate::SideSummary| SideJson {
            typical: s.typical,
            rounds: Some(s.rounds),
            outliers: Some(s.outliers.clone()),
            second_mode: s.second_mode.clone(),
        };
        BenchmarkJson {
            verdict: Some(match j.verdict {
                Verdict::Regressed => VerdictJson::Regressed,
                Verdict::Improved => VerdictJson::Improved,
                Verdict::Unchanged => VerdictJson::Unchanged,
                Verdict::Inconclusive => VerdictJson::Inconclusive,
                Verdict::TooNoisy => VerdictJson::TooNoisy,
            }),
            unit: Some(j.unit.to_string()),
            direction: Some(match j.direction {
                crate::metrics::Direction::Lower => DirectionJson::Lower,
                crate::metrics::Direction::Higher => DirectionJson::Higher,
            }),
            base: Some(side(&j.base)),
            head: Some(side(&j.head)),
            change: Some(ChangeJson {
                estimate: j.change.estimate,
                lower: j.change.lower,
                upper: j.change.upper,
                confidence: j.change.confidence,
            }),
            noise: Some(NoiseJson {
                floor: j.noise.floor,
                run_sd: j.noise.run_sd,
                source: match j.noise.source {
                    NoiseSource::Calibrated => NoiseSourceJson::Calibrated,
                    NoiseSource::Measured => NoiseSourceJson::Measured,
                    NoiseSource::Pooled => NoiseSourceJson::Pooled,
                    NoiseSource::WithinRun => NoiseSourceJson::WithinRun,
                    NoiseSource::Assumed => NoiseSourceJson::Assumed,
                },
            }),
            p_value: Some(j.p_value),
            significant: Some(j.significant),
            ..BenchmarkJson::bare(&j.id, KindJson::Judged)
        }
    }

    fn from_row(row: &Row) -> BenchmarkJson {
        let unseen = |typical: f64| Some(SideJson { typical, rounds: None, outliers: None, second_mode: Vec::new() });
        match row {
            Row::Judged(j) => BenchmarkJson::judged(j),
            Row::Added { id, head, unit } => BenchmarkJson {
                unit: Some(unit.to_string()),
                head: unseen(*head),
                ..BenchmarkJson::bare(id, KindJson::Added)
            },
            Row::Removed { id, base, unit } => BenchmarkJson {
                unit: Some(unit.to_string()),
                base: unseen(*base),
                ..BenchmarkJson::bare(id, KindJson::Removed)
            },
            Row::LeftOut { id, base, unit } => BenchmarkJson {
                unit: Some(unit.to_string()),
                base: unseen(*base),
                ..BenchmarkJson::bare(id, KindJson::LeftOut)
            },
            Row::Invalid { id, reason } => {
                BenchmarkJson { reason: Some(reason.clone()), ..BenchmarkJson::bare(id, KindJson::Invalid) }
            }
        }
    }
}

impl ComparisonJson {
    pub(crate) fn new(cmp: &Comparison) -> ComparisonJson {
        let t = cmp.tally();
        let (outcome, exit_code) = match cmp.outcome() {
            Outcome::Passed => (OutcomeJson::Passed, 0),
            Outcome::Regressed => (OutcomeJson::Regressed, 1),
            Outcome::CannotJudge => (OutcomeJson::CannotJudge, 2),
        };
        ComparisonJson {
            schema_version: SCHEMA_VERSION,
            format: FORMAT_TAG.to_owned(),
            outcome,
            exit_code,
            base_names: cmp.base_names.clone(),
            head_names: cmp.head_names.clone(),
            config: ConfigJson {
                threshold: cmp.config.threshold,
                alpha: cmp.config.alpha,
                power: cmp.config.power,
                confidence: 1.0 - cmp.config.alpha,
                paired: cmp.config.paired,
            },
            warnings: cmp.warnings.clone(),
            summary: SummaryJson {
                total: cmp.rows.len(),
                regressed: t.regressed,
                improved: t.improved,
                unchanged: t.unchanged,
                inconclusive: t.inconclusive,
                too_noisy: t.too_noisy,
                added: t.added,
                removed: t.removed,
                invalid: t.invalid,
            },
            benchmarks: cmp.rows.iter().map(BenchmarkJson::from_row).collect(),
        }
    }
}

/// Pretty-printed JSON with a final newline.
pub(super) fn render(cmp: &Comparison) -> String {
    let mut s = serde_json::to_string_pretty(&ComparisonJson::new(cmp)).expect("plain data always serialises");
    s.push('\n');
    s
}
