//! The plain-text report, laid out as the MEZAN guide's "Performance Report Structure": a
//! banner, then per scenario SUMMARY (✓/✗ against targets), DETAILED RESULTS (throughput,
//! latency distribution, resource utilisation, error analysis), RECOMMENDATIONS and COMPARISON
//! WITH BASELINE, and finally the scaling curves across scenarios.

use std::fmt::Write;

use super::format::{self as f, NOT_MEASURED};
use super::{Comparison, Rate, ResourceRow, RuleStatus, RunReport, ScalingCurve, ScenarioReport};
use crate::latency::LatencySummary;
use crate::metrics::{ClockKind, SystemMetrics};
use crate::targets::{Evaluation, Verdict};

const RULE: &str = "================================================================================";
const THIN: &str = "--------------------------------------------------------------------------------";

pub(super) fn render(r: &RunReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{RULE}\nNOISEGATE PERFORMANCE BENCHMARK REPORT\n{RULE}");
    let _ = writeln!(o, "Generated: {}", r.generated_at);
    let _ = writeln!(o, "Scenarios: {}", r.scenarios.len());
    let _ = writeln!(o, "Targets:   {}", r.targets_origin);
    for s in &r.scenarios {
        scenario(&mut o, s);
    }
    if !r.scaling.is_empty() {
        let _ = writeln!(o, "\n{THIN}\nSCALING\n{THIN}");
        for c in &r.scaling {
            scaling(&mut o, c);
        }
    }
    let _ = writeln!(o, "\n{RULE}");
    let _ = writeln!(o, "Overall verdict: {}", verdict_word(r.verdict()));
    o
}

pub(super) fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass (every measured target met or acceptable)",
        Verdict::Warn => "warn (a target missed, none critical)",
        Verdict::Fail => "fail (a metric graded critical)",
        Verdict::NoData => "no data (nothing the targets name was measured)",
    }
}

pub(super) fn clock(m: &SystemMetrics) -> &'static str {
    match m.context.clock {
        ClockKind::WallClock => "wall-clock",
        ClockKind::Simulated => "simulated time",
    }
}

/// `abc1234 (dirty)`, `abc1234`, or `not a git checkout`.
pub(super) fn commit(m: &SystemMetrics) -> String {
    match (&m.context.git_commit, m.context.git_dirty) {
        (Some(c), Some(true)) => format!("{} (uncommitted changes)", short(c)),
        (Some(c), _) => short(c).to_owned(),
        (None, _) => "unknown (not a git checkout)".to_owned(),
    }
}

fn short(c: &str) -> &str {
    c.get(..12).unwrap_or(c)
}

/// `1 h 00 min wall-clock (warm-up 30.00 s excluded)`.
pub(super) fn measured(m: &SystemMetrics) -> String {
    let c = &m.context;
    let warm =
        if c.warmup_s > 0.0 { format!(" (warm-up {} excluded)", f::duration_s(c.warmup_s)) } else { String::new() };
    format!("{} {}{warm}", f::duration_s(c.duration_s), clock(m))
}

/// `AMD EPYC, 2 logical CPUs, Debian GNU/Linux 12, x86_64, rustc 1.95.0`.
pub(super) fn machine(m: &SystemMetrics) -> String {
    let h = &m.context.host;
    format!("{}, {} logical CPUs, {}, {}, {}", h.cpu_model, h.logical_cpus, h.os, h.arch, m.context.rustc)
}

/// The time-series line: `3600 intervals of 1.000 s (timeline.json)`.
pub(super) fn series(s: &ScenarioReport) -> String {
    match &s.run.timeline {
        Some(t) => format!(
            "{} intervals of {} ({})",
            t.points.len(),
            f::duration_s(t.interval_s),
            crate::metrics::TIMELINE_FILE
        ),
        None => format!("not recorded (no {} beside metrics.json)", crate::metrics::TIMELINE_FILE),
    }
}

/// Summary lines: measured grades, then one line naming what was not measured.
pub(super) fn summary_lines(e: &Evaluation) -> (Vec<(bool, String)>, Vec<String>) {
    let mut lines = Vec::new();
    let mut missing = Vec::new();
    for g in &e.graded {
        match g.value {
            Some(v) => {
                let unit = g.bound.metric.unit();
                lines.push((
                    g.grade.symbol() == "✓",
                    format!(
                        "{} {}: {} (Target: {}, {}) — {}",
                        g.grade.symbol(),
                        g.bound.metric,
                        f::with_unit(v, unit),
                        g.bound.target_text(),
                        g.set,
                        g.grade.as_str()
                    ),
                ));
            }
            None => missing.push(format!("{} ({})", g.bound.metric, g.set)),
        }
    }
    (lines, missing)
}

fn scenario(o: &mut String, s: &ScenarioReport) {
    let m = &s.run.metrics;
    let _ = writeln!(o, "\n{THIN}\nSCENARIO {}\n{THIN}", m.name);
    let _ = writeln!(o, "Source:      {}", s.run.source.display());
    let _ = writeln!(o, "Measured:    {} at {}", measured(m), m.context.timestamp);
    let _ = writeln!(o, "Machine:     {}", machine(m));
    let _ = writeln!(o, "Commit:      {}", commit(m));
    let _ = writeln!(o, "Time series: {}", series(s));

    let _ = writeln!(o, "\nSUMMARY\n-------");
    let (lines, missing) = summary_lines(&s.evaluation);
    for (_, l) in &lines {
        let _ = writeln!(o, "{l}");
    }
    if lines.is_empty() {
        let _ = writeln!(o, "No target metric was measured.");
    }
    if !missing.is_empty() {
        let _ = writeln!(o, "Not measured: {}", missing.join(", "));
    }
    let _ = writeln!(o, "Verdict: {}", verdict_word(s.evaluation.verdict));

    let _ = writeln!(o, "\nDETAILED RESULTS\n----------------");
    let _ = writeln!(o, "\n1. THROUGHPUT METRICS");
    for r in &s.rates {
        let _ = writeln!(o, "   {:<15}{}", format!("{}:", r.label), rate(r));
    }
    if let Some(g) = &m.generator {
        let _ = writeln!(
            o,
            "   {:<15}{}/s configured, {}/s achieved send rate",
            "Offered load:",
            f::num(g.intended_rate),
            f::num(g.achieved_rate)
        );
    }
    if let Some(line) = f::generator(m) {
        let _ = writeln!(o, "   {:<15}{line}", "Generator:");
    }

    let _ = writeln!(o, "\n2. LATENCY DISTRIBUTION");
    match m.latency.as_ref().filter(|l| l.count > 0) {
        None => {
            let _ = writeln!(o, "   {NOT_MEASURED}");
        }
        Some(l) => latency(o, l, m.generator.is_some()),
    }
    for (label, l) in [("Service time", &m.service_time), ("Scheduler lag", &m.scheduler_lag)] {
        if let Some(l) = l.as_ref().filter(|l| l.count > 0) {
            let _ = writeln!(
                o,
                "   {:<15}p50 {}, p99 {}, max {}{}",
                format!("{label}:"),
                f::latency(l.p50_ns),
                f::latency(l.p99_ns),
                f::latency(l.max_ns),
                l.label_suffix()
            );
        }
    }

    let _ = writeln!(o, "\n3. RESOURCE UTILIZATION");
    for r in &s.resources {
        let _ = writeln!(o, "   {:<15}{}", format!("{}:", r.label), resource(r));
    }

    let _ = writeln!(o, "\n4. ERROR ANALYSIS");
    errors(o, m);

    let _ = writeln!(o, "\nRECOMMENDATIONS\n---------------");
    recommendations(o, s);

    if let Some(c) = &s.comparison {
        comparison(o, c);
    }
}

pub(super) fn rate(r: &Rate) -> String {
    let avg = r.avg.map_or_else(|| NOT_MEASURED.to_owned(), |v| format!("{} {} (avg)", f::num(v), r.unit));
    let peak = match (r.peak, &r.peak_source) {
        (Some(p), Some(src)) => format!("{} {} (peak: {src})", f::num(p), r.unit),
        (Some(p), None) => format!("{} {} (peak)", f::num(p), r.unit),
        (None, _) => "peak not measured".to_owned(),
    };
    if r.avg.is_none() && r.peak.is_none() { NOT_MEASURED.to_owned() } else { format!("{avg}, {peak}") }
}

pub(super) fn resource(r: &ResourceRow) -> String {
    let v = |x: f64| f::with_unit(x, r.unit);
    match (r.avg, r.peak) {
        (None, None) => NOT_MEASURED.to_owned(),
        (Some(a), Some(p)) => format!("{} (avg), {} (peak)", v(a), v(p)),
        (Some(a), None) if matches!(r.label, "CPU" | "Memory" | "Threads") => {
            format!("{} (avg), peak not measured", v(a))
        }
        (Some(a), None) => format!("{} (avg)", v(a)),
        (None, Some(p)) => format!("average not measured, {} (peak)", v(p)),
    }
}

fn latency(o: &mut String, l: &LatencySummary, open_loop: bool) {
    let what = if open_loop { "from intended start to completion" } else { "per request" };
    let _ = writeln!(o, "   ({what}, {} samples{})", f::group(l.count), l.label_suffix());
    for (label, v) in l.rows() {
        let label = if label == "min" || label == "max" {
            let mut c = label.chars();
            c.next().map(|x| x.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        } else {
            label.to_uppercase()
        };
        let _ = writeln!(o, "   {:<9}{}", format!("{label}:"), f::latency(v));
    }
    let _ = writeln!(o, "   {:<9}{}", "Mean:", f::nanos(l.mean_ns));
    if l.clamped > 0 {
        let _ = writeln!(o, "   ({} samples above the one-hour ceiling were recorded at it)", f::group(l.clamped));
    }
}

fn errors(o: &mut String, m: &SystemMetrics) {
    let e = &m.errors;
    if e.total == 0 {
        let _ = writeln!(o, "   {NOT_MEASURED} (the run counted no requests)");
        return;
    }
    let _ = writeln!(o, "   {:<19}{}", "Total requests:", f::group(e.total));
    let _ = writeln!(o, "   {:<19}{} ({})", "Successful:", f::group(e.succeeded()), f::share(e.succeeded(), e.total));
    let _ = writeln!(o, "   {:<19}{} ({})", "Failed:", f::group(e.failed()), f::share(e.failed(), e.total));
    if e.failed() > 0 {
        let _ = writeln!(o, "   Error types (share of failures):");
        for (k, n) in by_count(e) {
            let _ = writeln!(o, "   - {:<16}{} ({})", format!("{k}:"), f::group(n), f::share(n, e.failed()));
        }
    }
}

/// Error kinds by count, largest first (ties in kind order).
pub(super) fn by_count(e: &crate::metrics::ErrorStats) -> Vec<(crate::metrics::ErrorKind, u64)> {
    let mut v: Vec<_> = e.by_kind.iter().map(|(k, n)| (*k, *n)).filter(|(_, n)| *n > 0).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn recommendations(o: &mut String, s: &ScenarioReport) {
    let findings = s.findings();
    if findings.is_empty() {
        let _ = writeln!(o, "No bottleneck rule fired.");
    }
    for (i, fd) in findings.iter().enumerate() {
        let _ = writeln!(o, "{}. [{}] {} ({})", i + 1, fd.severity.as_str(), fd.summary, fd.rule);
        for e in &fd.evidence {
            let _ = writeln!(o, "   - {e}");
        }
        let _ = writeln!(o, "   → {}", fd.recommendation);
    }
    let clear: Vec<&str> =
        s.rules.iter().filter(|(_, st)| matches!(st, RuleStatus::Clear)).map(|(r, _)| r.id()).collect();
    if !clear.is_empty() {
        let _ = writeln!(o, "Checked, nothing found: {}", clear.join(", "));
    }
    for (r, st) in &s.rules {
        if let RuleStatus::NotEvaluated(why) = st {
            let _ = writeln!(o, "Not evaluated: {r} ({why})");
        }
    }
}

/// The comparison cells of a row: current, baseline, change, assessment.
pub(super) fn comparison_cells(row: &super::ComparisonRow) -> [String; 4] {
    let unit = row.metric.unit();
    [
        f::opt_unit(row.current, unit),
        f::opt_unit(row.baseline, unit),
        row.change.map_or_else(|| "–".to_owned(), f::percent),
        row.assessment.as_str().to_owned(),
    ]
}

fn comparison(o: &mut String, c: &Comparison) {
    let title = format!("COMPARISON WITH BASELINE `{}`", c.baseline);
    let _ = writeln!(o, "\n{title}\n{}", "-".repeat(title.chars().count()));
    if !c.found {
        let _ = writeln!(o, "No run saved under `{}` for this scenario (looked for {}).", c.baseline, c.path.display());
        return;
    }
    let header = ["Metric", "Current", "Baseline", "Change", ""];
    let rows: Vec<[String; 5]> = c
        .rows
        .iter()
        .map(|r| {
            let [cur, base, ch, a] = comparison_cells(r);
            [r.metric.key().to_owned(), cur, base, ch, a]
        })
        .collect();
    let mut w = header.map(|h| h.chars().count());
    for r in &rows {
        for (i, cell) in r.iter().enumerate() {
            w[i] = w[i].max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = " ".repeat(w[i].saturating_sub(c.chars().count()));
            if i == 0 || i == 4 {
                l.push_str(c);
                l.push_str(&pad);
            } else {
                l.push_str(&pad);
                l.push_str(c);
            }
            l.push_str("  ");
        }
        l.trim_end().to_owned()
    };
    let _ = writeln!(o, "{}", line(header));
    for r in &rows {
        let _ = writeln!(o, "{}", line([&r[0], &r[1], &r[2], &r[3], &r[4]]));
    }
    let _ = writeln!(
        o,
        "(one run a side, not judged for noise: `noisegate compare --base {}` gives a noise-aware verdict)",
        c.baseline
    );
}

/// A scaling-curve cell: times at their natural prefix, other values with their unit.
pub(super) fn scaling_cell(v: Option<f64>, unit: &str) -> String {
    match v {
        None => NOT_MEASURED.to_owned(),
        Some(v) if unit == "ms" => f::millis(v),
        Some(v) => f::with_unit(v, unit),
    }
}

fn scaling(o: &mut String, c: &ScalingCurve) {
    let _ = writeln!(o, "{} — x: {}", c.family, c.x_label);
    let mut rows: Vec<Vec<String>> = vec![
        std::iter::once("x".to_owned())
            .chain(c.columns.iter().map(|col| col.key.clone()))
            .chain(std::iter::once("scenario".to_owned()))
            .collect(),
    ];
    for p in &c.points {
        rows.push(
            std::iter::once(f::plain(p.x))
                .chain(p.values.iter().zip(&c.columns).map(|(v, col)| scaling_cell(*v, &col.unit)))
                .chain(std::iter::once(p.scenario.clone()))
                .collect(),
        );
    }
    let cols = c.columns.len() + 2;
    let widths: Vec<usize> = (0..cols).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    for r in &rows {
        let mut line = String::from("  ");
        for (i, cell) in r.iter().enumerate() {
            let pad = " ".repeat(widths[i] - cell.chars().count());
            if i + 1 == cols {
                line.push_str(cell);
            } else {
                line.push_str(&pad);
                line.push_str(cell);
                line.push_str("  ");
            }
        }
        let _ = writeln!(o, "{}", line.trim_end());
    }
}
