//! Coordinated omission, shown on the wall clock.
//!
//! A target answers at once, except that it freezes for 1 s starting 0.5 s into a 2 s run.
//! At 1,000 req/s the analytic latency distribution (see `load/tests.rs`) has p75 = 500 ms,
//! p90 = 800 ms, p99 = 980 ms, p99.9 = 998 ms, max = 1 s. The open-loop generator reports that;
//! a closed-loop client that waits for each answer before sending the next sees one slow request
//! and ~1,000 fast ones, and reports a p99 of microseconds — the stall all but vanishes.
//!
//! Run: `cargo run --release -p bench-core --example coordinated_omission`

use std::sync::Arc;
use std::time::Duration;

use bench_core::latency::LatencyRecorder;
use bench_core::load::{self, LoadConfig, Outcome, RateSchedule, Request, Target};
use tokio::time::Instant;

struct Freezing {
    start: Instant,
}

impl Freezing {
    async fn serve(&self) -> Outcome {
        let (from, to) = (self.start + Duration::from_millis(500), self.start + Duration::from_millis(1_500));
        let now = Instant::now();
        if now >= from && now < to {
            tokio::time::sleep_until(to).await;
        }
        Ok(())
    }
}

impl Target for Freezing {
    async fn call(&self, _req: Request) -> Outcome {
        self.serve().await
    }
}

fn print(label: &str, rec: &LatencyRecorder) {
    let s = rec.summary();
    println!("{label}{}: {} samples", s.label_suffix(), s.count);
    for (name, v) in s.rows() {
        println!("  {name:>6} {v}");
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let run_len = Duration::from_secs(2);

    // Open loop: 1,000 req/s on schedule, latency from the intended start.
    let target = Arc::new(Freezing { start: Instant::now() });
    let schedule = RateSchedule::constant(1_000.0, run_len);
    let report = load::run(&schedule, &LoadConfig::default(), target).await.expect("valid schedule");
    print("open loop, latency from intended start", &report.latency);

    // Closed loop: one client, next request only after the previous answer, paced at 1 ms.
    let target = Freezing { start: Instant::now() };
    let (mut naive, mut corrected) = (LatencyRecorder::new(), LatencyRecorder::new());
    let end = Instant::now() + run_len;
    let interval = Duration::from_millis(1);
    let mut next = Instant::now();
    while Instant::now() < end {
        tokio::time::sleep_until(next).await;
        let t0 = Instant::now();
        let _ = target.serve().await;
        let took = t0.elapsed();
        naive.record(took);
        corrected.record_correct(took, interval);
        next = (t0 + interval).max(Instant::now());
    }
    print("\nclosed loop, naive", &naive);
    print("\nclosed loop", &corrected);
}
