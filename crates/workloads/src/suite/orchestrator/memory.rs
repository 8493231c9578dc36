//! Memory: bytes (or allocator calls) per routed message, per spawned agent and per
//! request/response, measured by criterion through an allocation [`Measurement`] (see
//! `bench_core::alloc::{AllocatedBytes, Allocations}`), so `--save-baseline` / `--baseline`
//! compare memory exactly as they compare time.
//!
//! Groups (ids `<group>_<unit>/<system>/<case>`, unit `bytes` or `allocs`; with a `Throughput`,
//! criterion's "thrpt" is per element: bytes per message, per agent, per request):
//! - `route` — 1,000 messages of 256 B to one sink, beside `raw_mpsc`: building each message
//!   (its `receivers` vector; the payload is shared), routing, delivery and handling, on every
//!   thread. Routing alone allocates nothing once mailbox buffers are warm, which criterion
//!   cannot analyse (it rejects a zero measurement), hence construction is included.
//! - `spawn` — spawning 1,000 agents into a fresh system.
//! - `request` — 100 sequential request/reply round trips with an echo agent.
//!
//! The counting window opens inside the task that does the work, so the task's own spawn is not
//! charged to the system.

use std::sync::Arc;
use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{BenchmarkId, Criterion, Throughput};
use tokio::runtime::Runtime;

use super::reference::{RawMpsc, Route, Shape, SystemRoute, build, deliver_built, spawn_sinks};
use crate::orchestrator::{AclMessage, AgentId, AgentSystem, DEFAULT_MAILBOX, Performative, Role, Tally};
use crate::suite::{message, payload};

const ROUTED: usize = 1_000;
const SPAWNED: usize = 1_000;
const REQUESTS: usize = 100;

/// Runs the memory groups with `measure`, the measurement `c` was configured with; `unit` ends
/// the group names (`route_<unit>`, `spawn_<unit>`, `request_<unit>`) so byte and call counts
/// land in different criterion directories.
pub fn memory<M, S>(c: &mut Criterion<M>, measure: M, unit: &str, rt: &Runtime, name: &str, make: impl Fn() -> S)
where
    M: Measurement<Value = u64> + Copy + Send + Sync + 'static,
    M::Intermediate: Send,
    S: AgentSystem,
{
    declare_units(unit);
    let shape = Shape { senders: 1, receivers: 1, multicast: false, messages: ROUTED, payload: 256 };
    let mut g = c.benchmark_group(format!("route_{unit}"));
    g.measurement_time(Duration::from_secs(2));
    g.warm_up_time(Duration::from_millis(300));
    g.throughput(Throughput::Elements(ROUTED as u64));
    {
        let _in_runtime = rt.enter();
        let sys = Arc::new(make());
        let tally = Tally::new();
        let ids: Arc<[AgentId]> = spawn_sinks(&*sys, 1, &tally).into();
        let route = Arc::new(SystemRoute(sys.clone()));
        g.bench_function(BenchmarkId::new(name, "256B"), |b| {
            b.iter_custom(|iters| counted(rt, measure, route.clone(), shape, ids.clone(), tally.clone(), iters))
        });
        rt.block_on(sys.shutdown());
    }
    {
        let _in_runtime = rt.enter();
        let tally = Tally::new();
        let raw = RawMpsc::start(1, DEFAULT_MAILBOX, &tally);
        let ids: Arc<[AgentId]> = raw.ids().into();
        let raw = Arc::new(raw);
        g.bench_function(BenchmarkId::new("raw_mpsc", "256B"), |b| {
            b.iter_custom(|iters| counted(rt, measure, raw.clone(), shape, ids.clone(), tally.clone(), iters))
        });
    }
    g.finish();

    let mut g = c.benchmark_group(format!("spawn_{unit}"));
    g.measurement_time(Duration::from_secs(2));
    g.warm_up_time(Duration::from_millis(300));
    g.throughput(Throughput::Elements(SPAWNED as u64));
    g.bench_function(BenchmarkId::new(name, SPAWNED), |b| {
        b.iter_custom(|iters| {
            let _in_runtime = rt.enter();
            let mut total = measure.zero();
            for _ in 0..iters {
                let sys = make();
                let tally = Tally::new();
                let mut ids = Vec::with_capacity(SPAWNED);
                let start = measure.start();
                for _ in 0..SPAWNED {
                    ids.push(sys.spawn(Role::Sink(tally.clone()), &["sink"]).unwrap_or_else(|e| panic!("spawn: {e}")));
                }
                total = measure.add(&total, &measure.end(start));
                rt.block_on(sys.shutdown());
            }
            total
        })
    });
    g.finish();

    let mut g = c.benchmark_group(format!("request_{unit}"));
    g.measurement_time(Duration::from_secs(2));
    g.warm_up_time(Duration::from_millis(300));
    g.throughput(Throughput::Elements(REQUESTS as u64));
    let _in_runtime = rt.enter();
    let sys = Arc::new(make());
    let echo = sys.spawn(Role::Echo, &[]).unwrap_or_else(|e| panic!("spawning the echo agent: {e}"));
    let body = payload(64);
    g.bench_function(BenchmarkId::new(name, "echo_64B"), |b| {
        b.iter_custom(|iters| {
            let (sys, body) = (sys.clone(), body.clone());
            rt.block_on(rt.spawn(async move {
                let mut total = measure.zero();
                for _ in 0..iters {
                    let requests: Vec<AclMessage> = (0..REQUESTS)
                        .map(|_| AclMessage { performative: Performative::Request, ..message(echo, &body) })
                        .collect();
                    let start = measure.start();
                    for r in requests {
                        sys.request(r).await.unwrap_or_else(|e| panic!("request failed: {e}"));
                    }
                    total = measure.add(&total, &measure.end(start));
                }
                total
            }))
            .expect("request loop panicked")
        })
    });
    g.finish();
    rt.block_on(sys.shutdown());
}

/// `iters` routing iterations, counting only inside the worker task's window.
fn counted<M, R>(
    rt: &Runtime,
    measure: M,
    route: Arc<R>,
    shape: Shape,
    ids: Arc<[AgentId]>,
    tally: Arc<Tally>,
    iters: u64,
) -> u64
where
    M: Measurement<Value = u64> + Copy + Send + Sync + 'static,
    M::Intermediate: Send,
    R: Route,
{
    rt.block_on(rt.spawn(async move {
        let body = payload(shape.payload);
        let mut total = measure.zero();
        let mut expected = tally.count();
        for _ in 0..iters {
            // Construction is inside the window: in steady state the orchestrator's routing
            // itself allocates nothing (mailbox buffers are reused), and criterion cannot
            // analyse an exact zero. So the figure is "build + route + handle" per message;
            // routing's own share is the difference to what building alone costs.
            expected += shape.deliveries();
            let start = measure.start();
            let batches = build(shape, &ids, &body);
            deliver_built(&route, batches, &tally, expected).await;
            total = measure.add(&total, &measure.end(start));
        }
        total
    }))
    .expect("routing iterations panicked")
}

/// Tells the gate that this suite's groups count bytes or allocations, not nanoseconds
/// (criterion's files do not say which measurement wrote them).
fn declare_units(unit: &str) {
    use bench_core::gate::Unit;
    use bench_core::sides::declare_group_unit;
    let kind = match unit {
        "bytes" => Unit::Bytes,
        "allocs" => Unit::Allocations,
        _ => return,
    };
    let results = bench_core::results::ResultsDir::locate();
    for group in ["route", "spawn", "request"] {
        if let Err(e) = declare_group_unit(&results, &format!("{group}_{unit}"), kind.clone()) {
            eprintln!("warning: the gate will label {group}_{unit} in nanoseconds: {e}");
        }
    }
}
