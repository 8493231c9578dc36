//! A simulated multi-agent orchestrator (what Caxton's guide benchmarks), with real code paths:
//!
//! - **Agents** are tokio tasks, each with a bounded [mailbox](MailboxPolicy) that either applies
//!   backpressure or rejects when full. Handlers implement [`Agent`]; replies and onward messages
//!   go through a [`Context`].
//! - **Messages** are FIPA-ACL ([`AclMessage`]), with a JSON and a compact binary encoding.
//! - The **router** ([`Orchestrator`]) delivers by agent id (one hash lookup under a read lock)
//!   and by capability (rotating among holders); a [`Client`] correlates request/response by
//!   conversation id.
//! - **Failures are values**: unknown recipients, full mailboxes, stopped or failed agents are
//!   [`RouteError`]s counted by type ([`OrchestratorStats`]); a panicking handler is caught, the
//!   requester gets a `failure` reply, and the supervisor restarts the agent (restarts counted)
//!   within its [`RestartPolicy`].
//! - **Shutdown drains**: a stopped agent handles what is already queued before its task ends.
//!
//! The suites drive it through the [`AgentSystem`] trait, so any other system can be plugged in.

mod agent;
mod agents;
mod bus;
mod error;
mod mailbox;
pub mod message;
mod registry;
mod slot;
mod supervisor;
mod system;

pub use agent::{Agent, AgentSpec, Context, DEFAULT_MAILBOX, RestartPolicy};
pub use agents::{EchoAgent, SinkAgent, Tally, WorkerAgent, seed_of, work};
pub use bus::{AgentSystem, NativeError, NativeSystem, Role};
pub use error::{OrchestratorStats, RouteError, SpawnError};
pub use mailbox::MailboxPolicy;
pub use message::{AclMessage, AgentId, CodecError, ConversationId, Performative};
pub use system::{AgentStatus, Client, Orchestrator, ShutdownReport};
