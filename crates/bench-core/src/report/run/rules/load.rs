//! Rules on the load and its outcomes: `queueing`, `scheduler_lag`, `error_burst`,
//! `high_latency`, `low_throughput` (thresholds in the parent module's table).

use super::super::format::{self as f};
use super::*;

pub(super) fn queueing(tl: Option<&Timeline>) -> RuleStatus {
    let Some(t) = tl else { return RuleStatus::NotEvaluated("no timeline was recorded".into()) };
    let mut evidence = Vec::new();
    let behind =
        |p: &TimelinePoint| p.offered_per_s.is_some_and(|o| o > 0.0 && p.completed_per_s < QUEUE_COMPLETED_SHARE * o);
    if let Some(s) = longest_stretch(&t.points, behind) {
        let (secs, text) = stretch_text(t, s);
        if secs >= QUEUE_BEHIND_FOR_S {
            let pts = &t.points[s.0..=s.1];
            let offered = pts.iter().filter_map(|p| p.offered_per_s).sum::<f64>() / pts.len() as f64;
            let done = pts.iter().map(|p| p.completed_per_s).sum::<f64>() / pts.len() as f64;
            evidence.push(format!(
                "completed {}/s of {}/s offered ({}) for {text}",
                f::num(done),
                f::num(offered),
                f::with_unit(100.0 * done / offered, "%")
            ));
        }
    }
    let q = t.points.len() / 4;
    if q >= 2 {
        let p99 = |ps: &[TimelinePoint]| median(ps.iter().filter_map(|p| p.latency_p99_ms).collect());
        let (first, last) = (&t.points[..q], &t.points[t.points.len() - q..]);
        if let (Some(a), Some(b)) = (p99(first), p99(last))
            && a > 0.0
            && b >= QUEUE_P99_GROWTH * a
        {
            let offered = |ps: &[TimelinePoint]| median(ps.iter().filter_map(|p| p.offered_per_s).collect());
            let load = match (offered(first), offered(last)) {
                (Some(o1), Some(o2)) if o1 == o2 => format!(" while the offered rate stayed at {}/s", f::num(o1)),
                (Some(o1), Some(o2)) => {
                    format!(" while the offered rate went from {}/s to {}/s", f::num(o1), f::num(o2))
                }
                _ => String::new(),
            };
            evidence.push(format!(
                "median interval p99 rose from {} in the first quarter to {} in the last ({:.1}×){load}",
                f::millis(a),
                f::millis(b),
                b / a
            ));
        }
    }
    let measured = t.points.iter().any(|p| p.offered_per_s.is_some() || p.latency_p99_ms.is_some());
    match (evidence.is_empty(), measured) {
        (true, true) => RuleStatus::Clear,
        (true, false) => RuleStatus::NotEvaluated("the timeline has neither offered rates nor latencies".into()),
        (false, _) => fired(
            Rule::Queueing,
            Severity::Warning,
            "queueing: the system falls behind the offered load and latency builds up".into(),
            evidence,
            "The system runs past its capacity at this rate: requests wait in queues, so latency is waiting, not \
             work. Find the knee with a stepped schedule (the highest rate whose p99 stays flat) and size for it, \
             or add workers or partitions.",
        ),
    }
}

pub(super) fn scheduler_lag(m: &SystemMetrics) -> RuleStatus {
    let lag = m.scheduler_lag.as_ref().filter(|l| l.count > 0).map(|l| l.p99_ns.as_millis_f64());
    let gen_ = m.generator.as_ref();
    if lag.is_none() && gen_.is_none() {
        return RuleStatus::NotEvaluated("no load generator drove this run".into());
    }
    let p99 = m.latency.as_ref().filter(|l| l.count > 0).map(|l| l.p99_ns.as_millis_f64());
    let mut evidence = Vec::new();
    if let Some(g) = gen_ {
        if g.saturated {
            evidence.push("the generator reported itself saturated".to_owned());
        }
        if g.dropped > 0 {
            evidence.push(format!(
                "{} requests dropped (never sent: more than the drop bound late), {} of those intended",
                f::group(g.dropped),
                f::share(g.dropped, g.intended)
            ));
        }
    }
    if let Some(l) = lag {
        let share = p99.filter(|p| *p > 0.0).map(|p| l / p);
        if l >= LAG_P99_MS || (l >= LAG_SHARE_FLOOR_MS && share.is_some_and(|s| s >= LAG_SHARE_OF_P99)) {
            let of =
                share.map_or_else(String::new, |s| format!(", {} of the latency p99", f::with_unit(100.0 * s, "%")));
            evidence.push(format!("scheduler lag p99 {}{of}", f::millis(l)));
        }
    }
    if evidence.is_empty() {
        return RuleStatus::Clear;
    }
    if let Some(g) = gen_ {
        evidence.push(format!(
            "configured {}/s, achieved send rate {}/s",
            f::num(g.intended_rate),
            f::num(g.achieved_rate)
        ));
    }
    fired(
        Rule::SchedulerLag,
        Severity::Warning,
        "scheduler lag: the load generator fell behind its schedule".into(),
        evidence,
        "Measured latency includes the generator's own delay and dropped requests were never sent. Give the \
         generator its own runtime or cores (`LoadConfig` workers), lower the rate, or drive the target out of \
         process.",
    )
}

fn dominant_kind(m: &SystemMetrics) -> Option<(ErrorKind, u64)> {
    m.errors.by_kind.iter().max_by_key(|(_, n)| **n).map(|(k, n)| (*k, *n))
}

fn error_advice(kind: Option<ErrorKind>) -> &'static str {
    match kind {
        Some(ErrorKind::Timeout) => {
            "Timeouts dominate: the latency tail crossed the timeout. Check the queueing and CPU findings for the same \
             window; shed load earlier or add capacity."
        }
        Some(ErrorKind::Rejected) => {
            "Rejections dominate: admission control or a full queue shed load. Raise the queue capacity if latency \
             allows, or lower the offered rate."
        }
        Some(ErrorKind::Dropped) => {
            "Drops dominate: the load generator could not send in time (see scheduler_lag); the target never saw \
             these requests."
        }
        _ => "Look at the error kinds below and at what else happened in the same window (findings, timeline).",
    }
}

pub(super) fn error_burst(m: &SystemMetrics, tl: Option<&Timeline>) -> RuleStatus {
    let kind = dominant_kind(m);
    let kind_text = |n_total: u64| {
        kind.map(|(k, n)| format!("most errors are {k}: {} of {}", f::group(n), f::group(n_total))).unwrap_or_default()
    };
    if let Some(t) = tl {
        let rate = |p: &TimelinePoint| {
            let done = p.completed_per_s * t.interval_s;
            let all = done + p.errors as f64;
            (all > 0.0).then(|| 100.0 * p.errors as f64 / all)
        };
        let total_errors: u64 = t.points.iter().map(|p| p.errors).sum();
        if let Some(s) = longest_stretch(&t.points, |p| rate(p).is_some_and(|r| r > ERROR_RATE_PERCENT)) {
            let (secs, text) = stretch_text(t, s);
            if secs >= ERROR_RATE_FOR_S {
                let peak = t.points[s.0..=s.1].iter().filter_map(rate).fold(0.0, f64::max);
                let mut evidence = vec![format!(
                    "error rate above {ERROR_RATE_PERCENT}% for {text} (peak {} of an interval's requests)",
                    f::with_unit(peak, "%")
                )];
                evidence.extend(Some(kind_text(m.errors.failed())).filter(|s| !s.is_empty()));
                return fired(
                    Rule::ErrorBurst,
                    Severity::Critical,
                    "errors: the error rate stayed above 5%".into(),
                    evidence,
                    error_advice(kind.map(|k| k.0)),
                );
            }
        }
        if total_errors >= BURST_MIN_ERRORS {
            // The fewest intervals holding half the errors: the worst intervals first.
            let mut per: Vec<(usize, u64)> = t.points.iter().map(|p| p.errors).enumerate().collect();
            per.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut acc = 0;
            let need = (BURST_ERROR_SHARE * total_errors as f64).ceil() as u64;
            let k = per.iter().take_while(|(_, n)| {
                let before = acc;
                acc += n;
                before < need
            });
            let idx: Vec<usize> = k.map(|(i, _)| *i).collect();
            if (idx.len() as f64) <= BURST_INTERVAL_SHARE * t.points.len() as f64 {
                let (lo, hi) = (idx.iter().min().copied().unwrap_or(0), idx.iter().max().copied().unwrap_or(0));
                let in_burst: u64 = idx.iter().map(|&i| t.points[i].errors).sum();
                let mut evidence = vec![format!(
                    "{} of the run's {} errors ({}) fell in {} of {} intervals, between t = {} s and t = {} s",
                    f::group(in_burst),
                    f::group(total_errors),
                    f::share(in_burst, total_errors),
                    idx.len(),
                    t.points.len(),
                    f::plain((t.points[lo].t_s - t.interval_s).max(0.0)),
                    f::plain(t.points[hi].t_s)
                )];
                evidence.extend(Some(kind_text(m.errors.failed())).filter(|s| !s.is_empty()));
                return fired(
                    Rule::ErrorBurst,
                    Severity::Warning,
                    "error burst: errors came in a short burst".into(),
                    evidence,
                    error_advice(kind.map(|k| k.0)),
                );
            }
        }
        return RuleStatus::Clear;
    }
    let Some(rate) = m.errors.error_rate_percent() else {
        return RuleStatus::NotEvaluated("no requests were counted".into());
    };
    if rate <= ERROR_RATE_PERCENT {
        return RuleStatus::Clear;
    }
    let mut evidence = vec![format!(
        "error rate {} over the whole run (no timeline: when the errors happened is unknown)",
        f::with_unit(rate, "%")
    )];
    evidence.extend(Some(kind_text(m.errors.failed())).filter(|s| !s.is_empty()));
    fired(
        Rule::ErrorBurst,
        Severity::Critical,
        "errors: the error rate is above 5%".into(),
        evidence,
        error_advice(kind.map(|k| k.0)),
    )
}

pub(super) fn high_latency(m: &SystemMetrics, tl: Option<&Timeline>) -> RuleStatus {
    let p95 = m.latency.as_ref().filter(|l| l.count > 0).map(|l| l.p95_ns.as_millis_f64());
    let mut evidence = Vec::new();
    if let Some(p) = p95
        && p > LATENCY_HIGH_MS
        && m.context.duration_s >= LATENCY_HIGH_FOR_S
    {
        evidence.push(format!("p95 {} over the whole {} run", f::millis(p), f::duration_s(m.context.duration_s)));
    }
    if let Some(t) = tl
        && let Some(s) = longest_stretch(&t.points, |p| p.latency_p50_ms.is_some_and(|l| l > LATENCY_HIGH_MS))
    {
        let (secs, text) = stretch_text(t, s);
        if secs >= LATENCY_HIGH_FOR_S {
            evidence
                .push(format!("interval median above {} (so p95 above it too) for {text}", f::millis(LATENCY_HIGH_MS)));
        }
    }
    if !evidence.is_empty() {
        return fired(
            Rule::HighLatency,
            Severity::Critical,
            "high latency: p95 above one second".into(),
            evidence,
            "Requests take seconds: look at the queueing, CPU and scheduler-lag findings for the cause; a latency \
             this high is usually waiting, not work.",
        );
    }
    if p95.is_none() && !tl.is_some_and(|t| t.points.iter().any(|p| p.latency_p50_ms.is_some())) {
        RuleStatus::NotEvaluated("latency was not measured".into())
    } else {
        RuleStatus::Clear
    }
}

pub(super) fn low_throughput(m: &SystemMetrics, tl: Option<&Timeline>) -> RuleStatus {
    let Some(t) = tl.filter(|t| t.points.iter().any(|p| p.offered_per_s.is_some())) else {
        // Without a per-interval offered rate, only a whole run at a low rate can be judged.
        return match (m.throughput.requests_per_second, m.generator.as_ref()) {
            (Some(r), Some(g))
                if r < THROUGHPUT_LOW_PER_S
                    && g.intended_rate >= THROUGHPUT_LOW_PER_S
                    && m.context.duration_s >= THROUGHPUT_LOW_FOR_S =>
            {
                fired(
                    Rule::LowThroughput,
                    Severity::Warning,
                    "low throughput: fewer than 10 completions per second".into(),
                    vec![format!(
                        "{}/s completed over the whole {} run, {}/s configured",
                        f::num(r),
                        f::duration_s(m.context.duration_s),
                        f::num(g.intended_rate)
                    )],
                    LOW_ADVICE,
                )
            }
            (Some(_), Some(_)) => RuleStatus::Clear,
            _ => RuleStatus::NotEvaluated("no offered rate was recorded".into()),
        };
    };
    let low = |p: &TimelinePoint| {
        p.offered_per_s.is_some_and(|o| o >= THROUGHPUT_LOW_PER_S) && p.completed_per_s < THROUGHPUT_LOW_PER_S
    };
    let Some(s) = longest_stretch(&t.points, low) else { return RuleStatus::Clear };
    let (secs, text) = stretch_text(t, s);
    if secs < THROUGHPUT_LOW_FOR_S {
        return RuleStatus::Clear;
    }
    let pts = &t.points[s.0..=s.1];
    let offered = pts.iter().filter_map(|p| p.offered_per_s).sum::<f64>() / pts.len() as f64;
    fired(
        Rule::LowThroughput,
        Severity::Warning,
        "low throughput: fewer than 10 completions per second".into(),
        vec![format!(
            "completions under {THROUGHPUT_LOW_PER_S}/s for {text}, while {}/s were offered",
            f::num(offered)
        )],
        LOW_ADVICE,
    )
}

const LOW_ADVICE: &str = "The system nearly stopped completing work while load kept coming: look for a stall \
    (lock, deadlock, exhausted pool) in that window, and at the error kinds.";
