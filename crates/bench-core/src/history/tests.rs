//! The history store under damage (truncated and garbage lines, other layouts, concurrent
//! appends, unwritable places) and trends on synthetic histories with known steps.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::report::run::ReportFormat;

fn fingerprint(cpu: &str) -> Fingerprint {
    Fingerprint {
        cpu_model: cpu.into(),
        logical_cpus: 2,
        os: "Debian GNU/Linux 12 (bookworm)".into(),
        arch: "x86_64".into(),
        rustc: "rustc 1.95.0".into(),
    }
}

/// A record of run `i` of `scenario` with the given metric values.
fn record(scenario: &str, i: usize, cpu: &str, values: &[(&str, f64)]) -> Record {
    Record {
        format: HISTORY_FORMAT.into(),
        schema_version: HISTORY_SCHEMA,
        recorded_at: format!("2026-01-{:02}T10:00:00Z", 1 + i / 24),
        run_at: format!("2026-01-{:02}T{:02}:00:00Z", 1 + i / 24, i % 24),
        scenario: scenario.into(),
        baseline: "new".into(),
        git_commit: Some(format!("{:08x}{}", 0xc0ffee00_u32 + i as u32, "0".repeat(32))),
        git_dirty: Some(false),
        fingerprint: fingerprint(cpu),
        clock: ClockKind::WallClock,
        duration_s: 60.0,
        metrics: values.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
    }
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn appends_one_line_per_run_and_reads_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let h = History::at(dir.path().join("sub/history.jsonl"));
    assert!(matches!(h.load(), Err(HistoryError::NotFound { .. })));
    let msg = h.load().unwrap_err().to_string();
    assert!(msg.contains("history.jsonl") && msg.contains("noisegate report"), "{msg}");
    let a = record("s", 0, "cpu", &[("latency_p99_ms", 1.5)]);
    let b = record("s", 1, "cpu", &[("latency_p99_ms", 1.6), ("requests_per_second", 1000.0)]);
    h.append(&a).unwrap();
    h.append(&b).unwrap();
    assert_eq!(text(h.path()).lines().count(), 2);
    let loaded = h.load().unwrap();
    assert_eq!(loaded.warnings, vec![]);
    assert_eq!(loaded.records, vec![(1, a.clone()), (2, b)]);
    // The same run again is recognised; a new run is not.
    assert_eq!(h.append_new(&a).unwrap().0, Appended::AlreadyThere);
    assert_eq!(h.append_new(&record("s", 2, "cpu", &[])).unwrap().0, Appended::Added);
    assert_eq!(text(h.path()).lines().count(), 3);
}

#[test]
fn a_truncated_last_line_is_skipped_kept_and_followed_on_a_new_line() {
    let dir = tempfile::tempdir().unwrap();
    let h = History::at(dir.path().join("history.jsonl"));
    h.append(&record("s", 0, "cpu", &[("latency_p99_ms", 1.0)])).unwrap();
    h.append(&record("s", 1, "cpu", &[("latency_p99_ms", 1.1)])).unwrap();
    // A crash mid-append: half a record, no newline.
    let full = serde_json::to_string(&record("s", 2, "cpu", &[("latency_p99_ms", 1.2)])).unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(h.path()).unwrap();
    f.write_all(&full.as_bytes()[..full.len() / 2]).unwrap();
    drop(f);
    let before = text(h.path());

    let loaded = h.load().unwrap();
    assert_eq!(loaded.records.len(), 2);
    assert_eq!(loaded.warnings.len(), 1);
    let w = loaded.warnings[0].to_string();
    assert!(w.starts_with(&format!("{}:3:", h.path().display())), "{w}");
    assert!(w.contains("cut short") && w.contains("left as it is"), "{w}");
    assert_eq!(text(h.path()), before, "reading rewrote the file");

    let next = record("s", 3, "cpu", &[("latency_p99_ms", 1.3)]);
    h.append(&next).unwrap();
    let after = text(h.path());
    assert!(after.starts_with(&before), "existing bytes changed");
    assert_eq!(after.lines().count(), 4);
    let loaded = h.load().unwrap();
    assert_eq!(loaded.records.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![1, 2, 4]);
    assert_eq!(loaded.records[2].1, next);
    assert_eq!(loaded.warnings.len(), 1);
    assert!(loaded.warnings[0].reason.starts_with("not JSON"), "{:?}", loaded.warnings);
}

#[test]
fn garbage_and_foreign_lines_are_named_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    let good = serde_json::to_string(&record("s", 0, "cpu", &[])).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
    v["schema_version"] = 9.into();
    let lines = [
        good.clone(),
        "\u{0}\u{1}garbage".into(),
        String::new(),
        v.to_string(),
        "{\"format\":\"noisegate-history\",\"schema_version\":1}".into(),
        good,
    ];
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let loaded = History::at(&path).load().unwrap();
    assert_eq!(loaded.records.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![1, 6]);
    let warned: Vec<(usize, &str)> = loaded.warnings.iter().map(|w| (w.line, w.reason.as_str())).collect();
    assert_eq!(warned.len(), 3, "{warned:?}");
    assert_eq!(warned[0].0, 2);
    assert!(warned[1].0 == 4 && warned[1].1.contains("schema_version 9"), "{warned:?}");
    assert!(warned[2].0 == 5 && warned[2].1.starts_with("not a valid record"), "{warned:?}");
}

#[test]
fn an_unwritable_history_is_a_clear_error_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, "x").unwrap();
    let h = History::at(blocker.join("history.jsonl"));
    let msg = h.append(&record("s", 0, "cpu", &[])).unwrap_err().to_string();
    assert!(msg.contains("cannot create the directory of history file") && msg.contains("blocker"), "{msg}");
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "x");
}

#[test]
fn concurrent_appends_never_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    std::thread::scope(|s| {
        for t in 0..4 {
            let h = History::at(&path);
            s.spawn(move || {
                for i in 0..25 {
                    let big: Vec<(String, f64)> =
                        (0..20).map(|k| (format!("metric_{k}"), (t * 100 + i) as f64)).collect();
                    let mut r = record(&format!("s{t}"), i, "cpu", &[]);
                    r.metrics = big.into_iter().collect::<BTreeMap<_, _>>();
                    h.append(&r).unwrap();
                }
            });
        }
    });
    let loaded = History::at(&path).load().unwrap();
    assert_eq!(loaded.warnings, vec![]);
    assert_eq!(loaded.records.len(), 100);
}

#[test]
fn records_take_the_runs_machine_and_only_measured_metrics() {
    let ctx = crate::report::run::tests::context(60.0);
    let mut m = SystemMetrics::new("load/x", ctx);
    m.throughput.requests_per_second = Some(1234.5);
    let r = Record::from_metrics(&m, "main");
    assert_eq!(r.fingerprint.cpu_model, "AMD EPYC 7B13");
    assert_eq!(r.fingerprint.rustc, m.context.rustc);
    assert_eq!(r.baseline, "main");
    assert_eq!(r.run_at, "2026-01-15T10:30:00Z");
    assert_eq!(r.metrics, BTreeMap::from([("requests_per_second".to_owned(), 1234.5)]));
    assert_eq!(r.value(Metric::RequestsPerSecond), Some(1234.5));
    assert_eq!(r.value(Metric::LatencyP99Ms), None);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    /// Whatever garbage sits between records (newline-free junk, lines cut short), every intact
    /// record is read back, in order, and appending keeps every existing byte.
    #[test]
    fn garbage_never_costs_an_intact_record(junk in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        let mut bytes = Vec::new();
        let mut expected = Vec::new();
        for (i, j) in junk.iter().enumerate() {
            let r = record("s", i, "cpu", &[("latency_p99_ms", i as f64)]);
            bytes.extend(serde_json::to_vec(&r).unwrap());
            bytes.push(b'\n');
            expected.push(r);
            bytes.extend(j.iter().copied().filter(|&b| b != b'\n'));
            bytes.push(b'\n');
        }
        // And a last line cut short.
        bytes.extend_from_slice(b"{\"format\":\"noisegate-hist");
        std::fs::write(&path, &bytes).unwrap();
        let h = History::at(&path);
        let got: Vec<Record> = h.load().unwrap().records.into_iter().map(|(_, r)| r).collect();
        prop_assert_eq!(&got, &expected);
        let extra = record("s", 99, "cpu", &[]);
        h.append(&extra).unwrap();
        let after = std::fs::read(&path).unwrap();
        prop_assert!(after.starts_with(&bytes));
        let got: Vec<Record> = h.load().unwrap().records.into_iter().map(|(_, r)| r).collect();
        prop_assert_eq!(got.last(), Some(&extra));
        prop_assert_eq!(got.len(), expected.len() + 1);
    }
}

/// 30 runs of p99 ≈ 10 ms, then 10 of ≈ 13 ms; throughput flat. Deterministic wobble.
fn stepped_history() -> Vec<(usize, Record)> {
    (0..40)
        .map(|i| {
            let wobble = 1.0 + 0.02 * (((i * 7919) % 13) as f64 / 6.0 - 1.0);
            let p99 = if i < 30 { 10.0 } else { 13.0 } * wobble;
            (
                i + 1,
                record(
                    "load/steady",
                    i,
                    "AMD EPYC 7B13",
                    &[("latency_p99_ms", p99), ("requests_per_second", 1000.0 * wobble)],
                ),
            )
        })
        .collect()
}

fn trend(records: &[(usize, Record)], opts: &TrendOptions) -> TrendReport {
    TrendReport::analyse("target/noisegate/history.jsonl".into(), records, vec![], opts)
}

#[test]
fn a_step_for_the_worse_in_the_latest_segment_fails() {
    let t = trend(&stepped_history(), &TrendOptions::default());
    assert_eq!(t.series.len(), 2);
    let p99 = t.series.iter().find(|s| s.metric == Metric::LatencyP99Ms).unwrap();
    assert_eq!(p99.steps.len(), 1, "{:?}", p99.steps);
    assert_eq!(p99.steps[0].index, 30);
    assert!(p99.steps[0].worse && p99.steps[0].machine_change.is_empty());
    let rps = t.series.iter().find(|s| s.metric == Metric::RequestsPerSecond).unwrap();
    assert_eq!(rps.steps, vec![]);
    assert_eq!(t.failing().len(), 1);
}

#[test]
fn steps_across_machines_and_improvements_do_not_fail() {
    let mut h = stepped_history();
    for (_, r) in &mut h[30..] {
        r.fingerprint = fingerprint("Intel Xeon");
    }
    let t = trend(&h, &TrendOptions::default());
    let p99 = t.series.iter().find(|s| s.metric == Metric::LatencyP99Ms).unwrap();
    assert_eq!(p99.steps[0].machine_change, vec!["cpu_model: AMD EPYC 7B13 vs Intel Xeon".to_owned()]);
    assert!(t.failing().is_empty());

    // Latency going down is better; a step up then back down leaves the latest step "better".
    let mut h = stepped_history();
    h.extend(
        stepped_history()[..10].iter().map(|(l, r)| (l + 40, Record { run_at: format!("later {l}"), ..r.clone() })),
    );
    let t = trend(&h, &TrendOptions { metrics: vec![Metric::LatencyP99Ms], ..Default::default() });
    let steps = &t.series[0].steps;
    assert_eq!(steps.iter().map(|s| (s.index, s.worse)).collect::<Vec<_>>(), vec![(30, true), (40, false)]);
    assert!(t.failing().is_empty());
}

#[test]
fn filters_pick_scenarios_metrics_and_baselines() {
    let mut h = stepped_history();
    h.push((41, record("other", 0, "cpu", &[("latency_p99_ms", 1.0)])));
    let only =
        |opts: TrendOptions| trend(&h, &opts).series.iter().map(|s| (s.scenario.clone(), s.metric)).collect::<Vec<_>>();
    assert_eq!(
        only(TrendOptions { scenarios: vec!["other".into()], ..Default::default() }),
        vec![("other".into(), Metric::LatencyP99Ms)]
    );
    assert_eq!(only(TrendOptions { metrics: vec![Metric::RequestsPerSecond], ..Default::default() }).len(), 1);
    assert_eq!(only(TrendOptions { baseline: Some("main".into()), ..Default::default() }), vec![]);
}

fn small_trend() -> TrendReport {
    let h: Vec<(usize, Record)> = stepped_history().into_iter().skip(20).collect();
    let warnings =
        vec![HistoryWarning { path: "target/noisegate/history.jsonl".into(), line: 7, reason: "not JSON: x".into() }];
    TrendReport::analyse("target/noisegate/history.jsonl".into(), &h, warnings, &TrendOptions::default())
}

#[test]
fn snapshot_trend_text() {
    insta::assert_snapshot!("trend_text", render_trend(&small_trend(), ReportFormat::Text).unwrap());
}

#[test]
fn snapshot_trend_markdown() {
    insta::assert_snapshot!("trend_markdown", render_trend(&small_trend(), ReportFormat::Markdown).unwrap());
}

#[test]
fn snapshot_trend_json() {
    let body = render_trend(&small_trend(), ReportFormat::Json).unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["format"], "noisegate-trend");
    assert_eq!(v["failed"], true);
    insta::assert_snapshot!("trend_json", body);
}

#[test]
fn trend_html_has_a_chart_per_series_and_escapes_names() {
    let mut h = stepped_history();
    for (_, r) in &mut h {
        r.scenario = "<b>load</b> & co".into();
    }
    let html = render_trend(&trend(&h, &TrendOptions::default()), ReportFormat::Html).unwrap();
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(html.contains("&lt;b&gt;load&lt;/b&gt; &amp; co") && !html.contains("<b>load"));
    assert!(!html.contains("http") && !html.contains("<script"));
}
