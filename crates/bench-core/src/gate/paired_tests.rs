//! The paired judgement (`GateConfig::paired`, what `noisegate ab` uses), noise pooling and the
//! calibrated pair noise, on synthetic data with known answers.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

/// Five rounds with ±4 % drift from round to round that both runs of a round share.
const DRIFT: [f64; 5] = [100.0, 104.0, 97.0, 102.0, 96.0];
/// Within-pair jitter of ±0.3 %, no trend.
const JITTER: [f64; 5] = [1.003, 0.997, 1.002, 0.998, 1.0];

fn series(rounds: &[f64]) -> Series {
    Series::lower_is_better("b", Unit::Nanoseconds, rounds.to_vec())
}

fn head(k: f64) -> Vec<f64> {
    DRIFT.iter().zip(JITTER).map(|(d, j)| d * j * k).collect()
}

fn judged(base: &[f64], head: &[f64], noise: Option<NoiseEstimate>, paired: bool) -> Judgement {
    let noise: BTreeMap<String, NoiseEstimate> = noise.map(|n| ("b".to_owned(), n)).into_iter().collect();
    let config = GateConfig { paired, ..GateConfig::default() };
    match judge(&[series(base)], &[series(head)], &noise, &config).as_slice() {
        [Row::Judged(j)] => j.clone(),
        other => panic!("expected one judged row, got {other:?}"),
    }
}

#[test]
fn pairing_cancels_shared_drift_and_finds_a_five_percent_regression() {
    let unpaired = judged(&DRIFT, &head(1.05), None, false);
    assert_ne!(unpaired.verdict, Verdict::Regressed, "±4 % drift hides +5 % from the unpaired test");
    let j = judged(&DRIFT, &head(1.05), None, true);
    assert_eq!(j.verdict, Verdict::Regressed, "{j:?}");
    assert!((j.change.estimate - 0.05).abs() < 0.002, "{:?}", j.change);
    assert!(j.change.lower > 0.03 && j.change.upper < 0.07, "{:?}", j.change);
    assert_eq!(j.noise.source, NoiseSource::Measured);
}

#[test]
fn paired_aa_with_drift_is_unchanged() {
    let j = judged(&DRIFT, &head(1.0), None, true);
    assert_eq!(j.verdict, Verdict::Unchanged, "{j:?}");
    assert!(!j.significant);
}

#[test]
fn paired_noise_is_reported_per_run() {
    // Differences with sd s have per-run sd s/√2, comparable with unpaired judgements.
    let j = judged(&DRIFT, &head(1.0), None, true);
    let diffs: Vec<f64> = DRIFT.iter().zip(head(1.0)).map(|(b, h)| (h / b).ln()).collect();
    let s = crate::stats::sample_sd(&diffs).unwrap();
    assert!((j.noise.run_sd - s / std::f64::consts::SQRT_2).abs() < 1e-12);
}

#[test]
fn sides_of_different_lengths_are_judged_unpaired() {
    let j = judged(&DRIFT, &head(1.05)[..4], None, true);
    let u = judged(&DRIFT, &head(1.05)[..4], None, false);
    assert_eq!(j, u);
}

#[test]
fn an_outlier_pair_is_set_aside_on_both_sides() {
    let base = [100.0, 104.0, 97.0, 102.0, 96.0, 99.0];
    let mut h: Vec<f64> = base.iter().map(|b| b * 1.001).collect();
    h[3] = base[3] * 1.40; // one pair 40 % off, the rest +0.1 %
    let pair = NoiseEstimate { run_sd: 0.03, runs: 30, pair_sd: Some(0.004), pairs: 15 };
    let j = judged(&base, &h, Some(pair), true);
    assert_eq!(j.base.outliers, vec![3]);
    assert_eq!(j.head.outliers, vec![3]);
    assert_eq!(j.verdict, Verdict::Unchanged, "{j:?}");
}

#[test]
fn calibrated_pair_noise_is_a_floor() {
    // The rounds agree to 0.1 % but calibration says pairs differ by 3 %: +4 % is not confident.
    let base = [100.0, 100.1, 99.9, 100.0, 100.0];
    let h: Vec<f64> = base.iter().map(|b| b * 1.04).collect();
    let pair = NoiseEstimate { run_sd: 0.05, runs: 30, pair_sd: Some(0.03), pairs: 15 };
    let j = judged(&base, &h, Some(pair), true);
    assert_eq!(j.noise.source, NoiseSource::Calibrated);
    assert!((j.noise.run_sd - 0.03 / std::f64::consts::SQRT_2).abs() < 1e-12);
    assert_ne!(j.verdict, Verdict::Regressed);
}

#[test]
fn without_measured_pairs_calibration_bounds_a_pair_by_two_runs() {
    let n = NoiseEstimate::unpaired(0.01, 20);
    assert_eq!(n.pair(), (0.01 * std::f64::consts::SQRT_2, 19.0));
    let n = NoiseEstimate { pair_sd: Some(0.004), pairs: 10, ..n };
    assert_eq!(n.pair(), (0.004, 10.0));
    let config = GateConfig { paired: true, ..GateConfig::default() };
    assert!(noise_floor(&n, 5, &config) < noise_floor(&n, 5, &GateConfig::default()));
}

#[test]
fn a_spread_slightly_above_calibration_is_pooled_a_much_larger_one_used_alone() {
    // Calibrated 1 % from 30 runs; these rounds spread ~1.2 % (not significantly more): pooled,
    // with the degrees of freedom of both.
    let base = [100.0, 101.5, 98.5, 100.7, 99.3];
    let h = [100.0, 98.5, 101.5, 99.3, 100.7];
    let cal = Some(NoiseEstimate::unpaired(0.01, 30));
    let j = judged(&base, &h, cal, false);
    assert_eq!(j.noise.source, NoiseSource::Pooled);
    assert!(j.noise.run_sd > 0.01 && j.noise.run_sd < 0.012, "{:?}", j.noise);
    // These spread ~6 %: far beyond calibration (F test), so today's own spread is used.
    let wide = [100.0, 106.0, 94.0, 103.0, 97.0];
    let j = judged(&wide, &h, cal, false);
    assert_eq!(j.noise.source, NoiseSource::Measured);
}

proptest! {
    /// Paired A/A with any shared drift up to ±10 % and ±1 % pair jitter never regresses.
    #[test]
    fn paired_aa_never_regresses(
        drift in proptest::collection::vec(0.9f64..1.1, 5),
        jitter in proptest::collection::vec(0.99f64..1.01, 5),
    ) {
        let h: Vec<f64> = drift.iter().zip(&jitter).map(|(d, j)| d * j).collect();
        let noise = Some(NoiseEstimate { run_sd: 0.05, runs: 30, pair_sd: Some(0.01), pairs: 15 });
        prop_assert_ne!(judged(&drift, &h, noise, true).verdict, Verdict::Regressed);
    }

    /// Swapping the sides of a paired judgement mirrors the change exactly.
    #[test]
    fn paired_swap_mirrors(drift in proptest::collection::vec(0.9f64..1.1, 5), k in 0.8f64..1.25) {
        let h: Vec<f64> = drift.iter().map(|d| d * k).collect();
        let ab = judged(&drift, &h, None, true);
        let ba = judged(&h, &drift, None, true);
        prop_assert!((ab.change.estimate.ln_1p() + ba.change.estimate.ln_1p()).abs() < 1e-9);
    }
}

#[test]
fn a_second_mode_among_pairs_is_trimmed_not_followed() {
    // Ten pairs: seven +5 % (±0.5 %); in two a neighbour slowed the head by half, in one the base.
    let mut base = [100.0; 10];
    base[6] = 140.0;
    let k = [1.05, 1.055, 1.045, 1.05, 1.5, 1.052, 1.048 * 1.4, 1.05, 1.55, 1.051];
    let head: Vec<f64> = k.iter().map(|k| 100.0 * k).collect();
    let head = {
        let mut h = head;
        h[6] = 104.8; // the pair's head ran normally
        h
    };
    let pair = NoiseEstimate { run_sd: 0.01, runs: 40, pair_sd: Some(0.01), pairs: 20 };
    let j = judged(&base, &head, Some(pair), true);
    assert_eq!(j.head.second_mode, vec![4, 6, 8], "{j:?}");
    assert_eq!(j.base.second_mode, j.head.second_mode);
    assert!(j.head.outliers.is_empty());
    assert!((j.change.estimate - 0.05).abs() < 0.005, "the trimmed mean ignores the mode: {:?}", j.change);
    assert_eq!(j.verdict, Verdict::Regressed, "{j:?}");
    // A/A with a mode on both sides: nothing confident.
    let k = [1.0, 1.005, 0.995, 1.0, 1.5, 1.002, 0.998, 1.0, 0.66, 1.001];
    let head: Vec<f64> = k.iter().map(|k| 100.0 * k).collect();
    let j = judged(&base, &head, Some(pair), true);
    assert_ne!(j.verdict, Verdict::Regressed, "{j:?}");
    assert_ne!(j.verdict, Verdict::Improved, "{j:?}");
}

/// Six rounds with shared drift; base lacks round 2 and head lacks round 4, so both sides have
/// five values and pairing them in order would pair different rounds from round 2 on.
fn gappy(k: f64) -> (Series, Series) {
    const DRIFT6: [f64; 6] = [100.0, 104.0, 97.0, 102.0, 96.0, 103.0];
    const JITTER6: [f64; 6] = [1.003, 0.997, 1.002, 0.998, 1.0, 1.001];
    let b_rounds = [0, 1, 3, 4, 5];
    let h_rounds = [0, 1, 2, 3, 5];
    let base = Series::lower_is_better("b", Unit::Nanoseconds, b_rounds.iter().map(|&r| DRIFT6[r]).collect())
        .with_round_of(b_rounds.to_vec());
    let head =
        Series::lower_is_better("b", Unit::Nanoseconds, h_rounds.iter().map(|&r| DRIFT6[r] * JITTER6[r] * k).collect())
            .with_round_of(h_rounds.to_vec());
    (base, head)
}

fn judged_series(base: Series, head: Series) -> Judgement {
    let config = GateConfig { paired: true, ..GateConfig::default() };
    match judge(&[base], &[head], &BTreeMap::new(), &config).as_slice() {
        [Row::Judged(j)] => j.clone(),
        other => panic!("expected one judged row, got {other:?}"),
    }
}

#[test]
fn rounds_missing_on_one_side_are_paired_by_round_not_by_position() {
    let (base, head) = gappy(1.05);
    let j = judged_series(base.clone(), head.clone());
    assert_eq!(j.verdict, Verdict::Regressed, "{j:?}");
    assert!((j.change.estimate - 0.05).abs() < 0.003, "{:?}", j.change);
    assert_eq!((j.base.rounds, j.head.rounds), (4, 4), "rounds 0, 1, 3 and 5 are the pairs");
    // The same values without round indices are paired by position: 4 of the 5 pairs mix
    // rounds, and the drift between rounds drowns the +5 %.
    let strip = |s: Series| Series { round_of: Vec::new(), ..s };
    let blind = judged_series(strip(base), strip(head));
    assert_ne!(blind.verdict, Verdict::Regressed, "{blind:?}");
}

#[test]
fn sides_with_fewer_than_two_rounds_in_common_are_judged_unpaired() {
    let base = series(&DRIFT[..3]).with_round_of(vec![0, 1, 2]);
    let head = series(&head(1.0)[..3]).with_round_of(vec![2, 3, 4]);
    let j = judged_series(base, head);
    assert_eq!((j.base.rounds, j.head.rounds), (3, 3), "nothing dropped when nothing can be paired");
    assert_ne!(j.verdict, Verdict::Regressed, "{j:?}");
}
