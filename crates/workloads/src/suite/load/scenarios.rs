//! The scenarios themselves: calibration (capacity and the sustainable-rate search), peak,
//! sustained, burst and the closed-loop comparison (stepped has its own module). See the
//! parent module.

use std::time::Duration;

use bench_core::load::analysis::{self, RecoveryRule};
use bench_core::load::scenario::{ClosedLoopPoint, PeakSearch, PeakTrial, RecoveryVerdict, ScenarioReport};
use bench_core::load::{self, ClosedLoop, Progress, RateSchedule};
use bench_core::metrics::ClockKind;
use bench_core::units::Nanos;

use super::{Ctx, ScenarioRun, finish, summarise};
use crate::orchestrator::AgentSystem;

/// The search's lower end, as a fraction of the capacity: assumed sustainable, never tried.
const SEARCH_FLOOR: f64 = 0.001;

/// Capacity (a closed loop of `capacity_workers` sending back to back), then the highest
/// sustainable open-loop rate by bisection on a log scale between 0.1 % and 100 % of it: each
/// trial halves the (logarithmic) interval, so `search_trials` trials pin the rate to within a
/// factor of 1000^(1/2^trials).
pub(super) fn calibrate<S: AgentSystem>(ctx: &Ctx<'_, S>) -> PeakSearch {
    let p = &ctx.profile.peak;
    let closed = ClosedLoop::new(p.capacity_workers, p.trial);
    let id = format!("{}/capacity", ctx.prefix);
    let config = ctx.config(&id, Duration::ZERO, Progress::Off);
    let capacity = match ctx.rt.block_on(load::run_closed(&closed, &config, ctx.target.clone())) {
        Ok(r) => r.requests_per_second(),
        Err(e) => {
            eprintln!("{id}: {e}");
            0.0
        }
    };
    println!(
        "{}: capacity {capacity:.0} req/s (measured: closed loop, {} workers back to back, {:.0} s, wall-clock, \
         generator included); searching {} open-loop trials of {:.0} s between 0.1 % and 100 % of it",
        ctx.prefix,
        p.capacity_workers,
        p.trial.as_secs_f64(),
        p.search_trials,
        p.trial.as_secs_f64()
    );
    let mut search = PeakSearch {
        capacity_per_s: capacity,
        capacity_workers: p.capacity_workers,
        min_success_percent: p.min_success_percent,
        max_p99_ms: p.max_p99_ms,
        trials: Vec::new(),
        sustainable_per_s: None,
        headroom_percent: p.headroom_percent,
    };
    let (mut lo, mut hi) = (capacity * SEARCH_FLOOR, capacity);
    for _ in 0..p.search_trials {
        let rate = (lo * hi).sqrt();
        let Some(t) = trial(ctx, rate, 100.0 * rate / capacity) else { break };
        if t.sustainable {
            search.sustainable_per_s = Some(rate);
            lo = rate;
        } else {
            hi = rate;
        }
        search.trials.push(t);
    }
    search
}

/// One open-loop search trial at `rate`; `None` when it could not run (reported).
pub(super) fn trial<S: AgentSystem>(ctx: &Ctx<'_, S>, rate: f64, pct: f64) -> Option<PeakTrial> {
    let p = &ctx.profile.peak;
    if rate.is_nan() || rate <= 0.0 {
        return None;
    }
    // A short warm-up of its own: a trial is too short for the profile's.
    let warmup = (p.trial / 4).min(ctx.profile.warmup);
    let schedule = RateSchedule::constant(rate, p.trial + warmup);
    let id = format!("{}/search", ctx.prefix);
    let report = match ctx.open(&id, &schedule, &ctx.config(&id, warmup, Progress::Off)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return None;
        }
    };
    let success = 100.0 - report.errors.error_rate_percent().unwrap_or(100.0);
    let p99 = report.latency.value_at_quantile(0.99).as_millis_f64();
    // A queue that is still growing at the end of the trial would not hold for a longer run.
    let last_p99 =
        report.timeline.points.iter().rev().find(|p| analysis::is_measured(p)).and_then(|p| p.latency_p99_ms);
    let steady = last_p99.is_some_and(|l| l <= p.max_p99_ms);
    let sustainable = success >= p.min_success_percent && p99 <= p.max_p99_ms && report.health.dropped == 0 && steady;
    println!(
        "  trial {pct:>5.1} % of capacity: {rate:.0} req/s offered, {:.0} achieved, success {success:.3} %, p99 {p99:.3} ms \
         (last interval {}), generator lag p99 {}, dropped {} → {}",
        report.requests_per_second(),
        last_p99.map_or_else(|| "n/a".into(), |l| format!("{l:.3} ms")),
        report.health.lag_p99_ns,
        report.health.dropped,
        if sustainable { "sustainable" } else { "not sustainable" }
    );
    Some(PeakTrial {
        offered_per_s: rate,
        percent_of_capacity: pct,
        achieved_per_s: report.requests_per_second(),
        success_percent: success,
        p99_ms: p99,
        dropped: report.health.dropped,
        sustainable,
    })
}

pub(super) fn peak<S: AgentSystem>(
    ctx: &Ctx<'_, S>,
    id: &str,
    search: &PeakSearch,
    rate: f64,
) -> Result<ScenarioRun, String> {
    let p = &ctx.profile.peak;
    let schedule = RateSchedule::constant(rate, ctx.profile.warmup + p.duration);
    let report = ctx.open(id, &schedule, &ctx.config(id, ctx.profile.warmup, Progress::Auto))?;
    let (metrics, mut scenario) = summarise(ctx, id, "", &report, Some(&schedule));
    let success = 100.0 - report.errors.error_rate_percent().unwrap_or(100.0);
    let ok = success >= p.min_success_percent;
    println!(
        "  success {success:.3} % ({} {} % required)",
        if ok { "✓ ≥" } else { "✗ below the" },
        p.min_success_percent
    );
    if !ok {
        scenario
            .verdicts
            .flags
            .push(format!("success rate {success:.3} % is below the required {} %", p.min_success_percent));
    }
    if search.sustainable_per_s.is_none() {
        scenario.verdicts.flags.push("no sustainable rate was found; the run used the lowest rate tried".into());
    }
    scenario.verdicts.peak = Some(search.clone());
    Ok(finish(ctx, id, metrics, scenario, report.timeline.clone()))
}

pub(super) fn sustained<S: AgentSystem>(ctx: &Ctx<'_, S>, id: &str, peak: f64) -> Result<ScenarioRun, String> {
    let s = &ctx.profile.sustained;
    let rate = peak * s.rate_percent / 100.0;
    let schedule = RateSchedule::constant(rate, ctx.profile.warmup + s.duration);
    let report = ctx.open(id, &schedule, &ctx.config(id, ctx.profile.warmup, Progress::Auto))?;
    let (metrics, mut scenario) = summarise(ctx, id, "", &report, Some(&schedule));
    let v = &mut scenario.verdicts;
    v.leak = analysis::leak_check(&report.timeline, s.leak_threshold_mib_per_min);
    v.degradation = analysis::degradation(&report.timeline, s.segment_percent / 100.0, s.degradation_threshold_percent);
    match &v.leak {
        Some(l) => {
            println!(
                "  memory: RSS slope {:+.3} MiB/min over {:.0} s (least squares on {} interval readings, r² {:.2}; {:.1} → {:.1} MiB) {}",
                l.slope_mib_per_min,
                l.window_s,
                l.points,
                l.r_squared,
                l.rss_first_mb,
                l.rss_last_mb,
                if l.suspected { "✗ LEAK SUSPECTED" } else { "✓ below" }
            );
            if l.suspected {
                v.flags.push(format!(
                    "suspected memory leak: RSS grows {:.3} MiB/min (threshold {} MiB/min)",
                    l.slope_mib_per_min, l.threshold_mib_per_min
                ));
            }
        }
        None => println!("  memory: RSS trend not measured (no RSS readings on this platform)"),
    }
    if let Some(d) = &v.degradation {
        let pct = |c: Option<f64>| c.map_or_else(|| "n/a".into(), |c| format!("{c:+.1} %"));
        println!(
            "  degradation (first vs last {} intervals): throughput {:.0} → {:.0} req/s ({}), median interval p99 {} → {} ms ({}); threshold {} %{}",
            d.segment_points,
            d.first_completed_per_s,
            d.last_completed_per_s,
            pct(d.throughput_change_percent),
            d.first_p99_ms.map_or("n/a".into(), |v| format!("{v:.3}")),
            d.last_p99_ms.map_or("n/a".into(), |v| format!("{v:.3}")),
            pct(d.p99_change_percent),
            d.threshold_percent,
            if d.throughput_degraded || d.latency_degraded { " ✗ DEGRADED" } else { " ✓" }
        );
        if d.throughput_degraded {
            v.flags.push(format!(
                "throughput fell {:.1} % from the first to the last segment",
                -d.throughput_change_percent.unwrap_or(0.0)
            ));
        }
        if d.latency_degraded {
            v.flags.push(format!(
                "p99 rose {:.1} % from the first to the last segment",
                d.p99_change_percent.unwrap_or(0.0)
            ));
        }
    }
    Ok(finish(ctx, id, metrics, scenario, report.timeline.clone()))
}

pub(super) fn burst<S: AgentSystem>(ctx: &Ctx<'_, S>, id: &str, peak: f64) -> Result<ScenarioRun, String> {
    let b = &ctx.profile.burst;
    let base = peak * b.base_percent / 100.0;
    // Base rate through the warm-up and one quiet period first: the baseline p99 comes from it.
    let lead = ctx.profile.warmup + (b.period - b.burst);
    let schedule = RateSchedule::Bursts {
        base_rate: base,
        burst_rate: base * b.multiplier,
        burst_len: b.burst,
        period: b.period,
        duration: lead + b.period * b.count,
        first_burst_at: lead,
    };
    let compiled = schedule.compile().map_err(|e| e.to_string())?;
    let report = ctx.open(id, &schedule, &ctx.config(id, ctx.profile.warmup, Progress::Auto))?;
    let (mut metrics, mut scenario) = summarise(ctx, id, "", &report, Some(&schedule));
    let w = ctx.profile.warmup.as_secs_f64();
    let bursts: Vec<(f64, f64)> =
        compiled.bursts().iter().map(|(a, z)| (a.as_secs_f64() - w, z.as_secs_f64() - w)).collect();
    let Some(baseline) = analysis::baseline_p99(&report.timeline, bursts.first().map_or(0.0, |b| b.0)) else {
        return Err("no base-rate interval before the first burst measured a p99".into());
    };
    let rule = RecoveryRule {
        baseline_p99_ms: baseline,
        tolerance_percent: b.recovery_tolerance_percent,
        consecutive: b.recovery_intervals,
    };
    let per_burst = analysis::burst_recovery(&report.timeline, &bursts, rule);
    println!(
        "  bursts: {:.0} → {:.0} req/s (configured) for {:.0} s every {:.0} s; recovered = p99 within {} % of the base p99 {baseline:.3} ms for {} intervals",
        base,
        base * b.multiplier,
        b.burst.as_secs_f64(),
        b.period.as_secs_f64(),
        b.recovery_tolerance_percent,
        b.recovery_intervals
    );
    for r in &per_burst {
        println!(
            "    burst {}: peak interval p99 {} ms; {}",
            r.burst,
            r.peak_p99_ms.map_or("n/a".into(), |v| format!("{v:.3}")),
            r.recovered_after_s.map_or_else(
                || format!("NOT recovered within the {:.0} s watched", r.observed_s),
                |s| format!(
                    "recovered {s:.0} s after the burst (measured from the timeline, ±{} s)",
                    report.timeline.interval_s
                )
            )
        );
        if r.recovered_after_s.is_none() {
            scenario.verdicts.flags.push(format!("burst {} did not recover within {:.0} s", r.burst, r.observed_s));
        }
    }
    let worst = per_burst
        .iter()
        .map(|r| r.recovered_after_s)
        .collect::<Option<Vec<f64>>>()
        .map(|v| v.into_iter().fold(0.0, f64::max));
    metrics.recovery_time_s = worst;
    scenario.verdicts.recovery = Some(RecoveryVerdict { rule, bursts: per_burst, worst_s: worst });
    Ok(finish(ctx, id, metrics, scenario, report.timeline.clone()))
}

pub(super) fn closed_loop<S: AgentSystem>(
    ctx: &Ctx<'_, S>,
    id: &str,
    rate: f64,
    open_p99: Option<Nanos>,
) -> Result<ScenarioRun, String> {
    let c = &ctx.profile.closed_loop;
    let mut scenario = ScenarioReport::new(id, Some(ctx.profile.name.clone()), ClockKind::WallClock);
    println!(
        "{id}: closed loops, each worker sending its next request when the previous one is answered, {:.0} s each \
         (wall-clock); the corrected view assumes each of N workers meant to send every N / {rate:.0} s \
         (the sustainable rate){}",
        c.duration.as_secs_f64(),
        open_p99.map_or_else(String::new, |p| format!("; the open-loop peak run at that rate measured p99 {p}"))
    );
    let mut points = Vec::new();
    for &workers in &c.workers {
        let expected = Duration::from_secs_f64(workers as f64 / rate);
        let closed = ClosedLoop { expected_interval: Some(expected), ..ClosedLoop::new(workers, c.duration) };
        let config = ctx.config(id, Duration::ZERO, Progress::Off);
        let r = ctx.rt.block_on(load::run_closed(&closed, &config, ctx.target.clone())).map_err(|e| e.to_string())?;
        let naive = r.latency.summary();
        let corrected = r.corrected_latency.as_ref().map(|c| c.summary());
        println!(
            "  {workers:>4} workers: {:>8.0} req/s achieved; naive p50 {} p99 {} p99.9 {}; p99 {} (corrected, interval {:.1} µs); errors {}",
            r.requests_per_second(),
            naive.p50_ns,
            naive.p99_ns,
            naive.p999_ns,
            corrected.as_ref().map_or_else(|| "n/a".into(), |c| c.p99_ns.to_string()),
            expected.as_secs_f64() * 1e6,
            r.errors.failed()
        );
        points.push(ClosedLoopPoint {
            workers,
            pacing_us: Some(expected.as_secs_f64() * 1e6),
            achieved_per_s: r.requests_per_second(),
            naive,
            corrected,
            skipped_sends: r.skipped_sends,
            errors: r.errors.clone(),
        });
    }
    scenario.verdicts.closed_loop = Some(points);
    Ok(ScenarioRun { id: id.to_owned(), metrics: None, timeline: None, scenario, evaluation: None })
}
