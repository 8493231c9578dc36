//! Nodes in one process: a request is handed straight to the target's Raft handle.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::{NetStats, Reply, Request, Transport, TransportError, serve};
use crate::cluster::NodeId;
use crate::cluster::node::NodeHandle;

/// The in-process transport: a registry of the cluster's nodes.
#[derive(Debug, Clone, Default)]
pub struct InProc {
    nodes: Arc<RwLock<HashMap<NodeId, NodeHandle>>>,
    stats: Arc<NetStats>,
}

impl InProc {
    /// A transport adding to `stats`.
    pub fn with_stats(stats: Arc<NetStats>) -> Self {
        InProc { nodes: Arc::default(), stats }
    }

    /// Makes `node` reachable.
    pub fn register(&self, node: NodeHandle) {
        self.nodes.write().unwrap_or_else(|p| p.into_inner()).insert(node.id, node);
    }
}

impl Transport for InProc {
    async fn call(&self, target: NodeId, _addr: &str, req: Request) -> Result<Reply, TransportError> {
        let node = self.nodes.read().unwrap_or_else(|p| p.into_inner()).get(&target).cloned();
        let node = node.ok_or_else(|| TransportError::Unreachable(target, "not registered".into()))?;
        // Counted at the size the TCP transport would send, so both modes report alike.
        self.stats.count(bincode::serialized_size(&req).unwrap_or(0) + 4);
        let reply = serve(&node, req).await;
        self.stats.count(bincode::serialized_size(&reply).unwrap_or(0) + 4);
        Ok(reply)
    }

    fn stats(&self) -> &Arc<NetStats> {
        &self.stats
    }
}
