//! Bounds on untrusted guests: per-store memory, instance and table limits (a
//! [`StoreLimits`] behind a limiter that names the cause of a refusal). The wall-clock bound is
//! the epoch ticker in `ticker`.

use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// WebAssembly's page: linear memory grows in whole 64 KiB pages.
pub const PAGE_SIZE: usize = 64 * 1024;

/// Resource limits of one store (one agent or kernel instance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most linear memory the guest may have, in bytes. Memory grows in whole pages, so
    /// the effective limit is this rounded down to [`PAGE_SIZE`].
    pub memory_bytes: usize,
    /// Instances per store. Each store here holds one.
    pub instances: usize,
    /// Tables per store.
    pub tables: usize,
    /// Elements per table (`table.grow` beyond it returns −1, as the spec allows).
    pub table_elements: usize,
}

impl Limits {
    /// The effective memory limit in whole pages.
    pub fn memory_pages(&self) -> u64 {
        (self.memory_bytes / PAGE_SIZE) as u64
    }

    /// The same limits with `bytes` of memory.
    pub fn with_memory(self, bytes: usize) -> Self {
        Limits { memory_bytes: bytes, ..self }
    }
}

impl Default for Limits {
    /// 64 MiB of memory (the largest size the memory kernel is asked for), one instance, one
    /// table of at most 10,000 elements.
    fn default() -> Self {
        Limits { memory_bytes: 64 << 20, instances: 1, tables: 1, table_elements: 10_000 }
    }
}

/// What each store carries: its limiter.
pub(crate) struct StoreState {
    pub(crate) limiter: Limiter,
}

impl StoreState {
    pub(crate) fn new(limits: &Limits) -> Self {
        StoreState { limiter: Limiter::new(limits) }
    }
}

/// [`StoreLimits`] enforcing [`Limits`], except that a refused memory growth is an error
/// ([`MemoryDenied`]) rather than −1: an untrusted guest cannot spin on `memory.grow`, and the
/// host reports *why* it stopped.
pub(crate) struct Limiter {
    inner: StoreLimits,
    memory_bytes: u64,
}

impl Limiter {
    fn new(limits: &Limits) -> Self {
        let inner = StoreLimitsBuilder::new()
            .memory_size(limits.memory_bytes)
            .instances(limits.instances)
            .tables(limits.tables)
            .table_elements(limits.table_elements)
            // One linear memory per store: the guests here declare at most one.
            .memories(1)
            .trap_on_grow_failure(false)
            .build();
        Limiter { inner, memory_bytes: limits.memory_bytes as u64 }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        if self.inner.memory_growing(current, desired, maximum)? {
            return Ok(true);
        }
        let limit = maximum.map_or(self.memory_bytes, |m| self.memory_bytes.min(m as u64));
        Err(wasmtime::Error::new(MemoryDenied { desired: desired as u64, limit }))
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

/// The store's limiter refused a memory growth. Returned from
/// [`ResourceLimiter::memory_growing`](wasmtime::ResourceLimiter::memory_growing), so the guest
/// traps instead of seeing −1 (as `StoreLimitsBuilder::trap_on_grow_failure(true)` does) and
/// the host can name the cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("memory growth to {desired} bytes denied (limit {limit} bytes)")]
pub(crate) struct MemoryDenied {
    pub(crate) desired: u64,
    pub(crate) limit: u64,
}
