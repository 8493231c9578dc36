//! The replicated state machine of one node, and its snapshots.

use std::io::Cursor;
use std::sync::{Arc, Mutex, MutexGuard};

use openraft::storage::RaftStateMachine;
use openraft::{
    Entry, EntryPayload, LogId, OptionalSend, RaftSnapshotBuilder, Snapshot, SnapshotMeta, StorageError,
    StorageIOError, StoredMembership,
};
use serde::{Deserialize, Serialize};

use super::super::command::{KvState, Response};
use super::super::{Node, NodeId, TypeConfig};

/// What a snapshot holds: the applied position, the membership and the data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Applied {
    last_applied: Option<LogId<NodeId>>,
    membership: StoredMembership<NodeId, Node>,
    data: KvState,
}

#[derive(Debug, Default)]
struct SmData {
    applied: Applied,
    snapshot: Option<(SnapshotMeta<NodeId, Node>, Vec<u8>)>,
    snapshots_built: u64,
}

/// The state machine store: cheap to clone (clones share the state).
#[derive(Debug, Clone, Default)]
pub struct StateMachineStore {
    inner: Arc<Mutex<SmData>>,
}

impl StateMachineStore {
    fn lock(&self) -> MutexGuard<'_, SmData> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of the applied data.
    pub fn data(&self) -> KvState {
        self.lock().applied.data.clone()
    }

    /// The value of `key`, as applied here.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.lock().applied.data.kv.get(key).cloned()
    }

    /// Index of the last applied entry.
    pub fn last_applied(&self) -> Option<u64> {
        self.lock().applied.last_applied.map(|l| l.index)
    }

    /// Forgets everything applied (the restart bug of [`StoreFault`](super::StoreFault)).
    pub(crate) fn forget_all(&self) {
        let mut d = self.lock();
        d.applied = Applied::default();
        d.snapshot = None;
    }
}

fn snapshot_error(e: &(impl std::error::Error + 'static)) -> StorageError<NodeId> {
    StorageIOError::read_state_machine(e).into()
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachineStore {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<NodeId>> {
        // Copied under the lock, encoded outside it: applying goes on meanwhile.
        let (applied, built) = {
            let mut d = self.lock();
            d.snapshots_built += 1;
            (d.applied.clone(), d.snapshots_built)
        };
        let bytes = bincode::serialize(&applied).map_err(|e| snapshot_error(&e))?;
        let snapshot_id = super::snapshot_id(applied.last_applied, built);
        let meta = SnapshotMeta {
            last_log_id: applied.last_applied,
            last_membership: applied.membership.clone(),
            snapshot_id,
        };
        self.lock().snapshot = Some((meta.clone(), bytes.clone()));
        Ok(Snapshot { meta, snapshot: Box::new(Cursor::new(bytes)) })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachineStore {
    type SnapshotBuilder = Self;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<NodeId>>, StoredMembership<NodeId, Node>), StorageError<NodeId>> {
        let d = self.lock();
        Ok((d.applied.last_applied, d.applied.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Response>, StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut d = self.lock();
        let mut out = Vec::new();
        for e in entries {
            d.applied.last_applied = Some(e.log_id);
            out.push(match e.payload {
                EntryPayload::Blank => Response::Nothing,
                EntryPayload::Normal(ref cmd) => d.applied.data.apply(cmd),
                EntryPayload::Membership(ref m) => {
                    d.applied.membership = StoredMembership::new(Some(e.log_id), m.clone());
                    Response::Nothing
                }
            });
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError<NodeId>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<NodeId, Node>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<NodeId>> {
        let bytes = snapshot.into_inner();
        let applied: Applied = bincode::deserialize(&bytes)
            .map_err(|e| StorageError::from(StorageIOError::read_snapshot(Some(meta.signature()), &e)))?;
        let mut d = self.lock();
        d.applied = applied;
        d.snapshot = Some((meta.clone(), bytes));
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError<NodeId>> {
        Ok(self
            .lock()
            .snapshot
            .as_ref()
            .map(|(meta, bytes)| Snapshot { meta: meta.clone(), snapshot: Box::new(Cursor::new(bytes.clone())) }))
    }
}
