//! Calibration: noise estimated from A/A runs, the file's round trip and its refusals.

use super::*;
use crate::gate::{Series, Unit};

fn series(id: &str, rounds: &[f64]) -> Series {
    Series::lower_is_better(id, Unit::Nanoseconds, rounds.to_vec())
}

#[test]
fn calibration_estimates_noise_and_drops_short_benchmarks() {
    let fp = crate::baseline::Fingerprint::detect();
    let run = |k: f64| vec![series("steady", &[100.0 * k]), series("late", &[50.0])];
    let mut runs: Vec<Vec<Series>> = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98].iter().map(|&k| run(k)).collect();
    runs[0].pop(); // "late" appears in five runs, still ≥ 3
    let c = Calibration::from_runs(&runs, fp.clone(), "now".into()).unwrap();
    let steady = c.benchmarks["steady"];
    assert_eq!(steady.runs, 6);
    assert!((steady.run_sd - 0.01414).abs() < 5e-4, "{steady:?}");
    assert!(c.benchmarks["late"].run_sd < 1e-12);
    assert!(matches!(
        Calibration::from_runs(&runs[..2], fp, "now".into()),
        Err(CalibrationError::TooFewRuns { runs: 2 })
    ));
}

#[test]
fn calibration_files_round_trip_and_refuse_other_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baselines").join(CALIBRATION_FILE);
    let runs: Vec<Vec<Series>> = (0..4).map(|i| vec![series("x", &[100.0 + i as f64])]).collect();
    let c = Calibration::from_runs(&runs, crate::baseline::Fingerprint::detect(), "t".into()).unwrap();
    c.save(&path).unwrap();
    assert_eq!(Calibration::load(&path).unwrap(), c);
    assert_eq!(Calibration::discover(&dir.path().join("a/b"), super::Pairing::BackToBack), Some(path.clone()));
    // Duets have their own file; a back-to-back calibration never serves them.
    assert_eq!(Calibration::discover(&dir.path().join("a/b"), super::Pairing::Duet), None);
    let duet = Calibration { pairing: super::Pairing::Duet, ..c.clone() };
    let duet_path = dir.path().join("baselines").join(super::Pairing::Duet.file_name());
    duet.save(&duet_path).unwrap();
    assert_eq!(Calibration::discover(dir.path(), super::Pairing::Duet), Some(duet_path.clone()));
    assert_eq!(Calibration::load(&duet_path).unwrap().pairing, super::Pairing::Duet);
    // Files written before `pairing` existed are back-to-back.
    let mut old = serde_json::to_value(&c).unwrap();
    old.as_object_mut().unwrap().remove("pairing");
    crate::results::write_json_atomic(&duet_path, &old).unwrap();
    assert_eq!(Calibration::load(&duet_path).unwrap().pairing, super::Pairing::BackToBack);
    let mut v = serde_json::to_value(&c).unwrap();
    v["schema_version"] = 7.into();
    crate::results::write_json_atomic(&path, &v).unwrap();
    let msg = Calibration::load(&path).unwrap_err().to_string();
    assert!(msg.contains("schema_version 7") && msg.contains("noisegate calibrate"), "{msg}");
}

#[test]
fn calibration_ignores_unusable_figures_and_rejects_unusable_files() {
    let fp = crate::baseline::Fingerprint::detect();
    let runs: Vec<Vec<Series>> =
        [100.0, 101.0, f64::NAN, 99.0, 100.5].iter().map(|&v| vec![series("x", &[v])]).collect();
    let c = Calibration::from_runs(&runs, fp, "t".into()).unwrap();
    assert_eq!(c.benchmarks["x"].runs, 4);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CALIBRATION_FILE);
    let mut v = serde_json::to_value(&c).unwrap();
    v["benchmarks"]["x"]["run_sd"] = (-0.01).into();
    crate::results::write_json_atomic(&path, &v).unwrap();
    let msg = Calibration::load(&path).unwrap_err().to_string();
    assert!(msg.contains("`x`") && msg.contains("run_sd -0.01"), "{msg}");
}

#[test]
fn merging_keeps_benchmarks_not_recalibrated() {
    let fp = crate::baseline::Fingerprint::detect();
    let runs = |id: &str| -> Vec<Vec<Series>> { (0..3).map(|i| vec![series(id, &[100.0 + i as f64])]).collect() };
    let old = Calibration::from_runs(&runs("a"), fp.clone(), "old".into()).unwrap();
    let new = Calibration::from_runs(&runs("b"), fp, "new".into()).unwrap();
    let merged = new.merged_into(old);
    assert_eq!(merged.benchmarks.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(merged.created, "new");
}

#[test]
fn calibration_measures_back_to_back_pairs() {
    // Three pairs far apart in level (drift between pairs) but close within each pair.
    let levels = [100.0, 100.4, 110.0, 109.6, 90.0, 90.3, 105.0, 105.2];
    let runs: Vec<Vec<Series>> = levels.iter().map(|&v| vec![series("b", &[v])]).collect();
    let c = Calibration::from_runs(&runs, crate::baseline::Fingerprint::detect(), "t".into()).unwrap();
    let n = c.benchmarks["b"];
    assert_eq!(n.pairs, 4);
    let expect =
        ([100.4 / 100.0, 109.6 / 110.0, 90.3 / 90.0, 105.2 / 105.0f64].iter().map(|r| r.ln().powi(2)).sum::<f64>()
            / 4.0)
            .sqrt();
    assert!((n.pair_sd.unwrap() - expect).abs() < 1e-12, "{n:?}");
    assert!(n.run_sd > 0.05, "{n:?}");
}

#[test]
fn calibration_pairs_skip_runs_missing_the_benchmark() {
    let mut runs: Vec<Vec<Series>> =
        [100.0, 100.5, 100.0, 100.5, 100.0, 100.5].iter().map(|&v| vec![series("b", &[v])]).collect();
    runs[2].clear(); // the second pair loses its first run
    let n = Calibration::from_runs(&runs, crate::baseline::Fingerprint::detect(), "t".into()).unwrap().benchmarks["b"];
    assert_eq!(n.pairs, 2);
    assert!((n.pair_sd.unwrap() - (100.5f64 / 100.0).ln()).abs() < 1e-12);
}

#[test]
fn calibration_files_without_pairs_still_load_and_bad_pairs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CALIBRATION_FILE);
    let runs: Vec<Vec<Series>> = (0..4).map(|i| vec![series("b", &[100.0 + i as f64])]).collect();
    let c = Calibration::from_runs(&runs, crate::baseline::Fingerprint::detect(), "t".into()).unwrap();
    let mut v = serde_json::to_value(&c).unwrap();
    // A file from before pairs were measured.
    let b = v["benchmarks"]["b"].as_object_mut().unwrap();
    b.remove("pair_sd");
    b.remove("pairs");
    crate::results::write_json_atomic(&path, &v).unwrap();
    let old = Calibration::load(&path).unwrap();
    assert_eq!(old.benchmarks["b"].pair_sd, None);
    v["benchmarks"]["b"]["pair_sd"] = (-1.0).into();
    crate::results::write_json_atomic(&path, &v).unwrap();
    let msg = Calibration::load(&path).unwrap_err().to_string();
    assert!(msg.contains("`b`") && msg.contains("pair_sd"), "{msg}");
}
