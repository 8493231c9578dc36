//! One open-loop generator worker: issues every `stride`-th request of the schedule on time and
//! records its outcome. Workers share nothing per request; their recorders are merged afterwards.

use std::future::poll_fn;
use std::task::Poll;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::Shared;
use super::clock::{Offset, RunClock};
use super::record::{Done, Recorder, Tag};
use super::schedule::CompiledSchedule;
use super::target::{Request, Target};

/// Requests issued before completed ones are collected again: small enough to keep the in-flight
/// set (and memory) small at millions of requests per second, large enough to amortise polling.
const ISSUE_BATCH: usize = 32;

/// Busy-wait rounds between yields to the runtime while waiting for a sub-millisecond gap.
const YIELD_EVERY: u32 = 16;

pub(super) async fn run_worker<T: Target>(
    target: std::sync::Arc<T>,
    shared: std::sync::Arc<Shared>,
    schedule: std::sync::Arc<CompiledSchedule>,
    clock: RunClock,
    worker: usize,
    stride: u64,
    max_in_flight: usize,
) -> Recorder {
    let target: &T = &target;
    let config = &shared.config;
    let mut r = shared.recorder(worker, None, true);
    let (spin_below, drop_after) =
        (Offset::from_duration(config.spin_below).0, Offset::from_duration(config.drop_after).0);
    let mut in_flight = FuturesUnordered::new();
    let (mut k, mut cursor) = (worker as u64, 0usize);
    let mut next = schedule.arrival(k, &mut cursor);
    let mut spins = 0u32;
    // Start of the current busy-wait, if the worker is in one (for `Recorder::busy_wait_ns`).
    let mut spinning_since: Option<Offset> = None;
    let record = |r: &mut Recorder, d: Done| r.complete(d);

    loop {
        // 1. Issue the requests that are due, in batches so completions are collected promptly.
        let mut batch = 0;
        while let Some(offset) = next {
            if batch == ISSUE_BATCH {
                break;
            }
            let intended = Offset::from_duration(offset);
            let now = clock.now();
            if intended > now {
                break;
            }
            let lag = now.since(intended);
            if let Some(from) = spinning_since.take() {
                r.busy_wait_ns += now.since(from);
            }
            let tag = Tag {
                phase: shared.bounds.of(offset),
                op: shared.mix.as_ref().map_or(0, |m| m.op_for(k)),
                group: schedule.phase_of_cursor(cursor),
            };
            if lag > drop_after {
                // Too late to be meaningful: counted, never silently skipped.
                r.drop_request(tag, now);
            } else if in_flight.len() >= max_in_flight {
                break;
            } else {
                r.sent(tag, Some(lag));
                batch += 1;
                let req = Request { seq: k, intended: offset, op: tag.op };
                let timeout = config.timeout;
                // Every request of this worker is polled inside this one task, so they would
                // share its cooperative-scheduling budget (128 operations per poll): once a
                // backlog forms, most polls find the budget spent, return Pending and re-wake
                // themselves, and the worker spins through its in-flight set making almost no
                // progress — completions fell from ~200 k/s to ~5–8 k/s and never recovered.
                // The generator task itself still yields at every await of its own loop.
                in_flight.push(tokio::task::unconstrained(async move {
                    let outcome = super::call_caught(target, req, timeout).await;
                    Done { intended, sent: now, done: clock.now(), outcome, tag }
                }));
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
        let due = Offset::from_duration(offset);
        if in_flight.len() >= max_in_flight {
            // Blocked by the in-flight cap: wait for a slot, or until the request is overdue.
            tokio::select! {
                Some(d) = in_flight.next() => record(&mut r, d),
                _ = clock.sleep_until(due.plus(config.drop_after + Duration::from_nanos(1))) => {}
            }
            continue;
        }
        let now = clock.now();
        let gap = due.since(now);
        if gap == 0 {
            continue;
        }
        if gap <= spin_below {
            // Sub-millisecond gaps are below tokio's timer resolution: busy-wait, yielding to
            // the runtime every few rounds so tasks queued on this thread still run. Time spent
            // in those tasks is not busy-waiting: a yield closes the current spell.
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(YIELD_EVERY) {
                if let Some(from) = spinning_since.take() {
                    r.busy_wait_ns += now.since(from);
                }
                tokio::task::yield_now().await;
            } else {
                spinning_since.get_or_insert(now);
                std::hint::spin_loop();
            }
        } else {
            if let Some(from) = spinning_since.take() {
                r.busy_wait_ns += now.since(from);
            }
            let wake = Offset(due.0 - spin_below);
            if in_flight.is_empty() {
                clock.sleep_until(wake).await;
            } else {
                tokio::select! {
                    biased;
                    Some(d) = in_flight.next() => record(&mut r, d),
                    _ = clock.sleep_until(wake) => {}
                }
            }
        }
    }

    // 4. Drain what is still in flight, up to the drain deadline.
    let deadline = tokio::time::Instant::now() + config.drain_timeout;
    loop {
        tokio::select! {
            d = in_flight.next() => match d {
                Some(d) => record(&mut r, d),
                None => break,
            },
            _ = tokio::time::sleep_until(deadline) => {
                // Issued but never answered: counted as timeouts.
                r.time_out_in_flight(clock.now());
                break;
            }
        }
    }
    r.finish(clock.now());
    r
}
