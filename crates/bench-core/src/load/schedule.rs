//! Rate schedules: when each request of an open-loop run is *intended* to start.
//!
//! A schedule is compiled into segments of constant or linearly changing rate r(t). The
//! cumulative count N(t) = ∫₀ᵗ r is piecewise quadratic, and request k (0-based) is intended at
//! the t where N(t) = k — so request times follow the rate exactly, with no per-tick batching.
//! Within a linear segment starting at rate r₀ with slope a, the local time solving
//! r₀·t + a·t²/2 = x is computed in the cancellation-free form t = 2x / (r₀ + √(r₀² + 2a·x)).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A schedule was not usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// A rate was zero, negative or not a number.
    #[error("{what} rate {rate} req/s is invalid: rates must be positive finite numbers (e.g. 1000.0)")]
    BadRate {
        /// Which rate ("constant", "step 2", "ramp start", …).
        what: String,
        /// The value given.
        rate: f64,
    },
    /// A duration was zero, or pieces did not fit together.
    #[error("{what}: {problem}")]
    BadDuration {
        /// Which duration.
        what: String,
        /// What is wrong.
        problem: String,
    },
    /// The schedule intends more requests than can be counted exactly.
    #[error("the schedule intends {requests:e} requests, more than {max:e}: shorten the duration or lower the rate")]
    TooManyRequests {
        /// ∫ rate over the schedule.
        requests: f64,
        /// The largest count allowed (2⁵³, where request times stay exact).
        max: f64,
    },
}

/// The largest request count a schedule may intend: 2⁵³, below which every index is an exact f64.
const MAX_REQUESTS: f64 = 9_007_199_254_740_992.0;

/// One step of a stepped schedule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Requests per second during the step.
    pub rate: f64,
    /// How long the step lasts.
    pub duration: Duration,
}

/// How the intended request rate changes over a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RateSchedule {
    /// A fixed rate.
    Constant {
        /// Requests per second.
        rate: f64,
        /// Run length.
        duration: Duration,
    },
    /// Linear change from `from` to `to` (one of them may be zero).
    Ramp {
        /// Starting rate.
        from: f64,
        /// Final rate.
        to: f64,
        /// Run length.
        duration: Duration,
    },
    /// Consecutive constant-rate steps.
    Steps {
        /// The steps, in order.
        steps: Vec<Step>,
    },
    /// A base rate with periodic bursts: from `first_burst_at` on, each `period` begins with
    /// `burst_len` at `burst_rate`; the rest of the time runs at `base_rate`.
    Bursts {
        /// Rate between bursts.
        base_rate: f64,
        /// Rate during a burst.
        burst_rate: f64,
        /// Length of each burst.
        burst_len: Duration,
        /// Time from one burst start to the next.
        period: Duration,
        /// Run length.
        duration: Duration,
        /// Base-rate lead-in before the first burst (zero: the run starts with a burst).
        #[serde(default)]
        first_burst_at: Duration,
    },
}

/// What a schedule segment is, for phase labels and per-phase figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    None,
    /// 1-based step number.
    Step(u32),
    /// 1-based burst number.
    Burst(u32),
    Base,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    start: f64,
    len: f64,
    r0: f64,
    slope: f64,
    /// N(start): requests intended before this segment.
    before: f64,
    label: Label,
}

impl Segment {
    fn count(&self) -> f64 {
        self.r0 * self.len + 0.5 * self.slope * self.len * self.len
    }
    /// Local time at which `x` requests of this segment have been intended.
    fn time_of(&self, x: f64) -> f64 {
        let disc = (self.r0 * self.r0 + 2.0 * self.slope * x).max(0.0);
        let denom = self.r0 + disc.sqrt();
        if denom > 0.0 { (2.0 * x / denom).min(self.len) } else { 0.0 }
    }
}

/// A validated schedule, ready to answer "when is request k intended?".
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledSchedule {
    segments: Vec<Segment>,
    total: u64,
    duration: f64,
    /// Names of the phases figures are kept for (`step 1` …, or `burst` and `base`).
    phases: Vec<String>,
}

impl RateSchedule {
    /// A constant rate.
    pub fn constant(rate: f64, duration: Duration) -> Self {
        RateSchedule::Constant { rate, duration }
    }

    /// Checks the schedule and compiles it.
    pub fn compile(&self) -> Result<CompiledSchedule, ScheduleError> {
        let mut pieces: Vec<(f64, f64, f64, Label)> = Vec::new(); // (len, r0, r1, label)
        let rate_ok = |what: &str, rate: f64, allow_zero: bool| {
            if rate.is_finite() && (rate > 0.0 || (allow_zero && rate == 0.0)) {
                Ok(())
            } else {
                Err(ScheduleError::BadRate { what: what.into(), rate })
            }
        };
        let dur_ok = |what: &str, d: Duration| {
            if d.is_zero() {
                Err(ScheduleError::BadDuration { what: what.into(), problem: "must be longer than zero".into() })
            } else {
                Ok(d.as_secs_f64())
            }
        };
        match self {
            RateSchedule::Constant { rate, duration } => {
                rate_ok("constant", *rate, false)?;
                pieces.push((dur_ok("duration", *duration)?, *rate, *rate, Label::None));
            }
            RateSchedule::Ramp { from, to, duration } => {
                rate_ok("ramp start", *from, true)?;
                rate_ok("ramp end", *to, true)?;
                if *from == 0.0 && *to == 0.0 {
                    return Err(ScheduleError::BadRate { what: "ramp (both ends)".into(), rate: 0.0 });
                }
                pieces.push((dur_ok("ramp duration", *duration)?, *from, *to, Label::None));
            }
            RateSchedule::Steps { steps } => {
                if steps.is_empty() {
                    return Err(ScheduleError::BadDuration {
                        what: "steps".into(),
                        problem: "at least one step is needed".into(),
                    });
                }
                for (i, s) in steps.iter().enumerate() {
                    rate_ok(&format!("step {}", i + 1), s.rate, false)?;
                    let len = dur_ok(&format!("step {} duration", i + 1), s.duration)?;
                    pieces.push((len, s.rate, s.rate, Label::Step(i as u32 + 1)));
                }
            }
            RateSchedule::Bursts { base_rate, burst_rate, burst_len, period, duration, first_burst_at } => {
                rate_ok("burst base", *base_rate, false)?;
                rate_ok("burst", *burst_rate, false)?;
                let (blen, per, total) = (
                    dur_ok("burst length", *burst_len)?,
                    dur_ok("burst period", *period)?,
                    dur_ok("duration", *duration)?,
                );
                if burst_len >= period {
                    return Err(ScheduleError::BadDuration {
                        what: "burst length".into(),
                        problem: format!(
                            "{burst_len:?} does not fit in the period {period:?}; make it shorter than the period"
                        ),
                    });
                }
                let lead = first_burst_at.as_secs_f64();
                if lead >= total {
                    return Err(ScheduleError::BadDuration {
                        what: "first burst".into(),
                        problem: format!(
                            "starts at {first_burst_at:?}, at or after the end of the {duration:?} run; start it earlier or lengthen the run"
                        ),
                    });
                }
                let mut t = 0.0;
                if lead > 0.0 {
                    pieces.push((lead, *base_rate, *base_rate, Label::Base));
                    t = lead;
                }
                let mut n = 0;
                while t < total - 1e-12 {
                    n += 1;
                    let b = blen.min(total - t);
                    pieces.push((b, *burst_rate, *burst_rate, Label::Burst(n)));
                    t += b;
                    let rest = (per - blen).min(total - t);
                    if rest > 0.0 {
                        pieces.push((rest, *base_rate, *base_rate, Label::Base));
                        t += rest;
                    }
                }
            }
        }
        let mut segments = Vec::with_capacity(pieces.len());
        let (mut start, mut before) = (0.0, 0.0);
        for (len, r0, r1, label) in pieces {
            let seg = Segment { start, len, r0, slope: (r1 - r0) / len, before, label };
            before += seg.count();
            start += len;
            segments.push(seg);
        }
        if before > MAX_REQUESTS {
            return Err(ScheduleError::TooManyRequests { requests: before, max: MAX_REQUESTS });
        }
        let phases = match self {
            RateSchedule::Steps { steps } => (1..=steps.len()).map(|i| format!("step {i}")).collect(),
            RateSchedule::Bursts { .. } => vec!["burst".to_owned(), "base".to_owned()],
            _ => Vec::new(),
        };
        Ok(CompiledSchedule { segments, total: before.ceil() as u64, duration: start, phases })
    }
}

impl CompiledSchedule {
    /// Requests the schedule intends (⌈∫ r⌉).
    pub fn total_requests(&self) -> u64 {
        self.total
    }

    /// Length of the schedule.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.duration)
    }

    /// Mean intended rate over the whole schedule.
    pub fn mean_rate(&self) -> f64 {
        self.total as f64 / self.duration
    }

    /// Highest intended rate anywhere in the schedule.
    pub fn peak_rate(&self) -> f64 {
        self.segments.iter().map(|s| s.r0.max(s.r0 + s.slope * s.len)).fold(0.0, f64::max)
    }

    /// The intended rate at offset `t`.
    pub fn rate_at(&self, t: Duration) -> f64 {
        let t = t.as_secs_f64();
        self.segments
            .iter()
            .find(|s| t >= s.start && t < s.start + s.len)
            .map_or(0.0, |s| s.r0 + s.slope * (t - s.start))
    }

    /// N(t): requests intended before offset `t` (fractional; the integral of the rate).
    pub fn intended_before(&self, t: Duration) -> f64 {
        let t = t.as_secs_f64();
        match self.segments.iter().rfind(|s| t >= s.start) {
            None => 0.0,
            Some(s) => {
                let x = (t - s.start).min(s.len);
                s.before + s.r0 * x + 0.5 * s.slope * x * x
            }
        }
    }

    /// Mean intended rate between offsets `a` and `b` (req/s); zero past the end of the schedule.
    pub fn mean_rate_between(&self, a: Duration, b: Duration) -> f64 {
        let len = b.saturating_sub(a).as_secs_f64();
        if len <= 0.0 { 0.0 } else { (self.intended_before(b) - self.intended_before(a)) / len }
    }

    /// The phase at offset `t` as a timeline label: `step 3 (250 req/s)`, `burst 2`, `base`, or
    /// `None` for constant and ramp schedules and past the end.
    pub fn phase_label_at(&self, t: Duration) -> Option<String> {
        let t = t.as_secs_f64();
        let s = self.segments.iter().find(|s| t >= s.start && t < s.start + s.len)?;
        match s.label {
            Label::None => None,
            Label::Step(i) => Some(format!("step {i} ({} req/s)", crate::units::fmt_num(s.r0))),
            Label::Burst(n) => Some(format!("burst {n}")),
            Label::Base => Some("base".to_owned()),
        }
    }

    /// Names of the phases per-phase figures are kept for: `step 1` … `step n` for steps,
    /// `burst` and `base` for bursts (all bursts together), none otherwise.
    pub fn phases(&self) -> &[String] {
        &self.phases
    }

    /// The per-phase index (into [`Self::phases`]) of the segment `cursor` points at.
    pub(crate) fn phase_of_cursor(&self, cursor: usize) -> Option<usize> {
        match self.segments.get(cursor)?.label {
            Label::None => None,
            Label::Step(i) => Some(i as usize - 1),
            Label::Burst(_) => Some(0),
            Label::Base => Some(1),
        }
    }

    /// `(start, end)` offsets of every burst, in order (empty for other schedules).
    pub fn bursts(&self) -> Vec<(Duration, Duration)> {
        self.segments
            .iter()
            .filter(|s| matches!(s.label, Label::Burst(_)))
            .map(|s| (Duration::from_secs_f64(s.start), Duration::from_secs_f64(s.start + s.len)))
            .collect()
    }

    /// `(start, end, rate)` of every step, in order (empty for other schedules).
    pub fn steps(&self) -> Vec<(Duration, Duration, f64)> {
        self.segments
            .iter()
            .filter(|s| matches!(s.label, Label::Step(_)))
            .map(|s| (Duration::from_secs_f64(s.start), Duration::from_secs_f64(s.start + s.len), s.r0))
            .collect()
    }

    /// Offset from the run start at which request `k` is intended; `None` past the end.
    /// `cursor` remembers the segment between calls so increasing `k` costs O(1) amortised.
    pub fn arrival(&self, k: u64, cursor: &mut usize) -> Option<Duration> {
        if k >= self.total {
            return None;
        }
        let x = k as f64;
        while *cursor + 1 < self.segments.len() && self.segments[*cursor + 1].before <= x {
            *cursor += 1;
        }
        // Cursor only moves forward; callers never ask for earlier k after later ones.
        let s = &self.segments[*cursor];
        Some(Duration::from_secs_f64(s.start + s.time_of(x - s.before)))
    }
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
