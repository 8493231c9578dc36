//! Export → import round trips of committed baselines, on real criterion output.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bench_core::baseline::{self, BaselineError, Fingerprint};
use bench_core::criterion_output::{CriterionDir, CriterionError};
use bench_core::metrics::SystemMetrics;
use bench_core::results::{ResultsDir, read_system_metrics};

fn fixture(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/criterion").join(version)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// Every file of baseline `name` below `root`, relative path → bytes.
fn baseline_files(root: &Path, name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let c = CriterionDir::at(root);
    let mut out = Vec::new();
    for run in c.read_baseline(name).unwrap() {
        for entry in std::fs::read_dir(&run.dir).unwrap() {
            let p = entry.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().parent().unwrap().parent().unwrap().join(p.file_name().unwrap());
            out.push((rel, std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

struct Env {
    _tmp: tempfile::TempDir,
    criterion: CriterionDir,
    results: ResultsDir,
    out: PathBuf,
}

fn env(version: &str) -> Env {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture(version), &tmp.path().join("criterion"));
    let results = ResultsDir::at(tmp.path().join("noisegate"));
    let m = SystemMetrics::new("latency/rr", bench_core::run_context!(Duration::from_secs(1), Duration::ZERO));
    results.write("latency/rr", "main", "metrics.json", &m).unwrap();
    results.write("latency/rr", "new", "metrics.json", &m).unwrap();
    Env {
        criterion: CriterionDir::at(tmp.path().join("criterion")),
        results,
        out: tmp.path().join("baselines"),
        _tmp: tmp,
    }
}

fn fresh() -> (tempfile::TempDir, CriterionDir, ResultsDir) {
    let tmp = tempfile::tempdir().unwrap();
    let c = CriterionDir::at(tmp.path().join("criterion"));
    let r = ResultsDir::at(tmp.path().join("noisegate"));
    (tmp, c, r)
}

#[test]
fn export_then_import_reproduces_criterions_files_byte_for_byte() {
    for version in ["v0.8.2", "v0.5.1"] {
        let e = env(version);
        let file = baseline::export(&e.criterion, &e.results, "main", &e.out).unwrap();
        assert_eq!(file, e.out.join("main.json"));
        let b = baseline::load(&file).unwrap();
        assert_eq!((b.schema_version, b.name.as_str()), (1, "main"));
        assert_eq!(b.fingerprint, Fingerprint::detect());
        assert!(b.created.ends_with('Z'), "{}", b.created);
        assert_eq!(b.metrics.len(), 1);
        assert_eq!(b.metrics[0].dir, "latency/rr");

        let (_tmp, c, r) = fresh();
        let summary = baseline::import(&file, &c, &r, None).unwrap();
        assert_eq!((summary.name.as_str(), summary.metrics), ("main", 1));
        assert_eq!(summary.benchmarks, b.benchmark_ids().len());
        assert!(summary.differences.is_empty() && summary.kept_local.is_empty(), "{summary}");
        let (got, want) = (baseline_files(c.root(), "main"), baseline_files(e.criterion.root(), "main"));
        assert_eq!(got.len(), want.len(), "{version}");
        for ((gp, g), (wp, w)) in got.iter().zip(&want) {
            assert_eq!(gp, wp);
            assert_eq!(String::from_utf8_lossy(g), String::from_utf8_lossy(w), "{version}: {}", gp.display());
        }
        let m = read_system_metrics(&r.bench_dir("latency/rr", "main").join("metrics.json")).unwrap();
        assert_eq!(m, b.metrics[0].metrics);
        // The baseline file's own view matches what criterion's directory now holds.
        let from_file = b.runs();
        let from_dir = c.read_baseline("main").unwrap();
        assert_eq!(from_file.len(), from_dir.len());
        for (a, d) in from_file.iter().zip(&from_dir) {
            assert_eq!((&a.id, &a.per_iteration, a.throughput), (&d.id, &d.per_iteration, d.throughput));
            assert_eq!(c.root().join(&a.dir), d.dir);
        }
        // Imported, so it came from "another" machine (here: this one); local data has no marker.
        assert_eq!(baseline::fingerprint_of(&c, "main"), Some(Fingerprint::detect()));
        assert_eq!(baseline::fingerprint_of(&e.criterion, "main"), None);
    }
}

#[test]
fn import_under_another_name() {
    let e = env("v0.8.2");
    let file = baseline::export(&e.criterion, &e.results, "main", &e.out).unwrap();
    let s = baseline::import(&file, &e.criterion, &e.results, Some("theirs")).unwrap();
    assert_eq!(s.name, "theirs");
    assert!(s.to_string().contains("imported baseline `theirs`"), "{s}");
    assert!(e.criterion.baselines().unwrap().contains("theirs"));
    assert!(e.results.bench_dir("latency/rr", "theirs").join("metrics.json").is_file());
    let e2 = baseline::import(&file, &e.criterion, &e.results, Some("new")).unwrap_err();
    assert!(matches!(e2, BaselineError::InvalidName { .. }), "{e2}");
}

#[test]
fn a_baseline_from_another_machine_warns_and_keeps_its_fingerprint() {
    let e = env("v0.8.2");
    let file = baseline::export(&e.criterion, &e.results, "main", &e.out).unwrap();
    let mut b = baseline::load(&file).unwrap();
    b.fingerprint.cpu_model = "Imaginary CPU 9000".into();
    b.git_commit = Some("abc123".into());
    std::fs::write(&file, serde_json::to_vec_pretty(&b).unwrap()).unwrap();

    let (tmp, c, r) = fresh();
    let s = baseline::import(&file, &c, &r, None).unwrap();
    assert_eq!(s.differences.len(), 1);
    assert!(s.to_string().contains("measured on another machine: cpu_model: Imaginary CPU 9000 vs"), "{s}");
    assert_eq!(baseline::fingerprint_of(&c, "main").unwrap().cpu_model, "Imaginary CPU 9000");
    // Re-exporting the imported baseline keeps where it was measured.
    let again = baseline::export(&c, &r, "main", &tmp.path().join("out")).unwrap();
    let again = baseline::load(&again).unwrap();
    assert_eq!(again.fingerprint.cpu_model, "Imaginary CPU 9000");
    assert_eq!(again.git_commit.as_deref(), Some("abc123"));

    // Once criterion has re-measured every benchmark here, the baseline is local again.
    let runs = c.read_baseline("main").unwrap();
    let later = SystemTime::now() + Duration::from_secs(60);
    for run in &runs[1..] {
        std::fs::File::options().write(true).open(run.dir.join("sample.json")).unwrap().set_modified(later).unwrap();
    }
    assert!(baseline::fingerprint_of(&c, "main").is_some(), "one benchmark is still imported");
    std::fs::File::options().write(true).open(runs[0].dir.join("sample.json")).unwrap().set_modified(later).unwrap();
    assert_eq!(baseline::fingerprint_of(&c, "main"), None);
}

#[test]
fn import_lists_local_benchmarks_the_file_lacks() {
    let old = env("v0.5.1");
    let file = baseline::export(&old.criterion, &old.results, "main", &old.out).unwrap();
    let e = env("v0.8.2");
    let s = baseline::import(&file, &e.criterion, &e.results, None).unwrap();
    assert_eq!(s.kept_local, ["tp/bits/8192", "tp/elements_and_bytes/16"]);
    assert!(s.to_string().contains("2 local benchmarks with baseline `main` are not in the file"), "{s}");
}

#[test]
fn unknown_baseline_exports_nothing() {
    let e = env("v0.8.2");
    let err = baseline::export(&e.criterion, &e.results, "nope", &e.out).unwrap_err();
    assert!(matches!(err, BaselineError::Criterion(CriterionError::UnknownBaseline { .. })), "{err}");
    assert!(err.to_string().contains("available: base, main, new"), "{err}");
    assert!(!e.out.exists());
}

#[test]
fn invalid_names_are_refused_before_reading() {
    let e = env("v0.8.2");
    for name in ["new", "", "a/b", "change", "report"] {
        let err = baseline::export(&e.criterion, &e.results, name, &e.out).unwrap_err();
        assert!(matches!(err, BaselineError::InvalidName { .. }), "{name}: {err}");
    }
}

#[test]
fn a_failed_export_leaves_the_existing_file_untouched() {
    let e = env("v0.8.2");
    let file = baseline::export(&e.criterion, &e.results, "main", &e.out).unwrap();
    let before = std::fs::read(&file).unwrap();
    // Truncate one sample, then a metrics file, and export again: both fail, the file stays.
    let sample = e.criterion.root().join("plain/main/sample.json");
    let good = std::fs::read(&sample).unwrap();
    std::fs::write(&sample, &good[..good.len() / 2]).unwrap();
    let err = baseline::export(&e.criterion, &e.results, "main", &e.out).unwrap_err().to_string();
    assert!(err.contains("plain/main/sample.json is corrupt or truncated"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), before);

    std::fs::write(&sample, good).unwrap();
    std::fs::write(e.results.bench_dir("latency/rr", "main").join("metrics.json"), "{").unwrap();
    let err = baseline::export(&e.criterion, &e.results, "main", &e.out).unwrap_err().to_string();
    assert!(err.contains("noisegate results of baseline `main`") && err.contains("metrics.json"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(&e.out).unwrap().map(|x| x.unwrap().file_name()).collect();
    assert_eq!(names, ["main.json"], "no temporary files left");
}

#[test]
fn export_needs_estimates_for_criterion_to_compare() {
    let e = env("v0.8.2");
    std::fs::remove_file(e.criterion.root().join("plain/main/estimates.json")).unwrap();
    let err = baseline::export(&e.criterion, &e.results, "main", &e.out).unwrap_err().to_string();
    assert!(err.contains("plain/main/estimates.json is missing") && err.contains("--save-baseline main"), "{err}");
}

#[test]
fn unwritable_output_is_a_clear_error() {
    let e = env("v0.8.2");
    // A regular file where the directory must be: fails for every user, root included.
    std::fs::write(&e.out, "not a directory").unwrap();
    let err = baseline::export(&e.criterion, &e.results, "main", &e.out).unwrap_err();
    assert!(matches!(err, BaselineError::Write { .. }), "{err}");
    assert!(err.to_string().contains("main.json") && err.to_string().contains("cannot write"), "{err}");
}

#[test]
fn corrupt_or_foreign_baseline_files_import_nothing() {
    let e = env("v0.8.2");
    let file = baseline::export(&e.criterion, &e.results, "main", &e.out).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();

    let (_tmp, c, r) = fresh();
    std::fs::write(&file, &text[..text.len() / 2]).unwrap();
    let err = baseline::import(&file, &c, &r, None).unwrap_err();
    assert!(matches!(err, BaselineError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("main.json") && err.to_string().contains("line "), "{err}");

    std::fs::write(&file, text.replacen("\"schema_version\": 1", "\"schema_version\": 2", 1)).unwrap();
    let err = baseline::import(&file, &c, &r, None).unwrap_err().to_string();
    assert!(err.contains("schema_version 2") && err.contains("reads version 1"), "{err}");
    assert!(!c.root().exists() && !r.root().exists(), "nothing was written");
}

#[test]
fn a_benchmark_directory_is_not_a_criterion_root() {
    let e = env("v0.8.2");
    let c = CriterionDir::at(e.criterion.root().join("plain"));
    let err = baseline::export(&c, &e.results, "main", &e.out).unwrap_err().to_string();
    assert!(err.contains("must be criterion's output root") && err.contains("--criterion-dir"), "{err}");
}

#[test]
fn a_baseline_of_scenario_results_alone_exports() {
    let e = env("v0.8.2");
    let (tmp, c, _) = fresh();
    let file = baseline::export(&c, &e.results, "main", &tmp.path().join("out")).unwrap();
    let b = baseline::load(&file).unwrap();
    assert!(b.benchmark_ids().is_empty());
    assert_eq!(b.metrics.len(), 1);
    // Without criterion data or results, the name is unknown.
    let err = baseline::export(&c, &e.results, "pr", &tmp.path().join("out")).unwrap_err();
    assert!(matches!(err, BaselineError::Criterion(CriterionError::MissingRoot { .. })), "{err}");
}
