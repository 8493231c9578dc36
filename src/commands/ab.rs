//! `noisegate ab`: interleaved A/B runs of a git revision against the working tree.
//!
//! Method (Abedi & Brecht, ICPE 2017: randomized multiple interleaved trials; Bulej et al.,
//! EMSE 2020): both sides are built up front, then run alternately in ABBA order — round i runs
//! base then head when i is odd, head then base when even — so a machine that slowly speeds up
//! or slows down penalizes both sides equally. Each run is a separate process, the unit the
//! gate's statistics replicate over. Benchmarks whose verdict stays inconclusive or too noisy
//! with the estimate pointing the wrong way get extra rounds (only they are run), up to
//! `--max-rounds`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use bench_core::criterion::CriterionDir;
use bench_core::gate::{Comparison, Row, Verdict};
use bench_core::metrics::Direction;
use bench_core::results::ResultsDir;

use super::Outcome;
use super::benches::{self, BenchExe, RoundEnv};
use super::judge::{self, Dirs};
use crate::cli::{BuildArgs, GateArgs, OutputArgs};

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
}

pub struct AbArgs<'a> {
    pub base: &'a str,
    pub rounds: usize,
    pub max_rounds: Option<usize>,
    pub build: &'a BuildArgs,
    pub gate: &'a GateArgs,
    pub output: &'a OutputArgs,
    pub bench_args: &'a [String],
}

pub fn run(a: AbArgs<'_>) -> anyhow::Result<Outcome> {
    let max_rounds = a.max_rounds.unwrap_or(a.rounds * 2);
    if a.rounds < 2 {
        bail!("--rounds {} is too few: the gate needs at least 2 rounds a side to see run-to-run noise", a.rounds);
    }
    if max_rounds < a.rounds {
        bail!("--max-rounds {max_rounds} is below --rounds {}", a.rounds);
    }
    benches::check_bench_args(a.bench_args)?;
    // Round i of base and of head run back to back (ABBA), so they are judged as pairs.
    let config = bench_core::gate::GateConfig { paired: true, ..judge::config(a.gate)? };
    let noise = judge::noise(a.gate)?;

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
    for dir in [&criterion_home, &results_home] {
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
    };
    let _ = std::fs::remove_file(&env.log);
    eprintln!("noisegate: {} rounds a side in ABBA order; output of every run in {}", a.rounds, env.log.display());

    let dirs = Dirs { criterion: CriterionDir::at(&criterion_home), results: ResultsDir::at(&results_home) };
    let mut done = 0;
    let mut looks = 0u32;
    let mut extended: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut args = a.bench_args.to_vec();
    let mut cmp = loop {
        // Extra rounds come as one batch (up to --max-rounds): every look costs alpha, so few
        // large looks keep more power than many single-round ones.
        let target_rounds = if done < a.rounds { a.rounds } else { max_rounds };
        while done < target_rounds {
            done += 1;
            let order = if done % 2 == 1 { [Which::Base, Which::Head] } else { [Which::Head, Which::Base] };
            let mut times = Vec::new();
            for which in order {
                let exes = if which == Which::Base { &base_exes } else { &head_exes };
                let took = run_side(exes, &args, &format!("ab-{}-{done}", which.label()), &env)?;
                times.push(format!("{} {:.1} s", which.label(), took));
            }
            eprintln!("noisegate: round {done}/{target_rounds}: {}", times.join(", "));
        }
        let names = |w: Which| (1..=done).map(|i| format!("ab-{}-{i}", w.label())).collect::<Vec<_>>();
        let none = Path::new("/nonexistent-noisegate-baselines");
        let base = judge::side(&dirs, "base", &names(Which::Base), none)?;
        let head = judge::side(&dirs, "head", &names(Which::Head), none)?;
        let cmp = judge::compare(&base, &head, &noise, &config);
        looks += 1;
        let suspects = suspects(&cmp);
        if suspects.is_empty() || done >= max_rounds {
            if looks == 1 {
                break cmp;
            }
            // Looking again after each extra round is repeated testing: the benchmarks that got
            // extra rounds are judged at alpha / looks (Bonferroni), so peeking cannot raise the
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
        if benches::has_filter(a.bench_args) {
            eprintln!(
                "noisegate: {} benchmark(s) still unresolved; your name filter is kept, so extra rounds rerun all it selects",
                suspects.len()
            );
        } else {
            args = a.bench_args.to_vec();
            args.push(benches::exact_filter(&suspects.iter().map(String::as_str).collect::<Vec<_>>()));
        }
        eprintln!("noisegate: extra round for {} unresolved benchmark(s): {}", suspects.len(), suspects.join(", "));
    };
    cmp.warnings.retain(|w| !w.is_empty());
    let outcome = judge::emit(&cmp, a.output)?;
    let list = |w: &str| (1..=done).map(|i| format!("ab-{w}-{i}")).collect::<Vec<_>>().join(",");
    eprintln!(
        "noisegate: rounds kept in {}; re-judge with:\n  noisegate compare --criterion-dir {} --results-dir {} --base {} --head {}",
        ab_dir.display(),
        criterion_home.display(),
        results_home.display(),
        list("base"),
        list("head")
    );
    drop(worktree);
    Ok(outcome)
}

/// Runs every executable of one side; returns the seconds taken.
fn run_side(exes: &[BenchExe], args: &[String], save_as: &str, env: &RoundEnv) -> anyhow::Result<f64> {
    let mut total = 0.0;
    for exe in exes {
        total += benches::run_round(exe, args, save_as, env)?.as_secs_f64();
    }
    Ok(total)
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
