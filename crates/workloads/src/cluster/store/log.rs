//! The Raft log, vote and committed log id of one node.

use std::collections::VecDeque;
use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
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
    log: Entries,
    /// Purged entries not yet freed: see [`FREED_PER_APPEND`].
    garbage: VecDeque<(Entry<TypeConfig>, u64)>,
}

/// Purged entries freed per entry appended.
///
/// Purging is incremental: a purge only moves the entries out of the log, and each append
/// frees a few of them. Freeing the tens of thousands of entries a snapshot lets go all at once
/// (two cold heap blocks each) took milliseconds per node, and every node of a cluster purges
/// at about the same index: in the open-loop runs that pause was the whole commit-latency tail
/// (docs/cluster.md). Purged entries arrive at most as fast as entries are appended, so freeing
/// two per append keeps the backlog bounded.
const FREED_PER_APPEND: usize = 2;

/// The entries held, consecutive by index, oldest first.
///
/// A deque rather than an ordered map: Raft appends at the back and purges from the front, and
/// purging thousands of entries from a `BTreeMap` after every snapshot (node merges moving
/// whole entries) stalled a node's event loop for milliseconds — the commit-latency tail of
/// the open-loop runs (docs/cluster.md).
#[derive(Debug, Default)]
struct Entries(VecDeque<(Entry<TypeConfig>, u64)>);

impl Entries {
    fn first_index(&self) -> Option<u64> {
        self.0.front().map(|(e, _)| e.log_id.index)
    }

    /// Position of `index` in the deque, clamped to `0..=len`.
    fn position(&self, index: u64) -> usize {
        match self.first_index() {
            Some(first) => (index.saturating_sub(first) as usize).min(self.0.len()),
            None => 0,
        }
    }

    fn iter(&self) -> impl Iterator<Item = &(Entry<TypeConfig>, u64)> {
        self.0.iter()
    }

    fn range(&self, range: &impl RangeBounds<u64>) -> impl Iterator<Item = &(Entry<TypeConfig>, u64)> {
        let start = match range.start_bound() {
            Bound::Included(&i) => self.position(i),
            Bound::Excluded(&i) => self.position(i.saturating_add(1)),
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&i) => self.position(i.saturating_add(1)),
            Bound::Excluded(&i) => self.position(i),
            Bound::Unbounded => self.0.len(),
        };
        self.0.range(start..end.max(start))
    }

    /// Appends `entry`; an entry at an index already held replaces it and everything after it
    /// (what Raft's truncate-then-append means).
    fn push(&mut self, entry: Entry<TypeConfig>, digest: u64) {
        let index = entry.log_id.index;
        if self.first_index().is_some_and(|first| index < first) {
            self.0.clear();
        } else {
            self.truncate_from(index);
        }
        if let Some((last, _)) = self.0.back() {
            debug_assert_eq!(last.log_id.index + 1, index, "log entries are appended in order");
        }
        self.0.push_back((entry, digest));
    }

    /// Drops the entries at `index` and after.
    fn truncate_from(&mut self, index: u64) {
        let at = self.position(index);
        self.0.truncate(at);
    }

    /// Removes the entries up to and including `index` and returns them. Only the kept tail
    /// is moved (a few thousand entries at most), never the purged ones.
    fn purge_upto(&mut self, index: u64) -> VecDeque<(Entry<TypeConfig>, u64)> {
        let at = self.position(index.saturating_add(1));
        let kept = self.0.split_off(at);
        std::mem::replace(&mut self.0, kept)
    }

    fn pop_last(&mut self) {
        self.0.pop_back();
    }

    fn last(&self) -> Option<&Entry<TypeConfig>> {
        self.0.back().map(|(e, _)| e)
    }
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
        self.lock().log.iter().map(|(e, d)| (e.log_id.index, e.log_id.leader_id.term, *d)).collect()
    }

    /// The commands of the entries up to `index`, in order.
    pub fn commands_upto(&self, index: u64) -> Vec<super::super::Command> {
        self.lock()
            .log
            .range(&(..=index))
            .filter_map(|(e, _)| match &e.payload {
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
        Ok(self.lock().log.range(&range).map(|(e, _)| e.clone()).collect())
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<NodeId>> {
        let d = self.lock();
        let last = d.log.last().map(|e| e.log_id).or(d.last_purged);
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
            let mut appended = 0;
            for e in entries {
                let dg = if d.digests { digest(&e) } else { 0 };
                d.log.push(e, dg);
                appended += 1;
            }
            let free = (appended * FREED_PER_APPEND).min(d.garbage.len());
            d.garbage.drain(..free);
        }
        // In memory, the write is durable once it is in the map.
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.lock().log.truncate_from(log_id.index);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        let mut d = self.lock();
        d.last_purged = Some(log_id);
        let purged = d.log.purge_upto(log_id.index);
        d.garbage.extend(purged);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use openraft::{CommittedLeaderId, EntryPayload};

    use super::*;

    fn entry(term: u64, index: u64) -> Entry<TypeConfig> {
        Entry { log_id: LogId::new(CommittedLeaderId::new(term, 1), index), payload: EntryPayload::Blank }
    }

    fn held(log: &Entries, range: impl RangeBounds<u64>) -> Vec<(u64, u64)> {
        log.range(&range).map(|(e, _)| (e.log_id.index, e.log_id.leader_id.term)).collect()
    }

    fn log(from: u64, to: u64) -> Entries {
        let mut log = Entries::default();
        (from..=to).for_each(|i| log.push(entry(1, i), 0));
        log
    }

    #[test]
    fn ranges_select_by_index_whatever_was_purged() {
        let mut log = log(1, 10);
        log.purge_upto(4);
        assert_eq!(log.first_index(), Some(5));
        assert_eq!(held(&log, 6..8), [(6, 1), (7, 1)]);
        assert_eq!(held(&log, 6..=8).len(), 3);
        assert_eq!(held(&log, ..6), [(5, 1)]);
        assert_eq!(held(&log, 9..), [(9, 1), (10, 1)]);
        assert_eq!(held(&log, 0..3), [], "purged indexes are not held");
        assert_eq!(held(&log, 11..20), []);
        assert_eq!(held(&log, (Bound::Excluded(9), Bound::Unbounded)), [(10, 1)]);
        assert!(held(&log, (Bound::Included(8), Bound::Excluded(6))).is_empty(), "an inverted range selects nothing");
    }

    #[test]
    fn an_append_over_held_indexes_replaces_them_and_what_follows() {
        let mut log = log(1, 5);
        log.push(entry(2, 3), 0);
        assert_eq!(held(&log, ..), [(1, 1), (2, 1), (3, 2)]);
        log.truncate_from(2);
        assert_eq!(held(&log, ..), [(1, 1)]);
        log.purge_upto(7);
        assert!(log.last().is_none(), "purging past the end empties the log");
        log.push(entry(3, 8), 0);
        assert_eq!(held(&log, ..), [(8, 3)]);
    }
}
