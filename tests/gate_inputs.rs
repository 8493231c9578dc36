//! Gate inputs that cannot fool the gate: every way a criterion tree, a baseline file, a
//! configuration or a working directory can be wrong ends in exit 2 with a message that names
//! the file (and the fix), or in a verdict computed from valid data only; and nothing on disk
//! changes when a command fails.

mod fixture;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fixture::{Project, stderr, text};
use proptest::prelude::*;
use serde_json::Value;

const SPREAD: [f64; 5] = [1.0, 1.003, 0.997, 1.002, 0.998];

/// Every file below `dir` with its contents, to show a failed command changed nothing.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(snapshot(&path));
        } else {
            out.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    out
}

/// Rewrites `sample.json` of `dir` with `edit` applied to its JSON.
fn edit_sample(dir: &Path, edit: impl FnOnce(&mut Value)) {
    let path = dir.join("sample.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
}

fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

// 1. Sample values.

#[test]
fn one_negative_time_cannot_turn_a_regression_into_an_improvement() {
    let p = Project::new();
    p.bench("g/x", "main", &[100.0, 100.0, 100.0, 100.0]);
    let head = p.bench("g/x", "new", &[110.0, 110.0, 110.0, 110.0]);
    let o = p.run(&["compare", "--base", "main", "--figure", "total"]);
    assert_eq!(o.status.code(), Some(1), "the clean +10 % is a regression: {}", text(&o));
    edit_sample(&head, |v| v["times"][2] = Value::from(-330.0));
    let o = p.run(&["compare", "--base", "main", "--figure", "total"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains(&head.join("sample.json").display().to_string()), "{t}");
    assert!(t.contains("`times[2]` is -330") && t.contains("re-run `cargo bench`"), "{t}");
}

#[test]
fn huge_times_are_rejected_not_reported_as_nan() {
    let p = Project::new();
    p.bench("g/x", "main", &[100.0, 100.0]);
    let head = p.bench("g/x", "new", &[100.0, 100.0]);
    edit_sample(&head, |v| v["times"] = serde_json::json!([1e308, 1e308]));
    let o = p.run(&["compare", "--base", "main"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("add up to more than a 64-bit float holds"), "{}", text(&o));
    assert!(!text(&o).contains("NaN"), "{}", text(&o));
}

#[test]
fn export_from_a_bad_source_keeps_the_committed_baseline_and_import_refuses_bad_files() {
    let p = Project::new();
    let main = p.bench("g/x", "main", &[100.0, 100.1, 99.9]);
    p.bench("g/y", "main", &[50.0, 50.1, 49.9]);
    let o = p.run(&["baseline", "export", "main"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let committed = p.root().join("baselines/main.json");
    let good = std::fs::read(&committed).unwrap();

    edit_sample(&main, |v| v["times"][1] = Value::Null);
    let o = p.run(&["baseline", "export", "main"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("`times[1]` is null"), "{}", text(&o));
    assert_eq!(std::fs::read(&committed).unwrap(), good, "a failed export replaced the committed baseline");

    // A baseline file with a negative time is refused before anything is written.
    let fresh = Project::new();
    fresh.bench("g/x", "main", &[7.0, 7.0]);
    let before = snapshot(&fresh.criterion());
    let mut file: Value = serde_json::from_slice(&good).unwrap();
    file["benchmarks"][0]["sample"]["times"][0] = Value::from(-1.0);
    std::fs::create_dir_all(fresh.root().join("baselines")).unwrap();
    std::fs::write(fresh.root().join("baselines/main.json"), serde_json::to_vec(&file).unwrap()).unwrap();
    let o = fresh.run(&["baseline", "import", "main"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("main.json") && text(&o).contains("`times[0]` is -1"), "{}", text(&o));
    assert_eq!(snapshot(&fresh.criterion()), before);
}

// 2. Nothing judged.

#[test]
fn a_comparison_that_judged_nothing_is_an_error_saying_why() {
    let p = Project::new();
    p.bench("g/old", "main", &[10.0, 10.0]);
    p.bench("g/new", "new", &[10.0, 10.0]);
    let o = p.run(&["compare", "--base", "main"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("nothing was judged") && text(&o).contains("1 only in base, 1 only in head"),
        "{}",
        text(&o)
    );
    let o = p.run(&["compare", "--base", "main", "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("nothing was judged"), "{}", text(&o));
    let o = p.run(&["compare", "--base", "main", "--format", "json"]);
    assert_eq!(json(&o)["exit_code"], 2, "{}", text(&o));
}

#[test]
fn right_after_an_import_every_stale_head_is_left_out_and_that_is_an_error() {
    let p = Project::new();
    p.bench("g/x", "new", &[100.0, 100.0]);
    p.bench("g/x", "main", &[100.0, 100.0]);
    p.run(&["baseline", "export", "main"]);
    // Import rewrites main after the latest run: every head figure is now older than the base.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let o = p.run(&["baseline", "import", "main"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = p.run(&["compare", "--base", "main"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("nothing was judged") && text(&o).contains("warnings"), "{}", text(&o));
}

#[test]
fn a_run_that_left_most_benchmarks_out_says_so_in_the_summary() {
    let p = Project::new();
    let base: Vec<String> = (1..=3).map(|i| format!("b{i}")).collect();
    let head: Vec<String> = (1..=3).map(|i| format!("h{i}")).collect();
    p.rounds("g/judged", "b", 10.0, &SPREAD[..3]);
    p.rounds("g/judged", "h", 10.0, &SPREAD[..3]);
    for gone in ["g/a", "g/b", "g/c"] {
        p.rounds(gone, "b", 10.0, &SPREAD[..3]);
    }
    let o = p.run(&["compare", "--base", &base.join(","), "--head", &head.join(","), "--color", "never"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("only 1 of 4 benchmarks judged"), "{}", text(&o));
}

// 3. Partial head runs.

#[test]
fn a_half_written_head_directory_is_an_interrupted_run_not_a_removed_benchmark() {
    for (what, setup) in [
        ("an empty new/", Box::new(|dir: &Path| std::fs::create_dir_all(dir).unwrap()) as Box<dyn Fn(&Path)>),
        (
            "sample.json without benchmark.json",
            Box::new(|dir: &Path| {
                std::fs::create_dir_all(dir).unwrap();
                std::fs::write(dir.join("sample.json"), r#"{"sampling_mode":"Flat","iters":[1.0],"times":[9.0]}"#)
                    .unwrap();
            }),
        ),
    ] {
        let p = Project::new();
        p.bench("g/ok", "main", &[10.0, 10.0]);
        p.bench("g/ok", "new", &[10.0, 10.0]);
        p.bench("g/slow", "main", &[10.0, 10.0]);
        let cut = p.criterion().join("g/slow/new");
        setup(&cut);
        let o = p.run(&["compare", "--base", "main"]);
        assert_eq!(o.status.code(), Some(2), "{what}: {}", text(&o));
        let t = text(&o);
        assert!(
            t.contains(&cut.join("benchmark.json").display().to_string()) && t.contains("interrupted"),
            "{what}: {t}"
        );
    }
}

// 4. Repeated rounds.

#[test]
fn a_round_named_twice_or_copied_under_two_names_is_refused() {
    let p = Project::new();
    let b = p.rounds("g/x", "b", 100.0, &SPREAD);
    let h = p.rounds("g/x", "h", 100.0, &SPREAD);
    let o = p.run(&["compare", "--base", "b1,b1,b1", "--head", &h.join(",")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("`b1` is given more than once"), "{}", text(&o));
    // The same run under a second name: its files copied.
    let (from, to) = (p.criterion().join("g/x/b1"), p.criterion().join("g/x/b9"));
    std::fs::create_dir_all(&to).unwrap();
    for f in ["benchmark.json", "sample.json", "estimates.json"] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
    let o = p.run(&["compare", "--base", "b1,b2,b9", "--head", &h.join(",")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("`b1` and `b9` hold identical figures"), "{}", text(&o));
    let o = p.run(&["calibrate", "--from", "b1,b1,b1"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = p.run(&["calibrate", "--from", &format!("{},b9", b.join(","))]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!p.root().join("baselines").exists(), "a refused calibration wrote a file");
}

// 5. Import is all or nothing.

#[test]
fn an_import_that_fails_part_way_changes_nothing() {
    let p = Project::new();
    for i in 1..=5 {
        p.bench(&format!("g/d{i}"), "main", &[100.0 + i as f64, 100.0]);
    }
    assert_eq!(p.run(&["baseline", "export", "main"]).status.code(), Some(0));
    // The local baseline moves on; then benchmark 4's directory cannot be created.
    for i in 1..=5 {
        p.bench(&format!("g/d{i}"), "main", &[200.0 + i as f64, 200.0]);
    }
    std::fs::remove_dir_all(p.criterion().join("g/d4")).unwrap();
    std::fs::write(p.criterion().join("g/d4"), "a file where a directory must go").unwrap();
    let before = snapshot(&p.criterion());
    let o = p.run(&["baseline", "import", "main"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("g/d4"), "{}", text(&o));
    assert_eq!(snapshot(&p.criterion()), before, "benchmarks 1–3 were overwritten");
}

// 7. One id in two directories.

#[test]
fn a_duplicate_full_id_is_refused_naming_both_directories() {
    let p = Project::new();
    p.bench("g/x", "main", &[10.0, 10.0]);
    p.bench("g/x", "new", &[10.0, 10.0]);
    // A second directory claiming the same id.
    let twin = p.criterion().join("g/x_old/new");
    std::fs::create_dir_all(&twin).unwrap();
    for f in ["benchmark.json", "sample.json", "estimates.json"] {
        std::fs::copy(p.criterion().join("g/x/new").join(f), twin.join(f)).unwrap();
    }
    let o = p.run(&["compare", "--base", "main"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("`g/x` appears twice") && t.contains("g/x_old/new") && t.contains("g/x/new"), "{t}");
}

// 8. Configuration.

#[test]
fn negative_targets_are_refused_and_an_empty_config_says_it_grades_nothing() {
    let p = Project::new();
    std::fs::write(p.root().join("noisegate.toml"), "[targets.mine]\nlatency_p99_ms = { target = -5 }\n").unwrap();
    let o = p.run(&["targets"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("targets.mine.latency_p99_ms.target") && text(&o).contains("-5"), "{}", text(&o));
    std::fs::write(p.root().join("noisegate.toml"), "").unwrap();
    let o = p.run(&["targets"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("defines no [targets.*] set, so nothing is graded"), "{}", text(&o));
}

// 9. Where commands look.

#[test]
fn without_flags_commands_use_the_current_projects_target_directory() {
    let p = Project::new();
    std::fs::write(
        p.root().join("Cargo.toml"),
        "[package]\nname = \"elsewhere\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(p.root().join("src")).unwrap();
    std::fs::write(p.root().join("src/lib.rs"), "").unwrap();
    let b = p.rounds("g/x", "b", 100.0, &SPREAD[..3]);
    let h = p.rounds("g/x", "h", 100.0, &SPREAD[..3]);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_noisegate"))
        .args(["compare", "--base", &b.join(","), "--head", &h.join(",")])
        .current_dir(p.root().join("src"))
        .env_remove("CRITERION_HOME")
        .env_remove("NOISEGATE_DIR")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let used = p.root().canonicalize().unwrap().join("target/criterion");
    assert!(text(&o).contains(&format!("reading criterion output from {}", used.display())), "{}", text(&o));
}

// 10. ab outside git.

#[test]
fn ab_outside_a_git_repository_says_so() {
    let p = Project::new();
    std::fs::write(
        p.root().join("Cargo.toml"),
        "[package]\nname = \"nogit\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(p.root().join("src")).unwrap();
    std::fs::write(p.root().join("src/lib.rs"), "").unwrap();
    let o = p.run(&["ab", "--base", "HEAD"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not inside a git repository"), "{}", text(&o));
    assert!(!text(&o).contains("fetch"), "{}", text(&o));
}

// The invariant over corrupted trees.

/// One way to damage a criterion tree.
#[derive(Debug, Clone)]
enum Corruption {
    Truncate { file: &'static str, keep: f64 },
    Delete { file: &'static str },
    Value { list: &'static str, index: usize, value: Option<f64> },
    DropEntry { list: &'static str },
    RenameField { file: &'static str, from: &'static str, to: &'static str },
    DuplicateId,
}

fn corruption() -> impl Strategy<Value = Corruption> {
    let file = prop_oneof![Just("benchmark.json"), Just("sample.json"), Just("estimates.json")];
    let list = prop_oneof![Just("iters"), Just("times")];
    let value = prop_oneof![
        Just(None),
        Just(Some(0.0)),
        Just(Some(-1.0)),
        Just(Some(-1e-9)),
        Just(Some(1e308)),
        (1e-3f64..1e6).prop_map(Some),
    ];
    prop_oneof![
        (file.clone(), 0.0f64..1.0).prop_map(|(file, keep)| Corruption::Truncate { file, keep }),
        file.clone().prop_map(|file| Corruption::Delete { file }),
        (list.clone(), 0usize..5, value).prop_map(|(list, index, value)| Corruption::Value { list, index, value }),
        list.prop_map(|list| Corruption::DropEntry { list }),
        prop_oneof![
            Just(("sample.json", "times", "time")),
            Just(("sample.json", "iters", "iterations")),
            Just(("benchmark.json", "full_id", "id")),
            Just(("benchmark.json", "group_id", "group")),
        ]
        .prop_map(|(file, from, to)| Corruption::RenameField { file, from, to }),
        Just(Corruption::DuplicateId),
    ]
}

fn apply(p: &Project, dir: &Path, c: &Corruption) {
    match c {
        Corruption::Truncate { file, keep } => {
            let path = dir.join(file);
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..(bytes.len() as f64 * keep) as usize]).unwrap();
        }
        Corruption::Delete { file } => std::fs::remove_file(dir.join(file)).unwrap(),
        Corruption::Value { list, index, value } => edit_sample(dir, |v| {
            let entries = v[*list].as_array_mut().unwrap();
            let i = index % entries.len();
            entries[i] = value.map_or(Value::Null, Value::from);
        }),
        Corruption::DropEntry { list } => edit_sample(dir, |v| {
            v[*list].as_array_mut().unwrap().pop();
        }),
        Corruption::RenameField { file, from, to } => {
            let path = dir.join(file);
            let mut v: serde_json::Map<String, Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let x = v.remove(*from).unwrap();
            v.insert((*to).to_owned(), x);
            std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        }
        Corruption::DuplicateId => {
            let baseline = dir.file_name().unwrap();
            let twin = p.criterion().join("g/twin").join(baseline);
            std::fs::create_dir_all(&twin).unwrap();
            for f in ["benchmark.json", "sample.json", "estimates.json"] {
                std::fs::copy(dir.join(f), twin.join(f)).unwrap();
            }
        }
    }
}

/// A valid tree: three benchmarks, five rounds a side, one of them 10 % slower in head.
fn valid_tree() -> (Project, String, String) {
    let p = Project::new();
    let b = p.rounds("g/steady", "b", 100.0, &SPREAD);
    p.rounds("g/other", "b", 40.0, &SPREAD);
    p.rounds("g/slow", "b", 1000.0, &SPREAD);
    let h = p.rounds("g/steady", "h", 100.0, &SPREAD);
    p.rounds("g/other", "h", 40.0, &SPREAD);
    p.rounds("g/slow", "h", 1100.0, &SPREAD);
    (p, b.join(","), h.join(","))
}

fn verdicts(v: &Value) -> Vec<(String, String)> {
    v["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].as_str().unwrap().to_owned(), b["verdict"].as_str().unwrap_or("-").to_owned()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Either exit 2 with a message naming a file, or the verdicts of the undamaged tree;
    /// never a panic, never a verdict from damaged data, never a changed baseline file.
    #[test]
    fn corrupted_inputs_are_refused_or_harmless(
        c in corruption(),
        bench in prop_oneof![Just("g/steady"), Just("g/other"), Just("g/slow")],
        side in prop_oneof![Just("b"), Just("h")],
        round in 1usize..=5,
        figure in prop_oneof![Just("median"), Just("total")],
    ) {
        let (p, b, h) = valid_tree();
        let args = ["compare", "--base", &b, "--head", &h, "--format", "json", "--figure", figure];
        let clean = p.run(&args);
        prop_assert_eq!(clean.status.code(), Some(1), "{}", text(&clean));
        let expected = verdicts(&json(&clean));
        prop_assert_eq!(p.run(&["baseline", "export", "b1"]).status.code(), Some(0));
        let committed = std::fs::read(p.root().join("baselines/b1.json")).unwrap();

        let dir = p.criterion().join(bench).join(format!("{side}{round}"));
        apply(&p, &dir, &c);
        let o = p.run(&args);
        let t = text(&o);
        // A finite positive value is valid data: any verdict may follow from it.
        let still_valid = matches!(c, Corruption::Value { value: Some(v), .. } if v.is_finite() && v > 0.0);
        match o.status.code() {
            // The error, on stderr, names the damaged file or directory.
            Some(2) => prop_assert!(stderr(&o).contains(&p.criterion().display().to_string()), "{c:?}: {t}"),
            Some(0 | 1) if still_valid => {}
            Some(0 | 1) => prop_assert_eq!(verdicts(&json(&o)), expected.clone(), "{:?}: {}", c, t),
            other => prop_assert!(false, "{c:?}: exit {other:?}: {t}"),
        }
        // Exporting from the damaged tree never replaces the committed file with bad data.
        let o = p.run(&["baseline", "export", "b1"]);
        if o.status.code() != Some(0) {
            prop_assert_eq!(o.status.code(), Some(2), "{}", text(&o));
            prop_assert_eq!(std::fs::read(p.root().join("baselines/b1.json")).unwrap(), committed);
        }
    }
}
