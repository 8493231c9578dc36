//! github-action-benchmark's `customSmallerIsBetter` input
//! (<https://github.com/benchmark-action/github-action-benchmark>): a JSON array of
//! `{ "name", "unit", "value", "range"?, "extra"? }`, one per benchmark, with head's typical
//! figure in the series' unit (`ns`, `B`, `allocs`, or the metric's unit).
//!
//! * `range` (judged rows): `± x`, one between-run standard deviation of head's figure — the
//!   noise the gate used — in the same unit.
//! * `extra`: the gate's verdict, change with interval, base figure, noise floor and rounds,
//!   one per line (the action shows it in chart tooltips and alert comments).
//!
//! The tool assumes smaller is better, so higher-is-better series (throughput) would chart and
//! alert backwards: they are left out with a note, as are removed and invalid rows (no head
//! figure).

use serde::{Deserialize, Serialize};

use super::format::{self, plural};
use super::{Rendered, label};
use crate::gate::{Comparison, Row};
use crate::metrics::Direction;

/// One benchmark, as the action reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BenchGithub {
    pub(crate) name: String,
    pub(crate) unit: String,
    pub(crate) value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) range: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) extra: Option<String>,
}

pub(super) fn render(cmp: &Comparison) -> Rendered {
    let mut benches = Vec::new();
    let (mut higher, mut no_head) = (Vec::new(), Vec::new());
    for row in &cmp.rows {
        match row {
            Row::Judged(j) if j.direction == Direction::Higher => higher.push(j.id.as_str()),
            Row::Judged(j) => {
                let extra = [
                    format!("verdict: {}", label(row)),
                    format!(
                        "change: {} ({} CI)",
                        format::change(&j.change),
                        format::setting_percent(j.change.confidence)
                    ),
                    format!("base: {}", format::value(j.base.typical, &j.unit)),
                    format!("noise floor: {} ({})", format::floor(&j.noise), format::source(j.noise.source)),
                    format!("rounds: {}", format::rounds(j)),
                ];
                benches.push(BenchGithub {
                    name: j.id.clone(),
                    unit: j.unit.to_string(),
                    value: j.head.typical,
                    range: Some(format!("± {}", format::sig4(j.head.typical * j.noise.run_sd))),
                    extra: Some(extra.join("\n")),
                });
            }
            Row::Added { id, head, unit } => benches.push(BenchGithub {
                name: id.clone(),
                unit: unit.to_string(),
                value: *head,
                range: None,
                extra: Some("verdict: added (not in base)".to_owned()),
            }),
            Row::Removed { id, .. } | Row::LeftOut { id, .. } | Row::Invalid { id, .. } => no_head.push(id.as_str()),
        }
    }
    let mut notes = Vec::new();
    if !higher.is_empty() {
        notes.push(format!(
            "github-benchmark: left out {} higher-is-better series (customSmallerIsBetter cannot express them): {}",
            higher.len(),
            higher.join(", ")
        ));
    }
    if !no_head.is_empty() {
        notes.push(format!(
            "github-benchmark: left out {} removed or invalid {} with no head figure: {}",
            no_head.len(),
            plural(no_head.len(), "benchmark"),
            no_head.join(", ")
        ));
    }
    let mut body = serde_json::to_string_pretty(&benches).expect("plain data always serialises");
    body.push('\n');
    Rendered { body, notes }
}
