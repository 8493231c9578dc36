//! Generator tests. Timing-sensitive ones run on tokio's paused clock, where time only moves when
//! every task waits: results are exact and independent of how loaded the machine is.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::metrics::ErrorKind;

pub(super) fn paused_config() -> LoadConfig {
    LoadConfig { spin_below: Duration::ZERO, clock: crate::metrics::ClockKind::Simulated, ..LoadConfig::default() }
}

/// A target that answers at once, except that it freezes for `stall` starting `stall_at` into
/// the run: requests arriving meanwhile complete when the freeze ends.
pub(super) struct Freezing {
    pub start: Instant,
    pub stall_at: Duration,
    pub stall: Duration,
}

impl Target for Freezing {
    async fn call(&self, _req: Request) -> Outcome {
        let now = Instant::now();
        let (from, to) = (self.start + self.stall_at, self.start + self.stall_at + self.stall);
        if now >= from && now < to {
            tokio::time::sleep_until(to).await;
        }
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn coordinated_omission_proof_one_second_stall_in_two_seconds() {
    // 1,000 req/s for 2 s; the target freezes for 1 s from t = 0.5 s. The 1,000 requests intended
    // during the freeze wait until it ends, so request t waits 1.5 − t: latencies 1 ms … 1 s,
    // evenly. The other 1,000 take no time. Exactly: P(L > x) = (D − x)/T for x ≤ D, so the
    // q-quantile is D − (1 − q)·T with D = 1 s, T = 2 s: p75 = 0.5 s, p90 = 0.8 s,
    // p99 = 0.98 s, p99.9 = 0.998 s, max = 1 s.
    let start = Instant::now();
    let target = Arc::new(Freezing { start, stall_at: Duration::from_millis(500), stall: Duration::from_secs(1) });
    let schedule = RateSchedule::constant(1_000.0, Duration::from_secs(2));
    let report = run(&schedule, &paused_config(), target).await.unwrap();

    assert_eq!(report.errors.total, 2_000);
    assert_eq!(report.errors.failed(), 0);
    assert_eq!(report.health.dropped, 0);
    let h = report.latency.histogram();
    let ms = |v: u64| v * 1_000_000;
    for (q, expected_ms) in [(0.75, 500), (0.90, 800), (0.99, 980), (0.999, 998), (1.0, 1_000)] {
        let got = report.latency.value_at_quantile(q).0;
        assert!(h.equivalent(got, ms(expected_ms)), "q={q}: got {got} ns, expected {expected_ms} ms");
    }
    // Half the requests saw no delay at all.
    assert_eq!(report.latency.value_at_quantile(0.5).0, 0);
    // Service time (from actual send) tells the same story here: the generator was on time.
    assert_eq!(report.scheduler_lag.summary().max_ns.0, 0);
    assert!(!report.health.saturated);
    assert!(!report.latency.summary().corrected);
}

#[tokio::test(start_paused = true)]
async fn errors_and_panics_are_counted_by_kind() {
    let target = Arc::new(from_fn(|req: Request| {
        // A panic while making the future is caught as well as one inside it.
        assert!(req.seq != 2, "target bug while starting request 2");
        async move {
            match req.seq % 10 {
                0 => Err(ErrorKind::Rejected),
                1 if req.seq == 1 => panic!("target bug on request 1"),
                _ => Ok(()),
            }
        }
    }));
    let report = run(&RateSchedule::constant(100.0, Duration::from_secs(1)), &paused_config(), target).await.unwrap();
    assert_eq!(report.errors.total, 100);
    assert_eq!(report.errors.count(ErrorKind::Rejected), 10);
    assert_eq!(report.errors.count(ErrorKind::Panicked), 2);
    assert_eq!(report.errors.succeeded(), 88);
    let m = report.to_system_metrics("t", crate::run_context!(report.elapsed, Duration::ZERO));
    assert_eq!(m.errors.error_rate_percent(), Some(12.0));
    assert_eq!(m.context.clock, crate::metrics::ClockKind::Simulated);
    assert!(m.generator.is_some() && m.scheduler_lag.is_some());
}

#[tokio::test(start_paused = true)]
async fn requests_that_cannot_be_issued_in_time_are_dropped_and_reported() {
    // One slot in flight, a target that hangs: every later request waits for a slot, passes its
    // drop deadline and is counted as dropped; the hung one becomes a timeout at the drain.
    let target = Arc::new(from_fn(|_req: Request| async {
        tokio::time::sleep(Duration::from_secs(3_600)).await;
        Ok(())
    }));
    let config = LoadConfig {
        workers: Some(1),
        max_in_flight: 1,
        drop_after: Duration::from_millis(100),
        drain_timeout: Duration::from_secs(1),
        ..paused_config()
    };
    let report = run(&RateSchedule::constant(100.0, Duration::from_secs(1)), &config, target).await.unwrap();
    assert_eq!(report.health.issued, 1);
    assert_eq!(report.health.dropped, 99);
    assert_eq!(report.errors.count(ErrorKind::Dropped), 99);
    assert_eq!(report.errors.count(ErrorKind::Timeout), 1);
    assert_eq!(report.health.unfinished, 1);
    assert_eq!(report.errors.total, 100);
    assert!(report.health.saturated);
    // The timeline counts drops when they happen and the timeout at the drain deadline.
    let dropped: u64 = report.timeline.points.iter().map(|p| p.dropped).sum();
    let errors: u64 = report.timeline.points.iter().map(|p| p.errors).sum();
    assert_eq!((dropped, errors), (99, 1));
}

#[tokio::test(start_paused = true)]
async fn per_request_timeout_counts_timeouts() {
    let target = Arc::new(from_fn(|_req: Request| async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(())
    }));
    let config = LoadConfig { timeout: Some(Duration::from_millis(10)), ..paused_config() };
    let report = run(&RateSchedule::constant(50.0, Duration::from_secs(1)), &config, target).await.unwrap();
    assert_eq!(report.errors.count(ErrorKind::Timeout), 50);
    assert_eq!(report.errors.succeeded(), 0);
}

#[tokio::test(start_paused = true)]
async fn steps_are_followed_and_counted_per_second() {
    let calls = Arc::new(AtomicU64::new(0));
    let c = calls.clone();
    let target = Arc::new(from_fn(move |_req: Request| {
        c.fetch_add(1, Ordering::Relaxed);
        async { Ok(()) }
    }));
    let schedule = RateSchedule::Steps {
        steps: vec![
            Step { rate: 100.0, duration: Duration::from_secs(1) },
            Step { rate: 300.0, duration: Duration::from_secs(1) },
            Step { rate: 200.0, duration: Duration::from_secs(1) },
        ],
    };
    let report = run(&schedule, &paused_config(), target).await.unwrap();
    assert_eq!(calls.load(Ordering::Relaxed), 600);
    assert_eq!(&report.per_second[..3], &[100, 300, 200]);
    assert_eq!(report.peak_requests_per_second(), Some(300.0));
    // Per phase: every step's requests, by intended start.
    let phases: Vec<(&str, u64)> = report.phases.iter().map(|p| (p.name.as_str(), p.errors.total)).collect();
    assert_eq!(phases, [("step 1", 100), ("step 2", 300), ("step 3", 200)]);
    // The timeline: one point per second, offered and completed rates, labelled steps.
    let t = &report.timeline;
    assert_eq!(t.clock, crate::metrics::ClockKind::Simulated);
    let rows: Vec<(f64, Option<f64>, f64, Option<&str>)> =
        t.points.iter().map(|p| (p.t_s, p.offered_per_s, p.completed_per_s, p.phase.as_deref())).collect();
    assert_eq!(
        rows,
        [
            (1.0, Some(100.0), 100.0, Some("step 1 (100 req/s)")),
            (2.0, Some(300.0), 300.0, Some("step 2 (300 req/s)")),
            (3.0, Some(200.0), 200.0, Some("step 3 (200 req/s)")),
        ]
    );
    // (Sub-millisecond latencies: tokio's timer wakes on whole milliseconds, even when paused.)
    assert!(t.points.iter().all(|p| p.latency_p99_ms.is_some_and(|v| v < 1.0)), "{t:?}");
    assert!(t.points.iter().all(|p| p.rss_mb.is_none() && p.cpu_percent.is_none()), "not sampled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_clock_run_issues_every_request() {
    // Counts only: no timing assertion, so a loaded machine cannot fail it.
    let target = Arc::new(from_fn(|_req: Request| async { Ok(()) }));
    let started = std::time::Instant::now();
    let report = run(&RateSchedule::constant(2_000.0, Duration::from_millis(200)), &LoadConfig::default(), target)
        .await
        .unwrap();
    let took = started.elapsed().as_secs_f64();
    // 2,000 req/s needs one worker.
    assert_eq!(report.health.workers, 1);
    assert_eq!(report.health.intended, 400);
    assert_eq!(report.errors.total, 400);
    assert_eq!(report.latency.len() + report.health.dropped, 400);
    // 0.5 ms gaps are below `spin_below` (1 ms): the worker busy-waits, and says for how long.
    let spun = report.health.busy_wait_s.expect("an open loop reports its busy-wait");
    assert!(spun > 0.0 && spun <= took, "busy-wait {spun} s in a run of {took} s");
    assert!(report.health.clock.is_some());
}

#[tokio::test(start_paused = true)]
async fn a_closed_loop_has_no_busy_wait_figure_and_a_sleeping_open_loop_none_spent() {
    let target = Arc::new(from_fn(|_req: Request| async { Ok(()) }));
    let closed = ClosedLoop { max_requests: Some(10), ..ClosedLoop::new(1, Duration::from_secs(1)) };
    let config = LoadConfig { clock: crate::metrics::ClockKind::Simulated, ..LoadConfig::default() };
    let target2 = Arc::new(from_fn(|_req: Request| async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok(())
    }));
    let report = run_closed(&closed, &config, target2).await.unwrap();
    assert_eq!(report.health.busy_wait_s, None);
    // With `spin_below` zero every wait is a sleep on the timer: nothing is spent spinning.
    let report = run(&RateSchedule::constant(100.0, Duration::from_secs(1)), &paused_config(), target).await.unwrap();
    assert_eq!(report.health.busy_wait_s, Some(0.0));
}

#[test]
fn outside_a_runtime_is_a_clear_error() {
    let target = Arc::new(from_fn(|_req: Request| async { Ok(()) }));
    let schedule = RateSchedule::constant(10.0, Duration::from_secs(1));
    let config = LoadConfig::default();
    let mut fut = std::pin::pin!(run(&schedule, &config, target));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(Err(e @ LoadError::NoRuntime)) => assert!(e.to_string().contains("tokio runtime")),
        other => panic!("expected NoRuntime, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_stall_is_under_reported_closed_loop_and_reported_right_open_loop() {
    // The stall of the test above (1 s from t = 0.5 s in a 2 s run, 1,000 requests/s intended).
    let stall =
        |start| Arc::new(Freezing { start, stall_at: Duration::from_millis(500), stall: Duration::from_secs(1) });
    let ms = |v: u64| v * 1_000_000;
    let open = run(&RateSchedule::constant(1_000.0, Duration::from_secs(2)), &paused_config(), stall(Instant::now()))
        .await
        .unwrap();

    // One closed-loop worker paced at 1 ms: 500 requests before the stall, one that waits 1 s,
    // 500 after it; the 999 slots it could not use are skipped, not sent.
    let closed = ClosedLoop { pacing: Some(Duration::from_millis(1)), ..ClosedLoop::new(1, Duration::from_secs(2)) };
    let report = run_closed(&closed, &paused_config(), stall(Instant::now())).await.unwrap();
    assert_eq!(report.errors.total, 1_001);
    assert_eq!(report.skipped_sends, 999);
    assert_eq!(report.health.intended, 2_000);
    // Naive: 1,000 instant answers and one of 1 s — p99 and p99.9 say "no delay at all".
    let naive = report.latency.summary();
    assert_eq!((naive.count, naive.p99_ns.0, naive.p999_ns.0), (1_001, 0, 0));
    assert!(report.latency.histogram().equivalent(naive.max_ns.0, ms(1_000)));
    assert!(!naive.corrected && naive.label_suffix().is_empty());
    // Open loop: p99 = D − (1 − q)·T = 980 ms (see above).
    let h = open.latency.histogram();
    assert!(h.equivalent(open.latency.value_at_quantile(0.99).0, ms(980)));
    // Corrected: the 999 back-filled samples (999 ms … 1 ms) rebuild the open-loop distribution.
    let corrected = report.corrected_latency.as_ref().expect("paced closed loops carry the corrected view");
    let c = corrected.summary();
    assert_eq!(c.count, 2_000);
    assert!(c.corrected && c.label_suffix() == " (corrected)");
    for (q, expected_ms) in [(0.75, 500), (0.90, 800), (0.99, 980), (0.999, 998), (1.0, 1_000)] {
        let (got, open_got) = (corrected.value_at_quantile(q).0, open.latency.value_at_quantile(q).0);
        assert!(h.equivalent(got, ms(expected_ms)), "corrected q={q}: {got} ns, expected {expected_ms} ms");
        assert!(h.equivalent(got, open_got), "corrected q={q}: {got} ns vs open loop {open_got} ns");
    }
    assert!(matches!(report.mode, LoadMode::Closed(_)));
}

#[tokio::test]
async fn bad_schedule_and_config_are_errors() {
    let target = Arc::new(from_fn(|_req: Request| async { Ok(()) }));
    let e = run(&RateSchedule::constant(-1.0, Duration::from_secs(1)), &LoadConfig::default(), target.clone()).await;
    assert!(matches!(e, Err(LoadError::Schedule(_))));
    let config = LoadConfig { workers: Some(4), max_in_flight: 2, ..LoadConfig::default() };
    let e = run(&RateSchedule::constant(1.0, Duration::from_secs(1)), &config, target).await.unwrap_err();
    assert!(e.to_string().contains("max_in_flight"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn in_flight_requests_do_not_share_the_workers_coop_budget() {
    // Regression: a worker polls all its in-flight requests inside its one task. Sharing that
    // task's cooperative budget (128 operations per poll) made a backlog spin: most polls found
    // the budget spent, returned Pending and re-woke, and completions collapsed.
    let starved = Arc::new(AtomicU64::new(0));
    let seen = starved.clone();
    let target = Arc::new(from_fn(move |_req: Request| {
        let seen = seen.clone();
        async move {
            for _ in 0..8 {
                if !tokio::task::coop::has_budget_remaining() {
                    seen.fetch_add(1, Ordering::Relaxed);
                }
                tokio::task::coop::consume_budget().await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(())
        }
    }));
    // 2,000 requests due within 10 ms, on a clock that wakes the worker once per millisecond:
    // each wake issues batches of them and polls them in the same task poll.
    let config = LoadConfig { workers: Some(1), ..paused_config() };
    let report = run(&RateSchedule::constant(200_000.0, Duration::from_millis(10)), &config, target).await.unwrap();
    assert_eq!(report.errors.total, 2_000);
    assert_eq!(report.errors.failed(), 0);
    assert_eq!(starved.load(Ordering::Relaxed), 0, "a request ran out of the worker task's budget");
}
