//! Reader tests on hand-written trees; real criterion output is read in
//! `tests/criterion_fixtures.rs`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::reader::median;
use super::*;

const EST: &str = r#"{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0},"point_estimate":2.0,"standard_error":0.5}"#;

fn estimates() -> String {
    format!(r#"{{"mean":{EST},"median":{EST},"median_abs_dev":{EST},"slope":null,"std_dev":{EST}}}"#)
}

/// Writes `<root>/<rel>/<baseline>/` with a benchmark id `id` and the given `sample.json`.
fn bench(root: &Path, rel: &str, baseline: &str, id: &str, sample: &str) -> PathBuf {
    let dir = root.join(rel).join(baseline);
    std::fs::create_dir_all(&dir).unwrap();
    let b = format!(
        r#"{{"group_id":"{id}","function_id":null,"value_str":null,"throughput":null,"full_id":"{id}","directory_name":"{rel}","title":"{id}"}}"#
    );
    std::fs::write(dir.join("benchmark.json"), b).unwrap();
    std::fs::write(dir.join("sample.json"), sample).unwrap();
    std::fs::write(dir.join("estimates.json"), estimates()).unwrap();
    dir
}

const GOOD: &str = r#"{"sampling_mode":"Linear","iters":[1.0,2.0,3.0],"times":[10.0,40.0,30.0]}"#;

fn err(root: &Path, name: &str) -> String {
    CriterionDir::at(root).read_baseline(name).unwrap_err().to_string()
}

#[test]
fn locates_like_criterion() {
    let tmp = tempfile::tempdir().unwrap();
    let nested = tmp.path().join("crates/x/src");
    std::fs::create_dir_all(&nested).unwrap();
    let os = |s: &'static str| Some(OsStr::new(s));
    let r = |e: Option<&Path>, h, t| resolve_root(e, h, t, &nested);
    assert_eq!(r(Some(Path::new("/explicit")), os("/home"), os("/t")), PathBuf::from("/explicit"));
    assert_eq!(r(None, os("/home"), os("/t")), PathBuf::from("/home"));
    assert_eq!(r(None, os(""), os("/t")), PathBuf::from("/t/criterion"));
    // Nothing set and no target/criterion anywhere above: criterion's relative default (unless
    // the machine has a stray target/criterion above the temporary directory, which wins).
    let stray = nested.ancestors().map(|d| d.join("target/criterion")).find(|p| p.is_dir());
    assert_eq!(r(None, None, os("")), stray.unwrap_or_else(|| PathBuf::from("target/criterion")));
    // The workspace's target/criterion is found from a member's subdirectory.
    std::fs::create_dir_all(tmp.path().join("target/criterion")).unwrap();
    assert_eq!(r(None, None, None), tmp.path().join("target/criterion"));
}

#[test]
fn reads_a_baseline_and_computes_per_iteration_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = bench(tmp.path(), "g", "main", "g", GOOD);
    let runs = CriterionDir::at(tmp.path()).read_baseline("main").unwrap();
    assert_eq!(runs.len(), 1);
    let r = &runs[0];
    assert_eq!((r.id.as_str(), r.group.as_str(), r.function.as_deref()), ("g", "g", None));
    assert_eq!(r.per_iteration, vec![10.0, 20.0, 10.0]);
    assert_eq!(r.typical, 10.0);
    // (10 + 40 + 30) / (1 + 2 + 3)
    assert_eq!(r.total_per_iteration, 80.0 / 6.0);
    assert_eq!(r.estimates_median, Some(2.0));
    assert_eq!(r.sampling, SamplingMode::Linear);
    assert_eq!(r.format, FormatGeneration::SavedSample);
    assert_eq!(r.dir, dir);
    assert!(r.modified > std::time::SystemTime::UNIX_EPOCH);
}

#[test]
fn lists_baselines_and_skips_change_report_and_noisegate_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    bench(tmp.path(), "g", "new", "g", GOOD);
    bench(tmp.path(), "g", "main", "g", GOOD);
    // A function named `new` under group `g` with value `1`: the nesting is still unambiguous.
    bench(tmp.path(), "g/new/1", "new", "g/new/1", GOOD);
    std::fs::create_dir_all(tmp.path().join("g/change")).unwrap();
    std::fs::write(tmp.path().join("g/change/estimates.json"), "{}").unwrap();
    std::fs::create_dir_all(tmp.path().join("g/report")).unwrap();
    std::fs::write(tmp.path().join("g/report/index.html"), "<html>").unwrap();
    bench(tmp.path(), ".noisegate", "stray", "x", GOOD);
    let c = CriterionDir::at(tmp.path());
    let names: Vec<String> = c.baselines().unwrap().into_iter().collect();
    assert_eq!(names, ["main", "new"]);
    let ids: Vec<String> = c.read_baseline("new").unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, ["g", "g/new/1"]);
}

#[test]
fn missing_root_says_to_run_cargo_bench() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("nowhere");
    let e = CriterionDir::at(&root).read_baseline("main").unwrap_err();
    assert!(matches!(e, CriterionError::MissingRoot { .. }));
    let msg = e.to_string();
    assert!(msg.contains("nowhere") && msg.contains("cargo bench") && msg.contains("--criterion-dir"), "{msg}");
    assert!(CriterionDir::at(&root).baselines().is_err());
}

#[test]
fn unknown_baseline_lists_the_available_ones_and_how_to_create_it() {
    let tmp = tempfile::tempdir().unwrap();
    let msg = err(tmp.path(), "main");
    assert!(msg.contains("available: none") && msg.contains("--save-baseline main"), "{msg}");
    bench(tmp.path(), "g", "new", "g", GOOD);
    bench(tmp.path(), "h", "pr", "h", GOOD);
    let e = CriterionDir::at(tmp.path()).read_baseline("main").unwrap_err();
    let CriterionError::UnknownBaseline { available, .. } = &e else { panic!("{e}") };
    assert_eq!(available, &["new", "pr"]);
    let msg = e.to_string();
    assert!(msg.contains("`main`") && msg.contains("available: new, pr"), "{msg}");
    assert!(msg.contains(&tmp.path().display().to_string()), "{msg}");
}

#[test]
fn missing_sample_names_the_file_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = bench(tmp.path(), "g", "main", "g", GOOD);
    std::fs::remove_file(dir.join("sample.json")).unwrap();
    let msg = err(tmp.path(), "main");
    assert!(msg.contains("g/main/sample.json is missing"), "{msg}");
    assert!(msg.contains("cargo bench -- --save-baseline main"), "{msg}");
    // `new` is rewritten by a plain run.
    let dir = bench(tmp.path(), "g", "new", "g", GOOD);
    std::fs::remove_file(dir.join("sample.json")).unwrap();
    let msg = err(tmp.path(), "new");
    assert!(msg.contains("re-run `cargo bench` to rewrite it"), "{msg}");
}

#[test]
fn missing_estimates_is_not_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = bench(tmp.path(), "g", "main", "g", GOOD);
    std::fs::remove_file(dir.join("estimates.json")).unwrap();
    let runs = CriterionDir::at(tmp.path()).read_baseline("main").unwrap();
    assert_eq!(runs[0].estimates_median, None);
}

#[test]
fn truncated_json_is_corrupt_with_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    bench(tmp.path(), "g", "main", "g", r#"{"sampling_mode":"Linear","iters":[1.0,2"#);
    let msg = err(tmp.path(), "main");
    assert!(msg.contains("g/main/sample.json is corrupt or truncated"), "{msg}");
    assert!(msg.contains("line 1 column") && msg.contains("--save-baseline main"), "{msg}");
    let dir = bench(tmp.path(), "h", "pr", "h", GOOD);
    std::fs::write(dir.join("estimates.json"), "{\"mean\": nonsense}").unwrap();
    let msg = err(tmp.path(), "pr");
    assert!(msg.contains("estimates.json is corrupt") && msg.contains("line 1 column"), "{msg}");
}

#[test]
fn schema_mismatches_name_the_problem() {
    let cases = [
        (r#"{"sampling_mode":"Linear","iters":[1.0,2.0],"times":[1.0]}"#, "`iters` has 2 entries but `times` has 1"),
        (r#"{"sampling_mode":"Linear","iters":[],"times":[]}"#, "the sample is empty"),
        (r#"{"sampling_mode":"Auto","iters":[1.0],"times":[1.0]}"#, "unknown variant `Auto`"),
        (r#"{"iters":[1.0],"times":[1.0]}"#, "missing field `sampling_mode`"),
        (r#"{"sampling_mode":"Linear","iters":["1"],"times":[1.0]}"#, "invalid type"),
        // criterion before 0.3.3 saved a bare (iters, times) pair.
        ("[[1.0,2.0],[3.0,4.0]]", "criterion older than 0.3.3"),
    ];
    for (sample, expect) in cases {
        let tmp = tempfile::tempdir().unwrap();
        bench(tmp.path(), "g", "main", "g", sample);
        let e = CriterionDir::at(tmp.path()).read_baseline("main").unwrap_err();
        assert!(matches!(e, CriterionError::Schema { .. }), "{e}");
        let msg = e.to_string();
        assert!(msg.contains(expect) && msg.contains("sample.json"), "{expect}: {msg}");
        assert!(msg.contains("--save-baseline main"), "{msg}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = bench(tmp.path(), "g", "main", "g", GOOD);
    let b = r#"{"group_id":"g","function_id":null,"value_str":null,"throughput":{"Furlongs":3}}"#;
    std::fs::write(dir.join("benchmark.json"), b).unwrap();
    let msg = err(tmp.path(), "main");
    assert!(msg.contains("benchmark.json") && msg.contains("unknown variant `Furlongs`"), "{msg}");
}

#[test]
fn an_unreadable_file_is_an_error_not_a_missing_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = bench(tmp.path(), "g", "main", "g", GOOD);
    // A directory where the file should be cannot be read by anyone, root included.
    std::fs::remove_file(dir.join("estimates.json")).unwrap();
    std::fs::create_dir(dir.join("estimates.json")).unwrap();
    let e = CriterionDir::at(tmp.path()).read_baseline("main").unwrap_err();
    assert!(matches!(e, CriterionError::Unreadable { .. }), "{e}");
    assert!(e.to_string().contains("cannot read") && e.to_string().contains("estimates.json"), "{e}");
}

#[test]
fn every_sample_value_is_checked_and_a_bad_one_names_the_file_index_and_value() {
    let sample = |iters: &str, times: &str| format!(r#"{{"sampling_mode":"Flat","iters":{iters},"times":{times}}}"#);
    let cases = [
        (sample("[2.0,2.0]", "[4.0,-4.0]"), "`times[1]` is -4,"),
        (sample("[2.0,2.0]", "[4.0,null]"), "`times[1]` is null (not a number)"),
        (sample("[2.0,2.0]", "[0.0,4.0]"), "`times[0]` is 0,"),
        (sample("[2.0,0.0]", "[4.0,4.0]"), "`iters[1]` is 0,"),
        (sample("[-1.0,2.0]", "[4.0,4.0]"), "`iters[0]` is -1,"),
        (sample("[2.0,2.0]", "[1e308,1e308]"), "`times` entries add up to more than a 64-bit float holds"),
    ];
    for (text, expected) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let dir = bench(tmp.path(), "g", "main", "g", &text);
        let e = CriterionDir::at(tmp.path()).read_baseline("main").unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, CriterionError::Schema { .. }), "{msg}");
        assert!(msg.contains(expected), "{text}: {msg}");
        assert!(msg.contains(&dir.join("sample.json").display().to_string()), "{msg}");
        assert!(msg.contains("--save-baseline main"), "the fix: {msg}");
    }
}

#[test]
fn a_half_written_baseline_directory_is_an_interrupted_run() {
    // criterion writes benchmark.json first: an empty directory or a sample without it is a
    // run that stopped part-way, never a benchmark that is gone.
    for leftover in [None, Some("sample.json"), Some("estimates.json")] {
        let tmp = tempfile::tempdir().unwrap();
        bench(tmp.path(), "g/ok", "new", "g/ok", GOOD);
        let partial = tmp.path().join("g/cut/new");
        std::fs::create_dir_all(&partial).unwrap();
        if let Some(f) = leftover {
            std::fs::write(partial.join(f), GOOD).unwrap();
        }
        let e = CriterionDir::at(tmp.path()).read_baseline("new").unwrap_err();
        assert!(matches!(e, CriterionError::MissingFile { .. }), "{e}");
        assert!(e.to_string().contains(&partial.join("benchmark.json").display().to_string()), "{e}");
        assert!(e.to_string().contains("interrupted"), "{e}");
    }
    // A directory of another name (a function called like a baseline) is not one.
    let tmp = tempfile::tempdir().unwrap();
    bench(tmp.path(), "g/new/1", "new", "g/new/1", GOOD);
    assert_eq!(CriterionDir::at(tmp.path()).read_baseline("new").unwrap().len(), 1);
}

#[test]
fn one_id_in_two_directories_is_refused_naming_both() {
    let tmp = tempfile::tempdir().unwrap();
    let a = bench(tmp.path(), "g/a", "main", "g/x", GOOD);
    let b = bench(tmp.path(), "g/b", "main", "g/x", GOOD);
    let e = CriterionDir::at(tmp.path()).read_baseline("main").unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, CriterionError::DuplicateId { .. }), "{msg}");
    assert!(msg.contains(&a.display().to_string()) && msg.contains(&b.display().to_string()), "{msg}");
}

#[test]
fn absent_ids_are_recomputed_as_criterion_would() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = bench(tmp.path(), "grp/f_x/7", "main", "unused", GOOD);
    let long = "v".repeat(120);
    let b = format!(r#"{{"group_id":"grp","function_id":"f/x","value_str":"{long}","throughput":{{"Bits":8}}}}"#);
    std::fs::write(dir.join("benchmark.json"), b).unwrap();
    let files = CriterionDir::at(tmp.path()).read_baseline_files("main").unwrap();
    let b = &files[0].1.benchmark;
    assert_eq!(b.full_id, format!("grp/f/x/{long}"));
    assert_eq!(b.directory_name, "grp/f_x/7");
    assert_eq!(b.title.len(), 103);
    assert!(b.title.ends_with("..."));
    assert_eq!(files[0].1.to_run(dir).throughput, Some(Throughput::Bits(8)));
}

#[test]
fn median_interpolates_like_criterion() {
    assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    assert_eq!(median(&[5.0]), 5.0);
    assert!(median(&[]).is_nan());
    assert!(median(&[1.0, f64::NAN, 2.0]).is_nan());
    assert_eq!(median(&[1.0, f64::INFINITY, 2.0]), 2.0);
}
