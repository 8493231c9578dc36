//! The interface the orchestrator suites drive: implement [`AgentSystem`] for your own message
//! bus or actor runtime and run the same throughput, latency, scalability and memory benches
//! against it (see `docs/workloads.md`, "Benchmark your own system").
//!
//! The suites need only a handful of operations: start an agent playing one of three
//! [`Role`]s, send, request/reply, find by capability, stop. [`NativeSystem`] implements it for
//! noisegate's own [`Orchestrator`].

use std::future::Future;
use std::sync::Arc;

use super::agent::AgentSpec;
use super::agents::{EchoAgent, SinkAgent, Tally, WorkerAgent};
use super::error::{RouteError, SpawnError};
use super::mailbox::MailboxPolicy;
use super::message::{AclMessage, AgentId};
use super::system::{Client, Orchestrator};

/// What an agent started by a suite does with each message.
#[derive(Debug, Clone)]
pub enum Role {
    /// Read the payload and count the message in the tally ([`Tally::add`]).
    Sink(Arc<Tally>),
    /// Reply `inform` with the same payload to every message with `reply_with` set.
    Echo,
    /// Compute [`work`](super::work)`(seed_of(payload), iterations)` and reply `inform` with the
    /// 8-byte little-endian result.
    Worker {
        /// CPU cost per task.
        iterations: u32,
    },
}

/// A system under test for the orchestrator suites.
///
/// Implementations are created inside the suite's tokio runtime, so they may spawn tasks.
pub trait AgentSystem: Send + Sync + 'static {
    /// The system's error type.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Starts an agent playing `role` that offers `capabilities`; returns its address.
    fn spawn(&self, role: Role, capabilities: &[&str]) -> Result<AgentId, Self::Error>;

    /// Delivers `msg` to each of its receivers (waiting if a mailbox is full).
    fn send(&self, msg: AclMessage) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Sends `msg` to its receiver and resolves with the reply. The system sets sender,
    /// conversation id and `reply_with`.
    fn request(&self, msg: AclMessage) -> impl Future<Output = Result<AclMessage, Self::Error>> + Send;

    /// How many agents offer `capability` (the lookup the scalability suite times).
    fn count_capable(&self, capability: &str) -> usize;

    /// Stops one agent after it handled what was queued for it.
    fn stop(&self, id: AgentId) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Stops everything; the suites call it before dropping the system.
    fn shutdown(&self) -> impl Future<Output = ()> + Send;
}

/// Either way spawning or routing can fail in [`NativeSystem`].
#[derive(Debug, thiserror::Error)]
pub enum NativeError {
    /// Spawning failed.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// Routing failed.
    #[error(transparent)]
    Route(#[from] RouteError),
}

/// noisegate's [`Orchestrator`] as an [`AgentSystem`], with one shared request client.
pub struct NativeSystem {
    orch: Orchestrator,
    client: Client,
    mailbox: usize,
    policy: MailboxPolicy,
}

impl NativeSystem {
    /// On the current runtime, with default mailboxes.
    pub fn new() -> Self {
        Self::with_mailbox(super::DEFAULT_MAILBOX, MailboxPolicy::Backpressure)
    }

    /// On the current runtime, with the given mailbox for every agent.
    pub fn with_mailbox(capacity: usize, policy: MailboxPolicy) -> Self {
        let orch = Orchestrator::new();
        let client = orch.client();
        NativeSystem { orch, client, mailbox: capacity, policy }
    }

    /// The orchestrator underneath (for its counters).
    pub fn orchestrator(&self) -> &Orchestrator {
        &self.orch
    }
}

impl Default for NativeSystem {
    fn default() -> Self {
        Self::new()
    }
}

impl AgentSystem for NativeSystem {
    type Error = NativeError;

    fn spawn(&self, role: Role, capabilities: &[&str]) -> Result<AgentId, NativeError> {
        let spec = match role {
            Role::Sink(tally) => AgentSpec::new(move || SinkAgent::new(tally.clone())),
            Role::Echo => AgentSpec::new(|| EchoAgent),
            Role::Worker { iterations } => AgentSpec::new(move || WorkerAgent { iterations }),
        };
        let spec = capabilities.iter().fold(spec.mailbox(self.mailbox, self.policy), |s, c| s.capability(*c));
        Ok(self.orch.spawn(&spec)?)
    }

    async fn send(&self, msg: AclMessage) -> Result<(), NativeError> {
        Ok(self.orch.send(msg).await?)
    }

    async fn request(&self, msg: AclMessage) -> Result<AclMessage, NativeError> {
        Ok(self.client.request(msg).await?)
    }

    fn count_capable(&self, capability: &str) -> usize {
        self.orch.count_capable(capability)
    }

    async fn stop(&self, id: AgentId) -> Result<(), NativeError> {
        Ok(self.orch.stop(id).await?)
    }

    async fn shutdown(&self) {
        self.orch.shutdown().await;
    }
}
