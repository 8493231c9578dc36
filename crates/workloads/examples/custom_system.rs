//! Plugging your own system into the orchestrator suites: a minimal actor system (one tokio
//! task and unbounded channel per agent, a mutex-guarded directory) implementing
//! `AgentSystem`, then measured by the same throughput groups as noisegate's orchestrator.
//!
//! Run: `cargo run --release -p workloads --example custom_system -- --quick`

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use workloads::orchestrator::{AclMessage, AgentId, AgentSystem, Performative, Role, SinkAgent, seed_of, work};

type Mail = (AclMessage, Option<oneshot::Sender<AclMessage>>);
/// An agent's inbox and its capabilities.
type Entry = (mpsc::UnboundedSender<Mail>, Vec<String>);

#[derive(Default)]
struct TinyBus {
    agents: Mutex<HashMap<AgentId, Entry>>,
    next: AtomicU64,
}

#[derive(Debug, thiserror::Error)]
#[error("no agent {0:?}")]
struct NoSuchAgent(AgentId);

impl AgentSystem for TinyBus {
    type Error = NoSuchAgent;

    fn spawn(&self, role: Role, capabilities: &[&str]) -> Result<AgentId, NoSuchAgent> {
        let id = AgentId(self.next.fetch_add(1, Ordering::Relaxed));
        let (tx, mut rx) = mpsc::unbounded_channel::<Mail>();
        tokio::spawn(async move {
            let mut sink = match &role {
                Role::Sink(tally) => Some(SinkAgent::new(tally.clone())),
                _ => None,
            };
            while let Some((msg, reply)) = rx.recv().await {
                let answer = match &role {
                    Role::Sink(_) => {
                        sink.as_mut().expect("sink role").consume(&msg);
                        continue;
                    }
                    Role::Echo => msg.payload.clone(),
                    Role::Worker { iterations } => {
                        Bytes::copy_from_slice(&work(seed_of(&msg.payload), *iterations).to_le_bytes())
                    }
                };
                if let Some(reply) = reply {
                    let _ = reply.send(AclMessage { performative: Performative::Inform, payload: answer, ..msg });
                }
            }
        });
        let caps = capabilities.iter().map(|c| c.to_string()).collect();
        self.agents.lock().unwrap().insert(id, (tx, caps));
        Ok(id)
    }

    async fn send(&self, msg: AclMessage) -> Result<(), NoSuchAgent> {
        let agents = self.agents.lock().unwrap();
        for to in &msg.receivers {
            let (tx, _) = agents.get(to).ok_or(NoSuchAgent(*to))?;
            let _ = tx.send((msg.clone(), None));
        }
        Ok(())
    }

    async fn request(&self, msg: AclMessage) -> Result<AclMessage, NoSuchAgent> {
        let to = msg.receivers[0];
        let (reply_tx, reply_rx) = oneshot::channel();
        {
            let agents = self.agents.lock().unwrap();
            let (tx, _) = agents.get(&to).ok_or(NoSuchAgent(to))?;
            let _ = tx.send((msg, Some(reply_tx)));
        }
        reply_rx.await.map_err(|_| NoSuchAgent(to))
    }

    fn count_capable(&self, capability: &str) -> usize {
        self.agents.lock().unwrap().values().filter(|(_, caps)| caps.iter().any(|c| c == capability)).count()
    }

    async fn stop(&self, id: AgentId) -> Result<(), NoSuchAgent> {
        self.agents.lock().unwrap().remove(&id).map(|_| ()).ok_or(NoSuchAgent(id))
    }

    async fn shutdown(&self) {
        self.agents.lock().unwrap().clear();
    }
}

fn main() {
    let mut c = criterion::Criterion::default().configure_from_args();
    let rt = workloads::suite::runtime();
    workloads::suite::orchestrator::throughput::throughput(&mut c, &rt, "tiny_bus", TinyBus::default);
    c.final_summary();
}
