//! The flamegraph adapter writes an SVG through criterion's `Profiler` interface.
#![cfg(unix)]

use std::time::{Duration, Instant};

use bench_core::flamegraph::FlamegraphProfiler;
use criterion::profiler::Profiler;

#[test]
fn writes_a_flamegraph_svg_where_criterion_asks() {
    let dir = tempfile::tempdir().unwrap();
    let profile_dir = dir.path().join("group/bench/profile");
    let mut p = FlamegraphProfiler::new(997);
    p.start_profiling("group/bench", &profile_dir);
    // Burn CPU so the sampler has stacks to record.
    let start = Instant::now();
    let mut x = 1u64;
    while start.elapsed() < Duration::from_millis(300) {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    p.stop_profiling("group/bench", &profile_dir);
    let svg = std::fs::read_to_string(profile_dir.join("flamegraph.svg")).expect("flamegraph written");
    assert!(svg.contains("<svg"), "not an SVG: {}", &svg[..svg.len().min(200)]);
    // Stopping without a start is a no-op, not a panic.
    p.stop_profiling("other", &profile_dir);
}
