//! # workloads — the systems noisegate benchmarks
//!
//! Simulated systems with real code paths: an agent orchestrator (tokio), WASM agent hosts
//! (wasmtime) and cluster nodes (Raft, P2P, model distribution, load balancing, faults). Each is
//! driven through a trait so users can plug their own system into the same benches.
//!
//! The crate is filled system by system; today it only re-exports the measurement core that every
//! workload reports through.

pub use bench_core;
