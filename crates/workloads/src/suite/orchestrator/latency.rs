//! Latency: request→response round trips.
//!
//! Criterion groups (time per request, one request at a time):
//! - `request_response/<system>/echo_64B` — client → echo agent → client, 64 B payload; beside
//!   `raw_mpsc/echo_64B`, the same round trip over a bare channel and a oneshot reply.
//! - `request_response/<system>/worker_1000` — agent response time when the agent does 1,000
//!   rounds of work per request.
//!
//! Open loop ([`open_loop`]): criterion's mean hides the tail, and a closed loop under-reports it
//! (coordinated omission). So the suite first measures the maximum rate (64 requests kept in
//! flight for a while; completions per second), then drives the system with bench-core's
//! open-loop generator at 50 % and 90 % of it, records p50…p99.9 from the intended send times,
//! writes `SystemMetrics` to `target/noisegate/latency/<system>/open_loop_<pct>pct/<baseline>/`
//! and grades them against `noisegate.toml`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_core::load::{self, LoadConfig, RateSchedule, Request, from_fn};
use bench_core::metrics::{ErrorKind, SystemMetrics};
use bench_core::resource::ResourceSampler;
use bench_core::results::ResultsDir;
use bench_core::targets::{Evaluation, Targets};
use criterion::{BenchmarkId, Criterion, Throughput};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

use crate::orchestrator::{AclMessage, AgentId, AgentSystem, DEFAULT_MAILBOX, Performative, Role};
use crate::suite::{RunOptions, message, payload};

/// Runs the criterion groups for the system `make` builds (inside `rt`), named `name`.
pub fn latency<S: AgentSystem>(c: &mut Criterion, rt: &Runtime, name: &str, make: impl Fn() -> S) {
    let mut g = c.benchmark_group("request_response");
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(1));
    let body = payload(64);
    for (case, role) in [("echo_64B", Role::Echo), ("worker_1000", Role::Worker { iterations: 1000 })] {
        let _in_runtime = rt.enter();
        let sys = Arc::new(make());
        let agent = sys.spawn(role, &[]).unwrap_or_else(|e| panic!("spawning the responder: {e}"));
        g.bench_function(BenchmarkId::new(name, case), |b| {
            b.iter_custom(|iters| {
                let (sys, body) = (sys.clone(), body.clone());
                rt.block_on(rt.spawn(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let req = AclMessage { performative: Performative::Request, ..message(agent, &body) };
                        sys.request(req).await.unwrap_or_else(|e| panic!("request failed: {e}"));
                    }
                    start.elapsed()
                }))
                .expect("request loop panicked")
            })
        });
        rt.block_on(sys.shutdown());
    }
    let _in_runtime = rt.enter();
    let echo = RawEcho::start();
    g.bench_function(BenchmarkId::new("raw_mpsc", "echo_64B"), |b| {
        b.iter_custom(|iters| {
            let (tx, body) = (echo.tx.clone(), body.clone());
            rt.block_on(rt.spawn(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let (reply_tx, reply_rx) = oneshot::channel();
                    let req = AclMessage { performative: Performative::Request, ..message(AgentId(0), &body) };
                    tx.send((req, reply_tx)).await.expect("echo task alive");
                    reply_rx.await.expect("echo replies");
                }
                start.elapsed()
            }))
            .expect("request loop panicked")
        })
    });
    g.finish();
}

/// A bare echo task: the physical limit of one round trip through tokio's channels.
struct RawEcho {
    tx: mpsc::Sender<(AclMessage, oneshot::Sender<AclMessage>)>,
}

impl RawEcho {
    fn start() -> Self {
        let (tx, mut rx) = mpsc::channel::<(AclMessage, oneshot::Sender<AclMessage>)>(DEFAULT_MAILBOX);
        tokio::spawn(async move {
            while let Some((m, reply)) = rx.recv().await {
                let _ = reply.send(m);
            }
        });
        RawEcho { tx }
    }
}

/// One open-loop run's outcome.
#[derive(Debug, Clone)]
pub struct OpenLoopRun {
    /// Results id, `latency/<system>/open_loop_<pct>pct`.
    pub id: String,
    /// Fraction of the measured maximum rate, in percent.
    pub percent: u32,
    /// What was measured.
    pub metrics: SystemMetrics,
    /// Its grades against the targets.
    pub evaluation: Evaluation,
}

/// In-flight requests while measuring the maximum rate.
const SATURATION_IN_FLIGHT: usize = 64;

/// Measures the maximum request rate, then runs open loop at 50 % and 90 % of it, writing and
/// grading `SystemMetrics`. Skipped (empty result) when the name filter excludes it.
pub fn open_loop<S: AgentSystem>(
    rt: &Runtime,
    name: &str,
    make: impl Fn() -> S,
    opts: &RunOptions,
    targets: &Targets,
) -> Vec<OpenLoopRun> {
    let ids: Vec<(u32, String)> = [50, 90].map(|p| (p, format!("latency/{name}/open_loop_{p}pct"))).into();
    let ids: Vec<_> = ids.into_iter().filter(|(_, id)| opts.selects(id)).collect();
    if ids.is_empty() {
        return Vec::new();
    }
    let _in_runtime = rt.enter();
    let sys = Arc::new(make());
    // One echo agent per core: the requests rotate over them.
    let echoes: Arc<[AgentId]> = (0..bench_core::resource::logical_cpus().max(1))
        .map(|_| sys.spawn(Role::Echo, &["echo"]).unwrap_or_else(|e| panic!("spawning an echo agent: {e}")))
        .collect();
    let target = Arc::new(from_fn({
        let (sys, echoes) = (sys.clone(), echoes.clone());
        let body = payload(64);
        move |req: Request| {
            let to = echoes[(req.seq % echoes.len() as u64) as usize];
            let msg = AclMessage { performative: Performative::Request, ..message(to, &body) };
            let sys = sys.clone();
            async move { sys.request(msg).await.map(|_| ()).map_err(|_| ErrorKind::Failed) }
        }
    }));
    // One generator worker: on a small machine every spinning worker takes a core from the
    // system under test. No per-request timeout: a lost reply surfaces as NoReply, and a timer
    // per request would cost more than the round trip.
    let config = LoadConfig { workers: Some(1), ..LoadConfig::default() };
    let max_rate = rt.block_on(saturate(target.clone(), opts.pick(Duration::from_secs(1), Duration::from_secs(3))));
    println!(
        "{name}: maximum request rate {max_rate:.0} req/s (generator scheduled far above capacity, \
         {SATURATION_IN_FLIGHT} in flight; generator cost included; wall-clock)"
    );
    let duration = opts.pick(Duration::from_secs(3), Duration::from_secs(10));
    let mut runs = Vec::new();
    for (percent, id) in ids {
        let rate = max_rate * percent as f64 / 100.0;
        let schedule = RateSchedule::constant(rate, duration);
        let sampler = ResourceSampler::start().ok();
        let report = rt
            .block_on(load::run(&schedule, &config, target.clone()))
            .unwrap_or_else(|e| panic!("open-loop run at {rate:.0} req/s: {e}"));
        let mut metrics = report.to_system_metrics(&id, bench_core::run_context!(report.elapsed, Duration::ZERO));
        metrics.resources = sampler.map(|s| s.stop().summary);
        // The orchestrator is what Caxton's guide benchmarks: its targets and our own goals apply.
        let evaluation = targets.evaluate_sets(&metrics, |set| matches!(set, "caxton" | "orchestrator"));
        let lat = report.latency.summary();
        println!(
            "{id}: {:.0} req/s intended, {:.0} achieved; latency p50 {} p99 {} p99.9 {} max {}{}",
            report.health.intended_rate,
            report.health.achieved_rate,
            lat.p50_ns,
            lat.p99_ns,
            lat.p999_ns,
            lat.max_ns,
            if report.health.saturated { " — GENERATOR SATURATED, latencies include its lag" } else { "" }
        );
        match ResultsDir::locate().write(&id, &opts.baseline, "metrics.json", &metrics) {
            Ok(path) => println!("  wrote {}", path.display()),
            Err(e) => eprintln!("  could not write results: {e}"),
        }
        println!("{evaluation}");
        runs.push(OpenLoopRun { id, percent, metrics, evaluation });
    }
    rt.block_on(sys.shutdown());
    runs
}

/// Successful requests per second when the generator is scheduled far above what the system
/// can do, with [`SATURATION_IN_FLIGHT`] requests outstanding at most.
async fn saturate<T: bench_core::load::Target>(target: Arc<T>, duration: Duration) -> f64 {
    let schedule = RateSchedule::constant(20_000_000.0, duration);
    let config = LoadConfig { workers: Some(1), max_in_flight: SATURATION_IN_FLIGHT, ..LoadConfig::default() };
    let report = load::run(&schedule, &config, target).await.expect("valid saturation schedule");
    report.errors.succeeded() as f64 / report.elapsed.as_secs_f64()
}
