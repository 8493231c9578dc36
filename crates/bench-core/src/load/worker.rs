//! One generator worker: issues every `stride`-th request of the schedule on time and records
//! its outcome. Workers share nothing while running; their recorders are merged afterwards.

use std::future::poll_fn;
use std::panic::AssertUnwindSafe;
use std::task::Poll;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::time::Instant;

use super::LoadConfig;
use super::schedule::CompiledSchedule;
use super::target::{Outcome, Request, Target};
use crate::latency::LatencyRecorder;
use crate::metrics::{ErrorKind, ErrorStats};

/// What a worker measured.
#[derive(Debug, Default)]
pub(super) struct WorkerResult {
    pub latency: LatencyRecorder,
    pub service: LatencyRecorder,
    pub lag: LatencyRecorder,
    pub errors: ErrorStats,
    pub issued: u64,
    pub in_flight_peak: usize,
    /// Successful completions per whole second since the start.
    pub per_second: Vec<u64>,
    /// Wall time at which this worker finished, from the run start.
    pub finished: Duration,
}

/// Requests issued before completed ones are collected again: small enough to keep the in-flight
/// set (and memory) small at millions of requests per second, large enough to amortise polling.
const ISSUE_BATCH: usize = 32;

/// Busy-wait rounds between yields to the runtime while waiting for a sub-millisecond gap.
const YIELD_EVERY: u32 = 16;

struct Done {
    intended: Instant,
    sent: Instant,
    done: Instant,
    outcome: Outcome,
}

pub(super) async fn run_worker<T: Target>(
    target: std::sync::Arc<T>,
    schedule: std::sync::Arc<CompiledSchedule>,
    config: LoadConfig,
    start: Instant,
    first: u64,
    stride: u64,
    max_in_flight: usize,
) -> WorkerResult {
    let target: &T = &target;
    let mut r = WorkerResult::default();
    let mut in_flight = FuturesUnordered::new();
    let (mut k, mut cursor) = (first, 0usize);
    let mut next = schedule.arrival(k, &mut cursor);
    let mut spins = 0u32;

    let record = |r: &mut WorkerResult, d: Done| {
        let since = |a: Instant, b: Instant| b.saturating_duration_since(a);
        // Latency counts from the intended start: queueing behind a stall is included.
        r.latency.record(since(d.intended, d.done));
        r.service.record(since(d.sent, d.done));
        if d.outcome.is_ok() {
            let sec = since(start, d.done).as_secs() as usize;
            if r.per_second.len() <= sec {
                r.per_second.resize(sec + 1, 0);
            }
            r.per_second[sec] += 1;
        }
        r.errors.record(d.outcome);
    };

    loop {
        // 1. Issue the requests that are due, in batches so completions are collected promptly.
        let mut batch = 0;
        while let Some(offset) = next {
            if batch == ISSUE_BATCH {
                break;
            }
            let intended = start + offset;
            let now = Instant::now();
            if intended > now {
                break;
            }
            let lag = now - intended;
            if lag > config.drop_after {
                // Too late to be meaningful: counted, never silently skipped.
                r.errors.record(Err(ErrorKind::Dropped));
            } else if in_flight.len() >= max_in_flight {
                break;
            } else {
                r.lag.record(lag);
                r.issued += 1;
                batch += 1;
                let req = Request { seq: k, intended: offset };
                let timeout = config.timeout;
                in_flight.push(async move {
                    let call = AssertUnwindSafe(target.call(req)).catch_unwind();
                    let outcome = match timeout {
                        Some(t) => match tokio::time::timeout(t, call).await {
                            Ok(Ok(o)) => o,
                            Ok(Err(_panic)) => Err(ErrorKind::Panicked),
                            Err(_elapsed) => Err(ErrorKind::Timeout),
                        },
                        None => call.await.unwrap_or(Err(ErrorKind::Panicked)),
                    };
                    Done { intended, sent: now, done: Instant::now(), outcome }
                });
                r.in_flight_peak = r.in_flight_peak.max(in_flight.len());
            }
            k += stride;
            next = schedule.arrival(k, &mut cursor);
        }

        // 2. Collect whatever has completed, without waiting.
        poll_fn(|cx| {
            while let Poll::Ready(Some(d)) = in_flight.poll_next_unpin(cx) {
                record(&mut r, d);
            }
            Poll::Ready(())
        })
        .await;

        // 3. Wait for the next due time, a completion, or the end.
        let Some(offset) = next else { break };
        let due = start + offset;
        if in_flight.len() >= max_in_flight {
            // Blocked by the in-flight cap: wait for a slot, or until the request is overdue.
            tokio::select! {
                Some(d) = in_flight.next() => record(&mut r, d),
                _ = tokio::time::sleep_until(due + config.drop_after + Duration::from_nanos(1)) => {}
            }
            continue;
        }
        let now = Instant::now();
        let gap = due.saturating_duration_since(now);
        if gap.is_zero() {
            continue;
        }
        if gap <= config.spin_below {
            // Sub-millisecond gaps are below tokio's timer resolution: busy-wait, yielding to
            // the runtime every few rounds so tasks queued on this thread still run.
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(YIELD_EVERY) {
                tokio::task::yield_now().await;
            } else {
                std::hint::spin_loop();
            }
        } else {
            let wake = due - config.spin_below;
            if in_flight.is_empty() {
                tokio::time::sleep_until(wake).await;
            } else {
                tokio::select! {
                    biased;
                    Some(d) = in_flight.next() => record(&mut r, d),
                    _ = tokio::time::sleep_until(wake) => {}
                }
            }
        }
    }

    // 4. Drain what is still in flight, up to the drain deadline.
    let deadline = Instant::now() + config.drain_timeout;
    loop {
        tokio::select! {
            d = in_flight.next() => match d {
                Some(d) => record(&mut r, d),
                None => break,
            },
            _ = tokio::time::sleep_until(deadline) => {
                // Issued but never answered: counted as timeouts.
                r.errors.add_failures(ErrorKind::Timeout, in_flight.len() as u64);
                break;
            }
        }
    }
    r.finished = Instant::now().saturating_duration_since(start);
    r
}
