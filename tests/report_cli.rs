//! `noisegate report` and `noisegate trend` end to end on fixtures written here: formats, the
//! baseline comparison, the run history, exit codes, and every kind of bad input (each must name
//! the file and the fix, exit 2, and leave existing files as they were).

mod fixture;

use std::path::Path;

use bench_core::latency::LatencySummary;
use bench_core::metrics::{ClockKind, ErrorKind, HostInfo, RunContext, SystemMetrics, Timeline, TimelinePoint};
use bench_core::units::Nanos;
use fixture::{Project, stderr, text};
use serde_json::{Value, json};

fn context() -> RunContext {
    RunContext {
        duration_s: 60.0,
        warmup_s: 5.0,
        clock: ClockKind::WallClock,
        host: HostInfo {
            cpu_model: "Test CPU".into(),
            logical_cpus: 2,
            os: "TestOS".into(),
            kernel: None,
            arch: "x86_64".into(),
        },
        rustc: "rustc 1.95.0".into(),
        crate_name: "noisegate".into(),
        crate_version: "0.1.0".into(),
        git_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        git_dirty: Some(false),
        timestamp: "2026-01-15T10:30:00Z".into(),
    }
}

fn latency(p99_ms: f64) -> LatencySummary {
    let n = |ms: f64| Nanos((ms * 1e6) as u64);
    LatencySummary {
        count: 60_000,
        min_ns: n(0.1),
        mean_ns: 1.2e6,
        p50_ns: n(1.0),
        p75_ns: n(1.5),
        p90_ns: n(2.0),
        p95_ns: n(3.0),
        p99_ns: n(p99_ms),
        p999_ns: n(p99_ms * 2.0),
        max_ns: n(p99_ms * 5.0),
        corrected: false,
        clamped: 0,
    }
}

/// A one-minute run at 1000 req/s with `errors` timeouts.
fn run_metrics(name: &str, rps: f64, p99_ms: f64, errors: u64) -> SystemMetrics {
    let mut m = SystemMetrics::new(name, context());
    m.throughput.requests_per_second = Some(rps);
    m.latency = Some(latency(p99_ms));
    m.errors.total = 60_000;
    if errors > 0 {
        m.errors.by_kind.insert(ErrorKind::Timeout, errors);
    }
    m
}

fn timeline(name: &str) -> Timeline {
    let mut t = Timeline::new(name, 1.0, ClockKind::WallClock);
    for i in 1..=60 {
        t.points.push(TimelinePoint {
            t_s: f64::from(i),
            offered_per_s: Some(1000.0),
            completed_per_s: 1000.0 - f64::from(i % 5),
            latency_p50_ms: Some(1.0),
            latency_p99_ms: Some(4.0 + f64::from(i % 3)),
            latency_max_ms: Some(9.0),
            rss_mb: Some(40.0),
            cpu_percent: Some(35.0),
            ..Default::default()
        });
    }
    t
}

#[test]
fn reports_every_latest_run_and_appends_each_to_the_history_once() {
    let p = Project::new();
    p.save("new", &run_metrics("load/steady", 998.0, 5.0, 0), Some(&timeline("load/steady")));
    p.save("new", &run_metrics("load/burst", 990.0, 8.0, 12), None);
    p.save("main", &run_metrics("load/steady", 1000.0, 4.0, 0), None);
    let o = p.run(&["report"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("====="), "{out}");
    assert!(out.contains("SCENARIO load/burst") && out.contains("SCENARIO load/steady"), "{out}");
    assert!(out.contains("Time series: 60 intervals of 1 s"), "{out}");
    assert!(!out.contains("main/metrics.json"), "only baseline `new` is reported by default");
    assert!(stderr(&o).contains("history: appended 2 runs"), "{}", stderr(&o));
    let history = std::fs::read_to_string(p.history()).unwrap();
    assert_eq!(history.lines().count(), 2);
    let first: Value = serde_json::from_str(history.lines().next().unwrap()).unwrap();
    assert_eq!(first["format"], "noisegate-history");
    assert_eq!(first["fingerprint"]["cpu_model"], "Test CPU");
    // The same runs reported again are not counted twice.
    let o = p.run(&["report", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(stderr(&o).contains("appended 0 runs") && stderr(&o).contains("2 already there"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(p.history()).unwrap(), history);
    // --no-history leaves it alone.
    p.save("new", &run_metrics("load/third", 990.0, 8.0, 0), None);
    let o = p.run(&["report", "--no-history"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(p.history()).unwrap(), history);
}

#[test]
fn compares_with_a_baseline_in_json_markdown_and_html() {
    let p = Project::new();
    let dir = p.save("new", &run_metrics("load/steady", 900.0, 5.0, 0), Some(&timeline("load/steady")));
    p.save("main", &run_metrics("load/steady", 1000.0, 4.0, 0), None);
    let o = p.run(&["report", "--compare-to", "main", "--format", "json", "--no-history"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["format"], "noisegate-run-report");
    assert_eq!(v["schema_version"], 1);
    let rows = v["scenarios"][0]["comparison"]["rows"].as_array().unwrap();
    let rps = rows.iter().find(|r| r["metric"] == "requests_per_second").unwrap();
    assert_eq!(rps["assessment"], "worse");
    assert!((rps["change"].as_f64().unwrap() + 0.1).abs() < 1e-9, "{rps}");
    assert_eq!(v["scenarios"][0]["resources"][0]["avg"], Value::Null, "not measured is null, not 0");

    let o = p.run(&["report", dir.to_str().unwrap(), "--compare-to", "main", "--format", "markdown", "--no-history"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("### Comparison with baseline `main`"), "{}", text(&o));

    let out = p.root().join("out/report.html");
    let o = p.run(&["report", "--format", "html", "--output", out.to_str().unwrap(), "--no-history"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("wrote the html report of 1 runs to"), "{}", text(&o));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg") && !html.contains("<script"));
}

#[test]
fn a_critical_grade_exits_1() {
    let p = Project::new();
    // 10 % errors: MEZAN's critical bound is 5 %.
    p.save("new", &run_metrics("load/failing", 900.0, 5.0, 6_000), None);
    let o = p.run(&["report", "--no-history"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("✗ error_rate_percent: 10.00%"), "{}", text(&o));
}

#[test]
fn bad_input_exits_2_naming_the_file_and_the_fix() {
    let p = Project::new();
    let o = p.run(&["report"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("no scenario results for baseline `new`"), "{}", stderr(&o));

    let o = p.run(&["report", "nowhere/metrics.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no metrics.json at nowhere/metrics.json"), "{}", stderr(&o));

    let dir = p.save("new", &run_metrics("load/x", 900.0, 5.0, 0), Some(&timeline("load/x")));
    let old_out = p.root().join("report.txt");
    std::fs::write(&old_out, "previous report").unwrap();
    let tl = dir.join("timeline.json");
    std::fs::write(&tl, "{\"schema_version\": 1, \"points\": [").unwrap();
    let o = p.run(&["report", "--output", old_out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let e = stderr(&o);
    assert!(e.contains("timeline.json is not a valid noisegate timeline") && e.contains("re-run the scenario"), "{e}");
    assert_eq!(std::fs::read_to_string(&old_out).unwrap(), "previous report", "an existing output was touched");
    assert!(!p.history().exists(), "a failed report appended history");

    let mut t = serde_json::to_value(timeline("load/x")).unwrap();
    t["schema_version"] = json!(2);
    std::fs::write(&tl, t.to_string()).unwrap();
    let o = p.run(&["report"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("timeline schema_version 2; this noisegate reads version 1"), "{}", stderr(&o));
    std::fs::remove_file(&tl).unwrap();

    let o = p.run(&["report", "--compare-to", "mian"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no results saved under baseline `mian`"), "{}", stderr(&o));

    // A directory where the output file's directory must go.
    let blocker = p.root().join("blocker");
    std::fs::write(&blocker, "x").unwrap();
    let o = p.run(&["report", "--output", blocker.join("r.html").to_str().unwrap(), "--format", "html"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot write --output") && stderr(&o).contains("blocker"), "{}", stderr(&o));

    // An unwritable history: nothing is written (the output is written last), and the error
    // says how to proceed.
    let o = p.run(&[
        "report",
        "--output",
        old_out.to_str().unwrap(),
        "--history",
        blocker.join("h.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&old_out).unwrap(), "previous report", "the output was replaced");
    assert!(stderr(&o).contains("--no-history") && stderr(&o).contains("h.jsonl"), "{}", stderr(&o));
    let o = p.run(&["report", "--history", blocker.join("h.jsonl").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("SCENARIO load/x"), "printed a report that failed");

    std::fs::write(dir.join("metrics.json"), "{\"schema_version\": 1, \"name\": ").unwrap();
    let o = p.run(&["report"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("metrics.json is not a valid noisegate results file"), "{}", stderr(&o));
}

#[test]
fn a_corrupt_history_line_is_skipped_with_a_warning_and_kept() {
    let p = Project::new();
    p.save("new", &run_metrics("load/x", 900.0, 5.0, 0), None);
    std::fs::create_dir_all(p.results()).unwrap();
    let damaged = "{\"format\":\"noisegate-history\",\"schema_ver";
    std::fs::write(p.history(), damaged).unwrap();
    let o = p.run(&["report", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let e = stderr(&o);
    assert!(e.contains("history.jsonl:1: skipped a history record") && e.contains("cut short"), "{e}");
    let after = std::fs::read_to_string(p.history()).unwrap();
    assert!(after.starts_with(damaged), "existing bytes changed");
    assert_eq!(after.lines().count(), 2);
    assert!(after.lines().nth(1).unwrap().starts_with("{\"format\":\"noisegate-history\""));
}

/// A history of `runs` runs of one scenario whose p99 moves to `after` from run `step` on.
fn write_history(path: &Path, runs: usize, step: usize, after: f64) {
    let mut lines = String::new();
    for i in 0..runs {
        let wobble = 1.0 + 0.02 * (((i * 7919) % 13) as f64 / 6.0 - 1.0);
        let p99 = if i < step { 10.0 } else { after } * wobble;
        let r = json!({
            "format": "noisegate-history", "schema_version": 1,
            "recorded_at": format!("2026-01-01T{:02}:00:00Z", i % 24), "run_at": format!("2026-01-01T{:02}:00:00Z", i % 24),
            "scenario": "load/steady", "baseline": "new",
            "git_commit": format!("{i:040x}"), "git_dirty": false,
            "fingerprint": {"cpu_model": "Test CPU", "logical_cpus": 2, "os": "TestOS", "arch": "x86_64", "rustc": "rustc 1.95.0"},
            "clock": "wall_clock", "duration_s": 60.0,
            "metrics": {"latency_p99_ms": p99, "requests_per_second": 1000.0 * wobble}
        });
        lines.push_str(&r.to_string());
        lines.push('\n');
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, lines).unwrap();
}

#[test]
fn trend_flags_a_step_for_the_worse_with_exit_1() {
    let p = Project::new();
    write_history(&p.history(), 30, 22, 13.0);
    let o = p.run(&["trend"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("step at run 23 of 30"), "{out}");
    assert!(out.contains("FAIL: the latest step is for the worse: load/steady latency_p99_ms"), "{out}");

    let o = p.run(&["trend", "--metric", "requests_per_second", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["failed"], false);
    assert_eq!(v["series"][0]["steps"], json!([]));

    let out = p.root().join("trends.html");
    let o = p.run(&["trend", "--format", "html", "--output", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let html = std::fs::read_to_string(&out).unwrap();
    assert_eq!(html.matches("<svg").count(), 2);
}

#[test]
fn trend_of_a_flat_history_passes_and_an_improvement_passes() {
    let p = Project::new();
    write_history(&p.history(), 30, 30, 10.0);
    let o = p.run(&["trend", "--scenario", "load/steady"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("no step change"));
    write_history(&p.history(), 30, 20, 7.0);
    let o = p.run(&["trend"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("better"), "{}", text(&o));
}

#[test]
fn trend_bad_input_exits_2_and_corrupt_lines_are_named() {
    let p = Project::new();
    let o = p.run(&["trend"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no run history at") && stderr(&o).contains("noisegate report"), "{}", stderr(&o));

    write_history(&p.history(), 12, 12, 10.0);
    let mut f = std::fs::OpenOptions::new().append(true).open(p.history()).unwrap();
    std::io::Write::write_all(&mut f, b"not json at all\n").unwrap();
    drop(f);
    let o = p.run(&["trend"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(stderr(&o).contains("history.jsonl:13: skipped a history record"), "{}", stderr(&o));

    let o = p.run(&["trend", "--metric", "latency_p42_ms"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown metric `latency_p42_ms`; known metrics:"), "{}", stderr(&o));
    let o = p.run(&["trend", "--scenario", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("scenarios there: load/steady"), "{}", stderr(&o));
    let o = p.run(&["trend", "--permutations", "10"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--permutations 100 or more"), "{}", stderr(&o));
}

#[test]
fn help_has_worked_examples() {
    let p = Project::new();
    for cmd in ["report", "trend"] {
        let o = p.run(&[cmd, "--help"]);
        assert_eq!(o.status.code(), Some(0));
        let h = String::from_utf8_lossy(&o.stdout);
        assert!(h.contains("Examples:") && h.contains(&format!("noisegate {cmd}")) && h.contains("Exit:"), "{h}");
    }
}
