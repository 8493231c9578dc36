//! Open-loop load generation, free of coordinated omission.
//!
//! Every request has an *intended* start time from a [`RateSchedule`]; the generator issues it at
//! that time whether or not earlier requests finished (wrk2's model, G. Tene's "How NOT to Measure
//! Latency"). Three histograms are kept:
//!
//! - **latency** = completion − intended start: what a user arriving on schedule experienced,
//!   including any time spent waiting behind a stalled system or a late generator;
//! - **service time** = completion − actual send: the system's own time;
//! - **scheduler lag** = actual send − intended start: how late the generator was.
//!
//! A request that cannot be issued within `drop_after` of its intended start (generator or
//! runtime overloaded, in-flight cap reached) is counted as [`ErrorKind::Dropped`] — never
//! silently skipped — and the run reports the generator as saturated.
//!
//! Design: `workers` tasks each own every `workers`-th request of the schedule, their own
//! histograms and a `FuturesUnordered` of in-flight requests — no shared lock or counter on the
//! hot path. Timing uses tokio's clock, so a test can run a schedule on tokio's paused clock
//! (set `spin_below` to zero there) and get exact, machine-independent results.

mod report;
mod schedule;
mod target;
mod worker;

use std::sync::Arc;
use std::time::Duration;

pub use report::{GeneratorHealth, LoadReport};
pub use schedule::{CompiledSchedule, RateSchedule, ScheduleError, Step};
pub use target::{FnTarget, Outcome, Request, Target, from_fn};

/// Requests per second one worker is sized for when `workers` is not set (one worker sustains
/// several million no-op requests per second; see `benches/overhead.rs`).
pub const RATE_PER_WORKER: f64 = 500_000.0;

/// How the generator runs a schedule.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Worker tasks; `None` = one per [`RATE_PER_WORKER`] of peak scheduled rate, at most one per
    /// tokio worker thread. Fewer spinning workers leave cores to the target and the OS, which
    /// keeps scheduler lag low at moderate rates on small machines.
    pub workers: Option<usize>,
    /// Requests in flight at once, across all workers.
    pub max_in_flight: usize,
    /// A request later than this behind its intended start is dropped (and counted).
    pub drop_after: Duration,
    /// Per-request timeout, counted as [`ErrorKind::Timeout`](crate::metrics::ErrorKind::Timeout).
    pub timeout: Option<Duration>,
    /// After the schedule ends, how long to wait for in-flight requests (the rest are timeouts).
    pub drain_timeout: Duration,
    /// Gaps shorter than this are waited by yielding instead of tokio's 1 ms timer, for
    /// sub-millisecond accuracy. Set to zero under tokio's paused test clock.
    pub spin_below: Duration,
    /// Scheduler-lag p99 above this marks the generator as saturated.
    pub saturation_lag: Duration,
}

impl Default for LoadConfig {
    fn default() -> Self {
        LoadConfig {
            workers: None,
            max_in_flight: 65_536,
            drop_after: Duration::from_secs(1),
            timeout: None,
            drain_timeout: Duration::from_secs(10),
            spin_below: Duration::from_millis(1),
            saturation_lag: Duration::from_millis(1),
        }
    }
}

/// The generator could not run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The schedule is invalid.
    #[error("invalid load schedule")]
    Schedule(#[from] ScheduleError),
    /// Not called from inside a tokio runtime.
    #[error("the load generator must run inside a tokio runtime (use #[tokio::main] or Runtime::block_on)")]
    NoRuntime,
    /// A configuration value is unusable.
    #[error("load config `{field}` = {value}: {problem}")]
    Config {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
        /// What to do instead.
        problem: &'static str,
    },
    /// A worker task died (a bug in noisegate: target panics are caught and counted).
    #[error("a load generator worker failed")]
    Worker(#[source] tokio::task::JoinError),
}

/// Runs `schedule` against `target` and returns what was measured.
///
/// Must be awaited inside a tokio runtime; workers are spawned on it.
pub async fn run<T: Target>(
    schedule: &RateSchedule,
    config: &LoadConfig,
    target: Arc<T>,
) -> Result<LoadReport, LoadError> {
    let compiled = Arc::new(schedule.compile()?);
    let handle = tokio::runtime::Handle::try_current().map_err(|_| LoadError::NoRuntime)?;
    let workers = config
        .workers
        .unwrap_or_else(|| {
            let wanted = (compiled.peak_rate() / RATE_PER_WORKER).ceil() as usize;
            wanted.clamp(1, handle.metrics().num_workers().max(1))
        })
        .max(1);
    if config.max_in_flight < workers {
        return Err(LoadError::Config {
            field: "max_in_flight",
            value: config.max_in_flight.to_string(),
            problem: "must be at least the number of workers",
        });
    }
    let per_worker_cap = config.max_in_flight / workers;
    let start = tokio::time::Instant::now();
    let tasks: Vec<_> = (0..workers as u64)
        .map(|w| {
            let (t, s, c) = (target.clone(), compiled.clone(), config.clone());
            handle.spawn(worker::run_worker(t, s, c, start, w, workers as u64, per_worker_cap))
        })
        .collect();
    let mut results = Vec::with_capacity(workers);
    for t in tasks {
        results.push(t.await.map_err(LoadError::Worker)?);
    }
    Ok(LoadReport::merge(&compiled, config, workers, results))
}

#[cfg(test)]
mod tests;
