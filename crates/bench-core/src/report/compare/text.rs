//! The terminal report: a header, warnings, an aligned table of every row, a summary and the
//! outcome.
//!
//! Warnings go both above the table and after the summary: in a long CI log the reader sees
//! the end first. Without colour the words carry everything (`WARNING:`, `INVALID:`,
//! `ASSUMED`, `FAIL:`), since CI logs are rarely coloured.

use super::format::{self, plural};
use super::{any_assumed, assumed_note, ids_where, label, tally_parts};
use crate::gate::{Comparison, NoiseSource, Outcome, Row, Verdict};

const RESET: &str = "\x1b[0m";

/// What a piece of text means, and so its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// A confident regression, a failed gate: red and bold.
    Bad,
    /// An improvement, a passed gate: green.
    Good,
    /// Inconclusive or too noisy: yellow.
    Unsure,
    /// Unchanged: dim, so the rows that matter stand out.
    Quiet,
    /// Unusable figures: red.
    Broken,
    /// Warnings and assumed noise: yellow and bold.
    Loud,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Bad => "\x1b[1;31m",
            Style::Good => "\x1b[32m",
            Style::Unsure => "\x1b[33m",
            Style::Quiet => "\x1b[2m",
            Style::Broken => "\x1b[31m",
            Style::Loud => "\x1b[1;33m",
        }
    }
}

/// `s` wrapped in the style's escape codes when colouring.
fn paint(s: &str, style: Option<Style>, color: bool) -> String {
    match style {
        Some(st) if color && !s.is_empty() => format!("{}{s}{RESET}", st.code()),
        _ => s.to_owned(),
    }
}

/// One table cell; padding is computed on `text` before any colour is added.
struct Cell {
    text: String,
    style: Option<Style>,
    right: bool,
}

impl Cell {
    fn left(text: impl Into<String>, style: Option<Style>) -> Cell {
        Cell { text: text.into(), style, right: false }
    }

    fn right(text: impl Into<String>, style: Option<Style>) -> Cell {
        Cell { text: text.into(), style, right: true }
    }

    fn width(&self) -> usize {
        self.text.chars().count()
    }

    fn padded(&self, width: usize, color: bool) -> String {
        let pad = " ".repeat(width.saturating_sub(self.width()));
        let text = if self.right { format!("{pad}{}", self.text) } else { format!("{}{pad}", self.text) };
        paint(&text, self.style, color)
    }
}

/// A table line: aligned cells, or an id followed by text that ignores the columns (so a long
/// reason does not widen every row).
enum Line {
    Cells(Vec<Cell>),
    Spanning(Cell, Cell),
}

const NONE: &str = "—";

fn verdict_style(v: Verdict) -> Style {
    match v {
        Verdict::Regressed => Style::Bad,
        Verdict::Improved => Style::Good,
        Verdict::Inconclusive | Verdict::TooNoisy => Style::Unsure,
        Verdict::Unchanged => Style::Quiet,
    }
}

fn line(row: &Row) -> Line {
    match row {
        Row::Judged(j) => {
            let style = Some(verdict_style(j.verdict));
            // Unchanged rows are dimmed whole; other rows colour what changed.
            let rest = (j.verdict == Verdict::Unchanged).then_some(Style::Quiet);
            let floor = match j.noise.source {
                NoiseSource::Assumed => Cell::left(format!("{} (ASSUMED)", format::floor(&j.noise)), Some(Style::Loud)),
                s => Cell::left(format!("{} ({})", format::floor(&j.noise), format::source(s)), rest),
            };
            Line::Cells(vec![
                Cell::left(&j.id, rest),
                Cell::right(format::value(j.base.typical, &j.unit), rest),
                Cell::right(format::value(j.head.typical, &j.unit), rest),
                Cell::left(format::change(&j.change), style),
                Cell::left(label(row), style),
                floor,
                Cell::left(format::rounds(j), rest),
            ])
        }
        Row::Added { id, head, unit } => Line::Cells(vec![
            Cell::left(id, None),
            Cell::right(NONE, None),
            Cell::right(format::value(*head, unit), None),
            Cell::left(NONE, None),
            Cell::left(label(row), None),
            Cell::left(NONE, None),
            Cell::left(NONE, None),
        ]),
        Row::Removed { id, base, unit } | Row::LeftOut { id, base, unit } => Line::Cells(vec![
            Cell::left(id, None),
            Cell::right(format::value(*base, unit), None),
            Cell::right(NONE, None),
            Cell::left(NONE, None),
            Cell::left(label(row), None),
            Cell::left(NONE, None),
            Cell::left(NONE, None),
        ]),
        Row::Invalid { id, reason } => {
            Line::Spanning(Cell::left(id, None), Cell::left(format!("INVALID: {reason}"), Some(Style::Broken)))
        }
    }
}

fn table(cmp: &Comparison, color: bool, out: &mut String) {
    let confidence = format::setting_percent(1.0 - cmp.config.alpha);
    let header =
        ["benchmark", "base", "head", &format!("change [{confidence} CI]"), "verdict", "noise floor", "rounds"];
    let mut lines = vec![Line::Cells(
        header
            .iter()
            .enumerate()
            .map(|(i, h)| if i == 1 || i == 2 { Cell::right(*h, None) } else { Cell::left(*h, None) })
            .collect(),
    )];
    lines.extend(cmp.rows.iter().map(line));

    let mut widths = vec![0; header.len()];
    for l in &lines {
        match l {
            Line::Cells(cells) => cells.iter().zip(&mut widths).for_each(|(c, w)| *w = (*w).max(c.width())),
            Line::Spanning(id, _) => widths[0] = widths[0].max(id.width()),
        }
    }
    for (n, l) in lines.iter().enumerate() {
        let text = match l {
            Line::Cells(cells) => {
                let last = cells.len() - 1;
                let parts: Vec<String> = cells
                    .iter()
                    .zip(&widths)
                    .enumerate()
                    .map(|(i, (c, &w))| c.padded(if i == last && !c.right { 0 } else { w }, color))
                    .collect();
                parts.join("  ")
            }
            Line::Spanning(id, rest) => format!("{}  {}", id.padded(widths[0], color), rest.padded(0, color)),
        };
        out.push_str(&text);
        out.push('\n');
        if n == 0 {
            let total = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            out.push_str(&"-".repeat(total));
            out.push('\n');
        }
    }
}

fn warnings(cmp: &Comparison, color: bool, out: &mut String) {
    for w in &cmp.warnings {
        out.push_str(&paint(&format!("WARNING: {w}"), Some(Style::Loud), color));
        out.push('\n');
    }
}

fn outcome(cmp: &Comparison) -> (String, Style) {
    let regressed = |r: &Row| matches!(r, Row::Judged(j) if j.verdict == Verdict::Regressed);
    let coverage = cmp.coverage_note().map(|n| format!(" ({n})")).unwrap_or_default();
    if let Some(why) = cmp.nothing_judged() {
        return (format!("ERROR: nothing was judged: {why}"), Style::Bad);
    }
    match cmp.outcome() {
        Outcome::Passed => (format!("ok: no confident regression{coverage}"), Style::Good),
        Outcome::Regressed => {
            (format!("FAIL: confident regression: {}{coverage}", ids_where(cmp, regressed)), Style::Bad)
        }
        Outcome::CannotJudge => {
            let invalid = ids_where(cmp, |r| matches!(r, Row::Invalid { .. }));
            let mut s = format!("ERROR: some benchmarks could not be judged: {invalid}");
            let t = cmp.tally();
            if t.regressed > 0 {
                s.push_str(&format!(
                    "; also {} confident {}: {}",
                    t.regressed,
                    plural(t.regressed, "regression"),
                    ids_where(cmp, regressed)
                ));
            }
            (s, Style::Bad)
        }
    }
}

/// The report; `color` adds ANSI escape codes.
pub(super) fn render(cmp: &Comparison, color: bool) -> String {
    let mut out = format!(
        "noisegate: base {} → head {} ({})\n",
        names(&cmp.base_names),
        names(&cmp.head_names),
        format::settings(cmp)
    );
    warnings(cmp, color, &mut out);
    out.push('\n');
    if cmp.rows.is_empty() {
        out.push_str("no benchmarks on either side\n");
    } else {
        table(cmp, color, &mut out);
    }
    if any_assumed(cmp) {
        out.push('\n');
        out.push_str(&paint(&format!("ASSUMED noise floor: {}", assumed_note()), Some(Style::Loud), color));
        out.push('\n');
    }
    out.push('\n');
    let summary: Vec<String> = tally_parts(&cmp.tally()).iter().map(|(n, what)| format!("{n} {what}")).collect();
    out.push_str(&summary.join(", "));
    out.push('\n');
    warnings(cmp, color, &mut out);
    let (text, style) = outcome(cmp);
    out.push_str(&paint(&text, Some(style), color));
    out.push('\n');
    out
}

fn names(names: &[String]) -> String {
    if names.is_empty() { "(none)".to_owned() } else { names.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_counts_characters_not_bytes_or_escape_codes() {
        let c = Cell::right("1.204 µs", Some(Style::Bad));
        assert_eq!(c.padded(10, false), "  1.204 µs");
        assert_eq!(c.padded(10, true), "\x1b[1;31m  1.204 µs\x1b[0m");
        assert_eq!(Cell::left("±1.4%", None).padded(7, true), "±1.4%  ");
    }

    #[test]
    fn empty_text_gets_no_escape_codes() {
        assert_eq!(paint("", Some(Style::Loud), true), "");
    }
}
