//! Accuracy of the recorder against exactly computed percentiles, merging, and properties.

use super::*;
use proptest::prelude::*;

/// SplitMix64: a tiny seeded generator so the test distributions are reproducible.
struct SplitMix(u64);
impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.unit(), self.unit());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

fn uniform(n: usize, seed: u64) -> Vec<u64> {
    let mut r = SplitMix(seed);
    (0..n).map(|_| 1_000 + r.next_u64() % 9_000_000).collect()
}

fn log_normal(n: usize, seed: u64) -> Vec<u64> {
    // Median 50 µs, sigma 1.2: a long-tailed service-time shape.
    let mut r = SplitMix(seed);
    (0..n).map(|_| (50_000.0 * (1.2 * r.normal()).exp()).max(1.0) as u64).collect()
}

fn bimodal(n: usize, seed: u64) -> Vec<u64> {
    // 90 % fast path around 20 µs, 10 % slow path around 5 ms.
    let mut r = SplitMix(seed);
    (0..n)
        .map(|_| {
            let (mean, sd) = if r.unit() < 0.9 { (20_000.0, 2_000.0) } else { (5_000_000.0, 500_000.0) };
            (mean + sd * r.normal()).max(1.0) as u64
        })
        .collect()
}

/// Nearest-rank percentile of sorted data: the value at rank ⌈q·n⌉ (1-based).
fn exact_quantile(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1]
}

fn assert_percentiles_exact_within_precision(values: &[u64], what: &str) {
    let mut rec = LatencyRecorder::new();
    for &v in values {
        rec.record_ns(v);
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let h = rec.histogram();
    for q in [0.5, 0.75, 0.9, 0.95, 0.99, 0.999] {
        let exact = exact_quantile(&sorted, q);
        let got = rec.value_at_quantile(q).0;
        // Same bucket as the exact value, reported at the bucket's upper edge …
        assert_eq!(got, h.highest_equivalent(exact), "{what} q={q}: exact {exact}, got {got}");
        // … which is within the advertised 10⁻³ relative precision.
        let rel = (got as f64 - exact as f64) / exact as f64;
        assert!((0.0..=1e-3).contains(&rel), "{what} q={q}: relative error {rel}");
    }
    let s = rec.summary();
    assert_eq!(s.count, values.len() as u64);
    assert!(h.equivalent(s.min_ns.0, sorted[0]), "{what} min");
    assert!(h.equivalent(s.max_ns.0, *sorted.last().unwrap()), "{what} max");
    let exact_mean = values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64;
    assert!((s.mean_ns - exact_mean).abs() / exact_mean < 1e-3, "{what} mean");
}

#[test]
fn percentiles_match_exact_uniform() {
    assert_percentiles_exact_within_precision(&uniform(200_000, 1), "uniform");
}

#[test]
fn percentiles_match_exact_log_normal() {
    assert_percentiles_exact_within_precision(&log_normal(200_000, 2), "log-normal");
}

#[test]
fn percentiles_match_exact_bimodal() {
    assert_percentiles_exact_within_precision(&bimodal(200_000, 3), "bimodal");
}

#[test]
fn covers_one_nanosecond_to_an_hour_and_clamps_beyond() {
    let mut rec = LatencyRecorder::new();
    rec.record_ns(1);
    rec.record(Duration::from_secs(60));
    rec.record(Duration::from_secs(7_200));
    let s = rec.summary();
    assert_eq!(s.count, 3);
    assert_eq!(s.min_ns, Nanos(1));
    assert_eq!(s.clamped, 1);
    assert!(rec.histogram().equivalent(s.max_ns.0, HIGHEST_NS));
    assert!(rec.histogram().equivalent(rec.value_at_quantile(0.5).0, 60_000_000_000));
}

#[test]
fn empty_summary_is_all_zero_and_uncorrected() {
    let s = LatencyRecorder::new().summary();
    assert_eq!(s.count, 0);
    assert_eq!(s.p99_ns, Nanos(0));
    assert!(!s.corrected);
}

#[test]
fn record_correct_backfills_and_labels() {
    // A closed-loop client expecting one request per 1 ms saw one 10 ms stall: correction adds
    // the 9 requests it would have sent meanwhile (9, 8, …, 1 ms).
    let mut rec = LatencyRecorder::new();
    rec.record_correct(Duration::from_millis(10), Duration::from_millis(1));
    let s = rec.summary();
    assert_eq!(s.count, 10);
    assert!(s.corrected);
    assert_eq!(s.label_suffix(), " (corrected)");
    assert!(rec.histogram().equivalent(s.min_ns.0, 1_000_000));
    // A plain recorder merged with a corrected one is corrected.
    let mut plain = LatencyRecorder::new();
    plain.record_ns(5);
    plain.merge(&rec);
    assert!(plain.is_corrected());
}

#[test]
fn percentile_curve_is_monotone_and_ends_at_max() {
    let mut rec = LatencyRecorder::new();
    for v in log_normal(10_000, 9) {
        rec.record_ns(v);
    }
    let curve = rec.percentile_curve(5);
    assert!(curve.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    assert_eq!(curve.last().unwrap().1, rec.summary().max_ns);
}

proptest! {
    #[test]
    fn merged_per_thread_recorders_equal_one_recorder(
        chunks in prop::collection::vec(prop::collection::vec(1u64..HIGHEST_NS, 0..200), 1..8)
    ) {
        let mut single = LatencyRecorder::new();
        let mut merged = LatencyRecorder::new();
        for chunk in &chunks {
            let mut per_thread = LatencyRecorder::new();
            for &v in chunk {
                per_thread.record_ns(v);
                single.record_ns(v);
            }
            merged.merge(&per_thread);
        }
        prop_assert_eq!(merged.summary(), single.summary());
        prop_assert!(merged.histogram() == single.histogram());
    }

    #[test]
    fn summary_is_ordered_and_within_precision(values in prop::collection::vec(1u64..10_000_000_000, 1..500)) {
        let mut rec = LatencyRecorder::new();
        for &v in &values {
            rec.record_ns(v);
        }
        let s = rec.summary();
        let rows = s.rows();
        prop_assert!(rows.windows(2).all(|w| w[0].1 <= w[1].1), "{:?}", rows);
        let mut sorted = values.clone();
        sorted.sort_unstable();
        for q in [0.5, 0.9, 0.99] {
            let exact = exact_quantile(&sorted, q);
            let got = rec.value_at_quantile(q).0;
            prop_assert!(got >= exact && (got - exact) as f64 <= exact as f64 * 1e-3 + 1.0);
        }
    }
}
