//! WebAssembly agent hosts on wasmtime 48: what running an agent as WASM costs against native
//! code, and how its bounds behave (Caxton runs its agents this way).
//!
//! # Design
//!
//! - **One engine per host.** A [`WasmHost`] owns one `wasmtime::Engine`, shared by every
//!   guest and store it creates (an engine is the compilation and runtime environment; sharing
//!   it shares the code cache and the epoch counter). CPU bounds are compiled into the code, so
//!   the [`HostConfig`] fixes them per host: no bound, fuel, or an epoch deadline.
//! - **Compile once.** Modules are compiled on first load and cached by guest name; each cached
//!   [`Guest`] carries an `InstancePre` (imports resolved once) so instantiating is little more
//!   than allocating the instance. With [`HostConfig::pool_slots`] the engine uses wasmtime's
//!   pooling allocator (`InstanceAllocationStrategy::Pooling`): memories and tables come from
//!   preallocated, reused slots.
//! - **One store per agent**, with a limiter built on `StoreLimits` (memory bytes, instance and
//!   table counts; see [`Limits`]). A refused `memory.grow` traps with the cause
//!   ([`WasmError::MemoryLimit`]) instead of returning −1, so a memory bomb stops at once.
//! - **CPU and time bounds.** With [`HostConfig::fuel`] every call starts with that much fuel
//!   (`Store::set_fuel`; deterministic). With [`HostConfig::deadline`] a ticker thread calls
//!   `Engine::increment_epoch` every [`HostConfig::epoch_tick`] and every call (and
//!   instantiation, which may run a start function) gets `Store::set_epoch_deadline`; passing
//!   it traps ([`WasmError::Deadline`]). wasmtime's guide compares the two: epochs are cheaper,
//!   fuel is deterministic (`Config::epoch_interruption` docs).
//! - **Failures are values.** Every way a guest can fail (bad WAT or bytes, a missing export or
//!   a wrong signature, a trap, fuel, deadline, memory, a broken pointer) is a [`WasmError`]
//!   naming the guest and the cause; no guest-controlled value is unwrapped. A failing
//!   [`WasmAgent`] goes through the orchestrator's supervisor like a panicking native agent:
//!   counted, answered with `failure`, restarted.
//!
//! The guests are WebAssembly text under `crates/workloads/guests/` (no wasm32 target is
//! needed), each with a native twin computing the same result ([`native`]): an integer hashing
//! loop, a matrix multiply, a fill-and-sum memory kernel and a message handler. The benchmark
//! suite is [`suite::wasm`](crate::suite::wasm).
//!
//! References: wasmtime's API docs for
//! [`Config::consume_fuel`](https://docs.rs/wasmtime/48.0.8/wasmtime/struct.Config.html#method.consume_fuel),
//! [`Config::epoch_interruption`](https://docs.rs/wasmtime/48.0.8/wasmtime/struct.Config.html#method.epoch_interruption),
//! [`StoreLimitsBuilder`](https://docs.rs/wasmtime/48.0.8/wasmtime/struct.StoreLimitsBuilder.html),
//! [`InstancePre`](https://docs.rs/wasmtime/48.0.8/wasmtime/struct.InstancePre.html),
//! [`PoolingAllocationConfig`](https://docs.rs/wasmtime/48.0.8/wasmtime/struct.PoolingAllocationConfig.html)
//! and [`Trap`](https://docs.rs/wasmtime/48.0.8/wasmtime/enum.Trap.html).

mod agent;
mod engine;
mod error;
mod guest;
mod limits;
pub mod native;
mod ticker;

#[cfg(test)]
mod tests;

pub use agent::{TransformAgent, WasmAgent};
pub use engine::{Guest, HostConfig, WasmHost};
pub use error::{TrapCode, WasmError};
pub use guest::{Builtin, HashKernel, MatmulKernel, MemoryKernel, MessageHandler};
pub use limits::{Limits, PAGE_SIZE};
pub use native::{NativeKernels, transform};

pub(crate) use engine::GuestInstance;
