//! The pull-request comment (GitHub-flavoured Markdown).
//!
//! Layout: a marker line (`<!-- noisegate-bench -->`) by which a workflow finds and updates its
//! own sticky comment; one summary line; warnings; a table of the rows that need attention;
//! then, folded, every row and a short guide to reading the numbers. Ids are code spans, so
//! underscores and asterisks stay literal; `|` is escaped for the table and backticks get a
//! longer fence.

use super::format::{self, plural};
use super::{any_assumed, assumed_note, label, needs_attention, tally_parts};
use crate::gate::{Comparison, NoiseSource, Outcome, Row, Verdict};

/// The first line of every comment, by which a workflow finds the comment to update.
pub(crate) const MARKER: &str = "<!-- noisegate-bench -->";

const NONE: &str = "—";

/// `s` as an inline code span that is safe in a table cell.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // A space on each side keeps a leading or trailing backtick off the fence (CommonMark
    // strips one such space from each side).
    let pad = if s.starts_with('`') || s.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// `s` as literal text: Markdown's punctuation escaped, lines joined.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn summary(cmp: &Comparison) -> String {
    let t = cmp.tally();
    let outcome = cmp.outcome();
    let headline = match outcome {
        Outcome::Passed => "✅ no confident regression".to_owned(),
        Outcome::Regressed => format!("❌ {} confident {}", t.regressed, plural(t.regressed, "regression")),
        Outcome::CannotJudge => match cmp.nothing_judged() {
            Some(why) => format!("⚠️ nothing was judged: {}", text(&why)),
            None => format!("⚠️ {} {} could not be judged", t.invalid, plural(t.invalid, "benchmark")),
        },
    };
    let mut parts = vec![format!("**noisegate: {headline}**")];
    for (n, what) in tally_parts(&t) {
        let in_headline = what == "invalid" || (what == "regressed" && outcome == Outcome::Regressed);
        if n > 0 && !in_headline {
            parts.push(format!("{n} {what}"));
        }
    }
    if let Some(note) = cmp.coverage_note() {
        parts.push(format!("**{note}**"));
    }
    parts.push(format::settings(cmp));
    parts.join(" · ")
}

fn verdict_cell(row: &Row) -> String {
    match row {
        Row::Judged(j) => match j.verdict {
            Verdict::Regressed => "❌ **regressed**".to_owned(),
            Verdict::Improved => "✅ improved".to_owned(),
            _ => label(row).to_owned(),
        },
        Row::Invalid { reason, .. } => format!("⚠️ **invalid**: {}", text(reason)),
        Row::Added { .. } | Row::Removed { .. } | Row::LeftOut { .. } => label(row).to_owned(),
    }
}

/// The cells of one row; `with_rounds` adds the rounds column of the full table.
fn cells(row: &Row, with_rounds: bool) -> Vec<String> {
    let none = || NONE.to_owned();
    let mut cells = match row {
        Row::Judged(j) => {
            let floor = match j.noise.source {
                NoiseSource::Assumed => format!("**{} (assumed)** ⚠️", format::floor(&j.noise)),
                s => format!("{} ({})", format::floor(&j.noise), format::source(s)),
            };
            vec![
                format::value(j.base.typical, &j.unit),
                format::value(j.head.typical, &j.unit),
                format::change(&j.change),
                verdict_cell(row),
                floor,
                format::rounds(j),
            ]
        }
        Row::Added { head, unit, .. } => {
            vec![none(), format::value(*head, unit), none(), verdict_cell(row), none(), none()]
        }
        Row::Removed { base, unit, .. } | Row::LeftOut { base, unit, .. } => {
            vec![format::value(*base, unit), none(), none(), verdict_cell(row), none(), none()]
        }
        Row::Invalid { .. } => vec![none(), none(), none(), verdict_cell(row), none(), none()],
    };
    if !with_rounds {
        cells.pop();
    }
    cells.insert(0, code(row.id()));
    cells
}

fn table<'a>(cmp: &Comparison, rows: impl Iterator<Item = &'a Row>, with_rounds: bool, out: &mut String) {
    let confidence = format::setting_percent(1.0 - cmp.config.alpha);
    out.push_str(&format!("| Benchmark | Base | Head | Change ({confidence} CI) | Verdict | Noise floor |"));
    out.push_str(if with_rounds { " Rounds |\n" } else { "\n" });
    out.push_str(if with_rounds { "|---|--:|--:|---|---|---|---|\n" } else { "|---|--:|--:|---|---|---|\n" });
    for row in rows {
        out.push_str(&format!("| {} |\n", cells(row, with_rounds).join(" | ")));
    }
}

fn guide(cmp: &Comparison, out: &mut String) {
    let threshold = format::setting_percent(cmp.config.threshold);
    let confidence = format::setting_percent(1.0 - cmp.config.alpha);
    let power = format::setting_percent(cmp.config.power);
    let fdr = format::setting_percent(cmp.config.alpha);
    let lines = [
        "**Rounds** are separate process runs of the suite on each side; each gives one figure per benchmark \
         (for criterion, its median time per iteration). Outlier rounds are set aside and counted."
            .to_owned(),
        format!(
            "**Change** is head against base (`head / base − 1`) with its {confidence} confidence interval, computed \
             from the variance *between* runs, which on a shared machine is several times the spread inside one run."
        ),
        format!(
            "**Noise floor** is the smallest change this benchmark reliably shows ({power} of the time) with these rounds. \
             *calibrated*: noise from `noisegate calibrate`'s repeated runs; *measured*: from this comparison's rounds; \
             *assumed*: {}.",
            assumed_note()
        ),
        format!(
            "**Verdicts**: *regressed* / *improved*: confidently worse / better by more than the {threshold} threshold; \
             *unchanged*: the interval lies within ±{threshold}; *inconclusive*: the interval straddles the threshold \
             (more rounds would tell); *too noisy*: nothing confident and the noise floor exceeds the threshold; \
             *added* / *removed*: only in head / base, not judged; *invalid*: unusable figures, so the gate cannot pass."
        ),
        format!(
            "Confidence is corrected across the whole suite (Benjamini–Hochberg, false-discovery rate {fdr}), so a \
             large suite does not flag a benchmark by chance alone."
        ),
    ];
    out.push_str("<details><summary>How to read this</summary>\n\n");
    for l in lines {
        out.push_str(&format!("- {l}\n"));
    }
    out.push_str("\n</details>\n");
}

/// The comment.
pub(super) fn render(cmp: &Comparison) -> String {
    let mut out = format!("{MARKER}\n{}\n\n", summary(cmp));
    for w in &cmp.warnings {
        out.push_str(&format!("> **Warning:** {}\n\n", text(w)));
    }
    let n = cmp.rows.len();
    if cmp.rows.iter().any(needs_attention) {
        table(cmp, cmp.rows.iter().filter(|r| needs_attention(r)), false, &mut out);
    } else if n == 0 {
        out.push_str("No benchmarks on either side.\n");
    } else {
        let threshold = format::setting_percent(cmp.config.threshold);
        out.push_str(&format!("No benchmark changed: all {n} are unchanged within ±{threshold}.\n"));
    }
    if any_assumed(cmp) {
        out.push_str(&format!("\n⚠️ **Assumed noise floor**: {}.\n", assumed_note()));
    }
    let names = |v: &[String]| v.iter().map(|s| code(s)).collect::<Vec<_>>().join(", ");
    out.push_str(&format!("\n<details><summary>All {n} {}</summary>\n\n", plural(n, "benchmark")));
    out.push_str(&format!("Base: {}. Head: {}.\n\n", names(&cmp.base_names), names(&cmp.head_names)));
    if n > 0 {
        table(cmp, cmp.rows.iter(), true, &mut out);
        out.push('\n');
    }
    out.push_str("</details>\n\n");
    guide(cmp, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_code_spans_safe_in_tables() {
        assert_eq!(code("route_1to1/orchestrator/256"), "`route_1to1/orchestrator/256`");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("fan`out"), "``fan`out``");
        assert_eq!(code("`x``"), "``` `x`` ```");
        assert_eq!(code("two\nlines"), "`two lines`");
    }

    #[test]
    fn text_escapes_markdown_punctuation() {
        assert_eq!(text("cpu_model: <A> | *B*"), "cpu\\_model: \\<A\\> \\| \\*B\\*");
    }
}
