//! The run report as versioned JSON, for tools.
//!
//! Schema (version [`REPORT_SCHEMA`]; a reader must check `format` and `schema_version`; fields
//! may be added within a version, never removed or retyped). `null` always means "not
//! measured", never zero.
//!
//! ```text
//! {
//!   "format": "noisegate-run-report", "schema_version": 1,
//!   "generated_at": RFC 3339, "targets": "built-in defaults" | config path,
//!   "verdict": "pass" | "warn" | "fail" | "no_data",            worst over the scenarios
//!   "scenarios": [{
//!     "name", "source" (metrics.json path), "baseline" (its directory name),
//!     "context": RunContext as in metrics.json (duration_s, warmup_s, clock, host, rustc,
//!                crate_name, crate_version, git_commit, git_dirty, timestamp),
//!     "timeline": {"points": n, "interval_s": s} | null,
//!     "summary": {"verdict", "graded": [{"set", "metric", "unit", "direction", "value",
//!                 "target", "acceptable", "critical", "grade"}]},
//!                grade: "met" | "acceptable" | "missed" | "critical" | "not_measured"
//!     "throughput": [{"label", "unit", "avg", "peak", "peak_source"}],
//!     "offered": {"configured_per_s", "achieved_send_per_s"} | null,
//!     "latency" | "service_time" | "scheduler_lag": LatencySummary as in metrics.json
//!                (count, min_ns, mean_ns, p50_ns, p75_ns, p90_ns, p95_ns, p99_ns, p999_ns,
//!                max_ns, corrected, clamped) | null,
//!     "resources": [{"label", "unit", "avg", "peak"}],
//!     "errors": {"total", "succeeded", "failed", "error_rate_percent",
//!                "by_kind": [{"kind", "count", "share_of_failures"}]},   largest first
//!     "rules": [{"rule", "threshold", "status": "fired" | "clear" | "not_evaluated",
//!                "reason": why not evaluated | null}],
//!     "findings": [{"rule", "severity": "warning" | "critical", "summary", "evidence": [..],
//!                   "recommendation"}],                                     critical first
//!     "comparison": {"baseline", "path", "found", "rows": [{"metric", "unit", "direction",
//!                    "current", "baseline", "change" (fraction), "assessment":
//!                    "better" | "worse" | "same" | "not_comparable"}]} | null
//!   }],
//!   "scaling": [{"family", "x_label", "columns": [{"key", "unit"}],
//!                "points": [{"x", "scenario", "values": [one per column, null = not measured]}]}]
//! }
//! ```

use serde::Serialize;

use super::{Finding, RuleStatus, RunReport, ScenarioReport};
use crate::latency::LatencySummary;
use crate::metrics::RunContext;
use crate::targets::{Grade, Verdict};

/// The `format` field of the JSON report.
pub const REPORT_FORMAT: &str = "noisegate-run-report";
/// Version of the JSON report's layout.
pub const REPORT_SCHEMA: u32 = 1;

#[derive(Serialize)]
struct ReportJson<'a> {
    format: &'static str,
    schema_version: u32,
    generated_at: &'a str,
    targets: &'a str,
    verdict: Verdict,
    scenarios: Vec<ScenarioJson<'a>>,
    scaling: Vec<CurveJson<'a>>,
}

#[derive(Serialize)]
struct ScenarioJson<'a> {
    name: &'a str,
    source: String,
    baseline: &'a str,
    context: &'a RunContext,
    timeline: Option<TimelineJson>,
    summary: SummaryJson<'a>,
    throughput: Vec<RateJson<'a>>,
    offered: Option<OfferedJson>,
    latency: Option<&'a LatencySummary>,
    service_time: Option<&'a LatencySummary>,
    scheduler_lag: Option<&'a LatencySummary>,
    resources: Vec<ResourceJson>,
    errors: ErrorsJson,
    rules: Vec<RuleJson<'a>>,
    findings: Vec<&'a Finding>,
    comparison: Option<ComparisonJson<'a>>,
}

#[derive(Serialize)]
struct TimelineJson {
    points: usize,
    interval_s: f64,
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    verdict: Verdict,
    graded: Vec<GradedJson<'a>>,
}

#[derive(Serialize)]
struct GradedJson<'a> {
    set: &'a str,
    metric: &'static str,
    unit: &'static str,
    direction: &'static str,
    value: Option<f64>,
    target: f64,
    acceptable: Option<f64>,
    critical: Option<f64>,
    grade: &'static str,
}

#[derive(Serialize)]
struct RateJson<'a> {
    label: String,
    unit: &'static str,
    avg: Option<f64>,
    peak: Option<f64>,
    peak_source: Option<&'a str>,
}

#[derive(Serialize)]
struct OfferedJson {
    configured_per_s: f64,
    achieved_send_per_s: f64,
}

#[derive(Serialize)]
struct ResourceJson {
    label: String,
    unit: &'static str,
    avg: Option<f64>,
    peak: Option<f64>,
}

#[derive(Serialize)]
struct ErrorsJson {
    total: u64,
    succeeded: u64,
    failed: u64,
    error_rate_percent: Option<f64>,
    by_kind: Vec<KindJson>,
}

#[derive(Serialize)]
struct KindJson {
    kind: &'static str,
    count: u64,
    share_of_failures: f64,
}

#[derive(Serialize)]
struct RuleJson<'a> {
    rule: &'static str,
    threshold: &'static str,
    status: &'static str,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct ComparisonJson<'a> {
    baseline: &'a str,
    path: String,
    found: bool,
    rows: Vec<RowJson>,
}

#[derive(Serialize)]
struct RowJson {
    metric: &'static str,
    unit: &'static str,
    direction: &'static str,
    current: Option<f64>,
    baseline: Option<f64>,
    change: Option<f64>,
    assessment: super::Assessment,
}

#[derive(Serialize)]
struct CurveJson<'a> {
    family: &'a str,
    x_label: &'a str,
    columns: Vec<ColumnJson<'a>>,
    points: Vec<PointJson<'a>>,
}

#[derive(Serialize)]
struct ColumnJson<'a> {
    key: &'a str,
    unit: &'a str,
}

#[derive(Serialize)]
struct PointJson<'a> {
    x: f64,
    scenario: &'a str,
    values: &'a [Option<f64>],
}

fn key(label: &str) -> String {
    label.to_lowercase().replace(' ', "_")
}

fn grade(g: Grade) -> &'static str {
    match g {
        Grade::NotMeasured => "not_measured",
        g => g.as_str(),
    }
}

fn scenario(s: &ScenarioReport) -> ScenarioJson<'_> {
    let m = &s.run.metrics;
    ScenarioJson {
        name: &m.name,
        source: s.run.source.display().to_string(),
        baseline: &s.run.baseline,
        context: &m.context,
        timeline: s.run.timeline.as_ref().map(|t| TimelineJson { points: t.points.len(), interval_s: t.interval_s }),
        summary: SummaryJson {
            verdict: s.evaluation.verdict,
            graded: s
                .evaluation
                .graded
                .iter()
                .map(|g| GradedJson {
                    set: &g.set,
                    metric: g.bound.metric.key(),
                    unit: g.bound.metric.unit(),
                    direction: g.bound.metric.direction().as_str(),
                    value: g.value,
                    target: g.bound.target,
                    acceptable: g.bound.acceptable,
                    critical: g.bound.critical,
                    grade: grade(g.grade),
                })
                .collect(),
        },
        throughput: s
            .rates
            .iter()
            .map(|r| RateJson {
                label: key(r.label),
                unit: r.unit,
                avg: r.avg,
                peak: r.peak,
                peak_source: r.peak_source.as_deref(),
            })
            .collect(),
        offered: m
            .generator
            .as_ref()
            .map(|g| OfferedJson { configured_per_s: g.intended_rate, achieved_send_per_s: g.achieved_rate }),
        latency: m.latency.as_ref().filter(|l| l.count > 0),
        service_time: m.service_time.as_ref().filter(|l| l.count > 0),
        scheduler_lag: m.scheduler_lag.as_ref().filter(|l| l.count > 0),
        resources: s
            .resources
            .iter()
            .map(|r| ResourceJson { label: key(r.label), unit: r.unit, avg: r.avg, peak: r.peak })
            .collect(),
        errors: ErrorsJson {
            total: m.errors.total,
            succeeded: m.errors.succeeded(),
            failed: m.errors.failed(),
            error_rate_percent: m.errors.error_rate_percent(),
            by_kind: super::text::by_count(&m.errors)
                .into_iter()
                .map(|(k, n)| KindJson {
                    kind: k.as_str(),
                    count: n,
                    share_of_failures: n as f64 / m.errors.failed().max(1) as f64,
                })
                .collect(),
        },
        rules: s
            .rules
            .iter()
            .map(|(r, st)| RuleJson {
                rule: r.id(),
                threshold: r.threshold(),
                status: match st {
                    RuleStatus::Fired(_) => "fired",
                    RuleStatus::Clear => "clear",
                    RuleStatus::NotEvaluated(_) => "not_evaluated",
                },
                reason: match st {
                    RuleStatus::NotEvaluated(why) => Some(why),
                    _ => None,
                },
            })
            .collect(),
        findings: s.findings(),
        comparison: s.comparison.as_ref().map(|c| ComparisonJson {
            baseline: &c.baseline,
            path: c.path.display().to_string(),
            found: c.found,
            rows: c
                .rows
                .iter()
                .map(|r| RowJson {
                    metric: r.metric.key(),
                    unit: r.metric.unit(),
                    direction: r.metric.direction().as_str(),
                    current: r.current,
                    baseline: r.baseline,
                    change: r.change,
                    assessment: r.assessment,
                })
                .collect(),
        }),
    }
}

pub(super) fn render(r: &RunReport) -> String {
    let json = ReportJson {
        format: REPORT_FORMAT,
        schema_version: REPORT_SCHEMA,
        generated_at: &r.generated_at,
        targets: &r.targets_origin,
        verdict: r.verdict(),
        scenarios: r.scenarios.iter().map(scenario).collect(),
        scaling: r
            .scaling
            .iter()
            .map(|c| CurveJson {
                family: &c.family,
                x_label: &c.x_label,
                columns: c.columns.iter().map(|col| ColumnJson { key: &col.key, unit: &col.unit }).collect(),
                points: c
                    .points
                    .iter()
                    .map(|p| PointJson { x: p.x, scenario: &p.scenario, values: &p.values })
                    .collect(),
            })
            .collect(),
    };
    // Serialising these plain structs cannot fail (string keys, no non-finite floats as keys).
    let mut s = serde_json::to_string_pretty(&json).expect("the report serialises");
    s.push('\n');
    s
}
