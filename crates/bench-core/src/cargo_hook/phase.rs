//! Which part of a bench target a process runs, as `noisegate ab` asks through
//! `NOISEGATE_PHASE`.
//!
//! `ab` in duet mode runs every criterion benchmark on its own (an exact name filter), base and
//! head at the same time on one CPU, and everything else a bench target measures (open-loop
//! scenarios, footprints: results under `target/noisegate/`) in separate whole-machine runs.
//! The first kind of process must not start the scenarios, and the second must not repeat the
//! criterion benchmarks. Bench targets honour this by passing their `Criterion` through
//! [`Phase::apply`] and asking [`Phase::runs_scenarios`] before their own runs; targets that do
//! not know the variable still work, they just repeat work.

use criterion::measurement::Measurement;
use criterion::{BenchmarkFilter, Criterion};

/// Environment variable naming the phase: `criterion` or `scenarios`; unset = both.
pub const PHASE_ENV: &str = "NOISEGATE_PHASE";

/// What this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Everything (the variable is unset: a plain `cargo bench`).
    All,
    /// Only criterion benchmarks.
    Criterion,
    /// Only the target's own scenario runs.
    Scenarios,
}

impl Phase {
    /// The phase `NOISEGATE_PHASE` names; an unknown value is reported and treated as unset.
    pub fn current() -> Phase {
        match std::env::var(PHASE_ENV) {
            Ok(v) => Phase::parse(&v).unwrap_or_else(|| {
                eprintln!(
                    "noisegate: ignoring {PHASE_ENV}={v:?} (expected `criterion` or `scenarios`); running everything"
                );
                Phase::All
            }),
            Err(_) => Phase::All,
        }
    }

    /// `criterion` / `scenarios`.
    pub fn parse(s: &str) -> Option<Phase> {
        match s {
            "criterion" => Some(Phase::Criterion),
            "scenarios" => Some(Phase::Scenarios),
            _ => None,
        }
    }

    /// The value to set for this phase (`None` for [`Phase::All`]).
    pub fn as_env(self) -> Option<&'static str> {
        match self {
            Phase::All => None,
            Phase::Criterion => Some("criterion"),
            Phase::Scenarios => Some("scenarios"),
        }
    }

    /// Whether a target's own (non-criterion) runs happen in this phase.
    pub fn runs_scenarios(self) -> bool {
        self != Phase::Criterion
    }

    /// `c`, made to run no criterion benchmark in the scenarios phase.
    pub fn apply<M: Measurement>(self, c: Criterion<M>) -> Criterion<M> {
        if self == Phase::Scenarios { c.with_benchmark_filter(BenchmarkFilter::RejectAll) } else { c }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_round_trip_and_say_what_runs() {
        for p in [Phase::Criterion, Phase::Scenarios] {
            assert_eq!(Phase::parse(p.as_env().unwrap()), Some(p));
        }
        assert_eq!(Phase::parse("all"), None);
        assert!(Phase::All.runs_scenarios() && Phase::Scenarios.runs_scenarios());
        assert!(!Phase::Criterion.runs_scenarios());
    }
}
