//! Reading one resolved `[profiles.<name>]` table into a [`Profile`], every error naming the
//! dotted key, the value found and the fix.

use std::time::Duration;

use toml::{Table, Value};

use super::kinds::{BurstProfile, ClosedLoopProfile, PeakProfile, Profile, SteppedProfile, SustainedProfile};
use crate::targets::config::{ConfigError, describe};

const TOP_KEYS: &[&str] = &[
    "description",
    "interval_s",
    "warmup_s",
    "cooldown_s",
    "agents",
    "mix",
    "peak",
    "sustained",
    "burst",
    "stepped",
    "closed_loop",
];
const PEAK_KEYS: &[&str] = &[
    "capacity_workers",
    "trial_s",
    "search_trials",
    "min_success_percent",
    "max_p99_ms",
    "headroom_percent",
    "duration_s",
];
const SUSTAINED_KEYS: &[&str] =
    &["duration_s", "rate_percent", "segment_percent", "degradation_threshold_percent", "leak_threshold_mib_per_min"];
const BURST_KEYS: &[&str] =
    &["base_percent", "multiplier", "burst_s", "period_s", "count", "recovery_tolerance_percent", "recovery_intervals"];
const STEPPED_KEYS: &[&str] = &["base_percent", "step_percents", "step_s", "knee_factor", "achieved_tolerance_percent"];
const CLOSED_KEYS: &[&str] = &["workers", "duration_s"];

/// Longest duration a profile may give: 30 days.
const MAX_SECONDS: f64 = 30.0 * 86_400.0;

/// Reads fields of one table, naming them `<prefix>.<key>` in errors.
struct Fields<'a, F> {
    t: &'a Table,
    prefix: String,
    invalid: &'a F,
}

impl<'a, F: Fn(String, String) -> ConfigError> Fields<'a, F> {
    fn key(&self, k: &str) -> String {
        format!("{}.{k}", self.prefix)
    }

    fn err(&self, k: &str, problem: String) -> ConfigError {
        (self.invalid)(self.key(k), problem)
    }

    fn check_keys(&self, known: &[&str]) -> Result<(), ConfigError> {
        match self.t.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(self.err(k, format!("unknown key; expected one of: {}", known.join(", ")))),
            None => Ok(()),
        }
    }

    fn get(&self, k: &str) -> Result<&'a Value, ConfigError> {
        self.t.get(k).ok_or_else(|| {
            self.err(k, "missing; add it, or inherit it with `inherits = \"full\"` (see the built-in profiles)".into())
        })
    }

    fn number(&self, k: &str, unit: &str) -> Result<f64, ConfigError> {
        match self.get(k)? {
            Value::Integer(i) => Ok(*i as f64),
            Value::Float(f) if f.is_finite() => Ok(*f),
            other => Err(self.err(k, format!("expected a finite number in {unit}, found {}", describe(other)))),
        }
    }

    fn positive(&self, k: &str, unit: &str) -> Result<f64, ConfigError> {
        let v = self.number(k, unit)?;
        if v > 0.0 { Ok(v) } else { Err(self.err(k, format!("is {v}; it must be greater than zero ({unit})"))) }
    }

    fn seconds(&self, k: &str, allow_zero: bool) -> Result<Duration, ConfigError> {
        let v = self.number(k, "seconds")?;
        if v < 0.0 || (v == 0.0 && !allow_zero) {
            let need = if allow_zero { "zero or more" } else { "greater than zero" };
            return Err(self.err(k, format!("is {v} s; it must be {need} seconds")));
        }
        if v > MAX_SECONDS {
            return Err(self.err(k, format!("is {v} s, more than 30 days; give a shorter duration in seconds")));
        }
        Ok(Duration::from_secs_f64(v))
    }

    fn count(&self, k: &str) -> Result<u64, ConfigError> {
        match self.get(k)? {
            Value::Integer(i) if *i >= 1 => Ok(*i as u64),
            other => Err(self.err(k, format!("expected a whole number of at least 1, found {}", describe(other)))),
        }
    }

    fn percent_list(&self, k: &str) -> Result<Vec<f64>, ConfigError> {
        let Value::Array(items) = self.get(k)? else {
            return Err(self.err(
                k,
                format!("expected a list of percentages such as [10, 50, 100], found {}", describe(self.get(k)?)),
            ));
        };
        if items.is_empty() {
            return Err(self.err(k, "is empty; give at least one percentage, e.g. [100]".into()));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Integer(n) if *n > 0 => Ok(*n as f64),
                Value::Float(f) if f.is_finite() && *f > 0.0 => Ok(*f),
                other => Err(self
                    .err(&format!("{k}[{i}]"), format!("expected a positive percentage, found {}", describe(other)))),
            })
            .collect()
    }

    fn sub(&self, k: &str, known: &[&str]) -> Result<Fields<'a, F>, ConfigError> {
        match self.get(k)? {
            Value::Table(t) => {
                let f = Fields { t, prefix: self.key(k), invalid: self.invalid };
                f.check_keys(known)?;
                Ok(f)
            }
            other => Err(self.err(k, format!("expected a table such as {k} = {{ … }}, found {}", describe(other)))),
        }
    }
}

pub(super) fn parse_profile(
    name: &str,
    t: &Table,
    invalid: &impl Fn(String, String) -> ConfigError,
) -> Result<Profile, ConfigError> {
    let f = Fields { t, prefix: format!("profiles.{name}"), invalid };
    f.check_keys(TOP_KEYS)?;
    let description = match t.get("description") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(f.err("description", format!("expected a string, found {}", describe(other)))),
    };
    let interval = f.seconds("interval_s", false)?;
    let warmup = f.seconds("warmup_s", true)?;
    let cooldown = f.seconds("cooldown_s", true)?;
    let agents = f.count("agents")? as usize;
    let mix = parse_mix(&f)?;

    let p = f.sub("peak", PEAK_KEYS)?;
    let peak = PeakProfile {
        capacity_workers: p.count("capacity_workers")? as usize,
        trial: p.seconds("trial_s", false)?,
        search_trials: u32::try_from(p.count("search_trials")?).ok().filter(|&n| n <= 20).ok_or_else(|| {
            p.err("search_trials", "is more than 20; 7 trials already pin the rate to within 5 %".into())
        })?,
        min_success_percent: p.positive("min_success_percent", "percent")?,
        max_p99_ms: p.positive("max_p99_ms", "ms")?,
        headroom_percent: p.number("headroom_percent", "percent")?,
        duration: p.seconds("duration_s", false)?,
    };
    if !(0.0..100.0).contains(&peak.headroom_percent) {
        return Err(p.err(
            "headroom_percent",
            format!("is {}; give a percentage from 0 (none) to below 100, e.g. 10", peak.headroom_percent),
        ));
    }
    if peak.min_success_percent > 100.0 {
        return Err(
            p.err("min_success_percent", format!("is {}; a success rate is at most 100", peak.min_success_percent))
        );
    }
    let s = f.sub("sustained", SUSTAINED_KEYS)?;
    let sustained = SustainedProfile {
        duration: s.seconds("duration_s", false)?,
        rate_percent: s.positive("rate_percent", "percent of the peak")?,
        segment_percent: s.positive("segment_percent", "percent")?,
        degradation_threshold_percent: s.positive("degradation_threshold_percent", "percent")?,
        leak_threshold_mib_per_min: s.positive("leak_threshold_mib_per_min", "MiB/min")?,
    };
    if sustained.segment_percent > 50.0 {
        return Err(s.err(
            "segment_percent",
            format!("is {}; first and last segments cannot overlap, use at most 50", sustained.segment_percent),
        ));
    }
    let b = f.sub("burst", BURST_KEYS)?;
    let burst = BurstProfile {
        base_percent: b.positive("base_percent", "percent of the peak")?,
        multiplier: b.positive("multiplier", "times the base rate")?,
        burst: b.seconds("burst_s", false)?,
        period: b.seconds("period_s", false)?,
        count: u32::try_from(b.count("count")?).map_err(|_| b.err("count", "is too large".into()))?,
        recovery_tolerance_percent: b.positive("recovery_tolerance_percent", "percent")?,
        recovery_intervals: b.count("recovery_intervals")? as usize,
    };
    if burst.burst >= burst.period {
        return Err(b.err(
            "burst_s",
            format!(
                "is {} s, not shorter than period_s = {} s: a burst must fit in its period with base-rate time after it",
                burst.burst.as_secs_f64(),
                burst.period.as_secs_f64()
            ),
        ));
    }
    let st = f.sub("stepped", STEPPED_KEYS)?;
    let stepped = SteppedProfile {
        base_percent: st.positive("base_percent", "percent of the peak")?,
        step_percents: st.percent_list("step_percents")?,
        step: st.seconds("step_s", false)?,
        knee_factor: st.positive("knee_factor", "times the lowest step's p99")?,
        achieved_tolerance_percent: st.positive("achieved_tolerance_percent", "percent")?,
    };
    if stepped.knee_factor <= 1.0 {
        return Err(st.err("knee_factor", format!("is {}; it must be above 1 (e.g. 3)", stepped.knee_factor)));
    }
    let c = f.sub("closed_loop", CLOSED_KEYS)?;
    let workers = match c.get("workers")? {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Integer(n) if *n >= 1 => Ok(*n as usize),
                other => Err(c.err(
                    &format!("workers[{i}]"),
                    format!("expected a worker count of at least 1, found {}", describe(other)),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        other => {
            return Err(c.err(
                "workers",
                format!("expected a list of worker counts such as [1, 10, 100], found {}", describe(other)),
            ));
        }
    };
    let closed_loop = ClosedLoopProfile { workers, duration: c.seconds("duration_s", false)? };

    // Each measured phase must outlast the warm-up and cool-down around it.
    let excluded = warmup + cooldown;
    for (scenario, key, d) in [("peak", "duration_s", peak.duration), ("sustained", "duration_s", sustained.duration)] {
        if d <= excluded {
            return Err(f.err(
                &format!("{scenario}.{key}"),
                format!(
                    "is {} s, not longer than warmup_s + cooldown_s = {} s: nothing would be measured; lengthen it or shorten the warm-up",
                    d.as_secs_f64(),
                    excluded.as_secs_f64()
                ),
            ));
        }
    }
    Ok(Profile {
        name: name.to_owned(),
        description,
        interval,
        warmup,
        cooldown,
        agents,
        mix,
        peak,
        sustained,
        burst,
        stepped,
        closed_loop,
    })
}

fn parse_mix<F: Fn(String, String) -> ConfigError>(f: &Fields<'_, F>) -> Result<Vec<(String, u32)>, ConfigError> {
    let Value::Table(t) = f.get("mix")? else {
        return Err(f.err(
            "mix",
            format!(
                "expected a table of weights such as {{ read = 70, write = 30 }}, found {}",
                describe(f.get("mix")?)
            ),
        ));
    };
    if t.is_empty() {
        return Err(f.err("mix", "is empty; give at least one operation with a positive weight".into()));
    }
    t.iter()
        .map(|(op, w)| match w {
            Value::Integer(n) if *n >= 1 && *n <= i64::from(u32::MAX) => Ok((op.clone(), *n as u32)),
            Value::Integer(0) => Err(
                f.err(&format!("mix.{op}"), "weight is 0: give it a positive weight, or remove the operation".into())
            ),
            other => {
                Err(f.err(&format!("mix.{op}"), format!("expected a positive whole weight, found {}", describe(other))))
            }
        })
        .collect()
}
