//! The orchestrator's guarantees: exactly-once in-order delivery, typed failures, mailbox
//! policies, supervision, draining shutdown and exact capability lookup.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use bench_core::metrics::ErrorKind;
use proptest::prelude::*;
use workloads::orchestrator::{
    AclMessage, Agent, AgentId, AgentSpec, AgentStatus, Context, ConversationId, EchoAgent, MailboxPolicy,
    Orchestrator, Performative, RestartPolicy, RouteError, SinkAgent, SpawnError, Tally,
};

fn msg(to: AgentId, payload: impl Into<bytes::Bytes>) -> AclMessage {
    AclMessage::new(Performative::Inform, AgentId(0), to, ConversationId(0), payload)
}

fn runtime() -> tokio::runtime::Runtime {
    runtime_with(2)
}

/// Gated agents block a worker thread each; timers need a free worker to fire.
fn runtime_with(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_time().build().unwrap()
}

/// Logs (sender, sequence number) of every message it handles.
struct Recorder(Arc<Mutex<Vec<(u64, u64)>>>);

impl Agent for Recorder {
    fn handle(&mut self, msg: AclMessage, _ctx: &mut Context) {
        let seq = u64::from_le_bytes(msg.payload[..8].try_into().unwrap());
        self.0.lock().unwrap().push((msg.sender.0, seq));
    }
}

#[test]
fn delivery_is_exactly_once_and_in_order_per_sender_receiver_pair() {
    const SENDERS: u64 = 8;
    const RECEIVERS: usize = 4;
    const PER_PAIR: u64 = 2_000;
    let rt = runtime();
    let logs: Vec<_> = (0..RECEIVERS).map(|_| Arc::new(Mutex::new(Vec::new()))).collect();
    rt.block_on(async {
        let orch = Orchestrator::new();
        // A tiny mailbox so senders really contend and wait (backpressure path).
        let ids: Vec<AgentId> = logs
            .iter()
            .map(|log| {
                let log = log.clone();
                orch.spawn(&AgentSpec::new(move || Recorder(log.clone())).mailbox(4, MailboxPolicy::Backpressure))
                    .unwrap()
            })
            .collect();
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let orch = orch.clone();
                let ids = ids.clone();
                tokio::spawn(async move {
                    for seq in 0..PER_PAIR {
                        for &to in &ids {
                            let mut m = msg(to, seq.to_le_bytes().to_vec());
                            m.sender = AgentId(1_000 + s);
                            orch.send(m).await.unwrap();
                        }
                    }
                })
            })
            .collect();
        for s in senders {
            s.await.unwrap();
        }
        let report = orch.shutdown().await;
        assert_eq!(report.stats.handled, SENDERS * PER_PAIR * RECEIVERS as u64);
    });
    for log in &logs {
        let mut per_sender: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for &(sender, seq) in log.lock().unwrap().iter() {
            per_sender.entry(sender).or_default().push(seq);
        }
        assert_eq!(per_sender.len(), SENDERS as usize);
        for seqs in per_sender.values() {
            assert_eq!(*seqs, (0..PER_PAIR).collect::<Vec<_>>(), "each message once, in send order");
        }
    }
}

#[test]
fn unknown_recipient_is_a_typed_error_counted_by_type() {
    runtime().block_on(async {
        let orch = Orchestrator::new();
        let err = orch.send(msg(AgentId(424_242), vec![1])).await.unwrap_err();
        assert_eq!(err, RouteError::UnknownRecipient(AgentId(424_242)));
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(
            orch.send(AclMessage { receivers: vec![], ..msg(AgentId(1), vec![]) }).await,
            Err(RouteError::NoRecipients)
        );
        let stats = orch.stats();
        assert_eq!(stats.unknown_recipient, 2);
        assert_eq!(stats.error_stats().count(ErrorKind::NotFound), 2);
        // The router keeps working.
        let tally = Tally::new();
        let id = orch
            .spawn(&AgentSpec::new({
                let t = tally.clone();
                move || SinkAgent::new(t.clone())
            }))
            .unwrap();
        orch.send(msg(id, vec![1, 2, 3])).await.unwrap();
        tally.wait_for(1).await;
    });
}

/// Blocks in its handler until the gate opens: holds a message "in hand".
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }
}

struct GatedSink {
    gate: Gate,
    tally: Arc<Tally>,
}

impl Agent for GatedSink {
    fn handle(&mut self, msg: AclMessage, _ctx: &mut Context) {
        let (lock, cv) = &*self.gate.0;
        let _open = cv.wait_while(lock.lock().unwrap(), |open| !*open).unwrap();
        self.tally.add(msg.payload.len());
    }
}

fn gated(gate: &Gate, tally: &Arc<Tally>, capacity: usize, policy: MailboxPolicy) -> AgentSpec {
    let (gate, tally) = (gate.clone(), tally.clone());
    AgentSpec::new(move || GatedSink { gate: gate.clone(), tally: tally.clone() }).mailbox(capacity, policy)
}

#[test]
fn reject_policy_refuses_when_capacity_is_unhandled() {
    runtime().block_on(async {
        let orch = Orchestrator::new();
        let (gate, tally) = (Gate::default(), Tally::new());
        let id = orch.spawn(&gated(&gate, &tally, 2, MailboxPolicy::Reject)).unwrap();
        orch.send(msg(id, vec![1])).await.unwrap();
        orch.send(msg(id, vec![2])).await.unwrap();
        let err = orch.send(msg(id, vec![3])).await.unwrap_err();
        assert_eq!(err, RouteError::MailboxFull { id, capacity: 2 });
        assert_eq!(err.kind(), ErrorKind::Rejected);
        assert_eq!(orch.stats().mailbox_full, 1);
        gate.open();
        tally.wait_for(2).await;
        // Slots come back once the batch is handled (just after the handler counted it).
        let mut accepted = false;
        for _ in 0..200 {
            match orch.send(msg(id, vec![4])).await {
                Ok(()) => {
                    accepted = true;
                    break;
                }
                Err(RouteError::MailboxFull { .. }) => tokio::time::sleep(Duration::from_millis(5)).await,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert!(accepted, "slots were never given back");
        tally.wait_for(3).await;
    });
}

#[test]
fn backpressure_policy_makes_the_sender_wait() {
    runtime().block_on(async {
        let orch = Orchestrator::new();
        let (gate, tally) = (Gate::default(), Tally::new());
        let id = orch.spawn(&gated(&gate, &tally, 2, MailboxPolicy::Backpressure)).unwrap();
        orch.send(msg(id, vec![1])).await.unwrap();
        orch.send(msg(id, vec![2])).await.unwrap();
        let third = tokio::spawn({
            let orch = orch.clone();
            async move { orch.send(msg(id, vec![3])).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!third.is_finished(), "the third send must wait while two messages are unhandled");
        gate.open();
        third.await.unwrap().unwrap();
        tally.wait_for(3).await;
        assert_eq!(orch.stats().mailbox_full, 0);
    });
}

/// Panics on the payload "boom", echoes otherwise.
struct Fragile;

impl Agent for Fragile {
    fn handle(&mut self, msg: AclMessage, ctx: &mut Context) {
        assert!(&msg.payload[..] != b"boom", "asked to explode");
        ctx.reply(&msg, Performative::Inform, msg.payload.clone());
    }
}

#[test]
fn a_panicking_agent_answers_failure_and_is_restarted() {
    runtime().block_on(async {
        let orch = Orchestrator::new();
        let fragile = orch.spawn(&AgentSpec::new(|| Fragile)).unwrap();
        let echo = orch.spawn(&AgentSpec::new(|| EchoAgent)).unwrap();
        let client = orch.client();
        let reply = client.request(msg(fragile, &b"boom"[..])).await.unwrap();
        assert_eq!(reply.performative, Performative::Failure);
        assert!(String::from_utf8_lossy(&reply.payload).contains("asked to explode"), "{reply:?}");
        // Restarted: it answers again, and the other agent never noticed.
        let reply = client.request(msg(fragile, &b"hi"[..])).await.unwrap();
        assert_eq!((reply.performative, &reply.payload[..]), (Performative::Inform, &b"hi"[..]));
        assert_eq!(reply.in_reply_to, Some(reply.conversation_id.0), "correlated by conversation id");
        assert_eq!(client.request(msg(echo, &b"x"[..])).await.unwrap().payload, &b"x"[..]);
        assert_eq!(orch.restarts(fragile), Some(1));
        assert_eq!(orch.status(fragile), Some(AgentStatus::Running));
        let stats = orch.stats();
        assert_eq!((stats.panics, stats.restarts), (1, 1));
        assert_eq!(stats.error_stats().count(ErrorKind::Panicked), 1);
    });
}

#[test]
fn an_agent_beyond_its_restart_budget_is_marked_failed() {
    runtime().block_on(async {
        let orch = Orchestrator::new();
        let policy = RestartPolicy { max_restarts: 1, within: Duration::from_secs(60) };
        let id = orch.spawn(&AgentSpec::new(|| Fragile).restart(policy)).unwrap();
        let client = orch.client();
        for _ in 0..2 {
            let r = client.request(msg(id, &b"boom"[..])).await.unwrap();
            assert_eq!(r.performative, Performative::Failure);
        }
        assert_eq!(orch.status(id), Some(AgentStatus::Failed));
        assert_eq!(orch.send(msg(id, &b"hi"[..])).await, Err(RouteError::AgentFailed(id)));
        let stats = orch.stats();
        assert_eq!((stats.panics, stats.restarts, stats.agent_failed), (2, 1, 1));
    });
}

#[test]
fn shutdown_drains_every_mailbox() {
    runtime_with(6).block_on(async {
        let orch = Orchestrator::new();
        let (gate, tally) = (Gate::default(), Tally::new());
        let ids: Vec<_> =
            (0..4).map(|_| orch.spawn(&gated(&gate, &tally, 100, MailboxPolicy::Backpressure)).unwrap()).collect();
        for i in 0..100u8 {
            for &id in &ids {
                orch.send(msg(id, vec![i])).await.unwrap();
            }
        }
        // Every agent is stuck on its first message with 99 more queued.
        let shutdown = tokio::spawn({
            let orch = orch.clone();
            async move { orch.shutdown().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!shutdown.is_finished(), "shutdown waits for queued messages");
        gate.open();
        let report = shutdown.await.unwrap();
        assert_eq!(tally.count(), 400);
        assert_eq!((report.agents, report.stats.handled), (4, 400));
        assert!(report.stats.drained >= 396 - 4, "messages queued at shutdown are counted as drained: {report:?}");
        assert_eq!(orch.spawn(&AgentSpec::new(|| EchoAgent)).unwrap_err(), SpawnError::Shutdown);
        assert_eq!(orch.send(msg(ids[0], vec![])).await, Err(RouteError::UnknownRecipient(ids[0])));
    });
}

#[test]
fn stop_handles_queued_messages_then_unregisters() {
    runtime().block_on(async {
        let orch = Orchestrator::new();
        let (gate, tally) = (Gate::default(), Tally::new());
        let id = orch.spawn(&gated(&gate, &tally, 10, MailboxPolicy::Backpressure).capability("gated")).unwrap();
        for i in 0..10u8 {
            orch.send(msg(id, vec![i])).await.unwrap();
        }
        let stop = tokio::spawn({
            let orch = orch.clone();
            async move { orch.stop(id).await }
        });
        // Unregistered at once, while its queue is still waiting behind the gate.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !orch.find("gated").is_empty() {
            assert!(std::time::Instant::now() < deadline, "stop never unregistered the agent");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(tally.count(), 0, "nothing handled yet: the gate is closed");
        gate.open();
        stop.await.unwrap().unwrap();
        assert_eq!(tally.count(), 10);
        assert_eq!(orch.stop(id).await, Err(RouteError::UnknownRecipient(id)));
        assert_eq!(orch.stats().stopped, 1);
    });
}

#[test]
fn requests_time_out_and_late_replies_are_counted() {
    runtime().block_on(async {
        let orch = Orchestrator::new();
        let tally = Tally::new();
        let silent = orch
            .spawn(&AgentSpec::new({
                let t = tally.clone();
                move || SinkAgent::new(t.clone())
            }))
            .unwrap();
        let client = orch.client();
        let err = client.request_timeout(msg(silent, vec![]), Duration::from_millis(20)).await.unwrap_err();
        assert!(matches!(err, RouteError::Timeout(_)), "{err}");
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert_eq!(orch.stats().timeouts, 1);
    });
}

#[test]
fn multicast_reaches_every_receiver_and_capabilities_rotate() {
    runtime().block_on(async {
        let orch = Orchestrator::new();
        let tally = Tally::new();
        let spec = AgentSpec::new({
            let t = tally.clone();
            move || SinkAgent::new(t.clone())
        })
        .capability("sink");
        let ids: Vec<_> = (0..3).map(|_| orch.spawn(&spec).unwrap()).collect();
        let mut m = msg(ids[0], vec![9; 64]);
        m.receivers = ids.clone();
        orch.send(m).await.unwrap();
        tally.wait_for(3).await;
        let mut picked = BTreeSet::new();
        for _ in 0..3 {
            picked.insert(orch.send_to_capability("sink", msg(AgentId(0), vec![])).await.unwrap());
        }
        assert_eq!(picked, ids.iter().copied().collect(), "round-robin visits every holder");
        assert_eq!(
            orch.send_to_capability("nope", msg(AgentId(0), vec![])).await,
            Err(RouteError::NoCapability("nope".into()))
        );
        assert_eq!(tally.payload_bytes(), 3 * 64);
    });
}

#[derive(Debug, Clone)]
enum Op {
    Spawn(Vec<u8>),
    Stop(usize),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::collection::vec(0u8..6, 0..4).prop_map(Op::Spawn),
            1 => any::<usize>().prop_map(Op::Stop),
        ],
        1..60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn capability_lookup_finds_exactly_the_registered_agents(ops in ops()) {
        let rt = runtime();
        let (model, found) = rt.block_on(async {
            let orch = Orchestrator::new();
            let mut model: BTreeMap<AgentId, BTreeSet<u8>> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Spawn(caps) => {
                        let spec = caps.iter().fold(AgentSpec::new(|| EchoAgent), |s, c| s.capability(format!("cap-{c}")));
                        model.insert(orch.spawn(&spec).unwrap(), caps.into_iter().collect());
                    }
                    Op::Stop(i) if !model.is_empty() => {
                        let id = *model.keys().nth(i % model.len()).unwrap();
                        orch.stop(id).await.unwrap();
                        model.remove(&id);
                    }
                    Op::Stop(_) => {}
                }
            }
            let found: Vec<Vec<AgentId>> = (0..6).map(|c| orch.find(&format!("cap-{c}"))).collect();
            orch.shutdown().await;
            (model, found)
        });
        for (c, got) in found.iter().enumerate() {
            let want: Vec<AgentId> = model.iter().filter(|(_, caps)| caps.contains(&(c as u8))).map(|(id, _)| *id).collect();
            prop_assert_eq!(got, &want, "capability cap-{}", c);
        }
    }
}
