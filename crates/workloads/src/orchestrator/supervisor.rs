//! An agent's task and its supervisor: take a batch from the mailbox, handle each message inside
//! `catch_unwind`, route what the handler sent, restart the agent from its factory after a panic
//! (Erlang/OTP's one-for-one strategy with a restart intensity, here [`RestartPolicy`]).

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use bytes::Bytes;

use super::agent::{Agent, Context, Factory, RestartPolicy, reply_to};
use super::error::Counters;
use super::message::{AclMessage, Performative};
use super::slot::{AgentSlot, AgentStatus};

/// Restart intensity: the times of recent restarts inside the policy's window.
struct Intensity {
    policy: RestartPolicy,
    recent: VecDeque<Instant>,
}

impl Intensity {
    /// Whether another restart is allowed now (and records it if so).
    fn allow(&mut self, now: Instant) -> bool {
        while self.recent.front().is_some_and(|t| now.duration_since(*t) > self.policy.within) {
            self.recent.pop_front();
        }
        if self.recent.len() < self.policy.max_restarts as usize {
            self.recent.push_back(now);
            true
        } else {
            false
        }
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned())
}

/// What an agent's task needs of the system it runs in: somewhere to route what the agent
/// sends, and the counters it updates. The orchestrator implements it; keeping it a trait keeps
/// this module below the router.
pub(crate) trait Router: Send + Sync + 'static {
    /// The system's counters.
    fn counters(&self) -> &Counters;
    /// Routes `msg`; failures are counted by the router, the agent carries on.
    fn route(&self, msg: AclMessage) -> impl Future<Output = ()> + Send;
}

/// The body of an agent's task. `router` yields the system while it exists (`None` once it is
/// gone: then what the agent sends is dropped).
pub(crate) async fn run<R: Router>(
    slot: Arc<AgentSlot>,
    factory: Factory,
    policy: RestartPolicy,
    router: impl Fn() -> Option<R> + Send,
) {
    let mut agent: Option<Box<dyn Agent>> = catch_unwind(AssertUnwindSafe(|| factory())).ok();
    if agent.is_none() {
        slot.set_status(AgentStatus::Failed);
        slot.mailbox.close();
    }
    let mut intensity = Intensity { policy, recent: VecDeque::new() };
    let mut ctx = Context::new(slot.id);
    let mut batch = VecDeque::new();
    let mut handled = 0u64;
    while slot.mailbox.recv_batch(&mut batch).await {
        let n = batch.len();
        // One upgrade per batch, not per message; `None` once the orchestrator is gone.
        let router = router();
        while let Some(msg) = batch.pop_front() {
            let Some(a) = agent.as_mut() else {
                if let Some(r) = &router {
                    r.counters().dropped.fetch_add(1, Relaxed);
                }
                continue;
            };
            let draining = slot.status() == AgentStatus::Stopping;
            // Kept for the failure notice: the handler consumes the message.
            let expects_reply = msg.reply_with.is_some().then(|| header_of(&msg));
            match catch_unwind(AssertUnwindSafe(|| a.handle(msg, &mut ctx))) {
                Ok(()) => {
                    handled += 1;
                    if draining && let Some(r) = &router {
                        r.counters().drained.fetch_add(1, Relaxed);
                    }
                }
                Err(payload) => {
                    // Whatever the failed handler queued is discarded: it did not finish.
                    ctx.outbox.clear();
                    if let Some(header) = expects_reply {
                        let text = format!("agent {} panicked: {}", slot.id.0, panic_text(payload.as_ref()));
                        ctx.outbox.push(reply_to(slot.id, &header, Performative::Failure, Bytes::from(text)));
                    }
                    if let Some(r) = &router {
                        r.counters().panics.fetch_add(1, Relaxed);
                    }
                    agent = restart(&slot, &factory, &mut intensity, router.as_ref());
                }
            }
            if !ctx.outbox.is_empty() {
                match &router {
                    // Routing failures are counted by the router; the agent carries on.
                    Some(r) => {
                        for out in ctx.outbox.drain(..) {
                            r.route(out).await;
                        }
                    }
                    None => ctx.outbox.clear(),
                }
            }
        }
        slot.handled.store(handled, Relaxed);
        slot.mailbox.release(n);
    }
    if slot.status() != AgentStatus::Failed {
        slot.set_status(AgentStatus::Stopped);
    }
}

/// A message's addressing, without its payload: what a failure notice needs.
fn header_of(msg: &AclMessage) -> AclMessage {
    AclMessage {
        performative: msg.performative,
        sender: msg.sender,
        receivers: Vec::new(),
        conversation_id: msg.conversation_id,
        reply_with: msg.reply_with,
        in_reply_to: msg.in_reply_to,
        language: None,
        ontology: None,
        payload: Bytes::new(),
    }
}

fn restart(
    slot: &AgentSlot,
    factory: &Factory,
    intensity: &mut Intensity,
    router: Option<&impl Router>,
) -> Option<Box<dyn Agent>> {
    if intensity.allow(Instant::now())
        && let Ok(fresh) = catch_unwind(AssertUnwindSafe(|| factory()))
    {
        slot.restarts.fetch_add(1, Relaxed);
        if let Some(r) = router {
            r.counters().restarts.fetch_add(1, Relaxed);
        }
        return Some(fresh);
    }
    // Given up: refuse new messages; what is still queued is dropped (and counted).
    slot.set_status(AgentStatus::Failed);
    slot.mailbox.close();
    None
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn intensity_allows_max_restarts_per_window() {
        let mut i = Intensity {
            policy: RestartPolicy { max_restarts: 2, within: Duration::from_secs(1) },
            recent: VecDeque::new(),
        };
        let t0 = Instant::now();
        assert!(i.allow(t0));
        assert!(i.allow(t0 + Duration::from_millis(100)));
        assert!(!i.allow(t0 + Duration::from_millis(200)), "third restart within 1 s");
        // The first restart left the window.
        assert!(i.allow(t0 + Duration::from_millis(1_050)));
    }

    #[test]
    fn never_policy_allows_nothing() {
        let mut i = Intensity { policy: RestartPolicy::NEVER, recent: VecDeque::new() };
        assert!(!i.allow(Instant::now()));
    }

    #[test]
    fn panic_text_reads_str_and_string_payloads() {
        assert_eq!(panic_text(&"boom"), "boom");
        assert_eq!(panic_text(&String::from("bang")), "bang");
        assert_eq!(panic_text(&42u8), "non-string panic payload");
    }
}
