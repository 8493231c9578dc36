//! Agents: the [`Agent`] trait, the [`Context`] a handler talks through, how an agent is specified
//! ([`AgentSpec`]) and how its supervisor restarts it ([`RestartPolicy`]).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::mailbox::MailboxPolicy;
use super::message::{AclMessage, AgentId, Performative};

/// An agent's behaviour. Handlers are synchronous CPU work: what they send goes through the
/// [`Context`] and is routed by the agent's task after the handler returns, so a handler never
/// blocks its task on another agent's full mailbox mid-computation.
///
/// A panic inside `handle` is caught: the message is answered with `failure` if it expected a
/// reply, messages queued by the failing handler are discarded, and the supervisor restarts the
/// agent from its factory (see [`RestartPolicy`]).
pub trait Agent: Send + 'static {
    /// Handles one message.
    fn handle(&mut self, msg: AclMessage, ctx: &mut Context);
}

/// What a handler can do besides computing: reply and send.
#[derive(Debug)]
pub struct Context {
    id: AgentId,
    pub(crate) outbox: Vec<AclMessage>,
}

impl Context {
    pub(crate) fn new(id: AgentId) -> Self {
        Context { id, outbox: Vec::new() }
    }

    /// The agent's own id.
    pub fn id(&self) -> AgentId {
        self.id
    }

    /// Answers `to`: same conversation, addressed to its sender, `in_reply_to` its `reply_with`.
    pub fn reply(&mut self, to: &AclMessage, performative: Performative, payload: impl Into<Bytes>) {
        self.outbox.push(reply_to(self.id, to, performative, payload.into()));
    }

    /// Sends a message (its `sender` is set to this agent).
    pub fn send(&mut self, mut msg: AclMessage) {
        msg.sender = self.id;
        self.outbox.push(msg);
    }
}

pub(crate) fn reply_to(from: AgentId, to: &AclMessage, performative: Performative, payload: Bytes) -> AclMessage {
    AclMessage {
        performative,
        sender: from,
        receivers: vec![to.sender],
        conversation_id: to.conversation_id,
        reply_with: None,
        in_reply_to: to.reply_with,
        language: to.language.clone(),
        ontology: to.ontology.clone(),
        payload,
    }
}

/// How often a panicking agent is restarted before its supervisor gives up and marks it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Restarts allowed within `within`; one more panic marks the agent failed.
    pub max_restarts: u32,
    /// The sliding window the restarts are counted in.
    pub within: Duration,
}

impl RestartPolicy {
    /// Never restart: the first panic marks the agent failed.
    pub const NEVER: RestartPolicy = RestartPolicy { max_restarts: 0, within: Duration::ZERO };
}

impl Default for RestartPolicy {
    /// 10 restarts within 10 s: a transient fault recovers, a crash loop is stopped.
    fn default() -> Self {
        RestartPolicy { max_restarts: 10, within: Duration::from_secs(10) }
    }
}

pub(crate) type Factory = Arc<dyn Fn() -> Box<dyn Agent> + Send + Sync>;

/// Everything needed to start (and restart) an agent. One spec can spawn many agents.
#[derive(Clone)]
pub struct AgentSpec {
    pub(crate) factory: Factory,
    pub(crate) capabilities: Vec<String>,
    pub(crate) mailbox: usize,
    pub(crate) policy: MailboxPolicy,
    pub(crate) restart: RestartPolicy,
}

impl std::fmt::Debug for AgentSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentSpec")
            .field("capabilities", &self.capabilities)
            .field("mailbox", &self.mailbox)
            .field("policy", &self.policy)
            .field("restart", &self.restart)
            .finish_non_exhaustive()
    }
}

/// Default mailbox capacity: deep enough that a burst of 1,000 messages queues without the
/// sender stalling on every message, small enough to bound memory under overload.
pub const DEFAULT_MAILBOX: usize = 1024;

impl AgentSpec {
    /// An agent built by `factory` (called again on every restart), with a
    /// [`DEFAULT_MAILBOX`]-message backpressure mailbox and the default restart policy.
    pub fn new<A: Agent>(factory: impl Fn() -> A + Send + Sync + 'static) -> Self {
        AgentSpec {
            factory: Arc::new(move || Box::new(factory()) as Box<dyn Agent>),
            capabilities: Vec::new(),
            mailbox: DEFAULT_MAILBOX,
            policy: MailboxPolicy::Backpressure,
            restart: RestartPolicy::default(),
        }
    }

    /// Adds a capability other agents can find it by.
    pub fn capability(mut self, name: impl Into<String>) -> Self {
        self.capabilities.push(name.into());
        self
    }

    /// Sets the mailbox capacity and what a full mailbox does to senders.
    pub fn mailbox(mut self, capacity: usize, policy: MailboxPolicy) -> Self {
        self.mailbox = capacity;
        self.policy = policy;
        self
    }

    /// Sets the restart policy.
    pub fn restart(mut self, policy: RestartPolicy) -> Self {
        self.restart = policy;
        self
    }
}
