//! Reports for people and tools.
//!
//! [`render`] turns a gate [`Comparison`](crate::gate::Comparison) into one of several
//! [`Format`]s: an aligned terminal table, a pull-request comment, noisegate's versioned JSON,
//! Bencher Metric Format and github-action-benchmark's `customSmallerIsBetter` input. Whatever
//! a format cannot carry (warnings and some rows, in the third-party formats) comes back in
//! [`Rendered::notes`] for the caller to print, never silently dropped.

mod compare;

pub use compare::{Format, RenderOptions, Rendered, UnknownFormat, render};
