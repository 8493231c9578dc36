//! Deriving the report from the runs: grades, throughput and resource rows, rules, the
//! baseline comparison, and scaling curves across runs of one family.

use std::collections::BTreeMap;

use super::*;

pub(super) fn scenario(input: ScenarioInput, opts: &AnalysisOptions<'_>) -> ScenarioReport {
    let ScenarioInput { run, compare } = input;
    let m = &run.metrics;
    let evaluation = opts.targets.evaluate_sets(m, |s| opts.sets.is_empty() || opts.sets.iter().any(|x| x == s));
    let memory = opts.this_machine.as_ref().filter(|t| t.host == m.context.host).map(|t| t.memory_mb);
    let rules = rules::check(m, run.timeline.as_ref(), &RuleSettings { machine_memory_mb: memory });
    let comparison = compare.map(|b| compare_runs(m, b));
    ScenarioReport { rates: rates(&run), resources: resources(m), evaluation, rules, comparison, run }
}

fn rates(run: &RunInput) -> Vec<Rate> {
    let t = &run.metrics.throughput;
    let timeline_peak = run.timeline.as_ref().and_then(|tl| {
        let peak = tl.points.iter().filter(|p| rules::is_measured(p)).map(|p| p.completed_per_s).reduce(f64::max)?;
        Some((peak, tl.interval_s))
    });
    let (peak, peak_source) = match (t.peak_requests_per_second, timeline_peak) {
        (Some(p), _) => (Some(p), Some("highest one-second rate".to_owned())),
        (None, Some((p, iv))) => {
            (Some(p), Some(format!("highest {} interval of the timeline", format::duration_s(iv))))
        }
        (None, None) => (None, None),
    };
    let mut out = vec![Rate { label: "Requests", unit: "req/s", avg: t.requests_per_second, peak, peak_source }];
    for (label, unit, v) in [
        ("Operations", "op/s", t.operations_per_second),
        ("Messages", "msg/s", t.messages_per_second),
        ("Data transfer", "MiB/s", t.data_transfer_mb_s),
    ] {
        if v.is_some() {
            out.push(Rate { label, unit, avg: v, peak: None, peak_source: None });
        }
    }
    out
}

fn resources(m: &SystemMetrics) -> Vec<ResourceRow> {
    let r = m.resources.as_ref();
    let mut out = vec![
        ResourceRow {
            label: "CPU",
            unit: "%",
            avg: r.and_then(|r| r.cpu_avg).map(|c| c.percent_of_machine),
            peak: r.and_then(|r| r.cpu_peak).map(|c| c.percent_of_machine),
        },
        ResourceRow {
            label: "Memory",
            unit: "MiB",
            avg: r.and_then(|r| r.rss_avg_mb),
            peak: r.and_then(|r| r.rss_peak_mb),
        },
    ];
    let threads = ResourceRow {
        label: "Threads",
        unit: "threads",
        avg: r.and_then(|r| r.threads_avg),
        peak: r.and_then(|r| r.threads_peak).map(|t| t as f64),
    };
    let disk_r = ResourceRow { label: "Disk read", unit: "MiB/s", avg: r.and_then(|r| r.disk_read_mb_s), peak: None };
    let disk_w = ResourceRow { label: "Disk write", unit: "MiB/s", avg: r.and_then(|r| r.disk_write_mb_s), peak: None };
    let net_in =
        ResourceRow { label: "Network in", unit: "MiB/s", avg: m.network.as_ref().map(|n| n.in_mb_s), peak: None };
    let net_out =
        ResourceRow { label: "Network out", unit: "MiB/s", avg: m.network.as_ref().map(|n| n.out_mb_s), peak: None };
    out.extend([threads, disk_r, disk_w, net_in, net_out].into_iter().filter(|r| r.avg.is_some() || r.peak.is_some()));
    out
}

fn compare_runs(m: &SystemMetrics, b: BaselineRun) -> Comparison {
    let rows = match &b.metrics {
        None => Vec::new(),
        Some(base) => Metric::ALL
            .iter()
            .filter_map(|&metric| {
                let (current, baseline) = (m.value(metric), base.value(metric));
                if current.is_none() && baseline.is_none() {
                    return None;
                }
                let change = match (current, baseline) {
                    (Some(c), Some(b)) if b != 0.0 && c.is_finite() && b.is_finite() => Some((c - b) / b.abs()),
                    _ => None,
                };
                let assessment = match change {
                    None => Assessment::NotComparable,
                    Some(x) if x.abs() < 0.0005 => Assessment::Same,
                    Some(x) => {
                        let better = match metric.direction() {
                            crate::metrics::Direction::Higher => x > 0.0,
                            crate::metrics::Direction::Lower => x < 0.0,
                        };
                        if better { Assessment::Better } else { Assessment::Worse }
                    }
                };
                Some(ComparisonRow { metric, current, baseline, change, assessment })
            })
            .collect(),
    };
    Comparison { found: b.metrics.is_some(), baseline: b.name, path: b.path, rows }
}

/// `(family, number)` of a name whose last segment holds a number: `scalability/agents_100` →
/// `("scalability/agents_*", 100)`.
pub(super) fn family_of(name: &str) -> Option<(String, f64)> {
    let (prefix, last) = match name.rsplit_once('/') {
        Some((p, l)) => (Some(p), l),
        None => (None, name),
    };
    let end = last.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = last[..end]
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_ascii_digit() && *c != '.')
        .map_or(0, |(i, c)| i + c.len_utf8());
    let number: f64 = last[start..end].parse().ok()?;
    let pattern = format!("{}*{}", &last[..start], &last[end..]);
    Some((prefix.map_or_else(|| pattern.clone(), |p| format!("{p}/{pattern}")), number))
}

/// What a scaling curve can show, in column order: every catalogue metric that changes with
/// scale in a way worth a curve.
const SCALING_METRICS: [Metric; 9] = [
    Metric::RequestsPerSecond,
    Metric::MessagesPerSecond,
    Metric::OperationsPerSecond,
    Metric::LatencyP99Ms,
    Metric::AgentSpawnMs,
    Metric::MemoryPerAgentMb,
    Metric::CpuPerAgentPercent,
    Metric::CpuAvgPercent,
    Metric::MemoryPeakMb,
];

pub(super) fn scaling_curves(scenarios: &[ScenarioReport]) -> Vec<ScalingCurve> {
    let mut families: BTreeMap<String, Vec<(f64, &'static str, &SystemMetrics)>> = BTreeMap::new();
    let mut curves = Vec::new();
    for s in scenarios {
        let m = &s.run.metrics;
        if let Some((family, number)) = family_of(&m.name) {
            let (x, label) = match (&m.agents, &m.generator) {
                (Some(a), _) if a.agents > 0 => (a.agents as f64, "agents"),
                (_, Some(g)) if g.intended_rate > 0.0 => (g.intended_rate, "configured rate (req/s)"),
                _ => (number, "n (from the scenario name)"),
            };
            families.entry(family).or_default().push((x, label, m));
        }
        if let Some(series) = m.scaling.as_ref().filter(|s| s.points.len() >= 2) {
            let mut points: Vec<ScalingPoint> = series
                .points
                .iter()
                .map(|p| ScalingPoint { x: f64::from(p.n), scenario: m.name.clone(), values: vec![Some(p.throughput)] })
                .collect();
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            curves.push(ScalingCurve {
                family: format!("{} (scaling series)", m.name),
                x_label: if series.unit.is_empty() { "n".into() } else { series.unit.clone() },
                columns: vec![ScalingColumn { key: "throughput".into(), unit: "per s".into() }],
                points,
            });
        }
    }
    for (family, mut members) in families {
        members.sort_by(|a, b| a.0.total_cmp(&b.0));
        members.dedup_by(|a, b| a.0 == b.0);
        // One x label per curve: the runs of a family must agree on what x is.
        let label = members.first().map(|m| m.1);
        if members.len() < 2 || members.iter().any(|m| Some(m.1) != label) {
            continue;
        }
        // Columns measured at two scales or more: one point is no curve.
        let metrics: Vec<Metric> = SCALING_METRICS
            .into_iter()
            .filter(|&k| members.iter().filter(|(_, _, m)| m.value(k).is_some()).count() >= 2)
            .collect();
        if metrics.is_empty() {
            continue;
        }
        let points = members
            .iter()
            .map(|(x, _, m)| ScalingPoint {
                x: *x,
                scenario: m.name.clone(),
                values: metrics.iter().map(|&k| m.value(k)).collect(),
            })
            .collect();
        curves.push(ScalingCurve {
            family,
            x_label: label.unwrap_or("n").to_owned(),
            columns: metrics.iter().map(|k| ScalingColumn { key: k.key().into(), unit: k.unit().into() }).collect(),
            points,
        });
    }
    curves
}
