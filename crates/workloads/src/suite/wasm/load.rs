//! The load scenarios against WASM agents in the same orchestrator: ids `load/wasm/<scenario>`.
//!
//! The system is [`NativeSystem`] (noisegate's orchestrator, its router and request client,
//! exactly as in the native scenarios); only the agents serving the mix differ:
//!
//! - **echo** — [`WasmAgent`] on the [`Builtin::EchoAgent`] guest: each request's 64 B payload
//!   is copied into the guest's memory and the reply (upper-cased, plus an 8-byte FNV-1a hash:
//!   72 B) copied out;
//! - **compute** — [`HashWorker`] on the [`Builtin::Hash`] guest, the WASM twin of the native
//!   worker: `hash(seed_of(payload), COMPUTE_ITERATIONS)`, the same SplitMix64 rounds
//!   [`work`](crate::orchestrator::work) computes, replied as the same 8 bytes;
//! - **send** — native sinks (a one-way send measures the router and the mailbox, which are the
//!   same whoever handles the message).
//!
//! Every guest runs under [`HostConfig::untrusted`], the default bounds for untrusted agents:
//! 64 MiB of memory per store and a 1 s wall-clock deadline per call (epoch interruption,
//! checked every 10 ms). Each agent has its own store, instantiated on its first message. A
//! guest that fails (trap, deadline, memory) makes its agent fail: the supervisor answers
//! `failure`, which the load target counts as a failed request, and restarts the agent.

use std::sync::Arc;

use bench_core::load::Mix;
use bench_core::targets::{Profile, Targets};
use bytes::Bytes;
use tokio::runtime::Runtime;

use crate::orchestrator::seed_of;
use crate::orchestrator::{
    AclMessage, Agent, AgentSpec, AgentSystem, Context, NativeSystem, Performative, Role, Tally,
};
use crate::suite::RunOptions;
use crate::suite::load::{AgentTarget, COMPUTE_ITERATIONS, OpKind, ScenarioRun};
use crate::wasm::{Builtin, Guest, HashKernel, HostConfig, WasmAgent, WasmHost};

/// Prefix of the WASM scenarios' ids (and results directories).
pub const PREFIX: &str = "load/wasm";

/// What the WASM scenarios' output calls the system under load.
const SYSTEM: &str = "orchestrator with WASM agents (echo: echo_agent guest, compute: hash guest, send: native sinks; \
                      HostConfig::untrusted: 64 MiB per store, 1 s deadline per call)";

/// The compiled guests the WASM agents run, on one host with [`HostConfig::untrusted`].
#[derive(Debug, Clone)]
pub struct WasmAgents {
    echo: Guest,
    hash: Guest,
}

impl WasmAgents {
    /// Builds the host and compiles the echo and hash guests.
    pub fn untrusted() -> Result<Self, String> {
        let host = WasmHost::new(HostConfig::untrusted()).map_err(|e| format!("building the WASM host: {e}"))?;
        let load = |b: Builtin| host.builtin(b).map_err(|e| format!("compiling the `{}` guest: {e}", b.name()));
        Ok(WasmAgents { echo: load(Builtin::EchoAgent)?, hash: load(Builtin::Hash)? })
    }

    /// Spawns `agents` agents in `sys`, split over `mix` as [`AgentTarget::start`] does: WASM
    /// echo and compute agents, native sinks.
    pub fn start(
        &self,
        sys: Arc<NativeSystem>,
        mix: &[(String, u32)],
        agents: usize,
    ) -> Result<(AgentTarget<NativeSystem>, Mix), String> {
        let (echo, compute) = (WasmAgent::spec(self.echo.clone()), HashWorker::spec(self.hash.clone()));
        let tally = Tally::new();
        let orch = sys.clone();
        AgentTarget::start_with(sys, mix, agents, move |kind| match kind {
            OpKind::Echo => orch.orchestrator().spawn(&echo).map_err(|e| e.to_string()),
            OpKind::Compute => orch.orchestrator().spawn(&compute).map_err(|e| e.to_string()),
            OpKind::Send => orch.spawn(Role::Sink(tally.clone()), &[]).map_err(|e| e.to_string()),
        })
    }
}

/// A compute agent on a guest exporting `hash: (i64, i32) -> i64` ([`Builtin::Hash`]): replies
/// `inform` with the 8-byte little-endian `hash(seed_of(payload), COMPUTE_ITERATIONS)`, what
/// the native [`WorkerAgent`](crate::orchestrator::WorkerAgent) replies.
pub struct HashWorker {
    guest: Guest,
    /// Instantiated on the first message (so building the agent cannot fail); dropped after a
    /// failure, since a trapped instance is suspect.
    kernel: Option<HashKernel>,
}

impl HashWorker {
    /// A spec spawning hash workers on `guest`, one store each.
    pub fn spec(guest: Guest) -> AgentSpec {
        AgentSpec::new(move || HashWorker { guest: guest.clone(), kernel: None })
    }
}

impl Agent for HashWorker {
    fn handle(&mut self, msg: AclMessage, ctx: &mut Context) {
        let kernel = match &mut self.kernel {
            Some(k) => Ok(k),
            None => HashKernel::new(&self.guest).map(|k| self.kernel.insert(k)),
        };
        match kernel.and_then(|k| k.hash(seed_of(&msg.payload), COMPUTE_ITERATIONS)) {
            Ok(result) => {
                if msg.reply_with.is_some() {
                    ctx.reply(&msg, Performative::Inform, Bytes::copy_from_slice(&result.to_le_bytes()));
                }
            }
            Err(e) => {
                self.kernel = None;
                // As `WasmAgent`: the supervisor's failure path, without the panic hook.
                std::panic::resume_unwind(Box::new(e.to_string()))
            }
        }
    }
}

/// Runs the selected scenarios (`load/wasm/<scenario>`) against the orchestrator with WASM
/// agents, as the native scenarios does against native ones.
pub fn scenarios(rt: &Runtime, opts: &RunOptions, targets: &Targets, profile: &Profile) -> Vec<ScenarioRun> {
    if crate::suite::load::selected(PREFIX, opts).is_empty() {
        return Vec::new();
    }
    let agents = match WasmAgents::untrusted() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{PREFIX}: FAILED: {e}");
            return Vec::new();
        }
    };
    let start = || {
        let sys = Arc::new(NativeSystem::new());
        let target = agents.start(sys.clone(), &profile.mix, profile.agents);
        (sys, target)
    };
    crate::suite::load::run_scenarios(rt, PREFIX, SYSTEM, start, opts, targets, profile)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bench_core::load::{self, LoadConfig, RateSchedule, Request, Target};
    use bench_core::metrics::ErrorKind;

    use super::*;
    use crate::orchestrator::work;
    use crate::suite::message;
    use crate::wasm::transform;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_operation_of_the_mix_reaches_its_wasm_agents() {
        let sys = Arc::new(NativeSystem::new());
        let mix = [("echo".to_owned(), 70), ("compute".to_owned(), 20), ("send".to_owned(), 10)];
        let (target, mix) = WasmAgents::untrusted().unwrap().start(sys.clone(), &mix, 10).unwrap();
        assert_eq!(target.agent_counts(), [7, 2, 1]);

        // The replies are the guests' own: the echo guest's transform, the hash guest's rounds.
        let ask = |to, body: &Bytes| AclMessage { performative: Performative::Request, ..message(to, body) };
        let echo = sys.request(ask(target.agents[OpKind::Echo as usize][0], &target.body)).await.unwrap();
        assert_eq!(echo.payload, transform(&target.body));
        let compute = sys.request(ask(target.agents[OpKind::Compute as usize][0], &target.body)).await.unwrap();
        let expected = work(seed_of(&target.body), COMPUTE_ITERATIONS);
        assert_eq!(compute.payload.as_ref(), expected.to_le_bytes());

        // Counts only, no timing: 200 requests in the configured 70/20/10 split, all answered.
        let config = LoadConfig { mix: Some(mix), ..LoadConfig::default() };
        let schedule = RateSchedule::constant(1_000.0, Duration::from_millis(200));
        let report = load::run(&schedule, &config, Arc::new(target)).await.unwrap();
        assert_eq!(report.errors.total, 200);
        assert_eq!(report.errors.failed(), report.health.dropped, "only drops may fail: {:?}", report.errors);
        let counts: Vec<u64> = report.operations.iter().map(|o| o.errors.total).collect();
        assert_eq!(counts, [140, 40, 20]);
        assert_eq!(sys.orchestrator().stats().panics, 0, "no guest failed");
        sys.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_guest_is_a_failed_request() {
        // A guest without the `hash` export: the agent fails on every message.
        let host = WasmHost::new(HostConfig::untrusted()).unwrap();
        let broken = host.load_wat("no_hash", "(module)").unwrap();
        let sys = Arc::new(NativeSystem::new());
        let spec = HashWorker::spec(broken);
        let orch = sys.clone();
        let (target, _) = AgentTarget::start_with(sys.clone(), &[("compute".into(), 1)], 1, |_| {
            orch.orchestrator().spawn(&spec).map_err(|e| e.to_string())
        })
        .unwrap();
        let outcome = target.call(Request { seq: 0, intended: Duration::ZERO, op: 0 }).await;
        assert_eq!(outcome, Err(ErrorKind::Failed));
        assert_eq!(sys.orchestrator().stats().panics, 1);
        sys.shutdown().await;
    }

    #[test]
    fn wasm_ids_are_selected_apart_from_the_native_ones() {
        let opts = |filter: &str| RunOptions::from_args(["bench", "--bench", filter].map(String::from));
        let all = crate::suite::load::SCENARIOS.len();
        assert_eq!(crate::suite::load::selected(PREFIX, &opts("wasm")).len(), all);
        assert!(crate::suite::load::selected(crate::suite::load::PREFIX, &opts("wasm")).is_empty());
        assert_eq!(crate::suite::load::selected(crate::suite::load::PREFIX, &opts("load/peak")), ["peak"]);
        assert!(crate::suite::load::selected(PREFIX, &opts("load/peak")).is_empty());
        assert_eq!(crate::suite::load::selected(PREFIX, &opts("load/wasm/peak")), ["peak"]);
    }
}
