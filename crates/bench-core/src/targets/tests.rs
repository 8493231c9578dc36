//! Grading at and around every tier boundary, and every configuration error.

use super::*;
use crate::latency::LatencyRecorder;
use crate::metrics::{RunContext, SystemMetrics};
use std::time::Duration;

fn bound(metric: Metric, target: f64, acceptable: Option<f64>, critical: Option<f64>) -> Bound {
    Bound { metric, target, acceptable, critical }
}

const EPS: f64 = 1e-9;

#[test]
fn lower_is_better_boundaries() {
    // Caxton p99: < 10 / 50 / 100 ms.
    let b = bound(Metric::LatencyP99Ms, 10.0, Some(50.0), Some(100.0));
    let cases = [
        (0.0, Grade::Met),
        (10.0 - EPS, Grade::Met),
        (10.0, Grade::Met),
        (10.0 + EPS, Grade::Acceptable),
        (50.0, Grade::Acceptable),
        (50.0 + EPS, Grade::Missed),
        (100.0 - EPS, Grade::Missed),
        (100.0, Grade::Critical),
        (1e9, Grade::Critical),
    ];
    for (v, g) in cases {
        assert_eq!(b.grade(Some(v)), g, "value {v}");
    }
    assert_eq!(b.grade(None), Grade::NotMeasured);
    assert_eq!(b.grade(Some(f64::NAN)), Grade::NotMeasured);
}

#[test]
fn higher_is_better_boundaries() {
    // Caxton throughput: 100K / 50K / 10K msg/s.
    let b = bound(Metric::MessagesPerSecond, 100_000.0, Some(50_000.0), Some(10_000.0));
    let cases = [
        (1e9, Grade::Met),
        (100_000.0, Grade::Met),
        (100_000.0 - EPS, Grade::Acceptable),
        (50_000.0, Grade::Acceptable),
        (50_000.0 - EPS, Grade::Missed),
        (10_000.0 + EPS, Grade::Missed),
        (10_000.0, Grade::Critical),
        (0.0, Grade::Critical),
    ];
    for (v, g) in cases {
        assert_eq!(b.grade(Some(v)), g, "value {v}");
    }
}

#[test]
fn partial_tiers() {
    // MEZAN error rate: < 1 % target, > 5 % critical, no acceptable bound.
    let b = bound(Metric::ErrorRatePercent, 1.0, None, Some(5.0));
    assert_eq!(b.grade(Some(1.0)), Grade::Met);
    assert_eq!(b.grade(Some(1.0 + EPS)), Grade::Missed);
    assert_eq!(b.grade(Some(5.0 - EPS)), Grade::Missed);
    assert_eq!(b.grade(Some(5.0)), Grade::Critical);
    // ollama CPU ≤ 80 %: target only.
    let b = bound(Metric::CpuAvgPercent, 80.0, None, None);
    assert_eq!(b.grade(Some(80.0)), Grade::Met);
    assert_eq!(b.grade(Some(99.0)), Grade::Missed);
}

#[test]
fn verdict_is_the_worst_measured_grade() {
    use Grade::*;
    assert_eq!(verdict_of([]), Verdict::NoData);
    assert_eq!(verdict_of([NotMeasured]), Verdict::NoData);
    assert_eq!(verdict_of([Met, Acceptable, NotMeasured]), Verdict::Pass);
    assert_eq!(verdict_of([Met, Missed]), Verdict::Warn);
    assert_eq!(verdict_of([Critical, Missed, Met]), Verdict::Fail);
}

#[test]
fn defaults_carry_the_seed_tables() {
    let t = Targets::defaults();
    let names: Vec<_> = t.sets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["caxton", "orchestrator", "mezan", "ollama", "consensus", "consensus_1n", "consensus_3n", "consensus_5n"]
    );
    let find = |set: &str, m: Metric| {
        *t.sets.iter().find(|s| s.name == set).unwrap().bounds.iter().find(|b| b.metric == m).unwrap()
    };
    assert_eq!(find("caxton", Metric::MessagesPerSecond), bound(Metric::MessagesPerSecond, 1e5, Some(5e4), Some(1e4)));
    assert_eq!(find("caxton", Metric::RecoveryTimeS), bound(Metric::RecoveryTimeS, 30.0, Some(120.0), Some(300.0)));
    assert_eq!(find("mezan", Metric::ErrorRatePercent), bound(Metric::ErrorRatePercent, 1.0, None, Some(5.0)));
    assert_eq!(find("ollama", Metric::MemoryPeakMb), bound(Metric::MemoryPeakMb, 2048.0, None, None));
    assert_eq!(find("consensus", Metric::LatencyP95Ms), bound(Metric::LatencyP95Ms, 120.8, Some(200.0), Some(1000.0)));
    assert_eq!(
        find("consensus_3n", Metric::RequestsPerSecond),
        bound(Metric::RequestsPerSecond, 630.0, Some(250.0), None)
    );
    assert_eq!(t.sets[0].bounds.len(), 7);
    // noisegate's own orchestrator goals: 4 KiB per idle agent, 3 µs spawn, 100 µs p99.
    assert_eq!(find("orchestrator", Metric::MemoryPerAgentMb).target, 4.0 / 1024.0);
    assert_eq!(find("orchestrator", Metric::AgentSpawnMs).target, 0.003);
    assert_eq!(find("orchestrator", Metric::LatencyP99Ms).target, 0.1);
}

#[test]
fn evaluates_a_system_metrics() {
    let mut m = SystemMetrics::new("t", RunContext::detect("x", "0", Duration::from_secs(1), Duration::ZERO));
    let mut rec = LatencyRecorder::new();
    for _ in 0..100 {
        rec.record(Duration::from_micros(700)); // p50 0.7 ms: caxton met
    }
    m.latency = Some(rec.summary());
    m.throughput.messages_per_second = Some(20_000.0); // caxton missed
    let e = Targets::defaults().evaluate(&m);
    let grade =
        |set: &str, metric: Metric| e.graded.iter().find(|g| g.set == set && g.bound.metric == metric).unwrap().grade;
    assert_eq!(grade("caxton", Metric::LatencyP50Ms), Grade::Met);
    assert_eq!(grade("caxton", Metric::MessagesPerSecond), Grade::Missed);
    assert_eq!(grade("caxton", Metric::AgentSpawnMs), Grade::NotMeasured);
    assert_eq!(e.verdict, Verdict::Warn);
    let only_ollama = Targets::defaults().evaluate_sets(&m, |s| s == "ollama");
    assert!(only_ollama.graded.iter().all(|g| g.set == "ollama"));
    assert_eq!(only_ollama.verdict, Verdict::Pass);
    let text = e.to_string();
    assert!(text.contains("✗ messages_per_second: 20000 msg/s (caxton target ≥ 100000 msg/s) — missed"), "{text}");
}

fn err(toml: &str) -> String {
    Targets::from_toml_str(toml, Path::new("cfg/noisegate.toml")).unwrap_err().to_string()
}

#[test]
fn config_errors_name_file_key_and_fix() {
    let cases: &[(&str, &[&str])] = &[
        (
            "[targets.a]\nlatency_p42_ms = { target = 1 }",
            &["cfg/noisegate.toml", "targets.a.latency_p42_ms", "unknown metric", "latency_p99_ms"],
        ),
        (
            "[targets.a]\nlatency_p50_ms = { target = 5, acceptable = 1 }",
            &["targets.a.latency_p50_ms", "wrong order", "lower-is-better", "target < acceptable < critical"],
        ),
        (
            "[targets.a]\nmessages_per_second = { target = 10, critical = 100 }",
            &["targets.a.messages_per_second", "wrong order", "target > acceptable > critical"],
        ),
        (
            "[targets.a]\nlatency_p50_ms = { target = 1, acceptable = 5, critical = 5 }",
            &["critical = 5 must be worse than acceptable = 5"],
        ),
        (
            "[targets.a]\nlatency_p50_ms = { target = \"5ms\" }",
            &["targets.a.latency_p50_ms.target", "expected a number in ms", "the string \"5ms\""],
        ),
        ("[targets.a]\nlatency_p50_ms = { target = nan }", &["targets.a.latency_p50_ms.target", "finite"]),
        ("[targets.a]\nlatency_p50_ms = { acceptable = 5 }", &["targets.a.latency_p50_ms", "missing `target`"]),
        (
            "[targets.a]\nlatency_p50_ms = { target = 1, direction = \"higher\" }",
            &["targets.a.latency_p50_ms.direction", "lower-is-better by definition"],
        ),
        (
            "[targets.a]\nlatency_p50_ms = { target = 1, direction = 3 }",
            &["direction", "expected \"higher\" or \"lower\""],
        ),
        (
            "[targets.a]\nlatency_p50_ms = { target = 1, ceiling = 3 }",
            &["targets.a.latency_p50_ms.ceiling", "unknown field"],
        ),
        ("[targets.a]\nlatency_p50_ms = 5", &["targets.a.latency_p50_ms", "expected a table, found the integer 5"]),
        ("[targets.a]\nsource = 1", &["targets.a.source", "expected a string"]),
        (
            "[targets.a]\napplies_to = \"consensus/\"",
            &["targets.a.applies_to", "non-empty list of scenario-id prefixes"],
        ),
        ("[targets.a]\napplies_to = []", &["targets.a.applies_to", "non-empty list"]),
        ("[targets.a]\nlatency_p50_ms = { target = -1 }", &["targets.a.latency_p50_ms.target", "-1", "never negative"]),
        ("targets = 3", &["`targets`", "expected a table"]),
        ("[gaet]\nx = 1", &["`gaet`", "unknown section"]),
        ("[targets.a\n", &["cfg/noisegate.toml", "not valid TOML"]),
    ];
    for (toml, needles) in cases {
        let msg = err(toml);
        for n in *needles {
            assert!(msg.contains(n), "config {toml:?}: message {msg:?} lacks {n:?}");
        }
    }
}

#[test]
fn direction_matching_the_catalogue_is_accepted() {
    let t =
        Targets::from_toml_str("[targets.a]\nlatency_p50_ms = { target = 1.5, direction = \"lower\" }", Path::new("x"))
            .unwrap();
    assert_eq!(t.sets[0].bounds[0].target, 1.5);
    assert_eq!(t.origin.as_deref(), Some(Path::new("x")));
}

#[test]
fn explicit_missing_file_is_an_error_and_discovery_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let msg = Targets::load(&missing).unwrap_err().to_string();
    assert!(msg.contains("nope.toml") && msg.contains("cannot read"), "{msg}");
    // No noisegate.toml in the temp dir or its ancestors: the defaults apply.
    let nested = dir.path().join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    if std::env::var_os("NOISEGATE_CONFIG").is_none() && !Path::new("/tmp/noisegate.toml").exists() {
        assert_eq!(Targets::discover(&nested).unwrap(), Targets::defaults());
    }
    std::fs::write(dir.path().join(CONFIG_FILE), "[targets.mine]\nlatency_p99_ms = { target = 2 }\n").unwrap();
    let found = Targets::discover(&nested).unwrap();
    assert_eq!(found.sets[0].name, "mine");
    assert_eq!(found.origin, Some(dir.path().join(CONFIG_FILE)));
}

#[test]
fn a_set_for_one_workload_grades_only_its_runs() {
    let t = Targets::from_toml_str(
        "[targets.all]\nlatency_p99_ms = { target = 10 }\n[targets.raft]\napplies_to = [\"consensus/\"]\nrequests_per_second = { target = 1000 }\n",
        Path::new("noisegate.toml"),
    )
    .unwrap();
    let sets = |name: &str| -> Vec<String> {
        let m = SystemMetrics::new(name, crate::run_context!(std::time::Duration::ZERO, std::time::Duration::ZERO));
        t.evaluate(&m).graded.into_iter().map(|g| g.set).collect()
    };
    assert_eq!(sets("consensus/inproc/3n/open_loop_50pct"), ["all", "raft"]);
    assert_eq!(sets("load/sustained"), ["all"]);
}
