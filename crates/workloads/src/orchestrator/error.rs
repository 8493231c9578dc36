//! Failures as values: typed errors for every way a message can fail to arrive, and the counters
//! that tally them by type.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use bench_core::metrics::{ErrorKind, ErrorStats};
use serde::{Deserialize, Serialize};

use super::message::{AgentId, ConversationId};

/// Why a message was not delivered, or a request not answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// No agent or client has this id.
    #[error("unknown recipient {0:?}: no agent or client is registered under this id")]
    UnknownRecipient(AgentId),
    /// The recipient's mailbox is full and its policy is to reject.
    #[error("mailbox of {id:?} is full ({capacity} unhandled messages) and its policy is `reject`")]
    MailboxFull {
        /// The recipient.
        id: AgentId,
        /// Its capacity.
        capacity: usize,
    },
    /// The recipient was stopped (or is being shut down).
    #[error("agent {0:?} is stopped")]
    AgentStopped(AgentId),
    /// The recipient panicked more often than its restart policy allows and was given up.
    #[error("agent {0:?} failed: it panicked more often than its restart policy allows")]
    AgentFailed(AgentId),
    /// The message lists no receivers.
    #[error("message has no receivers")]
    NoRecipients,
    /// No registered agent offers the capability.
    #[error("no agent offers capability `{0}`")]
    NoCapability(String),
    /// No reply arrived in time.
    #[error("no reply to conversation {0:?} within the timeout")]
    Timeout(ConversationId),
    /// The responder dropped the request without replying (it was stopped).
    #[error("conversation {0:?} ended without a reply")]
    NoReply(ConversationId),
    /// The orchestrator has shut down.
    #[error("the orchestrator has shut down")]
    Shutdown,
}

impl RouteError {
    /// The `SystemMetrics` error kind this failure is counted as.
    pub fn kind(&self) -> ErrorKind {
        match self {
            RouteError::UnknownRecipient(_) | RouteError::NoRecipients | RouteError::NoCapability(_) => {
                ErrorKind::NotFound
            }
            RouteError::MailboxFull { .. } => ErrorKind::Rejected,
            RouteError::AgentStopped(_) | RouteError::Shutdown | RouteError::NoReply(_) => ErrorKind::Disconnected,
            RouteError::AgentFailed(_) => ErrorKind::Failed,
            RouteError::Timeout(_) => ErrorKind::Timeout,
        }
    }
}

/// Why an agent could not be spawned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpawnError {
    /// The orchestrator has shut down.
    #[error("cannot spawn: the orchestrator has shut down")]
    Shutdown,
    /// A mailbox must hold at least one message.
    #[error("mailbox capacity must be at least 1 (got 0); use MailboxPolicy::Reject to refuse messages instead")]
    ZeroCapacity,
}

/// A snapshot of the orchestrator's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrchestratorStats {
    /// Agents spawned.
    pub spawned: u64,
    /// Agents stopped (explicitly or by shutdown).
    pub stopped: u64,
    /// Messages handed to agents (counted by the agents after handling).
    pub handled: u64,
    /// Sends to an unknown id.
    pub unknown_recipient: u64,
    /// Sends rejected by a full mailbox.
    pub mailbox_full: u64,
    /// Sends to a stopped agent.
    pub agent_stopped: u64,
    /// Sends to an agent its supervisor gave up on.
    pub agent_failed: u64,
    /// Handler panics caught.
    pub panics: u64,
    /// Agents restarted by the supervisor after a panic.
    pub restarts: u64,
    /// Replies whose conversation had no waiting requester (late, after a timeout).
    pub unmatched_replies: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Messages discarded because their agent had failed.
    pub dropped: u64,
    /// Messages still queued at stop/shutdown and handled before the agent ended.
    pub drained: u64,
}

impl OrchestratorStats {
    /// Routing failures as `SystemMetrics` error counts (`total` = handled + failed).
    pub fn error_stats(&self) -> ErrorStats {
        let mut e = ErrorStats { total: self.handled, ..ErrorStats::default() };
        for (kind, n) in [
            (ErrorKind::NotFound, self.unknown_recipient),
            (ErrorKind::Rejected, self.mailbox_full),
            (ErrorKind::Disconnected, self.agent_stopped),
            (ErrorKind::Failed, self.agent_failed),
            (ErrorKind::Panicked, self.panics),
            (ErrorKind::Timeout, self.timeouts),
            (ErrorKind::Dropped, self.dropped),
        ] {
            if n > 0 {
                e.add_failures(kind, n);
            }
        }
        e
    }
}

/// Orchestrator-wide counters. Per-message counts (handled) live in each agent's slot to keep
/// hot cache lines apart; only rare events are counted here.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) spawned: AtomicU64,
    pub(crate) stopped: AtomicU64,
    pub(crate) handled_by_gone_agents: AtomicU64,
    pub(crate) unknown_recipient: AtomicU64,
    pub(crate) mailbox_full: AtomicU64,
    pub(crate) agent_stopped: AtomicU64,
    pub(crate) agent_failed: AtomicU64,
    pub(crate) panics: AtomicU64,
    pub(crate) restarts: AtomicU64,
    pub(crate) unmatched_replies: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) drained: AtomicU64,
}

impl Counters {
    /// Counts `e` under its kind: one mapping, [`RouteError::kind`], decides both.
    pub(crate) fn count(&self, e: &RouteError) {
        let c = match e.kind() {
            ErrorKind::NotFound => &self.unknown_recipient,
            ErrorKind::Rejected => &self.mailbox_full,
            ErrorKind::Disconnected => &self.agent_stopped,
            ErrorKind::Failed => &self.agent_failed,
            ErrorKind::Timeout => &self.timeouts,
            ErrorKind::Panicked => &self.panics,
            ErrorKind::Dropped => &self.dropped,
        };
        c.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self, handled_by_live_agents: u64) -> OrchestratorStats {
        OrchestratorStats {
            spawned: self.spawned.load(Relaxed),
            stopped: self.stopped.load(Relaxed),
            handled: self.handled_by_gone_agents.load(Relaxed) + handled_by_live_agents,
            unknown_recipient: self.unknown_recipient.load(Relaxed),
            mailbox_full: self.mailbox_full.load(Relaxed),
            agent_stopped: self.agent_stopped.load(Relaxed),
            agent_failed: self.agent_failed.load(Relaxed),
            panics: self.panics.load(Relaxed),
            restarts: self.restarts.load(Relaxed),
            unmatched_replies: self.unmatched_replies.load(Relaxed),
            timeouts: self.timeouts.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            drained: self.drained.load(Relaxed),
        }
    }
}
