//! A Raft cluster of key-value nodes: the distributed system of the ollama-distributed seed,
//! measured for real (its public code "benchmarked" consensus with `sleep`).
//!
//! - Consensus is **openraft 0.9** ([`Raft`]) over our own in-memory [`store`]s: a log store and
//!   a state machine of typed [`Command`]s (keys and the model registry), with snapshots.
//! - Nodes talk through one [`network::Transport`] trait: in-process, TCP on 127.0.0.1, or
//!   turmoil's simulated network (seeded, simulated time) for the fault suite in [`faults`].
//! - [`LocalCluster`] starts N nodes in this process (in-process or TCP) for the benchmarks.
//! - The runtime is tokio with a seedable random source ([`runtime`]), so a simulated run
//!   replays exactly from its seed.
//!
//! References: Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm"
//! (USENIX ATC 2014); openraft's docs and its `openraft-memstore` example store.

pub mod command;
pub mod faults;
mod local;
pub mod network;
pub mod node;
pub mod runtime;
pub mod store;

pub use command::{Command, KvState, ModelEntry, Response};
pub use local::{ClusterError, LocalCluster, MAX_NODES, NetworkMode, even_count_note};
pub use node::NodeHandle;

/// A node's id.
pub type NodeId = u64;
/// A node's address, as Raft's membership stores it.
pub type Node = openraft::BasicNode;

openraft::declare_raft_types!(
    /// The cluster's Raft types: typed commands, `u64` ids, nodes addressed by `host:port`,
    /// snapshots in memory, and the seedable runtime.
    pub TypeConfig:
        D = Command,
        R = Response,
        NodeId = NodeId,
        Node = Node,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = std::io::Cursor<Vec<u8>>,
        AsyncRuntime = runtime::SeededRuntime,
);

/// A Raft node of this cluster.
pub type Raft = openraft::Raft<TypeConfig>;
