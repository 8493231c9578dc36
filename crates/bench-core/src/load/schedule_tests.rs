//! Schedule tests: arrival times against the integral, phases, and every rejected schedule.

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
        first_burst_at: Duration::ZERO,
    }
    .compile()
    .unwrap();
    // Per period: 100 in the burst + 90 after it.
    assert_eq!(b.total_requests(), 570);
    assert_eq!(b.rate_at(secs(2.05)), 1000.0);
    assert_eq!(b.rate_at(secs(2.5)), 100.0);
    assert_eq!(b.phase_label_at(secs(2.05)).as_deref(), Some("burst 3"));
    assert_eq!(b.phase_label_at(secs(2.5)).as_deref(), Some("base"));
    assert_eq!(b.phases(), ["burst", "base"]);
    assert_eq!(s.phase_label_at(secs(1.5)).as_deref(), Some("step 2 (100 req/s)"));
    assert_eq!(s.phase_label_at(secs(2.5)), None);
    assert_eq!(s.steps(), vec![(secs(0.0), secs(1.0), 10.0), (secs(1.0), secs(2.0), 100.0)]);
    assert!((s.mean_rate_between(secs(0.5), secs(1.5)) - 55.0).abs() < 1e-9);
    assert_eq!(s.mean_rate_between(secs(2.0), secs(3.0)), 0.0);
}

#[test]
fn bursts_can_start_after_a_base_rate_lead_in() {
    let b = RateSchedule::Bursts {
        base_rate: 10.0,
        burst_rate: 100.0,
        burst_len: secs(1.0),
        period: secs(4.0),
        duration: secs(10.0),
        first_burst_at: secs(2.0),
    }
    .compile()
    .unwrap();
    // 2 s lead-in, bursts at 2–3 s and 6–7 s, base elsewhere: 8 s × 10 + 2 s × 100.
    assert_eq!(b.total_requests(), 280);
    assert_eq!(b.bursts(), vec![(secs(2.0), secs(3.0)), (secs(6.0), secs(7.0))]);
    assert_eq!(b.phase_label_at(secs(1.0)).as_deref(), Some("base"));
    assert_eq!(b.phase_label_at(secs(6.5)).as_deref(), Some("burst 2"));
    assert_eq!(b.intended_before(secs(3.0)), 120.0);
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
                first_burst_at: Duration::ZERO,
            },
            "does not fit in the period",
        ),
        (
            RateSchedule::Bursts {
                base_rate: 1.0,
                burst_rate: 5.0,
                burst_len: secs(1.0),
                period: secs(2.0),
                duration: secs(5.0),
                first_burst_at: secs(5.0),
            },
            "first burst: starts at 5s, at or after the end",
        ),
        (RateSchedule::constant(f64::INFINITY, secs(1.0)), "constant rate inf"),
        (RateSchedule::constant(1e12, secs(1e6)), "shorten the duration or lower the rate"),
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
