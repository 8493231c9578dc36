//! The fault suite's client: writes `k0`…`k7` in turn with increasing sequence numbers, follows
//! the leader, retries what was refused, and reads a key back (linearizably) every fourth write.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use openraft::error::{ClientWriteError, RaftError};

use super::{PORT, host};
use crate::cluster::NodeId;
use crate::cluster::command::Command;
use crate::cluster::network::{NetStats, Reply, Request, Sim, Transport};

/// Per-request timeout, simulated time.
const TIMEOUT: Duration = Duration::from_millis(300);
/// Pause after each acknowledged write.
const PACE: Duration = Duration::from_millis(5);

/// What the client saw.
#[derive(Debug, Default)]
pub(super) struct ClientLog {
    /// `(key, sequence, simulated time)` of every acknowledged write.
    pub acked: Vec<(String, u64, Duration)>,
    /// The newest acknowledged sequence per key.
    pub last_acked: BTreeMap<String, u64>,
    /// Writes refused or unanswered.
    pub rejected: u64,
    /// Sends repeated.
    pub retried: u64,
    /// Reads answered.
    pub reads: u64,
    /// Reads that returned something older than an acknowledged write.
    pub stale_reads: Vec<String>,
}

impl ClientLog {
    /// The first acknowledgement after `t`.
    pub(super) fn first_ack_after(&self, t: Duration) -> Option<Duration> {
        self.acked.iter().map(|a| a.2).find(|at| *at > t)
    }
}

fn now() -> Duration {
    turmoil::sim_elapsed().unwrap_or_default()
}

fn addr(id: NodeId) -> String {
    format!("{}:{PORT}", host(id))
}

fn seq_of(value: &[u8]) -> u64 {
    value.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

/// Runs until `stop` (simulated time since the start).
pub(super) async fn run_client(n: usize, log: Rc<RefCell<ClientLog>>, stop: Duration) -> turmoil::Result {
    let net = Sim::new(Arc::new(NetStats::default()));
    let next = |id: NodeId| id % n as NodeId + 1;
    let mut target: NodeId = 1;
    // The node that last failed to answer: a redirect back to it is not followed (a follower
    // cut off with an old leader keeps pointing at it).
    let mut failed: Option<NodeId> = None;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut seq = 0u64;
    while now() < stop {
        seq += 1;
        let key = format!("k{}", seq % 8);
        let cmd = Command::Put { key: key.clone(), value: seq.to_be_bytes().to_vec() };
        while now() < stop {
            let r = tokio::time::timeout(TIMEOUT, net.call(target, &addr(target), Request::Write(cmd.clone()))).await;
            match r {
                Ok(Ok(Reply::Write(Ok(_)))) => {
                    failed = None;
                    {
                        let mut l = log.borrow_mut();
                        l.acked.push((key.clone(), seq, now()));
                        l.last_acked.insert(key.clone(), seq);
                    }
                    // About 200 writes a second: enough to see every fault, few enough to
                    // simulate quickly.
                    tokio::time::sleep(PACE).await;
                    break;
                }
                Ok(Ok(Reply::Write(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f)))))) => {
                    if std::env::var_os("NOISEGATE_FAULT_DEBUG").is_some() {
                        eprintln!("{:?} client: node {target}: forward to {:?}", now(), f.leader_id);
                    }
                    target = f.leader_id.filter(|l| Some(*l) != failed).unwrap_or_else(|| next(target));
                    if f.leader_id.is_none() {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
                other => {
                    if std::env::var_os("NOISEGATE_FAULT_DEBUG").is_some() {
                        eprintln!("{:?} client: node {target}: {other:?}", now());
                    }
                    failed = Some(target);
                    target = next(target);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            let mut l = log.borrow_mut();
            l.rejected += 1;
            l.retried += 1;
        }
        if seq.is_multiple_of(4) {
            let floor = log.borrow().last_acked.get(&key).copied().unwrap_or(0);
            let r = tokio::time::timeout(TIMEOUT, net.call(target, &addr(target), Request::Read(key.clone()))).await;
            if let Ok(Ok(Reply::Read(Ok(value)))) = r {
                let got = value.as_deref().map_or(0, seq_of);
                let mut l = log.borrow_mut();
                l.reads += 1;
                if got < floor {
                    l.stale_reads.push(format!(
                        "read of `{key}` at node {target} returned sequence {got}, but {floor} was acknowledged before the read began"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The sequence a node holds for `key` (0 when absent).
pub(super) fn stored_seq(value: Option<Vec<u8>>) -> u64 {
    value.as_deref().map_or(0, seq_of)
}
