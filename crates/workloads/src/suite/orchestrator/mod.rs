//! The orchestrator's benchmark suites, generic over [`AgentSystem`](crate::orchestrator::AgentSystem)
//! so the same benches measure any system: call them from a bench target with your system's
//! constructor (see `benches/throughput.rs` and `docs/workloads.md`).
//!
//! - [`throughput`] — messages routed per second (1→1, N→1, 1→N), the agent pool, codecs; each
//!   routing case beside raw `tokio::sync::mpsc` moving the same messages (the physical limit).
//! - [`latency`] — request→response round trip and agent response time, plus open-loop runs at
//!   50 % and 90 % of the measured maximum rate that write graded `SystemMetrics`.
//! - [`scalability`] — 1 to 10,000 agents: spawn time, routing, memory per agent, capability
//!   lookup.
//! - [`memory`] — bytes and allocator calls per routed message, spawned agent and request, as a
//!   criterion `Measurement` (needs the instrumented global allocator in the bench binary).
//!
//! Every measured iteration really routes each message to the receiving agent's task and has it
//! handled there: a sink counts it in a [`Tally`](crate::orchestrator::Tally) and the iteration
//! ends when the tally reaches the expected count.

pub mod latency;
pub mod memory;
pub mod scalability;
pub mod throughput;

mod reference;
