//! A node's storage, in memory: the Raft log (with the vote and the committed id) and the state
//! machine (with its snapshots). Both survive a node restart (the same store is handed to the new
//! Raft instance), as a disk would.

mod log;
mod state;

pub use log::LogStore;
pub use state::StateMachineStore;

/// A snapshot's id as openraft's example stores form it: `<leader>-<index>-<n>` for the `n`-th
/// snapshot built, `--<n>` before anything was applied.
pub(crate) fn snapshot_id(last_applied: Option<openraft::LogId<super::NodeId>>, n: u64) -> String {
    match last_applied {
        Some(l) => format!("{}-{}-{n}", l.leader_id, l.index),
        None => format!("--{n}"),
    }
}

/// A deliberate storage bug, to show that the fault suite's invariant checker catches one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreFault {
    /// A correct store.
    #[default]
    None,
    /// On restart, the log forgets its last entry (an acknowledged write may go with it) and the
    /// state machine forgets what it applied: a store that lost its unsynced tail.
    ForgetTailOnRestart,
}
