//! Performance targets and grading.
//!
//! A target set (`[targets.<name>]` in `noisegate.toml`) gives per metric a `target`, and
//! optionally an `acceptable` and a `critical` bound. Grading a [`SystemMetrics`] puts every
//! metric of every set in one tier:
//!
//! | grade        | lower-is-better value `v`          | higher-is-better value `v`         |
//! |--------------|------------------------------------|------------------------------------|
//! | met          | `v ≤ target`                       | `v ≥ target`                       |
//! | acceptable   | `v ≤ acceptable`                   | `v ≥ acceptable`                   |
//! | missed       | worse than every bound, `v < critical` | worse than every bound, `v > critical` |
//! | critical     | `v ≥ critical`                     | `v ≤ critical`                     |
//! | not measured | the run did not measure the metric | same                               |
//!
//! A value exactly on `target` or `acceptable` belongs to that (better) tier; a value exactly on
//! `critical` is critical — the critical bound is the best value that is already critical.
//! "missed" is the gap the seed tables leave between acceptable and critical (and between target
//! and critical where no acceptable bound is given). The verdict of an evaluation is the worst
//! grade measured: pass (met/acceptable), warn (missed), fail (critical), or no data.
//!
//! Built-in defaults come from the seed documents (Caxton, MEZAN, ollama-distributed) and are
//! shipped in `targets/defaults.toml`, identical to the repository's root `noisegate.toml`.
//!
//! The same file holds the load-scenario profiles (`[profiles.<name>]`, see [`Profiles`]).

mod config;
mod profile;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use config::{CONFIG_FILE, ConfigError};
pub use profile::{
    BurstProfile, ClosedLoopProfile, DEFAULT_PROFILE, PROFILE_ENV, PeakProfile, Profile, Profiles, QUICK_PROFILE,
    SteppedProfile, SustainedProfile,
};

use crate::metrics::{Direction, Metric, SystemMetrics};

const DEFAULTS_TOML: &str = include_str!("defaults.toml");

/// The bounds of one metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bound {
    /// The metric.
    #[serde(with = "metric_key")]
    pub metric: Metric,
    /// The goal.
    pub target: f64,
    /// Worst value still acceptable.
    pub acceptable: Option<f64>,
    /// Best value already critical.
    pub critical: Option<f64>,
}

/// A named set of bounds (e.g. `caxton`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetSet {
    /// Set name, the key under `[targets]`.
    pub name: String,
    /// Where the numbers come from.
    pub source: Option<String>,
    /// Bounds in file order.
    pub bounds: Vec<Bound>,
    /// Scenario-id prefixes the set grades (`applies_to = ["consensus/"]`); empty = every run.
    /// A set for one workload must not grade the others (a cluster's write rate is no target
    /// for an orchestrator).
    pub applies_to: Vec<String>,
}

impl TargetSet {
    /// Whether this set grades the run named `name`.
    pub fn applies_to(&self, name: &str) -> bool {
        self.applies_to.is_empty() || self.applies_to.iter().any(|p| name.starts_with(p.as_str()))
    }
}

/// Every target set of a configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// Sets in file order.
    pub sets: Vec<TargetSet>,
    /// The file they came from; `None` for the built-in defaults.
    pub origin: Option<PathBuf>,
}

/// The tier a measured value falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// At or better than target.
    Met,
    /// At or better than the acceptable bound.
    Acceptable,
    /// Worse than target/acceptable, short of critical.
    Missed,
    /// At or beyond the critical bound.
    Critical,
    /// The run did not measure this metric.
    NotMeasured,
}

impl Grade {
    /// Report symbol: ✓ met/acceptable, ✗ missed/critical, – not measured.
    pub fn symbol(self) -> &'static str {
        match self {
            Grade::Met | Grade::Acceptable => "✓",
            Grade::Missed | Grade::Critical => "✗",
            Grade::NotMeasured => "–",
        }
    }

    /// Lower-case label.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Met => "met",
            Grade::Acceptable => "acceptable",
            Grade::Missed => "missed",
            Grade::Critical => "critical",
            Grade::NotMeasured => "not measured",
        }
    }
}

/// Overall outcome of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every measured metric met its target or is acceptable.
    Pass,
    /// At least one missed, none critical.
    Warn,
    /// At least one critical.
    Fail,
    /// Nothing the targets name was measured.
    NoData,
}

/// One graded metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradedMetric {
    /// Target set name.
    pub set: String,
    /// The bounds applied.
    pub bound: Bound,
    /// Measured value in the metric's unit, if measured.
    pub value: Option<f64>,
    /// The tier.
    pub grade: Grade,
}

/// The grades of one run against every applicable set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Per metric, in set then file order.
    pub graded: Vec<GradedMetric>,
    /// Worst measured grade.
    pub verdict: Verdict,
}

impl Bound {
    /// The tier `value` falls in (see the module table). NaN grades as not measured.
    pub fn grade(&self, value: Option<f64>) -> Grade {
        let Some(v) = value.filter(|v| !v.is_nan()) else { return Grade::NotMeasured };
        let d = self.metric.direction();
        if d.at_least_as_good(v, self.target) {
            Grade::Met
        } else if self.acceptable.is_some_and(|a| d.at_least_as_good(v, a)) {
            Grade::Acceptable
        } else if self.critical.is_some_and(|c| d.at_least_as_good(c, v)) {
            Grade::Critical
        } else {
            Grade::Missed
        }
    }

    /// The target written as a comparison, e.g. `< 10 ms` / `> 100000 msg/s`.
    pub fn target_text(&self) -> String {
        let op = match self.metric.direction() {
            Direction::Lower => "≤",
            Direction::Higher => "≥",
        };
        format!("{op} {} {}", crate::units::fmt_num(self.target), self.metric.unit())
    }
}

/// The configuration file for a run started in `dir`: `$NOISEGATE_CONFIG` if set (whether or
/// not it exists: loading it then says so), else the nearest `noisegate.toml` in `dir` or an
/// ancestor; `None` means the built-in defaults.
pub(crate) fn config_path(dir: &Path) -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("NOISEGATE_CONFIG") {
        return Some(p.into());
    }
    dir.ancestors().map(|d| d.join(CONFIG_FILE)).find(|p| p.is_file())
}

impl Targets {
    /// The built-in defaults (the seed documents' targets).
    pub fn defaults() -> Self {
        let mut t = config::parse(DEFAULTS_TOML, Path::new("<built-in defaults>"))
            .expect("built-in defaults are valid (checked by a unit test)");
        t.origin = None;
        t
    }

    /// Parses configuration text; `path` names it in errors.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Self, ConfigError> {
        config::parse(text, path)
    }

    /// Loads an explicitly named file: a missing file is an error, not a silent default.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        config::parse(&text, path)
    }

    /// Finds the configuration for a run started in `dir`: `$NOISEGATE_CONFIG` if set (must
    /// exist), else the nearest `noisegate.toml` in `dir` or an ancestor, else the defaults.
    pub fn discover(dir: &Path) -> Result<Self, ConfigError> {
        config_path(dir).map_or_else(|| Ok(Self::defaults()), |p| Self::load(&p))
    }

    /// Grades `metrics` against every set.
    pub fn evaluate(&self, metrics: &SystemMetrics) -> Evaluation {
        self.evaluate_sets(metrics, |_| true)
    }

    /// Grades `metrics` against the sets `include` accepts (by name).
    pub fn evaluate_sets(&self, metrics: &SystemMetrics, include: impl Fn(&str) -> bool) -> Evaluation {
        let graded: Vec<GradedMetric> = self
            .sets
            .iter()
            .filter(|s| include(&s.name) && s.applies_to(&metrics.name))
            .flat_map(|s| {
                s.bounds.iter().map(|b| {
                    let value = metrics.value(b.metric);
                    GradedMetric { set: s.name.clone(), bound: *b, value, grade: b.grade(value) }
                })
            })
            .collect();
        let verdict = verdict_of(graded.iter().map(|g| g.grade));
        Evaluation { graded, verdict }
    }
}

/// The verdict for a collection of grades (pure; see [`Verdict`]).
pub fn verdict_of(grades: impl IntoIterator<Item = Grade>) -> Verdict {
    grades
        .into_iter()
        .filter_map(|g| match g {
            Grade::Met | Grade::Acceptable => Some(Verdict::Pass),
            Grade::Missed => Some(Verdict::Warn),
            Grade::Critical => Some(Verdict::Fail),
            Grade::NotMeasured => None,
        })
        .max()
        .unwrap_or(Verdict::NoData)
}

impl fmt::Display for Evaluation {
    /// MEZAN-style summary lines: `✓ latency_p99_ms: 0.084 ms (caxton target ≤ 10 ms) — met`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for g in &self.graded {
            let value = g.value.map_or_else(
                || "not measured".to_owned(),
                |v| format!("{} {}", crate::units::fmt_num(v), g.bound.metric.unit()),
            );
            writeln!(
                f,
                "{} {}: {} ({} target {}) — {}",
                g.grade.symbol(),
                g.bound.metric,
                value,
                g.set,
                g.bound.target_text(),
                g.grade.as_str()
            )?;
        }
        write!(f, "verdict: {:?}", self.verdict)
    }
}

mod metric_key {
    //! Serialises a [`Metric`] as its config key.
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::metrics::Metric;

    pub(super) fn serialize<S: Serializer>(m: &Metric, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(m.key())
    }
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Metric, D::Error> {
        let key = String::deserialize(d)?;
        key.parse().map_err(D::Error::custom)
    }
}
