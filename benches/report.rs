//! How long `noisegate report` takes on a one-hour sustained run: 3600 one-second timeline
//! points (goal: ≤ 2 s for text and HTML together).
//!
//! `report/1h/files_to_text_and_html` is the command's whole path minus process start: read
//! metrics.json and timeline.json from disk, grade, run the rules, render text and the HTML page
//! with its SVG charts. The other two split it into the text and the HTML rendering of an
//! already-analysed report.
//!
//! Run: `cargo bench --bench report` (`-- --quick` for a fast pass).

use std::hint::black_box;
use std::time::Duration;

use bench_core::latency::LatencySummary;
use bench_core::load::GeneratorHealth;
use bench_core::metrics::{ClockKind, ErrorKind, SystemMetrics, TIMELINE_FILE, Timeline, TimelinePoint};
use bench_core::report::run::{AnalysisOptions, ReportFormat, RunReport, load_scenarios, render};
use bench_core::resource::ResourceSummary;
use bench_core::results::write_json_atomic;
use bench_core::targets::Targets;
use bench_core::units::{CpuUse, Nanos};
use criterion::Criterion;

const NAME: &str = "load/sustained_1h";

/// xorshift64*: deterministic noise without a dependency.
struct Noise(u64);

impl Noise {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One hour at 5000 req/s: noisy completions, a slow drift in p99, GC-like latency spikes every
/// ten minutes, an error burst at 40 minutes, RSS creeping up, CPU around 60 %.
fn one_hour() -> (SystemMetrics, Timeline) {
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let mut t = Timeline::new(NAME, 1.0, ClockKind::WallClock);
    for i in 1..=3600u32 {
        let s = f64::from(i);
        let spike = i % 600 < 3;
        let burst = (2400..2415).contains(&i);
        let errors = if burst { 400 + (noise.unit() * 100.0) as u64 } else { (noise.unit() * 3.0) as u64 };
        t.points.push(TimelinePoint {
            t_s: s,
            offered_per_s: Some(5000.0),
            completed_per_s: 5000.0 - errors as f64 + (noise.unit() - 0.5) * 80.0,
            errors,
            dropped: 0,
            latency_p50_ms: Some(0.8 + noise.unit() * 0.1),
            latency_p99_ms: Some(4.0 + s / 1800.0 + noise.unit() * 1.5 + if spike { 40.0 } else { 0.0 }),
            latency_max_ms: Some(12.0 + noise.unit() * 10.0 + if spike { 180.0 } else { 0.0 }),
            rss_mb: Some(220.0 + s / 120.0 + noise.unit() * 2.0),
            cpu_percent: Some(58.0 + noise.unit() * 8.0),
            phase: Some(if i <= 60 { "ramp".into() } else { "steady".into() }),
        });
    }
    let mut m = SystemMetrics::new(NAME, bench_core::run_context!(Duration::from_secs(3600), Duration::from_secs(60)));
    let n = |ms: f64| Nanos((ms * 1e6) as u64);
    m.throughput.requests_per_second = Some(4990.0);
    m.throughput.peak_requests_per_second = Some(5061.0);
    m.latency = Some(LatencySummary {
        count: 17_964_000,
        min_ns: n(0.05),
        mean_ns: 1.1e6,
        p50_ns: n(0.85),
        p75_ns: n(1.3),
        p90_ns: n(2.2),
        p95_ns: n(3.1),
        p99_ns: n(5.2),
        p999_ns: n(48.0),
        max_ns: n(201.0),
        corrected: false,
        clamped: 0,
    });
    m.resources = Some(ResourceSummary {
        duration_s: 3600.0,
        samples: 36_000,
        logical_cpus: 2,
        cpu_avg: Some(CpuUse::from_cores(1.24, 2)),
        cpu_peak: Some(CpuUse::from_cores(1.5, 2)),
        rss_avg_mb: Some(236.0),
        rss_peak_mb: Some(252.0),
        rss_growth_mb: Some(30.0),
        threads_avg: Some(6.0),
        threads_peak: Some(6),
        disk_read_mb_s: Some(0.0),
        disk_write_mb_s: Some(0.1),
    });
    m.errors.total = 18_000_000;
    m.errors.by_kind.insert(ErrorKind::Timeout, 9_100);
    m.errors.by_kind.insert(ErrorKind::Rejected, 3_900);
    m.generator = Some(GeneratorHealth {
        workers: 2,
        intended: 18_000_000,
        intended_rate: 5000.0,
        issued: 18_000_000,
        dropped: 0,
        unfinished: 0,
        in_flight_peak: 900,
        achieved_rate: 5000.0,
        lag_p99_ns: Nanos(40_000),
        saturated: false,
        clock: None,
        busy_wait_s: None,
    });
    (m, t)
}

fn main() {
    let started = std::time::SystemTime::now();
    let mut c = Criterion::default().sample_size(10).configure_from_args();
    // `noisegate ab` runs criterion benchmarks and scenarios in separate processes.
    c = bench_core::cargo_hook::Phase::current().apply(c);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let run_dir = dir.path().join(NAME).join("new");
    let (m, t) = one_hour();
    write_json_atomic(&run_dir.join("metrics.json"), &m).expect("write metrics.json");
    write_json_atomic(&run_dir.join(TIMELINE_FILE), &t).expect("write timeline.json");
    let paths = vec![run_dir.join("metrics.json")];
    let targets = Targets::defaults();
    let opts = AnalysisOptions { targets: &targets, sets: &[], this_machine: None, generated_at: "now".into() };

    let mut g = c.benchmark_group("report/1h");
    g.bench_function("files_to_text_and_html", |b| {
        b.iter(|| {
            let inputs = load_scenarios(&paths, None).expect("the fixture loads");
            let report = RunReport::analyse(inputs, &opts);
            let text = render(&report, ReportFormat::Text).expect("text");
            let html = render(&report, ReportFormat::Html).expect("html");
            black_box((text.len(), html.len()))
        });
    });
    let report = RunReport::analyse(load_scenarios(&paths, None).expect("the fixture loads"), &opts);
    g.bench_function("render_text", |b| b.iter(|| black_box(render(&report, ReportFormat::Text).expect("text"))));
    g.bench_function("render_html", |b| b.iter(|| black_box(render(&report, ReportFormat::Html).expect("html"))));
    g.finish();
    c.final_summary();
    std::process::exit(bench_core::cargo_hook::after_bench(started));
}
