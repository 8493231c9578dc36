//! Reports for people and tools.
//!
//! [`render`] turns a gate [`Comparison`](crate::gate::Comparison) into one of several
//! [`Format`]s: an aligned terminal table, a pull-request comment, noisegate's versioned JSON,
//! Bencher Metric Format and github-action-benchmark's `customSmallerIsBetter` input. Whatever
//! a format cannot carry (warnings and some rows, in the third-party formats) comes back in
//! [`Rendered::notes`] for the caller to print, never silently dropped.
//!
//! [`run`] is the run report of `noisegate report`: what scenario runs measured (SystemMetrics and
//! their timelines) as text, Markdown, JSON or self-contained HTML with SVG charts.

mod compare;
mod digits;
pub mod run;

pub use compare::{Format, RenderOptions, Rendered, UnknownFormat, render};
pub use run::{ReportFormat, RunReport};
