//! Seeded faults on a simulated network, with Raft's safety invariants checked at every step.
//!
//! Each run is one turmoil simulation (simulated network and time, one thread) of a cluster
//! whose nodes speak the framed protocol over simulated TCP, a client writing and reading
//! through it, and one [`Scenario`]'s fault: injected at 1 s, healed at 3 s, the client stops
//! at 5 s and every node is given 1 s to catch up. One seed fixes everything — turmoil's
//! latencies and scheduling, and Raft's election timeouts (through [`seed_thread`]) — so a
//! seed replays exactly; [`Outcome::trace`] is a digest of every state change to prove it.
//!
//! Measured per run, in **simulated** milliseconds: time from the fault until a live leader is
//! known ([`Outcome::to_leader_ms`]) and until the client's first acknowledged write after the
//! fault ([`Outcome::to_commit_ms`]); writes acknowledged, rejected, retried and lost.
//!
//! Checked ([`check`]): at most one leader per term, log matching between every pair of live
//! nodes, every acknowledged write in every node's state machine after healing, and every
//! linearizable read at least as new as the last write acknowledged before it began. A
//! violation ends the run with the seed and the command that replays it. Entries are compared by
//! content, not only by index and term, so a store that loses an acknowledged entry and reuses
//! its slot is caught (see [`StoreFault`]). `NOISEGATE_FAULT_DEBUG=1` prints every node's state
//! change and every refused client request.
//!
//! [`seed_thread`]: super::runtime::seed_thread

mod check;
mod client;
mod report;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use check::Violation;
pub use report::{ScenarioSummary, Spread};

use super::network::{NetStats, Sim, serve_sim};
use super::node::{self, NodeHandle};
use super::runtime::{SeededRuntime, seed_thread};
use super::store::{LogStore, StateMachineStore, StoreFault};
use super::{Node, NodeId};
use check::Checker;
use client::{ClientLog, run_client};
use openraft::AsyncRuntime;
use rand::Rng;

/// The port every simulated node listens on.
const PORT: u16 = 7000;
/// When the fault starts, is healed, and when the client stops (simulated time).
const FAULT_AT: Duration = Duration::from_secs(1);
const HEAL_AT: Duration = Duration::from_secs(3);
const CLIENT_STOPS: Duration = Duration::from_secs(5);
const SETTLE: Duration = Duration::from_secs(1);

/// A fault to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scenario {
    /// The leader crashes; restarted (state kept) at the heal.
    LeaderCrash,
    /// A follower crashes; restarted at the heal.
    FollowerCrash,
    /// The leader crashes and comes back 0.5 s later with its state.
    CrashRestart,
    /// The leader and one follower crash together and restart together 0.5 s later (a
    /// majority of three): only durable state keeps acknowledged writes.
    MajorityCrashRestart,
    /// One follower is cut off from every other node.
    MinorityPartition,
    /// The leader and one follower are cut off from the other three of five: the majority side
    /// must elect a new leader.
    MajorityPartition,
    /// 100 ms added to every message between the leader and one follower.
    SlowLink,
    /// The link between the leader and one follower drops every message in random spells: each
    /// 50 ms it is down with probability 0.3 (seeded).
    LossyLink,
    /// The leader is cut off from its peers while the client keeps writing to it.
    IsolatedLeader,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 9] = [
        Scenario::LeaderCrash,
        Scenario::FollowerCrash,
        Scenario::CrashRestart,
        Scenario::MajorityCrashRestart,
        Scenario::MinorityPartition,
        Scenario::MajorityPartition,
        Scenario::SlowLink,
        Scenario::LossyLink,
        Scenario::IsolatedLeader,
    ];

    /// Its name (`leader_crash`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::LeaderCrash => "leader_crash",
            Scenario::FollowerCrash => "follower_crash",
            Scenario::CrashRestart => "crash_restart",
            Scenario::MajorityCrashRestart => "majority_crash_restart",
            Scenario::MinorityPartition => "minority_partition",
            Scenario::MajorityPartition => "majority_partition",
            Scenario::SlowLink => "slow_link",
            Scenario::LossyLink => "lossy_link",
            Scenario::IsolatedLeader => "isolated_leader",
        }
    }

    /// Nodes the scenario runs with.
    pub fn nodes(self) -> usize {
        if self == Scenario::MajorityPartition { 5 } else { 3 }
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Scenario::ALL.iter().map(|x| x.as_str()).collect();
            format!("unknown fault scenario `{s}`; the scenarios are: {}", names.join(", "))
        })
    }
}

/// What one run measured (simulated time).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The scenario.
    pub scenario: Scenario,
    /// The seed.
    pub seed: u64,
    /// From the fault until a leader of a later term is followed by a majority, ms; 0 when the
    /// old leader kept leading; `None` if no leader emerged.
    pub to_leader_ms: Option<f64>,
    /// From the fault until the first write acknowledged after it, ms.
    pub to_commit_ms: Option<f64>,
    /// Writes acknowledged.
    pub acked: u64,
    /// Writes refused (no leader, not the leader, timed out without answer).
    pub rejected: u64,
    /// Sends repeated after a refusal.
    pub retried: u64,
    /// Acknowledged writes missing from a node after healing (a violation if not zero).
    pub lost: u64,
    /// Linearizable reads done.
    pub reads: u64,
    /// Messages and bytes between nodes.
    pub network: (u64, u64),
    /// Digest of every observed state change: equal for two runs of one seed.
    pub trace: u64,
}

/// The command that replays one run.
pub fn replay_command(scenario: Scenario, seed: u64) -> String {
    format!("cargo bench --bench cluster_faults -- --scenario {} --seed {seed}", scenario.as_str())
}

fn host(id: NodeId) -> String {
    format!("n{id}")
}

/// One node's durable state and its current incarnation, shared with the checker.
#[derive(Clone)]
struct Slot {
    log: LogStore,
    state: StateMachineStore,
    handle: Arc<Mutex<Option<NodeHandle>>>,
    starts: Arc<AtomicU32>,
}

/// Runs `scenario` with `seed`; `fault` makes the stores misbehave (to test the checker).
pub fn run(scenario: Scenario, seed: u64, fault: StoreFault) -> Result<Outcome, Violation> {
    seed_thread(seed);
    let n = scenario.nodes();
    let mut sim = turmoil::Builder::new()
        .rng_seed(seed)
        .simulation_duration(CLIENT_STOPS + SETTLE + Duration::from_secs(20))
        .min_message_latency(Duration::from_micros(200))
        .max_message_latency(Duration::from_millis(2))
        .build();
    let config = node::config(Duration::from_millis(50));
    let stats = Arc::new(NetStats::default());
    let members: BTreeMap<NodeId, Node> =
        (1..=n as NodeId).map(|id| (id, Node::new(format!("{}:{PORT}", host(id))))).collect();
    let slots: Vec<Slot> = (0..n)
        .map(|_| Slot {
            log: LogStore::with_digests(),
            state: StateMachineStore::default(),
            handle: Arc::default(),
            starts: Arc::default(),
        })
        .collect();
    for (i, slot) in slots.iter().enumerate() {
        let id = i as NodeId + 1;
        let (slot, config, stats, members) = (slot.clone(), config.clone(), stats.clone(), members.clone());
        sim.host(host(id), move || {
            let (slot, config, stats, members) = (slot.clone(), config.clone(), stats.clone(), members.clone());
            async move {
                let first = slot.starts.fetch_add(1, Relaxed) == 0;
                if !first && fault == StoreFault::ForgetTailOnRestart {
                    slot.log.forget_tail();
                    slot.state.forget_all();
                }
                // openraft draws each node's election timeout once and checks it on a 75 ms
                // tick counted from the node's start: nodes started in the same instant with
                // timeouts in the same tick would split their votes in every term. Real nodes
                // never start in the same microsecond; simulated ones get a seeded offset.
                let offset = SeededRuntime::thread_rng().gen_range(0..75);
                tokio::time::sleep(Duration::from_millis(offset)).await;
                let listener = turmoil::net::TcpListener::bind(("0.0.0.0", PORT)).await?;
                let h = NodeHandle::start(id, config, Sim::new(stats), slot.log.clone(), slot.state.clone()).await?;
                *slot.handle.lock().unwrap_or_else(|p| p.into_inner()) = Some(h.clone());
                if first && id == 1 {
                    h.initialize(members).await?;
                }
                serve_sim(listener, h).await;
                Ok(())
            }
        });
    }
    let log = Rc::new(RefCell::new(ClientLog::default()));
    sim.client("client", run_client(n, log.clone(), CLIENT_STOPS));

    let mut checker = Checker::new(scenario, seed, n);
    let mut fault_leader = None;
    let mut healed = false;
    let mut restarted = false;
    loop {
        let now = sim.elapsed();
        if fault_leader.is_none() && now >= FAULT_AT {
            let leader = checker.leader().unwrap_or(1);
            fault_leader = Some(leader);
            checker.fault_at(now);
            inject(&mut sim, scenario, leader, n);
        }
        if let Some(leader) = fault_leader {
            let quick = matches!(scenario, Scenario::CrashRestart | Scenario::MajorityCrashRestart);
            if quick && !restarted && now >= FAULT_AT + Duration::from_millis(500) {
                restarted = true;
                restart_crashed(&mut sim, n);
            }
            if scenario == Scenario::LossyLink && !healed && now.as_millis() % 50 == 0 {
                lossy_spell(&mut sim, leader, n);
            }
            if !healed && now >= HEAL_AT {
                healed = true;
                heal(&mut sim, scenario, leader, n);
            }
        }
        let live: Vec<bool> = (1..=n as NodeId).map(|id| sim.is_host_running(host(id))).collect();
        for (slot, running) in slots.iter().zip(&live) {
            // A crashed node's old handle must not speak for the node after its restart.
            if !running {
                *slot.handle.lock().unwrap_or_else(|p| p.into_inner()) = None;
            }
        }
        let slots_now: Vec<Option<NodeHandle>> =
            slots.iter().map(|s| s.handle.lock().unwrap_or_else(|p| p.into_inner()).clone()).collect();
        checker.step(
            now,
            &slots_now,
            &slots.iter().map(|s| s.log.clone()).collect::<Vec<_>>(),
            &live,
            &log.borrow(),
        )?;
        match sim.step() {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => return Err(checker.fail(format!("the simulation failed: {e}"))),
        }
    }
    let states: Vec<StateMachineStore> = slots.iter().map(|s| s.state.clone()).collect();
    let logs: Vec<LogStore> = slots.iter().map(|s| s.log.clone()).collect();
    let lost = checker.finish(&logs, &states, &log.borrow())?;
    let l = log.borrow();
    let to_commit_ms = l.first_ack_after(FAULT_AT).map(|t| (t - FAULT_AT).as_secs_f64() * 1e3);
    Ok(Outcome {
        scenario,
        seed,
        to_leader_ms: checker.to_leader_ms(to_commit_ms.is_some()),
        to_commit_ms,
        acked: l.acked.len() as u64,
        rejected: l.rejected,
        retried: l.retried,
        lost,
        reads: l.reads,
        network: stats.totals(),
        trace: checker.trace(),
    })
}

fn others(n: usize, except: &[NodeId]) -> Vec<String> {
    (1..=n as NodeId).filter(|id| !except.contains(id)).map(host).collect()
}

fn follower_of(leader: NodeId, n: usize) -> NodeId {
    leader % n as NodeId + 1
}

fn inject(sim: &mut turmoil::Sim<'_>, scenario: Scenario, leader: NodeId, n: usize) {
    let f = follower_of(leader, n);
    match scenario {
        Scenario::LeaderCrash | Scenario::CrashRestart => sim.crash(host(leader)),
        Scenario::FollowerCrash => sim.crash(host(f)),
        Scenario::MajorityCrashRestart => {
            sim.crash(host(leader));
            sim.crash(host(f));
        }
        Scenario::MinorityPartition => {
            for o in others(n, &[f]) {
                sim.partition(host(f), o);
            }
        }
        Scenario::MajorityPartition => {
            for o in others(n, &[leader, f]) {
                sim.partition(host(leader), o.clone());
                sim.partition(host(f), o);
            }
        }
        Scenario::SlowLink => sim.set_link_latency(host(leader), host(f), Duration::from_millis(100)),
        // Spells of loss are drawn in the run loop (`lossy_spell`).
        Scenario::LossyLink => {}
        Scenario::IsolatedLeader => {
            for o in others(n, &[leader]) {
                sim.partition(host(leader), o);
            }
        }
    }
}

/// One 50 ms spell of the lossy link: down with probability 0.3.
fn lossy_spell(sim: &mut turmoil::Sim<'_>, leader: NodeId, n: usize) {
    let f = follower_of(leader, n);
    if SeededRuntime::thread_rng().gen_bool(0.3) {
        sim.partition(host(leader), host(f));
    } else {
        sim.repair(host(leader), host(f));
    }
}

fn restart_crashed(sim: &mut turmoil::Sim<'_>, n: usize) {
    for id in 1..=n as NodeId {
        if !sim.is_host_running(host(id)) {
            sim.bounce(host(id));
        }
    }
}

fn heal(sim: &mut turmoil::Sim<'_>, scenario: Scenario, leader: NodeId, n: usize) {
    let f = follower_of(leader, n);
    restart_crashed(sim, n);
    match scenario {
        Scenario::MinorityPartition => {
            for o in others(n, &[f]) {
                sim.repair(host(f), o);
            }
        }
        Scenario::MajorityPartition => {
            for o in others(n, &[leader, f]) {
                sim.repair(host(leader), o.clone());
                sim.repair(host(f), o);
            }
        }
        Scenario::IsolatedLeader => {
            for o in others(n, &[leader]) {
                sim.repair(host(leader), o);
            }
        }
        Scenario::SlowLink => sim.set_link_latency(host(leader), host(f), Duration::from_millis(1)),
        Scenario::LossyLink => sim.repair(host(leader), host(f)),
        _ => {}
    }
}
