//! Allocation as a criterion [`Measurement`]: criterion measures bytes (or allocation calls)
//! instead of time, so `--save-baseline` / `--baseline` and criterion's change detection work
//! for memory exactly as for time.
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;
//!
//! fn config() -> Criterion<AllocatedBytes> {
//!     Criterion::default().with_measurement(AllocatedBytes::global().expect("allocator installed"))
//! }
//! criterion_group! { name = memory; config = config(); targets = my_bench }
//! ```
//!
//! The counters are process-wide (every thread's allocations count), which is what a routed
//! message costs: the sender's and the receiving agent's allocations together. Values are exact
//! integers; criterion's statistics then run on them as on durations. With a `Throughput` set,
//! criterion's "thrpt" line shows bytes (or calls) **per element / per byte**, not per second.

use std::alloc::System;

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};

use super::{AllocCounter, AllocError};

/// What an allocation measurement counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counted {
    Bytes,
    Calls,
}

/// Bytes allocated during each sample (allocations + reallocation growth; frees not subtracted).
#[derive(Debug, Clone, Copy)]
pub struct AllocatedBytes {
    counter: AllocCounter<System>,
}

/// Allocator calls (allocations + reallocations) during each sample.
#[derive(Debug, Clone, Copy)]
pub struct Allocations {
    counter: AllocCounter<System>,
}

impl AllocatedBytes {
    /// Counts through [`INSTRUMENTED_SYSTEM`](super::INSTRUMENTED_SYSTEM); fails if it is not
    /// the global allocator.
    pub fn global() -> Result<Self, AllocError> {
        Ok(AllocatedBytes { counter: AllocCounter::global()? })
    }
}

impl Allocations {
    /// Counts through [`INSTRUMENTED_SYSTEM`](super::INSTRUMENTED_SYSTEM); fails if it is not
    /// the global allocator.
    pub fn global() -> Result<Self, AllocError> {
        Ok(Allocations { counter: AllocCounter::global()? })
    }
}

impl<T: std::alloc::GlobalAlloc> AllocCounter<T> {
    fn calls_total(&self) -> u64 {
        let s = self.alloc.stats();
        (s.allocations + s.reallocations) as u64
    }
}

macro_rules! measurement {
    ($ty:ident, $what:expr, $read:ident) => {
        impl Measurement for $ty {
            type Intermediate = u64;
            type Value = u64;

            fn start(&self) -> u64 {
                self.counter.$read()
            }

            fn end(&self, start: u64) -> u64 {
                self.counter.$read() - start
            }

            fn add(&self, a: &u64, b: &u64) -> u64 {
                a + b
            }

            fn zero(&self) -> u64 {
                0
            }

            fn to_f64(&self, v: &u64) -> f64 {
                *v as f64
            }

            fn formatter(&self) -> &dyn ValueFormatter {
                const { &Formatter($what) }
            }
        }
    };
}

measurement!(AllocatedBytes, Counted::Bytes, bytes_allocated_total);
measurement!(Allocations, Counted::Calls, calls_total);

struct Formatter(Counted);

impl Formatter {
    /// Divisor and unit for values around `typical`.
    fn scale(&self, typical: f64) -> (f64, &'static str) {
        match self.0 {
            Counted::Bytes if typical >= 1024.0 * 1024.0 => (1024.0 * 1024.0, "MiB"),
            Counted::Bytes if typical >= 1024.0 => (1024.0, "KiB"),
            Counted::Bytes => (1.0, "B"),
            Counted::Calls if typical >= 1e6 => (1e6, "M allocs"),
            Counted::Calls if typical >= 1e3 => (1e3, "k allocs"),
            Counted::Calls => (1.0, "allocs"),
        }
    }
}

impl ValueFormatter for Formatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (div, unit) = self.scale(typical);
        values.iter_mut().for_each(|v| *v /= div);
        unit
    }

    fn scale_throughputs(&self, _typical: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let (per, unit) = match (throughput, self.0) {
            (Throughput::Bytes(n) | Throughput::BytesDecimal(n), Counted::Bytes) => (*n as f64, "B/B"),
            (Throughput::Bytes(n) | Throughput::BytesDecimal(n), Counted::Calls) => (*n as f64, "allocs/B"),
            (Throughput::Elements(n), Counted::Bytes) => (*n as f64, "B/elem"),
            (Throughput::Elements(n), Counted::Calls) => (*n as f64, "allocs/elem"),
            (Throughput::ElementsAndBytes { elements, .. }, Counted::Bytes) => (*elements as f64, "B/elem"),
            (Throughput::ElementsAndBytes { elements, .. }, Counted::Calls) => (*elements as f64, "allocs/elem"),
            (Throughput::Bits(n), Counted::Bytes) => (*n as f64, "B/bit"),
            (Throughput::Bits(n), Counted::Calls) => (*n as f64, "allocs/bit"),
        };
        let per = per.max(1.0);
        values.iter_mut().for_each(|v| *v /= per);
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        match self.0 {
            Counted::Bytes => "bytes",
            Counted::Calls => "allocations",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_the_typical_value() {
        let f = Formatter(Counted::Bytes);
        let mut v = [2048.0, 4096.0];
        assert_eq!(f.scale_values(3000.0, &mut v), "KiB");
        assert_eq!(v, [2.0, 4.0]);
        let mut v = [100.0];
        assert_eq!(f.scale_values(100.0, &mut v), "B");
        assert_eq!(v, [100.0]);
        assert_eq!(Formatter(Counted::Calls).scale_values(5e6, &mut [5e6]), "M allocs");
    }

    #[test]
    fn throughput_is_per_element_not_per_second() {
        let f = Formatter(Counted::Bytes);
        let mut v = [1000.0];
        assert_eq!(f.scale_throughputs(1000.0, &Throughput::Elements(10), &mut v), "B/elem");
        assert_eq!(v, [100.0]);
        let mut v = [1000.0];
        assert_eq!(Formatter(Counted::Calls).scale_throughputs(1000.0, &Throughput::Bytes(500), &mut v), "allocs/B");
        assert_eq!(v, [2.0]);
    }

    #[test]
    fn machine_units_are_unscaled() {
        let mut v = [123.0];
        assert_eq!(Formatter(Counted::Bytes).scale_for_machines(&mut v), "bytes");
        assert_eq!(v, [123.0]);
    }
}
