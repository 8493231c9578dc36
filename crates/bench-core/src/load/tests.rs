//! Generator tests. Timing-sensitive ones run on tokio's paused clock, where time only moves when
//! every task waits: results are exact and independent of how loaded the machine is.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::metrics::ErrorKind;

fn paused_config() -> LoadConfig {
    LoadConfig { spin_below: Duration::ZERO, ..LoadConfig::default() }
}

/// A target that answers at once, except that it freezes for `stall` starting `stall_at` into
/// the run: requests arriving meanwhile complete when the freeze ends.
struct Freezing {
    start: Instant,
    stall_at: Duration,
    stall: Duration,
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
    let target = Arc::new(from_fn(|req: Request| async move {
        match req.seq % 10 {
            0 => Err(ErrorKind::Rejected),
            1 if req.seq == 1 => panic!("target bug on request 1"),
            _ => Ok(()),
        }
    }));
    let report = run(&RateSchedule::constant(100.0, Duration::from_secs(1)), &paused_config(), target).await.unwrap();
    assert_eq!(report.errors.total, 100);
    assert_eq!(report.errors.count(ErrorKind::Rejected), 10);
    assert_eq!(report.errors.count(ErrorKind::Panicked), 1);
    assert_eq!(report.errors.succeeded(), 89);
    let m = report.to_system_metrics("t", crate::run_context!(report.elapsed, Duration::ZERO));
    assert_eq!(m.errors.error_rate_percent(), Some(11.0));
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_clock_run_issues_every_request() {
    // Counts only: no timing assertion, so a loaded machine cannot fail it.
    let target = Arc::new(from_fn(|_req: Request| async { Ok(()) }));
    let report = run(&RateSchedule::constant(2_000.0, Duration::from_millis(200)), &LoadConfig::default(), target)
        .await
        .unwrap();
    // 2,000 req/s needs one worker.
    assert_eq!(report.health.workers, 1);
    assert_eq!(report.health.intended, 400);
    assert_eq!(report.errors.total, 400);
    assert_eq!(report.latency.len() + report.health.dropped, 400);
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

#[tokio::test]
async fn bad_schedule_and_config_are_errors() {
    let target = Arc::new(from_fn(|_req: Request| async { Ok(()) }));
    let e = run(&RateSchedule::constant(-1.0, Duration::from_secs(1)), &LoadConfig::default(), target.clone()).await;
    assert!(matches!(e, Err(LoadError::Schedule(_))));
    let config = LoadConfig { workers: Some(4), max_in_flight: 2, ..LoadConfig::default() };
    let e = run(&RateSchedule::constant(1.0, Duration::from_secs(1)), &config, target).await.unwrap_err();
    assert!(e.to_string().contains("max_in_flight"), "{e}");
}
