//! How nodes reach each other: one [`Transport`] trait, three implementations.
//!
//! - [`InProc`]: direct dispatch to the target node's Raft handle in the same process (the
//!   benchmark default; openraft's own `cluster_benchmark` measures this shape).
//! - [`Tcp`]: length-prefixed binary frames over real TCP sockets on 127.0.0.1, one connection
//!   per peer; the mode nodes use as separate processes.
//! - [`Sim`]: the same frames over turmoil's simulated network, with simulated time, for faults.
//!
//! Every transport counts the messages and bytes it sends (requests and replies, each at its
//! encoded size), so `SystemMetrics`' network figures are measured, not estimated.

mod frame;
mod inproc;
mod sim;
mod tcp;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use openraft::error::{
    CheckIsLeaderError, ClientWriteError, InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError,
    Unreachable,
};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, ClientWriteResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{RaftNetwork, RaftNetworkFactory};
use serde::{Deserialize, Serialize};

pub use frame::{FrameError, MAX_FRAME};
pub use inproc::InProc;
pub use sim::{Sim, TurmoilDial, serve_sim};
pub use tcp::{Dial, Framed, Tcp, TokioDial, serve_tcp};

use super::command::Command;
use super::{Node, NodeId, TypeConfig};

/// A message to a node: Raft's three RPCs, and a client's write or linearizable read.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// Log replication and heartbeats.
    AppendEntries(AppendEntriesRequest<TypeConfig>),
    /// Leader election.
    Vote(VoteRequest<NodeId>),
    /// A snapshot chunk.
    InstallSnapshot(InstallSnapshotRequest<TypeConfig>),
    /// A client's write (to the leader).
    Write(Command),
    /// A client's linearizable read of a key (at the leader).
    Read(String),
}

/// Result of a client write at a node.
pub type WriteResult = Result<ClientWriteResponse<TypeConfig>, RaftError<NodeId, ClientWriteError<NodeId, Node>>>;
/// Result of a linearizable read at a node.
pub type ReadResult = Result<Option<Vec<u8>>, RaftError<NodeId, CheckIsLeaderError<NodeId, Node>>>;

/// A node's answer to a [`Request`], of the same kind.
#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    /// To `AppendEntries`.
    AppendEntries(Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>>),
    /// To `Vote`.
    Vote(Result<VoteResponse<NodeId>, RaftError<NodeId>>),
    /// To `InstallSnapshot`.
    InstallSnapshot(Result<InstallSnapshotResponse<NodeId>, RaftError<NodeId, InstallSnapshotError>>),
    /// To `Write`.
    Write(WriteResult),
    /// To `Read`.
    Read(ReadResult),
}

/// What answers requests at a node (the node itself: see `NodeHandle`). A trait, so that the
/// transports stay below the node that uses them.
pub trait Handler: Clone + Send + Sync + 'static {
    /// Answers `req`.
    fn handle(&self, req: Request) -> impl Future<Output = Reply> + Send;
}

/// Why a message did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// No node is known under that id (in-process), or the connection failed.
    #[error("node {0} is unreachable: {1}")]
    Unreachable(NodeId, String),
    /// The answer was of another kind than the question.
    #[error("node {0} answered a different request")]
    Mismatch(NodeId),
}

/// Messages and bytes sent, shared by every node of a cluster.
#[derive(Debug, Default)]
pub struct NetStats {
    messages: AtomicU64,
    bytes: AtomicU64,
}

impl NetStats {
    /// Counts one message of `bytes` encoded bytes.
    pub fn count(&self, bytes: u64) {
        self.messages.fetch_add(1, Relaxed);
        self.bytes.fetch_add(bytes, Relaxed);
    }

    /// `(messages, bytes)` so far.
    pub fn totals(&self) -> (u64, u64) {
        (self.messages.load(Relaxed), self.bytes.load(Relaxed))
    }
}

/// Carries a [`Request`] to a node and brings back its [`Reply`].
pub trait Transport: Clone + Send + Sync + 'static {
    /// Sends `req` to node `target` at `addr` and waits for the answer.
    fn call(
        &self,
        target: NodeId,
        addr: &str,
        req: Request,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send;
    /// The counters this transport adds to.
    fn stats(&self) -> &Arc<NetStats>;
}

/// openraft's network factory over any [`Transport`].
#[derive(Debug, Clone)]
pub struct Network<T> {
    transport: T,
}

impl<T: Transport> Network<T> {
    /// Raft's network for one node.
    pub fn new(transport: T) -> Self {
        Network { transport }
    }
}

/// The connection of one node to one peer.
#[derive(Debug)]
pub struct Peer<T> {
    transport: T,
    target: NodeId,
    addr: String,
}

impl<T: Transport> RaftNetworkFactory<TypeConfig> for Network<T> {
    type Network = Peer<T>;

    async fn new_client(&mut self, target: NodeId, node: &Node) -> Self::Network {
        Peer { transport: self.transport.clone(), target, addr: node.addr.clone() }
    }
}

type RpcResult<R, E> = Result<R, RPCError<NodeId, Node, RaftError<NodeId, E>>>;

impl<T: Transport> Peer<T> {
    async fn rpc<R, E: std::error::Error>(
        &self,
        req: Request,
        pick: impl FnOnce(Reply) -> Option<Result<R, RaftError<NodeId, E>>>,
    ) -> RpcResult<R, E> {
        match self.transport.call(self.target, &self.addr, req).await {
            Ok(reply) => match pick(reply) {
                Some(r) => r.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e))),
                None => Err(RPCError::Network(NetworkError::new(&TransportError::Mismatch(self.target)))),
            },
            Err(e) => Err(RPCError::Unreachable(Unreachable::new(&e))),
        }
    }
}

impl<T: Transport> RaftNetwork<TypeConfig> for Peer<T> {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<NodeId>, openraft::error::Infallible> {
        self.rpc(Request::AppendEntries(rpc), |r| match r {
            Reply::AppendEntries(x) => Some(x),
            _ => None,
        })
        .await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<NodeId>, InstallSnapshotError> {
        self.rpc(Request::InstallSnapshot(rpc), |r| match r {
            Reply::InstallSnapshot(x) => Some(x),
            _ => None,
        })
        .await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        _option: RPCOption,
    ) -> RpcResult<VoteResponse<NodeId>, openraft::error::Infallible> {
        self.rpc(Request::Vote(rpc), |r| match r {
            Reply::Vote(x) => Some(x),
            _ => None,
        })
        .await
    }
}
