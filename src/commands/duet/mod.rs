//! Duets: the base and head runs of one criterion benchmark at the same time, pinned to the
//! same CPU.
//!
//! Why: on the development machine (a 2-vCPU KVM guest) most of the run-to-run noise of
//! load/store-heavy code belongs to a *vCPU and a time*, not to a process — a neighbour on the
//! vCPU's physical core slows it by 40–85 % for 0.4–2 s at a time. Two processes timing the same
//! hashing loop on one CPU agreed (ratio sd 6.3 %, correlation 0.92); on different CPUs they did
//! not (ratio sd 22.9 %, correlation 0.13; `cargo bench --bench gate_accuracy -- --probe`). Runs
//! made one after the other share nothing of such a spell, so their pairs are as noisy as
//! unpaired runs. Two runs sharing one CPU are interleaved by the scheduler in slices of
//! milliseconds, and whatever slows that CPU slows both alike, cancelling in their ratio. This
//! is duet benchmarking (Bulej et al., "Duet Benchmarking: Improving Measurement Accuracy in
//! the Cloud", EMSE 2020); tango's paired benchmarking runs both versions in one process for
//! the same reason.
//!
//! How: every benchmark runs alone (an exact criterion filter) in two processes started
//! together with the same `sched_setaffinity` mask of one CPU, each with its own criterion home
//! (criterion's files are moved into the shared one afterwards); one duet per CPU runs at once.
//! A duet's figure is total time over total iterations ([`Figure::TotalOverIterations`]).
//! What it does not measure: a benchmark's use of several cores (each side sees one CPU), so
//! contention and scaling regressions need `--mode alternate`.
//!
//! [`Figure::TotalOverIterations`]: bench_core::gate::Figure::TotalOverIterations

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bench_core::cargo_hook::Phase;

use super::benches::{self, BenchExe, RoundEnv};
use crate::cli::ModeArg;

/// The CPUs this process may run on (duets are pinned to one of them each).
pub fn usable_cpus() -> Vec<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `set` is a zeroed cpu_set_t the call fills; CPU_ISSET only reads it.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0 {
                let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &set)).collect();
                if !cpus.is_empty() {
                    return cpus;
                }
            }
        }
    }
    Vec::new()
}

/// Whether duets can be pinned here (Linux, with a readable affinity mask).
pub fn supported() -> bool {
    !usable_cpus().is_empty()
}

/// The mode asked for, or the default: duets where they can be pinned.
pub fn resolve(mode: Option<ModeArg>) -> anyhow::Result<ModeArg> {
    match mode {
        Some(ModeArg::Duet) if !supported() => {
            bail!("--mode duet needs to pin processes to a CPU (Linux sched_setaffinity); use --mode alternate")
        }
        Some(m) => Ok(m),
        None if supported() => Ok(ModeArg::Duet),
        None => {
            eprintln!(
                "noisegate: processes cannot be pinned to a CPU here; pairs run one after the other (--mode alternate)"
            );
            Ok(ModeArg::Alternate)
        }
    }
}

/// `args` without criterion's positional name filter (and `--exact`), which a duet replaces by
/// its own exact filter. Returns the flags and the filter.
pub fn split_filter(args: &[String]) -> (Vec<String>, Option<String>) {
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
pub fn list(exe: &BenchExe, args: &[String]) -> anyhow::Result<Vec<String>> {
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

fn parse_list(stdout: &str) -> Vec<String> {
    stdout.lines().filter_map(|l| l.strip_suffix(": benchmark")).map(str::to_owned).collect()
}

/// One benchmark to run as a duet; a side is `None` where that side's executable lacks it (an
/// added or removed benchmark then runs alone, so the comparison can list it).
pub struct Job<'a> {
    pub id: String,
    pub sides: [Option<&'a BenchExe>; 2],
}

/// Which benchmarks to run as duets, and which targets also have results of their own (run
/// whole, sides in ABBA order).
pub struct Plan<'a> {
    pub jobs: Vec<Job<'a>>,
    /// The bench arguments without the name filter (each duet has its own exact filter).
    flags: Vec<String>,
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
    pub fn new(sides: [&'a [BenchExe]; 2], args: &[String], scenario_home: PathBuf) -> anyhow::Result<Plan<'a>> {
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
    pub fn round(
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

/// Runs every job once as a duet, saving side i's result as `save_as[i]`: one duet per usable
/// CPU at a time, each pinned to its CPU. criterion's files end up under
/// `env.criterion_home`, exactly as a plain run with `--save-baseline` leaves them. Returns
/// the wall-clock seconds taken and how many duets were [uneven](Running::uneven).
pub fn run_round(
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
pub enum Order {
    BaseFirst,
    HeadFirst,
}

impl Order {
    /// Base first in odd rounds, head first in even ones.
    pub fn of_round(round: usize) -> Order {
        if round % 2 == 1 { Order::BaseFirst } else { Order::HeadFirst }
    }
}

/// Share of a duet's time one run may go on alone before the duet counts as uneven.
const UNEVEN: f64 = 0.25;

/// The bench flags for duets: criterion's `--quick` stops each run as soon as its own estimate
/// settles, so the two runs of a duet would end at different times and one would run alone
/// (measured: an A/A duet of `request_response` under `--quick` read −48 %). Duets replace it by
/// fixed times, the accuracy experiment's 0.5 s warm-up and 1 s measurement (unless given).
pub fn duet_flags(flags: &[String]) -> Vec<String> {
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

/// Every file under `dir` with its modification time and length, to see what a run wrote.
/// (Comparing modification times with the clock would not do: the kernel stamps files with a
/// coarse clock that lags the precise one by up to a tick.)
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Option<std::time::SystemTime>, u64)> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        match e.file_type() {
            Ok(t) if t.is_dir() => out.extend(snapshot(&e.path())),
            Ok(_) => {
                let meta = e.metadata().ok();
                out.insert(e.path(), (meta.as_ref().and_then(|m| m.modified().ok()), meta.map_or(0, |m| m.len())));
            }
            Err(_) => {}
        }
    }
    out
}

/// Moves everything under `from` to the same place under `to`, keeping what `to` already has
/// (criterion's shared `report/` pages are written by every run; the first copy is kept).
pub fn merge_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", from.display())),
    };
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", from.display()))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let is_dir = entry.file_type().with_context(|| format!("cannot stat {}", src.display()))?.is_dir();
        if !dst.exists() {
            std::fs::rename(&src, &dst)
                .with_context(|| format!("cannot move {} to {}", src.display(), dst.display()))?;
        } else if is_dir && dst.is_dir() {
            merge_tree(&src, &dst)?;
        }
    }
    Ok(())
}

/// Makes the command's process run on `cpu` only.
fn pin(cmd: &mut Command, cpu: usize) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: between fork and exec the closure only builds a cpu_set_t on the stack and
        // makes one system call, both async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(cpu, &mut set);
                if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (cmd, cpu);
}

#[cfg(test)]
mod tests;
