//! Load scenarios against an agent system, driven by bench-core's open-loop generator with a
//! mixed workload (request/reply to echo agents, computation requests to worker agents, one-way
//! sends to sinks; weights from the profile's `mix`), run twice: against native agents
//! ([`scenarios`], ids `load/<scenario>`) and against WASM agents in the same orchestrator
//! ([`wasm::scenarios`], ids `load/wasm/<scenario>`; see [`wasm`] for which guest serves what).
//!
//! First a **calibration** measures what the machine can do with that system: a closed loop of
//! `peak.capacity_workers` workers sending back to back gives the capacity, then
//! `peak.search_trials` open-loop trials bisect (on a log scale, between 0.1 % and 100 % of it)
//! for the highest *sustainable* rate: success ≥ `min_success_percent`, p99 ≤ `max_p99_ms` over
//! the trial and in its last interval, nothing dropped. The scenarios are scaled to that rate
//! less `peak.headroom_percent` (a trial of seconds cannot show a queue that grows slowly):
//!
//! - `peak` — that rate for `peak.duration_s`;
//! - `sustained` — `rate_percent` of it for `sustained.duration_s`: memory-leak slope of the
//!   RSS and first-versus-last degradation;
//! - `burst` — a base rate with bursts `multiplier` × higher: time to recover after each;
//! - `stepped` — steps at `step_percents` of a base rate: the knee. Steps past the knee miss
//!   the targets by design, so its `metrics.json` (what is graded and gated) covers only the
//!   steps before the first step past the knee (every step when there is no knee); its
//!   `scenario.json` and `timeline.json` keep every step (see [`stepped`]);
//! - `closed_loop` — closed loops of 1 … 500 workers paced to the same total rate, naive and
//!   corrected latency beside each other (comparison only; `scenario.json` but no metrics).
//!
//! Each scenario writes `metrics.json` (graded against `noisegate.toml`), `timeline.json` and
//! `scenario.json` under `target/noisegate/<id>/<baseline>/`, i.e.
//! `target/noisegate/load/<scenario>/…` and `target/noisegate/load/wasm/<scenario>/…`. The id is
//! also the `SystemMetrics` name, so the gate's series (`<id>/<metric>`) of the two systems stay
//! apart. A name filter selects by substring of the id: `wasm` (or `load/wasm`) runs only the
//! WASM scenarios, `load/peak` only the native peak, `peak` both peaks. A scenario that fails
//! (bad configuration, or a bug) is reported and the others still run. Every figure printed is
//! labelled configured or measured; times are wall-clock.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use bench_core::load::scenario::{SCENARIO_FILE, ScenarioReport};
use bench_core::load::{self, LoadConfig, LoadReport, Mix, Progress, RateSchedule};
use bench_core::metrics::{SystemMetrics, TIMELINE_FILE, Timeline};
use bench_core::results::ResultsDir;
use bench_core::targets::{Evaluation, Profile, Targets, verdict_of};
use tokio::runtime::Runtime;

use super::RunOptions;
use crate::orchestrator::AgentSystem;

mod scenarios;
pub mod stepped;
mod target;

pub use target::{AgentTarget, BODY_BYTES, COMPUTE_ITERATIONS, OpKind};

/// Prefix of the native scenarios' ids (and results directories).
pub const PREFIX: &str = "load";

/// What one scenario produced.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    /// `load/<scenario>` (native agents) or `load/wasm/<scenario>` (WASM agents).
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

/// The scenarios whose id `<prefix>/<scenario>` passes the name filter, in run order.
pub fn selected(prefix: &str, opts: &RunOptions) -> Vec<&'static str> {
    SCENARIOS.into_iter().filter(|s| opts.selects(&format!("{prefix}/{s}"))).collect()
}

/// Everything a scenario needs.
struct Ctx<'a, S: AgentSystem> {
    rt: &'a Runtime,
    /// `load` or `load/wasm`: the scenario ids' prefix.
    prefix: &'a str,
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

/// Runs the selected scenarios (`load/<scenario>`) against the system `make` builds (inside
/// `rt`), named `system`, its agents spawned through [`AgentSystem::spawn`], with `profile`'s
/// durations. Each scenario's results are written and graded as it ends.
pub fn scenarios<S: AgentSystem>(
    rt: &Runtime,
    system: &str,
    make: impl FnOnce() -> S,
    opts: &RunOptions,
    targets: &Targets,
    profile: &Profile,
) -> Vec<ScenarioRun> {
    let start = || {
        let sys = Arc::new(make());
        let target = AgentTarget::start(sys.clone(), &profile.mix, profile.agents);
        (sys, target)
    };
    run_scenarios(rt, PREFIX, system, start, opts, targets, profile)
}

/// The scenarios under `prefix` against the system and agents `start` builds (called inside
/// `rt`; the system is shut down at the end, also when spawning the agents failed).
pub(crate) fn run_scenarios<S: AgentSystem>(
    rt: &Runtime,
    prefix: &str,
    system: &str,
    start: impl FnOnce() -> (Arc<S>, Result<(AgentTarget<S>, Mix), String>),
    opts: &RunOptions,
    targets: &Targets,
    profile: &Profile,
) -> Vec<ScenarioRun> {
    let selected = selected(prefix, opts);
    if selected.is_empty() {
        return Vec::new();
    }
    let _in_runtime = rt.enter();
    let (sys, target) = start();
    let (target, mix) = match target {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{prefix}: FAILED: profile `{}`: {e}", profile.name);
            rt.block_on(sys.shutdown());
            return Vec::new();
        }
    };
    let [echo, compute, send] = target.agent_counts();
    println!(
        "{prefix}: profile `{}` ({}); {system}: {echo} echo, {compute} worker, {send} sink agents; mix {}",
        profile.name,
        profile.description.as_deref().unwrap_or("no description"),
        profile.mix.iter().map(|(n, w)| format!("{n} {w}")).collect::<Vec<_>>().join(", ")
    );
    print_load_average(prefix, "before the scenarios");
    let ctx = Ctx { rt, prefix, target: Arc::new(target), mix, profile, targets };
    let search = scenarios::calibrate(&ctx);
    let reference = match search.sustainable_per_s {
        Some(r) => {
            let run = r * (1.0 - profile.peak.headroom_percent / 100.0);
            println!(
                "{prefix}: highest sustainable rate {r:.0} req/s (measured); the scenarios use {run:.0} req/s, \
                 {} % below it (headroom, configured), as a short trial does not show a slowly growing queue",
                profile.peak.headroom_percent
            );
            run
        }
        None => {
            let lowest = search.trials.iter().map(|t| t.offered_per_s).fold(f64::INFINITY, f64::min);
            println!(
                "{prefix}: NO trial was sustainable; scaling the scenarios to the lowest rate tried, {lowest:.0} req/s"
            );
            lowest
        }
    };
    let peak_id = format!("{prefix}/peak");
    let mut runs = Vec::new();
    for name in selected {
        let id = format!("{prefix}/{name}");
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| match name {
            "peak" => scenarios::peak(&ctx, &id, &search, reference),
            "sustained" => scenarios::sustained(&ctx, &id, reference),
            "burst" => scenarios::burst(&ctx, &id, reference),
            "stepped" => stepped::stepped(&ctx, &id, reference),
            _ => {
                let open_p99 = runs
                    .iter()
                    .find(|r: &&ScenarioRun| r.id == peak_id)
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
    print_load_average(prefix, "after the scenarios");
    rt.block_on(sys.shutdown());
    runs
}

/// Prints the machine's 1-minute load average (Linux), so a reader can tell whether other
/// processes competed with the run for the CPUs.
fn print_load_average(prefix: &str, when: &str) {
    if let Some(avg) =
        std::fs::read_to_string("/proc/loadavg").ok().and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
    {
        println!(
            "{prefix}: machine load average (1 min, measured) {avg:.2} on {} logical CPUs {when}{}",
            bench_core::resource::logical_cpus(),
            if avg > bench_core::resource::logical_cpus() as f64 {
                " — other processes compete for the CPUs"
            } else {
                ""
            }
        );
    }
}

/// SystemMetrics and the scenario report of one run, with its headline printed (`scope`, if not
/// empty, follows the id: what part of the run the headline covers).
fn summarise<S: AgentSystem>(
    ctx: &Ctx<'_, S>,
    id: &str,
    scope: &str,
    report: &LoadReport,
    schedule: Option<&RateSchedule>,
) -> (SystemMetrics, ScenarioReport) {
    let metrics = report.to_system_metrics(id, bench_core::run_context!(report.measured, report.warmup));
    let lat = report.latency.summary();
    let h = &report.health;
    println!(
        "{id}{scope}: {:.0} req/s offered (configured), {:.0} req/s succeeded (measured over {:.0} s after a {:.0} s warm-up, wall-clock); errors {:.3} %; latency p50 {} p99 {} p99.9 {} max {}; generator lag p99 {}{}",
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
    if let (Some(spun), Some(cpu)) = (h.busy_wait_s, report.resources.as_ref().and_then(|r| r.summary.cpu_avg)) {
        let cpu_s = cpu.cores * report.resources.as_ref().map_or(0.0, |r| r.summary.duration_s);
        println!(
            "    process CPU {cpu_s:.1} s over the run ({:.2} cores, measured); of it, the generator busy-waited {spun:.1} s for on-time sends (gaps under spin_below)",
            cpu.cores
        );
    }
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
