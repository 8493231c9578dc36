//! Closed-loop load, for comparison with the open loop: `workers` virtual users each send a
//! request, wait for its answer, optionally think, and send the next.
//!
//! This is how most load tools (and criterion's iteration loop) measure, and it under-reports
//! stalls: while one request is stuck, its worker sends nothing, so the requests a real
//! client population would have sent meanwhile — and their waits — never exist ("coordinated
//! omission"). The report's `latency` here is that naive view, from actual send to completion.
//!
//! With an intended interval between one worker's sends — `expected_interval`, or `pacing`,
//! which also enforces it — the report carries the **corrected** view: HdrHistogram's
//! `record_correct` back-fills the samples the worker would have taken while it waited for a
//! slow answer, with that interval as the expected one. It is an estimate of what an open loop
//! would have seen and is always labelled "(corrected)". A paced worker that falls behind sends
//! the next request at once and skips the missed slots (counted in
//! [`LoadReport::skipped_sends`](super::LoadReport::skipped_sends)); it never bursts to catch up,
//! which is what the correction assumes. Pacing gaps shorter than `spin_below` are waited by
//! yielding (tokio's timer wakes on whole milliseconds); longer ones on the timer.
//!
//! On tokio's paused clock a closed loop needs a target that takes time, or think time or
//! pacing: otherwise simulated time never advances.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::clock::{Offset, RunClock};
use super::record::{Done, Phase, Recorder, Tag};
use super::target::{Request, Target};
use super::{LoadError, Shared};

/// A closed-loop run: how many workers, for how long, how they pace themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosedLoop {
    /// Virtual users, each with one request outstanding at most.
    pub workers: usize,
    /// No request is sent after this much time from the start.
    pub duration: Duration,
    /// Pause between an answer and the worker's next request.
    #[serde(default)]
    pub think_time: Duration,
    /// Interval a worker keeps between its sends (waiting when early, skipping slots when
    /// late); enables the corrected latency view.
    #[serde(default)]
    pub pacing: Option<Duration>,
    /// The intended interval between one worker's sends for the corrected view, without
    /// enforcing it (workers still send back to back); defaults to `pacing`.
    #[serde(default)]
    pub expected_interval: Option<Duration>,
    /// Stop after this many requests in all (split evenly over the workers), if sooner.
    #[serde(default)]
    pub max_requests: Option<u64>,
}

impl ClosedLoop {
    /// `workers` users sending back to back for `duration`.
    pub fn new(workers: usize, duration: Duration) -> Self {
        ClosedLoop {
            workers,
            duration,
            think_time: Duration::ZERO,
            pacing: None,
            expected_interval: None,
            max_requests: None,
        }
    }

    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<(), LoadError> {
        let bad = |field: &'static str, value: String, problem: &str| {
            Err(LoadError::Config { field, value, problem: problem.to_owned() })
        };
        if self.workers == 0 {
            return bad("closed.workers", "0".into(), "at least one worker is needed (e.g. 1, 10, 100)");
        }
        if self.duration.is_zero() {
            return bad("closed.duration", "0s".into(), "must be longer than zero (e.g. 10s)");
        }
        if let Some(p) = self.pacing
            && p.is_zero()
        {
            return bad(
                "closed.pacing",
                "0s".into(),
                "must be longer than zero; leave it unset to send back to back (no corrected view)",
            );
        }
        if self.expected_interval.is_some_and(|e| e.is_zero()) {
            return bad(
                "closed.expected_interval",
                "0s".into(),
                "must be longer than zero; leave it unset for no corrected view",
            );
        }
        if self.max_requests == Some(0) {
            return bad("closed.max_requests", "0".into(), "must be at least 1; leave it unset for no limit");
        }
        Ok(())
    }
}

/// Most recorders a closed loop keeps: workers beyond this many share them (a recorder holds
/// several 256 KiB histograms; 500 workers with one each would take a gigabyte).
pub(super) const MAX_SHARDS: usize = 16;

/// A recorder shared by the workers `w` with `w % shards` equal; locked only around the
/// synchronous recording calls, never across an await.
pub(super) type Shard = Arc<Mutex<Recorder>>;

pub(super) fn lock(shard: &Shard) -> MutexGuard<'_, Recorder> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A worker's request in flight, as one atomic word (0 = none): set before the call, cleared
/// after it is recorded, read by `run_closed` for workers it had to cancel. Only the worker
/// writes its slot, so the recording itself takes one uncontended lock per request.
pub(super) fn encode(tag: Tag) -> u64 {
    let phase = match tag.phase {
        Phase::Warmup => 0,
        Phase::Measured => 1,
        Phase::Cooldown => 2,
    };
    1 << 63 | phase << 32 | tag.op as u64
}

/// The tag of [`encode`]; `None` for an empty slot.
pub(super) fn decode(word: u64) -> Option<Tag> {
    if word >> 63 == 0 {
        return None;
    }
    let phase = match (word >> 32) & 0b11 {
        0 => Phase::Warmup,
        1 => Phase::Measured,
        _ => Phase::Cooldown,
    };
    Some(Tag { phase, op: (word & 0xFFFF_FFFF) as usize, group: None })
}

/// One closed-loop worker, recording into `shard`.
pub(super) async fn run_worker<T: Target>(
    target: Arc<T>,
    shared: Arc<Shared>,
    closed: Arc<ClosedLoop>,
    clock: RunClock,
    worker: usize,
    shard: Shard,
    in_flight: Arc<[AtomicU64]>,
) {
    let slot_word = &in_flight[worker];
    let target: &T = &target;
    let config = &shared.config;
    let spin_below = Offset::from_duration(config.spin_below).0;
    let mut spins = 0u32;
    let end = Offset::from_duration(closed.duration);
    let n = closed.workers as u64;
    let waits = closed.pacing.is_some() || !closed.think_time.is_zero();
    let quota = closed.max_requests.map(|m| m / n + u64::from((worker as u64) < m % n));
    let mut slot = Offset(0);
    let mut j = 0u64;
    loop {
        if slot >= end || quota.is_some_and(|q| j >= q) {
            break;
        }
        if waits {
            let gap = slot.since(clock.now());
            if gap > spin_below {
                clock.sleep_until(slot).await;
            } else if gap > 0 {
                // Below the timer's resolution: yield until the slot, so other tasks still run.
                while clock.now() < slot {
                    spins = spins.wrapping_add(1);
                    if spins.is_multiple_of(16) {
                        tokio::task::yield_now().await;
                    } else {
                        std::hint::spin_loop();
                    }
                }
            }
        }
        let sent = clock.now();
        let seq = j * n + worker as u64;
        let op = shared.mix.as_ref().map_or(0, |m| m.op_for(seq));
        let sent_at = sent.as_duration();
        let tag = Tag { phase: shared.bounds.of(sent_at), op, group: None };
        slot_word.store(encode(tag), Ordering::Relaxed);
        let intended = if waits { slot.as_duration() } else { sent_at };
        let req = Request { seq, intended, op };
        // No timer per request: a request still unanswered at the drain deadline is cancelled
        // with its worker by `run_closed` and counted as a timeout there.
        let outcome = super::call_caught(target, req, config.timeout).await;
        let done = clock.now();
        {
            let mut r = lock(&shard);
            // Lag (actual − intended send) means something only when the worker waits.
            r.sent(tag, waits.then(|| sent.since(slot)));
            // The naive closed-loop view: latency from the actual send.
            r.complete(Done { intended: sent, sent, done, outcome, tag });
        }
        slot_word.store(0, Ordering::Relaxed);
        j += 1;
        let ready = done.plus(closed.think_time);
        slot = match closed.pacing {
            Some(p) if slot.plus(p) < ready => {
                // Late: the slots before `ready` are skipped, the next request goes at once.
                let behind = ready.since(slot);
                lock(&shard).skipped += behind.div_ceil(Offset::from_duration(p).0) - 1;
                ready
            }
            Some(p) => slot.plus(p),
            None => ready,
        };
        // A target that answers at once must not starve the runtime's other tasks (checked every
        // 16 requests: each check can make the task yield, which costs a wake-up).
        if j.is_multiple_of(16) {
            tokio::task::coop::consume_budget().await;
        }
    }
}
