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
//! hot path. Wall-clock runs read the CPU's time-stamp counter where the kernel trusts it (half
//! the cost of `Instant::now()` on a VM; see `clock`); simulated runs use tokio's clock, so a
//! test can run a schedule on tokio's paused clock (set `spin_below` to zero and
//! `clock: ClockKind::Simulated`) and get exact, machine-independent results.
//!
//! Around that core:
//!
//! - **Warm-up and cool-down** ([`LoadConfig::warmup`], [`LoadConfig::cooldown`]): requests
//!   intended in them are sent but kept out of the figures, and tallied apart
//!   ([`ExcludedStats`]).
//! - **Mixed workloads** ([`Mix`]): each request performs one weighted operation, chosen
//!   deterministically ([`Request::op`]); the report has figures per operation.
//! - **Per-phase figures** for stepped and burst schedules ([`LoadReport::phases`]).
//! - **A timeline** ([`crate::metrics::Timeline`]): completions, errors, drops and latency
//!   percentiles per interval (default 1 s), with RSS and CPU per interval when
//!   [`LoadConfig::sample_resources`] is on.
//! - **Progress** on stderr for long runs ([`Progress`]), from a separate thread.
//! - **A closed loop** ([`run_closed`], [`ClosedLoop`]) for comparison, with the corrected view.
//! - **Analysis** of a timeline ([`analysis`]): memory-leak slope, degradation, burst recovery,
//!   the knee of a stepped run; and the `scenario.json` record of such verdicts ([`scenario`]).

pub mod analysis;
mod clock;
mod closed;
mod intervals;
mod mix;
mod progress;
mod record;
pub mod scenario;
mod schedule;
mod summary;
mod target;
mod worker;

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;

pub use crate::metrics::{ClockSource, GeneratorHealth};
pub use clock::{CLOCK_ENV, wall_clock_read_cost};
pub use closed::ClosedLoop;
pub use intervals::DEFAULT_INTERVAL;
pub use mix::{MAX_OPERATIONS, MAX_TOTAL_WEIGHT, Mix, MixError, MixOrder, Operation};
pub use progress::{PLAIN_EVERY, Progress};
pub use record::ExcludedStats;
pub use schedule::{CompiledSchedule, RateSchedule, ScheduleError, Step};
pub use summary::{LoadMode, LoadReport, OperationReport, OperationSummary, PhaseReport};
pub use target::{FnTarget, Outcome, Request, Target, from_fn};

use crate::metrics::{ClockKind, ErrorKind};
use crate::resource::ResourceSampler;
use clock::{Offset, RunClock};
use intervals::{BuildContext, Grid, TimelineAgg};
use record::{PhaseBounds, Recorder};
use summary::MergeInput;

/// Requests per second one worker is sized for when `workers` is not set (one worker sustains
/// several million no-op requests per second; see `benches/overhead.rs`).
pub const RATE_PER_WORKER: f64 = 500_000.0;

/// How the generator runs a schedule.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Worker tasks; `None` = one per [`RATE_PER_WORKER`] of peak scheduled rate, at most one per
    /// tokio worker thread. Fewer spinning workers leave cores to the target and the OS, which
    /// keeps scheduler lag low at moderate rates on small machines. (Open loop only; a closed
    /// loop has [`ClosedLoop::workers`].)
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
    /// Start of the run whose requests are sent but not measured.
    pub warmup: Duration,
    /// End of the run whose requests are sent but not measured.
    pub cooldown: Duration,
    /// Length of one timeline interval.
    pub interval: Duration,
    /// The operations requests are spread over; `None` = one operation, `Request::op` = 0.
    pub mix: Option<Mix>,
    /// Progress output while the run goes on.
    pub progress: Progress,
    /// Run a [`ResourceSampler`] alongside (10 Hz): RSS and CPU per timeline interval and in
    /// the report. Ignored under a simulated clock.
    pub sample_resources: bool,
    /// Whether tokio's clock is the machine's (`WallClock`) or paused (`Simulated`, tests):
    /// labels the timeline and the metrics' context.
    pub clock: ClockKind,
    /// Name of the run, for the timeline and progress output.
    pub name: String,
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
            warmup: Duration::ZERO,
            cooldown: Duration::ZERO,
            interval: DEFAULT_INTERVAL,
            mix: None,
            progress: Progress::Off,
            sample_resources: false,
            clock: ClockKind::WallClock,
            name: "load".to_owned(),
        }
    }
}

impl LoadConfig {
    /// Checks the warm-up, cool-down and interval against a run of length `run`.
    fn check_phases(&self, run: Duration) -> Result<PhaseBounds, LoadError> {
        if self.interval.is_zero() {
            return Err(LoadError::Config {
                field: "interval",
                value: "0s".into(),
                problem: "the timeline interval must be longer than zero (e.g. 1s)".into(),
            });
        }
        let excluded = self.warmup.saturating_add(self.cooldown);
        if excluded >= run {
            return Err(LoadError::Config {
                field: "warmup",
                value: format!("{:?} (cooldown {:?})", self.warmup, self.cooldown),
                problem: format!(
                    "warm-up + cool-down = {excluded:?} leaves nothing to measure in a {run:?} run: shorten them or lengthen the run"
                ),
            });
        }
        Ok(PhaseBounds { warmup_end: self.warmup, cooldown_start: run - self.cooldown })
    }
}

/// The generator could not run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The schedule is invalid.
    #[error("invalid load schedule: {0}")]
    Schedule(#[from] ScheduleError),
    /// The operation mix is invalid.
    #[error("invalid operation mix: {0}")]
    Mix(#[from] MixError),
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
        /// What is wrong and what to do instead.
        problem: String,
    },
    /// A worker task died (a bug in noisegate: target panics are caught and counted).
    #[error("a load generator worker failed")]
    Worker(#[source] tokio::task::JoinError),
}

/// What every worker of a run shares (read-only, but for the timeline aggregator).
#[derive(Debug)]
pub(crate) struct Shared {
    config: LoadConfig,
    mix: Option<Mix>,
    bounds: PhaseBounds,
    agg: Arc<Mutex<TimelineAgg>>,
    phases: usize,
}

impl Shared {
    fn recorder(&self, worker: usize, pacing: Option<Duration>, track_service: bool) -> Recorder {
        let ops = self.mix.as_ref().map_or(0, |m| m.operations().len());
        Recorder::new(worker, ops, self.phases, self.agg.clone(), pacing, track_service)
    }
}

/// Calls the target, turning a panic (while making or running its future) into
/// [`ErrorKind::Panicked`] and an overrun into [`ErrorKind::Timeout`].
async fn call_caught<T: Target>(target: &T, req: Request, timeout: Option<Duration>) -> Outcome {
    let Ok(fut) = std::panic::catch_unwind(AssertUnwindSafe(|| target.call(req))) else {
        return Err(ErrorKind::Panicked);
    };
    let call = AssertUnwindSafe(fut).catch_unwind();
    match timeout {
        Some(t) => match tokio::time::timeout(t, call).await {
            Ok(Ok(o)) => o,
            Ok(Err(_panic)) => Err(ErrorKind::Panicked),
            Err(_elapsed) => Err(ErrorKind::Timeout),
        },
        None => call.await.unwrap_or(Err(ErrorKind::Panicked)),
    }
}

/// A run being set up: the shared state, the sampler and the progress reporter.
struct Setup {
    shared: Arc<Shared>,
    clock: RunClock,
    sampler: Option<ResourceSampler>,
    reporter: Option<progress::Reporter>,
}

impl Setup {
    fn new(config: &LoadConfig, bounds: PhaseBounds, workers: usize, phases: usize, run: Duration) -> Self {
        let grid = Grid { origin: config.warmup, interval: config.interval };
        let agg = Arc::new(Mutex::new(TimelineAgg::new(grid, workers)));
        let wall = config.clock == ClockKind::WallClock;
        let sampler = (wall && config.sample_resources).then(|| ResourceSampler::start().ok()).flatten();
        let reporter =
            if wall { progress::Reporter::start(config.progress, &config.name, run, agg.clone()) } else { None };
        let shared = Shared { config: config.clone(), mix: config.mix.clone(), bounds, agg, phases };
        Setup { shared: Arc::new(shared), clock: RunClock::start(config.clock), sampler, reporter }
    }

    fn finish(
        self,
        results: Vec<Recorder>,
        schedule: Option<&CompiledSchedule>,
        mode: summary::LoadMode,
        run: Duration,
    ) -> LoadReport {
        if let Some(r) = self.reporter {
            r.finish();
        }
        let resources = self.sampler.map(ResourceSampler::stop);
        let config = &self.shared.config;
        // The timeline spans the whole schedule, and the drain after it if answers came late.
        let end = results.iter().map(|r| r.finished).max().unwrap_or_default().max(run);
        let timeline = self.shared.agg.lock().unwrap_or_else(PoisonError::into_inner).build(&BuildContext {
            name: &config.name,
            clock: config.clock,
            schedule,
            warmup_end: self.shared.bounds.warmup_end,
            cooldown_start: self.shared.bounds.cooldown_start,
            schedule_end: run,
            end,
            resources: resources.as_ref(),
        });
        let input = MergeInput {
            mode,
            workers: results.len(),
            intended: schedule.map(CompiledSchedule::total_requests),
            scheduled: run,
            warmup: config.warmup,
            cooldown: config.cooldown,
            saturation_lag: config.saturation_lag,
            mix: self.shared.mix.as_ref(),
            phases: schedule.map_or(&[], |s| s.phases()),
            timeline,
            resources,
            clock: self.clock.source(),
        };
        LoadReport::merge(input, results)
    }
}

/// Runs `schedule` open-loop against `target` and returns what was measured.
///
/// Must be awaited inside a tokio runtime; workers are spawned on it.
pub async fn run<T: Target>(
    schedule: &RateSchedule,
    config: &LoadConfig,
    target: Arc<T>,
) -> Result<LoadReport, LoadError> {
    let compiled = Arc::new(schedule.compile()?);
    let handle = tokio::runtime::Handle::try_current().map_err(|_| LoadError::NoRuntime)?;
    let bounds = config.check_phases(compiled.duration())?;
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
            problem: format!("must be at least the number of workers ({workers})"),
        });
    }
    let per_worker_cap = config.max_in_flight / workers;
    let setup = Setup::new(config, bounds, workers, compiled.phases().len(), compiled.duration());
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let (t, s, c) = (target.clone(), setup.shared.clone(), compiled.clone());
            handle.spawn(worker::run_worker(t, s, c, setup.clock, w, workers as u64, per_worker_cap))
        })
        .collect();
    let mut results = Vec::with_capacity(workers);
    for t in tasks {
        results.push(t.await.map_err(LoadError::Worker)?);
    }
    Ok(setup.finish(results, Some(&compiled), summary::LoadMode::Open, compiled.duration()))
}

/// Runs a closed loop (see [`ClosedLoop`]) against `target`. `config`'s open-loop fields
/// (`workers`, `max_in_flight`, `drop_after`, `spin_below`) do not apply.
pub async fn run_closed<T: Target>(
    closed: &ClosedLoop,
    config: &LoadConfig,
    target: Arc<T>,
) -> Result<LoadReport, LoadError> {
    closed.validate()?;
    let handle = tokio::runtime::Handle::try_current().map_err(|_| LoadError::NoRuntime)?;
    let bounds = config.check_phases(closed.duration)?;
    let shards = closed.workers.min(closed::MAX_SHARDS);
    let setup = Setup::new(config, bounds, shards, 0, closed.duration);
    let pacing = closed.expected_interval.or(closed.pacing);
    let recorders: Vec<closed::Shard> =
        (0..shards).map(|s| Arc::new(Mutex::new(setup.shared.recorder(s, pacing, false)))).collect();
    let closed_arc = Arc::new(closed.clone());
    let in_flight: Arc<[AtomicU64]> = (0..closed.workers).map(|_| AtomicU64::new(0)).collect();
    let tasks: Vec<_> = (0..closed.workers)
        .map(|w| {
            let (t, s, c) = (target.clone(), setup.shared.clone(), closed_arc.clone());
            let (shard, slots) = (recorders[w % shards].clone(), in_flight.clone());
            handle.spawn(closed::run_worker(t, s, c, setup.clock, w, shard, slots))
        })
        .collect();
    // Workers stop sending at the end of the run; whoever still waits for an answer at the
    // drain deadline is cancelled, and its request counted as a timeout below.
    let deadline = setup.clock.start_instant() + closed.duration + config.drain_timeout;
    let deadline_offset = Offset::from_duration(closed.duration + config.drain_timeout);
    for mut t in tasks {
        match tokio::time::timeout_at(deadline, &mut t).await {
            Ok(joined) => joined.map_err(LoadError::Worker)?,
            Err(_) => {
                t.abort();
                match t.await {
                    Ok(()) => {}
                    Err(e) if e.is_cancelled() => {}
                    Err(e) => return Err(LoadError::Worker(e)),
                }
            }
        }
    }
    // Requests of cancelled workers: sent, never answered.
    for (w, slot) in in_flight.iter().enumerate() {
        if let Some(tag) = closed::decode(slot.load(Ordering::Acquire)) {
            closed::lock(&recorders[w % shards]).sent(tag, None);
        }
    }
    let results = recorders
        .into_iter()
        .map(|shard| {
            let mut r = Arc::try_unwrap(shard)
                .map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner))
                .unwrap_or_else(|_| unreachable!("every worker has finished"));
            let now = setup.clock.now();
            r.time_out_in_flight(now.min(deadline_offset));
            r.finish(now);
            r
        })
        .collect();
    // A run capped by `max_requests` ends before its duration: its timeline and rates end there.
    let sent_until = match closed.max_requests {
        Some(_) => closed.duration.min(setup.clock.now().as_duration()),
        None => closed.duration,
    };
    let mut report = setup.finish(results, None, summary::LoadMode::Closed(closed.clone()), sent_until);
    report.health.workers = closed.workers;
    // In a closed loop the latency is measured from the actual send: it is the service time.
    report.service_time = report.latency.clone();
    Ok(report)
}

#[cfg(test)]
mod feature_tests;
#[cfg(test)]
mod tests;
