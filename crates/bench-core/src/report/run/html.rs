//! The HTML report: one self-contained file — inline CSS, inline SVG charts, no scripts, no
//! external fonts, images or links — that opens in any browser and can be attached to a CI run.
//!
//! Every string that comes from a results file (scenario names, paths, host names, commit ids)
//! is HTML-escaped; the charts' text is escaped by plotters' SVG backend. The markup is also
//! well-formed XML (void elements self-closed), which the tests check.

use std::fmt::Write;

use plotters::chart::SeriesLabelPosition;

use super::charts::{Chart, ChartSeries, Mark, inline, line_chart};
use super::format::{self as f, NOT_MEASURED, html as esc};
use super::text::{
    by_count, commit, comparison_cells, machine, measured, rate, resource, scaling_cell, series, summary_lines,
    verdict_word,
};
use super::{ReportError, RuleStatus, RunReport, ScalingCurve, ScenarioReport};
use crate::latency::LatencySummary;
use crate::metrics::Timeline;
use crate::targets::Verdict;

pub(crate) const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:900px;\
color:#222;line-height:1.45;padding:0 1em}h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;\
margin-top:2.2em}h3{margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .7em;\
border-bottom:1px solid #eee;text-align:left;vertical-align:top}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\
.meta{color:#666}.ok{color:#1a7f37}.bad{color:#cf222e}.warn{color:#9a6700}.muted{color:#777}\
.verdict{font-weight:600}svg{max-width:100%;height:auto;display:block;margin:.6em 0}code{background:#f4f4f4;padding:0 .2em}\
li{margin:.15em 0}";

pub(super) fn render(r: &RunReport) -> Result<String, ReportError> {
    let mut o = String::with_capacity(256 * 1024);
    page_head(&mut o, "noisegate performance report");
    let _ = writeln!(o, "<h1>Performance benchmark report</h1>");
    let _ = writeln!(
        o,
        "<p class=\"meta\">Generated {} · {} scenarios · targets: {}</p>",
        esc(&r.generated_at),
        r.scenarios.len(),
        esc(&r.targets_origin)
    );
    let _ = writeln!(
        o,
        "<p class=\"verdict {}\">Overall verdict: {}</p>",
        verdict_class(r.verdict()),
        verdict_word(r.verdict())
    );
    if r.scenarios.len() > 1 || !r.scaling.is_empty() {
        let _ = writeln!(o, "<ul>");
        for (i, s) in r.scenarios.iter().enumerate() {
            let _ = writeln!(o, "<li><a href=\"#s{}\">{}</a></li>", i + 1, esc(&s.run.metrics.name));
        }
        if !r.scaling.is_empty() {
            let _ = writeln!(o, "<li><a href=\"#scaling\">Scaling</a></li>");
        }
        let _ = writeln!(o, "</ul>");
    }
    for (i, s) in r.scenarios.iter().enumerate() {
        scenario(&mut o, i + 1, s)?;
    }
    if !r.scaling.is_empty() {
        let _ = writeln!(o, "<section id=\"scaling\">\n<h2>Scaling</h2>");
        for c in &r.scaling {
            scaling(&mut o, c)?;
        }
        let _ = writeln!(o, "</section>");
    }
    let _ = writeln!(o, "</body>\n</html>");
    Ok(o)
}

/// `<!DOCTYPE html>` through `<body>`.
pub(crate) fn page_head(o: &mut String, title: &str) {
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>{}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>",
        esc(title)
    );
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "ok",
        Verdict::Warn => "warn",
        Verdict::Fail => "bad",
        Verdict::NoData => "muted",
    }
}

/// A two-column table of label → value; values are escaped here.
fn kv(o: &mut String, rows: &[(&str, String)]) {
    let _ = writeln!(o, "<table>");
    for (k, v) in rows {
        let _ = writeln!(o, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    let _ = writeln!(o, "</table>");
}

fn chart(o: &mut String, c: &Chart<'_>) -> Result<(), ReportError> {
    o.push_str(&inline(&line_chart(c)?));
    Ok(())
}

fn scenario(o: &mut String, i: usize, s: &ScenarioReport) -> Result<(), ReportError> {
    let m = &s.run.metrics;
    let _ = writeln!(o, "<section id=\"s{i}\">\n<h2>{}</h2>", esc(&m.name));
    kv(
        o,
        &[
            ("Source", s.run.source.display().to_string()),
            ("Measured", format!("{} at {}", measured(m), m.context.timestamp)),
            ("Machine", machine(m)),
            ("Commit", commit(m)),
            ("Time series", series(s)),
        ],
    );

    let _ = writeln!(o, "<h3>Summary</h3>\n<ul>");
    let (lines, missing) = summary_lines(&s.evaluation);
    for (ok, l) in &lines {
        let _ = writeln!(o, "<li class=\"{}\">{}</li>", if *ok { "ok" } else { "bad" }, esc(l));
    }
    if lines.is_empty() {
        let _ = writeln!(o, "<li class=\"muted\">No target metric was measured.</li>");
    }
    let _ = writeln!(o, "</ul>");
    if !missing.is_empty() {
        let _ = writeln!(o, "<p class=\"muted\">Not measured: {}</p>", esc(&missing.join(", ")));
    }
    let v = s.evaluation.verdict;
    let _ = writeln!(o, "<p class=\"verdict {}\">Verdict: {}</p>", verdict_class(v), verdict_word(v));

    let _ = writeln!(o, "<h3>Throughput</h3>");
    let mut rows: Vec<(&str, String)> = s.rates.iter().map(|r| (r.label, rate(r))).collect();
    if let Some(g) = &m.generator {
        rows.push((
            "Offered load",
            format!("{}/s configured, {}/s achieved send rate", f::num(g.intended_rate), f::num(g.achieved_rate)),
        ));
    }
    if let Some(line) = f::generator(m) {
        rows.push(("Generator", line));
    }
    kv(o, &rows);
    if let Some(t) = &s.run.timeline {
        throughput_chart(o, t)?;
    }

    let _ = writeln!(o, "<h3>Latency distribution</h3>");
    match m.latency.as_ref().filter(|l| l.count > 0) {
        None => {
            let _ = writeln!(o, "<p class=\"muted\">{NOT_MEASURED}</p>");
        }
        Some(l) => {
            let _ = writeln!(o, "<p>{} samples{}</p>", f::group(l.count), esc(l.label_suffix()));
            let rows = l.rows();
            let _ = write!(o, "<table><tr>");
            for (label, _) in rows {
                let _ = write!(o, "<th class=\"n\">{label}</th>");
            }
            let _ = write!(o, "<th class=\"n\">mean</th></tr>\n<tr>");
            for (_, v) in rows {
                let _ = write!(o, "<td class=\"n\">{}</td>", f::latency(v));
            }
            let _ = writeln!(o, "<td class=\"n\">{}</td></tr></table>", f::nanos(l.mean_ns));
            percentile_chart(o, l)?;
        }
    }
    for (label, l) in [("Service time", &m.service_time), ("Scheduler lag", &m.scheduler_lag)] {
        if let Some(l) = l.as_ref().filter(|l| l.count > 0) {
            let _ = writeln!(
                o,
                "<p>{label}: p50 {}, p99 {}, max {}{}</p>",
                f::latency(l.p50_ns),
                f::latency(l.p99_ns),
                f::latency(l.max_ns),
                esc(l.label_suffix())
            );
        }
    }
    if let Some(t) = &s.run.timeline {
        latency_chart(o, t)?;
    }

    let _ = writeln!(o, "<h3>Resource utilization</h3>");
    let rows: Vec<(&str, String)> = s.resources.iter().map(|r| (r.label, resource(r))).collect();
    kv(o, &rows);
    if let Some(t) = &s.run.timeline {
        resource_charts(o, t)?;
    }

    errors(o, m);
    recommendations(o, s);
    comparison(o, s);
    let _ = writeln!(o, "</section>");
    Ok(())
}

fn errors(o: &mut String, m: &crate::metrics::SystemMetrics) {
    let _ = writeln!(o, "<h3>Error analysis</h3>");
    let e = &m.errors;
    if e.total == 0 {
        let _ = writeln!(o, "<p class=\"muted\">{NOT_MEASURED} (the run counted no requests)</p>");
        return;
    }
    kv(
        o,
        &[
            ("Total requests", f::group(e.total)),
            ("Successful", format!("{} ({})", f::group(e.succeeded()), f::share(e.succeeded(), e.total))),
            ("Failed", format!("{} ({})", f::group(e.failed()), f::share(e.failed(), e.total))),
        ],
    );
    if e.failed() > 0 {
        let _ = writeln!(
            o,
            "<table><tr><th>error type</th><th class=\"n\">count</th><th class=\"n\">share of failures</th></tr>"
        );
        for (k, n) in by_count(e) {
            let _ = writeln!(
                o,
                "<tr><td>{k}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                f::group(n),
                f::share(n, e.failed())
            );
        }
        let _ = writeln!(o, "</table>");
    }
}

fn recommendations(o: &mut String, s: &ScenarioReport) {
    let _ = writeln!(o, "<h3>Recommendations</h3>");
    let findings = s.findings();
    if findings.is_empty() {
        let _ = writeln!(o, "<p>No bottleneck rule fired.</p>");
    } else {
        let _ = writeln!(o, "<ol>");
        for fd in findings {
            let class = if fd.severity == super::Severity::Critical { "bad" } else { "warn" };
            let _ = writeln!(
                o,
                "<li><span class=\"{class}\">[{}]</span> <strong>{}</strong> (<code>{}</code>)<ul>",
                fd.severity.as_str(),
                esc(&fd.summary),
                fd.rule
            );
            for e in &fd.evidence {
                let _ = writeln!(o, "<li>{}</li>", esc(e));
            }
            let _ = writeln!(o, "<li>→ {}</li></ul></li>", esc(&fd.recommendation));
        }
        let _ = writeln!(o, "</ol>");
    }
    let clear: Vec<&str> =
        s.rules.iter().filter(|(_, st)| matches!(st, RuleStatus::Clear)).map(|(r, _)| r.id()).collect();
    if !clear.is_empty() {
        let _ = writeln!(o, "<p class=\"muted\">Checked, nothing found: {}</p>", clear.join(", "));
    }
    for (r, st) in &s.rules {
        if let RuleStatus::NotEvaluated(why) = st {
            let _ = writeln!(o, "<p class=\"muted\">Not evaluated: {r} ({})</p>", esc(why));
        }
    }
}

fn comparison(o: &mut String, s: &ScenarioReport) {
    let Some(c) = &s.comparison else { return };
    let _ = writeln!(o, "<h3>Comparison with baseline <code>{}</code></h3>", esc(&c.baseline));
    if !c.found {
        let _ = writeln!(
            o,
            "<p class=\"muted\">No run saved under this baseline for this scenario (looked for {}).</p>",
            esc(&c.path.display().to_string())
        );
        return;
    }
    let _ = writeln!(
        o,
        "<table><tr><th>metric</th><th class=\"n\">current</th><th class=\"n\">baseline</th><th class=\"n\">change</th><th></th></tr>"
    );
    for r in &c.rows {
        let [cur, base, ch, a] = comparison_cells(r);
        let class = match r.assessment {
            super::Assessment::Better => "ok",
            super::Assessment::Worse => "bad",
            _ => "muted",
        };
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"{class}\">{}</td></tr>",
            r.metric.key(),
            esc(&cur),
            esc(&base),
            esc(&ch),
            a
        );
    }
    let _ = writeln!(
        o,
        "</table>\n<p class=\"muted\">One run a side, not judged for noise: <code>noisegate compare --base {}</code> gives a noise-aware verdict.</p>",
        esc(&c.baseline)
    );
}

/// Where the timeline's phase label changes: x values for marker lines.
fn phase_markers(t: &Timeline) -> Vec<f64> {
    t.points.windows(2).filter(|w| w[0].phase != w[1].phase).map(|w| w[0].t_s).collect()
}

fn throughput_chart(o: &mut String, t: &Timeline) -> Result<(), ReportError> {
    let pts = |g: &dyn Fn(&crate::metrics::TimelinePoint) -> Option<f64>| -> Vec<(f64, f64)> {
        t.points.iter().filter_map(|p| g(p).map(|v| (p.t_s, v))).collect()
    };
    let mut series =
        vec![ChartSeries { label: "completed/s".into(), points: pts(&|p| Some(p.completed_per_s)), mark: Mark::Line }];
    let offered = pts(&|p| p.offered_per_s);
    if !offered.is_empty() {
        series.push(ChartSeries { label: "offered/s (configured)".into(), points: offered, mark: Mark::Dashed });
    }
    if t.points.iter().any(|p| p.errors > 0) {
        series.push(ChartSeries {
            label: "errors/s".into(),
            points: pts(&|p| Some(p.errors as f64 / t.interval_s)),
            mark: Mark::Line,
        });
    }
    let mut c = Chart::new("Throughput over time", "time (s)", "per second", series);
    c.y_from_zero = true;
    // Completions sit near the top and errors near zero: the middle is usually free.
    c.legend = SeriesLabelPosition::MiddleLeft;
    c.markers = phase_markers(t);
    chart(o, &c)
}

fn ms_label(v: f64) -> String {
    f::millis(v)
}

fn latency_chart(o: &mut String, t: &Timeline) -> Result<(), ReportError> {
    let get = |g: fn(&crate::metrics::TimelinePoint) -> Option<f64>| -> Vec<(f64, f64)> {
        t.points.iter().filter_map(|p| g(p).map(|v| (p.t_s, v))).collect()
    };
    let series: Vec<ChartSeries> =
        [("p50", get(|p| p.latency_p50_ms)), ("p99", get(|p| p.latency_p99_ms)), ("max", get(|p| p.latency_max_ms))]
            .into_iter()
            .filter(|(_, pts)| !pts.is_empty())
            .map(|(l, points)| ChartSeries { label: l.into(), points, mark: Mark::Line })
            .collect();
    if series.is_empty() {
        return Ok(());
    }
    let (lo, hi) = series
        .iter()
        .flat_map(|s| &s.points)
        .filter(|p| p.1 > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let mut c = Chart::new("Latency over time (per interval)", "time (s)", "latency", series);
    c.log_y = lo.is_finite() && hi / lo >= 50.0;
    c.y_from_zero = !c.log_y;
    c.y_label = Some(ms_label);
    c.markers = phase_markers(t);
    chart(o, &c)
}

fn resource_charts(o: &mut String, t: &Timeline) -> Result<(), ReportError> {
    let cpu: Vec<(f64, f64)> = t.points.iter().filter_map(|p| p.cpu_percent.map(|v| (p.t_s, v))).collect();
    if !cpu.is_empty() {
        let mut c = Chart::new(
            "CPU over time",
            "time (s)",
            "% of the machine",
            vec![ChartSeries { label: "CPU".into(), points: cpu, mark: Mark::Line }],
        );
        c.y_from_zero = true;
        c.markers = phase_markers(t);
        chart(o, &c)?;
    }
    let rss: Vec<(f64, f64)> = t.points.iter().filter_map(|p| p.rss_mb.map(|v| (p.t_s, v))).collect();
    if !rss.is_empty() {
        let mut c = Chart::new(
            "Resident memory over time",
            "time (s)",
            "MiB",
            vec![ChartSeries { label: "RSS".into(), points: rss, mark: Mark::Line }],
        );
        c.y_from_zero = true;
        c.markers = phase_markers(t);
        chart(o, &c)?;
    }
    Ok(())
}

/// x = −log10(1 − q): the "nines" axis of a percentile distribution (90 % at 1, 99 % at 2).
fn nines(q: f64) -> f64 {
    -(1.0 - q).log10()
}

fn nines_label(x: f64) -> String {
    let p = 100.0 * (1.0 - 10f64.powf(-x));
    let s = format!("{p:.4}");
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

fn percentile_chart(o: &mut String, l: &LatencySummary) -> Result<(), ReportError> {
    let qs = [0.0, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];
    let mut points: Vec<(f64, f64)> =
        l.rows()[..7].iter().zip(qs).map(|((_, v), q)| (nines(q), v.as_millis_f64())).collect();
    // The max sits where one sample in `count` is: at least one step right of p99.9.
    points.push(((l.count.max(1) as f64).log10().clamp(3.5, 7.0), l.max_ns.as_millis_f64()));
    let mut c = Chart::new(
        "Latency percentile distribution",
        "percentile",
        "latency",
        vec![ChartSeries { label: format!("latency{}", l.label_suffix()), points, mark: Mark::LineDots }],
    );
    c.log_y = true;
    c.x_label = Some(nines_label);
    c.y_label = Some(ms_label);
    chart(o, &c)
}

fn scaling(o: &mut String, c: &ScalingCurve) -> Result<(), ReportError> {
    let _ = writeln!(o, "<h3>{}</h3>", esc(&c.family));
    let (lo, hi) = c.points.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), p| (lo.min(p.x), hi.max(p.x)));
    let log_x = lo > 0.0 && hi / lo >= 100.0;
    for (i, col) in c.columns.iter().enumerate() {
        let points: Vec<(f64, f64)> = c.points.iter().filter_map(|p| p.values[i].map(|v| (p.x, v))).collect();
        let title = format!("{} against {}", col.key, c.x_label);
        let y_desc = if col.unit == "ms" { "time" } else { col.unit.as_str() };
        let mut ch = Chart::new(
            &title,
            &c.x_label,
            y_desc,
            vec![ChartSeries { label: String::new(), points, mark: Mark::LineDots }],
        );
        ch.log_x = log_x;
        ch.y_from_zero = true;
        if col.unit == "ms" {
            ch.y_label = Some(ms_label);
        }
        chart(o, &ch)?;
    }
    let _ = write!(o, "<table><tr><th class=\"n\">{}</th>", esc(&c.x_label));
    for col in &c.columns {
        let _ = write!(o, "<th class=\"n\">{} ({})</th>", esc(&col.key), esc(&col.unit));
    }
    let _ = writeln!(o, "<th>scenario</th></tr>");
    for p in &c.points {
        let _ = write!(o, "<tr><td class=\"n\">{}</td>", f::plain(p.x));
        for (v, col) in p.values.iter().zip(&c.columns) {
            let _ = write!(o, "<td class=\"n\">{}</td>", esc(&scaling_cell(*v, &col.unit)));
        }
        let _ = writeln!(o, "<td>{}</td></tr>", esc(&p.scenario));
    }
    let _ = writeln!(o, "</table>");
    Ok(())
}
