//! The trend report in text (sparklines), Markdown, versioned JSON and HTML (plotters SVG).
//!
//! JSON schema (`"format": "noisegate-trend"`, `schema_version` 1; `null` = unknown):
//!
//! ```text
//! {"format", "schema_version", "history": path, "runs": records read,
//!  "skipped_lines": [{"line", "reason"}],
//!  "detector": {"method": "e-divisive-means", "min_segment", "min_shift", "alpha",
//!               "permutations", "seed"},
//!  "failed": bool,                                      the exit-1 condition
//!  "series": [{"scenario", "metric", "unit", "direction",
//!              "points": [{"line", "run_at", "git_commit", "value"}],
//!              "steps": [{"index", "line", "run_at", "git_commit", "before", "after", "shift",
//!                         "p_value", "assessment": "better" | "worse", "machine_change": [..],
//!                         "latest": bool, "fails": bool}]}]}
//! ```

use std::fmt::Write;

use serde::Serialize;

use super::trend::{Step, TrendReport, TrendSeries};
use crate::report::run::format::{self as f, html as esc, md};
use crate::report::run::{ChartSeries, line_chart};
use crate::report::run::{ReportError, ReportFormat};

/// The `format` field of the JSON trend report.
pub const TREND_FORMAT: &str = "noisegate-trend";

/// Renders a trend report in `format` (only HTML can fail: a chart that cannot be drawn).
pub fn render(t: &TrendReport, format: ReportFormat) -> Result<String, ReportError> {
    Ok(match format {
        ReportFormat::Text => text(t),
        ReportFormat::Markdown => markdown(t),
        ReportFormat::Json => json(t),
        ReportFormat::Html => html(t)?,
    })
}

fn settings(t: &TrendReport) -> String {
    let d = &t.detector;
    format!(
        "change points: E-Divisive means (α = {}, {} permutations, seed {}), at least {} runs a side, median shift ≥ {}",
        d.alpha,
        d.permutations,
        d.seed,
        d.min_segment,
        f::plain(100.0 * d.min_shift) + "%"
    )
}

fn describe(s: &TrendSeries) -> String {
    let dir = match s.metric.direction() {
        crate::metrics::Direction::Higher => "higher is better",
        crate::metrics::Direction::Lower => "lower is better",
    };
    format!("{} ({}, {dir})", s.metric, s.metric.unit())
}

fn value(s: &TrendSeries, v: f64) -> String {
    f::with_unit(v, s.metric.unit())
}

fn short(c: &Option<String>) -> String {
    c.as_deref().map_or_else(|| "unknown commit".to_owned(), |c| c.get(..12).unwrap_or(c).to_owned())
}

fn step_line(s: &TrendSeries, st: &Step) -> String {
    let p = &s.points[st.index];
    let mut line = format!(
        "step at run {} of {} ({}, {}; history line {}): {} → {} ({}), {}, p = {:.3}",
        st.index + 1,
        s.points.len(),
        p.run_at,
        short(&p.git_commit),
        p.line,
        value(s, st.before),
        value(s, st.after),
        f::percent(st.shift),
        if st.worse { "worse" } else { "better" },
        st.p_value
    );
    if !st.machine_change.is_empty() {
        let _ = write!(line, "; the machine changed here ({})", st.machine_change.join("; "));
    }
    line
}

fn outcome(t: &TrendReport) -> String {
    let failing = t.failing();
    if failing.is_empty() {
        return "ok: no series' latest step is for the worse".to_owned();
    }
    let list: Vec<String> = failing
        .iter()
        .map(|s| {
            let st = s.failing_step().expect("failing series have a failing step");
            format!("{} {} ({} at run {})", s.scenario, s.metric, f::percent(st.shift), st.index + 1)
        })
        .collect();
    format!("FAIL: the latest step is for the worse: {}", list.join(", "))
}

fn text(t: &TrendReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "noisegate trend — {} runs in {}", t.runs, t.path.display());
    let _ = writeln!(o, "{}", settings(t));
    if !t.warnings.is_empty() {
        let _ = writeln!(o, "{} unreadable history lines skipped (listed on stderr)", t.warnings.len());
    }
    let mut last = "";
    for s in &t.series {
        if s.scenario != last {
            let _ = writeln!(o, "\n{}", s.scenario);
            last = &s.scenario;
        }
        let latest = s.points.last().map_or(f::NOT_MEASURED.to_owned(), |p| value(s, p.value));
        let _ = writeln!(o, "  {} — {} runs, latest {latest}", describe(s), s.points.len());
        let vals: Vec<Option<f64>> = s.points.iter().map(|p| Some(p.value)).collect();
        let _ = writeln!(o, "    {}", f::sparkline(&vals, 60));
        if s.steps.is_empty() {
            let _ = writeln!(o, "    no step change");
        }
        for st in &s.steps {
            let _ = writeln!(o, "    {}", step_line(s, st));
        }
    }
    if t.series.is_empty() {
        let _ = writeln!(o, "\nNo run in the history matches.");
    }
    let _ = writeln!(o, "\n{}", outcome(t));
    o
}

fn markdown(t: &TrendReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Performance trends\n");
    let _ = writeln!(o, "{} runs in {}. {}.\n", t.runs, md(&t.path.display().to_string()), settings(t));
    let mut last = "";
    for s in &t.series {
        if s.scenario != last {
            let _ = writeln!(
                o,
                "\n## {}\n\n| metric | runs | latest | trend | steps |\n|---|---:|---:|---|---|",
                md(&s.scenario)
            );
            last = &s.scenario;
        }
        let vals: Vec<Option<f64>> = s.points.iter().map(|p| Some(p.value)).collect();
        let steps = if s.steps.is_empty() {
            "none".to_owned()
        } else {
            s.steps.iter().map(|st| md(&step_line(s, st))).collect::<Vec<_>>().join("<br>")
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            md(&describe(s)),
            s.points.len(),
            s.points.last().map_or(f::NOT_MEASURED.to_owned(), |p| value(s, p.value)),
            f::sparkline(&vals, 40),
            steps
        );
    }
    let _ = writeln!(o, "\n**{}**", md(&outcome(t)));
    o
}

#[derive(Serialize)]
struct TrendJson<'a> {
    format: &'static str,
    schema_version: u32,
    history: String,
    runs: usize,
    skipped_lines: Vec<SkippedJson<'a>>,
    detector: DetectorJson,
    failed: bool,
    series: Vec<SeriesJson<'a>>,
}

#[derive(Serialize)]
struct SkippedJson<'a> {
    line: usize,
    reason: &'a str,
}

#[derive(Serialize)]
struct DetectorJson {
    method: &'static str,
    min_segment: usize,
    min_shift: f64,
    alpha: f64,
    permutations: usize,
    seed: u64,
}

#[derive(Serialize)]
struct SeriesJson<'a> {
    scenario: &'a str,
    metric: &'static str,
    unit: &'static str,
    direction: &'static str,
    points: Vec<PointJson<'a>>,
    steps: Vec<StepJson<'a>>,
}

#[derive(Serialize)]
struct PointJson<'a> {
    line: usize,
    run_at: &'a str,
    git_commit: Option<&'a str>,
    value: f64,
}

#[derive(Serialize)]
struct StepJson<'a> {
    index: usize,
    line: usize,
    run_at: &'a str,
    git_commit: Option<&'a str>,
    before: f64,
    after: f64,
    shift: f64,
    p_value: f64,
    assessment: &'static str,
    machine_change: &'a [String],
    latest: bool,
    fails: bool,
}

fn json(t: &TrendReport) -> String {
    let d = &t.detector;
    let j = TrendJson {
        format: TREND_FORMAT,
        schema_version: 1,
        history: t.path.display().to_string(),
        runs: t.runs,
        skipped_lines: t.warnings.iter().map(|w| SkippedJson { line: w.line, reason: &w.reason }).collect(),
        detector: DetectorJson {
            method: "e-divisive-means",
            min_segment: d.min_segment,
            min_shift: d.min_shift,
            alpha: d.alpha,
            permutations: d.permutations,
            seed: d.seed,
        },
        failed: !t.failing().is_empty(),
        series: t
            .series
            .iter()
            .map(|s| SeriesJson {
                scenario: &s.scenario,
                metric: s.metric.key(),
                unit: s.metric.unit(),
                direction: s.metric.direction().as_str(),
                points: s
                    .points
                    .iter()
                    .map(|p| PointJson {
                        line: p.line,
                        run_at: &p.run_at,
                        git_commit: p.git_commit.as_deref(),
                        value: p.value,
                    })
                    .collect(),
                steps: s
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, st)| {
                        let p = &s.points[st.index];
                        let latest = i + 1 == s.steps.len();
                        StepJson {
                            index: st.index,
                            line: p.line,
                            run_at: &p.run_at,
                            git_commit: p.git_commit.as_deref(),
                            before: st.before,
                            after: st.after,
                            shift: st.shift,
                            p_value: st.p_value,
                            assessment: if st.worse { "worse" } else { "better" },
                            machine_change: &st.machine_change,
                            latest,
                            fails: latest && st.worse && st.machine_change.is_empty(),
                        }
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&j).expect("the trend report serialises");
    s.push('\n');
    s
}

fn html(t: &TrendReport) -> Result<String, ReportError> {
    let mut o = String::new();
    crate::report::run::page_head(&mut o, "noisegate performance trends");
    let _ = writeln!(o, "<h1>Performance trends</h1>");
    let _ = writeln!(
        o,
        "<p class=\"meta\">{} runs in {} · {}</p>",
        t.runs,
        esc(&t.path.display().to_string()),
        esc(&settings(t))
    );
    let fail = !t.failing().is_empty();
    let _ = writeln!(o, "<p class=\"verdict {}\">{}</p>", if fail { "bad" } else { "ok" }, esc(&outcome(t)));
    let mut last = "";
    for s in &t.series {
        if s.scenario != last {
            if !last.is_empty() {
                let _ = writeln!(o, "</section>");
            }
            let _ = writeln!(o, "<section>\n<h2>{}</h2>", esc(&s.scenario));
            last = &s.scenario;
        }
        let _ = writeln!(o, "<h3>{}</h3>", esc(&describe(s)));
        let pts: Vec<(f64, f64)> = s.points.iter().enumerate().map(|(i, p)| ((i + 1) as f64, p.value)).collect();
        let mut series = vec![ChartSeries {
            label: s.metric.key().to_owned(),
            points: pts,
            mark: if s.points.len() <= 120 {
                crate::report::run::Mark::LineDots
            } else {
                crate::report::run::Mark::Line
            },
        }];
        if !s.steps.is_empty() {
            series.push(ChartSeries {
                label: "segment median".into(),
                points: segment_medians(s),
                mark: crate::report::run::Mark::Dashed,
            });
        }
        let title = format!("{} over runs", s.metric.key());
        let mut c = crate::report::run::Chart::new(&title, "run (append order)", s.metric.unit(), series);
        c.markers = s.steps.iter().map(|st| st.index as f64 + 0.5).collect();
        o.push_str(&crate::report::run::inline(&line_chart(&c)?));
        if s.steps.is_empty() {
            let _ = writeln!(o, "<p class=\"muted\">No step change.</p>");
        } else {
            let _ = writeln!(o, "<ul>");
            for st in &s.steps {
                let class = if st.worse { "bad" } else { "ok" };
                let _ = writeln!(o, "<li class=\"{class}\">{}</li>", esc(&step_line(s, st)));
            }
            let _ = writeln!(o, "</ul>");
        }
    }
    if !last.is_empty() {
        let _ = writeln!(o, "</section>");
    }
    let _ = writeln!(o, "</body>\n</html>");
    Ok(o)
}

/// The step function of segment medians: two points per segment, at its first and last run.
fn segment_medians(s: &TrendSeries) -> Vec<(f64, f64)> {
    let mut bounds: Vec<usize> = vec![0];
    bounds.extend(s.steps.iter().map(|st| st.index));
    bounds.push(s.points.len());
    let mut out = Vec::new();
    for w in bounds.windows(2) {
        let mut v: Vec<f64> = s.points[w[0]..w[1]].iter().map(|p| p.value).collect();
        v.sort_by(f64::total_cmp);
        let Some(med) = (!v.is_empty()).then(|| {
            let n = v.len();
            if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
        }) else {
            continue;
        };
        out.push((w[0] as f64 + 0.5, med));
        out.push((w[1] as f64 + 0.5, med));
    }
    out
}
