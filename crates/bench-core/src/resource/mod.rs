//! Background sampling of this process's CPU, memory, threads and storage I/O.
//!
//! A dedicated thread wakes at a fixed rate (default 10 Hz), reads the OS counters described in
//! [`procfs`](self) and stores one [`ResourceSample`] per tick. CPU use over a tick is
//! `Δ process CPU time / Δ wall time`, reported both as cores used and as a percentage of the
//! machine's logical CPUs. The run average is computed from the first and last readings, not by
//! averaging ticks, so it is exact whatever the tick jitter. The sampler's own cost (one
//! `clock_gettime` and three small `/proc` reads per tick) is included in what it measures.
//!
//! Off Linux every value is `None` and reports print "unavailable".

mod procfs;

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::units::{CpuUse, bytes_to_mib};

/// Default sampling rate.
pub const DEFAULT_HZ: f64 = 10.0;

/// Why a sampler could not start.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// The rate must be a positive, finite number of samples per second.
    #[error("resource sampling rate {hz} Hz is invalid: use a positive number such as 10")]
    InvalidRate {
        /// The rejected rate.
        hz: f64,
    },
    /// The OS refused to start the sampling thread.
    #[error("could not start the resource sampling thread")]
    Spawn(#[source] std::io::Error),
}

/// One tick of the sampler. `None` fields were not available from the OS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSample {
    /// Wall-clock milliseconds since the sampler started.
    pub at_ms: f64,
    /// CPU use since the previous tick.
    pub cpu: Option<CpuUse>,
    /// Resident set size, bytes.
    pub rss_bytes: Option<u64>,
    /// Threads in the process.
    pub threads: Option<u64>,
    /// Storage bytes read since the sampler started.
    pub io_read_bytes: Option<u64>,
    /// Storage bytes written since the sampler started.
    pub io_write_bytes: Option<u64>,
}

/// Average and peak of a sampled run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSummary {
    /// Wall-clock length of the sampled window, seconds.
    pub duration_s: f64,
    /// Ticks taken (including the final one at stop).
    pub samples: usize,
    /// Logical CPUs of the machine, the denominator of `percent_of_machine`.
    pub logical_cpus: usize,
    /// CPU over the whole window (total CPU time / wall time).
    pub cpu_avg: Option<CpuUse>,
    /// Highest single-tick CPU use.
    pub cpu_peak: Option<CpuUse>,
    /// Mean resident set size over the ticks, MiB.
    pub rss_avg_mb: Option<f64>,
    /// Largest resident set size seen, MiB.
    pub rss_peak_mb: Option<f64>,
    /// Resident set size at the last tick minus the first, MiB (growth over the window).
    pub rss_growth_mb: Option<f64>,
    /// Mean thread count.
    pub threads_avg: Option<f64>,
    /// Largest thread count.
    pub threads_peak: Option<u64>,
    /// Storage read rate over the window, MiB/s.
    pub disk_read_mb_s: Option<f64>,
    /// Storage write rate over the window, MiB/s.
    pub disk_write_mb_s: Option<f64>,
}

/// What [`ResourceSampler::stop`] returns: the summary and the full time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceReport {
    /// Averages and peaks.
    pub summary: ResourceSummary,
    /// Every tick, in time order.
    pub series: Vec<ResourceSample>,
}

/// A running sampler; call [`stop`](Self::stop) to end it and collect the report.
#[derive(Debug)]
pub struct ResourceSampler {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<Vec<ResourceSample>>,
    started: Instant,
    first: procfs::Counters,
    logical_cpus: usize,
}

impl ResourceSampler {
    /// Starts sampling at [`DEFAULT_HZ`].
    pub fn start() -> Result<Self, ResourceError> {
        Self::start_at(DEFAULT_HZ)
    }

    /// Starts sampling at `hz` ticks per second.
    pub fn start_at(hz: f64) -> Result<Self, ResourceError> {
        if !(hz.is_finite() && hz > 0.0) {
            return Err(ResourceError::InvalidRate { hz });
        }
        let interval = Duration::from_secs_f64(1.0 / hz);
        let logical_cpus = logical_cpus();
        let started = Instant::now();
        let first = procfs::read();
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("noisegate-sampler".into())
            .spawn(move || sample_loop(rx, interval, started, first, logical_cpus))
            .map_err(ResourceError::Spawn)?;
        Ok(ResourceSampler { stop: tx, thread, started, first, logical_cpus })
    }

    /// Stops the thread, takes a last reading and summarises the window.
    pub fn stop(self) -> ResourceReport {
        let _ = self.stop.send(());
        // A panic in the sampler thread loses only the series, never the caller's run.
        let mut series = self.thread.join().unwrap_or_default();
        let last = procfs::read();
        let elapsed = self.started.elapsed();
        // The closing reading carries no per-tick CPU (its interval may be a few µs long).
        series.push(sample_of(&last, &self.first, elapsed, None));
        let summary = summarize(&series, &self.first, &last, elapsed, self.logical_cpus);
        ResourceReport { summary, series }
    }
}

/// This process's resident set size now, in bytes; `None` where the OS does not report it.
pub fn current_rss_bytes() -> Option<u64> {
    procfs::read().rss_bytes
}

/// Logical CPUs available to this process (1 when unknown).
pub fn logical_cpus() -> usize {
    std::thread::available_parallelism().map(usize::from).unwrap_or(1)
}

fn sample_loop(
    stop: mpsc::Receiver<()>,
    interval: Duration,
    started: Instant,
    first: procfs::Counters,
    logical_cpus: usize,
) -> Vec<ResourceSample> {
    let mut series = Vec::new();
    let mut prev = (started, first.cpu_time);
    let mut next_tick = started + interval;
    loop {
        let wait = next_tick.saturating_duration_since(Instant::now());
        match stop.recv_timeout(wait) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // Stopped, or the owner is gone.
            _ => return series,
        }
        let now = Instant::now();
        let c = procfs::read();
        let cpu = match (prev.1, c.cpu_time) {
            (Some(a), Some(b)) => {
                let wall = now.duration_since(prev.0).as_secs_f64();
                (wall > 0.0).then(|| CpuUse::from_cores(b.saturating_sub(a).as_secs_f64() / wall, logical_cpus))
            }
            _ => None,
        };
        series.push(sample_of(&c, &first, now.duration_since(started), cpu));
        prev = (now, c.cpu_time);
        // Fixed-rate ticks without drift; if we fell behind, skip rather than burst.
        next_tick += interval;
        if next_tick < now {
            next_tick = now + interval;
        }
    }
}

fn sample_of(c: &procfs::Counters, first: &procfs::Counters, at: Duration, cpu: Option<CpuUse>) -> ResourceSample {
    ResourceSample {
        at_ms: at.as_secs_f64() * 1e3,
        cpu,
        rss_bytes: c.rss_bytes,
        threads: c.threads,
        io_read_bytes: c.io_read_bytes.zip(first.io_read_bytes).map(|(b, a)| b.saturating_sub(a)),
        io_write_bytes: c.io_write_bytes.zip(first.io_write_bytes).map(|(b, a)| b.saturating_sub(a)),
    }
}

fn summarize(
    series: &[ResourceSample],
    first: &procfs::Counters,
    last: &procfs::Counters,
    elapsed: Duration,
    logical_cpus: usize,
) -> ResourceSummary {
    let wall = elapsed.as_secs_f64();
    let cpu_avg = match (first.cpu_time, last.cpu_time) {
        (Some(a), Some(b)) if wall > 0.0 => {
            Some(CpuUse::from_cores(b.saturating_sub(a).as_secs_f64() / wall, logical_cpus))
        }
        _ => None,
    };
    let cpu_peak = series.iter().filter_map(|s| s.cpu).max_by(|a, b| a.cores.total_cmp(&b.cores)).or(cpu_avg);
    let rss: Vec<u64> = series.iter().filter_map(|s| s.rss_bytes).collect();
    let threads: Vec<u64> = series.iter().filter_map(|s| s.threads).collect();
    let mean = |v: &[u64]| (!v.is_empty()).then(|| v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64);
    let rate = |bytes: Option<u64>| bytes.filter(|_| wall > 0.0).map(|b| bytes_to_mib(b) / wall);
    let last_sample = series.last();
    ResourceSummary {
        duration_s: wall,
        samples: series.len(),
        logical_cpus,
        cpu_avg,
        cpu_peak,
        rss_avg_mb: mean(&rss).map(|b| b / (1024.0 * 1024.0)),
        rss_peak_mb: rss.iter().max().map(|&b| bytes_to_mib(b)),
        rss_growth_mb: match (first.rss_bytes, last.rss_bytes) {
            (Some(a), Some(b)) => Some((b as f64 - a as f64) / (1024.0 * 1024.0)),
            _ => None,
        },
        threads_avg: mean(&threads),
        threads_peak: threads.iter().max().copied(),
        disk_read_mb_s: rate(last_sample.and_then(|s| s.io_read_bytes)),
        disk_write_mb_s: rate(last_sample.and_then(|s| s.io_write_bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_rates() {
        for hz in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = ResourceSampler::start_at(hz).unwrap_err();
            assert!(err.to_string().contains("invalid"), "{err}");
        }
    }

    #[test]
    fn samples_at_the_requested_rate_and_summarises() {
        let s = ResourceSampler::start_at(50.0).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let r = s.stop();
        // ~15 ticks plus the final one; a loaded machine may delay some, never add extra.
        assert!(r.series.len() >= 3 && r.series.len() <= 17, "{} samples", r.series.len());
        assert!(r.series.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        assert!(r.summary.duration_s >= 0.3);
        #[cfg(target_os = "linux")]
        {
            assert!(r.summary.rss_peak_mb.unwrap() > 0.0);
            assert!(r.summary.threads_peak.unwrap() >= 2, "sampler thread itself counts");
            assert!(r.summary.cpu_avg.is_some());
        }
        #[cfg(not(target_os = "linux"))]
        assert!(r.summary.cpu_avg.is_none() && r.summary.rss_peak_mb.is_none());
    }
}
