//! Rules on resource use: `cpu_bound`, `high_memory`, `memory_growth` (thresholds in the parent
//! module's table).

use super::super::format::{self as f};
use super::*;

pub(super) fn cpu_bound(m: &SystemMetrics, tl: Option<&Timeline>) -> RuleStatus {
    let res = m.resources.as_ref();
    let avg = res.and_then(|r| r.cpu_avg).map(|c| c.percent_of_machine);
    let peak = res.and_then(|r| r.cpu_peak).map(|c| c.percent_of_machine);
    let has_series = tl.is_some_and(|t| t.points.iter().any(|p| p.cpu_percent.is_some()));
    if avg.is_none() && !has_series {
        return RuleStatus::NotEvaluated("CPU was not measured".into());
    }
    let mut evidence = Vec::new();
    if let Some(a) = avg.filter(|a| *a >= CPU_BUSY_PERCENT) {
        evidence.push(format!("average CPU {} of the machine (≥ {}%)", f::with_unit(a, "%"), CPU_BUSY_PERCENT));
    }
    if let Some(t) = tl
        && let Some(s) = longest_stretch(&t.points, |p| p.cpu_percent.is_some_and(|c| c > CPU_BUSY_PERCENT))
    {
        let (secs, text) = stretch_text(t, s);
        if secs >= CPU_BUSY_FOR_S {
            evidence.push(format!("CPU above {CPU_BUSY_PERCENT}% for {text}"));
        }
    }
    if evidence.is_empty() {
        return RuleStatus::Clear;
    }
    if let Some(p) = peak {
        evidence.push(format!("peak CPU {} over one sampling tick", f::with_unit(p, "%")));
    }
    if let Some(share) = m.generator_busy_wait_share() {
        evidence.push(format!(
            "of the process CPU, {} was the load generator busy-waiting to send on time (pacing, not the workload)",
            f::with_unit(100.0 * share, "%")
        ));
    }
    fired(
        Rule::CpuBound,
        Severity::Warning,
        "CPU-bound: the process kept the CPUs busy".into(),
        evidence,
        "Throughput is limited by computation, and latency above this rate is queueing for CPU. Profile the hot \
         path (`cargo bench -- --profile-time 10` writes flamegraphs), cut work per request, or add cores.",
    )
}

pub(super) fn high_memory(m: &SystemMetrics, tl: Option<&Timeline>, settings: &RuleSettings) -> RuleStatus {
    let Some(total) = settings.machine_memory_mb.filter(|t| *t > 0.0) else {
        return RuleStatus::NotEvaluated(
            "the machine's memory is unknown: it is known only when the report is made on the machine that ran the scenario".into(),
        );
    };
    let limit = total * MEMORY_HIGH_PERCENT / 100.0;
    let peak = m.resources.as_ref().and_then(|r| r.rss_peak_mb);
    let series = tl.filter(|t| t.points.iter().any(|p| p.rss_mb.is_some()));
    let evidence = match (series, peak) {
        (Some(t), _) => {
            let Some(s) = longest_stretch(&t.points, |p| p.rss_mb.is_some_and(|r| r > limit)) else {
                return RuleStatus::Clear;
            };
            let (secs, text) = stretch_text(t, s);
            if secs < MEMORY_HIGH_FOR_S {
                return RuleStatus::Clear;
            }
            vec![format!(
                "RSS above {} ({MEMORY_HIGH_PERCENT}% of {}) for {text}",
                f::with_unit(limit, "MiB"),
                f::with_unit(total, "MiB")
            )]
        }
        (None, Some(p)) if p > limit && m.context.duration_s >= MEMORY_HIGH_FOR_S => vec![format!(
            "peak RSS {} is {} of the machine's {} (no timeline: how long it stayed there is unknown)",
            f::with_unit(p, "MiB"),
            f::with_unit(100.0 * p / total, "%"),
            f::with_unit(total, "MiB")
        )],
        (None, Some(_)) => return RuleStatus::Clear,
        (None, None) => return RuleStatus::NotEvaluated("memory was not measured".into()),
    };
    fired(
        Rule::HighMemory,
        Severity::Warning,
        "memory: the process holds most of the machine's memory".into(),
        evidence,
        "The process is close to swapping or the OOM killer. Bound caches and queues, or reduce memory per \
         request (`cargo bench --bench memory` measures it).",
    )
}

pub(super) fn memory_growth(m: &SystemMetrics, tl: Option<&Timeline>) -> RuleStatus {
    let xy: Vec<(f64, f64)> =
        tl.map(|t| t.points.iter().filter_map(|p| p.rss_mb.map(|r| (p.t_s, r))).collect()).unwrap_or_default();
    if xy.len() >= 10 {
        let Some((slope, r2)) = linear_fit(&xy) else { return RuleStatus::Clear };
        let span = xy[xy.len() - 1].0 - xy[0].0;
        let head = (xy.len() / 10).max(1);
        let start = median(xy[..head].iter().map(|p| p.1).collect()).unwrap_or(xy[0].1);
        let end = median(xy[xy.len() - head..].iter().map(|p| p.1).collect()).unwrap_or(xy[xy.len() - 1].1);
        let growth = slope * span;
        if growth < MEMORY_GROWTH_MIN_MB || growth < MEMORY_GROWTH_MIN_RELATIVE * start || r2 < MEMORY_GROWTH_MIN_R2 {
            return RuleStatus::Clear;
        }
        return fired(
            Rule::MemoryGrowth,
            Severity::Warning,
            "memory growth: resident memory rose steadily through the run".into(),
            vec![
                format!(
                    "RSS {} → {} over {} (trend +{}, {})",
                    f::with_unit(start, "MiB"),
                    f::with_unit(end, "MiB"),
                    f::duration_s(span),
                    f::with_unit(growth, "MiB"),
                    f::percent(growth / start.max(f64::MIN_POSITIVE))
                ),
                format!("slope {} per minute, linear fit R² {:.2}", f::with_unit(slope * 60.0, "MiB"), r2),
            ],
            GROWTH_ADVICE,
        );
    }
    let res = m.resources.as_ref();
    match (res.and_then(|r| r.rss_growth_mb), res.and_then(|r| r.rss_avg_mb)) {
        (Some(g), Some(avg)) => {
            let start = (avg - g / 2.0).max(f64::MIN_POSITIVE);
            if g >= MEMORY_GROWTH_MIN_MB && g >= MEMORY_GROWTH_MIN_RELATIVE * start {
                fired(
                    Rule::MemoryGrowth,
                    Severity::Warning,
                    "memory growth: resident memory rose during the run".into(),
                    vec![format!(
                        "RSS grew {} between the first and last sample (average {}); no timeline, so a leak \
                         cannot be told from a one-off step",
                        f::with_unit(g, "MiB"),
                        f::with_unit(avg, "MiB")
                    )],
                    GROWTH_ADVICE,
                )
            } else {
                RuleStatus::Clear
            }
        }
        _ => RuleStatus::NotEvaluated("memory was not sampled over time".into()),
    }
}

const GROWTH_ADVICE: &str = "Look for a leak or an unbounded queue or cache (a sustained run must not grow); \
    run longer to see whether it levels off, and `cargo bench --bench memory` counts allocations per operation.";
