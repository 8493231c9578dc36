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
//! - [`load`] — the open-loop, coordinated-omission-free load generator.
//! - [`profile`] — CPU flamegraphs for criterion benches (`--profile-time`), unix only.
//! - [`units`] — newtypes that carry units.

#![warn(missing_docs)]

pub mod alloc;
pub mod latency;
pub mod load;
pub mod metrics;
#[cfg(unix)]
pub mod profile;
pub mod resource;
pub mod results;
pub mod targets;
pub mod units;
