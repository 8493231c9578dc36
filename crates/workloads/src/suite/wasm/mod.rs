//! What running agents as WebAssembly costs (see [`crate::wasm`] for the host).
//!
//! Groups (criterion ids `<group>/<function>/<case>`):
//!
//! - `wasm_overhead` — each kernel natively and as WASM with fuel off (`HostConfig::unbounded`),
//!   fuel on and an epoch deadline, on the same input; every mode's result is checked equal to
//!   native before timing. Kernels: `hash_100k` (100,000 SplitMix64 rounds), `matmul_64`
//!   (64 × 64 integer matrices) and `memory_<size>` (fill and sum 1 KiB to 64 MiB).
//! - `wasm_compile` — compiling each built-in guest's binary with Cranelift (one thread).
//! - `wasm_instantiate` — a new store and instance, dropped again: `cold` through
//!   `Linker::instantiate` from the module, `instance_pre` through `InstancePre::instantiate`,
//!   `pooled` through `InstancePre` with the pooling allocator.
//! - `wasm_agents` — request/reply through the orchestrator: 256 requests, ≤ 32 in flight, over
//!   one agent per core, `native` ([`TransformAgent`]) against `wasm` ([`WasmAgent`] on the
//!   echo guest, default untrusted bounds). elements/s is requests per second.
//! - `wasm_concurrency` — 1 to 16 instances each running `hash_100k` at once on the suite's
//!   runtime (one task each), against as many native tasks. elements/s is kernel calls per
//!   second; it stops rising at one task per core.
//! - `wasm_memory_limit` — for stores limited to 1, 10, 100 and 1000 MiB: the largest memory
//!   each really gets (grown one page at a time until refused; printed, and asserted equal to
//!   the limit rounded down to 64 KiB pages), then `fill_sum_90pct`, the memory kernel over
//!   90 % of the limit, in 10 flat samples (at 1000 MiB each sample is one iteration writing
//!   and reading ~0.9 GiB, ~5 s in all); under `--quick`, criterion's own short loop.
//!
//! After the run, [`report`] prints the ratios computed from this run's criterion medians and
//! writes them to `target/noisegate/wasm/summary/<baseline>/summary.json`.

pub mod load;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde::Serialize;
use tokio::runtime::Runtime;

use crate::orchestrator::{
    AclMessage, AgentId, AgentSpec, Client, ConversationId, Orchestrator, Performative, RouteError,
};
use crate::suite::{RunOptions, payload, size_label};
use crate::wasm::{
    Builtin, Guest, GuestInstance, HashKernel, HostConfig, Limits, MatmulKernel, MemoryKernel, NativeKernels,
    PAGE_SIZE, TransformAgent, WasmAgent, WasmError, WasmHost, native, transform,
};

/// Rounds of the hash kernel.
pub const HASH_ROUNDS: u32 = 100_000;
/// Matrix size of the matmul kernel.
pub const MATMUL_N: u32 = 64;
/// Sizes the memory kernel fills and sums.
pub const MEMORY_SIZES: [u32; 5] = [1 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20];
/// Memory limits of the sweep, in MiB.
pub const LIMITS_MIB: [usize; 4] = [1, 10, 100, 1000];
/// Instance counts of the concurrency group.
pub const CONCURRENCY: [usize; 5] = [1, 2, 4, 8, 16];
/// Payload sizes of the agent group.
pub const AGENT_PAYLOADS: [usize; 2] = [256, 4096];

const MODES: [&str; 3] = ["fuel_off", "fuel_on", "epoch"];
const SEED: u64 = 0x5EED;

/// What the suite found outside criterion (the memory-limit probe), for [`report`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct Findings {
    /// One entry per limit of the sweep.
    pub limits: Vec<LimitFact>,
}

/// The largest memory a store limited to `limit_mib` MiB could grow to.
#[derive(Debug, Clone, Serialize)]
pub struct LimitFact {
    /// The configured limit.
    pub limit_mib: usize,
    /// The largest memory reached, growing one 64 KiB page at a time.
    pub largest_bytes: u64,
    /// The limit rounded down to whole pages.
    pub expected_bytes: u64,
}

/// A host for `mode` (see the module docs); every bound far above what the kernels need.
fn host(mode: &str, limits: Limits) -> WasmHost {
    let config = match mode {
        "fuel_off" => HostConfig { limits, ..HostConfig::unbounded() },
        "fuel_on" => HostConfig { limits, fuel: Some(1 << 50), ..HostConfig::unbounded() },
        "epoch" => HostConfig { limits, deadline: Some(Duration::from_secs(600)), ..HostConfig::untrusted() },
        other => unreachable!("no mode {other}"),
    };
    WasmHost::new(config).unwrap_or_else(|e| panic!("building the {mode} host: {e}"))
}

fn builtin(host: &WasmHost, which: Builtin) -> Guest {
    ok(host.builtin(which))
}

/// The suite's own guests and bounds never fail; if one does, the bench stops with the cause.
#[track_caller]
fn ok<T>(r: Result<T, WasmError>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// Runs every group; call [`report`] after `c.final_summary()`.
pub fn wasm(c: &mut Criterion, rt: &Runtime) -> Findings {
    overhead(c);
    compile(c);
    instantiate(c);
    agents(c, rt);
    concurrency(c, rt);
    Findings { limits: memory_limits(c) }
}

#[derive(Clone, Copy)]
enum Kernel {
    Hash,
    Matmul,
    Memory(u32),
}

impl Kernel {
    fn name(self) -> String {
        match self {
            Kernel::Hash => "hash_100k".into(),
            Kernel::Matmul => format!("matmul_{MATMUL_N}"),
            Kernel::Memory(len) => format!("memory_{}", bytes_label(len as usize)),
        }
    }

    fn throughput(self) -> Throughput {
        match self {
            Kernel::Hash => Throughput::Elements(u64::from(HASH_ROUNDS)),
            Kernel::Matmul => Throughput::Elements(u64::from(MATMUL_N).pow(3)),
            Kernel::Memory(len) => Throughput::Bytes(u64::from(len)),
        }
    }

    fn native(self, k: &mut NativeKernels, seed: u64) -> u64 {
        match self {
            Kernel::Hash => native::hash(seed, HASH_ROUNDS),
            Kernel::Matmul => k.matmul(MATMUL_N, seed as u32),
            Kernel::Memory(len) => k.fill_sum(len, seed),
        }
    }
}

/// One instance of each kernel guest on one host.
struct WasmKernels {
    hash: HashKernel,
    matmul: MatmulKernel,
    memory: MemoryKernel,
}

impl WasmKernels {
    fn new(host: &WasmHost) -> Self {
        WasmKernels {
            hash: ok(HashKernel::new(&builtin(host, Builtin::Hash))),
            matmul: ok(MatmulKernel::new(&builtin(host, Builtin::Matmul))),
            memory: ok(MemoryKernel::new(&builtin(host, Builtin::Memory))),
        }
    }

    fn run(&mut self, kernel: Kernel, seed: u64) -> u64 {
        ok(match kernel {
            Kernel::Hash => self.hash.hash(seed, HASH_ROUNDS),
            Kernel::Matmul => self.matmul.matmul(MATMUL_N, seed as u32),
            Kernel::Memory(len) => self.memory.fill_sum(len, seed),
        })
    }
}

fn overhead(c: &mut Criterion) {
    let mut g = c.benchmark_group("wasm_overhead");
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    let mut nat = NativeKernels::new();
    let mut modes: Vec<(&str, WasmKernels)> =
        MODES.iter().map(|&m| (m, WasmKernels::new(&host(m, Limits::default())))).collect();
    let kernels = [Kernel::Hash, Kernel::Matmul].into_iter().chain(MEMORY_SIZES.map(Kernel::Memory));
    for kernel in kernels {
        let case = kernel.name();
        let expected = kernel.native(&mut nat, SEED);
        for (mode, k) in &mut modes {
            assert_eq!(k.run(kernel, SEED), expected, "{case}: {mode} differs from native");
        }
        // The 16 and 64 MiB cases take milliseconds per call: fewer, flat samples.
        let big = matches!(kernel, Kernel::Memory(len) if len >= 16 << 20);
        g.sample_size(if big { 20 } else { 100 });
        g.sampling_mode(if big { SamplingMode::Flat } else { SamplingMode::Auto });
        g.throughput(kernel.throughput());
        g.bench_function(BenchmarkId::new("native", &case), |b| b.iter(|| kernel.native(&mut nat, black_box(SEED))));
        for (mode, k) in &mut modes {
            g.bench_function(BenchmarkId::new(*mode, &case), |b| b.iter(|| k.run(kernel, black_box(SEED))));
        }
    }
    g.finish();
}

fn compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("wasm_compile");
    g.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    let host = host("epoch", Limits::default());
    for which in Builtin::ALL {
        let bytes = wat::parse_str(which.wat()).unwrap_or_else(|e| panic!("{}: {e}", which.name()));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(BenchmarkId::from_parameter(which.name()), |b| {
            b.iter(|| ok(host.compile(which.name(), black_box(&bytes))))
        });
    }
    g.finish();
}

type Instantiate = fn(&Guest) -> Result<GuestInstance, WasmError>;

fn instantiate(c: &mut Criterion) {
    let mut g = c.benchmark_group("wasm_instantiate");
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    let on_demand = host("epoch", Limits::default());
    let pooled = WasmHost::new(HostConfig { pool_slots: Some(16), ..HostConfig::untrusted() })
        .unwrap_or_else(|e| panic!("building the pooled host: {e}"));
    for which in [Builtin::Hash, Builtin::EchoAgent] {
        let (plain, pool) = (builtin(&on_demand, which), builtin(&pooled, which));
        let ways: [(&str, &Guest, Instantiate); 3] = [
            ("cold", &plain, GuestInstance::cold),
            ("instance_pre", &plain, GuestInstance::new),
            ("pooled", &pool, GuestInstance::new),
        ];
        for (way, guest, make) in ways {
            g.bench_function(BenchmarkId::new(way, which.name()), |b| b.iter(|| ok(make(guest))));
        }
    }
    g.finish();
}

const REQUESTS: usize = 256;
const IN_FLIGHT: usize = 32;

fn agents(c: &mut Criterion, rt: &Runtime) {
    let mut g = c.benchmark_group("wasm_agents");
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(REQUESTS as u64));
    let wasm_host = ok(WasmHost::new(HostConfig::untrusted()));
    let echo = builtin(&wasm_host, Builtin::EchoAgent);
    let specs = [("native", AgentSpec::new(|| TransformAgent)), ("wasm", WasmAgent::spec(echo))];
    for len in AGENT_PAYLOADS {
        let body = payload(len);
        for (name, spec) in &specs {
            let _in_runtime = rt.enter();
            let orch = Orchestrator::new();
            let client = Arc::new(orch.client());
            let agents: Arc<[AgentId]> = (0..bench_core::resource::logical_cpus().max(1))
                .map(|_| orch.spawn(spec).unwrap_or_else(|e| panic!("spawning a {name} agent: {e}")))
                .collect();
            g.bench_function(BenchmarkId::new(*name, size_label(len)), |b| {
                b.iter_custom(|iters| {
                    let run = requests(client.clone(), agents.clone(), body.clone(), iters);
                    rt.block_on(rt.spawn(run)).expect("request iterations panicked")
                })
            });
            rt.block_on(orch.shutdown());
        }
    }
    g.finish();
}

async fn requests(client: Arc<Client>, agents: Arc<[AgentId]>, body: Bytes, iters: u64) -> Duration {
    let expected = transform(&body);
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let mut pending = FuturesUnordered::new();
        for r in 0..REQUESTS {
            if pending.len() >= IN_FLIGHT
                && let Some(reply) = pending.next().await
            {
                check(reply, &expected);
            }
            let msg = AclMessage::new(
                Performative::Request,
                AgentId(0),
                agents[r % agents.len()],
                ConversationId(0),
                body.clone(),
            );
            let client = &client;
            pending.push(async move { client.request(msg).await });
        }
        while let Some(reply) = pending.next().await {
            check(reply, &expected);
        }
        total += start.elapsed();
    }
    total
}

/// Every reply is checked in full: the same cost for native and WASM agents.
fn check(reply: Result<AclMessage, RouteError>, expected: &[u8]) {
    let reply = reply.unwrap_or_else(|e| panic!("an agent request failed: {e}"));
    assert_eq!(reply.performative, Performative::Inform, "{}", String::from_utf8_lossy(&reply.payload));
    assert_eq!(reply.payload, expected, "an agent replied with the wrong transform");
}

fn concurrency(c: &mut Criterion, rt: &Runtime) {
    let mut g = c.benchmark_group("wasm_concurrency");
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    let host = ok(WasmHost::new(HostConfig::untrusted()));
    let guest = builtin(&host, Builtin::Hash);
    let expected = native::hash(SEED, HASH_ROUNDS);
    for n in CONCURRENCY {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("native", n), |b| {
            b.iter(|| rt.block_on(join_all((0..n).map(|_| rt.spawn(async move { native::hash(SEED, HASH_ROUNDS) })))))
        });
        // One instance (one store) per task, as one per agent.
        let instances: Vec<Arc<Mutex<HashKernel>>> =
            (0..n).map(|_| Arc::new(Mutex::new(ok(HashKernel::new(&guest))))).collect();
        g.bench_function(BenchmarkId::new("wasm", n), |b| {
            b.iter(|| {
                let tasks = instances.iter().map(|k| {
                    let k = k.clone();
                    rt.spawn(async move {
                        let mut k = k.lock().unwrap_or_else(|p| p.into_inner());
                        ok(k.hash(SEED, HASH_ROUNDS))
                    })
                });
                let results = rt.block_on(join_all(tasks));
                assert!(results.iter().all(|&r| r == expected), "a concurrent instance computed a wrong hash");
            })
        });
    }
    g.finish();
}

async fn join_all<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let tasks: Vec<_> = tasks.collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("kernel task panicked"));
    }
    out
}

fn memory_limits(c: &mut Criterion) -> Vec<LimitFact> {
    let mut g = c.benchmark_group("wasm_memory_limit");
    g.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    let mut facts = Vec::new();
    for mib in LIMITS_MIB {
        let limit = mib << 20;
        // The epoch host, with a deadline generous enough for ~0.9 GiB on a loaded machine.
        let host = host("epoch", Limits::default().with_memory(limit));
        let guest = builtin(&host, Builtin::Memory);
        let mut probe = ok(MemoryKernel::new(&guest));
        let largest = probe.largest_memory().unwrap_or_else(|e| panic!("probing the {mib} MiB limit: {e}"));
        drop(probe);
        let expected = (limit / PAGE_SIZE * PAGE_SIZE) as u64;
        println!(
            "wasm memory limit {mib} MiB: largest memory reached {largest} B ({} pages); expected {expected} B",
            largest / PAGE_SIZE as u64
        );
        assert_eq!(largest, expected, "the {mib} MiB limit is not enforced to the page");
        facts.push(LimitFact { limit_mib: mib, largest_bytes: largest, expected_bytes: expected });

        let len = fill_len(mib);
        let mut k = ok(MemoryKernel::new(&guest));
        g.throughput(Throughput::Bytes(u64::from(len)));
        g.bench_function(BenchmarkId::new("fill_sum_90pct", format!("{mib}MiB")), |b| {
            b.iter(|| ok(k.fill_sum(len, black_box(SEED))))
        });
    }
    g.finish();
    facts
}

/// The ratios and rates this run measured.
#[derive(Debug, Serialize)]
struct Summary {
    note: String,
    logical_cpus: usize,
    medians_ns: BTreeMap<String, f64>,
    overhead_vs_native: BTreeMap<String, BTreeMap<String, f64>>,
    findings: Findings,
}

/// Prints the WASM/native ratios and rates computed from this run's criterion medians (every
/// `wasm_*` benchmark written since `started`) and writes them with `findings` to
/// `target/noisegate/wasm/summary/<baseline>/summary.json`.
pub fn report(started: SystemTime, opts: &RunOptions, findings: &Findings) {
    if !opts.measuring {
        return;
    }
    let runs = match bench_core::criterion_output::CriterionDir::locate(None).read_baseline(bench_core::results::LATEST)
    {
        Ok(runs) => runs,
        Err(e) => return eprintln!("wasm summary skipped: {e}"),
    };
    let medians: BTreeMap<String, f64> = runs
        .into_iter()
        .filter(|r| r.group.starts_with("wasm_") && r.modified >= started)
        .map(|r| (r.id, r.typical))
        .collect();
    let m = |id: String| medians.get(&id).copied();
    let cpus = bench_core::resource::logical_cpus();
    println!("\nWASM summary — medians measured on this machine ({cpus} logical CPUs) in this run:");
    let mut overhead = BTreeMap::new();
    for case in [Kernel::Hash, Kernel::Matmul].into_iter().chain(MEMORY_SIZES.map(Kernel::Memory)).map(Kernel::name) {
        let Some(native) = m(format!("wasm_overhead/native/{case}")) else { continue };
        let mut line = format!("  overhead {case:<14} native {:>10}", fmt_ns(native));
        let mut ratios = BTreeMap::new();
        for mode in MODES {
            if let Some(t) = m(format!("wasm_overhead/{mode}/{case}")) {
                line += &format!("  {mode} {:.2}×", t / native);
                ratios.insert(mode.to_owned(), t / native);
            }
        }
        println!("{line}");
        overhead.insert(case, ratios);
    }
    for which in Builtin::ALL {
        if let Some(t) = m(format!("wasm_compile/{}", which.name())) {
            println!("  compile {:<12} {}", which.name(), fmt_ns(t));
        }
    }
    for which in [Builtin::Hash, Builtin::EchoAgent] {
        let ways = ["cold", "instance_pre", "pooled"].map(|w| (w, m(format!("wasm_instantiate/{w}/{}", which.name()))));
        let parts: Vec<String> = ways.iter().filter_map(|(w, t)| t.map(|t| format!("{w} {}", fmt_ns(t)))).collect();
        if !parts.is_empty() {
            println!("  instantiate {:<10} {}", which.name(), parts.join(", "));
        }
    }
    for len in AGENT_PAYLOADS.map(size_label) {
        let rate = |who: &str| m(format!("wasm_agents/{who}/{len}")).map(|t| REQUESTS as f64 / t * 1e9);
        if let (Some(n), Some(w)) = (rate("native"), rate("wasm")) {
            println!("  agents {len:>5} payload: native {n:.0} req/s, wasm {w:.0} req/s (wasm/native {:.2})", w / n);
        }
    }
    for n in CONCURRENCY {
        let rate = |who: &str| m(format!("wasm_concurrency/{who}/{n}")).map(|t| n as f64 / t * 1e9);
        if let (Some(nat), Some(w)) = (rate("native"), rate("wasm")) {
            println!("  concurrency {n:>2}: native {nat:.0} calls/s, wasm {w:.0} calls/s (hash_100k)");
        }
    }
    for f in &findings.limits {
        let len = fill_len(f.limit_mib);
        let speed = m(format!("wasm_memory_limit/fill_sum_90pct/{}MiB", f.limit_mib))
            .map(|t| {
                format!(
                    ", fill+sum of 90 % in {} ({:.2} GiB/s)",
                    fmt_ns(t),
                    f64::from(len) / t * 1e9 / (1u64 << 30) as f64
                )
            })
            .unwrap_or_default();
        println!(
            "  limit {:>4} MiB: largest memory {} B = {} pages{speed}",
            f.limit_mib,
            f.largest_bytes,
            f.largest_bytes / PAGE_SIZE as u64
        );
    }
    let summary = Summary {
        note: "medians of criterion samples measured on this machine in one run; ratios are WASM time / native time"
            .into(),
        logical_cpus: cpus,
        medians_ns: medians.clone(),
        overhead_vs_native: overhead,
        findings: findings.clone(),
    };
    match bench_core::results::ResultsDir::locate().write("wasm/summary", &opts.baseline, "summary.json", &summary) {
        Ok(path) => println!("  written to {}", path.display()),
        Err(e) => eprintln!("warning: the WASM summary was not written: {e}"),
    }
}

/// "1KiB", "64KiB", "1MiB", "64MiB".
fn bytes_label(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) { format!("{}MiB", n >> 20) } else { size_label(n) }
}

/// Bytes the memory kernel fills under a `mib` MiB limit: 90 % of it, in whole words.
fn fill_len(mib: usize) -> u32 {
    let len = (mib << 20) / 10 * 9;
    // Limits of 4 GiB and more are out of a 32-bit memory's reach anyway.
    u32::try_from(len & !7).unwrap_or(!7)
}

fn fmt_ns(ns: f64) -> String {
    match ns {
        n if n >= 1e9 => format!("{:.2} s", n / 1e9),
        n if n >= 1e6 => format!("{:.2} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.2} µs", n / 1e3),
        n => format!("{n:.0} ns"),
    }
}

#[cfg(test)]
mod tests;
