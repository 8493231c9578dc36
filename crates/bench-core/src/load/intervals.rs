//! The per-interval time series of a run ([`Timeline`]).
//!
//! Intervals are aligned on the start of the measured phase (the end of the warm-up): interval
//! `i` covers `[warmup + i·I, warmup + (i+1)·I)` of the run, so warm-up intervals have `i < 0`
//! and their points a `t_s ≤ 0`. An outcome is counted in the interval of its *completion* time
//! (drops: when the generator gave the request up; drain timeouts: at the drain deadline); its
//! latency is still measured from the intended start. So a point reads "what finished in this
//! second, and how long it had taken". Warm-up, cool-down and drain intervals are included and
//! labelled in `phase`, so the whole run can be drawn; the summary figures exclude them.
//!
//! Each worker fills its current interval alone and hands it to a shared aggregator (one lock
//! per worker per interval, never per request). The aggregator merges the workers' histograms,
//! and turns an interval into percentiles and counts as soon as every worker has moved past it,
//! so memory does not grow with the run's length.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::clock::Offset;
use super::schedule::CompiledSchedule;
use crate::latency::LatencyRecorder;
use crate::metrics::{ClockKind, Timeline, TimelinePoint};
use crate::resource::ResourceReport;

/// Default timeline interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// One interval's tallies while it is being filled.
#[derive(Debug, Default)]
pub(super) struct Slot {
    pub completed: u64,
    pub errors: u64,
    pub dropped: u64,
    pub latency: LatencyRecorder,
}

impl Slot {
    fn is_empty(&self) -> bool {
        self.completed == 0 && self.errors == 0 && self.dropped == 0
    }
}

/// One finished interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct IntervalStats {
    pub completed: u64,
    pub errors: u64,
    pub dropped: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// Run totals as the aggregator knows them (updated once per interval), for progress output.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Snapshot {
    pub completed: u64,
    pub errors: u64,
    pub dropped: u64,
    /// The latest finished interval and its length in seconds.
    pub last: Option<(IntervalStats, f64)>,
}

/// Where intervals are and how long they last.
#[derive(Debug, Clone, Copy)]
pub(super) struct Grid {
    /// Offset of interval 0's start from the run start (the warm-up length).
    pub origin: Duration,
    pub interval: Duration,
}

impl Grid {
    /// Index of the interval holding `offset` from the run start.
    pub(super) fn index(&self, offset: Duration) -> i64 {
        let d = offset.as_nanos() as i128 - self.origin.as_nanos() as i128;
        d.div_euclid(self.interval.as_nanos() as i128) as i64
    }

    /// Offset from the run start where interval `i` begins (clamped at the run start).
    pub(super) fn start_of(&self, i: i64) -> Duration {
        let ns = self.origin.as_nanos() as i128 + i as i128 * self.interval.as_nanos() as i128;
        Duration::from_nanos(ns.max(0) as u64)
    }
}

/// Collects finished intervals from every worker.
#[derive(Debug)]
pub(super) struct TimelineAgg {
    grid: Grid,
    /// Per worker: the lowest interval it may still report.
    watermarks: Vec<i64>,
    pending: BTreeMap<i64, Slot>,
    finished: BTreeMap<i64, IntervalStats>,
    spare: Vec<LatencyRecorder>,
    snapshot: Snapshot,
}

impl TimelineAgg {
    pub(super) fn new(grid: Grid, workers: usize) -> Self {
        TimelineAgg {
            grid,
            watermarks: vec![i64::MIN; workers],
            pending: BTreeMap::new(),
            finished: BTreeMap::new(),
            spare: Vec::new(),
            snapshot: Snapshot::default(),
        }
    }

    pub(super) fn grid(&self) -> Grid {
        self.grid
    }

    pub(super) fn snapshot(&self) -> Snapshot {
        self.snapshot
    }

    /// Worker `w` hands over interval `i` and will only report intervals ≥ `next` from now on.
    fn hand_over(&mut self, w: usize, i: i64, slot: &mut Slot, next: i64) {
        if !slot.is_empty() {
            let fresh = self.spare.pop().unwrap_or_default();
            match self.pending.get_mut(&i) {
                Some(p) => {
                    p.completed += slot.completed;
                    p.errors += slot.errors;
                    p.dropped += slot.dropped;
                    p.latency.merge(&slot.latency);
                    slot.latency.reset();
                    self.spare.push(fresh);
                }
                None => {
                    let latency = std::mem::replace(&mut slot.latency, fresh);
                    let (completed, errors, dropped) = (slot.completed, slot.errors, slot.dropped);
                    self.pending.insert(i, Slot { completed, errors, dropped, latency });
                }
            }
            slot.completed = 0;
            slot.errors = 0;
            slot.dropped = 0;
        }
        self.watermarks[w] = next;
        let low = self.watermarks.iter().copied().min().unwrap_or(i64::MAX);
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() >= low {
                break;
            }
            let (i, mut slot) = entry.remove_entry();
            let ms = |q: f64| (!slot.latency.is_empty()).then(|| slot.latency.value_at_quantile(q).as_millis_f64());
            let stats = IntervalStats {
                completed: slot.completed,
                errors: slot.errors,
                dropped: slot.dropped,
                p50_ms: ms(0.5),
                p99_ms: ms(0.99),
                max_ms: ms(1.0),
            };
            slot.latency.reset();
            self.spare.push(slot.latency);
            self.snapshot.completed += stats.completed;
            self.snapshot.errors += stats.errors;
            self.snapshot.dropped += stats.dropped;
            self.snapshot.last = Some((stats, self.grid.interval.as_secs_f64()));
            self.finished.insert(i, stats);
        }
    }

    /// Everything needed to label and time the points.
    pub(super) fn build(&self, ctx: &BuildContext<'_>) -> Timeline {
        let grid = self.grid;
        let mut timeline = Timeline::new(ctx.name, grid.interval.as_secs_f64(), ctx.clock);
        let end = ctx.end;
        if end.is_zero() {
            return timeline;
        }
        let (first, last) = (grid.index(Duration::ZERO), grid.index(end - Duration::from_nanos(1)));
        let cpu_and_rss = |a: Duration, b: Duration| -> (Option<f64>, Option<f64>) {
            let Some(r) = ctx.resources else { return (None, None) };
            let (a_ms, b_ms) = (a.as_secs_f64() * 1e3, b.as_secs_f64() * 1e3);
            let inside: Vec<_> = r.series.iter().filter(|s| s.at_ms > a_ms && s.at_ms <= b_ms).collect();
            let cpu: Vec<f64> = inside.iter().filter_map(|s| s.cpu.map(|c| c.percent_of_machine)).collect();
            let cpu = (!cpu.is_empty()).then(|| cpu.iter().sum::<f64>() / cpu.len() as f64);
            let rss = r.series.iter().rfind(|s| s.at_ms <= b_ms).and_then(|s| s.rss_bytes);
            (cpu, rss.map(crate::units::bytes_to_mib))
        };
        for i in first..=last {
            let (a, b) = (grid.start_of(i), grid.start_of(i + 1).min(end));
            let len = b.saturating_sub(a).as_secs_f64();
            if len <= 0.0 {
                continue;
            }
            let stats = self.finished.get(&i).copied().unwrap_or_default();
            let mid = a + (b - a) / 2;
            let phase = if mid < ctx.warmup_end {
                Some("warmup".to_owned())
            } else if mid >= ctx.schedule_end {
                Some("drain".to_owned())
            } else if mid >= ctx.cooldown_start {
                Some("cooldown".to_owned())
            } else {
                ctx.schedule.and_then(|s| s.phase_label_at(mid))
            };
            let (cpu_percent, rss_mb) = cpu_and_rss(a, b);
            timeline.points.push(TimelinePoint {
                t_s: b.as_secs_f64() - grid.origin.as_secs_f64(),
                offered_per_s: ctx.schedule.map(|s| s.mean_rate_between(a, b)),
                completed_per_s: stats.completed as f64 / len,
                errors: stats.errors,
                dropped: stats.dropped,
                latency_p50_ms: stats.p50_ms,
                latency_p99_ms: stats.p99_ms,
                latency_max_ms: stats.max_ms,
                rss_mb,
                cpu_percent,
                phase,
            });
        }
        timeline
    }
}

/// What [`TimelineAgg::build`] needs besides the intervals.
pub(super) struct BuildContext<'a> {
    pub name: &'a str,
    pub clock: ClockKind,
    pub schedule: Option<&'a CompiledSchedule>,
    pub warmup_end: Duration,
    pub cooldown_start: Duration,
    /// End of the schedule (closed loop: of the sending), from the run start.
    pub schedule_end: Duration,
    /// End of the run (last worker finished), from the run start.
    pub end: Duration,
    pub resources: Option<&'a ResourceReport>,
}

/// A worker's handle: fills the current interval, hands it over when time moves past it.
#[derive(Debug)]
pub(super) struct IntervalWriter {
    agg: Arc<Mutex<TimelineAgg>>,
    worker: usize,
    grid: Grid,
    cur: i64,
    cur_end: Offset,
    slot: Slot,
}

impl IntervalWriter {
    pub(super) fn new(agg: Arc<Mutex<TimelineAgg>>, worker: usize) -> Self {
        let grid = agg.lock().unwrap_or_else(PoisonError::into_inner).grid();
        let cur = grid.index(Duration::ZERO);
        let cur_end = Offset::from_duration(grid.start_of(cur + 1));
        IntervalWriter { agg, worker, grid, cur, cur_end, slot: Slot::default() }
    }

    /// The slot for an event at `t`. Events are time-ordered per worker up to the few
    /// microseconds between a completion and its collection; an event that arrives after the
    /// worker moved on is counted in the current interval.
    #[inline]
    pub(super) fn at(&mut self, t: Offset) -> &mut Slot {
        if t >= self.cur_end {
            let next = self.grid.index(t.as_duration());
            self.agg.lock().unwrap_or_else(PoisonError::into_inner).hand_over(
                self.worker,
                self.cur,
                &mut self.slot,
                next,
            );
            self.cur = next;
            self.cur_end = Offset::from_duration(self.grid.start_of(next + 1));
        }
        &mut self.slot
    }

    /// Hands over the last interval; this worker reports nothing more.
    pub(super) fn finish(&mut self) {
        self.agg.lock().unwrap_or_else(PoisonError::into_inner).hand_over(
            self.worker,
            self.cur,
            &mut self.slot,
            i64::MAX,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_indexes_warmup_intervals_below_zero() {
        let g = Grid { origin: Duration::from_millis(2_500), interval: Duration::from_secs(1) };
        assert_eq!(g.index(Duration::ZERO), -3);
        assert_eq!(g.index(Duration::from_millis(1_499)), -2);
        assert_eq!(g.index(Duration::from_millis(2_500)), 0);
        assert_eq!(g.index(Duration::from_millis(3_499)), 0);
        assert_eq!(g.start_of(-3), Duration::ZERO, "the first interval is clamped at the run start");
        assert_eq!(g.start_of(1), Duration::from_millis(3_500));
    }
}
