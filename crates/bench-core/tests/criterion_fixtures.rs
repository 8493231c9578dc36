//! Reading real criterion output: `tests/fixtures/criterion/v0.8.2` and `v0.5.1` were written by
//! criterion itself (see the README there for the bench that produced them).

use std::path::{Path, PathBuf};

use bench_core::criterion_output::{CriterionDir, FormatGeneration, SamplingMode, Throughput};

fn fixture(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/criterion").join(version)
}

const COMMON: [&str; 7] = [
    "flat/slow",
    "odd: name?/7",
    "odd: name?/a/b/x*y",
    "plain",
    "tp/bytes/1024",
    "tp/bytes_decimal/1000",
    "tp/elements/64",
];

#[test]
fn reads_criterion_0_8_output() {
    let c = CriterionDir::locate(Some(&fixture("v0.8.2")));
    let names: Vec<String> = c.baselines().unwrap().into_iter().collect();
    assert_eq!(names, ["base", "main", "new"]);
    let runs = c.read_baseline("main").unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    let mut expected: Vec<&str> = COMMON.into();
    expected.extend(["tp/bits/8192", "tp/elements_and_bytes/16"]);
    expected.sort();
    assert_eq!(ids, expected);

    let by_id = |id: &str| runs.iter().find(|r| r.id == id).unwrap();
    assert_eq!(by_id("tp/bits/8192").throughput, Some(Throughput::Bits(8192)));
    assert_eq!(
        by_id("tp/elements_and_bytes/16").throughput,
        Some(Throughput::ElementsAndBytes { elements: 16, bytes: 256 })
    );
    check_common(&runs, &fixture("v0.8.2"));
}

#[test]
fn reads_criterion_0_5_output() {
    let c = CriterionDir::at(fixture("v0.5.1"));
    let runs = c.read_baseline("main").unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, COMMON);
    check_common(&runs, &fixture("v0.5.1"));
    // Same on-disk generation as 0.8: no mixed-version warning between them.
    let new = CriterionDir::at(fixture("v0.8.2")).read_baseline("new").unwrap();
    assert!(runs.iter().chain(&new).all(|r| r.format == FormatGeneration::SavedSample));
}

fn check_common(runs: &[bench_core::criterion_output::BenchRun], root: &Path) {
    let by_id = |id: &str| runs.iter().find(|r| r.id == id).unwrap();
    assert_eq!(by_id("tp/bytes/1024").throughput, Some(Throughput::Bytes(1024)));
    assert_eq!(by_id("tp/bytes_decimal/1000").throughput, Some(Throughput::BytesDecimal(1000)));
    assert_eq!(by_id("tp/elements/64").throughput, Some(Throughput::Elements(64)));
    let plain = by_id("plain");
    assert_eq!((plain.group.as_str(), plain.function.as_deref(), plain.value.as_deref()), ("plain", None, None));
    assert_eq!((plain.throughput, plain.sampling), (None, SamplingMode::Linear));
    // Flat mode: equal iteration counts, `slope: null` in estimates.json.
    let flat = by_id("flat/slow");
    assert_eq!(flat.sampling, SamplingMode::Flat);
    assert!(std::fs::read_to_string(flat.dir.join("estimates.json")).unwrap().contains("\"slope\":null"));
    // criterion sanitises directory names; the id keeps the original.
    let odd = by_id("odd: name?/a/b/x*y");
    assert_eq!((odd.function.as_deref(), odd.value.as_deref()), (Some("a/b"), Some("x*y")));
    assert_eq!(odd.dir, root.join("odd_ name_/a_b/x_y/main"));
    for r in runs {
        assert_eq!(r.per_iteration.len(), 10, "{}", r.id);
        assert!(r.per_iteration.iter().all(|x| x.is_finite() && *x > 0.0), "{}", r.id);
        // The recomputed median matches criterion's own median estimate.
        let est = r.estimates_median.unwrap();
        assert!((r.typical - est).abs() <= 1e-9 * est, "{}: {} vs {est}", r.id, r.typical);
    }
}

#[test]
fn change_and_report_directories_are_not_baselines() {
    // Every fixture benchmark has a `change/` directory from the `--baseline main` run.
    let root = fixture("v0.8.2");
    assert!(root.join("plain/change/estimates.json").is_file());
    let c = CriterionDir::at(&root);
    assert!(!c.baselines().unwrap().contains("change"));
    let e = c.read_baseline("change").unwrap_err().to_string();
    assert!(e.contains("available: base, main, new") && e.contains("--save-baseline change"), "{e}");
}
