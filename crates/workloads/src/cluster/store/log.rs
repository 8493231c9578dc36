//! The Raft log, vote and committed log id of one node.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::RangeBounds;
use std::sync::{Arc, Mutex, MutexGuard};

use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{Entry, LogId, LogState, OptionalSend, RaftLogReader, StorageError, Vote};

use super::super::{NodeId, TypeConfig};

#[derive(Debug, Default)]
struct LogData {
    /// Digest every entry on append (the fault suite's content check); off in benchmarks,
    /// where it would be a cost no real store pays.
    digests: bool,
    vote: Option<Vote<NodeId>>,
    committed: Option<LogId<NodeId>>,
    last_purged: Option<LogId<NodeId>>,
    /// Each entry with a digest of its encoding (for the fault suite's log-matching check).
    log: BTreeMap<u64, (Entry<TypeConfig>, u64)>,
}

fn digest(e: &Entry<TypeConfig>) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    bincode::serialize(&e.payload).unwrap_or_default().hash(&mut h);
    h.finish()
}

/// The log store: cheap to clone (clones share the log).
#[derive(Debug, Clone, Default)]
pub struct LogStore {
    inner: Arc<Mutex<LogData>>,
}

impl LogStore {
    /// A store that also keeps a digest of every entry's content, for [`entry_ids`](Self::entry_ids).
    pub fn with_digests() -> Self {
        let store = LogStore::default();
        store.lock().digests = true;
        store
    }

    fn lock(&self) -> MutexGuard<'_, LogData> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `(index, term, content digest)` of every entry held, in index order (for the
    /// log-matching check; the digest is 0 unless the store was made [`with_digests`](Self::with_digests)).
    pub fn entry_ids(&self) -> Vec<(u64, u64, u64)> {
        self.lock().log.values().map(|(e, d)| (e.log_id.index, e.log_id.leader_id.term, *d)).collect()
    }

    /// The commands of the entries up to `index`, in order.
    pub fn commands_upto(&self, index: u64) -> Vec<super::super::Command> {
        self.lock()
            .log
            .range(..=index)
            .filter_map(|(_, (e, _))| match &e.payload {
                openraft::EntryPayload::Normal(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    /// Drops the last entry: the [`ForgetTailOnRestart`](super::StoreFault::ForgetTailOnRestart) bug.
    pub(crate) fn forget_tail(&self) {
        let mut d = self.lock();
        d.log.pop_last();
        d.committed = None;
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError<NodeId>> {
        Ok(self.lock().log.range(range).map(|(_, (e, _))| e.clone()).collect())
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<NodeId>> {
        let d = self.lock();
        let last = d.log.values().next_back().map(|(e, _)| e.log_id).or(d.last_purged);
        Ok(LogState { last_purged_log_id: d.last_purged, last_log_id: last })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.lock().vote = Some(*vote);
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError<NodeId>> {
        Ok(self.lock().vote)
    }

    async fn save_committed(&mut self, committed: Option<LogId<NodeId>>) -> Result<(), StorageError<NodeId>> {
        self.lock().committed = committed;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<NodeId>>, StorageError<NodeId>> {
        Ok(self.lock().committed)
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> Result<(), StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        {
            let mut d = self.lock();
            for e in entries {
                let dg = if d.digests { digest(&e) } else { 0 };
                d.log.insert(e.log_id.index, (e, dg));
            }
        }
        // In memory, the write is durable once it is in the map.
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.lock().log.split_off(&log_id.index);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        let mut d = self.lock();
        d.last_purged = Some(log_id);
        // Entries leave from the front: no rebuild of what is kept.
        while d.log.first_key_value().is_some_and(|(i, _)| *i <= log_id.index) {
            d.log.pop_first();
        }
        Ok(())
    }
}
