//! Routing shapes and what routes them: the system under test, or raw `tokio::sync::mpsc`
//! channels doing the same sink work with no lookup, registry or mailbox policy: the physical
//! limit the orchestrator's throughput is reported against.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::orchestrator::{AclMessage, AgentId, AgentSystem, Role, SinkAgent, Tally};
use crate::suite::message;

/// Who sends to whom in one measured iteration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    /// Concurrent sender tasks; the messages are split evenly among them.
    pub(crate) senders: usize,
    /// Receiving sinks.
    pub(crate) receivers: usize,
    /// Every message lists all receivers (1→N); otherwise messages rotate over them.
    pub(crate) multicast: bool,
    /// Messages sent per iteration, over all senders.
    pub(crate) messages: usize,
    /// Payload bytes per message.
    pub(crate) payload: usize,
}

impl Shape {
    /// Messages handled per iteration (each multicast message counts once per receiver).
    pub(crate) fn deliveries(&self) -> u64 {
        if self.multicast { (self.messages * self.receivers) as u64 } else { self.messages as u64 }
    }
}

/// Something that moves a message to its receivers' sinks.
pub(crate) trait Route: Send + Sync + 'static {
    fn route(&self, msg: AclMessage) -> impl Future<Output = ()> + Send;
}

/// The system under test with its sinks.
pub(crate) struct SystemRoute<S>(pub(crate) Arc<S>);

impl<S: AgentSystem> Route for SystemRoute<S> {
    async fn route(&self, msg: AclMessage) {
        if let Err(e) = self.0.send(msg).await {
            panic!("the system under test failed to route a benchmark message: {e}");
        }
    }
}

/// Spawns `n` sinks counting into `tally`.
pub(crate) fn spawn_sinks<S: AgentSystem>(sys: &S, n: usize, tally: &Arc<Tally>) -> Vec<AgentId> {
    (0..n)
        .map(|_| sys.spawn(Role::Sink(tally.clone()), &["sink"]).unwrap_or_else(|e| panic!("spawning a sink: {e}")))
        .collect()
}

/// One bounded `tokio::sync::mpsc` channel per receiver, drained by a task doing a sink's work.
/// Receivers are addressed by index: `AgentId(i)` is channel `i`.
pub(crate) struct RawMpsc {
    txs: Vec<mpsc::Sender<AclMessage>>,
}

impl RawMpsc {
    /// Must be called inside the runtime.
    pub(crate) fn start(receivers: usize, capacity: usize, tally: &Arc<Tally>) -> Self {
        let txs = (0..receivers)
            .map(|_| {
                let (tx, mut rx) = mpsc::channel::<AclMessage>(capacity);
                let mut sink = SinkAgent::new(tally.clone());
                tokio::spawn(async move {
                    while let Some(m) = rx.recv().await {
                        sink.consume(&m);
                    }
                });
                tx
            })
            .collect();
        RawMpsc { txs }
    }

    pub(crate) fn ids(&self) -> Vec<AgentId> {
        (0..self.txs.len() as u64).map(AgentId).collect()
    }
}

impl Route for RawMpsc {
    async fn route(&self, msg: AclMessage) {
        let n = msg.receivers.len();
        // Copies for all but the last receiver, which takes the message itself, as the router does.
        for i in 0..n.saturating_sub(1) {
            let to = msg.receivers[i].0 as usize;
            self.txs[to].send(msg.clone()).await.expect("reference receiver task ended");
        }
        if let Some(last) = msg.receivers.last() {
            let to = last.0 as usize;
            self.txs[to].send(msg).await.expect("reference receiver task ended");
        }
    }
}

/// Messages for one iteration, per sender (built before the clock starts).
pub(crate) fn build(shape: Shape, receivers: &[AgentId], payload: &Bytes) -> Vec<Vec<AclMessage>> {
    let per_sender = shape.messages / shape.senders;
    (0..shape.senders)
        .map(|s| {
            (0..per_sender)
                .map(|j| {
                    let mut m = message(receivers[j % receivers.len()], payload);
                    m.sender = AgentId(1_000_000 + s as u64);
                    if shape.multicast {
                        m.receivers = receivers.to_vec();
                    }
                    m
                })
                .collect()
        })
        .collect()
}

/// Runs `iters` iterations of `shape` through `route` and returns the time they took, each
/// iteration timed from the first send until the sinks handled every delivery.
pub(crate) async fn route_iterations<R: Route>(
    route: Arc<R>,
    shape: Shape,
    receivers: Arc<[AgentId]>,
    tally: Arc<Tally>,
    iters: u64,
) -> Duration {
    let payload = crate::suite::payload(shape.payload);
    let mut total = Duration::ZERO;
    let mut expected = tally.count();
    for _ in 0..iters {
        let batches = build(shape, &receivers, &payload);
        expected += shape.deliveries();
        let start = Instant::now();
        deliver_built(&route, batches, &tally, expected).await;
        total += start.elapsed();
    }
    total
}

/// Sends prebuilt per-sender batches (concurrently when there are several senders) and waits
/// until the tally reaches `expected`.
pub(crate) async fn deliver_built<R: Route>(
    route: &Arc<R>,
    batches: Vec<Vec<AclMessage>>,
    tally: &Tally,
    expected: u64,
) {
    if batches.len() == 1 {
        for m in batches.into_iter().flatten() {
            route.route(m).await;
        }
    } else {
        let tasks: Vec<_> = batches
            .into_iter()
            .map(|batch| {
                let route = route.clone();
                tokio::spawn(async move {
                    for m in batch {
                        route.route(m).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("sender task panicked");
        }
    }
    tally.wait_for(expected).await;
}
