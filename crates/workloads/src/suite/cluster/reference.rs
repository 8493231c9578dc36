//! openraft's own benchmark cluster, as the floor our cluster is compared with.
//!
//! A port of `cluster_benchmark/tests/benchmark/{store,network}.rs` from openraft's
//! `release-0.9` branch (commit 73c53c5, MIT OR Apache-2.0): the "minimized store with least
//! cost" (an in-memory `BTreeMap` log, a state machine that keeps no data, empty requests and
//! responses) and a network that calls the target's `Raft` directly. Ported, not depended on:
//! openraft ships it as a test, not a crate. The changes are the ones a port needs (newtypes
//! around `Arc` instead of trait impls on `Arc<_>`, no tracing, our error plumbing); the shape
//! and the timing configuration are openraft's.
//!
//! `openraft-memstore` is the other reference ([`super::memstore`], ported: it implements
//! openraft's v1 `RaftStorage`, which openraft compiles out under the `storage-v2` feature our
//! own stores need); openraft's 0.9 `cluster_benchmark` uses this store, not memstore.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::io::Cursor;
use std::ops::RangeBounds;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use openraft::RaftTypeConfig;
use openraft::error::{InstallSnapshotError, RPCError, RaftError, RemoteError};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest,
    VoteResponse,
};
use openraft::storage::{LogFlushed, LogState, RaftLogStorage, RaftStateMachine, Snapshot};
use openraft::{
    Config, Entry, EntryPayload, LogId, OptionalSend, RaftLogReader, RaftSnapshotBuilder, SnapshotMeta, StorageError,
    StorageIOError, StoredMembership, Vote,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// The benchmark's request: empty, as openraft's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ClientRequest {}

/// The benchmark's response: empty.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ClientResponse {}

type NodeId = u64;

openraft::declare_raft_types!(
    /// openraft's benchmark types: empty requests, `u64` ids, no node address.
    pub(crate) BenchConfig:
        D = ClientRequest,
        R = ClientResponse,
        Node = (),
);

type BenchRaft = openraft::Raft<BenchConfig>;

#[derive(Debug, Default)]
struct LogData {
    vote: RwLock<Option<Vote<NodeId>>>,
    log: RwLock<BTreeMap<u64, Entry<BenchConfig>>>,
    last_purged_log_id: RwLock<Option<LogId<NodeId>>>,
}

/// The log: a `BTreeMap` of entries.
#[derive(Debug, Clone, Default)]
struct LogStore(Arc<LogData>);

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct StateMachine {
    last_applied_log: Option<LogId<NodeId>>,
    last_membership: StoredMembership<NodeId, ()>,
}

#[derive(Debug)]
struct StoredSnapshot {
    meta: SnapshotMeta<NodeId, ()>,
    data: Vec<u8>,
}

#[derive(Debug, Default)]
struct SmData {
    sm: RwLock<StateMachine>,
    snapshot_idx: AtomicU64,
    current_snapshot: RwLock<Option<StoredSnapshot>>,
}

/// The state machine: it records what was applied, and keeps no data.
#[derive(Debug, Clone, Default)]
struct StateMachineStore(Arc<SmData>);

impl RaftLogReader<BenchConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<BenchConfig>>, StorageError<NodeId>> {
        Ok(self.0.log.read().await.range(range).map(|(_, e)| e.clone()).collect())
    }
}

impl RaftLogStorage<BenchConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<BenchConfig>, StorageError<NodeId>> {
        let last = self.0.log.read().await.values().next_back().map(|e| e.log_id);
        let last_purged = *self.0.last_purged_log_id.read().await;
        Ok(LogState { last_purged_log_id: last_purged, last_log_id: last.or(last_purged) })
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError<NodeId>> {
        *self.0.vote.write().await = Some(*vote);
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError<NodeId>> {
        Ok(*self.0.vote.read().await)
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.0.log.write().await.split_off(&log_id.index);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        *self.0.last_purged_log_id.write().await = Some(log_id);
        let mut log = self.0.log.write().await;
        *log = log.split_off(&(log_id.index + 1));
        Ok(())
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<BenchConfig>) -> Result<(), StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<BenchConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        self.0.log.write().await.extend(entries.into_iter().map(|e| (e.log_id.index, e)));
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }
}

impl RaftSnapshotBuilder<BenchConfig> for StateMachineStore {
    async fn build_snapshot(&mut self) -> Result<Snapshot<BenchConfig>, StorageError<NodeId>> {
        let (data, last_applied_log, last_membership) = {
            let sm = self.0.sm.read().await;
            let data = serde_json::to_vec(&*sm).map_err(|e| StorageIOError::read_state_machine(&e))?;
            (data, sm.last_applied_log, sm.last_membership.clone())
        };
        let idx = self.0.snapshot_idx.fetch_add(1, Ordering::Relaxed);
        let snapshot_id = crate::cluster::store::snapshot_id(last_applied_log, idx);
        let meta = SnapshotMeta { last_log_id: last_applied_log, last_membership, snapshot_id };
        *self.0.current_snapshot.write().await = Some(StoredSnapshot { meta: meta.clone(), data: data.clone() });
        Ok(Snapshot { meta, snapshot: Box::new(Cursor::new(data)) })
    }
}

impl RaftStateMachine<BenchConfig> for StateMachineStore {
    type SnapshotBuilder = Self;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<NodeId>>, StoredMembership<NodeId, ()>), StorageError<NodeId>> {
        let sm = self.0.sm.read().await;
        Ok((sm.last_applied_log, sm.last_membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<ClientResponse>, StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<BenchConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut sm = self.0.sm.write().await;
        let it = entries.into_iter();
        let mut res = Vec::with_capacity(it.size_hint().1.unwrap_or(0));
        for entry in it {
            sm.last_applied_log = Some(entry.log_id);
            if let EntryPayload::Membership(ref mem) = entry.payload {
                sm.last_membership = StoredMembership::new(Some(entry.log_id), mem.clone());
            }
            res.push(ClientResponse {});
        }
        Ok(res)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError<NodeId>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<NodeId, ()>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<NodeId>> {
        let data = snapshot.into_inner();
        let sm: StateMachine =
            serde_json::from_slice(&data).map_err(|e| StorageIOError::read_snapshot(Some(meta.signature()), &e))?;
        *self.0.sm.write().await = sm;
        *self.0.current_snapshot.write().await = Some(StoredSnapshot { meta: meta.clone(), data });
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<BenchConfig>>, StorageError<NodeId>> {
        Ok(self
            .0
            .current_snapshot
            .read()
            .await
            .as_ref()
            .map(|s| Snapshot { meta: s.meta.clone(), snapshot: Box::new(Cursor::new(s.data.clone())) }))
    }
}

/// The nodes of one benchmark cluster, by id: the network looks its targets up here. Generic
/// over the type configuration, so the memstore reference ([`super::memstore`]) shares it.
pub(super) struct Router<C: RaftTypeConfig> {
    pub(super) table: Arc<Mutex<BTreeMap<NodeId, openraft::Raft<C>>>>,
}

impl<C: RaftTypeConfig> Clone for Router<C> {
    fn clone(&self) -> Self {
        Router { table: self.table.clone() }
    }
}

impl<C: RaftTypeConfig> Default for Router<C> {
    fn default() -> Self {
        Router { table: Arc::default() }
    }
}

impl<C: RaftTypeConfig<NodeId = NodeId, Node = ()>> RaftNetworkFactory<C> for Router<C> {
    type Network = Peer<C>;

    async fn new_client(&mut self, target: NodeId, _node: &()) -> Peer<C> {
        let raft = self.table.lock().unwrap_or_else(PoisonError::into_inner).get(&target).cloned();
        Peer { target, raft: raft.expect("every member is registered before the cluster is initialized") }
    }
}

/// A direct call to the target's `Raft`.
pub(super) struct Peer<C: RaftTypeConfig> {
    target: NodeId,
    raft: openraft::Raft<C>,
}

type Rpc<R, E = openraft::error::Infallible> = Result<R, RPCError<NodeId, (), RaftError<NodeId, E>>>;

impl<C: RaftTypeConfig<NodeId = NodeId, Node = ()>> RaftNetwork<C> for Peer<C> {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<C>,
        _option: RPCOption,
    ) -> Rpc<AppendEntriesResponse<NodeId>> {
        self.raft.append_entries(rpc).await.map_err(|e| RemoteError::new(self.target, e).into())
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<C>,
        _option: RPCOption,
    ) -> Rpc<InstallSnapshotResponse<NodeId>, InstallSnapshotError> {
        self.raft.install_snapshot(rpc).await.map_err(|e| RemoteError::new(self.target, e).into())
    }

    async fn vote(&mut self, rpc: VoteRequest<NodeId>, _option: RPCOption) -> Rpc<VoteResponse<NodeId>> {
        self.raft.vote(rpc).await.map_err(|e| RemoteError::new(self.target, e).into())
    }
}

/// Starts `n` nodes (ids 0..n) on the direct-call network, each with the stores `stores`
/// makes, as `cluster_benchmark`'s `Router::new_cluster` does (and with its configuration):
/// node 0 initializes the membership, every node waits for the membership entry to apply, and
/// node 0 must lead (openraft's benchmark writes to it).
pub(super) async fn start_cluster<C, LS, SM>(
    n: u64,
    stores: impl Fn() -> (LS, SM),
) -> Result<Vec<openraft::Raft<C>>, String>
where
    C: RaftTypeConfig<NodeId = NodeId, Node = ()>,
    LS: RaftLogStorage<C>,
    SM: RaftStateMachine<C>,
{
    let config =
        Config { election_timeout_min: 200, election_timeout_max: 2000, purge_batch_size: 1024, ..Config::default() };
    let config = Arc::new(config.validate().map_err(|e| e.to_string())?);
    let router = Router::<C>::default();
    let mut rafts = Vec::new();
    for id in 0..n {
        let (log, sm) = stores();
        let raft =
            openraft::Raft::<C>::new(id, config.clone(), router.clone(), log, sm).await.map_err(|e| e.to_string())?;
        router.table.lock().unwrap_or_else(PoisonError::into_inner).insert(id, raft.clone());
        rafts.push(raft);
    }
    let members: BTreeSet<NodeId> = (0..n).collect();
    rafts[0].initialize(members).await.map_err(|e| e.to_string())?;
    let wait = |r: &openraft::Raft<C>| r.wait(Some(Duration::from_secs(10)));
    for r in &rafts {
        wait(r).applied_index(Some(1), "membership applied").await.map_err(|e| e.to_string())?;
    }
    wait(&rafts[0]).metrics(|m| m.current_leader == Some(0), "node 0 leads").await.map_err(|e| e.to_string())?;
    Ok(rafts)
}

/// A running benchmark cluster: write through [`OpenraftBench::leader`].
pub(crate) struct OpenraftBench {
    rafts: Vec<BenchRaft>,
}

impl OpenraftBench {
    /// Starts `n` nodes (ids 0..n) as `cluster_benchmark`'s `Router::new_cluster` does: node 0
    /// initializes the membership and every node waits for the membership entry to apply.
    pub(crate) async fn start(n: u64) -> Result<Self, String> {
        let rafts =
            start_cluster::<BenchConfig, _, _>(n, || (LogStore::default(), StateMachineStore::default())).await?;
        Ok(OpenraftBench { rafts })
    }

    /// Writes one empty request through node 0, which initialized the cluster and leads it.
    pub(crate) async fn write(&self) -> Result<(), String> {
        self.rafts[0].client_write(ClientRequest {}).await.map(drop).map_err(|e| e.to_string())
    }

    /// Stops every node.
    pub(crate) async fn shutdown(self) {
        for r in &self.rafts {
            let _ = r.shutdown().await;
        }
    }
}
