//! What measuring costs: the latency recorder and the open-loop generator.
//!
//! - `recorder/clock_read_and_record` — one latency sample as the generator takes it: one
//!   monotonic clock read and one histogram record. Goal ≤ 50 ns.
//! - `generator/max_rate_no_op` — requests/s the generator issues and completes against a
//!   target that returns at once, on every core (elements/s is the rate). Goal ≥ 1 M req/s.
//! - `generator/lag_p99_at_rate/<rate>` — the "time" criterion reports is the **99th percentile
//!   of scheduler lag** (actual send − intended send) in a 0.5 s constant-rate run, not a duration
//!   of work. Goal ≤ 1 ms at 100 k req/s; the 1 M req/s point shows the generator sustains it.
//!   The last run at each rate is also written as SystemMetrics to
//!   `target/noisegate/overhead/generator/lag_p99_at_rate/<rate>/<baseline>/metrics.json`.
//!
//! Run: `cargo bench --bench overhead` (add `-- --quick` for a fast pass).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_core::criterion_main;
use bench_core::latency::LatencyRecorder;
use bench_core::load::{self, LoadConfig, LoadReport, RateSchedule, Request, from_fn};
use bench_core::resource::ResourceSampler;
use bench_core::results::{ResultsDir, baseline_from_args};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};

fn recorder(c: &mut Criterion) {
    let mut g = c.benchmark_group("recorder");
    g.throughput(Throughput::Elements(1));
    g.bench_function("clock_read_and_record", |b| {
        let mut rec = LatencyRecorder::new();
        let mut prev = Instant::now();
        b.iter(|| {
            let now = Instant::now();
            rec.record(now - prev);
            prev = now;
        });
        black_box(rec.len());
    });
    g.bench_function("record_only", |b| {
        let mut rec = LatencyRecorder::new();
        let mut v = 1_000u64;
        b.iter(|| {
            // Walk through several magnitudes so the counts array is exercised, not one cell.
            v = v.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            rec.record_ns(black_box(1_000 + (v >> 40)));
        });
        black_box(rec.len());
    });
    g.finish();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_time().build().expect("tokio runtime")
}

fn run_once(rt: &tokio::runtime::Runtime, schedule: &RateSchedule) -> LoadReport {
    let target = Arc::new(from_fn(|_req: Request| async { Ok(()) }));
    rt.block_on(load::run(schedule, &LoadConfig::default(), target)).expect("valid schedule")
}

fn generator(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("generator");
    g.sample_size(10);

    // Scheduled far faster than it can go, so the generator runs flat out.
    const N: u64 = 200_000;
    let flat_out = RateSchedule::constant(50_000_000.0, Duration::from_secs_f64(N as f64 / 50_000_000.0));
    g.throughput(Throughput::Elements(N));
    g.bench_function("max_rate_no_op", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let start = Instant::now();
                    let r = run_once(&rt, &flat_out);
                    assert_eq!(r.errors.succeeded(), N, "every request completes");
                    start.elapsed()
                })
                .sum()
        })
    });

    let baseline = baseline_from_args(std::env::args());
    for rate in [100_000u64, 1_000_000] {
        let schedule = RateSchedule::constant(rate as f64, Duration::from_millis(500));
        g.throughput(Throughput::Elements(1));
        let mut last = None;
        g.bench_with_input(BenchmarkId::new("lag_p99_at_rate", rate), &schedule, |b, schedule| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let sampler = ResourceSampler::start().expect("sampler");
                    let r = run_once(&rt, schedule);
                    total += r.health.lag_p99_ns.as_duration();
                    last = Some((r, sampler.stop()));
                }
                total
            })
        });
        if let Some((report, resources)) = last {
            write_metrics(&report, resources, rate, &baseline);
        }
    }
    g.finish();
}

fn write_metrics(report: &LoadReport, resources: bench_core::resource::ResourceReport, rate: u64, baseline: &str) {
    let id = format!("overhead/generator/lag_p99_at_rate/{rate}");
    let mut m = report.to_system_metrics(&id, bench_core::run_context!(report.elapsed, Duration::ZERO));
    m.resources = Some(resources.summary);
    let h = &report.health;
    println!(
        "{id}: configured {:.0} req/s, achieved {:.0} req/s, lag p99 {}, dropped {}{}",
        h.intended_rate,
        h.achieved_rate,
        h.lag_p99_ns,
        h.dropped,
        if h.saturated { " — SATURATED" } else { "" }
    );
    match ResultsDir::locate().write(&id, baseline, "metrics.json", &m) {
        Ok(path) => println!("  wrote {}", path.display()),
        Err(e) => eprintln!("  could not write results: {e}"),
    }
}

criterion_group!(benches, recorder, generator);
// noisegate's drop-in for criterion's: gates `cargo bench -- --baseline NAME`.
criterion_main!(benches);
