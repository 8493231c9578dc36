//! Verdicts read off a run's [`Timeline`] and per-phase figures: memory-leak slope, degradation
//! over time, recovery after bursts, and the knee of a stepped run.
//!
//! All of them use the measured phase only: points labelled `warmup`, `cooldown` or `drain`
//! (see [`crate::load`]'s timeline) are left out. Each function is pure, so it can be checked
//! on made-up timelines with known answers.

use serde::{Deserialize, Serialize};

use super::schedule::CompiledSchedule;
use super::summary::LoadReport;
use crate::latency::LatencySummary;
use crate::metrics::{Timeline, TimelinePoint};

/// Whether a point belongs to the measured phase.
pub fn is_measured(p: &TimelinePoint) -> bool {
    p.t_s > 0.0 && !matches!(p.phase.as_deref(), Some("warmup" | "cooldown" | "drain"))
}

fn measured(t: &Timeline) -> impl Iterator<Item = &TimelinePoint> {
    t.points.iter().filter(|p| is_measured(p))
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

fn change_percent(from: f64, to: f64) -> Option<f64> {
    (from > 0.0).then(|| 100.0 * (to - from) / from)
}

/// Resident memory trend over the measured phase: a least-squares line through (t, RSS).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeakCheck {
    /// Slope of the fitted line, MiB per minute (measured).
    pub slope_mib_per_min: f64,
    /// Share of the RSS variance the line explains (0..=1); low values mean noise, not a trend.
    pub r_squared: f64,
    /// Slope above which a leak is suspected (configured).
    pub threshold_mib_per_min: f64,
    /// Points fitted.
    pub points: usize,
    /// Time the points span, seconds.
    pub window_s: f64,
    /// RSS at the first and last fitted point, MiB.
    pub rss_first_mb: f64,
    /// RSS at the last fitted point, MiB.
    pub rss_last_mb: f64,
    /// `slope_mib_per_min > threshold_mib_per_min`.
    pub suspected: bool,
}

/// Fits RSS against time over the measured phase; `None` with fewer than three RSS readings.
pub fn leak_check(t: &Timeline, threshold_mib_per_min: f64) -> Option<LeakCheck> {
    let pts: Vec<(f64, f64)> = measured(t).filter_map(|p| p.rss_mb.map(|r| (p.t_s, r))).collect();
    if pts.len() < 3 {
        return None;
    }
    let n = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = pts.iter().map(|p| (p.1 - my).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope_per_s = sxy / sxx;
    let r_squared = if syy > 0.0 { (sxy * sxy) / (sxx * syy) } else { 0.0 };
    let slope = slope_per_s * 60.0;
    Some(LeakCheck {
        slope_mib_per_min: slope,
        r_squared,
        threshold_mib_per_min,
        points: pts.len(),
        window_s: pts[pts.len() - 1].0 - pts[0].0,
        rss_first_mb: pts[0].1,
        rss_last_mb: pts[pts.len() - 1].1,
        suspected: slope > threshold_mib_per_min,
    })
}

/// Throughput and latency of the first segment of the measured phase against the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Degradation {
    /// Intervals in each segment.
    pub segment_points: usize,
    /// Mean completed requests per second over the first segment (measured).
    pub first_completed_per_s: f64,
    /// Same, last segment.
    pub last_completed_per_s: f64,
    /// (last − first) / first, percent.
    pub throughput_change_percent: Option<f64>,
    /// Median of the first segment's per-interval p99, ms.
    pub first_p99_ms: Option<f64>,
    /// Median of the last segment's per-interval p99, ms.
    pub last_p99_ms: Option<f64>,
    /// (last − first) / first, percent.
    pub p99_change_percent: Option<f64>,
    /// Change beyond which degradation is flagged (configured).
    pub threshold_percent: f64,
    /// Throughput fell by more than the threshold.
    pub throughput_degraded: bool,
    /// The p99 rose by more than the threshold.
    pub latency_degraded: bool,
}

/// Compares the first and last `segment_fraction` of the measured intervals (at least one
/// interval each); `None` with fewer than two measured intervals.
pub fn degradation(t: &Timeline, segment_fraction: f64, threshold_percent: f64) -> Option<Degradation> {
    let pts: Vec<&TimelinePoint> = measured(t).collect();
    if pts.len() < 2 {
        return None;
    }
    let k = ((pts.len() as f64 * segment_fraction).round() as usize).clamp(1, pts.len() / 2);
    let (first, last) = (&pts[..k], &pts[pts.len() - k..]);
    let rate = |s: &[&TimelinePoint]| s.iter().map(|p| p.completed_per_s).sum::<f64>() / s.len() as f64;
    let p99 = |s: &[&TimelinePoint]| median(s.iter().filter_map(|p| p.latency_p99_ms).collect());
    let (r0, r1) = (rate(first), rate(last));
    let (l0, l1) = (p99(first), p99(last));
    let tp = change_percent(r0, r1);
    let lp = l0.zip(l1).and_then(|(a, b)| change_percent(a, b));
    Some(Degradation {
        segment_points: k,
        first_completed_per_s: r0,
        last_completed_per_s: r1,
        throughput_change_percent: tp,
        first_p99_ms: l0,
        last_p99_ms: l1,
        p99_change_percent: lp,
        threshold_percent,
        throughput_degraded: tp.is_some_and(|c| c < -threshold_percent),
        latency_degraded: lp.is_some_and(|c| c > threshold_percent),
    })
}

/// When a system counts as recovered after a burst.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RecoveryRule {
    /// The base-rate p99 to return to, ms (measured before the first burst).
    pub baseline_p99_ms: f64,
    /// Allowed excess over the baseline, percent.
    pub tolerance_percent: f64,
    /// Consecutive intervals that must all be within it.
    pub consecutive: usize,
}

/// Recovery after one burst.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BurstRecovery {
    /// 1-based burst number.
    pub burst: usize,
    /// Burst start and end, seconds since the start of the measured phase.
    pub start_s: f64,
    /// Burst end.
    pub end_s: f64,
    /// Highest interval p99 from the burst start until recovery (or the window's end), ms.
    pub peak_p99_ms: Option<f64>,
    /// Time from the burst's end to the start of the first run of `consecutive` intervals within
    /// tolerance, seconds (resolution: one interval); `None` = not recovered in the window.
    pub recovered_after_s: Option<f64>,
    /// Time after the burst that was watched (until the next burst or the end), seconds.
    pub observed_s: f64,
}

/// The p99 to recover to: the median per-interval p99 of measured `base` intervals ending by
/// `before_s` (seconds since the measured start).
pub fn baseline_p99(t: &Timeline, before_s: f64) -> Option<f64> {
    median(
        measured(t)
            .filter(|p| p.t_s <= before_s + 1e-9 && p.phase.as_deref() == Some("base"))
            .filter_map(|p| p.latency_p99_ms)
            .collect(),
    )
}

/// Recovery after each burst (`(start, end)` in seconds since the measured start).
pub fn burst_recovery(t: &Timeline, bursts: &[(f64, f64)], rule: RecoveryRule) -> Vec<BurstRecovery> {
    let limit = rule.baseline_p99_ms * (1.0 + rule.tolerance_percent / 100.0);
    let pts: Vec<&TimelinePoint> = measured(t).collect();
    let run_end = pts.last().map_or(0.0, |p| p.t_s);
    let ok = |p: &TimelinePoint| p.completed_per_s > 0.0 && p.latency_p99_ms.is_some_and(|v| v <= limit);
    bursts
        .iter()
        .enumerate()
        .map(|(i, &(start, end))| {
            let window_end = bursts.get(i + 1).map_or(run_end, |b| b.0);
            // Points wholly after the burst and before the next one.
            let after: Vec<&TimelinePoint> = pts
                .iter()
                .copied()
                .filter(|p| p.t_s - t.interval_s >= end - 1e-9 && p.t_s <= window_end + 1e-9)
                .collect();
            let first_ok = (0..after.len())
                .find(|&j| j + rule.consecutive <= after.len() && after[j..j + rule.consecutive].iter().all(|p| ok(p)));
            let recovered_after_s = first_ok.map(|j| (after[j].t_s - t.interval_s - end).max(0.0));
            let until = first_ok.map_or(window_end, |j| after[j].t_s);
            let peak_p99_ms = pts
                .iter()
                .filter(|p| p.t_s > start + 1e-9 && p.t_s <= until + 1e-9)
                .filter_map(|p| p.latency_p99_ms)
                .reduce(f64::max);
            BurstRecovery {
                burst: i + 1,
                start_s: start,
                end_s: end,
                peak_p99_ms,
                recovered_after_s,
                observed_s: (window_end - end).max(0.0),
            }
        })
        .collect()
}

/// One step of a stepped run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    /// 1-based step number.
    pub step: usize,
    /// Rate the step asked for, req/s (configured).
    pub offered_per_s: f64,
    /// Mean completions per second over the timeline intervals inside the step (measured);
    /// for steps shorter than an interval, the step's successes over its length.
    pub achieved_per_s: f64,
    /// Outcomes of the requests intended during the step.
    pub errors: crate::metrics::ErrorStats,
    /// Their latency from the intended start.
    pub latency: LatencySummary,
}

/// Per-step figures of a stepped run: latency and outcomes from the report's phases, achieved
/// throughput from its timeline. Empty unless the schedule has steps.
pub fn step_results(report: &LoadReport, schedule: &CompiledSchedule) -> Vec<StepResult> {
    let warm = report.warmup.as_secs_f64();
    let interval = report.timeline.interval_s;
    schedule
        .steps()
        .into_iter()
        .zip(&report.phases)
        .enumerate()
        .map(|(i, ((a, b, rate), phase))| {
            let (a, b) = (a.as_secs_f64() - warm, b.as_secs_f64() - warm);
            let inside: Vec<f64> = measured(&report.timeline)
                .filter(|p| p.t_s - interval >= a - 1e-9 && p.t_s <= b + 1e-9)
                .map(|p| p.completed_per_s)
                .collect();
            let achieved_per_s = if inside.is_empty() {
                phase.errors.succeeded() as f64 / (b - a.max(0.0)).max(f64::MIN_POSITIVE)
            } else {
                inside.iter().sum::<f64>() / inside.len() as f64
            };
            StepResult {
                step: i + 1,
                offered_per_s: rate,
                achieved_per_s,
                errors: phase.errors.clone(),
                latency: phase.latency.summary(),
            }
        })
        .collect()
}

/// Where latency departs in a stepped run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Knee {
    /// A step is past the knee when its p99 exceeds this many times the reference p99 …
    pub factor: f64,
    /// … or its achieved rate falls short of the offered rate by more than this, percent.
    pub achieved_tolerance_percent: f64,
    /// The p99 of the step with the lowest offered rate, ms.
    pub reference_p99_ms: Option<f64>,
    /// The first step past the knee (1-based); `None` = no step departed.
    pub knee_step: Option<usize>,
    /// Its offered rate, req/s.
    pub knee_offered_per_s: Option<f64>,
    /// The highest offered rate before the knee, req/s.
    pub last_good_offered_per_s: Option<f64>,
    /// Why the knee step departed, in words.
    pub reason: Option<String>,
}

/// Finds the knee: the first step (in order) whose p99 exceeds `factor` × the lowest-rate
/// step's p99, or whose achieved rate is below offered by more than `tolerance_percent`.
pub fn find_knee(steps: &[StepResult], factor: f64, tolerance_percent: f64) -> Knee {
    let reference = steps
        .iter()
        .filter(|s| s.latency.count > 0)
        .min_by(|a, b| a.offered_per_s.total_cmp(&b.offered_per_s))
        .map(|s| s.latency.p99_ns.as_millis_f64());
    let mut knee = Knee {
        factor,
        achieved_tolerance_percent: tolerance_percent,
        reference_p99_ms: reference,
        knee_step: None,
        knee_offered_per_s: None,
        last_good_offered_per_s: None,
        reason: None,
    };
    for s in steps {
        let p99 = (s.latency.count > 0).then(|| s.latency.p99_ns.as_millis_f64());
        let shortfall = 100.0 * (1.0 - s.achieved_per_s / s.offered_per_s);
        let reason = if let (Some(p), Some(r)) = (p99, reference)
            && p > factor * r
        {
            Some(format!("p99 {p:.3} ms > {factor} × {r:.3} ms (the lowest step's p99)"))
        } else if shortfall > tolerance_percent {
            Some(format!(
                "achieved {:.0} req/s is {shortfall:.1} % below the offered {:.0} req/s",
                s.achieved_per_s, s.offered_per_s
            ))
        } else {
            None
        };
        if reason.is_some() {
            knee.knee_step = Some(s.step);
            knee.knee_offered_per_s = Some(s.offered_per_s);
            knee.reason = reason;
            break;
        }
        knee.last_good_offered_per_s = Some(s.offered_per_s);
    }
    knee
}

#[cfg(test)]
#[path = "analysis_tests.rs"]
mod tests;
