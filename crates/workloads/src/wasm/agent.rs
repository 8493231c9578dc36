//! WASM agents in the orchestrator, beside their native twin.
//!
//! A [`WasmAgent`] is an [`Agent`] whose handler runs in a guest (its own store, so its own
//! limits). When the guest fails, the agent fails the way any agent does: the handler unwinds,
//! the orchestrator's supervisor catches it, counts it (`OrchestratorStats::panics`), answers a
//! waiting requester with `failure` carrying the [`WasmError`](super::WasmError) text, and
//! restarts the agent from its factory (a fresh instance) within the agent's restart policy.
//! The other agents, the orchestrator and the host are untouched.

use bytes::Bytes;

use super::engine::Guest;
use super::guest::MessageHandler;
use super::native::transform;
use crate::orchestrator::{AclMessage, Agent, AgentSpec, Context, Performative};

/// An agent handled by a message-handling guest (see [`MessageHandler`]): it replies `inform`
/// with the guest's reply to every message that expects one.
pub struct WasmAgent {
    guest: Guest,
    /// Instantiated on the first message, so building the agent (in the supervisor's factory)
    /// cannot fail; dropped after a failure, since a trapped instance's memory is suspect.
    handler: Option<MessageHandler>,
}

impl WasmAgent {
    /// An agent running `guest` (instantiated when the first message arrives).
    pub fn new(guest: Guest) -> Self {
        WasmAgent { guest, handler: None }
    }

    /// A spec spawning agents that run `guest`, one store each.
    pub fn spec(guest: Guest) -> AgentSpec {
        AgentSpec::new(move || WasmAgent::new(guest.clone()))
    }

    fn reply(&mut self, message: &[u8]) -> Result<Vec<u8>, super::WasmError> {
        let handler = match &mut self.handler {
            Some(h) => h,
            None => self.handler.insert(MessageHandler::new(&self.guest)?),
        };
        handler.handle(message)
    }
}

impl Agent for WasmAgent {
    fn handle(&mut self, msg: AclMessage, ctx: &mut Context) {
        match self.reply(&msg.payload) {
            Ok(reply) => {
                if msg.reply_with.is_some() {
                    ctx.reply(&msg, Performative::Inform, Bytes::from(reply));
                }
            }
            Err(e) => {
                self.handler = None;
                // The supervisor's failure path (catch, count, `failure` reply, restart) is
                // driven by unwinding; `resume_unwind` skips the panic hook, so a guest's
                // failure is not printed as if the host had crashed.
                std::panic::resume_unwind(Box::new(e.to_string()))
            }
        }
    }
}

/// The native twin of a [`WasmAgent`] running [`Builtin::EchoAgent`](super::Builtin::EchoAgent):
/// replies `inform` with [`transform`]`(payload)`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TransformAgent;

impl Agent for TransformAgent {
    fn handle(&mut self, msg: AclMessage, ctx: &mut Context) {
        if msg.reply_with.is_some() {
            ctx.reply(&msg, Performative::Inform, Bytes::from(transform(&msg.payload)));
        }
    }
}
