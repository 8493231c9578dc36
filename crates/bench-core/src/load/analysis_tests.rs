//! Analysis on made-up timelines with known answers.

use std::time::Duration;

use super::*;
use crate::latency::LatencyRecorder;
use crate::metrics::{ClockKind, ErrorStats};

fn point(t_s: f64, completed: f64, p99: Option<f64>, phase: Option<&str>) -> TimelinePoint {
    TimelinePoint {
        t_s,
        completed_per_s: completed,
        latency_p99_ms: p99,
        phase: phase.map(str::to_owned),
        ..TimelinePoint::default()
    }
}

fn timeline(points: Vec<TimelinePoint>) -> Timeline {
    Timeline { points, ..Timeline::new("t", 1.0, ClockKind::Simulated) }
}

#[test]
fn leak_slope_is_the_least_squares_fit_over_the_measured_phase() {
    // +0.05 MiB/s = 3 MiB/min for a minute; a huge warm-up RSS must not enter the fit.
    let mut pts: Vec<TimelinePoint> =
        (-2..=0).map(|t| TimelinePoint { rss_mb: Some(500.0), ..point(t as f64, 0.0, None, Some("warmup")) }).collect();
    pts.extend(
        (1..=60).map(|t| TimelinePoint { rss_mb: Some(100.0 + 0.05 * t as f64), ..point(t as f64, 1.0, None, None) }),
    );
    let leak = leak_check(&timeline(pts), 1.0).unwrap();
    assert!((leak.slope_mib_per_min - 3.0).abs() < 1e-9, "{leak:?}");
    assert!((leak.r_squared - 1.0).abs() < 1e-9);
    assert_eq!((leak.points, leak.window_s), (60, 59.0));
    assert!((leak.rss_first_mb - 100.05).abs() < 1e-9);
    assert!(leak.suspected);

    // Flat with a saw-tooth of ±0.5 MiB: no trend (the fit's slope is 0.05 MiB/min).
    let flat: Vec<TimelinePoint> = (1..=60)
        .map(|t| TimelinePoint {
            rss_mb: Some(100.0 + if t % 2 == 0 { 0.5 } else { -0.5 }),
            ..point(t as f64, 1.0, None, None)
        })
        .collect();
    let leak = leak_check(&timeline(flat), 1.0).unwrap();
    assert!(leak.slope_mib_per_min.abs() < 0.1 && !leak.suspected, "{leak:?}");
    // Without RSS (off Linux, simulated clock) there is nothing to fit.
    assert_eq!(leak_check(&timeline((1..=60).map(|t| point(t as f64, 1.0, None, None)).collect()), 1.0), None);
}

#[test]
fn degradation_compares_first_and_last_segments() {
    let pts =
        (1..=20)
            .map(|t| {
                if t <= 10 {
                    point(t as f64, 1_000.0, Some(1.0), None)
                } else {
                    point(t as f64, 900.0, Some(1.2), None)
                }
            })
            .collect();
    let d = degradation(&timeline(pts), 0.25, 5.0).unwrap();
    assert_eq!(d.segment_points, 5);
    assert_eq!((d.first_completed_per_s, d.last_completed_per_s), (1_000.0, 900.0));
    assert!((d.throughput_change_percent.unwrap() + 10.0).abs() < 1e-9);
    assert!((d.p99_change_percent.unwrap() - 20.0).abs() < 1e-9);
    assert!(d.throughput_degraded && d.latency_degraded);

    let steady = (1..=20).map(|t| point(t as f64, if t <= 10 { 1_000.0 } else { 980.0 }, Some(1.0), None)).collect();
    let d = degradation(&timeline(steady), 0.25, 5.0).unwrap();
    assert!(!d.throughput_degraded && !d.latency_degraded, "{d:?}");
    assert_eq!(degradation(&timeline(vec![point(1.0, 1.0, None, None)]), 0.25, 5.0), None);
}

#[test]
fn recovery_is_timed_from_the_burst_end_to_n_good_intervals() {
    // Bursts over (10, 20] and (30, 35]; base p99 1 ms. After burst 1: 10 ms, 5 ms, then 1.1 ms
    // (within 20 %) from the interval (22, 23] on: recovered 2 s after the burst. After burst 2
    // the p99 stays at 3 ms: not recovered in the 5 s watched.
    let pts = (1..=40)
        .map(|t| {
            let in_burst = (11..=20).contains(&t) || (31..=35).contains(&t);
            let p99 = match t {
                _ if in_burst => 50.0,
                21 => 10.0,
                22 => 5.0,
                23..=30 => 1.1,
                36.. => 3.0,
                _ => 1.0,
            };
            let phase = if in_burst { "burst" } else { "base" };
            point(t as f64, 100.0, Some(p99), Some(phase))
        })
        .collect();
    let t = timeline(pts);
    let base = baseline_p99(&t, 10.0).unwrap();
    assert_eq!(base, 1.0);
    let rule = RecoveryRule { baseline_p99_ms: base, tolerance_percent: 20.0, consecutive: 3 };
    let r = burst_recovery(&t, &[(10.0, 20.0), (30.0, 35.0)], rule);
    assert_eq!(r[0].recovered_after_s, Some(2.0));
    assert_eq!(r[0].peak_p99_ms, Some(50.0));
    assert_eq!(r[0].observed_s, 10.0);
    assert_eq!(r[1].recovered_after_s, None);
    assert_eq!(r[1].observed_s, 5.0);
    // Needing 9 good intervals, burst 1 never recovers before burst 2 starts.
    let strict = RecoveryRule { consecutive: 9, ..rule };
    assert_eq!(burst_recovery(&t, &[(10.0, 20.0), (30.0, 35.0)], strict)[0].recovered_after_s, None);
}

fn step(step: usize, offered: f64, achieved: f64, p99_ms: f64) -> StepResult {
    let mut rec = LatencyRecorder::new();
    rec.record(Duration::from_secs_f64(p99_ms / 1e3));
    StepResult {
        step,
        offered_per_s: offered,
        achieved_per_s: achieved,
        errors: ErrorStats::default(),
        latency: rec.summary(),
    }
}

#[test]
fn knee_is_the_first_step_whose_latency_or_throughput_departs() {
    let steps = [
        step(1, 10.0, 10.0, 1.0),
        step(2, 50.0, 50.0, 1.1),
        step(3, 100.0, 99.0, 1.3),
        step(4, 200.0, 200.0, 5.0),
        step(5, 500.0, 300.0, 50.0),
    ];
    let k = find_knee(&steps, 3.0, 5.0);
    assert_eq!((k.knee_step, k.knee_offered_per_s, k.last_good_offered_per_s), (Some(4), Some(200.0), Some(100.0)));
    assert!(k.reason.as_deref().unwrap().contains("> 3 × 1.000 ms"), "{k:?}");
    assert_eq!(find_knee(&steps, 20.0, 5.0).knee_step, Some(5));
    let k = find_knee(&steps, 100.0, 5.0);
    assert_eq!(k.knee_step, Some(5));
    assert!(k.reason.as_deref().unwrap().contains("40.0 % below the offered 500 req/s"), "{k:?}");
    let k = find_knee(&steps[..3], 3.0, 5.0);
    assert_eq!((k.knee_step, k.last_good_offered_per_s), (None, Some(100.0)));
}
