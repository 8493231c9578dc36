//! The run report's rules: each fires on its own evidence, and only there.

use super::tests::*;
use super::*;
use crate::load::GeneratorHealth;
use crate::metrics::{ClockKind, ErrorKind, HostInfo, TimelinePoint};
use crate::units::Nanos;

#[test]
fn high_memory_needs_this_machine_and_a_matching_host() {
    let (m, t) = sustained("load/mem");
    let host = m.context.host.clone();
    let status = |tm: Option<ThisMachine>| {
        let r = analyse(vec![input(m.clone(), Some(t.clone()), None)], tm);
        r.scenarios[0].rules.iter().find(|(r, _)| *r == Rule::HighMemory).unwrap().1.clone()
    };
    assert!(matches!(status(None), RuleStatus::NotEvaluated(_)));
    // 160 MiB of a 180 MiB machine is above 85 % from t = 106 s: 15 s, short of 30 s.
    assert_eq!(status(Some(ThisMachine { host: host.clone(), memory_mb: 180.0 })), RuleStatus::Clear);
    // Of a 150 MiB machine: above 127.5 MiB from t = 56 s, 65 s.
    assert!(matches!(status(Some(ThisMachine { host: host.clone(), memory_mb: 150.0 })), RuleStatus::Fired(_)));
    let other = HostInfo { cpu_model: "other".into(), ..host };
    assert!(matches!(status(Some(ThisMachine { host: other, memory_mb: 150.0 })), RuleStatus::NotEvaluated(_)));
}

fn status_of(m: &SystemMetrics, t: Option<&Timeline>, rule: Rule) -> RuleStatus {
    rules::check(m, t, &RuleSettings::default()).into_iter().find(|(r, _)| *r == rule).unwrap().1
}

fn steady(n: u32) -> Timeline {
    let mut t = Timeline::new("s", 1.0, ClockKind::WallClock);
    for i in 1..=n {
        t.points.push(TimelinePoint {
            t_s: f64::from(i),
            offered_per_s: Some(100.0),
            completed_per_s: 100.0,
            latency_p50_ms: Some(1.0),
            latency_p99_ms: Some(5.0),
            latency_max_ms: Some(9.0),
            rss_mb: Some(50.0 + f64::from(i % 3)),
            cpu_percent: Some(30.0),
            ..Default::default()
        });
    }
    t
}

#[test]
fn warm_up_and_cool_down_points_are_left_out() {
    let m = SystemMetrics::new("s", context(120.0));
    let mut t = steady(120);
    // A warm-up at full CPU with huge RSS, and a cool-down with no completions: neither counts.
    let mut warm: Vec<TimelinePoint> = (-59..=0)
        .map(|i| TimelinePoint {
            t_s: f64::from(i),
            cpu_percent: Some(99.0),
            rss_mb: Some(900.0),
            phase: Some("warmup".into()),
            ..t.points[0].clone()
        })
        .collect();
    warm.append(&mut t.points);
    t.points = warm;
    for p in t.points.iter_mut().rev().take(70) {
        p.phase = Some("cooldown".into());
        p.completed_per_s = 0.0;
    }
    for rule in [Rule::CpuBound, Rule::MemoryGrowth, Rule::LowThroughput, Rule::Queueing] {
        assert_eq!(status_of(&m, Some(&t), rule), RuleStatus::Clear, "{rule}");
    }
    let r = analyse(vec![input(m, Some(t), None)], None);
    assert_eq!(r.scenarios[0].rates[0].peak, Some(100.0));
}

#[test]
fn a_healthy_run_fires_nothing() {
    let mut m = SystemMetrics::new("s", context(120.0));
    m.latency = Some(lat([0.5, 1.0, 1.2, 2.0, 3.0, 5.0, 8.0, 9.0], 12_000));
    m.resources = Some(resources(30.0, 40.0, 51.0, 52.0, 0.5));
    m.errors.total = 12_000;
    let t = steady(120);
    for (rule, st) in rules::check(&m, Some(&t), &RuleSettings { machine_memory_mb: Some(4096.0) }) {
        assert!(matches!(st, RuleStatus::Clear | RuleStatus::NotEvaluated(_)), "{rule}: {st:?}");
        if rule != Rule::SchedulerLag {
            assert_eq!(st, RuleStatus::Clear, "{rule}");
        }
    }
}

#[test]
fn each_rule_fires_on_its_own_evidence() {
    let m = SystemMetrics::new("s", context(120.0));
    // Low throughput: 70 s of 2/s completed while 100/s were offered.
    let mut t = steady(120);
    for p in &mut t.points[30..100] {
        p.completed_per_s = 2.0;
    }
    assert!(matches!(status_of(&m, Some(&t), Rule::LowThroughput), RuleStatus::Fired(_)));
    // ... 50 s of it is not enough.
    let mut t = steady(120);
    for p in &mut t.points[30..80] {
        p.completed_per_s = 2.0;
    }
    assert_eq!(status_of(&m, Some(&t), Rule::LowThroughput), RuleStatus::Clear);
    // High latency: the interval median above 1 s for 12 s.
    let mut t = steady(120);
    for p in &mut t.points[50..62] {
        p.latency_p50_ms = Some(1500.0);
    }
    assert!(matches!(status_of(&m, Some(&t), Rule::HighLatency), RuleStatus::Fired(_)));
    // Scheduler lag: drops.
    let mut g = m.clone();
    g.generator = Some(GeneratorHealth {
        workers: 1,
        intended: 1000,
        intended_rate: 100.0,
        issued: 990,
        dropped: 10,
        unfinished: 0,
        in_flight_peak: 4,
        achieved_rate: 99.0,
        lag_p99_ns: Nanos(2_000_000),
        saturated: true,
        clock: None,
        busy_wait_s: None,
    });
    let RuleStatus::Fired(f) = status_of(&g, None, Rule::SchedulerLag) else { panic!("scheduler lag did not fire") };
    assert!(f.evidence.iter().any(|e| e.contains("10 requests dropped")), "{f:?}");
    // Error rate without a timeline: 6 % over the run.
    let mut e = m.clone();
    e.errors.total = 1000;
    e.errors.by_kind.insert(ErrorKind::Rejected, 60);
    let RuleStatus::Fired(f) = status_of(&e, None, Rule::ErrorBurst) else { panic!("errors did not fire") };
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.recommendation.contains("Rejections dominate"), "{f:?}");
    // A short burst: 20 errors in 2 of 120 intervals.
    let mut t = steady(120);
    t.points[70].errors = 12;
    t.points[71].errors = 8;
    t.points[10].errors = 1;
    let RuleStatus::Fired(f) = status_of(&m, Some(&t), Rule::ErrorBurst) else { panic!("burst did not fire") };
    assert_eq!(f.severity, Severity::Warning);
    // Memory growth needs a trend, not a step with noise around it.
    let mut t = steady(120);
    for (i, p) in t.points.iter_mut().enumerate() {
        p.rss_mb = Some(if i < 60 { 50.0 } else { 50.3 });
    }
    assert_eq!(status_of(&m, Some(&t), Rule::MemoryGrowth), RuleStatus::Clear);
}
