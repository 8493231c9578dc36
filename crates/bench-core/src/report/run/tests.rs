//! Snapshot tests of the run report on fixed fixtures (built here, not by a scenario): a
//! two-minute load run whose timeline trips several rules, compared with a baseline; a
//! latency-only run with no timeline (everything else "not measured"); and a scaling family.
//! Plus the rules one by one, loading from disk with every kind of bad input, and the HTML's
//! structure. Review snapshot changes by eye: they are the user-facing output.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;
use crate::latency::LatencySummary;
use crate::load::GeneratorHealth;
use crate::metrics::{AgentMetrics, ClockKind, ErrorKind, HostInfo, RunContext, TimelinePoint};
use crate::resource::ResourceSummary;
use crate::results::write_json_atomic;
use crate::units::{CpuUse, Nanos};

pub(crate) fn context(duration_s: f64) -> RunContext {
    RunContext {
        duration_s,
        warmup_s: 5.0,
        clock: ClockKind::WallClock,
        host: HostInfo {
            cpu_model: "AMD EPYC 7B13".into(),
            logical_cpus: 2,
            os: "Debian GNU/Linux 12 (bookworm)".into(),
            kernel: Some("6.1.0".into()),
            arch: "x86_64".into(),
        },
        rustc: "rustc 1.95.0 (59807616e 2026-04-14)".into(),
        crate_name: "noisegate".into(),
        crate_version: "0.1.0".into(),
        git_commit: Some("1482bf5f07b222e3e8c6607fd73fcde10f8b201c".into()),
        git_dirty: Some(true),
        timestamp: "2026-01-15T10:30:00Z".into(),
    }
}

pub(super) fn lat(ms: [f64; 8], count: u64) -> LatencySummary {
    let n = |v: f64| Nanos((v * 1e6) as u64);
    LatencySummary {
        count,
        min_ns: n(ms[0]),
        mean_ns: ms[1] * 1.2e6,
        p50_ns: n(ms[1]),
        p75_ns: n(ms[2]),
        p90_ns: n(ms[3]),
        p95_ns: n(ms[4]),
        p99_ns: n(ms[5]),
        p999_ns: n(ms[6]),
        max_ns: n(ms[7]),
        corrected: false,
        clamped: 0,
    }
}

pub(super) fn resources(cpu_avg: f64, cpu_peak: f64, rss_avg: f64, rss_peak: f64, growth: f64) -> ResourceSummary {
    ResourceSummary {
        duration_s: 120.0,
        samples: 1200,
        logical_cpus: 2,
        cpu_avg: Some(CpuUse::from_cores(cpu_avg / 50.0, 2)),
        cpu_peak: Some(CpuUse::from_cores(cpu_peak / 50.0, 2)),
        rss_avg_mb: Some(rss_avg),
        rss_peak_mb: Some(rss_peak),
        rss_growth_mb: Some(growth),
        threads_avg: Some(5.5),
        threads_peak: Some(6),
        disk_read_mb_s: Some(0.0),
        disk_write_mb_s: Some(0.25),
    }
}

/// A 120-second run at 1000 req/s: CPU above 80 % from t = 40 s, RSS growing 100 → 160 MiB, a
/// timeout burst from t = 60 s to t = 72 s, and p99 climbing in the last quarter while
/// completions fall behind the offered rate.
pub(crate) fn sustained(name: &str) -> (SystemMetrics, Timeline) {
    let mut m = SystemMetrics::new(name, context(120.0));
    m.throughput.requests_per_second = Some(961.5);
    m.latency = Some(lat([0.21, 1.9, 2.6, 4.1, 6.3, 48.0, 210.0, 1250.0], 115_380));
    m.service_time = Some(lat([0.2, 1.8, 2.4, 3.9, 6.0, 47.0, 205.0, 1240.0], 115_380));
    m.scheduler_lag = Some(lat([0.0, 0.01, 0.02, 0.04, 0.05, 0.2, 0.9, 3.1], 115_380));
    m.resources = Some(resources(78.4, 97.0, 131.0, 161.5, 60.0));
    m.errors.total = 120_000;
    m.errors.by_kind.insert(ErrorKind::Timeout, 3_900);
    m.errors.by_kind.insert(ErrorKind::Rejected, 650);
    m.errors.by_kind.insert(ErrorKind::Failed, 70);
    m.generator = Some(GeneratorHealth {
        workers: 2,
        intended: 120_000,
        intended_rate: 1000.0,
        issued: 120_000,
        dropped: 0,
        unfinished: 12,
        in_flight_peak: 512,
        achieved_rate: 999.7,
        lag_p99_ns: Nanos(200_000),
        saturated: false,
        clock: None,
        busy_wait_s: None,
    });
    let mut t = Timeline::new(name, 1.0, ClockKind::WallClock);
    for i in 1..=120u32 {
        let s = f64::from(i);
        let behind = i > 100;
        let burst = (61..=72).contains(&i);
        let errors = if burst { 350 } else { 3 };
        t.points.push(TimelinePoint {
            t_s: s,
            offered_per_s: Some(1000.0),
            completed_per_s: if behind { 820.0 } else { 1000.0 - errors as f64 } + f64::from(i % 7),
            errors,
            dropped: 0,
            latency_p50_ms: Some(1.8 + if behind { 6.0 } else { 0.0 }),
            latency_p99_ms: Some(if i > 90 { 40.0 + s } else { 9.0 + f64::from(i % 3) }),
            latency_max_ms: Some(if i == 66 { 1250.0 } else { 30.0 + f64::from(i % 11) }),
            rss_mb: Some(100.0 + s / 2.0),
            cpu_percent: Some(if i > 40 { 91.0 + f64::from(i % 5) } else { 55.0 }),
            phase: Some(if i <= 60 { "steady".into() } else { "burst".into() }),
        });
    }
    (m, t)
}

/// The run `sustained` is compared with: faster, fewer errors.
pub(super) fn sustained_baseline(name: &str) -> SystemMetrics {
    let mut m = SystemMetrics::new(name, context(120.0));
    m.throughput.requests_per_second = Some(998.0);
    m.latency = Some(lat([0.2, 2.1, 2.5, 3.8, 5.0, 12.0, 40.0, 95.0], 119_760));
    m.resources = Some(resources(61.0, 80.0, 104.0, 110.0, 3.0));
    m.errors.total = 120_000;
    m.errors.by_kind.insert(ErrorKind::Timeout, 120);
    m
}

/// A closed-loop latency run: latency only, nothing else measured.
pub(super) fn latency_only(name: &str) -> SystemMetrics {
    let mut m = SystemMetrics::new(name, context(2.0));
    m.context.git_dirty = Some(false);
    m.latency = Some(lat([0.0003, 0.0009, 0.0011, 0.0014, 0.0017, 0.0031, 0.012, 0.4], 2_000_000));
    m
}

pub(super) fn agents_run(n: u64, rate: f64, p99: f64) -> SystemMetrics {
    let mut m = SystemMetrics::new(format!("scalability/orchestrator/agents_{n}"), context(2.0));
    m.throughput.messages_per_second = Some(rate);
    m.agents = Some(AgentMetrics {
        agents: n,
        spawn_time_ms: Some(0.002),
        memory_per_agent_mb: Some(0.004),
        cpu_per_agent_percent: None,
    });
    m.latency = Some(lat([0.001, 0.01, 0.012, 0.02, 0.03, p99, p99 * 2.0, p99 * 5.0], 1_000_000));
    m
}

pub(super) fn input(metrics: SystemMetrics, timeline: Option<Timeline>, compare: Option<BaselineRun>) -> ScenarioInput {
    let source = PathBuf::from(format!("target/noisegate/{}/new/metrics.json", metrics.name));
    ScenarioInput { run: RunInput { source, baseline: "new".into(), metrics, timeline }, compare }
}

pub(super) fn fixture_report() -> RunReport {
    let (m, t) = sustained("load/sustained_1000");
    let base = BaselineRun {
        name: "main".into(),
        path: "target/noisegate/load/sustained_1000/main/metrics.json".into(),
        metrics: Some(sustained_baseline("load/sustained_1000")),
    };
    let missing = BaselineRun {
        name: "main".into(),
        path: "target/noisegate/latency/orchestrator/closed_loop/main/metrics.json".into(),
        metrics: None,
    };
    let inputs = vec![
        input(m, Some(t), Some(base)),
        input(latency_only("latency/orchestrator/closed_loop"), None, Some(missing)),
        input(agents_run(10, 1_900_000.0, 0.05), None, None),
        input(agents_run(1000, 1_700_000.0, 0.08), None, None),
        input(agents_run(100, 1_850_000.0, 0.06), None, None),
    ];
    analyse(inputs, None)
}

pub(super) fn analyse(inputs: Vec<ScenarioInput>, this_machine: Option<ThisMachine>) -> RunReport {
    let targets = Targets::defaults();
    let opts =
        AnalysisOptions { targets: &targets, sets: &[], this_machine, generated_at: "2026-01-15T11:00:00Z".into() };
    RunReport::analyse(inputs, &opts)
}

/// `body` (checked to be JSON) with every float literal rounded to ten significant digits.
pub(super) fn stable_json(body: &str) -> String {
    fn round(v: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::Number(n) if n.is_f64() => {
                let x = n.as_f64().unwrap_or(0.0);
                let r: f64 = format!("{x:.9e}").parse().unwrap_or(x);
                serde_json::json!(r)
            }
            Value::Array(a) => Value::Array(a.into_iter().map(round).collect()),
            Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, round(v))).collect()),
            v => v,
        }
    }
    let v: serde_json::Value = serde_json::from_str(body).expect("the body is JSON");
    serde_json::to_string_pretty(&round(v)).unwrap()
}

#[test]
pub(super) fn snapshot_text() {
    insta::assert_snapshot!("report_text", render(&fixture_report(), ReportFormat::Text).unwrap());
}

#[test]
pub(super) fn snapshot_markdown() {
    insta::assert_snapshot!("report_markdown", render(&fixture_report(), ReportFormat::Markdown).unwrap());
}

#[test]
pub(super) fn snapshot_json() {
    let body = render(&fixture_report(), ReportFormat::Json).unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["format"], REPORT_FORMAT);
    assert_eq!(v["schema_version"], REPORT_SCHEMA);
    insta::assert_snapshot!("report_json", stable_json(&body));
}

#[test]
pub(super) fn the_fixture_fires_the_rules_it_was_built_for() {
    let r = fixture_report();
    let fired: Vec<Rule> = r.scenarios[0].findings().iter().map(|f| f.rule).collect();
    for rule in [Rule::CpuBound, Rule::MemoryGrowth, Rule::Queueing, Rule::ErrorBurst] {
        assert!(fired.contains(&rule), "{rule} not in {fired:?}");
    }
    assert!(!fired.contains(&Rule::SchedulerLag) && !fired.contains(&Rule::HighLatency), "{fired:?}");
    // Critical findings come first.
    assert_eq!(r.scenarios[0].findings()[0].severity, Severity::Critical);
    // The latency-only run: most rules have nothing to read.
    let quiet = &r.scenarios[1];
    assert!(quiet.findings().is_empty());
    assert!(quiet.rules.iter().any(|(r, s)| *r == Rule::CpuBound && matches!(s, RuleStatus::NotEvaluated(_))));
    assert_eq!(r.scaling.len(), 1);
    let xs: Vec<f64> = r.scaling[0].points.iter().map(|p| p.x).collect();
    assert_eq!(xs, vec![10.0, 100.0, 1000.0]);
    let keys: Vec<&str> = r.scaling[0].columns.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["messages_per_second", "latency_p99_ms", "agent_spawn_ms", "memory_per_agent_mb"]);
    assert_eq!(r.scaling[0].family, "scalability/orchestrator/agents_*");
}

#[test]
pub(super) fn missing_values_say_not_measured_never_zero() {
    let body = render(&fixture_report(), ReportFormat::Text).unwrap();
    let quiet = body.split("SCENARIO latency/orchestrator/closed_loop").nth(1).unwrap();
    let quiet = quiet.split("SCENARIO ").next().unwrap();
    assert!(quiet.contains("Requests:      not measured"), "{quiet}");
    assert!(quiet.contains("CPU:           not measured"), "{quiet}");
    assert!(quiet.contains("not measured (the run counted no requests)"), "{quiet}");
    assert!(!quiet.contains(" 0 req/s") && !quiet.contains(" 0.000%"), "{quiet}");
}

#[test]
pub(super) fn comparison_directions_follow_each_metric() {
    let r = fixture_report();
    let c = r.scenarios[0].comparison.as_ref().unwrap();
    let row = |m: Metric| c.rows.iter().find(|r| r.metric == m).unwrap();
    assert_eq!(row(Metric::RequestsPerSecond).assessment, Assessment::Worse);
    assert!((row(Metric::RequestsPerSecond).change.unwrap() - (961.5 - 998.0) / 998.0).abs() < 1e-12);
    assert_eq!(row(Metric::LatencyP99Ms).assessment, Assessment::Worse);
    assert_eq!(row(Metric::LatencyP50Ms).assessment, Assessment::Better);
    assert_eq!(row(Metric::SchedulerLagP99Ms).assessment, Assessment::NotComparable);
    assert_eq!(row(Metric::SchedulerLagP99Ms).baseline, None);
    assert!(!r.scenarios[1].comparison.as_ref().unwrap().found);
}

/// Checks that `html` is well-formed: every tag closed in order (void tags self-closed), no
/// stray `<` outside tags.
pub(super) fn assert_well_formed(html: &str) {
    let body = html.strip_prefix("<!DOCTYPE html>\n").expect("a doctype");
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find('<') {
        let after = &rest[i + 1..];
        let end = after.find('>').unwrap_or_else(|| panic!("unclosed tag at {}", &after[..after.len().min(80)]));
        let tag = &after[..end];
        assert!(!tag.contains('<'), "stray < in {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(open, name.trim(), "mismatched close");
        } else if !tag.ends_with('/') {
            let name: String = tag.chars().take_while(|c| !c.is_whitespace()).collect();
            stack.push(name);
        }
        rest = &after[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

#[test]
pub(super) fn html_is_self_contained_escaped_and_well_formed() {
    let evil = "load/<script>alert('x')</script>&\"q\"";
    let (m, t) = sustained(evil);
    let mut inputs = vec![input(m, Some(t), None)];
    inputs.push(input(latency_only("latency/plain"), None, None));
    inputs.extend([agents_run(1, 1.0e6, 0.04), agents_run(10, 1.8e6, 0.05)].map(|m| input(m, None, None)));
    let html = render(&analyse(inputs, None), ReportFormat::Html).unwrap();
    assert_well_formed(&html);
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;q&quot;"));
    assert!(!html.contains("<script"), "a script tag");
    assert!(!html.contains("http://") && !html.contains("https://"), "an external URL");
    assert!(!html.contains(" src=") && !html.contains("<link"), "an external asset");
    // Throughput, latency, CPU and memory over time; a percentile distribution per run with a
    // latency (4); a scaling chart per measured column (messages, p99, spawn time, memory per
    // agent).
    assert_eq!(html.matches("<svg").count(), 4 + 4 + 4);
    for title in [
        "Throughput over time",
        "Latency over time",
        "Latency percentile distribution",
        "messages_per_second against agents",
    ] {
        assert!(html.contains(title), "{title}");
    }
}

#[test]
pub(super) fn html_of_a_run_without_anything_still_renders() {
    let m = SystemMetrics::new("empty", context(1.0));
    let html = render(&analyse(vec![input(m, None, None)], None), ReportFormat::Html).unwrap();
    assert_well_formed(&html);
    assert!(html.contains("not measured"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn any_scenario_name_is_escaped_in_html_and_markdown(name in "\\PC{0,40}") {
        let report = analyse(vec![input(latency_only(&name), None, None)], None);
        let html = render(&report, ReportFormat::Html).unwrap();
        assert_well_formed(&html);
        prop_assert!(html.contains(&format::html(&name)));
        let md = render(&report, ReportFormat::Markdown).unwrap();
        prop_assert!(md.contains(&format::md(&name)));
        prop_assert!(!md.lines().any(|l| l.starts_with("## ") && l[3..].contains('<')));
    }
}

pub(super) fn write_run(dir: &Path, m: &SystemMetrics, t: Option<&Timeline>) -> PathBuf {
    let file = dir.join(METRICS_FILE);
    write_json_atomic(&file, m).unwrap();
    if let Some(t) = t {
        write_json_atomic(&dir.join(crate::metrics::TIMELINE_FILE), t).unwrap();
    }
    file
}

#[test]
pub(super) fn loads_runs_timelines_and_baselines_from_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("noisegate");
    let (m, t) = sustained("load/a");
    write_run(&root.join("load/a/new"), &m, Some(&t));
    write_run(&root.join("load/a/main"), &sustained_baseline("load/a"), None);
    write_run(&root.join("latency/b/new"), &latency_only("latency/b"), None);
    let found = discover(&root, "new").unwrap();
    assert_eq!(found, vec![root.join("latency/b/new/metrics.json"), root.join("load/a/new/metrics.json")]);
    assert_eq!(discover(&root.join("absent"), "new").unwrap(), Vec::<PathBuf>::new());
    let runs = load_scenarios(&found, Some("main")).unwrap();
    assert_eq!(runs[1].run.timeline.as_ref().unwrap().points.len(), 120);
    assert_eq!(runs[1].run.baseline, "new");
    assert!(runs[1].compare.as_ref().unwrap().metrics.is_some());
    assert!(runs[0].compare.as_ref().unwrap().metrics.is_none());
    // A directory works as well as the file.
    assert_eq!(load_run(&root.join("load/a/new")).unwrap().metrics.name, "load/a");
    let err = load_scenarios(&found, Some("mian")).unwrap_err();
    assert!(matches!(err, ReportError::NoBaseline { .. }), "{err}");
    assert!(err.to_string().contains("`mian`") && err.to_string().contains("--save-baseline mian"), "{err}");
}

#[test]
pub(super) fn bad_inputs_name_the_file_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s/new");
    let (m, t) = sustained("s");
    let file = write_run(&dir, &m, Some(&t));
    let tl = dir.join(crate::metrics::TIMELINE_FILE);

    let msg = load_run(&tmp.path().join("nope")).unwrap_err().to_string();
    assert!(msg.contains("no metrics.json at") && msg.contains("nope"), "{msg}");

    std::fs::write(&tl, "{\"schema_version\": 1, \"name\": \"s\", \"points\": [").unwrap();
    let msg = load_run(&file).unwrap_err().to_string();
    assert!(
        msg.contains("timeline.json is not a valid noisegate timeline") && msg.contains("re-run the scenario"),
        "{msg}"
    );

    let mut v = serde_json::to_value(&t).unwrap();
    v["schema_version"] = 7.into();
    write_json_atomic(&tl, &v).unwrap();
    let msg = load_run(&file).unwrap_err().to_string();
    assert!(msg.contains("timeline schema_version 7") && msg.contains("reads version 1"), "{msg}");

    let other = Timeline { name: "other".into(), ..t.clone() };
    write_json_atomic(&tl, &other).unwrap();
    assert!(matches!(load_run(&file).unwrap_err(), ReportError::TimelineMismatch { .. }));

    std::fs::remove_file(&tl).unwrap();
    std::fs::write(&file, "{ truncated").unwrap();
    let msg = load_run(&file).unwrap_err().to_string();
    assert!(msg.contains("metrics.json is not a valid noisegate results file"), "{msg}");
    // Nothing was rewritten by reading.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{ truncated");
}

#[test]
pub(super) fn families_come_from_the_last_number_in_a_name() {
    assert_eq!(analyse::family_of("scalability/agents_100"), Some(("scalability/agents_*".into(), 100.0)));
    assert_eq!(
        analyse::family_of("overhead/lag_p99_at_rate/100000"),
        Some(("overhead/lag_p99_at_rate/*".into(), 100000.0))
    );
    assert_eq!(analyse::family_of("latency/open_loop_50pct"), Some(("latency/open_loop_*pct".into(), 50.0)));
    assert_eq!(analyse::family_of("latency/steady"), None);
}

#[test]
pub(super) fn formats_parse() {
    for f in ReportFormat::ALL {
        assert_eq!(f.as_str().parse::<ReportFormat>().unwrap(), f);
    }
    assert!("pdf".parse::<ReportFormat>().unwrap_err().to_string().contains("expected text, markdown, json or html"));
}

#[test]
pub(super) fn the_generators_clock_and_busy_wait_are_shown_and_taken_out_of_the_cpu_finding() {
    let (mut m, t) = sustained("load/spinning");
    // 78.4 % of 2 CPUs for 120 s = 188.16 CPU-seconds, a quarter of it busy-waiting.
    let g = m.generator.as_mut().expect("the fixture has a generator");
    g.clock = Some(crate::load::ClockSource::Tsc);
    g.busy_wait_s = Some(47.04);
    let report = analyse(vec![input(m, Some(t), None)], None);
    let findings = report.scenarios[0].findings();
    let cpu = findings.iter().find(|f| f.rule == Rule::CpuBound).expect("cpu_bound fires");
    assert!(
        cpu.evidence.iter().any(|e| e.contains("25") && e.contains("load generator busy-waiting")),
        "{:?}",
        cpu.evidence
    );
    for format in [ReportFormat::Text, ReportFormat::Markdown, ReportFormat::Html] {
        let body = render(&report, format).unwrap();
        assert!(body.contains("time-stamp counter") && body.contains("busy-waited"), "{format:?} lacks the generator");
    }
}
