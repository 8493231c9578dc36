//! A simulated multi-agent orchestrator (what Caxton's guide benchmarks).
//!
//! Built piece by piece: today the FIPA-ACL message model and its two wire encodings; the router,
//! agents, pool and supervisor follow.

pub mod message;

pub use message::{AclMessage, AgentId, CodecError, ConversationId, Performative};
