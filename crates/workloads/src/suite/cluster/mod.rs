//! Consensus: the Raft cluster of [`crate::cluster`] under client load, beside two references.
//!
//! Criterion groups (wall time of a batch; `Throughput::Elements` = operations per iteration):
//!
//! - `consensus_write/<inproc|tcp>/<n>n_<c>c` — replicated writes (`Command::Put` of a 64 B
//!   value) through the leader. `c` client tasks each write one after another; one iteration is
//!   one write per client, so at `c = 1` the time per element is the commit latency and at
//!   `c = 64` its inverse is the throughput. In-process n = 1, 3, 5 (and 7 in the full
//!   profile); over TCP on 127.0.0.1 n = 3 (and 7 in the full profile); c = 1 and 64 (and
//!   1,024 in the full profile).
//! - `consensus_read/inproc/3n_64c` — linearizable reads (openraft's ReadIndex: the leader
//!   confirms its leadership with a quorum, waits for its state machine to catch up, then
//!   reads) of keys written before the measurement, same cluster shape and clients as the
//!   write case beside it.
//! - `consensus_runtime/<current_thread|multi_thread>/3n_64c` — the 3-node in-process write
//!   case on a one-thread runtime against the suite's runtime (one worker per core).
//! - `consensus_reference/state_machine/64c` — the same commands built and applied by
//!   `KvState::apply` with no replication: the upper bound of any cluster of this state machine.
//! - `consensus_reference/openraft_cluster_benchmark/3n_64c` — openraft's own benchmark cluster
//!   (`suite/cluster/reference.rs`: empty requests, a store that keeps nothing, direct calls between nodes),
//!   3 nodes, 64 clients: what openraft itself costs, the floor our store, commands and
//!   transport add to.
//! - `consensus_reference/openraft_memstore/3n_64c` — openraft's example store
//!   (`openraft-memstore` 0.9.25 ported to the v2 storage API in `memstore.rs`: JSON log
//!   entries, client status updates) over the same direct-call network, 3 nodes, 64 clients.
//!
//! Method: each case's cluster is started once, outside the timed loop — when criterion first
//! runs the case, so a filtered-out case starts nothing — and shut down after it. Clients are
//! tasks spawned on the runtime under test; an iteration batch of `iters` writes per client
//! is timed from the first spawn to the last completion. The leader is looked up once; a write
//! it turns away (leadership moved: the run is disturbed) is retried through
//! [`LocalCluster::write`] and the count is printed. Sampling is flat with 10 samples: an
//! iteration is at least one Raft commit (µs to ms), and every sample restarts the clients.
//! Clients and cluster share the machine's cores, as they would in one process.
//!
//! The suite's runtime ([`runtime`]) is [`crate::suite::runtime`]'s plus the I/O driver, which the
//! TCP transport needs; every case runs on it but the current-thread one.
//!
//! After criterion, [`open_loop`] measures the maximum write rate and the commit latency at
//! 50 % and 90 % of it, and writes graded `SystemMetrics` (see that module).

mod memstore;
mod open_loop;
mod reference;

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};
use openraft::error::{ClientWriteError, RaftError};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

pub use open_loop::{ConsensusRun, open_loop};

use crate::cluster::{ClusterError, Command, KvState, LocalCluster, NetworkMode, NodeHandle};
use crate::suite::RunOptions;
use memstore::MemstoreBench;
use reference::OpenraftBench;

/// Bytes of each written value (the latency suite's payload size).
const VALUE_BYTES: usize = 64;
/// Keys each client cycles through: the state machine stays small however long the run.
const KEYS_PER_CLIENT: u64 = 64;
/// Clients of the single-size cases (reads, runtimes, references) and of the open-loop
/// maximum-rate measurement: enough to keep a leader's pipeline full.
const CLIENTS: u64 = 64;

/// The suite's runtime: [`crate::suite::runtime`]'s shape (multi-threaded, one worker per core,
/// timers on) with the I/O driver on as well, for the TCP transport.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(bench_core::resource::logical_cpus().max(1))
        .enable_all()
        .thread_name("suite-worker")
        .build()
        .expect("building the tokio runtime for the consensus suite")
}

/// Which cases run: the full profile adds 7 nodes and 1,024 clients.
struct Plan {
    inproc: &'static [usize],
    tcp: &'static [usize],
    clients: &'static [u64],
}

impl Plan {
    fn of(opts: &RunOptions) -> Plan {
        if opts.quick {
            Plan { inproc: &[1, 3, 5], tcp: &[3], clients: &[1, 64] }
        } else {
            Plan { inproc: &[1, 3, 5, 7], tcp: &[3, 7], clients: &[1, 64, 1024] }
        }
    }
}

/// One client operation, `seq`-th of client `client`; panics if the system fails it (a
/// criterion measurement cannot carry errors, and a failing cluster has nothing to measure).
pub(crate) trait Op: Send + Sync + 'static {
    /// Does the operation.
    fn run(&self, client: u64, seq: u64) -> impl Future<Output = ()> + Send;
}

/// `clients` tasks each doing `per_client` operations one after another: the wall time from the
/// first spawn to the last completion.
async fn drive<O: Op>(op: &Arc<O>, clients: u64, per_client: u64) -> Duration {
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for client in 0..clients {
        let op = op.clone();
        tasks.spawn(async move {
            for seq in 0..per_client {
                op.run(client, seq).await;
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        if let Err(e) = r {
            panic!("a client task failed: {e}");
        }
    }
    start.elapsed()
}

/// A [`LocalCluster`] and its leader, written to and read from by clients.
pub(crate) struct Kv {
    cluster: LocalCluster,
    leader: NodeHandle,
    value: Vec<u8>,
    redirects: AtomicU64,
}

impl Kv {
    /// Starts `n` nodes on `mode` in the current runtime; panics (naming the cluster) if they
    /// cannot elect a leader.
    pub(crate) async fn start(n: usize, mode: NetworkMode) -> Kv {
        let fail = |e: ClusterError| -> ! { panic!("starting a {n}-node {} cluster: {e}", mode.as_str()) };
        let cluster = LocalCluster::start(n, mode).await.unwrap_or_else(|e| fail(e));
        let leader = cluster.leader(Duration::from_secs(10)).await.unwrap_or_else(|e| fail(e)).clone();
        Kv { cluster, leader, value: crate::suite::payload(VALUE_BYTES).to_vec(), redirects: AtomicU64::new(0) }
    }

    fn key(client: u64, seq: u64) -> String {
        format!("c{client}-{}", seq % KEYS_PER_CLIENT)
    }

    /// Writes client `client`'s `seq`-th value through the leader (following a leadership move).
    pub(crate) async fn put(&self, client: u64, seq: u64) -> Result<(), ClusterError> {
        let cmd = || Command::Put { key: Kv::key(client, seq), value: self.value.clone() };
        match self.leader.raft.client_write(cmd()).await {
            Ok(_) => Ok(()),
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_))) => {
                self.redirects.fetch_add(1, Relaxed);
                self.cluster.write(cmd()).await.map(drop)
            }
            Err(e) => Err(ClusterError::Raft(e.to_string())),
        }
    }

    /// A linearizable read of the key client `client`'s `seq`-th write set.
    pub(crate) async fn get(&self, client: u64, seq: u64) -> Result<Option<Vec<u8>>, ClusterError> {
        let key = Kv::key(client, seq);
        match self.leader.read(&key).await {
            Ok(v) => Ok(v),
            Err(_) => {
                self.redirects.fetch_add(1, Relaxed);
                let leader = self.cluster.leader(Duration::from_secs(5)).await?;
                leader.read(&key).await.map_err(|e| ClusterError::Raft(e.to_string()))
            }
        }
    }

    /// Messages and bytes the nodes sent each other so far.
    pub(crate) fn network(&self) -> (u64, u64) {
        self.cluster.network()
    }

    /// Stops the cluster; says so if the leader turned operations away during `case`.
    pub(crate) async fn shutdown(self, case: &str) {
        let moved = self.redirects.load(Relaxed);
        if moved > 0 {
            println!("{case}: {moved} operation(s) retried after leadership moved (elections during the run)");
        }
        self.cluster.shutdown().await;
    }
}

impl Op for Kv {
    async fn run(&self, client: u64, seq: u64) {
        self.put(client, seq).await.unwrap_or_else(|e| panic!("replicated write failed: {e}"));
    }
}

/// Linearizable reads of a [`Kv`].
struct Reads(Kv);

impl Op for Reads {
    async fn run(&self, client: u64, seq: u64) {
        match self.0.get(client, seq).await {
            Ok(Some(_)) => {}
            Ok(None) => panic!("key {} was written before the reads but is missing", Kv::key(client, seq)),
            Err(e) => panic!("linearizable read failed: {e}"),
        }
    }
}

impl Op for OpenraftBench {
    async fn run(&self, _client: u64, _seq: u64) {
        self.write().await.unwrap_or_else(|e| panic!("openraft benchmark write failed: {e}"));
    }
}

impl Op for MemstoreBench {
    async fn run(&self, client: u64, seq: u64) {
        self.write(client, seq).await.unwrap_or_else(|e| panic!("memstore write failed: {e}"));
    }
}

/// The only owner of `op` once every client task has finished.
fn sole<T>(op: Arc<T>) -> T {
    Arc::try_unwrap(op).unwrap_or_else(|_| panic!("a client task outlived its measurement"))
}

/// Benchmarks `clients` clients of the `O` that `start` builds on `rt` (lazily: only if
/// criterion runs the case); returns it for shutting down.
fn case<O: Op>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    id: BenchmarkId,
    clients: u64,
    start: impl FnOnce() -> O,
) -> Option<O> {
    let mut start = Some(start);
    let mut op: Option<Arc<O>> = None;
    g.throughput(Throughput::Elements(clients));
    g.bench_function(id, |b| {
        let op = op.get_or_insert_with(|| Arc::new(start.take().expect("started once")())).clone();
        b.iter_custom(|iters| rt.block_on(drive(&op, clients, iters)));
    });
    op.map(sole)
}

fn group<'a>(c: &'a mut Criterion, name: &str, opts: &RunOptions) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(opts.pick(Duration::from_secs(2), Duration::from_secs(3)));
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g
}

/// Runs every criterion group of the suite (see the module docs) on `rt`.
pub fn benches(c: &mut Criterion, rt: &Runtime, opts: &RunOptions) {
    let plan = Plan::of(opts);
    let mut g = group(c, "consensus_write", opts);
    let modes = [(NetworkMode::InProc, plan.inproc), (NetworkMode::Tcp, plan.tcp)];
    for (mode, sizes) in modes {
        for &n in sizes {
            for &clients in plan.clients {
                let case_name = format!("{n}n_{clients}c");
                let label = format!("consensus_write/{}/{case_name}", mode.as_str());
                let id = BenchmarkId::new(mode.as_str(), case_name);
                if let Some(kv) = case(&mut g, rt, id, clients, || rt.block_on(Kv::start(n, mode))) {
                    rt.block_on(kv.shutdown(&label));
                }
            }
        }
    }
    g.finish();

    let mut g = group(c, "consensus_read", opts);
    let start = || {
        let kv = Arc::new(rt.block_on(Kv::start(3, NetworkMode::InProc)));
        // Every key a read asks for exists: each client writes its whole key range first.
        rt.block_on(drive(&kv, CLIENTS, KEYS_PER_CLIENT));
        Reads(sole(kv))
    };
    if let Some(Reads(kv)) = case(&mut g, rt, BenchmarkId::new("inproc", "3n_64c"), CLIENTS, start) {
        rt.block_on(kv.shutdown("consensus_read/inproc/3n_64c"));
    }
    g.finish();

    let mut g = group(c, "consensus_runtime", opts);
    let one_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a current-thread tokio runtime");
    for (name, rt) in [("current_thread", &one_thread), ("multi_thread", rt)] {
        let start = || rt.block_on(Kv::start(3, NetworkMode::InProc));
        if let Some(kv) = case(&mut g, rt, BenchmarkId::new(name, "3n_64c"), CLIENTS, start) {
            rt.block_on(kv.shutdown(&format!("consensus_runtime/{name}/3n_64c")));
        }
    }
    g.finish();
    drop(one_thread);

    let mut g = group(c, "consensus_reference", opts);
    g.throughput(Throughput::Elements(CLIENTS));
    let value = crate::suite::payload(VALUE_BYTES).to_vec();
    g.bench_function(BenchmarkId::new("state_machine", "64c"), |b| {
        b.iter_custom(|iters| {
            let mut state = KvState::default();
            let start = Instant::now();
            for seq in 0..iters {
                for client in 0..CLIENTS {
                    let cmd = Command::Put { key: Kv::key(client, seq), value: value.clone() };
                    black_box(state.apply(black_box(&cmd)));
                }
            }
            start.elapsed()
        })
    });
    let start = || {
        rt.block_on(OpenraftBench::start(3)).unwrap_or_else(|e| panic!("starting openraft's benchmark cluster: {e}"))
    };
    let id = BenchmarkId::new("openraft_cluster_benchmark", "3n_64c");
    if let Some(bench) = case(&mut g, rt, id, CLIENTS, start) {
        rt.block_on(bench.shutdown());
    }
    let start =
        || rt.block_on(MemstoreBench::start(3)).unwrap_or_else(|e| panic!("starting the memstore cluster: {e}"));
    let id = BenchmarkId::new("openraft_memstore", "3n_64c");
    if let Some(bench) = case(&mut g, rt, id, CLIENTS, start) {
        rt.block_on(bench.shutdown());
    }
    g.finish();
}
