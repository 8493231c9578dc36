//! Raft's safety properties, checked while a simulated run goes on.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use openraft::ServerState;

use super::client::{ClientLog, stored_seq};
use super::{Scenario, replay_command};
use crate::cluster::node::NodeHandle;
use crate::cluster::store::{LogStore, StateMachineStore};
use crate::cluster::{Command, NodeId};

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
    /// The highest term seen when the fault started, and since.
    fault_term: u64,
    max_term: u64,
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
            fault_term: 0,
            max_term: 0,
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
        self.fault_term = self.max_term;
    }

    /// From the fault until a leader of a later term was followed by a majority; 0 when the
    /// leader of the fault's term kept leading (no election happened and writes were
    /// acknowledged after the fault: `committed_after`); `None` when the cluster never recovered.
    pub(super) fn to_leader_ms(&self, committed_after: bool) -> Option<f64> {
        match self.to_leader {
            Some(d) => Some(d.as_secs_f64() * 1e3),
            None if committed_after && self.max_term == self.fault_term => Some(0.0),
            None => None,
        }
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
                if std::env::var_os("NOISEGATE_FAULT_DEBUG").is_some() {
                    eprintln!(
                        "{now:?} node {}: {:?} term {} leader {:?} last log {:?} vote {}",
                        h.id, m.state, m.current_term, m.current_leader, m.last_log_index, m.vote
                    );
                }
                self.seen[i] = Some(observed);
                (now.as_millis(), h.id, observed).hash(&mut self.trace);
            }
            self.max_term = self.max_term.max(m.current_term);
            if m.state == ServerState::Leader {
                leaders_now.push((h.id, m.current_term));
                let first = *self.leaders.entry(m.current_term).or_insert(h.id);
                if first != h.id {
                    return Err(
                        self.fail(format!("two leaders in term {}: nodes {first} and {}", m.current_term, h.id))
                    );
                }
            }
            if let Some(l) = m.current_leader {
                *votes.entry(l).or_default() += 1;
            }
        }
        let followed = votes
            .into_iter()
            .filter(|(_, count)| count * 2 > self.n)
            .find_map(|(l, _)| leaders_now.iter().find(|(id, _)| *id == l).copied());
        self.leader = followed.map(|(l, _)| l);
        if let (Some(f), None, Some((_, term))) = (self.fault_at, self.to_leader, followed)
            && term > self.fault_term
        {
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
        let ids: Vec<Vec<(u64, u64, u64)>> = logs.iter().map(LogStore::entry_ids).collect();
        for a in 0..ids.len() {
            for b in a + 1..ids.len() {
                if !(live[a] && live[b]) {
                    continue;
                }
                // Both are sorted by index: walk them together from the end. Below the highest
                // entry they share (same index and term), every common entry must be the same.
                let (x, y) = (&ids[a], &ids[b]);
                let (mut i, mut j, mut matched) = (x.len(), y.len(), false);
                while i > 0 && j > 0 {
                    let ((ix, tx, dx), (iy, ty, dy)) = (x[i - 1], y[j - 1]);
                    if ix > iy {
                        i -= 1;
                    } else if iy > ix {
                        j -= 1;
                    } else {
                        if tx == ty && dx != dy {
                            return Err(self.fail(format!(
                                "log matching broken: nodes {} and {} hold different entries at index {ix} of term {tx}",
                                a + 1,
                                b + 1
                            )));
                        }
                        if tx == ty {
                            matched = true;
                        } else if matched {
                            return Err(self.fail(format!(
                                "log matching broken between nodes {} and {}: they agree on a later entry but differ at index {ix} (terms {tx} and {ty})",
                                a + 1,
                                b + 1
                            )));
                        }
                        i -= 1;
                        j -= 1;
                    }
                }
            }
        }
        Ok(())
    }

    /// After healing: every acknowledged write was applied by every node (it is in the applied
    /// part of each node's log, and the newest value of each key is in each state machine).
    /// Returns the number missing (a violation when not zero).
    pub(super) fn finish(
        &self,
        logs: &[LogStore],
        states: &[StateMachineStore],
        client: &ClientLog,
    ) -> Result<u64, Violation> {
        let mut missing = Vec::new();
        for (i, (log, state)) in logs.iter().zip(states).enumerate() {
            let applied: std::collections::BTreeSet<(String, u64)> = log
                .commands_upto(state.last_applied().unwrap_or(0))
                .into_iter()
                .filter_map(|c| match c {
                    Command::Put { key, value } => Some((key, stored_seq(Some(value)))),
                    _ => None,
                })
                .collect();
            for (key, seq, _) in &client.acked {
                if !applied.contains(&(key.clone(), *seq)) {
                    missing.push(format!("node {} never applied `{key}` = {seq}", i + 1));
                }
            }
            for (key, seq) in &client.last_acked {
                let held = stored_seq(state.get(key));
                if held < *seq {
                    missing.push(format!("node {} holds `{key}` = {held}, acknowledged {seq}", i + 1));
                }
            }
        }
        if missing.is_empty() {
            Ok(0)
        } else {
            let n = missing.len() as u64;
            missing.truncate(5);
            Err(self.fail(format!("{n} acknowledged write(s) missing after healing: {}", missing.join("; "))))
        }
    }
}
