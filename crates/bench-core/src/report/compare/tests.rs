//! Snapshot tests of every format on two fixed comparisons built with the real [`judge`]: a
//! suite with every row kind and verdict (and a warning), and a tiny one that passes.
//!
//! Review snapshot changes by eye: they are the user-facing output. Floats in the JSON-based
//! snapshots are rounded to ten significant digits so that a last-bit difference in a libm
//! cannot fail the test; the bodies themselves keep full precision.

use std::collections::BTreeMap;

use super::bmf::Bmf;
use super::github::BenchGithub;
use super::json::{ComparisonJson, KindJson, OutcomeJson};
use super::*;
use crate::gate::{GateConfig, NoiseEstimate, Outcome, Series, Unit, judge};
use crate::metrics::Direction;

/// The rounds of `gate::tests`, ±0.4 % around 100.
const BASE: [f64; 5] = [100.0, 100.4, 99.6, 100.2, 99.8];

fn at(level: f64, k: f64) -> Vec<f64> {
    BASE.iter().map(|r| r * level / 100.0 * k).collect()
}

fn lower(id: &str, unit: Unit, rounds: Vec<f64>) -> Series {
    Series::lower_is_better(id, unit, rounds)
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}-{i}")).collect()
}

/// Every row kind and every verdict, a calibrated, a measured and an assumed noise figure, an
/// outlier round, an id that needs Markdown escaping, and a machine-mismatch warning.
fn suite() -> Comparison {
    let ns = || Unit::Nanoseconds;
    let rps = |rounds| Series {
        id: "scenario/steady/requests_per_second".into(),
        unit: Unit::Metric("req/s".into()),
        direction: Direction::Higher,
        rounds,
        within: Vec::new(),
        round_of: Vec::new(),
    };
    let p99 = |rounds| lower("scenario/steady/latency_p99_ms", Unit::Metric("ms".into()), rounds);
    let base = vec![
        lower("alloc/bytes", Unit::Bytes, vec![4096.0; 5]),
        lower("alloc/count", Unit::Allocations, vec![12.0; 5]),
        lower("broken/nan", ns(), at(1000.0, 1.0)),
        lower("latency/bimodal", ns(), at(200e3, 1.0)),
        lower("latency/fan|out `x`", ns(), at(15.32e6, 1.0)),
        lower("latency/noisy", ns(), at(2.001e9, 1.0)),
        lower("latency/one_round", ns(), vec![812.3]),
        lower("latency/outlier", ns(), at(45_670.0, 1.0)),
        lower("latency/route_1to1", ns(), at(1204.0, 1.0)),
        lower("old/bench", ns(), vec![500.0; 5]),
        p99(at(4.2, 1.0)),
        rps(at(12_000.0, 1.0)),
    ];
    let mut outlier = at(45_670.0, 1.0);
    outlier[2] *= 1.4;
    let mut nan = at(1000.0, 1.0);
    nan[1] = f64::NAN;
    let head = vec![
        lower("alloc/bytes", Unit::Bytes, vec![3072.0; 5]),
        lower("alloc/count", Unit::Allocations, vec![12.0; 5]),
        lower("broken/nan", ns(), nan),
        // Two of five runs in a slow mode: kept (the noise shows), and reported.
        lower("latency/bimodal", ns(), vec![200e3, 330e3, 200.4e3, 329e3, 199.6e3]),
        lower("latency/fan|out `x`", ns(), at(15.32e6, 1.029)),
        lower("latency/noisy", ns(), at(2.001e9, 1.02)),
        lower("latency/one_round", ns(), vec![850.0]),
        lower("latency/outlier", ns(), outlier),
        lower("latency/route_1to1", ns(), at(1204.0, 1.10)),
        lower("new/bench", ns(), vec![2.5e6; 5]),
        p99(at(4.2, 1.003)),
        rps(at(12_000.0, 1.10)),
    ];
    let cal = |id: &str, run_sd| (id.to_owned(), NoiseEstimate::unpaired(run_sd, 30));
    let noise = BTreeMap::from([
        cal("latency/bimodal", 0.02),
        cal("latency/fan|out `x`", 0.005),
        cal("latency/noisy", 0.05),
        // With five rounds, outlier rounds are only set aside against a calibrated scale.
        cal("latency/outlier", 0.002),
        cal("latency/route_1to1", 0.005),
        cal("scenario/steady/requests_per_second", 0.005),
    ]);
    let config = GateConfig::default();
    Comparison {
        base_names: names("main", 5),
        head_names: names("pr", 5),
        config,
        rows: judge(&base, &head, &noise, &config),
        warnings: vec![
            "comparing across machines (base vs head): cpu_model: AMD EPYC 7B13 vs Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz"
                .into(),
        ],
    }
}

/// Two benchmarks, three rounds a side, one improved, nothing to worry about.
fn passing() -> Comparison {
    let base = vec![
        lower("parse/large", Unit::Nanoseconds, at(15_320.0, 1.0)),
        lower("parse/small", Unit::Nanoseconds, at(96.0, 1.0)),
    ];
    let head = vec![
        lower("parse/large", Unit::Nanoseconds, at(15_320.0, 0.8)),
        lower("parse/small", Unit::Nanoseconds, at(96.0, 1.001)),
    ];
    let (base, head): (Vec<Series>, Vec<Series>) = (
        base.into_iter().map(|s| Series { rounds: s.rounds[..3].to_vec(), ..s }).collect(),
        head.into_iter().map(|s| Series { rounds: s.rounds[..3].to_vec(), ..s }).collect(),
    );
    let config = GateConfig::default();
    Comparison {
        base_names: vec!["main".into(), "main-2".into(), "main-3".into()],
        head_names: vec!["HEAD".into(), "HEAD-2".into(), "HEAD-3".into()],
        config,
        rows: judge(&base, &head, &BTreeMap::new(), &config),
        warnings: vec![],
    }
}

fn plain(cmp: &Comparison, format: Format) -> Rendered {
    render(cmp, format, &RenderOptions { color: false })
}

/// `body` (checked to be JSON) with every float literal rounded to ten significant digits,
/// keeping the layout and key order of the real output.
fn stable_json(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body).expect("the body is JSON");
    fn flush(num: &mut String, out: &mut String) {
        if num.contains(['.', 'e', 'E']) {
            let x: f64 = num.parse().unwrap();
            let rounded: f64 = format!("{x:.9e}").parse().unwrap();
            out.push_str(&serde_json::to_string(&rounded).unwrap());
        } else {
            out.push_str(num);
        }
        num.clear();
    }
    let (mut out, mut num) = (String::new(), String::new());
    let (mut in_string, mut escaped) = (false, false);
    for c in body.chars() {
        if in_string {
            out.push(c);
            (escaped, in_string) = match (escaped, c) {
                (true, _) => (false, true),
                (false, '\\') => (true, true),
                (false, '"') => (false, false),
                _ => (false, true),
            };
        } else if c.is_ascii_digit() || c == '-' || (!num.is_empty() && matches!(c, '.' | 'e' | 'E' | '+')) {
            num.push(c);
        } else {
            flush(&mut num, &mut out);
            in_string = c == '"';
            out.push(c);
        }
    }
    flush(&mut num, &mut out);
    out
}

#[test]
fn the_suite_has_every_row_kind_and_verdict() {
    let cmp = suite();
    let t = cmp.tally();
    assert_eq!(
        (t.regressed, t.improved, t.unchanged, t.inconclusive, t.too_noisy, t.added, t.removed, t.invalid),
        (1, 2, 3, 1, 3, 1, 1, 1),
        "{:#?}",
        cmp.rows
    );
    assert_eq!(cmp.outcome(), Outcome::CannotJudge);
    assert_eq!(passing().outcome(), Outcome::Passed);
}

#[test]
fn snapshot_text() {
    insta::assert_snapshot!("suite_text", plain(&suite(), Format::Text).body);
    insta::assert_snapshot!("passing_text", plain(&passing(), Format::Text).body);
}

#[test]
fn snapshot_markdown() {
    insta::assert_snapshot!("suite_markdown", plain(&suite(), Format::Markdown).body);
    insta::assert_snapshot!("passing_markdown", plain(&passing(), Format::Markdown).body);
}

#[test]
fn snapshot_json() {
    insta::assert_snapshot!("suite_json", stable_json(&plain(&suite(), Format::Json).body));
    insta::assert_snapshot!("passing_json", stable_json(&plain(&passing(), Format::Json).body));
}

#[test]
fn snapshot_bmf() {
    let r = plain(&suite(), Format::Bmf);
    insta::assert_snapshot!("suite_bmf", stable_json(&r.body));
    insta::assert_debug_snapshot!("suite_bmf_notes", r.notes);
    insta::assert_snapshot!("passing_bmf", stable_json(&plain(&passing(), Format::Bmf).body));
}

#[test]
fn snapshot_github_benchmark() {
    let r = plain(&suite(), Format::GithubBenchmark);
    insta::assert_snapshot!("suite_github", stable_json(&r.body));
    insta::assert_debug_snapshot!("suite_github_notes", r.notes);
    insta::assert_snapshot!("passing_github", stable_json(&plain(&passing(), Format::GithubBenchmark).body));
}

#[test]
fn json_parses_back_into_its_output_type() {
    for cmp in [suite(), passing()] {
        let body = plain(&cmp, Format::Json).body;
        let parsed: ComparisonJson = serde_json::from_str(&body).unwrap();
        let expected = ComparisonJson::new(&cmp);
        assert_eq!((parsed.schema_version, parsed.format.as_str()), (1, "noisegate-comparison"));
        assert_eq!((parsed.outcome, parsed.exit_code), (expected.outcome, expected.exit_code));
        assert_eq!(parsed.summary, expected.summary);
        assert_eq!(parsed.benchmarks.len(), cmp.rows.len());
        for (p, e) in parsed.benchmarks.iter().zip(&expected.benchmarks) {
            assert_eq!((&p.id, p.kind, p.verdict, &p.unit, &p.reason), (&e.id, e.kind, e.verdict, &e.unit, &e.reason));
            if let (Some(pc), Some(ec)) = (p.change, e.change) {
                assert!((pc.estimate - ec.estimate).abs() <= 1e-15 * ec.estimate.abs().max(1.0));
            }
        }
    }
    let suite = ComparisonJson::new(&suite());
    assert_eq!((suite.outcome, suite.exit_code), (OutcomeJson::CannotJudge, 2));
    let kinds: Vec<KindJson> = suite.benchmarks.iter().map(|b| b.kind).collect();
    for k in [KindJson::Judged, KindJson::Added, KindJson::Removed, KindJson::Invalid] {
        assert!(kinds.contains(&k), "{k:?}");
    }
    // Stale heads are left out, not removed.
    let mut left = self::suite();
    let removed: Vec<String> =
        left.rows.iter().filter(|r| matches!(r, Row::Removed { .. })).map(|r| r.id().to_owned()).collect();
    left.leave_out(&removed);
    let kinds: Vec<KindJson> = ComparisonJson::new(&left).benchmarks.iter().map(|b| b.kind).collect();
    assert!(kinds.contains(&KindJson::LeftOut) && !kinds.contains(&KindJson::Removed), "{kinds:?}");
    assert_eq!(left.tally().left_out, removed.len());
}

#[test]
fn third_party_formats_parse_as_their_schemas_and_say_what_they_left_out() {
    let cmp = suite();
    let bmf = plain(&cmp, Format::Bmf);
    let parsed: Bmf = serde_json::from_str(&bmf.body).unwrap();
    assert_eq!(parsed["latency/route_1to1"].keys().collect::<Vec<_>>(), ["latency"]);
    assert_eq!(parsed["scenario/steady"].len(), 2, "a scenario's metrics are measures of one benchmark");
    assert!(
        parsed.contains_key("new/bench") && !parsed.contains_key("old/bench") && !parsed.contains_key("broken/nan")
    );
    assert!(bmf.notes[0].starts_with("WARNING: comparing across machines"), "{:?}", bmf.notes);
    assert!(bmf.notes[1].contains("broken/nan, old/bench"), "{:?}", bmf.notes);

    let gh = plain(&cmp, Format::GithubBenchmark);
    let parsed: Vec<BenchGithub> = serde_json::from_str(&gh.body).unwrap();
    assert!(parsed.iter().all(|b| b.name != "scenario/steady/requests_per_second"));
    assert!(parsed.iter().any(|b| b.name == "new/bench" && b.range.is_none()));
    assert!(
        gh.notes.iter().any(|n| n.contains("higher-is-better") && n.contains("requests_per_second")),
        "{:?}",
        gh.notes
    );
    assert!(plain(&passing(), Format::GithubBenchmark).notes.is_empty());
}

#[test]
fn colour_is_only_added_to_text_and_only_when_asked() {
    let cmp = suite();
    for format in Format::ALL {
        let body = plain(&cmp, format).body;
        assert!(!body.contains('\x1b'), "{format}: escape codes without colour");
        let coloured = render(&cmp, format, &RenderOptions { color: true }).body;
        assert_eq!(coloured.contains('\x1b'), format == Format::Text, "{format}");
    }
    let coloured = render(&cmp, Format::Text, &RenderOptions { color: true }).body;
    assert!(coloured.contains("\x1b[1;31mregressed"), "regressed is red and bold");
    assert!(coloured.contains("\x1b[1;33mWARNING: comparing across machines"), "warnings are yellow and bold");
    // Stripped of escape codes, the coloured report is the plain one: padding ignores colour.
    let mut stripped = String::new();
    let mut rest = coloured.as_str();
    while let Some(start) = rest.find('\x1b') {
        stripped.push_str(&rest[..start]);
        rest = &rest[start + rest[start..].find('m').unwrap() + 1..];
    }
    stripped.push_str(rest);
    assert_eq!(stripped, plain(&cmp, Format::Text).body);
}

#[test]
fn text_repeats_warnings_and_ends_with_the_outcome() {
    let body = plain(&suite(), Format::Text).body;
    assert_eq!(body.matches("WARNING: comparing across machines").count(), 2);
    let last = body.lines().last().unwrap();
    assert!(last.starts_with("ERROR: some benchmarks could not be judged: broken/nan"), "{last}");
    assert!(last.ends_with("also 1 confident regression: latency/route_1to1"), "{last}");

    let mut regressed = suite();
    regressed.rows.retain(|r| !matches!(r, crate::gate::Row::Invalid { .. }));
    let body = plain(&regressed, Format::Text).body;
    assert_eq!(body.lines().last().unwrap(), "FAIL: confident regression: latency/route_1to1");
    assert!(plain(&regressed, Format::Markdown).body.contains("**noisegate: ❌ 1 confident regression** · 2 improved"));

    assert_eq!(plain(&passing(), Format::Text).body.lines().last().unwrap(), "ok: no confident regression");
}

#[test]
fn markdown_starts_with_the_marker_and_one_summary_line() {
    for cmp in [suite(), passing()] {
        let body = plain(&cmp, Format::Markdown).body;
        let mut lines = body.lines();
        assert_eq!(lines.next(), Some("<!-- noisegate-bench -->"));
        assert!(lines.next().unwrap().starts_with("**noisegate: "));
        assert_eq!(lines.next(), Some(""));
    }
}

#[test]
fn formats_parse_and_print_their_names() {
    for f in Format::ALL {
        assert_eq!(f.to_string().parse::<Format>(), Ok(f));
    }
    assert_eq!("github-benchmark".parse(), Ok(Format::GithubBenchmark));
    let e = "yaml".parse::<Format>().unwrap_err();
    assert!(e.to_string().contains("`yaml`") && e.to_string().contains("github-benchmark"), "{e}");
}
