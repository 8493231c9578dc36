//! The gate commands end to end on synthetic criterion output with known answers: verdicts,
//! exit codes, output files, calibration, baselines, and every kind of bad input.

mod fixture;

use std::path::Path;

use fixture::{Project, noisegate, repo, text};
use serde_json::{Value, json};

const SPREAD: [f64; 5] = [1.0, 1.003, 0.997, 1.002, 0.998];

fn scaled(k: f64) -> Vec<f64> {
    SPREAD.iter().map(|s| s * k).collect()
}

/// Base rounds b1..b5 and head rounds h1..h5 of two benchmarks; `slow` gets `factor`.
fn two_sides(p: &Project, factor: f64) -> (String, String) {
    let b = p.rounds("g/slow", "b", 1000.0, &SPREAD);
    p.rounds("g/steady", "b", 50.0, &SPREAD);
    let h = p.rounds("g/slow", "h", 1000.0, &scaled(factor));
    p.rounds("g/steady", "h", 50.0, &scaled(1.0));
    (b.join(","), h.join(","))
}

#[test]
fn a_ten_percent_regression_fails_with_exit_1_and_json_says_why() {
    let p = Project::new();
    let (b, h) = two_sides(&p, 1.10);
    let o = p.run(&["compare", "--base", &b, "--head", &h, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v["benchmarks"].as_array().unwrap();
    let slow = rows.iter().find(|r| r["id"] == "g/slow").unwrap();
    assert_eq!(slow["verdict"], "regressed");
    let est = slow["change"]["estimate"].as_f64().unwrap();
    assert!((est - 0.10).abs() < 0.005, "{slow}");
    assert!(slow["change"]["lower"].as_f64().unwrap() < est && est < slow["change"]["upper"].as_f64().unwrap());
    assert!(slow["noise"]["floor"].as_f64().unwrap() > 0.0);
    assert_eq!(rows.iter().find(|r| r["id"] == "g/steady").unwrap()["verdict"], "unchanged");
}

#[test]
fn unchanged_code_passes_and_markdown_goes_to_the_output_file() {
    let p = Project::new();
    let (b, h) = two_sides(&p, 1.0);
    let out = p.root().join("comment.md");
    let o = p.run(&[
        "compare",
        "--base",
        &b,
        "--head",
        &h,
        "--format",
        "markdown",
        "--output",
        out.to_str().unwrap(),
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let md = std::fs::read_to_string(&out).unwrap();
    assert!(md.starts_with("<!-- noisegate-bench -->"), "{md}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains('\u{1b}'), "--color never");
    let o = p.run(&["compare", "--base", &b, "--head", &h, "--color", "always"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains('\u{1b}'), "--color always");
}

#[test]
fn head_defaults_to_criterions_latest_run() {
    let p = Project::new();
    p.bench("g/x", "main", &[100.0, 100.1, 99.9]);
    p.bench("g/x", "new", &[150.0, 150.0, 150.1]);
    let o = p.run(&["compare", "--base", "main", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(v["head_names"], json!(["new"]));
    assert_eq!(v["benchmarks"][0]["noise"]["source"], "assumed", "one round a side, no calibration");
    assert_eq!(o.status.code(), Some(1), "+50 % is confident even with assumed noise");
}

#[test]
fn stale_latest_results_from_an_earlier_run_are_left_out_and_named() {
    let p = Project::new();
    // An earlier full run wrote `new` for both; then main was saved; then only g/fresh ran.
    let old = p.bench("g/stale", "new", &[150.0, 150.0, 150.1]);
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for f in ["benchmark.json", "sample.json", "estimates.json"] {
        std::fs::File::options().write(true).open(old.join(f)).unwrap().set_modified(hour_ago).unwrap();
    }
    p.bench("g/stale", "main", &[100.0, 100.1, 99.9]);
    p.bench("g/fresh", "main", &[100.0, 100.1, 99.9]);
    p.bench("g/fresh", "new", &[100.0, 100.0, 100.1]);
    let o = p.run(&["compare", "--base", "main", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    let kinds: Vec<(&str, &str)> = v["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].as_str().unwrap(), b["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("g/fresh", "judged"), ("g/stale", "left_out")], "{}", text(&o));
    let warnings = v["warnings"].to_string();
    assert!(warnings.contains("g/stale") && warnings.contains("older than the base"), "{warnings}");
    assert_eq!(o.status.code(), Some(0), "the stale +50 % must not fail the gate: {}", text(&o));
    // Named head rounds are taken as given.
    let o = p.run(&["compare", "--base", "main", "--head", "new", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

#[test]
fn added_and_removed_benchmarks_are_listed_not_dropped() {
    let p = Project::new();
    let b = p.rounds("g/old", "b", 10.0, &SPREAD);
    p.rounds("g/both", "b", 10.0, &SPREAD);
    let h = p.rounds("g/new", "h", 10.0, &SPREAD);
    p.rounds("g/both", "h", 10.0, &SPREAD);
    let o = p.run(&["compare", "--base", &b.join(","), "--head", &h.join(","), "--color", "never"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("g/old") && t.contains("removed"), "{t}");
    assert!(t.contains("g/new") && t.contains("added"), "{t}");
}

#[test]
fn zero_and_nan_samples_are_rejected_naming_the_file_and_the_value() {
    let p = Project::new();
    let b = p.rounds("g/x", "b", 10.0, &SPREAD);
    p.rounds("g/ok", "b", 10.0, &SPREAD);
    let h = p.rounds("g/ok", "h", 10.0, &SPREAD);
    for name in &h {
        p.bench("g/x", name, &[0.0, 0.0, 0.0]);
    }
    let o = p.run(&["compare", "--base", &b.join(","), "--head", &h.join(","), "--format", "json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("g/x/h1/sample.json") && text(&o).contains("`times[0]` is 0"), "{}", text(&o));
    let nan = Project::new();
    nan.bench("g/x", "b1", &[1.0, 1.0]);
    nan.bench("g/x", "h1", &[f64::NAN, 1.0, 1.0]);
    let o = nan.run(&["compare", "--base", "b1", "--head", "h1", "--color", "never"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("`times[0]` is null"), "{}", text(&o));
}

#[test]
fn an_unknown_baseline_names_it_and_lists_the_known_ones() {
    let p = Project::new();
    p.bench("g/x", "main", &[10.0, 10.0]);
    let o = p.run(&["compare", "--base", "mian", "--head", "main"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("mian") && t.contains("main") && t.contains("--save-baseline"), "{t}");
}

#[test]
fn missing_criterion_output_says_to_run_the_benches() {
    let p = Project::new();
    let o = p.run(&["compare", "--base", "main"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cargo bench"), "{}", text(&o));
}

#[test]
fn corrupt_and_truncated_files_name_the_path_and_leave_outputs_alone() {
    let p = Project::new();
    let (b, h) = two_sides(&p, 1.0);
    let out = p.root().join("keep.json");
    std::fs::write(&out, "previous report").unwrap();
    let sample = p.criterion().join("g/slow/h2/sample.json");
    let full = std::fs::read_to_string(&sample).unwrap();
    std::fs::write(&sample, &full[..full.len() / 2]).unwrap();
    let o = p.run(&["compare", "--base", &b, "--head", &h, "--format", "json", "--output", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("g/slow/h2/sample.json"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous report");
    std::fs::write(&sample, "{ not json").unwrap();
    let o = p.run(&["compare", "--base", &b, "--head", &h]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("sample.json"), "{}", text(&o));
    std::fs::remove_file(&sample).unwrap();
    let o = p.run(&["compare", "--base", &b, "--head", &h]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("sample.json"), "{}", text(&o));
}

#[test]
fn an_unwritable_output_path_is_exit_2() {
    let p = Project::new();
    let (b, h) = two_sides(&p, 1.0);
    let blocker = p.root().join("blocker");
    std::fs::write(&blocker, "a file, not a directory").unwrap();
    let o = p.run(&["compare", "--base", &b, "--head", &h, "--output", blocker.join("out.md").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("blocker") && text(&o).contains("--output"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "a file, not a directory");
}

#[test]
fn bad_arguments_are_exit_2_with_the_fix() {
    let p = Project::new();
    let (b, h) = two_sides(&p, 1.0);
    let o = p.run(&["compare", "--base", &b, "--head", &h, "--threshold", "300"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("threshold"), "{}", text(&o));
    let o = p.run(&["compare", "--base", "b1", "--head", "b1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("both sides"), "{}", text(&o));
    let o = p.run(&["compare", "--base", &b, "--format", "yaml"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn calibration_is_stored_and_picked_up_by_compare() {
    let p = Project::new();
    // A/A runs that move ±3 %: a +4 % head must then not count as a confident regression.
    let cal = p.rounds("g/x", "cal", 100.0, &[1.0, 1.03, 0.97, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.0]);
    let o = p.run(&["calibrate", "--from", &cal.join(",")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let file = p.root().join("baselines/calibration.json");
    let stored: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let sd = stored["benchmarks"]["g/x"]["run_sd"].as_f64().unwrap();
    assert!(sd > 0.015 && sd < 0.03, "{stored}");
    assert!(text(&o).contains("g/x"), "calibrate prints the floors: {}", text(&o));

    let b = p.rounds("g/x", "b", 100.0, &[1.0, 1.001, 0.999]);
    let h = p.rounds("g/x", "h", 104.0, &[1.0, 1.001, 0.999]);
    let args = ["compare", "--base", &b.join(","), "--head", &h.join(","), "--format", "json"];
    let o = p.run(&args);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["benchmarks"][0]["noise"]["source"], "calibrated", "{v}");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let mut no_cal = args.to_vec();
    no_cal.push("--no-calibration");
    let o = p.run(&no_cal);
    assert_eq!(o.status.code(), Some(1), "the tight rounds alone would call +4 % a regression: {}", text(&o));

    std::fs::write(&file, "{\"schema_version\": 1, \"runs\": ").unwrap();
    let o = p.run(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("calibration.json") && text(&o).contains("--no-calibration"), "{}", text(&o));
}

#[test]
fn duet_rounds_are_judged_by_totals_with_the_duet_calibration_only() {
    let p = Project::new();
    // Per-iteration figures whose median (100) hides a slow tail, while the total over
    // iterations is 10 % higher in the head: samples 1..5 iterations, the 5-iteration sample
    // slow. The median says unchanged; the total (the duet figure) says +10 %.
    for i in 1..=5 {
        p.bench("g/x", &format!("b{i}"), &[100.0, 100.0, 100.0, 100.0, 100.0 + 1e-6 * i as f64]);
        p.bench("g/x", &format!("h{i}"), &[100.0, 100.0, 100.0, 100.0, 100.0 + 10.0 * 15.0 / 5.0 + 0.1 * i as f64]);
    }
    let sides = ["--base", "b1,b2,b3,b4,b5", "--head", "h1,h2,h3,h4,h5", "--paired", "--format", "json"];
    let judge = |extra: &[&str]| {
        let o = p.run(&[&["compare"], &sides[..], extra].concat());
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
        (o, v)
    };
    let (o, v) = judge(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(v["benchmarks"][0]["verdict"], "unchanged", "{v}");
    let (o, v) = judge(&["--figure", "total"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let change = v["benchmarks"][0]["change"]["estimate"].as_f64().unwrap();
    assert!((change - 0.10).abs() < 0.003, "total over iterations is +10 %: {v}");

    // A back-to-back calibration is not used for duet rounds, and the outputs say so.
    let cal = p.rounds("g/x", "cal", 100.0, &[1.0, 1.03, 0.97, 1.02, 0.98, 1.01]);
    let o = p.run(&["calibrate", "--from", &cal.join(",")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let back_to_back = p.root().join("baselines/calibration.json");
    let (_, v) = judge(&["--figure", "total", "--calibration", back_to_back.to_str().unwrap()]);
    let warnings = v["warnings"].to_string();
    assert!(warnings.contains("back-to-back") && warnings.contains("calibrate --mode duet"), "{v}");
    assert_ne!(v["benchmarks"][0]["noise"]["source"], "calibrated", "{v}");
    // Discovered by pairing: baselines/calibration.json never serves --figure total.
    let (_, v) = judge(&["--figure", "total"]);
    assert_eq!(v["warnings"], json!([]), "{v}");
    // --from reads saved back-to-back runs: asking for duets with it is a usage error.
    let o = p.run(&["calibrate", "--from", &cal.join(","), "--mode", "duet"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn baselines_export_and_import_round_trip() {
    let p = Project::new();
    p.bench("g/x", "main", &[100.0, 100.1, 99.9]);
    let o = p.run(&["baseline", "export", "main"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let file = p.root().join("baselines/main.json");
    let v: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert!(v["fingerprint"]["cpu_model"].is_string(), "{v}");

    // A fresh checkout: no criterion output, only the committed file.
    let fresh = Project::new();
    std::fs::create_dir_all(fresh.root().join("baselines")).unwrap();
    std::fs::copy(&file, fresh.root().join("baselines/main.json")).unwrap();
    fresh.bench("g/x", "new", &[100.0, 100.1, 99.9]);
    let o = fresh.run(&["compare", "--base", "main", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "compare reads baselines/NAME.json directly: {}", text(&o));
    let o = fresh.run(&["baseline", "import", "main"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(fresh.criterion().join("g/x/main/sample.json").is_file());

    let o = p.run(&["baseline", "export", "nosuch"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("nosuch"), "{}", text(&o));
    let o = fresh.run(&["baseline", "import", "nosuch"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("nosuch.json"), "{}", text(&o));
}

#[test]
fn ab_rejects_unknown_revisions_and_reserved_flags() {
    let p = Project::new();
    let o = p.run(&["ab", "--base", "main", "--rounds", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--rounds 1"), "{}", text(&o));
    let o = p.run(&["ab", "--base", "main", "--", "--save-baseline", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("set by noisegate"), "{}", text(&o));
    let o = noisegate(&["ab", "--base", "no-such-revision-xyz"], repo());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no-such-revision-xyz") && text(&o).contains("fetch"), "{}", text(&o));
}

/// Copies `from` into `to`, renaming every baseline directory called `rename.0` to `rename.1`.
fn copy_tree(from: &Path, to: &Path, rename: (&str, &str)) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let target = if name == rename.0 { to.join(rename.1) } else { to.join(&name) };
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target, rename);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn criterion_0_5_and_0_8_output_compare_with_each_other() {
    // Real output of criterion 0.5.1 as base and 0.8.2 as head (the fixtures' README says how
    // they were made): the on-disk format is the same, so every benchmark is judged.
    let p = Project::new();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/bench-core/tests/fixtures/criterion");
    copy_tree(&fixtures.join("v0.5.1"), &p.criterion(), ("new", "from05"));
    copy_tree(&fixtures.join("v0.8.2"), &p.criterion(), ("new", "from08"));
    let o = p.run(&["compare", "--base", "from05", "--head", "from08", "--format", "json"]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v["benchmarks"].as_array().unwrap();
    assert!(rows.len() >= 4, "{v}");
    // Bits (criterion 0.7) and ElementsAndBytes (0.8) throughput cannot exist in 0.5 output.
    let added: Vec<&str> = rows.iter().filter(|r| r["kind"] == "added").map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(added, ["tp/bits/8192", "tp/elements_and_bytes/16"], "{v}");
    assert!(rows.iter().all(|r| r["kind"] == "judged" || r["kind"] == "added"), "{v}");
    assert_eq!(v["warnings"], json!([]), "one format generation: no mixed-version warning");
}
