//! An agent as the router holds it (its mailbox, status and counters) and a client's inbox of
//! pending requests: the data the registry stores and the supervisor updates.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::error::RouteError;
use super::mailbox::{Mailbox, MailboxPolicy};
use super::message::{AclMessage, AgentId, ConversationId};

/// Lifecycle of an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentStatus {
    /// Handling messages.
    Running,
    /// Stop requested: handling what is queued, accepting nothing new.
    Stopping,
    /// Ended after a stop or shutdown.
    Stopped,
    /// Panicked more often than its restart policy allows; its queued messages are dropped.
    Failed,
}

impl AgentStatus {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => AgentStatus::Running,
            1 => AgentStatus::Stopping,
            2 => AgentStatus::Stopped,
            _ => AgentStatus::Failed,
        }
    }
}

/// One agent as the router sees it.
pub(crate) struct AgentSlot {
    pub(crate) id: AgentId,
    pub(crate) mailbox: Mailbox<AclMessage>,
    pub(crate) policy: MailboxPolicy,
    pub(crate) capabilities: Box<[Arc<str>]>,
    pub(super) status: AtomicU8,
    /// Messages handled, published by the agent's task after each batch.
    pub(crate) handled: AtomicU64,
    pub(crate) restarts: AtomicU64,
    pub(super) task: Mutex<Option<JoinHandle<()>>>,
}

impl AgentSlot {
    pub(crate) fn status(&self) -> AgentStatus {
        AgentStatus::from_u8(self.status.load(Relaxed))
    }

    pub(crate) fn set_status(&self, s: AgentStatus) {
        self.status.store(s as u8, Relaxed);
    }

    pub(super) fn closed_error(&self) -> RouteError {
        match self.status() {
            AgentStatus::Failed => RouteError::AgentFailed(self.id),
            _ => RouteError::AgentStopped(self.id),
        }
    }

    pub(super) async fn join(&self) {
        let handle = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            // The task catches handler panics itself, so a join error means it was cancelled
            // by the runtime shutting down; there is nothing left to wait for either way.
            let _ = h.await;
        }
    }
}

/// Where replies to a client's requests are matched to their waiting requesters.
#[derive(Default)]
pub(crate) struct ClientInbox {
    pub(super) pending: Mutex<FxHashMap<ConversationId, oneshot::Sender<AclMessage>>>,
}
