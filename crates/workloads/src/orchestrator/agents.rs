//! The agents the suites run: a sink that counts what it handles, an echo that answers every
//! request, and a worker that burns a configurable amount of CPU per task.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::sync::Notify;

use super::agent::{Agent, Context};
use super::message::{AclMessage, Performative};

/// Counts messages handled by one or more sinks and lets a waiter block until a count is
/// reached; how a throughput run knows every message was really delivered and handled.
#[derive(Debug, Default)]
pub struct Tally {
    count: AtomicU64,
    payload_bytes: AtomicU64,
    target: AtomicU64,
    reached: Notify,
}

impl Tally {
    /// A tally at zero.
    pub fn new() -> Arc<Self> {
        Arc::new(Tally::default())
    }

    /// Counts one handled message carrying `payload_len` bytes.
    pub fn add(&self, payload_len: usize) {
        self.payload_bytes.fetch_add(payload_len as u64, Ordering::Relaxed);
        // SeqCst on both sides: each side stores one variable then loads the other (Dekker's
        // pattern), which acquire/release alone lets the CPU reorder into a lost wake-up.
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        // Counts rise by one, so exactly one `add` sees the target.
        if n == self.target.load(Ordering::SeqCst) {
            self.reached.notify_one();
        }
    }

    /// Messages counted so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Payload bytes counted so far.
    pub fn payload_bytes(&self) -> u64 {
        self.payload_bytes.load(Ordering::Relaxed)
    }

    /// Waits until at least `n` messages were counted.
    pub async fn wait_for(&self, n: u64) {
        loop {
            let notified = self.reached.notified();
            self.target.store(n, Ordering::SeqCst);
            if self.count() >= n {
                return;
            }
            // A stale permit from an earlier target only causes one more check.
            notified.await;
        }
    }
}

/// Handles a message by reading its payload and counting it.
pub struct SinkAgent {
    tally: Arc<Tally>,
    checksum: u64,
}

impl SinkAgent {
    /// A sink counting into `tally`.
    pub fn new(tally: Arc<Tally>) -> Self {
        SinkAgent { tally, checksum: 0 }
    }
}

impl SinkAgent {
    /// The sink's handling of one message, callable without an orchestrator (the raw-channel
    /// reference does exactly this work per message).
    pub fn consume(&mut self, msg: &AclMessage) {
        // Touch the content as a consumer would (first and last byte), without making a 32 KiB
        // payload's handling a memory-bandwidth benchmark.
        let p = &msg.payload;
        self.checksum = self.checksum.wrapping_add(p.first().copied().unwrap_or(0) as u64 + p.len() as u64);
        self.checksum ^= p.last().copied().unwrap_or(0) as u64;
        std::hint::black_box(self.checksum);
        self.tally.add(p.len());
    }
}

impl Agent for SinkAgent {
    fn handle(&mut self, msg: AclMessage, _ctx: &mut Context) {
        self.consume(&msg);
    }
}

/// Answers every message that expects a reply with `inform` carrying the same payload.
#[derive(Debug, Default)]
pub struct EchoAgent;

impl Agent for EchoAgent {
    fn handle(&mut self, msg: AclMessage, ctx: &mut Context) {
        if msg.reply_with.is_some() {
            let payload = msg.payload.clone();
            ctx.reply(&msg, Performative::Inform, payload);
        }
    }
}

/// A task of known CPU cost: `iterations` rounds of SplitMix64 seeded from the payload.
/// Pure, so tests and benches know the answer: [`work`].
#[derive(Debug, Clone, Copy)]
pub struct WorkerAgent {
    /// Rounds per task (≈ 1 ns each on the 2-core reference machine).
    pub iterations: u32,
}

/// The result a [`WorkerAgent`] computes for `seed`.
pub fn work(seed: u64, iterations: u32) -> u64 {
    let mut x = seed;
    let mut acc = 0u64;
    for _ in 0..iterations {
        // SplitMix64 (Steele, Lea & Flood 2014): a dependent chain the compiler cannot skip.
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        acc ^= z ^ (z >> 31);
    }
    acc
}

/// The seed a worker reads from a task payload: its first 8 bytes, little-endian, zero-padded.
pub fn seed_of(payload: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = payload.len().min(8);
    b[..n].copy_from_slice(&payload[..n]);
    u64::from_le_bytes(b)
}

impl Agent for WorkerAgent {
    fn handle(&mut self, msg: AclMessage, ctx: &mut Context) {
        let result = work(seed_of(&msg.payload), self.iterations);
        if msg.reply_with.is_some() {
            ctx.reply(&msg, Performative::Inform, Bytes::copy_from_slice(&result.to_le_bytes()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_is_deterministic_and_depends_on_every_round() {
        assert_eq!(work(1, 100), work(1, 100));
        assert_ne!(work(1, 100), work(1, 101));
        assert_ne!(work(1, 100), work(2, 100));
        assert_eq!(work(7, 0), 0);
    }

    #[test]
    fn seed_pads_short_payloads() {
        assert_eq!(seed_of(&[1]), 1);
        assert_eq!(seed_of(&[]), 0);
        assert_eq!(seed_of(&42u64.to_le_bytes()), 42);
        assert_eq!(seed_of(&[1, 0, 0, 0, 0, 0, 0, 0, 9]), 1);
    }

    #[tokio::test]
    async fn tally_wakes_the_waiter_at_the_target() {
        let t = Tally::new();
        let waiter = tokio::spawn({
            let t = t.clone();
            async move { t.wait_for(3).await }
        });
        for _ in 0..3 {
            tokio::task::yield_now().await;
            t.add(10);
        }
        waiter.await.unwrap();
        assert_eq!((t.count(), t.payload_bytes()), (3, 30));
        // An already reached target returns at once.
        t.wait_for(2).await;
    }
}
