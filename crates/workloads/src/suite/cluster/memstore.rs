//! openraft's example store, `openraft-memstore` 0.9.25 (MIT OR Apache-2.0), as the reference the
//! cluster is measured against: its log keeps every entry as a JSON string (encoded on append,
//! decoded on every read), its state machine records each client's latest status and the
//! response to its latest serial, and its snapshots are the state machine in JSON.
//!
//! Ported, not depended on: the crate implements openraft's v1 `RaftStorage`, which the
//! `storage-v2` feature our own stores need compiles out (one openraft per build). The port keeps
//! its data structures and encodings and splits them into the v2 log store and state machine;
//! its test-only switches (blocking, injected panics) are left out. The network is the direct
//! call of openraft's benchmark cluster ([`super::reference::Router`]).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::io::Cursor;
use std::ops::RangeBounds;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use openraft::storage::{LogFlushed, LogState, RaftLogStorage, RaftStateMachine, Snapshot};
use openraft::{
    Entry, EntryPayload, LogId, OptionalSend, RaftLogReader, RaftSnapshotBuilder, SnapshotMeta, StorageError,
    StorageIOError, StoredMembership, Vote,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use super::reference::start_cluster;

/// memstore's request: a client's status update.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ClientRequest {
    client: String,
    serial: u64,
    status: String,
}

/// memstore's response: the previous status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ClientResponse(Option<String>);

type NodeId = u64;

openraft::declare_raft_types!(
    /// memstore's types.
    pub(crate) MemConfig:
        D = ClientRequest,
        R = ClientResponse,
        Node = (),
);

type MemRaft = openraft::Raft<MemConfig>;

#[derive(Debug, Default)]
struct LogData {
    last_purged: RwLock<Option<LogId<NodeId>>>,
    committed: RwLock<Option<LogId<NodeId>>>,
    /// Entries as JSON, as memstore keeps them.
    log: RwLock<BTreeMap<u64, String>>,
    vote: RwLock<Option<Vote<NodeId>>>,
}

#[derive(Debug, Clone, Default)]
struct LogStore(Arc<LogData>);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct MemStateMachine {
    last_applied_log: Option<LogId<NodeId>>,
    last_membership: StoredMembership<NodeId, ()>,
    client_serial_responses: HashMap<String, (u64, Option<String>)>,
    client_status: HashMap<String, String>,
}

/// The last snapshot built or installed: its meta and its JSON.
type StoredSnapshot = (SnapshotMeta<NodeId, ()>, Vec<u8>);

#[derive(Debug, Default)]
struct SmData {
    sm: RwLock<MemStateMachine>,
    snapshot_idx: AtomicU64,
    current: RwLock<Option<StoredSnapshot>>,
}

#[derive(Debug, Clone, Default)]
struct StateMachineStore(Arc<SmData>);

impl RaftLogReader<MemConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<MemConfig>>, StorageError<NodeId>> {
        let log = self.0.log.read().await;
        let mut entries = Vec::new();
        for (_, s) in log.range(range) {
            entries.push(serde_json::from_str(s).map_err(|e| StorageIOError::read_logs(&e))?);
        }
        Ok(entries)
    }
}

impl RaftLogStorage<MemConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<MemConfig>, StorageError<NodeId>> {
        let last = match self.0.log.read().await.values().next_back() {
            Some(s) => {
                let e: Entry<MemConfig> = serde_json::from_str(s).map_err(|e| StorageIOError::read_logs(&e))?;
                Some(e.log_id)
            }
            None => None,
        };
        let last_purged = *self.0.last_purged.read().await;
        Ok(LogState { last_purged_log_id: last_purged, last_log_id: last.or(last_purged) })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError<NodeId>> {
        *self.0.vote.write().await = Some(*vote);
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError<NodeId>> {
        Ok(*self.0.vote.read().await)
    }

    async fn save_committed(&mut self, committed: Option<LogId<NodeId>>) -> Result<(), StorageError<NodeId>> {
        *self.0.committed.write().await = committed;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<NodeId>>, StorageError<NodeId>> {
        Ok(*self.0.committed.read().await)
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<MemConfig>) -> Result<(), StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<MemConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut log = self.0.log.write().await;
        for e in entries {
            let s = serde_json::to_string(&e).map_err(|err| StorageIOError::write_log_entry(e.log_id, &err))?;
            log.insert(e.log_id.index, s);
        }
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.0.log.write().await.split_off(&log_id.index);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        *self.0.last_purged.write().await = Some(log_id);
        let mut log = self.0.log.write().await;
        let keys: Vec<u64> = log.range(..=log_id.index).map(|(k, _)| *k).collect();
        for k in keys {
            log.remove(&k);
        }
        Ok(())
    }
}

impl RaftSnapshotBuilder<MemConfig> for StateMachineStore {
    async fn build_snapshot(&mut self) -> Result<Snapshot<MemConfig>, StorageError<NodeId>> {
        let (data, last_applied, membership) = {
            let sm = self.0.sm.read().await;
            let data = serde_json::to_vec(&*sm).map_err(|e| StorageIOError::read_state_machine(&e))?;
            (data, sm.last_applied_log, sm.last_membership.clone())
        };
        let idx = self.0.snapshot_idx.fetch_add(1, Ordering::Relaxed) + 1;
        let snapshot_id = crate::cluster::store::snapshot_id(last_applied, idx);
        let meta = SnapshotMeta { last_log_id: last_applied, last_membership: membership, snapshot_id };
        *self.0.current.write().await = Some((meta.clone(), data.clone()));
        Ok(Snapshot { meta, snapshot: Box::new(Cursor::new(data)) })
    }
}

impl RaftStateMachine<MemConfig> for StateMachineStore {
    type SnapshotBuilder = Self;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<NodeId>>, StoredMembership<NodeId, ()>), StorageError<NodeId>> {
        let sm = self.0.sm.read().await;
        Ok((sm.last_applied_log, sm.last_membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<ClientResponse>, StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<MemConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut sm = self.0.sm.write().await;
        let mut res = Vec::new();
        for entry in entries {
            sm.last_applied_log = Some(entry.log_id);
            match entry.payload {
                EntryPayload::Blank => res.push(ClientResponse(None)),
                EntryPayload::Normal(ref data) => {
                    if let Some((serial, r)) = sm.client_serial_responses.get(&data.client)
                        && *serial == data.serial
                    {
                        res.push(ClientResponse(r.clone()));
                        continue;
                    }
                    let previous = sm.client_status.insert(data.client.clone(), data.status.clone());
                    sm.client_serial_responses.insert(data.client.clone(), (data.serial, previous.clone()));
                    res.push(ClientResponse(previous));
                }
                EntryPayload::Membership(ref mem) => {
                    sm.last_membership = StoredMembership::new(Some(entry.log_id), mem.clone());
                    res.push(ClientResponse(None));
                }
            }
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
        let sm: MemStateMachine = serde_json::from_slice(&data)
            .map_err(|e| StorageError::from(StorageIOError::read_snapshot(Some(meta.signature()), &e)))?;
        *self.0.sm.write().await = sm;
        *self.0.current.write().await = Some((meta.clone(), data));
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<MemConfig>>, StorageError<NodeId>> {
        Ok(self
            .0
            .current
            .read()
            .await
            .as_ref()
            .map(|(meta, data)| Snapshot { meta: meta.clone(), snapshot: Box::new(Cursor::new(data.clone())) }))
    }
}

/// A running memstore cluster: `n` nodes (ids 0..n), node 0 leading.
pub(crate) struct MemstoreBench {
    rafts: Vec<MemRaft>,
}

impl MemstoreBench {
    /// Starts the cluster with openraft's benchmark timing, as [`super::reference::OpenraftBench`].
    pub(crate) async fn start(n: u64) -> Result<Self, String> {
        let rafts = start_cluster::<MemConfig, _, _>(n, || (LogStore::default(), StateMachineStore::default())).await?;
        Ok(MemstoreBench { rafts })
    }

    /// Writes client `client`'s `serial`-th status through node 0 (memstore's `make_request`).
    pub(crate) async fn write(&self, client: u64, serial: u64) -> Result<(), String> {
        let req = ClientRequest { client: client.to_string(), serial, status: format!("request-{serial}") };
        self.rafts[0].client_write(req).await.map(drop).map_err(|e| e.to_string())
    }

    /// Stops every node.
    pub(crate) async fn shutdown(self) {
        for r in &self.rafts {
            let _ = r.shutdown().await;
        }
    }
}
