//! Unit tests of names and file checks; export/import round trips are in `tests/baseline.rs`.

use super::*;

#[test]
fn names_that_criterion_or_the_filesystem_would_misread_are_rejected() {
    for ok in ["main", "pr-123", "v1.2", "noisegate-cal-0", "a+b=c"] {
        validate_name(ok).unwrap();
    }
    let cases = [
        ("", "empty"),
        ("a/b", "path separator"),
        ("a\\b", "path separator"),
        ("new", "latest run"),
        ("change", "`change/`"),
        ("report", "`report/`"),
        (".noisegate", "hidden"),
        ("..", "hidden"),
        ("sp ace", "letters, digits"),
    ];
    for (name, why) in cases {
        let msg = validate_name(name).unwrap_err().to_string();
        assert!(msg.contains(&format!("`{name}`")) && msg.contains(why), "{name}: {msg}");
    }
}

#[test]
fn stored_directories_must_stay_inside_their_tree() {
    check_relative("tp/bytes/1024").unwrap();
    check_relative("odd_ name_/a_b").unwrap();
    for bad in ["", "/abs", "a//b", "../x", "a/./b", "c:/x", "a\\..\\b"] {
        assert!(check_relative(bad).is_err(), "{bad}");
    }
    assert_eq!(relative_path("a/b"), Path::new("a").join("b"));
    assert_eq!(relative_to(Path::new("/r"), Path::new("/r/a/b")).as_deref(), Some("a/b"));
    assert_eq!(relative_to(Path::new("/r"), Path::new("/r")), None);
}

fn write(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("main.json");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn load_reports_missing_corrupt_and_other_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let msg = load(&tmp.path().join("nope.json")).unwrap_err().to_string();
    assert!(msg.contains("nope.json") && msg.contains("noisegate baseline export"), "{msg}");

    let p = write(tmp.path(), "{\"schema_version\": 1, \"name\": ");
    let msg = load(&p).unwrap_err().to_string();
    assert!(msg.contains("main.json is not a valid noisegate baseline file") && msg.contains("line 1"), "{msg}");

    let p = write(tmp.path(), r#"{"schema_version": 7, "whatever": true}"#);
    let msg = load(&p).unwrap_err().to_string();
    assert!(msg.contains("main.json has baseline schema_version 7") && msg.contains("reads version 1"), "{msg}");
    let p = write(tmp.path(), "[]");
    assert!(load(&p).unwrap_err().to_string().contains("schema_version 0"));

    let p = write(tmp.path(), r#"{"schema_version": 1, "name": "main"}"#);
    let msg = load(&p).unwrap_err().to_string();
    assert!(msg.contains("missing field `created`") && msg.contains("line 1"), "{msg}");
}

#[test]
fn load_rejects_files_that_would_write_outside_criterion_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let fp = serde_json::to_string(&Fingerprint::detect()).unwrap();
    let est = r#"{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0},"point_estimate":2.0,"standard_error":0.5}"#;
    let bench = |dir: &str, iters: &str| {
        format!(
            r#"{{"dir":"{dir}","benchmark":{{"group_id":"g","function_id":null,"value_str":null,"throughput":null,"full_id":"g","directory_name":"g","title":"g"}},
            "estimates":{{"mean":{est},"median":{est},"median_abs_dev":{est},"slope":null,"std_dev":{est}}},
            "sample":{{"sampling_mode":"Linear","iters":{iters},"times":[1.0]}}}}"#
        )
    };
    let file = |name: &str, benches: &[String]| {
        format!(
            r#"{{"schema_version":1,"name":"{name}","created":"2026-01-01T00:00:00Z","fingerprint":{fp},"git_commit":null,"benchmarks":[{}],"metrics":[]}}"#,
            benches.join(",")
        )
    };
    let p = write(tmp.path(), &file("main", &[bench("g", "[1.0]")]));
    let b = load(&p).unwrap();
    assert_eq!(b.benchmark_ids(), ["g"]);
    let runs = b.runs();
    assert_eq!(runs[0].dir, Path::new("g").join("main"));
    assert_eq!(runs[0].modified, humantime::parse_rfc3339("2026-01-01T00:00:00Z").unwrap());

    let cases = [
        (file("main", &[bench("../../etc", "[1.0]")]), "not a plain relative path"),
        (file("main", &[bench("g", "[1.0]"), bench("g", "[1.0]")]), "appears twice"),
        (file("main", &[bench("g", "[1.0, 2.0]")]), "`iters` has 2 entries"),
        (file("new", &[bench("g", "[1.0]")]), "baseline name `new`"),
    ];
    for (text, expect) in cases {
        let p = write(tmp.path(), &text);
        let msg = load(&p).unwrap_err().to_string();
        assert!(msg.contains(expect) && msg.contains("main.json is not a usable baseline file"), "{expect}: {msg}");
    }
}
