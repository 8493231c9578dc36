//! The `noisegate` binary end to end: help, version, targets, grading and exit codes.

mod fixture;

use std::path::Path;
use std::time::Duration;

use bench_core::metrics::SystemMetrics;
use bench_core::results::write_json_atomic;
use fixture::{noisegate, repo, text};

#[test]
fn help_and_version() {
    let o = noisegate(&["--help"], repo());
    assert!(o.status.success());
    let t = text(&o);
    assert!(t.contains("Exit codes") && t.contains("targets") && t.contains("grade"), "{t}");
    let o = noisegate(&["--version"], repo());
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), format!("noisegate {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn bad_arguments_exit_2() {
    let o = noisegate(&["frobnicate"], repo());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn targets_lists_the_repository_config() {
    let o = noisegate(&["targets", "--metrics"], repo());
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("noisegate.toml") && t.contains("[caxton]") && t.contains("[mezan]") && t.contains("[ollama]"));
    assert!(t.contains("messages_per_second") && t.contains("≥ 100000 msg/s"), "{t}");
    assert!(t.contains("linear_scaling_percent"), "{t}");
}

#[test]
fn a_bad_config_exits_2_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("noisegate.toml"), "[targets.x]\nlatency_p50_ms = { target = 9, critical = 1 }\n")
        .unwrap();
    let o = noisegate(&["targets"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(t.contains("noisegate.toml") && t.contains("targets.x.latency_p50_ms") && t.contains("wrong order"), "{t}");
    let o = noisegate(&["targets", "--config", "missing.toml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("missing.toml"));
}

fn metrics_file(dir: &Path, name: &str, p99_ms: u64) -> std::path::PathBuf {
    let mut rec = bench_core::latency::LatencyRecorder::new();
    for _ in 0..100 {
        rec.record(Duration::from_millis(p99_ms));
    }
    let mut m = SystemMetrics::new(name, bench_core::run_context!(Duration::from_secs(1), Duration::ZERO));
    m.latency = Some(rec.summary());
    let p = dir.join(format!("{name}.json"));
    write_json_atomic(&p, &m).unwrap();
    p
}

#[test]
fn grade_exit_codes_follow_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let fast = metrics_file(dir.path(), "fast", 1);
    let slow = metrics_file(dir.path(), "slow", 150);
    let fast_s = fast.to_str().unwrap();
    let slow_s = slow.to_str().unwrap();

    let o = noisegate(&["grade", fast_s, "--set", "caxton"], repo());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("✓ latency_p99_ms"), "{}", text(&o));

    // 150 ms p99 is beyond Caxton's 100 ms critical bound.
    let o = noisegate(&["grade", fast_s, slow_s, "--set", "caxton"], repo());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("✗ latency_p99_ms: 150") && text(&o).contains("critical"), "{}", text(&o));

    let o = noisegate(&["grade", fast_s, "--set", "nope"], repo());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no target set named `nope`"));

    std::fs::write(dir.path().join("torn.json"), "{\"schema_version\": 1, \"name\":").unwrap();
    let torn = dir.path().join("torn.json");
    let o = noisegate(&["grade", torn.to_str().unwrap()], repo());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("torn.json"), "{}", text(&o));
}
