//! Parsing `noisegate.toml`'s `[targets]` tables with errors that name the file, the key and the
//! fix. The TOML is walked by hand (not derived) so every message can carry the dotted key path.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::{Bound, TargetSet, Targets};
use crate::metrics::{Direction, Metric};

/// File name looked for in the project root.
pub const CONFIG_FILE: &str = "noisegate.toml";

/// A configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (missing, unreadable).
    #[error("cannot read config file {path}: {source} (create it, fix the path, or omit it to use built-in defaults)")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{path} is not valid TOML: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A key has a value noisegate cannot use.
    #[error("{path}: `{key}`: {problem}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Dotted key path, e.g. `targets.caxton.latency_p50_ms.acceptable`.
        key: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
}

// `profiles` (load-scenario profiles) is read by `profile.rs`; targets skip it.
const TOP_LEVEL: &[&str] = &["targets", "profiles"];
const BOUND_KEYS: &[&str] = &["target", "acceptable", "critical", "direction"];

pub(super) fn parse(text: &str, path: &Path) -> Result<Targets, ConfigError> {
    let table: Table =
        text.parse().map_err(|e: toml::de::Error| ConfigError::Syntax { path: path.into(), message: e.to_string() })?;
    let invalid = |key: String, problem: String| ConfigError::Invalid { path: path.into(), key, problem };

    for key in table.keys() {
        if !TOP_LEVEL.contains(&key.as_str()) {
            return Err(invalid(key.clone(), format!("unknown section; known sections: {}", TOP_LEVEL.join(", "))));
        }
    }
    let mut sets = Vec::new();
    let Some(targets) = table.get("targets") else {
        return Ok(Targets { sets, origin: Some(path.into()) });
    };
    let targets = as_table(targets, "targets", &invalid)?;
    for (set_name, set_value) in targets {
        let set_key = format!("targets.{set_name}");
        let set_table = as_table(set_value, &set_key, &invalid)?;
        let mut set = TargetSet { name: set_name.clone(), source: None, bounds: Vec::new(), applies_to: Vec::new() };
        for (key, value) in set_table {
            let full = format!("{set_key}.{key}");
            if key == "source" {
                let Value::String(s) = value else {
                    return Err(invalid(
                        full,
                        format!("expected a string describing where the targets come from, found {}", describe(value)),
                    ));
                };
                set.source = Some(s.clone());
                continue;
            }
            if key == "applies_to" {
                let prefixes = match value {
                    Value::Array(items) => {
                        items.iter().map(|v| v.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>()
                    }
                    _ => None,
                };
                set.applies_to = prefixes.filter(|p| !p.is_empty()).ok_or_else(|| {
                    invalid(
                        full,
                        format!(
                            "expected a non-empty list of scenario-id prefixes, e.g. `applies_to = [\"consensus/\"]`, found {}",
                            describe(value)
                        ),
                    )
                })?;
                continue;
            }
            let metric: Metric = key
                .parse()
                .map_err(|_| invalid(full.clone(), format!("unknown metric; known metrics: {}", known_metrics())))?;
            set.bounds.push(parse_bound(metric, value, &full, &invalid)?);
        }
        sets.push(set);
    }
    Ok(Targets { sets, origin: Some(path.into()) })
}

fn parse_bound(
    metric: Metric,
    value: &Value,
    key: &str,
    invalid: &impl Fn(String, String) -> ConfigError,
) -> Result<Bound, ConfigError> {
    let t = as_table(value, key, invalid)?;
    for k in t.keys() {
        if !BOUND_KEYS.contains(&k.as_str()) {
            return Err(invalid(
                format!("{key}.{k}"),
                format!("unknown field; expected one of: {}", BOUND_KEYS.join(", ")),
            ));
        }
    }
    let direction = metric.direction();
    if let Some(d) = t.get("direction") {
        let given = match d {
            Value::String(s) if s == "higher" => Direction::Higher,
            Value::String(s) if s == "lower" => Direction::Lower,
            other => {
                return Err(invalid(
                    format!("{key}.direction"),
                    format!("expected \"higher\" or \"lower\", found {}", describe(other)),
                ));
            }
        };
        if given != direction {
            return Err(invalid(
                format!("{key}.direction"),
                format!(
                    "`{metric}` is {}-is-better by definition; remove `direction` or set it to \"{}\"",
                    direction.as_str(),
                    direction.as_str()
                ),
            ));
        }
    }
    let number = |field: &str| -> Result<Option<f64>, ConfigError> {
        let Some(v) = t.get(field) else { return Ok(None) };
        let n = match v {
            Value::Integer(i) => *i as f64,
            Value::Float(f) => *f,
            other => {
                return Err(invalid(
                    format!("{key}.{field}"),
                    format!("expected a number in {}, found {}", metric.unit(), describe(other)),
                ));
            }
        };
        if !n.is_finite() {
            return Err(invalid(
                format!("{key}.{field}"),
                format!("expected a finite number in {}, found {n}", metric.unit()),
            ));
        }
        // Every catalogued metric is a count, rate, time, size or share: never negative.
        if n < 0.0 {
            return Err(invalid(
                format!("{key}.{field}"),
                format!("{n} {} can never be measured ({metric} is never negative); use a value ≥ 0", metric.unit()),
            ));
        }
        Ok(Some(n))
    };
    let Some(target) = number("target")? else {
        return Err(invalid(
            key.into(),
            format!("missing `target`; write e.g. `{metric} = {{ target = … }}` in {}", metric.unit()),
        ));
    };
    let acceptable = number("acceptable")?;
    let critical = number("critical")?;
    // Each tier must be strictly worse than the one before it.
    let chain: Vec<(&str, f64)> = [("target", Some(target)), ("acceptable", acceptable), ("critical", critical)]
        .into_iter()
        .filter_map(|(n, v)| v.map(|v| (n, v)))
        .collect();
    for w in chain.windows(2) {
        let ((better_name, better), (worse_name, worse)) = (w[0], w[1]);
        if direction.at_least_as_good(worse, better) {
            let order = match direction {
                Direction::Lower => "target < acceptable < critical",
                Direction::Higher => "target > acceptable > critical",
            };
            return Err(invalid(
                key.into(),
                format!(
                    "tiers in the wrong order for a {}-is-better metric: {worse_name} = {worse} must be worse than {better_name} = {better} ({order})",
                    direction.as_str()
                ),
            ));
        }
    }
    Ok(Bound { metric, target, acceptable, critical })
}

fn as_table<'a>(
    v: &'a Value,
    key: &str,
    invalid: &impl Fn(String, String) -> ConfigError,
) -> Result<&'a Table, ConfigError> {
    match v {
        Value::Table(t) => Ok(t),
        other => Err(invalid(key.into(), format!("expected a table, found {}", describe(other)))),
    }
}

pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string {s:?}"),
        Value::Integer(i) => format!("the integer {i}"),
        Value::Float(f) => format!("the number {f}"),
        Value::Boolean(b) => format!("the boolean {b}"),
        Value::Datetime(d) => format!("the date {d}"),
        Value::Array(_) => "an array".into(),
        Value::Table(_) => "a table".into(),
    }
}

fn known_metrics() -> String {
    Metric::ALL.iter().map(|m| m.key()).collect::<Vec<_>>().join(", ")
}
