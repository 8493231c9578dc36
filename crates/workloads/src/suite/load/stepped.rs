//! The stepped scenario: rate steps at `step_percents` of a base rate, to find the knee (see
//! [`analysis::find_knee`]: the first step whose p99 exceeds `knee_factor` × the lowest step's
//! p99, or whose achieved rate falls more than `achieved_tolerance_percent` short of offered).
//!
//! The steps past the knee are there to be overloaded, so they miss the success and p99 targets
//! by design. What is graded against `noisegate.toml` and judged by the regression gate — the
//! scenario's `metrics.json` — therefore covers only the **graded steps** ([`graded_steps`]):
//! the steps before the first step past the knee (bench-core's `Knee::knee_step`), every step
//! when no step departed, and the first step alone when the first step already departed. Its
//! figures come from the report's per-step phases ([`steps_metrics`]); `scenario.json` (every
//! step's figures and the knee) and `timeline.json` keep the whole run, and the run prints
//! which steps the graded figures cover.

use std::time::Duration;

use bench_core::latency::LatencyRecorder;
use bench_core::load::analysis::{self, Knee};
use bench_core::load::scenario::KneeVerdict;
use bench_core::load::{CompiledSchedule, LoadReport, Progress, RateSchedule, Step};
use bench_core::metrics::{ErrorStats, RunContext, SystemMetrics};
use bench_core::resource::{ResourceReport, ResourceSummary};
use bench_core::units::{CpuUse, bytes_to_mib};

use super::{Ctx, ScenarioRun, finish, summarise};
use crate::orchestrator::AgentSystem;

/// How many steps (from the first) the graded figures cover, of `steps`: those before the
/// first step past the knee; every step when there is no knee; the first step alone when even
/// it departed (the system failed at the lowest rate, and the figures should say so).
pub fn graded_steps(knee: &Knee, steps: usize) -> usize {
    match knee.knee_step {
        Some(k) => k.saturating_sub(1).clamp(1, steps.max(1)),
        None => steps,
    }
}

/// `SystemMetrics` named `id` for the first `n` steps of a stepped run, from the report's
/// per-step phases: latency (from the intended start) and outcomes of the measured requests
/// intended in those steps; throughput = their successes over the steps' measured time (from
/// the end of the warm-up to the end of step `n`, configured), peak = the best whole second
/// inside it; resources from the sampler's ticks inside it. Service time, scheduler lag and
/// generator health are not kept per step by the generator, so they are left out (`None` =
/// not measured) rather than filled with the whole run's.
pub fn steps_metrics(
    id: &str,
    report: &LoadReport,
    schedule: &CompiledSchedule,
    n: usize,
) -> Result<SystemMetrics, String> {
    let steps = schedule.steps();
    if steps.is_empty() || report.phases.len() != steps.len() {
        return Err(format!(
            "{id}: the report has {} phases for a schedule of {} steps; cannot attribute figures to steps",
            report.phases.len(),
            steps.len()
        ));
    }
    if n == 0 || n > steps.len() {
        return Err(format!("{id}: cannot summarise {n} steps of a {}-step run", steps.len()));
    }
    let end = steps[n - 1].1;
    let window = end.saturating_sub(report.warmup);
    if window.is_zero() {
        return Err(format!(
            "{id}: steps 1–{n} end at {:.1} s, within the {:.1} s warm-up: nothing of them was measured",
            end.as_secs_f64(),
            report.warmup.as_secs_f64()
        ));
    }
    let mut latency = LatencyRecorder::new();
    let mut errors = ErrorStats::default();
    for p in &report.phases[..n] {
        latency.merge(&p.latency);
        errors.merge(&p.errors);
    }
    let context = bench_core::run_context!(window, report.warmup);
    let mut m = SystemMetrics::new(id, RunContext { clock: report.timeline.clock, ..context });
    m.throughput.requests_per_second = Some(errors.succeeded() as f64 / window.as_secs_f64());
    let first = report.warmup.as_secs_f64().ceil() as usize;
    m.throughput.peak_requests_per_second =
        report.per_second.iter().take(end.as_secs() as usize).skip(first).max().map(|&c| c as f64);
    m.latency = Some(latency.summary());
    m.errors = errors;
    m.resources = report.resources.as_ref().and_then(|r| resources_between(r, report.warmup, end));
    Ok(m)
}

/// The sampler's ticks taken in `(from, to]` (offsets from the run start; the sampler starts
/// with the run) summarised as the sampler summarises a whole run, except that the average CPU
/// is the mean of the ticks' CPU weighted by each tick's length (the sampler's own average
/// reads the process's CPU time at its start and stop, which a window of the run does not
/// have). `None` without two ticks in the window.
fn resources_between(r: &ResourceReport, from: Duration, to: Duration) -> Option<ResourceSummary> {
    let (a, b) = (from.as_secs_f64() * 1e3, to.as_secs_f64() * 1e3);
    let inside = |at: f64| at > a && at <= b;
    let ticks: Vec<_> = r.series.iter().filter(|s| inside(s.at_ms)).collect();
    if ticks.len() < 2 {
        return None;
    }
    let (first, last) = (ticks[0], ticks[ticks.len() - 1]);
    let cpus = r.summary.logical_cpus;
    // Each tick's CPU is measured since the tick before it (the first, since the start).
    let (mut core_ms, mut cpu_ms) = (0.0, 0.0);
    let mut prev = 0.0;
    for s in &r.series {
        if let Some(c) = s.cpu.filter(|_| inside(s.at_ms)) {
            core_ms += c.cores * (s.at_ms - prev);
            cpu_ms += s.at_ms - prev;
        }
        prev = s.at_ms;
    }
    let cpu_avg = (cpu_ms > 0.0).then(|| CpuUse::from_cores(core_ms / cpu_ms, cpus));
    let rss: Vec<u64> = ticks.iter().filter_map(|s| s.rss_bytes).collect();
    let threads: Vec<u64> = ticks.iter().filter_map(|s| s.threads).collect();
    let mean = |v: &[u64]| (!v.is_empty()).then(|| v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64);
    let wall_s = (last.at_ms - first.at_ms) / 1e3;
    let rate = |x: Option<u64>, y: Option<u64>| {
        x.zip(y).filter(|_| wall_s > 0.0).map(|(x, y)| bytes_to_mib(y.saturating_sub(x)) / wall_s)
    };
    Some(ResourceSummary {
        duration_s: (b - a) / 1e3,
        samples: ticks.len(),
        logical_cpus: cpus,
        cpu_avg,
        cpu_peak: ticks.iter().filter_map(|s| s.cpu).max_by(|x, y| x.cores.total_cmp(&y.cores)).or(cpu_avg),
        rss_avg_mb: mean(&rss).map(|v| v / (1024.0 * 1024.0)),
        rss_peak_mb: rss.iter().max().map(|&v| bytes_to_mib(v)),
        rss_growth_mb: first.rss_bytes.zip(last.rss_bytes).map(|(x, y)| (y as f64 - x as f64) / (1024.0 * 1024.0)),
        threads_avg: mean(&threads),
        threads_peak: threads.iter().max().copied(),
        disk_read_mb_s: rate(first.io_read_bytes, last.io_read_bytes),
        disk_write_mb_s: rate(first.io_write_bytes, last.io_write_bytes),
    })
}

pub(super) fn stepped<S: AgentSystem>(ctx: &Ctx<'_, S>, id: &str, peak: f64) -> Result<ScenarioRun, String> {
    let st = &ctx.profile.stepped;
    let base = peak * st.base_percent / 100.0;
    let steps: Vec<Step> = st
        .step_percents
        .iter()
        .enumerate()
        .map(|(i, pct)| Step {
            rate: base * pct / 100.0,
            // The warm-up runs at the first step's rate.
            duration: if i == 0 { ctx.profile.warmup + st.step } else { st.step },
        })
        .collect();
    let schedule = RateSchedule::Steps { steps };
    let compiled = schedule.compile().map_err(|e| e.to_string())?;
    let report = ctx.open(id, &schedule, &ctx.config(id, ctx.profile.warmup, Progress::Auto))?;
    let (_, mut scenario) = summarise(ctx, id, " (whole run, every step; not graded)", &report, Some(&schedule));
    let results = analysis::step_results(&report, &compiled);
    let knee = analysis::find_knee(&results, st.knee_factor, st.achieved_tolerance_percent);
    println!("  steps (offered = configured; achieved, p99 = measured, wall-clock):");
    for (r, pct) in results.iter().zip(&st.step_percents) {
        println!(
            "    step {} ({pct} % of base): offered {:.0} req/s, achieved {:.0} req/s, p99 {}{}, errors {}",
            r.step,
            r.offered_per_s,
            r.achieved_per_s,
            r.latency.p99_ns,
            r.latency.label_suffix(),
            r.errors.failed()
        );
    }
    match (knee.knee_step, &knee.reason) {
        (Some(s), Some(why)) => println!(
            "  knee: step {s} ({:.0} req/s) is the first past it: {why}; highest rate before it {}",
            knee.knee_offered_per_s.unwrap_or(0.0),
            knee.last_good_offered_per_s.map_or("none (the first step departed)".into(), |r| format!("{r:.0} req/s"))
        ),
        _ => println!(
            "  no knee: every step stayed within {} × the lowest step's p99 and delivered what was offered",
            st.knee_factor
        ),
    }
    let n = graded_steps(&knee, results.len());
    let metrics = steps_metrics(id, &report, &compiled, n)?;
    let why = match knee.knee_step {
        None => "no knee: every step".to_owned(),
        Some(1) => "the first step already departed: it alone".to_owned(),
        Some(k) => format!("the steps before step {k}, the first past the knee"),
    };
    let covered = if n == 1 { "step 1".to_owned() } else { format!("steps 1–{n}") };
    let latency = metrics.latency.as_ref().filter(|l| l.count > 0).map_or_else(
        || "latency not measured (no answered request)".to_owned(),
        |l| format!("latency p50 {} p99 {} p99.9 {} max {}", l.p50_ns, l.p99_ns, l.p999_ns, l.max_ns),
    );
    println!(
        "  graded figures (metrics.json: targets and gate) cover {covered} of {} ({why}), up to {:.0} req/s offered \
         (configured): {:.0} req/s succeeded over {:.0} s (measured, wall-clock); errors {:.3} %; {latency}; \
         scenario.json and timeline.json keep all {} steps",
        results.len(),
        results[n - 1].offered_per_s,
        metrics.throughput.requests_per_second.unwrap_or(0.0),
        metrics.context.duration_s,
        metrics.errors.error_rate_percent().unwrap_or(0.0),
        results.len()
    );
    scenario.verdicts.knee = Some(KneeVerdict { steps: results, knee });
    Ok(finish(ctx, id, metrics, scenario, report.timeline.clone()))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bench_core::load::{self, LoadConfig, Request, from_fn};
    use bench_core::metrics::{ClockKind, ErrorKind};

    use super::*;

    fn knee_at(step: Option<usize>) -> Knee {
        Knee {
            factor: 3.0,
            achieved_tolerance_percent: 5.0,
            reference_p99_ms: Some(1.0),
            knee_step: step,
            knee_offered_per_s: None,
            last_good_offered_per_s: None,
            reason: None,
        }
    }

    #[test]
    fn the_graded_steps_stop_before_the_first_step_past_the_knee() {
        assert_eq!(graded_steps(&knee_at(None), 5), 5);
        assert_eq!(graded_steps(&knee_at(Some(5)), 5), 4);
        assert_eq!(graded_steps(&knee_at(Some(3)), 5), 2);
        assert_eq!(graded_steps(&knee_at(Some(2)), 5), 1);
        assert_eq!(graded_steps(&knee_at(Some(1)), 5), 1, "the first step departing is graded, not hidden");
    }

    #[tokio::test(start_paused = true)]
    async fn step_metrics_hold_only_the_steps_asked_for() {
        // On tokio's paused clock: a 1 s warm-up then three 2 s steps at 100, 200 and 400 req/s.
        // Requests of the third step take 50 ms and one in ten fails; the others take 1 ms.
        let schedule = RateSchedule::Steps {
            steps: vec![
                Step { rate: 100.0, duration: Duration::from_secs(3) },
                Step { rate: 200.0, duration: Duration::from_secs(2) },
                Step { rate: 400.0, duration: Duration::from_secs(2) },
            ],
        };
        let target = Arc::new(from_fn(|req: Request| async move {
            let third = req.intended >= Duration::from_secs(5);
            tokio::time::sleep(Duration::from_millis(if third { 50 } else { 1 })).await;
            if third && req.seq.is_multiple_of(10) { Err(ErrorKind::Failed) } else { Ok(()) }
        }));
        let config = LoadConfig {
            warmup: Duration::from_secs(1),
            spin_below: Duration::ZERO,
            clock: ClockKind::Simulated,
            ..LoadConfig::default()
        };
        let compiled = schedule.compile().unwrap();
        let report = load::run(&schedule, &config, target).await.unwrap();

        let two = steps_metrics("load/stepped", &report, &compiled, 2).unwrap();
        // 200 measured requests of step 1 (after the warm-up) + 400 of step 2, over 4 s.
        assert_eq!((two.errors.total, two.errors.failed()), (600, 0));
        assert_eq!(two.throughput.requests_per_second, Some(150.0));
        assert_eq!(two.throughput.peak_requests_per_second, Some(200.0));
        let p99 = two.latency.as_ref().unwrap().p99_ns.as_millis_f64();
        assert!((p99 - 1.0).abs() < 0.01, "the slow third step is not in the figures: p99 {p99} ms");
        assert_eq!(two.context.duration_s, 4.0);
        assert!(two.generator.is_none() && two.scheduler_lag.is_none(), "no whole-run figures");

        let all = steps_metrics("load/stepped", &report, &compiled, 3).unwrap();
        assert_eq!((all.errors.total, all.errors.failed()), (1_400, 80));
        assert!(all.latency.unwrap().p99_ns.as_millis_f64() >= 50.0);
        assert_eq!(all.errors.count(ErrorKind::Failed), report.errors.count(ErrorKind::Failed));

        let err = steps_metrics("load/stepped", &report, &compiled, 4).unwrap_err();
        assert!(err.contains("cannot summarise 4 steps of a 3-step run"), "{err}");
    }
}
