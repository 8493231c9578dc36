//! What a duet round runs: the bench targets' benchmarks (listed with criterion's `--list`,
//! under the user's filter), the flags each duet gets, and the rounds of a whole plan.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use bench_core::cargo_hook::Phase;

use super::merge::snapshot;
use super::run::{Job, Order, run_round};
use crate::commands::benches::{self, BenchExe, RoundEnv};

/// `args` without criterion's positional name filter (and `--exact`), which a duet replaces by
/// its own exact filter. Returns the flags and the filter.
pub(super) fn split_filter(args: &[String]) -> (Vec<String>, Option<String>) {
    let mut flags = Vec::new();
    let mut filter = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if benches::WITH_VALUE.contains(&a.as_str()) {
            flags.extend(args[i..(i + 2).min(args.len())].iter().cloned());
            i += 2;
            continue;
        }
        if a == "--exact" {
            i += 1;
            continue;
        }
        if !a.starts_with('-') && filter.is_none() {
            filter = Some(a.clone());
        } else {
            flags.push(a.clone());
        }
        i += 1;
    }
    (flags, filter)
}

/// The criterion benchmarks `exe` runs with `args` (its name filter applies), from criterion's
/// `--list` (`<id>: benchmark` lines; libtest's harness prints the same shape).
pub(super) fn list(exe: &BenchExe, args: &[String]) -> anyhow::Result<Vec<String>> {
    let out = Command::new(&exe.path)
        .arg("--bench")
        .args(args)
        .arg("--list")
        .current_dir(&exe.cwd)
        .env(bench_core::cargo_hook::PHASE_ENV, Phase::Criterion.as_env().expect("a phase value"))
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {} --list", exe.path.display()))?;
    if !out.status.success() {
        bail!(
            "bench target `{}` failed to list its benchmarks ({}): {}",
            exe.name,
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(parse_list(&String::from_utf8_lossy(&out.stdout)))
}

pub(super) fn parse_list(stdout: &str) -> Vec<String> {
    stdout.lines().filter_map(|l| l.strip_suffix(": benchmark")).map(str::to_owned).collect()
}

/// Which benchmarks to run as duets, and which targets also have results of their own (run
/// whole, sides in ABBA order).
pub(crate) struct Plan<'a> {
    pub jobs: Vec<Job<'a>>,
    /// The bench arguments without the name filter (each duet has its own exact filter).
    pub(super) flags: Vec<String>,
    /// The bench arguments as given, for the scenario runs.
    args: Vec<String>,
    /// Target names run whole (scenarios phase) each planned round; after round 1 only those
    /// that wrote results.
    pub scenario_targets: Vec<String>,
    /// criterion's directory for the scenario runs (nothing criterion writes there is read).
    scenario_home: PathBuf,
    /// Each side's executables.
    exes: [&'a [BenchExe]; 2],
}

impl<'a> Plan<'a> {
    /// Lists each side's benchmarks (with the name filter in `args`) and pairs them by id.
    pub(crate) fn new(sides: [&'a [BenchExe]; 2], args: &[String], scenario_home: PathBuf) -> anyhow::Result<Plan<'a>> {
        let (flags, filter) = split_filter(args);
        let list_args: Vec<String> = flags.iter().cloned().chain(filter).collect();
        let flags = duet_flags(&flags);
        let mut jobs: Vec<Job<'a>> = Vec::new();
        for (side, exes) in sides.iter().enumerate() {
            for exe in exes.iter() {
                for id in list(exe, &list_args)? {
                    match jobs.iter_mut().find(|j| j.id == id) {
                        Some(j) => j.sides[side] = Some(exe),
                        None => {
                            let mut job = Job { id, sides: [None, None] };
                            job.sides[side] = Some(exe);
                            jobs.push(job);
                        }
                    }
                }
            }
        }
        let mut scenario_targets: Vec<String> = sides.iter().flat_map(|s| s.iter().map(|e| e.name.clone())).collect();
        scenario_targets.sort();
        scenario_targets.dedup();
        Ok(Plan { jobs, flags, args: args.to_vec(), scenario_targets, scenario_home, exes: sides })
    }

    /// Runs round `round` of every job (or of those in `only`: extra rounds, which skip the
    /// scenario runs), saving side i as `save_as[i]`; returns what it took.
    pub(crate) fn round(
        &mut self,
        round: usize,
        only: Option<&BTreeSet<String>>,
        save_as: [&str; 2],
        env: &RoundEnv,
    ) -> anyhow::Result<String> {
        let jobs: Vec<Job<'_>> = self
            .jobs
            .iter()
            .filter(|j| only.is_none_or(|o| o.contains(&j.id)))
            .map(|j| Job { id: j.id.clone(), sides: j.sides })
            .collect();
        let (duets, uneven) = run_round(&jobs, &self.flags, save_as, env, Order::of_round(round))?;
        let mut said = format!("{} duet(s) {duets:.1} s", jobs.len());
        if uneven > 0 {
            said.push_str(&format!(" ({uneven} uneven: one run went on alone for over a quarter of the duet)"));
        }
        // Scenario metrics are not criterion benchmarks: they never get extra rounds.
        if only.is_some() || self.scenario_targets.is_empty() {
            return Ok(said);
        }
        let scenario_env = RoundEnv {
            criterion_home: self.scenario_home.clone(),
            results_home: env.results_home.clone(),
            log: env.log.clone(),
            phase: Phase::Scenarios,
        };
        let mut wrote: BTreeSet<String> = BTreeSet::new();
        for side in if round % 2 == 1 { [0, 1] } else { [1, 0] } {
            let mut took = 0.0;
            for exe in self.exes[side].iter().filter(|e| self.scenario_targets.contains(&e.name)) {
                let before = snapshot(&env.results_home);
                took += benches::run_round(exe, &self.args, save_as[side], &scenario_env)?.as_secs_f64();
                if snapshot(&env.results_home) != before {
                    wrote.insert(exe.name.clone());
                }
            }
            said.push_str(&format!(", {} scenarios {took:.1} s", save_as[side]));
        }
        if round == 1 {
            // Targets without results of their own need no whole runs (their criterion
            // benchmarks ran as duets).
            self.scenario_targets.retain(|t| wrote.contains(t));
        }
        Ok(said)
    }
}

/// The bench flags for duets: criterion's `--quick` stops each run as soon as its own estimate
/// settles, so the two runs of a duet would end at different times and one would run alone
/// (measured: an A/A duet of `request_response` under `--quick` read −48 %). Duets replace it by
/// fixed times, the accuracy experiment's 0.5 s warm-up and 1 s measurement (unless given).
pub(super) fn duet_flags(flags: &[String]) -> Vec<String> {
    if !flags.iter().any(|f| f == "--quick") {
        return flags.to_vec();
    }
    let mut out: Vec<String> = flags.iter().filter(|f| *f != "--quick").cloned().collect();
    for (flag, value) in [("--warm-up-time", "0.5"), ("--measurement-time", "1")] {
        if !out.iter().any(|f| f == flag) {
            out.extend([flag.to_owned(), value.to_owned()]);
        }
    }
    out
}
