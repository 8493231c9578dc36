//! The orchestrator: spawning and stopping agents, routing by id and by capability,
//! request/response for clients, and shutdown.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use tokio::sync::oneshot;

use super::agent::AgentSpec;
use super::error::{Counters, OrchestratorStats, RouteError, SpawnError};
use super::mailbox::{Mailbox, MailboxPolicy, PushError};
use super::message::{AclMessage, AgentId, ConversationId};
use super::registry::{Endpoint, Registry};
use super::slot::{AgentSlot, ClientInbox};
use super::supervisor::{self, Router};

pub use super::slot::AgentStatus;

pub(crate) struct Inner {
    registry: RwLock<Registry>,
    pub(crate) counters: Counters,
    next_id: AtomicU64,
    next_conversation: AtomicU64,
    handle: tokio::runtime::Handle,
    shut_down: AtomicBool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropped without shutdown: close every mailbox so agent tasks drain and end instead of
        // waiting forever.
        let reg = self.registry.get_mut().unwrap_or_else(|p| p.into_inner());
        for slot in reg.agents() {
            slot.mailbox.close();
        }
    }
}

/// A multi-agent orchestrator: agents are tokio tasks with bounded mailboxes; the router
/// delivers FIPA-ACL messages by agent id or capability. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Orchestrator {
    pub(crate) inner: Arc<Inner>,
}

/// What [`Orchestrator::shutdown`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Agents stopped.
    pub agents: usize,
    /// Counters at the end, with every queued message handled (or dropped, for failed agents).
    pub stats: OrchestratorStats,
}

impl Orchestrator {
    /// An orchestrator spawning its agents on the current tokio runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime; use [`with_handle`](Self::with_handle) there.
    pub fn new() -> Self {
        Self::with_handle(tokio::runtime::Handle::current())
    }

    /// An orchestrator spawning its agents on `handle`'s runtime.
    pub fn with_handle(handle: tokio::runtime::Handle) -> Self {
        Orchestrator {
            inner: Arc::new(Inner {
                registry: RwLock::new(Registry::default()),
                counters: Counters::default(),
                next_id: AtomicU64::new(1),
                next_conversation: AtomicU64::new(1),
                handle,
                shut_down: AtomicBool::new(false),
            }),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Registry> {
        self.inner.registry.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Registry> {
        self.inner.registry.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts an agent from `spec` and registers its capabilities.
    pub fn spawn(&self, spec: &AgentSpec) -> Result<AgentId, SpawnError> {
        if spec.mailbox == 0 {
            return Err(SpawnError::ZeroCapacity);
        }
        if self.inner.shut_down.load(Relaxed) {
            return Err(SpawnError::Shutdown);
        }
        let id = AgentId(self.inner.next_id.fetch_add(1, Relaxed));
        let capabilities = if spec.capabilities.is_empty() {
            Box::default()
        } else {
            let mut reg = self.write();
            spec.capabilities.iter().map(|c| reg.intern(c)).collect()
        };
        let slot = Arc::new(AgentSlot {
            id,
            mailbox: Mailbox::new(spec.mailbox),
            policy: spec.policy,
            capabilities,
            status: AtomicU8::new(AgentStatus::Running as u8),
            handled: AtomicU64::new(0),
            restarts: AtomicU64::new(0),
            task: Mutex::new(None),
        });
        let weak = Arc::downgrade(&self.inner);
        let router = move || weak.upgrade().map(|inner| Orchestrator { inner });
        let task = supervisor::run(slot.clone(), spec.factory.clone(), spec.restart, router);
        let handle = self.inner.handle.spawn(task);
        *slot.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
        let mut reg = self.write();
        if self.inner.shut_down.load(Relaxed) {
            // Lost a race with shutdown: do not leave a task nobody will stop.
            slot.mailbox.close();
            return Err(SpawnError::Shutdown);
        }
        reg.insert_agent(slot);
        self.inner.counters.spawned.fetch_add(1, Relaxed);
        Ok(id)
    }

    /// Stops an agent: it is unregistered at once, handles what is already queued, and ends.
    /// Resolves when its task has finished.
    pub async fn stop(&self, id: AgentId) -> Result<(), RouteError> {
        let removed = self.write().remove(id);
        match removed {
            Some(Endpoint::Agent(slot)) => {
                self.stop_slot(&slot).await;
                Ok(())
            }
            Some(Endpoint::Client(inbox)) => {
                // Not an agent: put it back untouched.
                self.write().insert_client(id, inbox);
                Err(RouteError::UnknownRecipient(id))
            }
            None => Err(self.count(RouteError::UnknownRecipient(id))),
        }
    }

    async fn stop_slot(&self, slot: &AgentSlot) {
        if slot.status() == AgentStatus::Running {
            slot.set_status(AgentStatus::Stopping);
        }
        slot.mailbox.close();
        slot.join().await;
        let c = &self.inner.counters;
        c.stopped.fetch_add(1, Relaxed);
        c.handled_by_gone_agents.fetch_add(slot.handled.load(Relaxed), Relaxed);
    }

    /// Stops every agent, letting each handle its queued messages first, and fails pending
    /// requests of clients with [`RouteError::NoReply`]. Spawning afterwards fails.
    pub async fn shutdown(&self) -> ShutdownReport {
        self.inner.shut_down.store(true, Relaxed);
        let endpoints = self.write().drain();
        let slots: Vec<_> = endpoints
            .into_iter()
            .filter_map(|e| match e {
                Endpoint::Agent(s) => Some(s),
                Endpoint::Client(inbox) => {
                    inbox.pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
                    None
                }
            })
            .collect();
        // Close all first so every agent drains concurrently, then wait for each.
        for s in &slots {
            if s.status() == AgentStatus::Running {
                s.set_status(AgentStatus::Stopping);
            }
            s.mailbox.close();
        }
        for s in &slots {
            s.join().await;
            self.inner.counters.handled_by_gone_agents.fetch_add(s.handled.load(Relaxed), Relaxed);
        }
        self.inner.counters.stopped.fetch_add(slots.len() as u64, Relaxed);
        ShutdownReport { agents: slots.len(), stats: self.stats() }
    }

    fn count(&self, e: RouteError) -> RouteError {
        self.inner.counters.count(&e);
        e
    }

    /// Delivers `msg` to every receiver it lists. With several receivers each gets a copy (the
    /// payload is shared, not copied); all are attempted and the first failure is returned.
    pub async fn send(&self, msg: AclMessage) -> Result<(), RouteError> {
        match msg.receivers.len() {
            0 => Err(self.count(RouteError::NoRecipients)),
            1 => self.deliver(msg.receivers[0], msg).await,
            n => {
                let mut first_err = None;
                let last = msg.receivers[n - 1];
                for i in 0..n - 1 {
                    let to = msg.receivers[i];
                    if let Err(e) = self.deliver(to, msg.clone()).await {
                        first_err.get_or_insert(e);
                    }
                }
                if let Err(e) = self.deliver(last, msg).await {
                    first_err.get_or_insert(e);
                }
                first_err.map_or(Ok(()), Err)
            }
        }
    }

    /// Delivers `msg` to one agent offering `capability`, rotating among them.
    pub async fn send_to_capability(&self, capability: &str, mut msg: AclMessage) -> Result<AgentId, RouteError> {
        let Some(to) = self.read().pick(capability) else {
            return Err(self.count(RouteError::NoCapability(capability.to_owned())));
        };
        msg.receivers.clear();
        msg.receivers.push(to);
        self.deliver(to, msg).await.map(|()| to)
    }

    /// Every agent offering `capability`, sorted by id.
    pub fn find(&self, capability: &str) -> Vec<AgentId> {
        let mut ids = self.read().find(capability).to_vec();
        ids.sort_unstable();
        ids
    }

    /// How many agents offer `capability` (no allocation: the lookup the scalability suite times).
    pub fn count_capable(&self, capability: &str) -> usize {
        self.read().find(capability).len()
    }

    /// An agent's status, or `None` if no agent has this id (any more).
    pub fn status(&self, id: AgentId) -> Option<AgentStatus> {
        match self.read().get(id)? {
            Endpoint::Agent(slot) => Some(slot.status()),
            Endpoint::Client(_) => None,
        }
    }

    /// Times the supervisor restarted this agent.
    pub fn restarts(&self, id: AgentId) -> Option<u64> {
        match self.read().get(id)? {
            Endpoint::Agent(slot) => Some(slot.restarts.load(Relaxed)),
            Endpoint::Client(_) => None,
        }
    }

    /// Messages waiting in an agent's mailbox (not yet taken by its task).
    pub fn mailbox_depth(&self, id: AgentId) -> Option<usize> {
        match self.read().get(id)? {
            Endpoint::Agent(slot) => Some(slot.mailbox.len()),
            Endpoint::Client(_) => None,
        }
    }

    /// Live agents.
    pub fn agent_count(&self) -> usize {
        self.read().agents().count()
    }

    /// Counters so far.
    pub fn stats(&self) -> OrchestratorStats {
        let live: u64 = self.read().agents().map(|s| s.handled.load(Relaxed)).sum();
        self.inner.counters.snapshot(live)
    }

    pub(crate) async fn deliver(&self, to: AgentId, msg: AclMessage) -> Result<(), RouteError> {
        // Fast path entirely under the read lock; only a backpressure wait leaves it, holding
        // the slot (not the lock) while waiting.
        let (slot, msg) = {
            let reg = self.read();
            match reg.get(to) {
                None => return Err(self.count(RouteError::UnknownRecipient(to))),
                Some(Endpoint::Client(inbox)) => {
                    self.complete(inbox, msg);
                    return Ok(());
                }
                Some(Endpoint::Agent(slot)) => match slot.mailbox.try_push(msg) {
                    Ok(()) => return Ok(()),
                    Err(PushError::Closed(_)) => return Err(self.count(slot.closed_error())),
                    Err(PushError::Full(_)) if slot.policy == MailboxPolicy::Reject => {
                        return Err(self.count(RouteError::MailboxFull { id: to, capacity: slot.mailbox.capacity() }));
                    }
                    Err(PushError::Full(msg)) => (slot.clone(), msg),
                },
            }
        };
        slot.mailbox.push(msg).await.map_err(|_| self.count(slot.closed_error()))
    }

    fn complete(&self, inbox: &ClientInbox, reply: AclMessage) {
        let waiter = inbox.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&reply.conversation_id);
        let delivered = waiter.is_some_and(|tx| tx.send(reply).is_ok());
        if !delivered {
            // Nobody waits any more (timed out or gave up): a late reply, counted.
            self.inner.counters.unmatched_replies.fetch_add(1, Relaxed);
        }
    }

    /// A requester: an address replies come back to, correlated by conversation id.
    pub fn client(&self) -> Client {
        let id = AgentId(self.inner.next_id.fetch_add(1, Relaxed));
        let inbox = Arc::new(ClientInbox::default());
        self.write().insert_client(id, inbox.clone());
        Client { id, inbox, orch: self.clone() }
    }
}

impl Router for Orchestrator {
    fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    async fn route(&self, msg: AclMessage) {
        // Routing failures are counted by `send`; the sending agent carries on.
        let _ = self.send(msg).await;
    }
}

impl Default for Orchestrator {
    fn default() -> Self {
        Self::new()
    }
}

/// Sends requests and waits for their replies. Dropping it unregisters its address.
pub struct Client {
    id: AgentId,
    inbox: Arc<ClientInbox>,
    orch: Orchestrator,
}

impl Client {
    /// The client's address (replies are sent here).
    pub fn id(&self) -> AgentId {
        self.id
    }

    /// Sends `msg` (its sender, conversation id and `reply_with` are set here) and waits for
    /// the reply. An agent that panics on the request answers with `failure`.
    pub async fn request(&self, msg: AclMessage) -> Result<AclMessage, RouteError> {
        let (conversation, rx) = self.prepare();
        self.finish(conversation, self.orch.send(self.stamp(msg, conversation)).await, rx).await
    }

    /// [`request`](Self::request) giving up after `timeout` ([`RouteError::Timeout`]).
    pub async fn request_timeout(&self, msg: AclMessage, timeout: Duration) -> Result<AclMessage, RouteError> {
        let (conversation, rx) = self.prepare();
        let sent = self.orch.send(self.stamp(msg, conversation)).await;
        match tokio::time::timeout(timeout, self.finish(conversation, sent, rx)).await {
            Ok(r) => r,
            Err(_) => {
                self.forget(conversation);
                Err(self.orch.count(RouteError::Timeout(conversation)))
            }
        }
    }

    fn prepare(&self) -> (ConversationId, oneshot::Receiver<AclMessage>) {
        let conversation = ConversationId(self.orch.inner.next_conversation.fetch_add(1, Relaxed));
        let (tx, rx) = oneshot::channel();
        self.inbox.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(conversation, tx);
        (conversation, rx)
    }

    fn stamp(&self, mut msg: AclMessage, conversation: ConversationId) -> AclMessage {
        msg.sender = self.id;
        msg.conversation_id = conversation;
        msg.reply_with = Some(conversation.0);
        msg
    }

    async fn finish(
        &self,
        conversation: ConversationId,
        sent: Result<(), RouteError>,
        rx: oneshot::Receiver<AclMessage>,
    ) -> Result<AclMessage, RouteError> {
        if let Err(e) = sent {
            self.forget(conversation);
            return Err(e);
        }
        rx.await.map_err(|_| self.orch.count(RouteError::NoReply(conversation)))
    }

    fn forget(&self, conversation: ConversationId) {
        self.inbox.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&conversation);
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.orch.write().remove(self.id);
    }
}
