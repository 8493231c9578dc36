//! Running one round of duets: two processes per benchmark, started together on one CPU,
//! polled until both end, their criterion files merged into the shared home.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bench_core::cargo_hook::Phase;

use super::affinity::{pin, usable_cpus};
use super::merge::merge_tree;
use crate::commands::benches::{self, BenchExe, RoundEnv};

/// One benchmark to run as a duet; a side is `None` where that side's executable lacks it (an
/// added or removed benchmark then runs alone, so the comparison can list it).
pub(crate) struct Job<'a> {
    pub id: String,
    pub sides: [Option<&'a BenchExe>; 2],
}

/// Runs every job once as a duet, saving side i's result as `save_as[i]`: one duet per usable
/// CPU at a time, each pinned to its CPU. criterion's files end up under
/// `env.criterion_home`, exactly as a plain run with `--save-baseline` leaves them. Returns
/// the wall-clock seconds taken and how many duets were [uneven](Running::uneven).
pub(super) fn run_round(
    jobs: &[Job<'_>],
    flags: &[String],
    save_as: [&str; 2],
    env: &RoundEnv,
    order: Order,
) -> anyhow::Result<(f64, usize)> {
    let cpus = usable_cpus();
    if cpus.is_empty() {
        bail!("duets need to pin processes to a CPU, which this system does not allow; use --mode alternate");
    }
    let scratch = env.criterion_home.with_file_name("duets");
    let started = Instant::now();
    let mut queue = jobs.iter();
    let mut running: Vec<Running> = Vec::new();
    let mut free: Vec<usize> = cpus.iter().rev().copied().collect();
    let mut uneven = 0;
    loop {
        while let Some(cpu) = free.pop() {
            let Some(job) = queue.next() else {
                free.push(cpu);
                break;
            };
            running.push(Running::start(job, cpu, flags, save_as, &scratch, order)?);
        }
        if running.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
        let mut i = 0;
        while i < running.len() {
            if running[i].poll()? {
                let done = running.swap_remove(i);
                free.push(done.cpu);
                uneven += usize::from(done.finish(env)?);
            } else {
                i += 1;
            }
        }
    }
    Ok((started.elapsed().as_secs_f64(), uneven))
}

/// Which side of a duet is started first. The two starts are microseconds apart, yet an A/A
/// run of this repo's 94 benchmarks with the base always first read the head faster in 58 of
/// them and slower in 32 (median −0.14 %): the order alternates by round, as ABBA does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    BaseFirst,
    HeadFirst,
}

impl Order {
    /// Base first in odd rounds, head first in even ones.
    pub(super) fn of_round(round: usize) -> Order {
        if round % 2 == 1 { Order::BaseFirst } else { Order::HeadFirst }
    }
}

/// Share of a duet's time one run may go on alone before the duet counts as uneven.
const UNEVEN: f64 = 0.25;

/// A duet in progress.
struct Running {
    id: String,
    cpu: usize,
    children: Vec<(Child, String, PathBuf, PathBuf)>,
    exited: Vec<Option<std::process::ExitStatus>>,
    started: Instant,
    /// When each process was seen to have exited.
    ended: Vec<Option<Instant>>,
}

impl Running {
    fn start(
        job: &Job<'_>,
        cpu: usize,
        flags: &[String],
        save_as: [&str; 2],
        scratch: &Path,
        order: Order,
    ) -> anyhow::Result<Running> {
        let filter = benches::exact_filter(&[job.id.as_str()]);
        let mut children = Vec::new();
        let sides = match order {
            Order::BaseFirst => [0, 1],
            Order::HeadFirst => [1, 0],
        };
        for (exe, name) in sides.map(|i| (job.sides[i], save_as[i])).into_iter().filter_map(|(e, n)| Some((e?, n))) {
            let home = scratch.join(format!("cpu{cpu}-{name}"));
            let results = home.join("noisegate");
            if home.exists() {
                std::fs::remove_dir_all(&home).with_context(|| format!("cannot clear {}", home.display()))?;
            }
            std::fs::create_dir_all(&results).with_context(|| format!("cannot create {}", results.display()))?;
            let log = home.join("output.log");
            let out = std::fs::File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
            let mut cmd = Command::new(&exe.path);
            cmd.arg("--bench")
                .args(flags)
                .arg(&filter)
                .args(["--save-baseline", name])
                .current_dir(&exe.cwd)
                .env("CRITERION_HOME", home.join("criterion"))
                .env("NOISEGATE_DIR", &results)
                .env(bench_core::cargo_hook::PHASE_ENV, Phase::Criterion.as_env().expect("a phase value"))
                .stdin(Stdio::null())
                .stdout(out.try_clone().context("cannot share a log file")?)
                .stderr(out);
            pin(&mut cmd, cpu);
            let child = cmd.spawn().with_context(|| format!("cannot run {}", exe.path.display()))?;
            children.push((child, exe.name.clone(), home, log));
        }
        let exited = vec![None; children.len()];
        let ended = vec![None; children.len()];
        Ok(Running { id: job.id.clone(), cpu, children, exited, started: Instant::now(), ended })
    }

    /// Whether every process of the duet has exited.
    fn poll(&mut self) -> anyhow::Result<bool> {
        for (i, (child, ..)) in self.children.iter_mut().enumerate() {
            if self.exited[i].is_none() {
                self.exited[i] = child.try_wait().context("cannot wait for a bench process")?;
                if self.exited[i].is_some() {
                    self.ended[i] = Some(Instant::now());
                }
            }
        }
        Ok(self.exited.iter().all(Option::is_some))
    }

    /// Whether one run of the duet went on alone for more than [`UNEVEN`] of the duet's time:
    /// then the pair did not share the CPU throughout and its ratio is biased.
    fn uneven(&self) -> bool {
        let ends: Vec<Duration> = self.ended.iter().flatten().map(|e| e.duration_since(self.started)).collect();
        match ends[..] {
            [a, b] => a.max(b).saturating_sub(a.min(b)).as_secs_f64() > UNEVEN * a.max(b).as_secs_f64(),
            _ => false,
        }
    }

    /// Checks the exit statuses, appends the output to the round log and moves the results
    /// into the shared directories. Returns whether the duet was [uneven](Running::uneven).
    fn finish(self, env: &RoundEnv) -> anyhow::Result<bool> {
        let uneven = self.uneven();
        use std::io::Write;
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&env.log)
            .with_context(|| format!("cannot open log file {}", env.log.display()))?;
        for ((_, exe, home, out), status) in self.children.iter().zip(&self.exited) {
            let text = std::fs::read_to_string(out).unwrap_or_default();
            writeln!(log, "\n### duet on CPU {}: {} `{}`\n{text}", self.cpu, exe, self.id)
                .with_context(|| format!("cannot write {}", env.log.display()))?;
            let status = status.expect("polled to completion");
            if !status.success() {
                let lines: Vec<&str> = text.lines().collect();
                bail!(
                    "bench target `{exe}` failed ({status}) running `{}` in a duet; its output:\n{}\n(full log: {})",
                    self.id,
                    lines[lines.len().saturating_sub(20)..].join("\n"),
                    env.log.display()
                );
            }
            merge_tree(&home.join("criterion"), &env.criterion_home)?;
            merge_tree(&home.join("noisegate"), &env.results_home)?;
            let _ = std::fs::remove_dir_all(home);
        }
        if uneven {
            writeln!(log, "\n### duet `{}` was uneven: one run went on alone for over a quarter of it", self.id)
                .with_context(|| format!("cannot write {}", env.log.display()))?;
        }
        Ok(uneven)
    }
}
