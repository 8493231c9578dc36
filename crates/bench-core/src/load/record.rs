//! What one generator worker records, shared by the open- and closed-loop workers.
//!
//! Each request is classified by its intended start (closed loop: its send time) into warm-up,
//! measured or cool-down. Only measured requests enter the histograms and counters of the report;
//! warm-up and cool-down outcomes are tallied apart ([`ExcludedStats`]) so nothing sent is hidden.
//! Every outcome, whatever its phase, also enters the timeline interval of its completion time.
//! All of it is plain `&mut` state owned by the worker: no lock or atomic per request.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::clock::Offset;
use super::intervals::{IntervalWriter, TimelineAgg};
use super::target::Outcome;
use crate::latency::LatencyRecorder;
use crate::metrics::{ErrorKind, ErrorStats};

/// Outcomes of requests that were sent but excluded from the figures, by phase.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedStats {
    /// Requests intended during the warm-up.
    pub warmup: ErrorStats,
    /// Requests intended during the cool-down.
    pub cooldown: ErrorStats,
}

impl ExcludedStats {
    /// Adds another tally.
    pub fn merge(&mut self, other: &ExcludedStats) {
        self.warmup.merge(&other.warmup);
        self.cooldown.merge(&other.cooldown);
    }
}

/// Which part of the run a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Warmup,
    Measured,
    Cooldown,
}

/// Offsets from the run start where the measured phase begins and ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct PhaseBounds {
    pub warmup_end: Duration,
    pub cooldown_start: Duration,
}

impl PhaseBounds {
    #[inline]
    pub(super) fn of(&self, offset: Duration) -> Phase {
        if offset < self.warmup_end {
            Phase::Warmup
        } else if offset >= self.cooldown_start {
            Phase::Cooldown
        } else {
            Phase::Measured
        }
    }
}

/// Latency and outcomes of one slice of the measured requests (an operation or a phase).
#[derive(Debug, Clone, Default)]
pub(super) struct SliceStats {
    pub latency: LatencyRecorder,
    pub errors: ErrorStats,
    /// Requests of this slice in flight now (for timeouts at the drain deadline).
    in_flight: u64,
}

impl SliceStats {
    pub(super) fn merge(&mut self, other: &SliceStats) {
        self.latency.merge(&other.latency);
        self.errors.merge(&other.errors);
    }
}

/// Who a request is, for recording.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tag {
    pub phase: Phase,
    pub op: usize,
    /// Index into the schedule's [`phases`](super::CompiledSchedule::phases), if it has them.
    pub group: Option<usize>,
}

/// One answered request (times from the run start on the run's clock).
pub(super) struct Done {
    pub intended: Offset,
    pub sent: Offset,
    pub done: Offset,
    pub outcome: Outcome,
    pub tag: Tag,
}

/// One worker's measurements.
#[derive(Debug)]
pub(super) struct Recorder {
    pub latency: LatencyRecorder,
    pub service: LatencyRecorder,
    pub lag: LatencyRecorder,
    /// Closed loop with pacing: the corrected view and its expected interval.
    pub corrected: Option<(LatencyRecorder, Duration)>,
    pub errors: ErrorStats,
    /// Per operation; empty without a mix.
    pub ops: Vec<SliceStats>,
    /// Per schedule phase (steps, bursts/base); empty for other schedules.
    pub phases: Vec<SliceStats>,
    pub excluded: ExcludedStats,
    /// Successful measured completions per whole second since the start.
    pub per_second: Vec<u64>,
    pub issued: u64,
    pub dropped: u64,
    pub unfinished: u64,
    pub in_flight_peak: usize,
    /// Latest completion of a measured request, from the start.
    pub last_measured_done: Duration,
    pub finished: Duration,
    /// Closed loop: pacing slots skipped because a response came back late.
    pub skipped: u64,
    /// Open loop: time spent busy-waiting for sub-`spin_below` send times (spells from a wait
    /// check to the send or to the next yield to the runtime, whose tasks are not counted).
    pub busy_wait_ns: u64,
    in_flight_measured: u64,
    in_flight_excluded: [u64; 2],
    intervals: IntervalWriter,
    /// Off in a closed loop, where service time is the latency (filled in at the merge).
    track_service: bool,
}

impl Recorder {
    pub(super) fn new(
        worker: usize,
        ops: usize,
        phases: usize,
        agg: Arc<Mutex<TimelineAgg>>,
        pacing: Option<Duration>,
        track_service: bool,
    ) -> Self {
        Recorder {
            latency: LatencyRecorder::new(),
            service: LatencyRecorder::new(),
            lag: LatencyRecorder::new(),
            corrected: pacing.map(|p| (LatencyRecorder::new(), p)),
            errors: ErrorStats::default(),
            ops: vec![SliceStats::default(); ops],
            phases: vec![SliceStats::default(); phases],
            excluded: ExcludedStats::default(),
            per_second: Vec::new(),
            issued: 0,
            dropped: 0,
            unfinished: 0,
            in_flight_peak: 0,
            last_measured_done: Duration::ZERO,
            finished: Duration::ZERO,
            skipped: 0,
            busy_wait_ns: 0,
            in_flight_measured: 0,
            in_flight_excluded: [0; 2],
            intervals: IntervalWriter::new(agg, worker),
            track_service,
        }
    }

    /// A request was sent `lag` ns after its intended start (`None`: not tracked).
    #[inline]
    pub(super) fn sent(&mut self, tag: Tag, lag: Option<u64>) {
        self.issued += 1;
        match tag.phase {
            Phase::Measured => {
                if let Some(lag) = lag {
                    self.lag.record_ns(lag);
                }
                self.in_flight_measured += 1;
                if let Some(s) = self.ops.get_mut(tag.op) {
                    s.in_flight += 1;
                }
                if let Some(s) = tag.group.and_then(|g| self.phases.get_mut(g)) {
                    s.in_flight += 1;
                }
            }
            Phase::Warmup => self.in_flight_excluded[0] += 1,
            Phase::Cooldown => self.in_flight_excluded[1] += 1,
        }
    }

    /// A sent request was answered (successfully or not).
    #[inline]
    pub(super) fn complete(&mut self, d: Done) {
        let latency = d.done.since(d.intended);
        let slot = self.intervals.at(d.done);
        if d.outcome.is_ok() {
            slot.completed += 1;
        } else {
            slot.errors += 1;
        }
        slot.latency.record_ns(latency);
        match d.tag.phase {
            Phase::Measured => {
                self.in_flight_measured -= 1;
                // Latency counts from the intended start: queueing behind a stall is included.
                // With a mix, the run's histogram is the sum of the operations' (at the merge),
                // so each request is recorded once here, not twice.
                if d.tag.op >= self.ops.len() {
                    self.latency.record_ns(latency);
                }
                if self.track_service {
                    self.service.record_ns(d.done.since(d.sent));
                }
                if let Some((c, interval)) = &mut self.corrected {
                    // Closed loop only, where the latency is measured from the actual send.
                    c.record_correct(Duration::from_nanos(latency), *interval);
                }
                self.errors.record(d.outcome);
                if let Some(s) = self.ops.get_mut(d.tag.op) {
                    s.in_flight -= 1;
                    s.latency.record_ns(latency);
                    s.errors.record(d.outcome);
                }
                if let Some(s) = d.tag.group.and_then(|g| self.phases.get_mut(g)) {
                    s.in_flight -= 1;
                    s.latency.record_ns(latency);
                    s.errors.record(d.outcome);
                }
                let since = d.done.as_duration();
                self.last_measured_done = self.last_measured_done.max(since);
                if d.outcome.is_ok() {
                    let sec = (d.done.0 / 1_000_000_000) as usize;
                    if self.per_second.len() <= sec {
                        self.per_second.resize(sec + 1, 0);
                    }
                    self.per_second[sec] += 1;
                }
            }
            Phase::Warmup => {
                self.in_flight_excluded[0] -= 1;
                self.excluded.warmup.record(d.outcome);
            }
            Phase::Cooldown => {
                self.in_flight_excluded[1] -= 1;
                self.excluded.cooldown.record(d.outcome);
            }
        }
    }

    /// A request could not be sent within `drop_after` of its intended start.
    pub(super) fn drop_request(&mut self, tag: Tag, now: Offset) {
        self.dropped += 1;
        self.intervals.at(now).dropped += 1;
        let e = Err(ErrorKind::Dropped);
        match tag.phase {
            Phase::Measured => {
                self.errors.record(e);
                if let Some(s) = self.ops.get_mut(tag.op) {
                    s.errors.record(e);
                }
                if let Some(s) = tag.group.and_then(|g| self.phases.get_mut(g)) {
                    s.errors.record(e);
                }
            }
            Phase::Warmup => self.excluded.warmup.record(e),
            Phase::Cooldown => self.excluded.cooldown.record(e),
        }
    }

    /// The drain deadline passed: whatever is still in flight is counted as a timeout.
    pub(super) fn time_out_in_flight(&mut self, now: Offset) {
        let t = ErrorKind::Timeout;
        let all = self.in_flight_measured + self.in_flight_excluded[0] + self.in_flight_excluded[1];
        self.unfinished += all;
        self.intervals.at(now).errors += all;
        self.errors.add_failures(t, self.in_flight_measured);
        for s in self.ops.iter_mut().chain(self.phases.iter_mut()) {
            s.errors.add_failures(t, s.in_flight);
            s.in_flight = 0;
        }
        self.excluded.warmup.add_failures(t, self.in_flight_excluded[0]);
        self.excluded.cooldown.add_failures(t, self.in_flight_excluded[1]);
        self.in_flight_measured = 0;
        self.in_flight_excluded = [0; 2];
    }

    /// Ends recording at `now`: hands the last timeline interval over.
    pub(super) fn finish(&mut self, now: Offset) {
        self.finished = now.as_duration();
        self.intervals.finish();
    }
}
