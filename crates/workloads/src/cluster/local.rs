//! N nodes in this process, in-process or over TCP on 127.0.0.1: what the benchmarks drive.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use openraft::error::{ClientWriteError, RaftError};

use super::command::{Command, Response};
use super::network::{InProc, NetStats, Tcp, Transport, serve_tcp};
use super::node::{self, NodeHandle};
use super::store::{LogStore, StateMachineStore};
use super::{Node, NodeId};

/// The largest cluster started here (Raft clusters beyond a handful of voters are rare; 15
/// bounds the time and memory of a run).
pub const MAX_NODES: usize = 15;

/// How the nodes of a [`LocalCluster`] reach each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkMode {
    /// Direct dispatch in this process.
    InProc,
    /// Real TCP sockets on 127.0.0.1.
    Tcp,
}

impl NetworkMode {
    /// `inproc` / `tcp`.
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkMode::InProc => "inproc",
            NetworkMode::Tcp => "tcp",
        }
    }
}

impl FromStr for NetworkMode {
    type Err = ClusterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "inproc" => Ok(NetworkMode::InProc),
            "tcp" => Ok(NetworkMode::Tcp),
            other => Err(ClusterError::UnknownMode(other.to_owned())),
        }
    }
}

/// A cluster could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// Node count out of range.
    #[error(
        "cannot run a cluster of {0} nodes: use 1 to {MAX_NODES} (odd counts tolerate as many failures with fewer nodes)"
    )]
    NodeCount(usize),
    /// Unknown network mode.
    #[error("unknown network mode `{0}`: use `inproc` or `tcp`")]
    UnknownMode(String),
    /// A listening socket could not be opened.
    #[error("cannot listen on 127.0.0.1 for node {node}: {source}; free a port or lower the node count")]
    Listen {
        /// The node.
        node: NodeId,
        /// The OS error.
        source: std::io::Error,
    },
    /// Raft refused to start, initialize or elect.
    #[error("raft: {0}")]
    Raft(String),
    /// No leader within the time allowed.
    #[error("no leader elected within {0:?}")]
    NoLeader(Duration),
}

/// Nodes started in this process.
pub struct LocalCluster {
    nodes: Vec<NodeHandle>,
    stats: Arc<NetStats>,
    servers: Vec<tokio::task::JoinHandle<()>>,
    mode: NetworkMode,
}

impl std::fmt::Debug for LocalCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCluster").field("nodes", &self.nodes.len()).field("mode", &self.mode).finish()
    }
}

/// A note for an even node count: it tolerates no more failures than one node fewer.
pub fn even_count_note(n: usize) -> Option<String> {
    (n > 1 && n.is_multiple_of(2)).then(|| {
        format!("{n} nodes tolerate {} failure(s), as {} nodes do: an odd count is cheaper", (n - 1) / 2, n - 1)
    })
}

impl LocalCluster {
    /// Starts `n` nodes (ids 1..=n) on `mode`, initializes them as one cluster and waits for a
    /// leader.
    pub async fn start(n: usize, mode: NetworkMode) -> Result<Self, ClusterError> {
        if n == 0 || n > MAX_NODES {
            return Err(ClusterError::NodeCount(n));
        }
        let config = node::config(Duration::from_millis(50));
        let stats = Arc::new(NetStats::default());
        let ids: Vec<NodeId> = (1..=n as NodeId).collect();
        let mut nodes = Vec::with_capacity(n);
        let mut servers = Vec::new();
        let mut members = BTreeMap::new();
        match mode {
            NetworkMode::InProc => {
                let transport = InProc::<NodeHandle>::with_stats(stats.clone());
                for &id in &ids {
                    let h = match start_one(id, config.clone(), transport.clone()).await {
                        Ok(h) => h,
                        Err(e) => {
                            stop_all(&nodes, &servers).await;
                            return Err(e);
                        }
                    };
                    transport.register(id, h.clone());
                    members.insert(id, Node::new(format!("inproc:{id}")));
                    nodes.push(h);
                }
            }
            NetworkMode::Tcp => {
                let mut listeners = Vec::new();
                for &id in &ids {
                    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .map_err(|source| ClusterError::Listen { node: id, source })?;
                    let addr = l.local_addr().map_err(|source| ClusterError::Listen { node: id, source })?;
                    members.insert(id, Node::new(addr.to_string()));
                    listeners.push(l);
                }
                let transport = Tcp::new(stats.clone());
                for (&id, l) in ids.iter().zip(listeners) {
                    let h = match start_one(id, config.clone(), transport.clone()).await {
                        Ok(h) => h,
                        Err(e) => {
                            stop_all(&nodes, &servers).await;
                            return Err(e);
                        }
                    };
                    servers.push(tokio::spawn(serve_tcp(l, h.clone())));
                    nodes.push(h);
                }
            }
        }
        let cluster = LocalCluster { nodes, stats, servers, mode };
        let ready = async {
            cluster.nodes[0].initialize(members).await.map_err(ClusterError::Raft)?;
            cluster.leader(Duration::from_secs(10)).await.map(|_| ())
        };
        match ready.await {
            Ok(()) => Ok(cluster),
            Err(e) => {
                // Nothing of a failed start is left running: no node task, no listening socket.
                cluster.shutdown().await;
                Err(e)
            }
        }
    }

    /// The nodes, in id order.
    pub fn nodes(&self) -> &[NodeHandle] {
        &self.nodes
    }

    /// The network mode.
    pub fn mode(&self) -> NetworkMode {
        self.mode
    }

    /// Messages and bytes the nodes sent each other so far.
    pub fn network(&self) -> (u64, u64) {
        self.stats.totals()
    }

    /// The current leader, waiting up to `timeout` for one.
    pub async fn leader(&self, timeout: Duration) -> Result<&NodeHandle, ClusterError> {
        let m = self.nodes[0]
            .raft
            .wait(Some(timeout))
            .metrics(|m| m.current_leader.is_some(), "a leader")
            .await
            .map_err(|_| ClusterError::NoLeader(timeout))?;
        let id = m.current_leader.expect("waited for a leader");
        Ok(&self.nodes[(id - 1) as usize])
    }

    /// Writes through the leader, following a redirect once if leadership moved.
    pub async fn write(&self, cmd: Command) -> Result<Response, ClusterError> {
        let mut target = self.leader(Duration::from_secs(5)).await?;
        for _ in 0..3 {
            match target.raft.client_write(cmd.clone()).await {
                Ok(r) => return Ok(r.data),
                Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f))) => match f.leader_id {
                    Some(id) => target = &self.nodes[(id - 1) as usize],
                    None => target = self.leader(Duration::from_secs(5)).await?,
                },
                Err(e) => return Err(ClusterError::Raft(e.to_string())),
            }
        }
        Err(ClusterError::Raft("leadership kept moving".into()))
    }

    /// Stops every node and server.
    pub async fn shutdown(self) {
        stop_all(&self.nodes, &self.servers).await;
    }
}

/// Stops nodes and their servers (also what a failed start had started).
async fn stop_all(nodes: &[NodeHandle], servers: &[tokio::task::JoinHandle<()>]) {
    for s in servers {
        s.abort();
    }
    for n in nodes {
        let _ = n.raft.shutdown().await;
    }
}

async fn start_one<T: Transport>(id: NodeId, config: Arc<openraft::Config>, t: T) -> Result<NodeHandle, ClusterError> {
    NodeHandle::start(id, config, t, LogStore::default(), StateMachineStore::default())
        .await
        .map_err(|e| ClusterError::Raft(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_counts_and_modes_name_the_value_and_the_fix() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        for n in [0, MAX_NODES + 1] {
            let e = rt.block_on(LocalCluster::start(n, NetworkMode::InProc)).unwrap_err().to_string();
            assert!(e.contains(&format!("{n} nodes")) && e.contains("1 to 15"), "{e}");
        }
        let e = "udp".parse::<NetworkMode>().unwrap_err().to_string();
        assert!(e.contains("`udp`") && e.contains("`inproc` or `tcp`"), "{e}");
        assert!(even_count_note(4).unwrap().contains("as 3 nodes do"));
        assert_eq!(even_count_note(3), None);
    }
}
