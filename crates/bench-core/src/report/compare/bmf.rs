//! Bencher Metric Format (<https://bencher.dev/docs/reference/bencher-metric-format/>), for
//! `bencher run --adapter json`.
//!
//! An object keyed by benchmark name; each benchmark maps measure slugs to
//! `{ "value": number }`. We emit head's typical figure (the geometric mean of its kept
//! rounds) of every judged and added row:
//!
//! | unit | benchmark key | measure slug | value |
//! |---|---|---|---|
//! | time | the id | `latency` (Bencher's built-in measure) | nanoseconds |
//! | bytes | the id | `allocated-bytes` | bytes |
//! | allocations | the id | `allocations` | allocator calls |
//! | metric | the id without its last segment (the scenario) | the last segment, kebab-cased (`requests_per_second` → `requests-per-second`) | in the metric's unit |
//!
//! So a scenario's metrics are measures of one Bencher benchmark. A metric id without `/` keeps
//! the id as benchmark and slugs its unit instead (`req/s` → `req-s`).
//!
//! `lower_value` / `upper_value` are left out: the comparison holds the interval of the
//! *change*, not of head's level, and Bencher's thresholds do their own statistics over
//! history. Removed and invalid rows have no head figure and are left out with a note.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use serde::{Deserialize, Serialize};

use super::Rendered;
use super::format::plural;
use crate::gate::{Comparison, Row, Unit};

/// One metric of one measure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct MetricBmf {
    pub(crate) value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) lower_value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) upper_value: Option<f64>,
}

/// Benchmark name → measure slug → metric.
pub(crate) type Bmf = BTreeMap<String, BTreeMap<String, MetricBmf>>;

/// Lower-case ASCII letters and digits, every other run of characters one `-`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() { "value".to_owned() } else { out.to_owned() }
}

/// Benchmark key and measure slug of a series.
pub(crate) fn key(id: &str, unit: &Unit) -> (String, String) {
    match unit {
        Unit::Nanoseconds => (id.to_owned(), "latency".to_owned()),
        Unit::Bytes => (id.to_owned(), "allocated-bytes".to_owned()),
        Unit::Allocations => (id.to_owned(), "allocations".to_owned()),
        Unit::Metric(u) => match id.rsplit_once('/') {
            Some((scenario, metric)) if !scenario.is_empty() && !metric.is_empty() => {
                (scenario.to_owned(), slug(metric))
            }
            _ => (id.to_owned(), slug(u)),
        },
    }
}

pub(super) fn render(cmp: &Comparison) -> Rendered {
    let mut bmf = Bmf::new();
    let mut left_out = Vec::new();
    let mut clashes = Vec::new();
    for row in &cmp.rows {
        let (id, value, unit) = match row {
            Row::Judged(j) => (&j.id, j.head.typical, &j.unit),
            Row::Added { id, head, unit } => (id, *head, unit),
            Row::Removed { id, .. } | Row::LeftOut { id, .. } | Row::Invalid { id, .. } => {
                left_out.push(id.as_str());
                continue;
            }
        };
        let (bench, measure) = key(id, unit);
        let metric = MetricBmf { value, lower_value: None, upper_value: None };
        match bmf.entry(bench).or_default().entry(measure) {
            Entry::Occupied(_) => clashes.push(id.as_str()),
            Entry::Vacant(v) => {
                v.insert(metric);
            }
        }
    }
    let mut notes = Vec::new();
    if !left_out.is_empty() {
        let n = left_out.len();
        notes.push(format!(
            "BMF: left out {n} removed or invalid {} with no head figure: {}",
            plural(n, "benchmark"),
            left_out.join(", ")
        ));
    }
    if !clashes.is_empty() {
        notes.push(format!(
            "BMF: left out series whose benchmark and measure repeat an earlier one: {}",
            clashes.join(", ")
        ));
    }
    let mut body = serde_json::to_string_pretty(&bmf).expect("plain data always serialises");
    body.push('\n');
    Rendered { body, notes }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_series_become_measures_of_their_scenario() {
        let metric = |u: &str| Unit::Metric(u.into());
        assert_eq!(
            key("orch/steady/requests_per_second", &metric("req/s")),
            ("orch/steady".into(), "requests-per-second".into())
        );
        assert_eq!(key("throughput", &metric("req/s")), ("throughput".into(), "req-s".into()));
        assert_eq!(key("a/b", &Unit::Nanoseconds), ("a/b".into(), "latency".into()));
        assert_eq!(slug("__P99 (ms)__"), "p99-ms");
        assert_eq!(slug("%"), "value");
    }
}
