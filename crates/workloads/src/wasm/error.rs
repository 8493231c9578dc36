//! Everything a guest can do wrong, as one typed error naming the guest and the cause.
//!
//! wasmtime reports failures as a `wasmtime::Error` whose chain holds the cause: a
//! [`wasmtime::Trap`] for traps, including running out of fuel (`Trap::OutOfFuel`) and passing
//! the epoch deadline (`Trap::Interrupt`), or whatever the host's
//! [`ResourceLimiter`](wasmtime::ResourceLimiter) returned, here [`MemoryDenied`]. [`classify`]
//! turns that chain into a [`WasmError`] (see the "Errors in Wasmtime" section of
//! <https://docs.rs/wasmtime/48.0.8/wasmtime/enum.Trap.html>).

use std::fmt;
use std::time::Duration;

use super::limits::MemoryDenied;

/// Where a failure during instantiation (the start function, or limits) is reported as being
/// (the `at` of its error).
pub(crate) const INSTANTIATE: &str = "instantiate";

/// Why a guest could not be loaded, instantiated or called. Every variant names the guest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WasmError {
    /// The host configuration was rejected (before any guest was involved).
    #[error("invalid WASM host configuration: {detail}")]
    Config {
        /// What is wrong.
        detail: String,
    },
    /// The WebAssembly text did not parse.
    #[error("guest `{guest}`: invalid WAT: {detail}")]
    InvalidWat {
        /// The guest.
        guest: String,
        /// The parser's message, with line and column.
        detail: String,
    },
    /// The bytes are not a valid WebAssembly module, or wasmtime could not compile them.
    #[error("guest `{guest}`: invalid WebAssembly module: {detail}")]
    InvalidModule {
        /// The guest.
        guest: String,
        /// The validator's or compiler's message.
        detail: String,
    },
    /// The guest does not export what the host calls.
    #[error("guest `{guest}` has no export `{export}`")]
    MissingExport {
        /// The guest.
        guest: String,
        /// The export looked for.
        export: String,
    },
    /// The export exists with another type than the host expects.
    #[error("guest `{guest}`: export `{export}` is {found}, expected {expected}")]
    WrongSignature {
        /// The guest.
        guest: String,
        /// The export.
        export: String,
        /// The type the host calls it with.
        expected: String,
        /// The type the guest declares.
        found: String,
    },
    /// The guest trapped.
    #[error("guest `{guest}` trapped in `{at}`: {code}")]
    Trap {
        /// The guest.
        guest: String,
        /// The export called, or `instantiate` for the start function.
        at: String,
        /// Why it trapped.
        code: TrapCode,
    },
    /// The guest used up the fuel of one call (the deterministic CPU bound).
    #[error("guest `{guest}` ran out of fuel in `{at}` (budget {fuel} units per call)")]
    OutOfFuel {
        /// The guest.
        guest: String,
        /// The export called, or `instantiate`.
        at: String,
        /// The budget per call.
        fuel: u64,
    },
    /// The guest ran past its wall-clock deadline and was interrupted (epoch interruption).
    #[error("guest `{guest}` passed its deadline in `{at}` (limit {deadline:?} per call)")]
    Deadline {
        /// The guest.
        guest: String,
        /// The export called, or `instantiate`.
        at: String,
        /// The deadline per call.
        deadline: Duration,
    },
    /// The guest asked for more linear memory than its store allows.
    #[error(
        "guest `{guest}` exceeded its memory limit in `{at}`: wanted {requested} bytes, limit {limit} bytes ({} pages of 64 KiB)",
        limit / super::limits::PAGE_SIZE as u64
    )]
    MemoryLimit {
        /// The guest.
        guest: String,
        /// The export called, or `instantiate`.
        at: String,
        /// The memory size it asked for, in bytes.
        requested: u64,
        /// The most it may have, in bytes.
        limit: u64,
    },
    /// Instantiation failed for another reason: an import the host does not provide, or the
    /// store's instance, table or memory count limit.
    #[error("guest `{guest}` could not be instantiated: {detail}")]
    Instantiate {
        /// The guest.
        guest: String,
        /// wasmtime's message.
        detail: String,
    },
    /// The guest broke the host's calling convention: a pointer or length out of bounds.
    #[error("guest `{guest}` broke the host ABI in `{at}`: {detail}")]
    Abi {
        /// The guest.
        guest: String,
        /// The export called.
        at: String,
        /// What was wrong.
        detail: String,
    },
    /// Any other runtime failure wasmtime reported.
    #[error("guest `{guest}` failed in `{at}`: {detail}")]
    Runtime {
        /// The guest.
        guest: String,
        /// The export called, or `instantiate`.
        at: String,
        /// wasmtime's message.
        detail: String,
    },
}

impl WasmError {
    /// The guest the error is about (empty for [`WasmError::Config`]).
    pub fn guest(&self) -> &str {
        match self {
            WasmError::Config { .. } => "",
            WasmError::InvalidWat { guest, .. }
            | WasmError::InvalidModule { guest, .. }
            | WasmError::MissingExport { guest, .. }
            | WasmError::WrongSignature { guest, .. }
            | WasmError::Trap { guest, .. }
            | WasmError::OutOfFuel { guest, .. }
            | WasmError::Deadline { guest, .. }
            | WasmError::MemoryLimit { guest, .. }
            | WasmError::Instantiate { guest, .. }
            | WasmError::Abi { guest, .. }
            | WasmError::Runtime { guest, .. } => guest,
        }
    }
}

/// Why a guest trapped (wasmtime's [`wasmtime::Trap`] codes a guest of this host can hit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrapCode {
    /// An `unreachable` instruction was executed.
    Unreachable,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// Integer overflow (`i32.div_s` of `i32::MIN` by −1, …).
    IntegerOverflow,
    /// A load or store outside linear memory.
    MemoryOutOfBounds,
    /// The wasm call stack was exhausted (unbounded recursion).
    StackOverflow,
    /// A table access out of bounds.
    TableOutOfBounds,
    /// An indirect call through a null table entry.
    IndirectCallToNull,
    /// An indirect call with the wrong signature.
    BadSignature,
    /// A float-to-int conversion out of range.
    BadConversionToInteger,
    /// Any other trap, with wasmtime's description.
    Other(String),
}

impl TrapCode {
    fn from_trap(trap: wasmtime::Trap) -> Self {
        use wasmtime::Trap as T;
        match trap {
            T::UnreachableCodeReached => TrapCode::Unreachable,
            T::IntegerDivisionByZero => TrapCode::IntegerDivisionByZero,
            T::IntegerOverflow => TrapCode::IntegerOverflow,
            T::MemoryOutOfBounds => TrapCode::MemoryOutOfBounds,
            T::StackOverflow => TrapCode::StackOverflow,
            T::TableOutOfBounds => TrapCode::TableOutOfBounds,
            T::IndirectCallToNull => TrapCode::IndirectCallToNull,
            T::BadSignature => TrapCode::BadSignature,
            T::BadConversionToInteger => TrapCode::BadConversionToInteger,
            other => TrapCode::Other(other.to_string()),
        }
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrapCode::Unreachable => "`unreachable` executed",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::MemoryOutOfBounds => "out-of-bounds memory access",
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::TableOutOfBounds => "out-of-bounds table access",
            TrapCode::IndirectCallToNull => "indirect call to a null table entry",
            TrapCode::BadSignature => "indirect call type mismatch",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::Other(text) => text,
        })
    }
}

/// Turns wasmtime's error from running `guest` (in export `at`, or [`INSTANTIATE`]) into a
/// [`WasmError`], stating the bound that stopped it: the host's `fuel` and `deadline`.
pub(crate) fn classify(
    guest: &str,
    at: &str,
    fuel: Option<u64>,
    deadline: Option<Duration>,
    err: &wasmtime::Error,
) -> WasmError {
    let (guest, at) = (guest.to_owned(), at.to_owned());
    if let Some(d) = err.downcast_ref::<MemoryDenied>() {
        return WasmError::MemoryLimit { guest, at, requested: d.desired, limit: d.limit };
    }
    match err.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::OutOfFuel) => WasmError::OutOfFuel { guest, at, fuel: fuel.unwrap_or(0) },
        Some(wasmtime::Trap::Interrupt) => {
            WasmError::Deadline { guest, at, deadline: deadline.unwrap_or(Duration::ZERO) }
        }
        Some(&trap) => WasmError::Trap { guest, at, code: TrapCode::from_trap(trap) },
        None if at == INSTANTIATE => WasmError::Instantiate { guest, detail: format!("{err:#}") },
        None => WasmError::Runtime { guest, at, detail: format!("{err:#}") },
    }
}
