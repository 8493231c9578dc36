//! Load-scenario profiles: `[profiles.<name>]` tables in `noisegate.toml` that say how long and
//! how hard each load scenario runs (peak, sustained, burst, stepped, closed-loop comparison).
//!
//! The built-in profiles (`quick`, `full`, `continuous`) are in `targets/defaults.toml`, the same
//! file as the root `noisegate.toml`. `full` lists every key; the others say
//! `inherits = "full"` and override a few. A profile in a user's file takes its missing keys
//! from the profile it `inherits`, else from the built-in profile of the same name, else from
//! the built-in `full` — so `[profiles.quick] sustained = { duration_s = 60 }` changes one
//! figure. A `mix` table replaces the inherited one whole (so an operation can be dropped).
//!
//! Which profile a run uses: `--quick` → `quick`; else `$NOISEGATE_PROFILE`; else `full`.
//! Durations are in seconds (`_s` keys), rates in percent of the measured peak.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

mod fields;
mod kinds;

pub use kinds::{BurstProfile, ClosedLoopProfile, PeakProfile, Profile, SteppedProfile, SustainedProfile};

use super::config::{ConfigError, describe};

/// Environment variable naming the profile when `--quick` is not given.
pub const PROFILE_ENV: &str = "NOISEGATE_PROFILE";
/// Profile used without `--quick` or [`PROFILE_ENV`].
pub const DEFAULT_PROFILE: &str = "full";
/// Profile `--quick` selects.
pub const QUICK_PROFILE: &str = "quick";

/// Every profile of a configuration, built-in ones included.
#[derive(Debug, Clone, PartialEq)]
pub struct Profiles {
    /// Profiles by name, built-ins first, then the file's new ones.
    pub profiles: Vec<Profile>,
    /// The file they came from; `None` for the built-in defaults.
    pub origin: Option<PathBuf>,
}

impl Profiles {
    /// The built-in profiles.
    pub fn defaults() -> Self {
        let path = Path::new("<built-in defaults>");
        let mut p = parse(super::DEFAULTS_TOML, path, None).expect("built-in profiles are valid (unit-tested)");
        p.origin = None;
        p
    }

    /// Parses configuration text; `path` names it in errors.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let builtin = builtin_tables();
        parse(text, path, Some(&builtin))
    }

    /// Loads an explicitly named file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        Self::from_toml_str(&text, path)
    }

    /// `$NOISEGATE_CONFIG`, else the nearest `noisegate.toml` in `dir` or above, else defaults
    /// (the same search as [`Targets::discover`](super::Targets::discover)).
    pub fn discover(dir: &Path) -> Result<Self, ConfigError> {
        super::config_path(dir).map_or_else(|| Ok(Self::defaults()), |p| Self::load(&p))
    }

    /// The profile called `name`.
    pub fn get(&self, name: &str) -> Result<&Profile, ConfigError> {
        self.profiles.iter().find(|p| p.name == name).ok_or_else(|| ConfigError::Invalid {
            path: self.origin.clone().unwrap_or_else(|| PathBuf::from("<built-in defaults>")),
            key: format!("profiles.{name}"),
            problem: format!(
                "no such profile; known profiles: {} (set ${PROFILE_ENV} to one of them, or add a [profiles.{name}] table)",
                self.names().join(", ")
            ),
        })
    }

    /// The profile for a run: `quick` when `quick`, else `$NOISEGATE_PROFILE`, else `full`.
    pub fn select(&self, quick: bool) -> Result<&Profile, ConfigError> {
        self.select_with(quick, std::env::var(PROFILE_ENV).ok().as_deref())
    }

    /// [`Self::select`] with the environment variable's value given.
    pub fn select_with(&self, quick: bool, env: Option<&str>) -> Result<&Profile, ConfigError> {
        let name = if quick { QUICK_PROFILE } else { env.filter(|s| !s.trim().is_empty()).unwrap_or(DEFAULT_PROFILE) };
        self.get(name.trim())
    }

    /// Profile names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.profiles.iter().map(|p| p.name.as_str()).collect()
    }
}

/// The built-in profiles as resolved TOML tables.
fn builtin_tables() -> Vec<(String, Table)> {
    let table: Table = super::DEFAULTS_TOML.parse().expect("built-in defaults are valid TOML");
    let profiles = table.get("profiles").and_then(Value::as_table).cloned().unwrap_or_default();
    let path = Path::new("<built-in defaults>");
    profiles
        .keys()
        .map(|name| {
            let t = resolve(name, &profiles, path, None, &mut Vec::new()).expect("built-in profiles resolve");
            (name.clone(), t)
        })
        .collect()
}

fn parse(text: &str, path: &Path, builtin: Option<&[(String, Table)]>) -> Result<Profiles, ConfigError> {
    let table: Table =
        text.parse().map_err(|e: toml::de::Error| ConfigError::Syntax { path: path.into(), message: e.to_string() })?;
    let invalid = |key: String, problem: String| ConfigError::Invalid { path: path.into(), key, problem };
    let own = match table.get("profiles") {
        None => Table::new(),
        Some(Value::Table(t)) => t.clone(),
        Some(other) => return Err(invalid("profiles".into(), format!("expected a table, found {}", describe(other)))),
    };
    // Built-ins the file does not redefine come first, then the file's profiles in its order.
    let mut names: Vec<String> =
        builtin.unwrap_or_default().iter().map(|(n, _)| n.clone()).filter(|n| !own.contains_key(n)).collect();
    names.extend(own.keys().cloned());
    let mut profiles = Vec::new();
    for name in names {
        let resolved = if own.contains_key(&name) {
            resolve(&name, &own, path, builtin, &mut Vec::new())?
        } else {
            builtin.unwrap_or_default().iter().find(|(n, _)| *n == name).map(|(_, t)| t.clone()).unwrap_or_default()
        };
        profiles.push(fields::parse_profile(&name, &resolved, &invalid)?);
    }
    Ok(Profiles { profiles, origin: Some(path.into()) })
}

/// `profiles.<name>` of `own` merged over what it inherits.
fn resolve(
    name: &str,
    own: &Table,
    path: &Path,
    builtin: Option<&[(String, Table)]>,
    stack: &mut Vec<String>,
) -> Result<Table, ConfigError> {
    let invalid = |key: String, problem: String| ConfigError::Invalid { path: path.into(), key, problem };
    let key = format!("profiles.{name}");
    let Some(value) = own.get(name) else {
        return Err(invalid(key, "no such profile".into()));
    };
    let Value::Table(mine) = value else {
        return Err(invalid(key, format!("expected a table, found {}", describe(value))));
    };
    if stack.iter().any(|n| n == name) {
        stack.push(name.to_owned());
        return Err(invalid(format!("{key}.inherits"), format!("inheritance cycle: {}", stack.join(" → "))));
    }
    stack.push(name.to_owned());
    let from_builtin = |n: &str| builtin.and_then(|b| b.iter().find(|(bn, _)| bn == n)).map(|(_, t)| t.clone());
    let base = match mine.get("inherits") {
        Some(Value::String(parent)) if own.contains_key(parent) => resolve(parent, own, path, builtin, stack)?,
        Some(Value::String(parent)) => from_builtin(parent).ok_or_else(|| {
            let mut known: Vec<&str> = own.keys().map(String::as_str).collect();
            known.extend(builtin.unwrap_or_default().iter().map(|(n, _)| n.as_str()));
            known.sort_unstable();
            known.dedup();
            invalid(format!("{key}.inherits"), format!("no profile `{parent}` to inherit; known: {}", known.join(", ")))
        })?,
        Some(other) => {
            return Err(invalid(
                format!("{key}.inherits"),
                format!("expected the name of another profile, found {}", describe(other)),
            ));
        }
        None => from_builtin(name).or_else(|| from_builtin(DEFAULT_PROFILE)).unwrap_or_default(),
    };
    stack.pop();
    let mut merged = base;
    merged.remove("inherits");
    for (k, v) in mine {
        if k == "inherits" {
            continue;
        }
        match (merged.get_mut(k), v) {
            // Scenario tables merge key by key; `mix` is replaced whole.
            (Some(Value::Table(base_t)), Value::Table(t)) if k != "mix" => {
                for (kk, vv) in t {
                    base_t.insert(kk.clone(), vv.clone());
                }
            }
            _ => {
                merged.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests;
