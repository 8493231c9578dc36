//! Raft's safety properties, checked while a simulated run goes on.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use openraft::ServerState;

use super::client::{ClientLog, stored_seq};
use super::{Scenario, replay_command};
use crate::cluster::NodeId;
use crate::cluster::node::NodeHandle;
use crate::cluster::store::{LogStore, StateMachineStore};

/// A safety property did not hold.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{scenario} seed {seed} at {at_ms:.0} ms (simulated): {what}; replay with `{replay}`")]
pub struct Violation {
    /// The scenario.
    pub scenario: &'static str,
    /// The seed.
    pub seed: u64,
    /// When, simulated ms.
    pub at_ms: f64,
    /// What.
    pub what: String,
    /// The command that replays the run.
    pub replay: String,
}

type Observed = (u8, u64, Option<NodeId>, Option<u64>);

pub(super) struct Checker {
    scenario: Scenario,
    seed: u64,
    n: usize,
    now: Duration,
    leaders: BTreeMap<u64, NodeId>,
    seen: Vec<Option<Observed>>,
    leader: Option<NodeId>,
    fault_at: Option<Duration>,
    to_leader: Option<Duration>,
    trace: DefaultHasher,
    acked_seen: usize,
}

fn state_code(s: ServerState) -> u8 {
    match s {
        ServerState::Learner => 0,
        ServerState::Follower => 1,
        ServerState::Candidate => 2,
        ServerState::Leader => 3,
        ServerState::Shutdown => 4,
    }
}

impl Checker {
    pub(super) fn new(scenario: Scenario, seed: u64, n: usize) -> Self {
        Checker {
            scenario,
            seed,
            n,
            now: Duration::ZERO,
            leaders: BTreeMap::new(),
            seen: vec![None; n],
            leader: None,
            fault_at: None,
            to_leader: None,
            trace: DefaultHasher::new(),
            acked_seen: 0,
        }
    }

    pub(super) fn fail(&self, what: String) -> Violation {
        Violation {
            scenario: self.scenario.as_str(),
            seed: self.seed,
            at_ms: self.now.as_secs_f64() * 1e3,
            what,
            replay: replay_command(self.scenario, self.seed),
        }
    }

    /// The leader a majority of live nodes agreed on at the last step.
    pub(super) fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    pub(super) fn fault_at(&mut self, t: Duration) {
        self.fault_at = Some(t);
    }

    pub(super) fn to_leader_ms(&self) -> Option<f64> {
        self.to_leader.map(|d| d.as_secs_f64() * 1e3)
    }

    pub(super) fn trace(&self) -> u64 {
        self.trace.finish()
    }

    /// One step: leaders per term, log matching, reads, and the trace.
    pub(super) fn step(
        &mut self,
        now: Duration,
        nodes: &[Option<NodeHandle>],
        logs: &[LogStore],
        live: &[bool],
        client: &ClientLog,
    ) -> Result<(), Violation> {
        self.now = now;
        let mut votes: BTreeMap<NodeId, usize> = BTreeMap::new();
        let mut leaders_now = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            let Some(h) = node.as_ref().filter(|_| live[i]) else { continue };
            let m = h.raft.metrics().borrow().clone();
            let observed = (state_code(m.state), m.current_term, m.current_leader, m.last_log_index);
            if self.seen[i] != Some(observed) {
                self.seen[i] = Some(observed);
                (now.as_millis(), h.id, observed).hash(&mut self.trace);
            }
            if m.state == ServerState::Leader {
                leaders_now.push(h.id);
                let first = *self.leaders.entry(m.current_term).or_insert(h.id);
                if first != h.id {
                    return Err(self.fail(format!("two leaders in term {}: nodes {first} and {}", m.current_term, h.id)));
                }
            }
            if let Some(l) = m.current_leader {
                *votes.entry(l).or_default() += 1;
            }
        }
        self.leader = votes
            .into_iter()
            .find(|(l, count)| count * 2 > self.n && leaders_now.contains(l))
            .map(|(l, _)| l);
        if let (Some(f), None, Some(_)) = (self.fault_at, self.to_leader, self.leader) {
            self.to_leader = Some(now.saturating_sub(f));
        }
        if client.acked.len() != self.acked_seen {
            self.acked_seen = client.acked.len();
            (now.as_millis(), self.acked_seen).hash(&mut self.trace);
        }
        self.log_matching(logs, live)?;
        if let Some(stale) = client.stale_reads.first() {
            return Err(self.fail(stale.clone()));
        }
        Ok(())
    }

    /// Log matching (Raft §5.3): if two logs hold an entry with the same index and term, they
    /// are identical up to it. Checked on every pair of live nodes.
    fn log_matching(&self, logs: &[LogStore], live: &[bool]) -> Result<(), Violation> {
        let ids: Vec<BTreeMap<u64, u64>> = logs.iter().map(|l| l.entry_ids().into_iter().collect()).collect();
        for a in 0..ids.len() {
            for b in a + 1..ids.len() {
                if !(live[a] && live[b]) {
                    continue;
                }
                let mut matched = false;
                for (index, term) in ids[a].iter().rev() {
                    let Some(other) = ids[b].get(index) else { continue };
                    if other == term {
                        matched = true;
                    } else if matched {
                        return Err(self.fail(format!(
                            "log matching broken between nodes {} and {}: they agree on a later entry but differ at index {index} (terms {term} and {other})",
                            a + 1,
                            b + 1
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// After healing: every acknowledged write is in every node's state machine. Returns the
    /// number missing (a violation when not zero).
    pub(super) fn finish(&self, states: &[StateMachineStore], client: &ClientLog) -> Result<u64, Violation> {
        let mut missing = Vec::new();
        for (key, seq) in &client.last_acked {
            for (i, s) in states.iter().enumerate() {
                let held = stored_seq(s.get(key));
                if held < *seq {
                    missing.push(format!("node {} holds `{key}` = {held}, acknowledged {seq}", i + 1));
                }
            }
        }
        if missing.is_empty() {
            Ok(0)
        } else {
            Err(self.fail(format!("{} acknowledged write(s) lost after healing: {}", missing.len(), missing.join("; "))))
        }
    }
}
