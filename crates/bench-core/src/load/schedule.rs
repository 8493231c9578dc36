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
    #[error("{what} rate {rate} req/s is invalid: rates must be positive finite numbers")]
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
}

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
    /// A base rate with periodic bursts: each `period` begins with `burst_len` at `burst_rate`.
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
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    start: f64,
    len: f64,
    r0: f64,
    slope: f64,
    /// N(start): requests intended before this segment.
    before: f64,
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
}

impl RateSchedule {
    /// A constant rate.
    pub fn constant(rate: f64, duration: Duration) -> Self {
        RateSchedule::Constant { rate, duration }
    }

    /// Checks the schedule and compiles it.
    pub fn compile(&self) -> Result<CompiledSchedule, ScheduleError> {
        let mut pieces: Vec<(f64, f64, f64)> = Vec::new(); // (len, r0, r1)
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
                pieces.push((dur_ok("duration", *duration)?, *rate, *rate));
            }
            RateSchedule::Ramp { from, to, duration } => {
                rate_ok("ramp start", *from, true)?;
                rate_ok("ramp end", *to, true)?;
                if *from == 0.0 && *to == 0.0 {
                    return Err(ScheduleError::BadRate { what: "ramp (both ends)".into(), rate: 0.0 });
                }
                pieces.push((dur_ok("ramp duration", *duration)?, *from, *to));
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
                    pieces.push((dur_ok(&format!("step {} duration", i + 1), s.duration)?, s.rate, s.rate));
                }
            }
            RateSchedule::Bursts { base_rate, burst_rate, burst_len, period, duration } => {
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
                let mut t = 0.0;
                while t < total - 1e-12 {
                    let b = blen.min(total - t);
                    pieces.push((b, *burst_rate, *burst_rate));
                    t += b;
                    let rest = (per - blen).min(total - t);
                    if rest > 0.0 {
                        pieces.push((rest, *base_rate, *base_rate));
                        t += rest;
                    }
                }
            }
        }
        let mut segments = Vec::with_capacity(pieces.len());
        let (mut start, mut before) = (0.0, 0.0);
        for (len, r0, r1) in pieces {
            let seg = Segment { start, len, r0, slope: (r1 - r0) / len, before };
            before += seg.count();
            start += len;
            segments.push(seg);
        }
        Ok(CompiledSchedule { segments, total: before.ceil() as u64, duration: start })
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn arrivals(c: &CompiledSchedule) -> Vec<f64> {
        let mut cur = 0;
        (0..).map_while(|k| c.arrival(k, &mut cur)).map(|d| d.as_secs_f64()).collect()
    }

    #[test]
    fn constant_rate_is_evenly_spaced() {
        let c = RateSchedule::constant(1000.0, secs(2.0)).compile().unwrap();
        assert_eq!(c.total_requests(), 2000);
        let a = arrivals(&c);
        assert_eq!(a.len(), 2000);
        assert!((a[1] - 0.001).abs() < 1e-9 && (a[1999] - 1.999).abs() < 1e-9);
    }

    #[test]
    fn ramp_follows_the_integral() {
        // 0 → 1000 req/s over 2 s: N(t) = 250 t², so 1000 requests, the 250th at t = 1 s.
        let c = RateSchedule::Ramp { from: 0.0, to: 1000.0, duration: secs(2.0) }.compile().unwrap();
        assert_eq!(c.total_requests(), 1000);
        let a = arrivals(&c);
        assert!((a[250] - 1.0).abs() < 1e-9, "{}", a[250]);
        // Falling ramps work too.
        let d = RateSchedule::Ramp { from: 1000.0, to: 0.0, duration: secs(2.0) }.compile().unwrap();
        assert_eq!(d.total_requests(), 1000);
        assert!(arrivals(&d).windows(2).all(|w| w[0] < w[1]));
        assert!((d.rate_at(secs(1.0)) - 500.0).abs() < 1e-9);
    }

    #[test]
    fn steps_and_bursts() {
        let s = RateSchedule::Steps {
            steps: vec![Step { rate: 10.0, duration: secs(1.0) }, Step { rate: 100.0, duration: secs(1.0) }],
        }
        .compile()
        .unwrap();
        assert_eq!(s.total_requests(), 110);
        let a = arrivals(&s);
        assert!((a[10] - 1.0).abs() < 1e-9 && (a[11] - 1.01).abs() < 1e-9);

        let b = RateSchedule::Bursts {
            base_rate: 100.0,
            burst_rate: 1000.0,
            burst_len: secs(0.1),
            period: secs(1.0),
            duration: secs(3.0),
        }
        .compile()
        .unwrap();
        // Per period: 100 in the burst + 90 after it.
        assert_eq!(b.total_requests(), 570);
        assert_eq!(b.rate_at(secs(2.05)), 1000.0);
        assert_eq!(b.rate_at(secs(2.5)), 100.0);
    }

    #[test]
    fn bad_schedules_are_rejected_with_the_reason() {
        let bad = [
            (RateSchedule::constant(0.0, secs(1.0)), "constant rate 0"),
            (RateSchedule::constant(-5.0, secs(1.0)), "constant rate -5"),
            (RateSchedule::constant(f64::NAN, secs(1.0)), "NaN"),
            (RateSchedule::constant(10.0, Duration::ZERO), "longer than zero"),
            (RateSchedule::Ramp { from: 0.0, to: 0.0, duration: secs(1.0) }, "ramp (both ends)"),
            (RateSchedule::Steps { steps: vec![] }, "at least one step"),
            (
                RateSchedule::Steps {
                    steps: vec![Step { rate: 1.0, duration: secs(1.0) }, Step { rate: 0.0, duration: secs(1.0) }],
                },
                "step 2 rate 0",
            ),
            (
                RateSchedule::Bursts {
                    base_rate: 1.0,
                    burst_rate: 5.0,
                    burst_len: secs(2.0),
                    period: secs(1.0),
                    duration: secs(5.0),
                },
                "does not fit in the period",
            ),
        ];
        for (s, needle) in bad {
            let msg = s.compile().unwrap_err().to_string();
            assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
        }
    }

    proptest! {
        #[test]
        fn arrivals_are_monotone_within_the_run_and_match_the_integral(
            from in 0.0f64..5_000.0, to in 1.0f64..5_000.0, dur in 0.01f64..3.0
        ) {
            let c = RateSchedule::Ramp { from, to, duration: secs(dur) }.compile().unwrap();
            let expected = ((from + to) / 2.0 * dur).ceil() as u64;
            prop_assert!(c.total_requests().abs_diff(expected) <= 1);
            let a = arrivals(&c);
            prop_assert_eq!(a.len() as u64, c.total_requests());
            prop_assert!(a.windows(2).all(|w| w[0] <= w[1]));
            prop_assert!(a.iter().all(|&t| (0.0..=dur + 1e-9).contains(&t)));
        }
    }
}
