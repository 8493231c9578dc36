//! CPU flamegraphs for criterion benches, through pprof's sampling profiler.
//!
//! pprof's own `criterion` feature implements the `Profiler` trait of criterion 0.5 and does not
//! compile against 0.8; this is the same adapter for 0.8. Criterion calls it only in profiling
//! mode, `cargo bench --bench NAME -- --profile-time 10`, which runs each selected benchmark for
//! the given seconds without analysis; the SVG lands in
//! `target/criterion/<benchmark id>/profile/flamegraph.svg`.
//!
//! ```ignore
//! criterion_group! {
//!     name = benches;
//!     config = Criterion::default().with_profiler(FlamegraphProfiler::new(997));
//!     targets = my_bench
//! }
//! ```
//!
//! Sampling is by `SIGPROF` at the given frequency (a prime such as 997 Hz avoids lock-step with
//! periodic work). Frames of libc, libgcc, pthread and the vDSO are left out, as pprof's docs
//! recommend, because unwinding through them can crash.

use std::path::Path;

use criterion::profiler::Profiler;

use crate::results::write_atomic;

/// Writes one flamegraph SVG per profiled benchmark.
pub struct FlamegraphProfiler {
    frequency: i32,
    active: Option<pprof::ProfilerGuard<'static>>,
}

impl FlamegraphProfiler {
    /// Samples `frequency` times per second of CPU time.
    pub fn new(frequency: i32) -> Self {
        FlamegraphProfiler { frequency, active: None }
    }
}

impl std::fmt::Debug for FlamegraphProfiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlamegraphProfiler").field("frequency", &self.frequency).finish_non_exhaustive()
    }
}

impl Profiler for FlamegraphProfiler {
    fn start_profiling(&mut self, benchmark_id: &str, _dir: &Path) {
        // Criterion's trait has no error channel: report and carry on without a profile rather
        // than abort the benchmark run.
        match pprof::ProfilerGuardBuilder::default()
            .frequency(self.frequency)
            .blocklist(&["libc", "libgcc", "pthread", "vdso"])
            .build()
        {
            Ok(guard) => self.active = Some(guard),
            Err(e) => eprintln!("noisegate: cannot start the CPU profiler for {benchmark_id}: {e}"),
        }
    }

    fn stop_profiling(&mut self, benchmark_id: &str, dir: &Path) {
        let Some(guard) = self.active.take() else { return };
        let path = dir.join("flamegraph.svg");
        let result = (|| -> Result<(), String> {
            let report = guard.report().build().map_err(|e| format!("building the report: {e}"))?;
            let mut svg = Vec::new();
            report.flamegraph(&mut svg).map_err(|e| format!("drawing the flamegraph: {e}"))?;
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
            write_atomic(&path, &svg).map_err(|e| e.to_string())
        })();
        match result {
            Ok(()) => eprintln!("noisegate: flamegraph for {benchmark_id}: {}", path.display()),
            Err(e) => eprintln!("noisegate: no flamegraph for {benchmark_id}: {e}"),
        }
    }
}
