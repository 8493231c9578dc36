//! `noisegate ab`: paired A/B runs of a git revision against the working tree.
//!
//! Both sides are built up front, then run `--rounds` times; round i of base and of head form a
//! pair, and the gate judges the per-pair differences, so noise that both runs of a pair share
//! cancels. Two ways to make a pair (`--mode`):
//! - **duet** (default on Linux; see [`super::duet`]): each criterion benchmark alone, base and
//!   head at the same time on one CPU. Cancels the CPU-level slow spells that dominate this
//!   machine's noise for memory- and allocation-heavy code. Non-criterion results (scenario
//!   `metrics.json`) come from whole-machine runs in ABBA order as below.
//! - **alternate**: whole runs one after the other in ABBA order — round i runs base then head
//!   when i is odd, head then base when even — so a machine that slowly speeds up or slows down
//!   penalizes both sides equally (Abedi & Brecht, ICPE 2017: randomized multiple interleaved
//!   trials).
//!
//! Each run is a separate process, the unit the gate's statistics replicate over. Benchmarks
//! whose verdict stays inconclusive or too noisy with the estimate pointing the wrong way get
//! one batch of extra rounds (only they are run), up to `--max-rounds`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use bench_core::calibration::Pairing;
use bench_core::cargo_hook::Phase;
use bench_core::criterion_output::CriterionDir;
use bench_core::gate::{Comparison, Figure, Row, Verdict};
use bench_core::metrics::Direction;
use bench_core::results::ResultsDir;

use super::Outcome;
use super::benches::{self, BenchExe, RoundEnv};
use super::duet;
use super::judge::{self, Dirs};
use crate::cli::{BuildArgs, GateArgs, ModeArg, OutputArgs};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Base,
    Head,
}

impl Which {
    fn label(self) -> &'static str {
        match self {
            Which::Base => "base",
            Which::Head => "head",
        }
    }

    /// ABBA: base first in odd rounds, head first in even ones.
    fn order(round: usize) -> [Which; 2] {
        if round % 2 == 1 { [Which::Base, Which::Head] } else { [Which::Head, Which::Base] }
    }
}

pub(super) struct AbArgs<'a> {
    pub base: &'a str,
    pub mode: Option<ModeArg>,
    pub rounds: usize,
    pub max_rounds: Option<usize>,
    pub build: &'a BuildArgs,
    pub gate: &'a GateArgs,
    pub output: &'a OutputArgs,
    pub bench_args: &'a [String],
}

pub(super) fn run(a: AbArgs<'_>) -> anyhow::Result<Outcome> {
    let mode = duet::resolve(a.mode)?;
    // Extra duets rerun only the unresolved benchmarks, so they can afford more rounds.
    let max_rounds = a.max_rounds.unwrap_or(a.rounds * if mode == ModeArg::Duet { 4 } else { 2 });
    if a.rounds < 2 {
        bail!("--rounds {} is too few: the gate needs at least 2 rounds a side to see run-to-run noise", a.rounds);
    }
    if max_rounds < a.rounds {
        bail!("--max-rounds {max_rounds} is below --rounds {}", a.rounds);
    }
    benches::check_bench_args(a.bench_args)?;
    let (figure, pairing) = match mode {
        ModeArg::Duet => (Figure::TotalOverIterations, Pairing::Duet),
        ModeArg::Alternate => (Figure::Median, Pairing::BackToBack),
    };
    // Round i of base and of head ran as a pair, so they are judged as pairs.
    let config = bench_core::gate::GateConfig { paired: true, ..judge::config(a.gate)? };
    let noise = judge::noise(a.gate, pairing)?;

    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let root = benches::workspace_root(&cwd)?;
    let sha = resolve_rev(&root, a.base)?;
    let target = benches::target_dir(&root)?;
    let ab_dir = target.join("noisegate").join("ab");
    let worktree = Worktree::add(&root, &ab_dir.join(format!("base-{}", &sha[..12])), &sha)?;
    let base_tree = worktree.path.join(relative_to_git_root(&root)?);

    let head_exes = benches::build(&root, a.build, &target, "head (working tree)")?;
    // Kept between runs, so only the first `ab` builds the dependencies a second time.
    let base_target = ab_dir.join("target-base");
    let base_exes = benches::build(&base_tree, a.build, &base_target, &format!("base ({} = {})", a.base, &sha[..12]))?;
    if let Some(same) = base_exes.iter().find(|b| head_exes.iter().any(|h| h.path == b.path)) {
        bail!(
            "base and head bench executables are the same file ({}); refusing to compare a binary with itself",
            same.path.display()
        );
    }

    let criterion_home = ab_dir.join("criterion");
    let results_home = ab_dir.join("noisegate");
    let scenario_home = ab_dir.join("criterion-scenarios");
    for dir in [&criterion_home, &results_home, &scenario_home] {
        // Rounds of a previous `ab` would mix with these; the directories are noisegate's own.
        if dir.exists() {
            std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let env = RoundEnv {
        criterion_home: criterion_home.clone(),
        results_home: results_home.clone(),
        log: ab_dir.join("runs.log"),
        phase: Phase::All,
    };
    let _ = std::fs::remove_file(&env.log);
    let sides = [&base_exes[..], &head_exes[..]];
    let mut runner = match mode {
        ModeArg::Duet => Runner::Duet(duet::Plan::new(sides, a.bench_args, scenario_home)?),
        ModeArg::Alternate => Runner::Alternate { args: a.bench_args.to_vec() },
    };
    eprintln!(
        "noisegate: {} rounds a side, {}; output of every run in {}",
        a.rounds,
        runner.describe(),
        env.log.display()
    );

    let dirs = Dirs { criterion: CriterionDir::at(&criterion_home), results: ResultsDir::at(&results_home) };
    let mut done = 0;
    let mut looks = 0u32;
    let mut extended: BTreeSet<String> = BTreeSet::new();
    let mut cmp = loop {
        // Extra rounds come as one batch (up to --max-rounds): every look costs alpha, so few
        // large looks keep more power than many single-round ones.
        let target_rounds = if done < a.rounds { a.rounds } else { max_rounds };
        while done < target_rounds {
            done += 1;
            let only = (done > a.rounds).then_some(&extended);
            let took = runner.round(done, sides, only, &env)?;
            eprintln!("noisegate: round {done}/{target_rounds}: {took}");
        }
        let names = |w: Which| (1..=done).map(|i| format!("ab-{}-{i}", w.label())).collect::<Vec<_>>();
        let none = Path::new("/nonexistent-noisegate-baselines");
        let base = judge::side(&dirs, "base", &names(Which::Base), none, figure)?;
        let head = judge::side(&dirs, "head", &names(Which::Head), none, figure)?;
        let cmp = judge::compare(&base, &head, &noise, &config);
        looks += 1;
        let suspects = suspects(&cmp);
        if suspects.is_empty() || done >= max_rounds {
            if looks == 1 {
                break cmp;
            }
            // Looking again after the extra rounds is repeated testing: the benchmarks that got
            // them are judged at alpha / looks (Bonferroni), so peeking cannot raise the
            // false-alarm rate. The others keep the verdict of the planned rounds at alpha.
            let strict = bench_core::gate::GateConfig { alpha: config.alpha / f64::from(looks), ..config };
            let strict = judge::compare(&base, &head, &noise, &strict);
            let mut cmp = cmp;
            for (row, strict_row) in cmp.rows.iter_mut().zip(strict.rows) {
                if extended.contains(row.id()) {
                    *row = strict_row;
                }
            }
            eprintln!("noisegate: {} benchmark(s) had extra rounds and were judged at alpha/{looks}", extended.len());
            break cmp;
        }
        extended.extend(suspects.iter().cloned());
        if let Runner::Alternate { args } = &mut runner {
            if benches::has_filter(a.bench_args) {
                eprintln!(
                    "noisegate: {} benchmark(s) still unresolved; your name filter is kept, so extra rounds rerun all it selects",
                    suspects.len()
                );
            } else {
                *args = a.bench_args.to_vec();
                args.push(benches::exact_filter(&suspects.iter().map(String::as_str).collect::<Vec<_>>()));
            }
        }
        eprintln!("noisegate: extra rounds for {} unresolved benchmark(s): {}", suspects.len(), suspects.join(", "));
    };
    cmp.warnings.retain(|w| !w.is_empty());
    let outcome = judge::emit(&cmp, a.output)?;
    let list = |w: &str| (1..=done).map(|i| format!("ab-{w}-{i}")).collect::<Vec<_>>().join(",");
    eprintln!(
        "noisegate: rounds kept in {}; re-judge with:\n  noisegate compare --paired --figure {} --criterion-dir {} --results-dir {} --base {} --head {}",
        ab_dir.display(),
        if figure == Figure::Median { "median" } else { "total" },
        criterion_home.display(),
        results_home.display(),
        list("base"),
        list("head")
    );
    drop(worktree);
    Ok(outcome)
}

/// How the rounds are run.
enum Runner<'a> {
    /// Whole runs of each side in ABBA order, with these bench arguments.
    Alternate { args: Vec<String> },
    /// Duets per criterion benchmark, then the scenario runs.
    Duet(duet::Plan<'a>),
}

impl Runner<'_> {
    fn describe(&self) -> String {
        match self {
            Runner::Alternate { .. } => "whole runs in ABBA order".to_owned(),
            Runner::Duet(d) => format!(
                "{} criterion benchmark(s) as same-CPU duets, {} target(s) with other results in ABBA order",
                d.jobs.len(),
                d.scenario_targets.len()
            ),
        }
    }

    /// Runs round `round` (only the benchmarks in `only`, if given); returns what it took.
    fn round(
        &mut self,
        round: usize,
        sides: [&[BenchExe]; 2],
        only: Option<&BTreeSet<String>>,
        env: &RoundEnv,
    ) -> anyhow::Result<String> {
        let name = |w: Which| format!("ab-{}-{round}", w.label());
        match self {
            Runner::Alternate { args } => {
                let mut times = Vec::new();
                for which in Which::order(round) {
                    let exes = sides[which as usize];
                    let mut took = 0.0;
                    for exe in exes {
                        took += benches::run_round(exe, args, &name(which), env)?.as_secs_f64();
                    }
                    times.push(format!("{} {took:.1} s", which.label()));
                }
                Ok(times.join(", "))
            }
            Runner::Duet(d) => d.round(round, only, [&name(Which::Base), &name(Which::Head)], env),
        }
    }
}

/// Benchmarks that more rounds could resolve towards a regression.
fn suspects(cmp: &Comparison) -> Vec<String> {
    cmp.rows
        .iter()
        .filter_map(|r| match r {
            Row::Judged(j) if matches!(j.verdict, Verdict::Inconclusive | Verdict::TooNoisy) => {
                let worse = match j.direction {
                    Direction::Lower => j.change.estimate > 0.0,
                    Direction::Higher => j.change.estimate < 0.0,
                };
                // Scenario metrics are not criterion benchmarks; a criterion filter cannot select them.
                (worse && !matches!(j.unit, bench_core::gate::Unit::Metric(_))).then(|| j.id.clone())
            }
            _ => None,
        })
        .collect()
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
    Command::new("git").args(args).current_dir(dir).output().context("cannot run git (is it installed and on PATH?)")
}

/// The commit `rev` names, or an error saying how to make it available.
fn resolve_rev(root: &Path, rev: &str) -> anyhow::Result<String> {
    // Outside a repository every revision is "unknown"; say what is really wrong.
    relative_to_git_root(root)?;
    let out = git(root, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])?;
    if !out.status.success() {
        bail!(
            "unknown git revision `{rev}` in {} (fetch it, e.g. `git fetch origin main`, and check the name; CI checkouts need full history: fetch-depth: 0)",
            root.display()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Where the workspace sits inside its git repository.
fn relative_to_git_root(root: &Path) -> anyhow::Result<PathBuf> {
    let out = git(root, &["rev-parse", "--show-prefix"])?;
    if !out.status.success() {
        bail!(
            "{} is not inside a git repository; `noisegate ab` needs git to check out the base revision",
            root.display()
        );
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// A detached git worktree, removed again when dropped.
struct Worktree {
    repo: PathBuf,
    path: PathBuf,
}

impl Worktree {
    fn add(repo: &Path, path: &Path, sha: &str) -> anyhow::Result<Worktree> {
        if path.exists() {
            let _ = git(repo, &["worktree", "remove", "--force", &path.to_string_lossy()]);
            let _ = std::fs::remove_dir_all(path);
        }
        let _ = git(repo, &["worktree", "prune"]);
        let out = git(repo, &["worktree", "add", "--detach", &path.to_string_lossy(), sha])?;
        if !out.status.success() {
            bail!("cannot check out {sha} into {}: {}", path.display(), String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(Worktree { repo: repo.to_path_buf(), path: path.to_path_buf() })
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let _ = git(&self.repo, &["worktree", "remove", "--force", &self.path.to_string_lossy()]);
    }
}
