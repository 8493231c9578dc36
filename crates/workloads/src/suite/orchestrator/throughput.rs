//! Throughput: messages routed and handled per second.
//!
//! Groups (criterion ids `<group>/<system>/<case>`; elements/s is deliveries handled per second):
//!
//! - `route_1to1` — one sender, one sink: payloads 64 B to 32 KiB at 1,000 messages per
//!   iteration, and batches of 1, 10 and 100 messages of 256 B (batch 1 is one-way delivery
//!   latency, wake-up included).
//! - `route_nto1` — 4 concurrent senders, one sink, 256 B × 1,000.
//! - `route_1toN` — one sender multicasting to 10 sinks, 256 B × 100 (1,000 deliveries).
//! - `pool` — 256 tasks over one worker agent per core with ≤ 32 in flight, at 0, 1,000 and
//!   10,000 rounds of work per task (request/reply, so replies are routed too).
//! - `codec` — encode + decode of one 256 B-payload message, JSON against the binary encoding.
//!
//! Every routing case also runs as `raw_mpsc`: one bounded `tokio::sync::mpsc` channel per sink
//! (same capacity as a mailbox) with a task doing the same sink work. The ratio system/raw is the
//! fraction of the physical limit the system reaches.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::runtime::Runtime;

use super::reference::{RawMpsc, Route, Shape, SystemRoute, route_iterations, spawn_sinks};
use crate::orchestrator::{AclMessage, AgentId, AgentSystem, DEFAULT_MAILBOX, Performative, Role, Tally, work};
use crate::suite::{message, size_label};

/// Payload sizes of the `route_1to1` sweep.
pub const PAYLOADS: [usize; 5] = [64, 256, 1024, 4096, 32 * 1024];
/// Batch sizes of the `route_1to1` sweep (1,000 is the payload sweep's batch).
pub const BATCHES: [usize; 4] = [1, 10, 100, 1000];
/// Work rounds per pool task.
pub const POOL_COSTS: [u32; 3] = [0, 1_000, 10_000];

fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
}

/// Runs every throughput group for the system `make` builds (called inside `rt`), named `name`.
pub fn throughput<S: AgentSystem>(c: &mut Criterion, rt: &Runtime, name: &str, make: impl Fn() -> S) {
    let mut g = c.benchmark_group("route_1to1");
    configure(&mut g);
    for payload in PAYLOADS {
        let shape = Shape { senders: 1, receivers: 1, multicast: false, messages: 1000, payload };
        route_pair(&mut g, rt, name, &make, shape, &format!("{}_x1000", size_label(payload)));
    }
    for batch in BATCHES.into_iter().filter(|&b| b != 1000) {
        let shape = Shape { senders: 1, receivers: 1, multicast: false, messages: batch, payload: 256 };
        route_pair(&mut g, rt, name, &make, shape, &format!("256B_x{batch}"));
    }
    g.finish();

    let mut g = c.benchmark_group("route_nto1");
    configure(&mut g);
    route_pair(
        &mut g,
        rt,
        name,
        &make,
        Shape { senders: 4, receivers: 1, multicast: false, messages: 1000, payload: 256 },
        "4to1_256B",
    );
    g.finish();

    let mut g = c.benchmark_group("route_1toN");
    configure(&mut g);
    route_pair(
        &mut g,
        rt,
        name,
        &make,
        Shape { senders: 1, receivers: 10, multicast: true, messages: 100, payload: 256 },
        "1to10_256B",
    );
    g.finish();

    let mut g = c.benchmark_group("pool");
    configure(&mut g);
    for cost in POOL_COSTS {
        pool(&mut g, rt, name, &make, cost);
    }
    g.finish();

    codec(c);
}

/// The system and raw mpsc on the same shape, one after the other.
fn route_pair<S: AgentSystem>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    name: &str,
    make: &impl Fn() -> S,
    shape: Shape,
    case: &str,
) {
    g.throughput(Throughput::Elements(shape.deliveries()));
    {
        let _in_runtime = rt.enter();
        let sys = Arc::new(make());
        let tally = Tally::new();
        let ids: Arc<[AgentId]> = spawn_sinks(&*sys, shape.receivers, &tally).into();
        bench_route(g, rt, BenchmarkId::new(name, case), Arc::new(SystemRoute(sys.clone())), shape, ids, tally);
        rt.block_on(sys.shutdown());
    }
    let _in_runtime = rt.enter();
    let tally = Tally::new();
    let raw = RawMpsc::start(shape.receivers, DEFAULT_MAILBOX, &tally);
    let ids: Arc<[AgentId]> = raw.ids().into();
    bench_route(g, rt, BenchmarkId::new("raw_mpsc", case), Arc::new(raw), shape, ids, tally);
}

fn bench_route<R: Route>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    id: BenchmarkId,
    route: Arc<R>,
    shape: Shape,
    ids: Arc<[AgentId]>,
    tally: Arc<Tally>,
) {
    g.bench_function(id, |b| {
        b.iter_custom(|iters| {
            // The sending loop runs as a task, like an agent would, not on the bench thread.
            let run = route_iterations(route.clone(), shape, ids.clone(), tally.clone(), iters);
            rt.block_on(rt.spawn(run)).expect("routing iterations panicked")
        })
    });
}

const POOL_TASKS: usize = 256;
const POOL_IN_FLIGHT: usize = 32;

fn pool<S: AgentSystem>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    name: &str,
    make: &impl Fn() -> S,
    cost: u32,
) {
    let _in_runtime = rt.enter();
    let sys = Arc::new(make());
    let workers: Arc<[AgentId]> = (0..bench_core::resource::logical_cpus().max(1))
        .map(|_| {
            sys.spawn(Role::Worker { iterations: cost }, &["pool"]).unwrap_or_else(|e| panic!("spawning a worker: {e}"))
        })
        .collect();
    g.throughput(Throughput::Elements(POOL_TASKS as u64));
    g.bench_function(BenchmarkId::new(name, format!("work_{cost}")), |b| {
        b.iter_custom(|iters| {
            let run = pool_iterations(sys.clone(), workers.clone(), cost, iters);
            rt.block_on(rt.spawn(run)).expect("pool iterations panicked")
        })
    });
    rt.block_on(sys.shutdown());
}

async fn pool_iterations<S: AgentSystem>(sys: Arc<S>, workers: Arc<[AgentId]>, cost: u32, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let mut pending = FuturesUnordered::new();
        for t in 0..POOL_TASKS {
            if pending.len() >= POOL_IN_FLIGHT {
                check(pending.next().await.expect("pending is not empty"), cost);
            }
            let to = workers[t % workers.len()];
            let task = message(to, &Bytes::copy_from_slice(&(t as u64).to_le_bytes()));
            let sys = &sys;
            pending.push(async move {
                (t as u64, sys.request(AclMessage { performative: Performative::Request, ..task }).await)
            });
        }
        while let Some(done) = pending.next().await {
            check(done, cost);
        }
        total += start.elapsed();
    }
    total
}

fn check<E: std::fmt::Display>((seed, reply): (u64, Result<AclMessage, E>), cost: u32) {
    let reply = reply.unwrap_or_else(|e| panic!("pool task {seed} failed: {e}"));
    // Verify a sample of answers (every 64th) so the check does not double the work measured.
    if seed.is_multiple_of(64) {
        assert_eq!(reply.payload[..], work(seed, cost).to_le_bytes(), "pool task {seed}: wrong result");
    }
}

fn codec(c: &mut Criterion) {
    let mut g = c.benchmark_group("codec");
    configure(&mut g);
    let msg = AclMessage {
        language: Some("fipa-sl".into()),
        ontology: Some("noisegate-bench".into()),
        reply_with: Some(7),
        ..message(AgentId(42), &crate::suite::payload(256))
    };
    let json_len = serde_json::to_vec(&msg).expect("serialisable").len();
    let binary_len = msg.binary_len();
    println!("codec: one message with a 256 B payload is {json_len} B as JSON, {binary_len} B in the binary encoding");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("json", "256B"), |b| {
        b.iter(|| {
            let bytes = serde_json::to_vec(std::hint::black_box(&msg)).expect("serialisable");
            let back: AclMessage = serde_json::from_slice(&bytes).expect("round trip");
            back
        })
    });
    let mut buf = Vec::with_capacity(binary_len);
    g.bench_function(BenchmarkId::new("binary", "256B"), |b| {
        b.iter(|| {
            buf.clear();
            std::hint::black_box(&msg).encode_binary(&mut buf).expect("encodable");
            AclMessage::decode_binary(&buf).expect("round trip")
        })
    });
    g.finish();
}
