//! Allocation accounting through [`stats_alloc`].
//!
//! Counting needs the instrumented allocator installed as the binary's global allocator — a
//! library cannot do that for you. Put this in the bench (or test) binary's root:
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: &bench_core::alloc::StatsAlloc<std::alloc::System> =
//!     &bench_core::alloc::INSTRUMENTED_SYSTEM;
//! ```
//!
//! Without it [`AllocCounter::global`] returns [`AllocError::NotInstalled`] instead of reporting
//! zeros: the check allocates a probe and looks for it in the counters.
//!
//! The counters are process-wide: a region counts every thread's allocations while it is open.
//! Measure on a quiet process (a bench's own thread) for exact figures. Reallocation growth
//! counts as bytes allocated and shrinkage as bytes freed, as `stats_alloc` defines them.

use std::alloc::{GlobalAlloc, System};

mod measurement;
pub use measurement::{AllocatedBytes, Allocations};

use serde::{Deserialize, Serialize};
pub use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

/// Allocation accounting could not be done.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AllocError {
    /// The instrumented allocator is not this binary's global allocator, so nothing is counted.
    #[error(
        "allocation accounting needs the instrumented global allocator: add \
         `#[global_allocator] static GLOBAL: &bench_core::alloc::StatsAlloc<std::alloc::System> = \
         &bench_core::alloc::INSTRUMENTED_SYSTEM;` to the binary's main file"
    )]
    NotInstalled,
}

/// Handle to an installed instrumented allocator.
#[derive(Clone, Copy)]
pub struct AllocCounter<T: GlobalAlloc + 'static = System> {
    alloc: &'static StatsAlloc<T>,
}

impl std::fmt::Debug for AllocCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AllocCounter").finish_non_exhaustive()
    }
}

impl AllocCounter<System> {
    /// The counter for [`INSTRUMENTED_SYSTEM`], after checking it really is installed.
    pub fn global() -> Result<Self, AllocError> {
        Self::new(&INSTRUMENTED_SYSTEM)
    }
}

impl<T: GlobalAlloc + 'static> AllocCounter<T> {
    /// The counter for a custom instrumented allocator, after checking it is installed.
    pub fn new(alloc: &'static StatsAlloc<T>) -> Result<Self, AllocError> {
        let before = alloc.stats().allocations;
        // black_box keeps the optimiser from eliding the allocation pair.
        drop(std::hint::black_box(vec![0u8; 64]));
        if alloc.stats().allocations == before {
            return Err(AllocError::NotInstalled);
        }
        Ok(AllocCounter { alloc })
    }

    /// Opens a region: everything allocated until [`AllocRegion::finish`] is counted.
    pub fn region(&self) -> AllocRegion<T> {
        AllocRegion { alloc: self.alloc, start: self.alloc.stats() }
    }

    /// Runs `f` (which performs `ops` operations) in a region and returns the usage.
    pub fn measure<R>(&self, ops: u64, f: impl FnOnce() -> R) -> (R, AllocUsage) {
        let region = self.region();
        let out = f();
        let usage = region.finish(ops);
        (out, usage)
    }

    /// Bytes allocated since the process started (for custom criterion measurements).
    pub fn bytes_allocated_total(&self) -> u64 {
        self.alloc.stats().bytes_allocated as u64
    }
}

/// An open counting region. Reading it does not allocate.
pub struct AllocRegion<T: GlobalAlloc + 'static = System> {
    alloc: &'static StatsAlloc<T>,
    start: stats_alloc::Stats,
}

impl<T: GlobalAlloc + 'static> AllocRegion<T> {
    /// Closes the region; `ops` is how many operations it covered (for per-operation averages).
    pub fn finish(self, ops: u64) -> AllocUsage {
        let now = self.alloc.stats();
        let d = |a: usize, b: usize| (a - b) as u64;
        AllocUsage {
            ops,
            allocations: d(now.allocations, self.start.allocations),
            deallocations: d(now.deallocations, self.start.deallocations),
            reallocations: d(now.reallocations, self.start.reallocations),
            bytes_allocated: d(now.bytes_allocated, self.start.bytes_allocated),
            bytes_freed: d(now.bytes_deallocated, self.start.bytes_deallocated),
        }
    }
}

/// Allocation activity of one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocUsage {
    /// Operations the region covered (the divisor of the per-operation figures).
    pub ops: u64,
    /// `alloc` and `alloc_zeroed` calls.
    pub allocations: u64,
    /// `dealloc` calls.
    pub deallocations: u64,
    /// `realloc` calls.
    pub reallocations: u64,
    /// Bytes requested (including reallocation growth).
    pub bytes_allocated: u64,
    /// Bytes released (including reallocation shrinkage).
    pub bytes_freed: u64,
}

/// Per-operation averages of an [`AllocUsage`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AllocPerOp {
    /// Bytes allocated per operation.
    pub bytes_allocated: f64,
    /// Bytes freed per operation.
    pub bytes_freed: f64,
    /// Allocation calls per operation.
    pub allocations: f64,
}

impl AllocUsage {
    /// Bytes still held at the end of the region (allocated − freed; negative if it freed more).
    pub fn net_bytes(&self) -> i64 {
        self.bytes_allocated as i64 - self.bytes_freed as i64
    }

    /// Averages per operation; `None` when the region covered zero operations.
    pub fn per_op(&self) -> Option<AllocPerOp> {
        (self.ops > 0).then(|| {
            let n = self.ops as f64;
            AllocPerOp {
                bytes_allocated: self.bytes_allocated as f64 / n,
                bytes_freed: self.bytes_freed as f64 / n,
                allocations: self.allocations as f64 / n,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // This unit-test binary does not install the instrumented allocator: the API must say so.
    #[test]
    fn fails_loudly_when_not_installed() {
        let err = AllocCounter::global().unwrap_err();
        assert_eq!(err, AllocError::NotInstalled);
        assert!(err.to_string().contains("#[global_allocator]"));
    }

    #[test]
    fn per_op_averages() {
        let u = AllocUsage {
            ops: 4,
            allocations: 8,
            deallocations: 4,
            reallocations: 0,
            bytes_allocated: 1024,
            bytes_freed: 512,
        };
        let p = u.per_op().unwrap();
        assert_eq!((p.bytes_allocated, p.bytes_freed, p.allocations), (256.0, 128.0, 2.0));
        assert_eq!(u.net_bytes(), 512);
        assert!(AllocUsage { ops: 0, ..u }.per_op().is_none());
    }
}
