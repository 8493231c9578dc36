//! # bench-core — noisegate's measurement core
//!
//! Everything noisegate prints is measured by this crate:
//!
//! - [`latency`] — per-thread HdrHistogram recorders (1 ns – 1 h, 3 significant digits), merged
//!   after the run; optional closed-loop correction, always labelled.
//! - [`resource`] — a background sampler of process CPU, RSS, threads and storage I/O.
//! - [`alloc`] — allocation accounting through `stats_alloc` (needs the instrumented global
//!   allocator; fails loudly without it).
//! - [`metrics`] — [`SystemMetrics`](metrics::SystemMetrics), the versioned result type, and the
//!   catalogue of gradeable metrics.
//! - [`targets`] — performance targets from `noisegate.toml` and grading.
//! - [`results`] — the `target/noisegate/` layout and atomic JSON writes.
//! - [`report`] — a gate comparison as a terminal table, PR comment, JSON, BMF or
//!   github-action-benchmark input; the run report (`noisegate report`) as text, Markdown, JSON
//!   or HTML with SVG charts.
//! - [`history`] — the local store of every run (JSON Lines) and change-point trends across runs.
//! - [`load`] — the open-loop, coordinated-omission-free load generator, its closed-loop mode
//!   (with the corrected view), weighted mixes, per-interval timelines and scenario analysis.
//! - [`flamegraph`] — CPU flamegraphs for criterion benches (`--profile-time`), unix only.
//! - [`units`] — newtypes that carry units.

#![warn(missing_docs)]

pub mod alloc;
pub mod baseline;
pub mod calibration;
pub mod cargo_hook;
pub mod criterion_output;
#[cfg(unix)]
pub mod flamegraph;
pub mod gate;
pub mod history;
pub mod latency;
pub mod load;
pub mod metrics;
pub mod report;
pub mod resource;
pub mod results;
pub mod sides;
mod stats;
pub mod targets;
pub mod units;
