//! Rendering a gate [`Comparison`] in each output format.
//!
//! Human formats (text, Markdown) show every row, warnings at the top (text: and again at the
//! end), and say where each noise figure came from. Machine formats (JSON, BMF,
//! github-benchmark) get their own serde types, apart from the gate's analysis types, so those
//! can change without breaking files other tools read. What a format cannot carry — the
//! warnings and some rows, in the third-party formats — is listed in [`Rendered::notes`]
//! rather than dropped silently.

mod bmf;
mod format;
mod github;
mod json;
mod markdown;
#[cfg(test)]
mod tests;
mod text;

use std::fmt;
use std::str::FromStr;

use crate::gate::{Comparison, Row, Tally, Verdict};

/// An output format of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Aligned table for a terminal or CI log, optionally coloured.
    Text,
    /// A sticky pull-request comment (GitHub-flavoured Markdown).
    Markdown,
    /// noisegate's own versioned JSON (`"format": "noisegate-comparison"`, schema version 1).
    Json,
    /// Bencher Metric Format, for `bencher run --adapter json`.
    Bmf,
    /// github-action-benchmark's `customSmallerIsBetter` input.
    GithubBenchmark,
}

impl Format {
    /// Every format, in the order help texts list them.
    pub const ALL: [Format; 5] = [Format::Text, Format::Markdown, Format::Json, Format::Bmf, Format::GithubBenchmark];

    /// The name used on the command line: `text`, `markdown`, `json`, `bmf`, `github-benchmark`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Json => "json",
            Format::Bmf => "bmf",
            Format::GithubBenchmark => "github-benchmark",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is not one of [`Format::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format `{0}` (expected text, markdown, json, bmf or github-benchmark)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// How to render.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colour; affects [`Format::Text`] only.
    pub color: bool,
}

/// A rendered comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The output, ending in a newline.
    pub body: String,
    /// What the format could not carry (e.g. higher-is-better series in
    /// `customSmallerIsBetter`), one sentence each, for the caller to print on stderr.
    pub notes: Vec<String>,
}

impl Rendered {
    fn body(body: String) -> Rendered {
        Rendered { body, notes: Vec::new() }
    }
}

/// Renders `cmp` in `format`.
pub fn render(cmp: &Comparison, format: Format, opts: &RenderOptions) -> Rendered {
    match format {
        Format::Text => Rendered::body(text::render(cmp, opts.color)),
        Format::Markdown => Rendered::body(markdown::render(cmp)),
        Format::Json => Rendered::body(json::render(cmp)),
        Format::Bmf => with_warnings(cmp, bmf::render(cmp)),
        Format::GithubBenchmark => with_warnings(cmp, github::render(cmp)),
    }
}

/// Third-party formats have no place for warnings, so they travel as notes, first.
fn with_warnings(cmp: &Comparison, mut r: Rendered) -> Rendered {
    let warnings = cmp.warnings.iter().map(|w| format!("WARNING: {w}"));
    r.notes = warnings.chain(r.notes).collect();
    r
}

/// The label of a verdict or row kind in the human formats.
pub(crate) fn label(row: &Row) -> &'static str {
    match row {
        Row::Judged(j) => j.verdict.as_str(),
        Row::Added { .. } => "added",
        Row::Removed { .. } => "removed",
        Row::LeftOut { .. } => "left out",
        Row::Invalid { .. } => "invalid",
    }
}

/// Whether a reader of a pull request should look at this row.
pub(crate) fn needs_attention(row: &Row) -> bool {
    !matches!(row, Row::Judged(j) if j.verdict == Verdict::Unchanged)
}

/// `(count, label)` for every row kind, in the order summaries list them.
pub(crate) fn tally_parts(t: &Tally) -> [(usize, &'static str); 9] {
    [
        (t.regressed, "regressed"),
        (t.improved, "improved"),
        (t.unchanged, "unchanged"),
        (t.inconclusive, "inconclusive"),
        (t.too_noisy, "too noisy"),
        (t.added, "added"),
        (t.removed, "removed"),
        (t.left_out, "left out"),
        (t.invalid, "invalid"),
    ]
}

/// Ids of the rows matching `pred`, comma-separated, for outcome lines.
pub(crate) fn ids_where(cmp: &Comparison, pred: impl Fn(&Row) -> bool) -> String {
    cmp.rows.iter().filter(|r| pred(r)).map(Row::id).collect::<Vec<_>>().join(", ")
}

/// Whether any judged row used an assumed noise figure.
pub(crate) fn any_assumed(cmp: &Comparison) -> bool {
    cmp.rows.iter().any(|r| matches!(r, Row::Judged(j) if j.noise.source == crate::gate::NoiseSource::Assumed))
}

/// What an assumed noise floor means and how to replace it, for the human formats.
pub(crate) fn assumed_note() -> String {
    format!(
        "between-run noise was not measured (one round a side and no calibration) but assumed to be {}; \
         run `noisegate calibrate --mode alternate` to measure it",
        format::setting_percent(crate::gate::ASSUMED_RUN_SD)
    )
}
