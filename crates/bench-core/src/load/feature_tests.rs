//! Tests of warm-up/cool-down, mixes, the closed loop, the timeline and config errors — all on
//! tokio's paused clock with exact, analytic answers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::tests::paused_config;
use super::*;
use crate::metrics::{ErrorKind, TimelinePoint};

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn sleeper(d: Duration) -> Arc<impl Target> {
    Arc::new(from_fn(move |_req: Request| async move {
        tokio::time::sleep(d).await;
        Ok(())
    }))
}

#[tokio::test(start_paused = true)]
async fn warmup_and_cooldown_are_sent_but_not_measured() {
    // 100 req/s for 10 s; the target is slow (5 ms) during the first 2 s, then takes 1 ms.
    // Warm-up 2 s and cool-down 1 s leave the 700 requests intended in [2 s, 9 s) measured.
    let target = Arc::new(from_fn(|req: Request| async move {
        let ms = if req.intended < Duration::from_secs(2) { 5 } else { 1 };
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(())
    }));
    let config = LoadConfig { warmup: secs(2.0), cooldown: secs(1.0), ..paused_config() };
    let report = run(&RateSchedule::constant(100.0, secs(10.0)), &config, target).await.unwrap();
    assert_eq!(report.health.issued, 1_000, "warm-up and cool-down requests are sent");
    assert_eq!(report.errors.total, 700);
    assert_eq!((report.excluded.warmup.total, report.excluded.cooldown.total), (200, 100));
    assert_eq!(report.latency.len(), 700);
    let h = report.latency.histogram();
    assert!(h.equivalent(report.latency.summary().max_ns.0, 1_000_000), "the slow warm-up is not in the figures");
    assert_eq!(report.measured, secs(7.0));
    assert_eq!(report.requests_per_second(), 100.0);
    assert_eq!(report.peak_requests_per_second(), Some(100.0));

    // The timeline shows the whole run, aligned on the end of the warm-up, phases labelled.
    let pts = &report.timeline.points;
    let t: Vec<f64> = pts.iter().map(|p| p.t_s).collect();
    assert_eq!(t, [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
    let phase = |p: &TimelinePoint| p.phase.clone();
    assert_eq!(phase(&pts[0]).as_deref(), Some("warmup"));
    assert_eq!(phase(&pts[2]), None);
    assert_eq!(phase(&pts[9]).as_deref(), Some("cooldown"));
    assert!(pts.iter().all(|p| p.completed_per_s == 100.0 && p.offered_per_s == Some(100.0)));
    let p99 = |p: &TimelinePoint| p.latency_p99_ms.unwrap();
    assert!((p99(&pts[0]) - 5.0).abs() < 0.01 && (p99(&pts[5]) - 1.0).abs() < 0.01);
    assert!(!analysis::is_measured(&pts[1]));
    assert_eq!(pts.iter().filter(|p| analysis::is_measured(p)).count(), 7);
}

#[tokio::test(start_paused = true)]
async fn mixed_workload_follows_the_weights_and_attributes_latency_per_operation() {
    // read 1 ms, write 5 ms, compute 20 ms and always fails: each op's figures must be its own.
    let mix = Mix::new([("read", 70), ("write", 20), ("compute", 10)]).unwrap();
    let wrong_op = Arc::new(AtomicU64::new(0));
    let (m, w) = (mix.clone(), wrong_op.clone());
    let target = Arc::new(from_fn(move |req: Request| {
        if req.op != m.op_for(req.seq) {
            w.fetch_add(1, Ordering::Relaxed);
        }
        async move {
            let (ms, outcome) = [(1, Ok(())), (5, Ok(())), (20, Err(ErrorKind::Failed))][req.op];
            tokio::time::sleep(Duration::from_millis(ms)).await;
            outcome
        }
    }));
    let config = LoadConfig { mix: Some(mix), workers: Some(2), ..paused_config() };
    let report = run(&RateSchedule::constant(1_000.0, secs(1.0)), &config, target).await.unwrap();
    assert_eq!(wrong_op.load(Ordering::Relaxed), 0, "every request carries its mix operation");
    let ops = report.operation_summaries();
    let rows: Vec<(&str, u64, f64, u64)> =
        ops.iter().map(|o| (o.name.as_str(), o.requests, o.measured_percent, o.errors.failed())).collect();
    assert_eq!(rows, [("read", 700, 70.0, 0), ("write", 200, 20.0, 0), ("compute", 100, 10.0, 100)]);
    let h = report.latency.histogram();
    for (o, ms) in ops.iter().zip([1u64, 5, 20]) {
        assert!(h.equivalent(o.latency.min_ns.0, ms * 1_000_000), "{}: {:?}", o.name, o.latency);
        assert!(h.equivalent(o.latency.max_ns.0, ms * 1_000_000), "{}: {:?}", o.name, o.latency);
        assert_eq!(o.configured_percent, o.measured_percent);
    }
    assert_eq!(report.errors.count(ErrorKind::Failed), 100);
}

#[tokio::test(start_paused = true)]
async fn hashed_mix_uses_the_injected_seed() {
    let mix = Mix::new([("a", 3), ("b", 1)]).unwrap().with_order(MixOrder::Hashed { seed: 7 });
    let expected_a = (0..400u64).filter(|&k| mix.op_for(k) == 0).count() as u64;
    let config = LoadConfig { mix: Some(mix), ..paused_config() };
    let target = Arc::new(from_fn(|_req: Request| async { Ok(()) }));
    let report = run(&RateSchedule::constant(400.0, secs(1.0)), &config, target).await.unwrap();
    assert_eq!(report.operations[0].errors.total, expected_a);
    assert_eq!(report.operations[1].errors.total, 400 - expected_a);
}

#[tokio::test(start_paused = true)]
async fn closed_loop_throughput_is_workers_over_cycle_time() {
    // Each request takes 10 ms: N workers complete N × 100 requests in 1 s, at N × 100 req/s;
    // with 10 ms think time the cycle is 20 ms and it halves.
    for workers in [1usize, 10, 50, 100, 500] {
        for (think_ms, per_worker) in [(0u64, 100u64), (10, 50)] {
            let closed = ClosedLoop {
                think_time: Duration::from_millis(think_ms),
                ..ClosedLoop::new(workers, Duration::from_secs(1))
            };
            let report = run_closed(&closed, &paused_config(), sleeper(Duration::from_millis(10))).await.unwrap();
            let n = workers as u64 * per_worker;
            assert_eq!(report.errors.total, n, "{workers} workers, think {think_ms} ms");
            assert_eq!(report.requests_per_second(), n as f64);
            let l = report.latency.summary();
            assert!(report.latency.histogram().equivalent(l.p99_ns.0, 10_000_000), "{l:?}");
            assert!(report.corrected_latency.is_none(), "no pacing, no corrected view");
            assert_eq!(report.health.workers, workers);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn unpaced_closed_loop_offers_the_corrected_view_for_its_intended_interval() {
    // One worker meant to send every 1 ms, but each answer takes 10 ms: 100 requests in 1 s.
    // Each sample of 10 ms back-fills 9 ms, 8 ms, … 1 ms: 100 samples each of 1 … 10 ms.
    let closed = ClosedLoop { expected_interval: Some(Duration::from_millis(1)), ..ClosedLoop::new(1, secs(1.0)) };
    let report = run_closed(&closed, &paused_config(), sleeper(Duration::from_millis(10))).await.unwrap();
    assert_eq!((report.errors.total, report.skipped_sends), (100, 0), "not paced: nothing skipped");
    let c = report.corrected_latency.as_ref().unwrap();
    let h = c.histogram();
    assert_eq!(c.len(), 1_000);
    assert!(h.equivalent(c.value_at_quantile(0.5).0, 5_000_000), "{}", c.value_at_quantile(0.5).0);
    assert!(h.equivalent(c.value_at_quantile(0.1).0, 1_000_000));
    assert!(h.equivalent(report.latency.value_at_quantile(0.1).0, 10_000_000), "naive: all 10 ms");
}

#[tokio::test(start_paused = true)]
async fn closed_loop_request_cap_is_split_over_workers() {
    let closed = ClosedLoop { max_requests: Some(10), ..ClosedLoop::new(3, Duration::from_secs(60)) };
    let report = run_closed(&closed, &paused_config(), sleeper(Duration::from_millis(1))).await.unwrap();
    assert_eq!(report.errors.total, 10);
}

#[tokio::test(start_paused = true)]
async fn closed_loop_hang_becomes_a_timeout_at_the_drain_deadline() {
    let config = LoadConfig { drain_timeout: secs(1.0), ..paused_config() };
    let report =
        run_closed(&ClosedLoop::new(2, secs(1.0)), &config, sleeper(Duration::from_secs(3_600))).await.unwrap();
    assert_eq!(report.errors.count(ErrorKind::Timeout), 2);
    assert_eq!(report.health.unfinished, 2);
}

#[tokio::test(start_paused = true)]
async fn bursts_are_labelled_and_summarised_by_phase() {
    let schedule = RateSchedule::Bursts {
        base_rate: 10.0,
        burst_rate: 100.0,
        burst_len: secs(1.0),
        period: secs(3.0),
        duration: secs(7.0),
        first_burst_at: secs(1.0),
    };
    let target = Arc::new(from_fn(|_req: Request| async { Ok(()) }));
    let report = run(&schedule, &paused_config(), target).await.unwrap();
    let phases: Vec<(&str, u64)> = report.phases.iter().map(|p| (p.name.as_str(), p.errors.total)).collect();
    // Bursts at 1–2 s and 4–5 s: 2 × 100; base the other 5 s: 50.
    assert_eq!(phases, [("burst", 200), ("base", 50)]);
    let labels: Vec<Option<&str>> = report.timeline.points.iter().map(|p| p.phase.as_deref()).collect();
    assert_eq!(
        labels,
        [Some("base"), Some("burst 1"), Some("base"), Some("base"), Some("burst 2"), Some("base"), Some("base")]
    );
}

#[tokio::test(start_paused = true)]
async fn bad_configs_name_the_field_the_value_and_the_fix() {
    let target = Arc::new(from_fn(|_req: Request| async { Ok(()) }));
    let ten = RateSchedule::constant(10.0, secs(10.0));
    let cases: Vec<(LoadConfig, &[&str])> = vec![
        (
            LoadConfig { warmup: secs(12.0), ..paused_config() },
            &["`warmup` = 12s", "leaves nothing to measure in a 10s run", "shorten them or lengthen the run"],
        ),
        (LoadConfig { warmup: secs(6.0), cooldown: secs(4.0), ..paused_config() }, &["warm-up + cool-down = 10s"]),
        (LoadConfig { interval: Duration::ZERO, ..paused_config() }, &["`interval` = 0s", "e.g. 1s"]),
    ];
    for (config, needles) in cases {
        let msg = run(&ten, &config, target.clone()).await.unwrap_err().to_string();
        for n in needles {
            assert!(msg.contains(n), "{msg:?} lacks {n:?}");
        }
    }
    let closed_cases: [(ClosedLoop, &str); 5] = [
        (
            ClosedLoop { expected_interval: Some(Duration::ZERO), ..ClosedLoop::new(1, secs(1.0)) },
            "`closed.expected_interval` = 0s",
        ),
        (ClosedLoop::new(0, secs(1.0)), "`closed.workers` = 0"),
        (ClosedLoop::new(1, Duration::ZERO), "`closed.duration` = 0s"),
        (ClosedLoop { pacing: Some(Duration::ZERO), ..ClosedLoop::new(1, secs(1.0)) }, "`closed.pacing` = 0s"),
        (ClosedLoop { max_requests: Some(0), ..ClosedLoop::new(1, secs(1.0)) }, "`closed.max_requests` = 0"),
    ];
    for (closed, needle) in closed_cases {
        let msg = run_closed(&closed, &paused_config(), target.clone()).await.unwrap_err().to_string();
        assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
    }
    let msg = run(&RateSchedule::constant(f64::NAN, secs(1.0)), &paused_config(), target).await.unwrap_err();
    assert!(msg.to_string().contains("constant rate NaN req/s is invalid"), "{msg}");
}

#[test]
fn timeline_joins_resource_samples_by_interval() {
    // Samples at 0.1 s … 2.0 s: RSS 100 MiB + 1 MiB per sample, CPU 10 % in the first second and
    // 30 % in the second.
    let series: Vec<serde_json::Value> = (1..=20)
        .map(|i| {
            serde_json::json!({
                "at_ms": i as f64 * 100.0,
                "cpu": { "cores": 0.0, "percent_of_machine": if i <= 10 { 10.0 } else { 30.0 } },
                "rss_bytes": (100 + i) * 1024 * 1024,
            })
        })
        .collect();
    let report: crate::resource::ResourceReport = serde_json::from_value(serde_json::json!({
        "summary": { "duration_s": 2.0, "samples": 20, "logical_cpus": 2 },
        "series": series,
    }))
    .unwrap();
    let grid = intervals::Grid { origin: Duration::ZERO, interval: secs(1.0) };
    let agg = intervals::TimelineAgg::new(grid, 1);
    let t = agg.build(&intervals::BuildContext {
        name: "x",
        clock: crate::metrics::ClockKind::WallClock,
        schedule: None,
        warmup_end: Duration::ZERO,
        cooldown_start: secs(2.0),
        schedule_end: secs(2.0),
        end: secs(2.0),
        resources: Some(&report),
    });
    let rows: Vec<(Option<f64>, Option<f64>)> = t.points.iter().map(|p| (p.cpu_percent, p.rss_mb)).collect();
    assert_eq!(rows, [(Some(10.0), Some(110.0)), (Some(30.0), Some(120.0))]);
    assert!(t.points.iter().all(|p| p.completed_per_s == 0.0 && p.latency_p99_ms.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wall_clock_run_with_progress_lines_and_resources_finishes() {
    // Counts only (no timing assertion): the reporter thread and sampler start and stop cleanly.
    let config = LoadConfig {
        progress: Progress::Plain { every: Duration::from_millis(100) },
        sample_resources: true,
        interval: Duration::from_millis(100),
        ..LoadConfig::default()
    };
    let target = Arc::new(from_fn(|_req: Request| async { Ok(()) }));
    let report = run(&RateSchedule::constant(1_000.0, Duration::from_millis(300)), &config, target).await.unwrap();
    assert_eq!(report.errors.total, 300);
    assert!(report.resources.is_some());
    assert!(report.timeline.points.len() >= 3);
}
