//! Closed loop, corrected closed loop and open loop side by side, with a weighted mix and a
//! warm-up, on tokio's paused clock (so the figures are exact and the run takes milliseconds).
//!
//! The target answers `read` in 1 ms and `write` in 4 ms, and freezes for 1 s at t = 3 s. One
//! closed-loop worker paced at 10 ms sees one slow request; its corrected view and the open loop
//! at the same 100 req/s see the whole stall.
//!
//! Run: `cargo run -p bench-core --example closed_vs_open`

use std::sync::Arc;
use std::time::Duration;

use bench_core::latency::LatencySummary;
use bench_core::load::{self, ClosedLoop, LoadConfig, Mix, RateSchedule, Request, from_fn};
use bench_core::metrics::ClockKind;
use tokio::time::Instant;

fn print(label: &str, s: &LatencySummary) {
    println!("{label}{}: {} samples, p50 {} p99 {} max {}", s.label_suffix(), s.count, s.p50_ns, s.p99_ns, s.max_ns);
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    // A fresh target per run: its stall is timed from the run's start.
    let target = || {
        let start = Instant::now();
        Arc::new(from_fn(move |req: Request| async move {
            let (from, to) = (start + Duration::from_secs(3), start + Duration::from_secs(4));
            if Instant::now() >= from && Instant::now() < to {
                tokio::time::sleep_until(to).await;
            }
            tokio::time::sleep(Duration::from_millis(if req.op == 0 { 1 } else { 4 })).await;
            Ok(())
        }))
    };
    let config = LoadConfig {
        mix: Some(Mix::new([("read", 80), ("write", 20)]).expect("valid mix")),
        warmup: Duration::from_secs(1),
        spin_below: Duration::ZERO,
        clock: ClockKind::Simulated,
        ..LoadConfig::default()
    };

    let closed = ClosedLoop { pacing: Some(Duration::from_millis(10)), ..ClosedLoop::new(1, Duration::from_secs(6)) };
    let c = load::run_closed(&closed, &config, target()).await.expect("valid closed loop");
    print("closed loop, 1 worker every 10 ms", &c.latency.summary());
    if let Some(corrected) = &c.corrected_latency {
        print("closed loop, 1 worker every 10 ms", &corrected.summary());
    }
    println!("  {} sends skipped while waiting", c.skipped_sends);

    let o =
        load::run(&RateSchedule::constant(100.0, Duration::from_secs(6)), &config, target()).await.expect("valid run");
    print("open loop, 100 req/s", &o.latency.summary());
    for op in o.operation_summaries() {
        println!("  {}: {} requests ({:.0} %), p50 {}", op.name, op.requests, op.measured_percent, op.latency.p50_ns);
    }
    println!("  {} warm-up requests sent and left out", o.excluded.warmup.total);
    for p in &o.timeline.points {
        println!(
            "  t = {:>4.1} s (simulated) {:<8} {:>5.0} req/s completed, p99 {}",
            p.t_s,
            p.phase.as_deref().unwrap_or("measured"),
            p.completed_per_s,
            p.latency_p99_ms.map_or_else(|| "n/a".into(), |v| format!("{v:.1} ms"))
        );
    }
}
