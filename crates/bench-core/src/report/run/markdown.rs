//! The Markdown report (GitHub-flavoured): the text report's sections as headings and tables.
//! Every name from a results file is escaped, so a scenario name cannot break a table or open
//! an HTML tag in a rendered comment.

use std::fmt::Write;

use super::format::{self as f, NOT_MEASURED, md};
use super::text::{
    by_count, commit, comparison_cells, machine, measured, rate, resource, scaling_cell, series, summary_lines,
    verdict_word,
};
use super::{RuleStatus, RunReport, ScenarioReport};

pub(super) fn render(r: &RunReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Performance benchmark report\n");
    let _ = writeln!(
        o,
        "Generated {} · {} scenarios · targets: {}\n",
        r.generated_at,
        r.scenarios.len(),
        md(&r.targets_origin)
    );
    let _ = writeln!(o, "**Overall verdict: {}**", verdict_word(r.verdict()));
    for s in &r.scenarios {
        scenario(&mut o, s);
    }
    if !r.scaling.is_empty() {
        let _ = writeln!(o, "\n## Scaling\n");
        for c in &r.scaling {
            let _ = writeln!(o, "### {} (x: {})\n", md(&c.family), md(&c.x_label));
            let heads: Vec<String> =
                c.columns.iter().map(|col| format!("{} ({})", md(&col.key), md(&col.unit))).collect();
            let _ = writeln!(o, "| x | {} | scenario |\n|---:|{}---|", heads.join(" | "), "---:|".repeat(heads.len()));
            for p in &c.points {
                let cells: Vec<String> =
                    p.values.iter().zip(&c.columns).map(|(v, col)| md(&scaling_cell(*v, &col.unit))).collect();
                let _ = writeln!(o, "| {} | {} | {} |", f::plain(p.x), cells.join(" | "), md(&p.scenario));
            }
        }
    }
    o
}

fn scenario(o: &mut String, s: &ScenarioReport) {
    let m = &s.run.metrics;
    let _ = writeln!(o, "\n## {}\n", md(&m.name));
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| Source | {} |", md(&s.run.source.display().to_string()));
    let _ = writeln!(o, "| Measured | {} at {} |", measured(m), md(&m.context.timestamp));
    let _ = writeln!(o, "| Machine | {} |", md(&machine(m)));
    let _ = writeln!(o, "| Commit | {} |", md(&commit(m)));
    let _ = writeln!(o, "| Time series | {} |", md(&series(s)));

    let _ = writeln!(o, "\n### Summary\n");
    let (lines, missing) = summary_lines(&s.evaluation);
    for (_, l) in &lines {
        let _ = writeln!(o, "- {}", md(l));
    }
    if lines.is_empty() {
        let _ = writeln!(o, "- No target metric was measured.");
    }
    if !missing.is_empty() {
        let _ = writeln!(o, "- Not measured: {}", md(&missing.join(", ")));
    }
    let _ = writeln!(o, "\nVerdict: **{}**", verdict_word(s.evaluation.verdict));

    let _ = writeln!(o, "\n### Throughput\n\n| | |\n|---|---|");
    for r in &s.rates {
        let _ = writeln!(o, "| {} | {} |", r.label, md(&rate(r)));
    }
    if let Some(g) = &m.generator {
        let _ = writeln!(
            o,
            "| Offered load | {}/s configured, {}/s achieved send rate |",
            f::num(g.intended_rate),
            f::num(g.achieved_rate)
        );
    }
    if let Some(line) = f::generator(m) {
        let _ = writeln!(o, "| Generator | {} |", md(&line));
    }

    let _ = writeln!(o, "\n### Latency distribution\n");
    match m.latency.as_ref().filter(|l| l.count > 0) {
        None => {
            let _ = writeln!(o, "{NOT_MEASURED}");
        }
        Some(l) => {
            let _ = writeln!(o, "{} samples{}\n", f::group(l.count), l.label_suffix());
            let rows = l.rows();
            let _ = writeln!(
                o,
                "| {} | mean |\n|{}---:|",
                rows.iter().map(|r| r.0).collect::<Vec<_>>().join(" | "),
                "---:|".repeat(rows.len())
            );
            let _ = writeln!(
                o,
                "| {} | {} |",
                rows.iter().map(|r| f::latency(r.1)).collect::<Vec<_>>().join(" | "),
                f::nanos(l.mean_ns)
            );
        }
    }
    for (label, l) in [("Service time", &m.service_time), ("Scheduler lag", &m.scheduler_lag)] {
        if let Some(l) = l.as_ref().filter(|l| l.count > 0) {
            let _ = writeln!(
                o,
                "\n{label}: p50 {}, p99 {}, max {}{}",
                f::latency(l.p50_ns),
                f::latency(l.p99_ns),
                f::latency(l.max_ns),
                l.label_suffix()
            );
        }
    }

    let _ = writeln!(o, "\n### Resource utilization\n\n| | |\n|---|---|");
    for r in &s.resources {
        let _ = writeln!(o, "| {} | {} |", r.label, md(&resource(r)));
    }

    let _ = writeln!(o, "\n### Error analysis\n");
    let e = &m.errors;
    if e.total == 0 {
        let _ = writeln!(o, "{NOT_MEASURED} (the run counted no requests)");
    } else {
        let _ = writeln!(
            o,
            "{} requests: {} successful ({}), {} failed ({}).",
            f::group(e.total),
            f::group(e.succeeded()),
            f::share(e.succeeded(), e.total),
            f::group(e.failed()),
            f::share(e.failed(), e.total)
        );
        if e.failed() > 0 {
            let _ = writeln!(o, "\n| error type | count | share of failures |\n|---|---:|---:|");
            for (k, n) in by_count(e) {
                let _ = writeln!(o, "| {k} | {} | {} |", f::group(n), f::share(n, e.failed()));
            }
        }
    }

    let _ = writeln!(o, "\n### Recommendations\n");
    let findings = s.findings();
    if findings.is_empty() {
        let _ = writeln!(o, "No bottleneck rule fired.");
    }
    for (i, fd) in findings.iter().enumerate() {
        // Findings are noisegate's own sentences (figures, error kinds, `commands`): not escaped.
        let _ = writeln!(o, "{}. **{}** — {} (`{}`)", i + 1, fd.severity.as_str(), fd.summary, fd.rule);
        for e in &fd.evidence {
            let _ = writeln!(o, "   - {e}");
        }
        let _ = writeln!(o, "   - → {}", fd.recommendation);
    }
    let clear: Vec<&str> =
        s.rules.iter().filter(|(_, st)| matches!(st, RuleStatus::Clear)).map(|(r, _)| r.id()).collect();
    if !clear.is_empty() {
        let _ = writeln!(o, "\nChecked, nothing found: {}.", md(&clear.join(", ")));
    }
    for (r, st) in &s.rules {
        if let RuleStatus::NotEvaluated(why) = st {
            let _ = writeln!(o, "\nNot evaluated: {} ({}).", md(r.id()), md(why));
        }
    }

    if let Some(c) = &s.comparison {
        let _ = writeln!(o, "\n### Comparison with baseline `{}`\n", md(&c.baseline));
        if !c.found {
            let _ = writeln!(
                o,
                "No run saved under this baseline for this scenario (looked for {}).",
                md(&c.path.display().to_string())
            );
        } else {
            let _ = writeln!(o, "| metric | current | baseline | change | |\n|---|---:|---:|---:|---|");
            for r in &c.rows {
                let [cur, base, ch, a] = comparison_cells(r);
                let _ = writeln!(o, "| {} | {} | {} | {} | {} |", md(r.metric.key()), cur, base, ch, a);
            }
            let _ = writeln!(
                o,
                "\nOne run a side, not judged for noise: `noisegate compare --base {}` gives a noise-aware verdict.",
                c.baseline.replace('`', "'")
            );
        }
    }
}
