//! # workloads — the systems noisegate benchmarks
//!
//! Simulated systems with real code paths: an agent orchestrator (tokio), WASM agent hosts
//! (wasmtime) and cluster nodes (Raft, P2P, model distribution, load balancing, faults). Each is
//! driven through a trait so users can plug their own system into the same benches.
//!
//! Built system by system; today: the [`orchestrator`], the [`wasm`] agent hosts, and their
//! benchmark [`suite`]s.

#![warn(missing_docs)]

pub mod cluster;
pub mod orchestrator;
pub mod suite;
pub mod wasm;

pub use bench_core;
