//! The system under load as a [`Target`]: the mix's operations, the agents that serve them, and
//! how a call's outcome is classified. See the parent module.

use std::any::Any;
use std::sync::Arc;

use bench_core::load::{Mix, Outcome, Request, Target};
use bench_core::metrics::ErrorKind;
use bytes::Bytes;

use crate::orchestrator::{AclMessage, AgentId, AgentSystem, NativeError, Performative, Role, Tally};
use crate::suite::{message, payload};

/// Iterations of the worker agents' computation per request.
pub const COMPUTE_ITERATIONS: u32 = 1_000;

/// Bytes of every request's payload.
pub const BODY_BYTES: usize = 64;

/// The operations a mix may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// Request/reply to an echo agent ([`BODY_BYTES`] B).
    Echo,
    /// Request/reply to a worker agent computing [`COMPUTE_ITERATIONS`] rounds.
    Compute,
    /// One-way send to a sink agent (resolves once queued in its mailbox).
    Send,
}

impl OpKind {
    /// Names accepted in a profile's `mix`.
    pub const NAMES: [&str; 3] = ["echo", "compute", "send"];

    /// The kind a mix entry names.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "echo" => Some(OpKind::Echo),
            "compute" => Some(OpKind::Compute),
            "send" => Some(OpKind::Send),
            _ => None,
        }
    }
}

/// The system under load as a [`Target`]: `Request::op` indexes the mix, `Request::seq` rotates
/// over the agents of that kind.
pub struct AgentTarget<S: AgentSystem> {
    pub(super) sys: Arc<S>,
    ops: Vec<OpKind>,
    pub(crate) agents: [Vec<AgentId>; 3],
    pub(crate) body: Bytes,
}

impl<S: AgentSystem> AgentTarget<S> {
    /// Spawns `agents` agents in `sys` through [`AgentSystem::spawn`] (echo, worker and sink
    /// [`Role`]s), split over the mix's operation kinds by weight (at least one each), and
    /// returns the target with its [`Mix`]. Unknown operation names are an error naming the
    /// known ones.
    pub fn start(sys: Arc<S>, mix: &[(String, u32)], agents: usize) -> Result<(Self, Mix), String> {
        let tally = Tally::new();
        let spawner = sys.clone();
        Self::start_with(sys, mix, agents, move |kind| {
            let role = match kind {
                OpKind::Echo => Role::Echo,
                OpKind::Compute => Role::Worker { iterations: COMPUTE_ITERATIONS },
                OpKind::Send => Role::Sink(tally.clone()),
            };
            spawner.spawn(role, &[]).map_err(|e| e.to_string())
        })
    }

    /// As [`start`](Self::start), with `spawn` starting the agent that serves one request kind
    /// (so the same system can host other agents, e.g. WASM ones: see [`crate::suite::wasm::load`]).
    pub fn start_with(
        sys: Arc<S>,
        mix: &[(String, u32)],
        agents: usize,
        mut spawn: impl FnMut(OpKind) -> Result<AgentId, String>,
    ) -> Result<(Self, Mix), String> {
        let mut ops = Vec::new();
        for (name, _) in mix {
            ops.push(OpKind::parse(name).ok_or_else(|| {
                format!("mix operation `{name}` is unknown; known operations: {}", OpKind::NAMES.join(", "))
            })?);
        }
        let total: u32 = mix.iter().map(|(_, w)| *w).sum();
        let mut ids: [Vec<AgentId>; 3] = Default::default();
        for ((_, w), kind) in mix.iter().zip(&ops) {
            let n = ((agents as u64 * u64::from(*w)) / u64::from(total.max(1))).max(1);
            for _ in 0..n {
                let id = spawn(*kind).map_err(|e| format!("spawning a {kind:?} agent: {e}"))?;
                ids[*kind as usize].push(id);
            }
        }
        let mix = Mix::new(mix.iter().map(|(n, w)| (n.clone(), *w))).map_err(|e| e.to_string())?;
        Ok((AgentTarget { sys, ops, agents: ids, body: payload(BODY_BYTES) }, mix))
    }

    /// Agents spawned, per kind (echo, compute, send).
    pub fn agent_counts(&self) -> [usize; 3] {
        [self.agents[0].len(), self.agents[1].len(), self.agents[2].len()]
    }
}

/// The `ErrorKind` of a system error: the route error's own kind for [`NativeError`], else
/// `Failed`.
pub(super) fn kind_of<E: std::error::Error + 'static>(e: &E) -> ErrorKind {
    match (e as &dyn Any).downcast_ref::<NativeError>() {
        Some(NativeError::Route(r)) => r.kind(),
        _ => ErrorKind::Failed,
    }
}

impl<S: AgentSystem> Target for AgentTarget<S> {
    async fn call(&self, req: Request) -> Outcome {
        let kind = self.ops[req.op];
        let pool = &self.agents[kind as usize];
        let to = pool[(req.seq / self.ops.len() as u64 % pool.len() as u64) as usize];
        let msg = message(to, &self.body);
        match kind {
            OpKind::Echo | OpKind::Compute => {
                let msg = AclMessage { performative: Performative::Request, ..msg };
                match self.sys.request(msg).await {
                    // An agent whose handler failed (a panic, a guest trap) is answered for by
                    // the supervisor with `failure`: a reply, but not a served request.
                    Ok(reply) if reply.performative == Performative::Failure => Err(ErrorKind::Failed),
                    Ok(_) => Ok(()),
                    Err(e) => Err(kind_of(&e)),
                }
            }
            OpKind::Send => self.sys.send(msg).await.map_err(|e| kind_of(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bench_core::load::{self, LoadConfig, RateSchedule};

    use super::*;
    use crate::orchestrator::{Agent, AgentSpec, Context, NativeSystem};

    #[tokio::test]
    async fn unknown_mix_operations_name_the_known_ones() {
        let sys = Arc::new(NativeSystem::new());
        let err = AgentTarget::start(sys.clone(), &[("echo".into(), 1), ("delete".into(), 1)], 4).err().unwrap();
        assert!(err.contains("`delete` is unknown") && err.contains("echo, compute, send"), "{err}");
        sys.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_operation_of_the_mix_reaches_its_agents() {
        // Counts only, no timing: 200 requests in the configured 70/20/10 split, all answered.
        let sys = Arc::new(NativeSystem::new());
        let mix = [("echo".to_owned(), 70), ("compute".to_owned(), 20), ("send".to_owned(), 10)];
        let (target, mix) = AgentTarget::start(sys.clone(), &mix, 10).unwrap();
        assert_eq!(target.agent_counts(), [7, 2, 1]);
        let config = LoadConfig { mix: Some(mix), ..LoadConfig::default() };
        let schedule = RateSchedule::constant(1_000.0, Duration::from_millis(200));
        let report = load::run(&schedule, &config, Arc::new(target)).await.unwrap();
        assert_eq!(report.errors.total, 200);
        assert_eq!(report.errors.succeeded() + report.health.dropped, 200);
        let counts: Vec<u64> = report.operations.iter().map(|o| o.errors.total).collect();
        assert_eq!(counts, [140, 40, 20]);
        sys.shutdown().await;
    }

    struct Failing;

    impl Agent for Failing {
        fn handle(&mut self, _msg: AclMessage, _ctx: &mut Context) {
            std::panic::resume_unwind(Box::new("this agent always fails"));
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failure_reply_counts_as_a_failed_request() {
        let sys = Arc::new(NativeSystem::new());
        let failing = sys.orchestrator().spawn(&AgentSpec::new(|| Failing)).unwrap();
        let (target, _) = AgentTarget::start_with(sys.clone(), &[("echo".into(), 1)], 1, |_| Ok(failing)).unwrap();
        let outcome = target.call(Request { seq: 0, intended: Duration::ZERO, op: 0 }).await;
        assert_eq!(outcome, Err(ErrorKind::Failed));
        sys.shutdown().await;
    }

    #[test]
    fn route_errors_keep_their_kind() {
        let e = NativeError::Route(crate::orchestrator::RouteError::NoRecipients);
        assert_eq!(kind_of(&e), ErrorKind::NotFound);
        assert_eq!(kind_of(&std::io::Error::other("x")), ErrorKind::Failed);
    }
}
