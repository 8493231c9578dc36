//! Branch-by-branch tests of the decision on synthetic data with known answers.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::metrics::Direction;

const BASE: [f64; 5] = [100.0, 100.4, 99.6, 100.2, 99.8];

fn series(id: &str, rounds: &[f64]) -> Series {
    Series::lower_is_better(id, Unit::Nanoseconds, rounds.to_vec())
}

fn scaled(rounds: &[f64], k: f64) -> Vec<f64> {
    rounds.iter().map(|r| r * k).collect()
}

fn one(base: &[f64], head: &[f64], noise: Option<NoiseEstimate>) -> Judgement {
    let noise: BTreeMap<String, NoiseEstimate> = noise.map(|n| ("b".to_owned(), n)).into_iter().collect();
    let rows = judge(&[series("b", base)], &[series("b", head)], &noise, &GateConfig::default());
    match rows.as_slice() {
        [Row::Judged(j)] => j.clone(),
        other => panic!("expected one judged row, got {other:?}"),
    }
}

fn cal(run_sd: f64) -> Option<NoiseEstimate> {
    Some(NoiseEstimate::unpaired(run_sd, 30))
}

#[test]
fn ten_percent_slower_is_regressed_with_its_interval() {
    let j = one(&BASE, &scaled(&BASE, 1.10), cal(0.005));
    assert_eq!(j.verdict, Verdict::Regressed);
    assert!((j.change.estimate - 0.10).abs() < 1e-9, "{:?}", j.change);
    assert!(j.change.lower > 0.08 && j.change.upper < 0.12 && j.change.lower < 0.10 && 0.10 < j.change.upper);
    assert!(j.significant && j.p_value < 1e-6);
    assert_eq!(j.noise.source, NoiseSource::Calibrated);
    assert_eq!(j.change.confidence, 0.99);
}

#[test]
fn ten_percent_faster_is_improved() {
    let j = one(&BASE, &scaled(&BASE, 0.90), cal(0.005));
    assert_eq!(j.verdict, Verdict::Improved);
    assert!((j.change.estimate + 0.10).abs() < 1e-9);
}

#[test]
fn same_figures_are_unchanged() {
    let head = [100.1, 99.7, 100.3, 99.9, 100.0];
    let j = one(&BASE, &head, cal(0.005));
    assert_eq!(j.verdict, Verdict::Unchanged);
    assert!(!j.significant);
    assert!(j.change.lower > -0.03 && j.change.upper < 0.03);
}

#[test]
fn a_significant_change_below_the_threshold_is_unchanged() {
    // +1 %, measured precisely: real, but smaller than the 3 % that fails a build.
    let j = one(&BASE, &scaled(&BASE, 1.01), cal(0.002));
    assert!(j.significant);
    assert_eq!(j.verdict, Verdict::Unchanged);
}

#[test]
fn an_interval_straddling_the_threshold_is_inconclusive() {
    // +2.9 % with 0.5 % run noise: interval ≈ [1.9 %, 3.9 %] contains 3 %; floor ≈ 1.4 % < 3 %.
    let j = one(&BASE, &scaled(&BASE, 1.029), cal(0.005));
    assert!(j.change.lower < 0.03 && j.change.upper > 0.03, "{:?}", j.change);
    assert!(j.noise.floor < 0.03);
    assert_eq!(j.verdict, Verdict::Inconclusive);
}

#[test]
fn a_noise_floor_above_the_threshold_is_too_noisy() {
    // 5 % run noise with five rounds: floor ≈ 15 %; a +2 % difference says nothing.
    let j = one(&BASE, &scaled(&BASE, 1.02), cal(0.05));
    assert!(j.noise.floor > 0.03);
    assert_eq!(j.verdict, Verdict::TooNoisy);
}

#[test]
fn a_huge_change_is_confident_even_on_a_noisy_benchmark() {
    let j = one(&BASE, &scaled(&BASE, 1.60), cal(0.05));
    assert_eq!(j.verdict, Verdict::Regressed);
}

#[test]
fn calibrated_noise_overrides_a_deceptively_tight_spread() {
    // Rounds close in time agree to 0.1 % but share a +4 % offset; calibration knows this
    // benchmark moves 3 % between runs, so the gate does not cry wolf.
    let base = [100.0, 100.1, 99.9];
    let head = [104.0, 104.1, 103.9];
    let tight = one(&base, &head, None);
    assert_eq!(tight.verdict, Verdict::Regressed, "without calibration the spread alone is trusted");
    assert_eq!(tight.noise.source, NoiseSource::Measured);
    let j = one(&base, &head, cal(0.03));
    assert_eq!(j.noise.source, NoiseSource::Calibrated);
    assert_ne!(j.verdict, Verdict::Regressed);
}

#[test]
fn one_round_a_side_without_calibration_assumes_noise_and_says_so() {
    let j = one(&[100.0], &[110.0], None);
    assert_eq!(j.noise.source, NoiseSource::Assumed);
    assert_eq!(j.noise.run_sd, ASSUMED_RUN_SD);
    assert_eq!(j.verdict, Verdict::Regressed);
    let j = one(&[100.0], &[105.0], None);
    assert_eq!(j.verdict, Verdict::TooNoisy);
}

#[test]
fn one_round_a_side_uses_calibration() {
    let j = one(&[100.0], &[105.0], cal(0.005));
    assert_eq!(j.noise.source, NoiseSource::Calibrated);
    assert_eq!(j.verdict, Verdict::Regressed);
}

#[test]
fn an_outlier_round_is_set_aside_and_reported() {
    let head = [100.1, 99.7, 140.0, 99.9, 100.0];
    let j = one(&BASE, &head, cal(0.005));
    assert_eq!(j.head.outliers, vec![2]);
    assert!(j.base.outliers.is_empty());
    assert_eq!(j.verdict, Verdict::Unchanged);
    assert!((j.head.typical - 99.925).abs() < 0.01);
}

#[test]
fn higher_is_better_metrics_regress_when_they_fall() {
    let b = Series {
        id: "rps".into(),
        unit: Unit::Metric("req/s".into()),
        direction: Direction::Higher,
        rounds: BASE.to_vec(),
        within: Vec::new(),
        round_of: Vec::new(),
    };
    let h = Series { rounds: scaled(&BASE, 0.9), ..b.clone() };
    let noise = BTreeMap::from([("rps".to_owned(), NoiseEstimate::unpaired(0.005, 30))]);
    let rows = judge(std::slice::from_ref(&b), &[h], &noise, &GateConfig::default());
    let Row::Judged(j) = &rows[0] else { panic!("{rows:?}") };
    assert_eq!(j.verdict, Verdict::Regressed);
    assert!((j.change.estimate + 0.1).abs() < 1e-9, "the change is reported in the metric's own terms");
    let h = Series { rounds: scaled(&BASE, 1.1), ..b.clone() };
    let rows = judge(&[b], &[h], &noise, &GateConfig::default());
    assert!(matches!(&rows[0], Row::Judged(j) if j.verdict == Verdict::Improved));
}

#[test]
fn deterministic_figures_judge_exactly() {
    let same = one(&[10.0; 4], &[10.0; 4], None);
    assert_eq!((same.verdict, same.p_value), (Verdict::Unchanged, 1.0));
    let more = one(&[10.0; 4], &[11.0; 4], None);
    assert_eq!((more.verdict, more.p_value), (Verdict::Regressed, 0.0));
    let slightly = one(&[100.0; 4], &[101.0; 4], None);
    assert_eq!(slightly.verdict, Verdict::Unchanged);
}

#[test]
fn added_removed_and_invalid_rows_are_listed_in_id_order() {
    let base = vec![series("a", &BASE), series("gone", &BASE), series("nan", &BASE), series("m", &BASE)];
    let head = vec![
        series("a", &BASE),
        series("new", &BASE),
        series("nan", &[100.0, f64::NAN]),
        Series::lower_is_better("m", Unit::Bytes, BASE.to_vec()),
        series("zero", &[0.0]),
        series("empty", &[]),
    ];
    let rows = judge(&base, &head, &BTreeMap::new(), &GateConfig::default());
    let ids: Vec<&str> = rows.iter().map(Row::id).collect();
    assert_eq!(ids, ["a", "empty", "gone", "m", "nan", "new", "zero"]);
    assert!(matches!(&rows[0], Row::Judged(_)));
    assert!(matches!(&rows[1], Row::Invalid { reason, .. } if reason == "head has no rounds"));
    assert!(matches!(&rows[2], Row::Removed { base, .. } if (base - 100.0).abs() < 0.01));
    assert!(matches!(&rows[3], Row::Invalid { reason, .. } if reason.contains("unit or direction differs")));
    assert!(
        matches!(&rows[4], Row::Invalid { reason, .. } if reason.starts_with("head round 2 has figure NaN (must be finite and positive)"))
    );
    assert!(matches!(&rows[5], Row::Added { .. }));
    assert!(matches!(&rows[6], Row::Invalid { reason, .. } if reason.contains("figure 0")));
    let cmp =
        Comparison { base_names: vec![], head_names: vec![], config: GateConfig::default(), rows, warnings: vec![] };
    assert_eq!(cmp.outcome(), Outcome::CannotJudge);
    let t = cmp.tally();
    assert_eq!((t.unchanged, t.added, t.removed, t.invalid), (1, 1, 1, 4));
}

#[test]
fn the_suite_wide_correction_keeps_a_lone_marginal_change_from_failing_a_large_suite() {
    // A +4 % change whose p-value (≈ 0.002) passes alpha = 1 % on its own…
    let noise = |ids: &[String]| ids.iter().map(|id| (id.clone(), NoiseEstimate::unpaired(0.02, 200))).collect();
    let lone = vec![series("x", &BASE)];
    let lone_head = vec![series("x", &scaled(&BASE, 1.04))];
    let rows = judge(&lone, &lone_head, &noise(&["x".into()]), &GateConfig::default());
    let Row::Judged(j) = &rows[0] else { panic!() };
    assert!(j.p_value < 0.01 && j.p_value > 0.01 / 20.0, "p = {}", j.p_value);
    assert_eq!(j.verdict, Verdict::Regressed);
    // …is not a discovery among 20 benchmarks where nothing else moved (needs p ≤ 0.01 / 20).
    let ids: Vec<String> = (0..20).map(|i| format!("b{i:02}")).collect();
    let base: Vec<Series> = ids.iter().map(|id| series(id, &BASE)).collect();
    let mut head = base.clone();
    head[0].rounds = scaled(&BASE, 1.04);
    let rows = judge(&base, &head, &noise(&ids), &GateConfig::default());
    let Row::Judged(j) = &rows[0] else { panic!() };
    assert!(!j.significant);
    assert_ne!(j.verdict, Verdict::Regressed);
}

#[test]
fn config_rejects_out_of_range_values_naming_the_field() {
    assert!(GateConfig::new(0.03, 0.01, 0.95).is_ok());
    let e = GateConfig::new(3.0, 0.01, 0.95).unwrap_err();
    assert_eq!(e.field, "threshold");
    assert!(e.to_string().contains("0.03 = 3 %"));
    assert_eq!(GateConfig::new(0.03, 0.0, 0.95).unwrap_err().field, "alpha");
    assert_eq!(GateConfig::new(0.03, 0.01, 1.0).unwrap_err().field, "power");
}

fn rounds(n: usize) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(0.99f64..1.01, n)
}

proptest! {
    /// A/A: both sides drawn from the same ±1 % band never regress with calibrated noise 1 %.
    #[test]
    fn aa_never_regresses(b in rounds(5), h in rounds(5), level in 1e-3f64..1e6) {
        let j = one(&scaled(&b, level), &scaled(&h, level), cal(0.01));
        prop_assert!(!matches!(j.verdict, Verdict::Regressed | Verdict::Improved), "{j:?}");
    }

    /// Units do not matter: scaling both sides by the same factor changes no verdict.
    #[test]
    fn verdicts_are_scale_free(b in rounds(4), h in rounds(4), k in 0.8f64..1.3, level in 1e-3f64..1e6) {
        let h = scaled(&h, k);
        let a = one(&b, &h, cal(0.01));
        let s = one(&scaled(&b, level), &scaled(&h, level), cal(0.01));
        prop_assert_eq!(a.verdict, s.verdict);
        prop_assert!((a.change.estimate - s.change.estimate).abs() < 1e-9);
    }

    /// Swapping sides mirrors the verdict.
    #[test]
    fn swapping_sides_mirrors(b in rounds(4), h in rounds(4), k in 0.7f64..1.4) {
        let h = scaled(&h, k);
        let fwd = one(&b, &h, cal(0.01)).verdict;
        let back = one(&h, &b, cal(0.01)).verdict;
        let mirrored = match fwd { Verdict::Regressed => Verdict::Improved, Verdict::Improved => Verdict::Regressed, v => v };
        prop_assert_eq!(back, mirrored);
    }
}

#[test]
fn the_threshold_is_a_ratio_in_either_direction() {
    let rps = |k: f64| Series {
        id: "rps".into(),
        unit: Unit::Metric("req/s".into()),
        direction: Direction::Higher,
        rounds: scaled(&BASE, k),
        within: Vec::new(),
        round_of: Vec::new(),
    };
    let noise = BTreeMap::from([("rps".to_owned(), NoiseEstimate::unpaired(0.001, 30))]);
    let verdict = |k: f64| match &judge(&[rps(1.0)], &[rps(k)], &noise, &GateConfig::default())[0] {
        Row::Judged(j) => j.verdict,
        other => panic!("{other:?}"),
    };
    // Throughput divided by more than 1.03 (a drop of more than 2.9 %) regresses.
    assert_ne!(verdict(1.0 / 1.025), Verdict::Regressed);
    assert_eq!(verdict(1.0 / 1.04), Verdict::Regressed);
    assert_ne!(verdict(1.025), Verdict::Improved);
    assert_eq!(verdict(1.04), Verdict::Improved);
}

#[test]
fn a_confident_change_below_the_threshold_is_never_too_noisy() {
    // +2.5 % measured with enough precision to be significant, interval reaching past 3 %.
    let j = one(&BASE, &scaled(&BASE, 1.025), cal(0.006));
    assert!(j.significant, "{j:?}");
    assert_eq!(j.verdict, Verdict::Inconclusive);
}

#[test]
fn few_rounds_without_calibration_keep_every_round() {
    // With five rounds and no calibration the spread of the rounds is not trusted to call one
    // of them an outlier: all are kept and the interval is honestly wide.
    let j = one(&BASE, &[100.0, 100.2, 99.8, 100.1, 106.0], None);
    assert!(j.head.outliers.is_empty());
    assert_ne!(j.verdict, Verdict::Regressed);
}

#[test]
fn a_second_mode_is_noise_not_outliers() {
    // Two of five rounds in a slow mode (+60 %): not set aside, so the interval is wide and an
    // A/A comparison that drew more slow rounds on one side does not turn into a regression.
    let base = [200.0, 201.0, 199.0, 200.5, 199.5];
    let head = [200.0, 330.0, 201.0, 329.0, 199.0];
    let j = one(&base, &head, cal(0.02));
    assert!(j.head.outliers.is_empty(), "{j:?}");
    assert_eq!(j.head.second_mode, vec![1, 3], "reported, so the benchmark can be fixed");
    assert!(j.base.second_mode.is_empty());
    assert_ne!(j.verdict, Verdict::Regressed);
    // One wild round in five is still an outlier, not a mode.
    let j = one(&base, &[200.0, 330.0, 201.0, 200.2, 199.0], cal(0.02));
    assert_eq!(j.head.outliers, vec![1]);
    assert!(j.head.second_mode.is_empty());
}

#[test]
fn a_round_disturbed_while_it_ran_is_as_noisy_as_its_samples() {
    // One round a side, +8 %: confident with 2 % assumed noise, but the head run's own samples
    // spread so much (5 % standard error of its median) that it cannot be.
    let b = series("b", &[100.0]).with_within(vec![0.002]);
    let h = series("b", &[108.0]).with_within(vec![0.07]);
    let rows = judge(std::slice::from_ref(&b), std::slice::from_ref(&h), &BTreeMap::new(), &GateConfig::default());
    let Row::Judged(j) = &rows[0] else { panic!("{rows:?}") };
    assert_eq!(j.noise.source, NoiseSource::WithinRun);
    assert!((j.noise.run_sd - ((0.002f64.powi(2) + 0.07f64.powi(2)) / 2.0).sqrt()).abs() < 1e-12);
    assert_ne!(j.verdict, Verdict::Regressed, "{j:?}");
    // Steady samples leave the between-run noise in charge.
    let h = series("b", &[108.0]).with_within(vec![0.002]);
    let rows = judge(std::slice::from_ref(&b), &[h], &BTreeMap::new(), &GateConfig::default());
    let Row::Judged(j) = &rows[0] else { panic!("{rows:?}") };
    assert_eq!(j.noise.source, NoiseSource::Assumed);
    assert_eq!(j.verdict, Verdict::Regressed);
    // Unknown for some round: not used.
    let h = series("b", &[108.0]).with_within(vec![0.0]);
    let rows = judge(&[b], &[h], &BTreeMap::new(), &GateConfig::default());
    let Row::Judged(j) = &rows[0] else { panic!("{rows:?}") };
    assert_eq!(j.noise.source, NoiseSource::Assumed);
}
