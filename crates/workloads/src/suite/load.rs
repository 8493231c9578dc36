//! Load scenarios against an agent system, driven by bench-core's open-loop generator with a
//! mixed workload (request/reply to echo agents, computation requests to worker agents, one-way
//! sends to sinks; weights from the profile's `mix`).
//!
//! First a **calibration** measures what the machine can do: a closed loop of
//! `peak.capacity_workers` workers sending back to back gives the capacity, then
//! `peak.search_trials` open-loop trials bisect (on a log scale, between 0.1 % and 100 % of it)
//! for the highest *sustainable* rate: success ≥ `min_success_percent`, p99 ≤ `max_p99_ms` over
//! the trial and in its last interval, nothing dropped. The scenarios are scaled to that rate
//! less `peak.headroom_percent` (a trial of seconds cannot show a queue that grows slowly):
//!
//! - `load/peak` — that rate for `peak.duration_s`;
//! - `load/sustained` — `rate_percent` of it for `sustained.duration_s`: memory-leak slope of
//!   the RSS and first-versus-last degradation;
//! - `load/burst` — a base rate with bursts `multiplier` × higher: time to recover after each;
//! - `load/stepped` — steps at `step_percents` of a base rate: the knee;
//! - `load/closed_loop` — closed loops of 1 … 500 workers paced to the same total rate, naive
//!   and corrected latency beside each other (comparison only; `scenario.json` but no metrics).
//!
//! Each scenario writes `metrics.json` (graded against `noisegate.toml`), `timeline.json` and
//! `scenario.json` under `target/noisegate/load/<scenario>/<baseline>/`. A scenario that fails
//! (bad configuration, or a bug) is reported and the others still run.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use bench_core::load::scenario::{SCENARIO_FILE, ScenarioReport};
use bench_core::load::{self, LoadConfig, LoadReport, Mix, Outcome, Progress, RateSchedule, Request, Target};
use bench_core::metrics::{ErrorKind, SystemMetrics, TIMELINE_FILE, Timeline};
use bench_core::results::ResultsDir;
use bench_core::targets::{Evaluation, Profile, Targets, verdict_of};
use bytes::Bytes;
use tokio::runtime::Runtime;

use super::{RunOptions, message, payload};
use crate::orchestrator::{AclMessage, AgentId, AgentSystem, NativeError, Performative, Role, Tally};

/// Iterations of the worker agents' computation per request.
pub const COMPUTE_ITERATIONS: u32 = 1_000;

/// The operations a mix may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// Request/reply to an echo agent (64 B).
    Echo,
    /// Request/reply to a worker agent computing [`COMPUTE_ITERATIONS`] rounds.
    Compute,
    /// One-way send to a sink agent (resolves once queued in its mailbox).
    Send,
}

impl OpKind {
    /// Names accepted in a profile's `mix`.
    pub const NAMES: [&str; 3] = ["echo", "compute", "send"];

    /// The kind a mix entry names.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "echo" => Some(OpKind::Echo),
            "compute" => Some(OpKind::Compute),
            "send" => Some(OpKind::Send),
            _ => None,
        }
    }
}

/// The system under load as a [`Target`]: `Request::op` indexes the mix, `Request::seq` rotates
/// over the agents of that kind.
pub struct AgentTarget<S: AgentSystem> {
    sys: Arc<S>,
    ops: Vec<OpKind>,
    agents: [Vec<AgentId>; 3],
    body: Bytes,
}

impl<S: AgentSystem> AgentTarget<S> {
    /// Spawns `agents` agents in `sys`, split over the mix's operation kinds by weight (at least
    /// one each), and returns the target with its [`Mix`]. Unknown operation names are an error
    /// naming the known ones.
    pub fn start(sys: Arc<S>, mix: &[(String, u32)], agents: usize) -> Result<(Self, Mix), String> {
        let mut ops = Vec::new();
        for (name, _) in mix {
            ops.push(OpKind::parse(name).ok_or_else(|| {
                format!("mix operation `{name}` is unknown; known operations: {}", OpKind::NAMES.join(", "))
            })?);
        }
        let total: u32 = mix.iter().map(|(_, w)| *w).sum();
        let mut ids: [Vec<AgentId>; 3] = Default::default();
        let tally = Tally::new();
        for ((_, w), kind) in mix.iter().zip(&ops) {
            let n = ((agents as u64 * u64::from(*w)) / u64::from(total.max(1))).max(1);
            for _ in 0..n {
                let role = match kind {
                    OpKind::Echo => Role::Echo,
                    OpKind::Compute => Role::Worker { iterations: COMPUTE_ITERATIONS },
                    OpKind::Send => Role::Sink(tally.clone()),
                };
                let id = sys.spawn(role, &[]).map_err(|e| format!("spawning a {kind:?} agent: {e}"))?;
                ids[*kind as usize].push(id);
            }
        }
        let mix = Mix::new(mix.iter().map(|(n, w)| (n.clone(), *w))).map_err(|e| e.to_string())?;
        Ok((AgentTarget { sys, ops, agents: ids, body: payload(64) }, mix))
    }

    /// Agents spawned, per kind (echo, compute, send).
    pub fn agent_counts(&self) -> [usize; 3] {
        [self.agents[0].len(), self.agents[1].len(), self.agents[2].len()]
    }
}

/// The `ErrorKind` of a system error: the route error's own kind for [`NativeError`], else
/// `Failed`.
fn kind_of<E: std::error::Error + 'static>(e: &E) -> ErrorKind {
    match (e as &dyn Any).downcast_ref::<NativeError>() {
        Some(NativeError::Route(r)) => r.kind(),
        _ => ErrorKind::Failed,
    }
}

impl<S: AgentSystem> Target for AgentTarget<S> {
    async fn call(&self, req: Request) -> Outcome {
        let kind = self.ops[req.op];
        let pool = &self.agents[kind as usize];
        let to = pool[(req.seq / self.ops.len() as u64 % pool.len() as u64) as usize];
        let msg = message(to, &self.body);
        match kind {
            OpKind::Echo | OpKind::Compute => {
                let msg = AclMessage { performative: Performative::Request, ..msg };
                self.sys.request(msg).await.map(|_| ()).map_err(|e| kind_of(&e))
            }
            OpKind::Send => self.sys.send(msg).await.map_err(|e| kind_of(&e)),
        }
    }
}

/// What one scenario produced.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    /// `load/<scenario>`.
    pub id: String,
    /// Its gradeable figures (`None` for the closed-loop comparison).
    pub metrics: Option<SystemMetrics>,
    /// Its time series (`None` for the closed-loop comparison).
    pub timeline: Option<Timeline>,
    /// Its verdicts.
    pub scenario: ScenarioReport,
    /// Its grades (measured metrics only).
    pub evaluation: Option<Evaluation>,
}

/// Scenario names, in run order.
pub const SCENARIOS: [&str; 5] = ["peak", "sustained", "burst", "stepped", "closed_loop"];

mod scenarios;

/// Everything a scenario needs.
struct Ctx<'a, S: AgentSystem> {
    rt: &'a Runtime,
    target: Arc<AgentTarget<S>>,
    mix: Mix,
    profile: &'a Profile,
    targets: &'a Targets,
}

impl<S: AgentSystem> Ctx<'_, S> {
    fn config(&self, id: &str, warmup: Duration, progress: Progress) -> LoadConfig {
        LoadConfig {
            // One generator worker: on a small machine every spinning worker takes a core from
            // the system under test (see the latency suite).
            workers: Some(1),
            warmup,
            cooldown: self.profile.cooldown,
            interval: self.profile.interval,
            mix: Some(self.mix.clone()),
            progress,
            sample_resources: true,
            name: id.to_owned(),
            ..LoadConfig::default()
        }
    }

    fn open(&self, id: &str, schedule: &RateSchedule, config: &LoadConfig) -> Result<LoadReport, String> {
        self.rt.block_on(load::run(schedule, config, self.target.clone())).map_err(|e| format!("{id}: {e}"))
    }
}

/// Runs the selected scenarios against the system `make` builds (inside `rt`), named `system`,
/// with `profile`'s durations. Each scenario's results are written and graded as it ends.
pub fn scenarios<S: AgentSystem>(
    rt: &Runtime,
    system: &str,
    make: impl Fn() -> S,
    opts: &RunOptions,
    targets: &Targets,
    profile: &Profile,
) -> Vec<ScenarioRun> {
    let selected: Vec<&str> = SCENARIOS.into_iter().filter(|s| opts.selects(&format!("load/{s}"))).collect();
    if selected.is_empty() {
        return Vec::new();
    }
    let _in_runtime = rt.enter();
    let sys = Arc::new(make());
    let (target, mix) = match AgentTarget::start(sys.clone(), &profile.mix, profile.agents) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("load: profile `{}`: {e}", profile.name);
            return Vec::new();
        }
    };
    let [echo, compute, send] = target.agent_counts();
    println!(
        "load: profile `{}` ({}); {system}: {echo} echo, {compute} worker, {send} sink agents; mix {}",
        profile.name,
        profile.description.as_deref().unwrap_or("no description"),
        profile.mix.iter().map(|(n, w)| format!("{n} {w}")).collect::<Vec<_>>().join(", ")
    );
    print_load_average("before the scenarios");
    let ctx = Ctx { rt, target: Arc::new(target), mix, profile, targets };
    let search = scenarios::calibrate(&ctx);
    let reference = match search.sustainable_per_s {
        Some(r) => {
            let run = r * (1.0 - profile.peak.headroom_percent / 100.0);
            println!(
                "load: highest sustainable rate {r:.0} req/s (measured); the scenarios use {run:.0} req/s, \
                 {} % below it (headroom, configured), as a short trial does not show a slowly growing queue",
                profile.peak.headroom_percent
            );
            run
        }
        None => {
            let lowest = search.trials.iter().map(|t| t.offered_per_s).fold(f64::INFINITY, f64::min);
            println!(
                "load: NO trial was sustainable; scaling the scenarios to the lowest rate tried, {lowest:.0} req/s"
            );
            lowest
        }
    };
    let mut runs = Vec::new();
    for name in selected {
        let id = format!("load/{name}");
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| match name {
            "peak" => scenarios::peak(&ctx, &id, &search, reference),
            "sustained" => scenarios::sustained(&ctx, &id, reference),
            "burst" => scenarios::burst(&ctx, &id, reference),
            "stepped" => scenarios::stepped(&ctx, &id, reference),
            _ => {
                let open_p99 = runs
                    .iter()
                    .find(|r: &&ScenarioRun| r.id == "load/peak")
                    .and_then(|r| r.metrics.as_ref()?.latency.as_ref().map(|l| l.p99_ns));
                scenarios::closed_loop(&ctx, &id, reference, open_p99)
            }
        }));
        match outcome {
            Ok(Ok(run)) => {
                save(&run, &opts.baseline);
                runs.push(run);
            }
            Ok(Err(e)) => eprintln!("{id}: FAILED: {e}"),
            Err(_) => eprintln!("{id}: FAILED: the scenario panicked (see above); the other scenarios still run"),
        }
    }
    print_load_average("after the scenarios");
    rt.block_on(sys.shutdown());
    runs
}

/// Prints the machine's 1-minute load average (Linux), so a reader can tell whether other
/// processes competed with the run for the CPUs.
fn print_load_average(when: &str) {
    if let Some(avg) =
        std::fs::read_to_string("/proc/loadavg").ok().and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
    {
        println!(
            "load: machine load average (1 min, measured) {avg:.2} on {} logical CPUs {when}{}",
            bench_core::resource::logical_cpus(),
            if avg > bench_core::resource::logical_cpus() as f64 {
                " — other processes compete for the CPUs"
            } else {
                ""
            }
        );
    }
}

/// SystemMetrics and the scenario report of one run, with its headline printed.
fn summarise<S: AgentSystem>(
    ctx: &Ctx<'_, S>,
    id: &str,
    report: &LoadReport,
    schedule: Option<&RateSchedule>,
) -> (SystemMetrics, ScenarioReport) {
    let metrics = report.to_system_metrics(id, bench_core::run_context!(report.measured, report.warmup));
    let lat = report.latency.summary();
    let h = &report.health;
    println!(
        "{id}: {:.0} req/s offered (configured), {:.0} req/s succeeded (measured over {:.0} s after a {:.0} s warm-up, wall-clock); errors {:.3} %; latency p50 {} p99 {} p99.9 {} max {}; generator lag p99 {}{}",
        h.intended_rate,
        report.requests_per_second(),
        report.measured.as_secs_f64(),
        report.warmup.as_secs_f64(),
        report.errors.error_rate_percent().unwrap_or(0.0),
        lat.p50_ns,
        lat.p99_ns,
        lat.p999_ns,
        lat.max_ns,
        h.lag_p99_ns,
        if h.saturated { " — GENERATOR SATURATED: latencies include its lag" } else { "" }
    );
    for o in report.operation_summaries() {
        println!(
            "    {:<8} {:>5.1} % of requests (configured {:.1} %): {} requests, {} failed; p50 {} p99 {}",
            o.name,
            o.measured_percent,
            o.configured_percent,
            o.requests,
            o.errors.failed(),
            o.latency.p50_ns,
            o.latency.p99_ns
        );
    }
    let ex = &report.excluded;
    if ex.warmup.total + ex.cooldown.total > 0 {
        println!(
            "    excluded: {} warm-up and {} cool-down requests (sent, not in the figures; {} of them failed)",
            ex.warmup.total,
            ex.cooldown.total,
            ex.warmup.failed() + ex.cooldown.failed()
        );
    }
    let mut scenario = ScenarioReport::of_run(id, Some(ctx.profile.name.clone()), report, schedule);
    if h.saturated {
        scenario.verdicts.flags.push("the generator was saturated (drops, or scheduler lag above its bound)".into());
    }
    (metrics, scenario)
}

/// Grades the metrics against the targets (printing the measured ones) and bundles the run.
fn finish<S: AgentSystem>(
    ctx: &Ctx<'_, S>,
    id: &str,
    metrics: SystemMetrics,
    scenario: ScenarioReport,
    timeline: Timeline,
) -> ScenarioRun {
    let all = ctx.targets.evaluate(&metrics);
    let graded: Vec<_> = all.graded.into_iter().filter(|g| g.value.is_some()).collect();
    let evaluation = Evaluation { verdict: verdict_of(graded.iter().map(|g| g.grade)), graded };
    println!("{evaluation}");
    for f in &scenario.verdicts.flags {
        println!("  FLAG: {f}");
    }
    ScenarioRun {
        id: id.to_owned(),
        metrics: Some(metrics),
        timeline: Some(timeline),
        scenario,
        evaluation: Some(evaluation),
    }
}

/// Writes a run's files atomically: `metrics.json`, `timeline.json`, `scenario.json`.
fn save(run: &ScenarioRun, baseline: &str) {
    let dir = ResultsDir::locate();
    let mut written = Vec::new();
    let mut write = |file: &str, result: Result<std::path::PathBuf, bench_core::results::ResultsError>| match result {
        Ok(p) => written.push(p),
        Err(e) => eprintln!("  could not write {file}: {e}"),
    };
    if let Some(m) = &run.metrics {
        write("metrics.json", dir.write(&run.id, baseline, "metrics.json", m));
    }
    if let Some(t) = &run.timeline {
        write(TIMELINE_FILE, dir.write(&run.id, baseline, TIMELINE_FILE, t));
    }
    write(SCENARIO_FILE, dir.write(&run.id, baseline, SCENARIO_FILE, &run.scenario));
    if let Some(first) = written.first().and_then(|p| p.parent()) {
        let names: Vec<_> = written.iter().filter_map(|p| p.file_name()).map(|n| n.to_string_lossy()).collect();
        println!("  wrote {} in {}", names.join(", "), first.display());
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::orchestrator::NativeSystem;

    #[tokio::test]
    async fn unknown_mix_operations_name_the_known_ones() {
        let sys = Arc::new(NativeSystem::new());
        let err = AgentTarget::start(sys.clone(), &[("echo".into(), 1), ("delete".into(), 1)], 4).err().unwrap();
        assert!(err.contains("`delete` is unknown") && err.contains("echo, compute, send"), "{err}");
        sys.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_operation_of_the_mix_reaches_its_agents() {
        // Counts only, no timing: 200 requests in the configured 70/20/10 split, all answered.
        let sys = Arc::new(NativeSystem::new());
        let mix = [("echo".to_owned(), 70), ("compute".to_owned(), 20), ("send".to_owned(), 10)];
        let (target, mix) = AgentTarget::start(sys.clone(), &mix, 10).unwrap();
        assert_eq!(target.agent_counts(), [7, 2, 1]);
        let config = LoadConfig { mix: Some(mix), ..LoadConfig::default() };
        let schedule = RateSchedule::constant(1_000.0, Duration::from_millis(200));
        let report = load::run(&schedule, &config, Arc::new(target)).await.unwrap();
        assert_eq!(report.errors.total, 200);
        assert_eq!(report.errors.succeeded() + report.health.dropped, 200);
        let counts: Vec<u64> = report.operations.iter().map(|o| o.errors.total).collect();
        assert_eq!(counts, [140, 40, 20]);
        sys.shutdown().await;
    }

    #[test]
    fn route_errors_keep_their_kind() {
        let e = NativeError::Route(crate::orchestrator::RouteError::NoRecipients);
        assert_eq!(kind_of(&e), ErrorKind::NotFound);
        assert_eq!(kind_of(&std::io::Error::other("x")), ErrorKind::Failed);
    }
}
