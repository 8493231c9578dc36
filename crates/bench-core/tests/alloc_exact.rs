//! Allocation accounting with the instrumented allocator installed, as a bench binary would.
//! One test per binary: the counters are process-wide, so nothing else may run concurrently.

use std::alloc::System;

use bench_core::alloc::{AllocCounter, AllocatedBytes, Allocations, INSTRUMENTED_SYSTEM, StatsAlloc};
use criterion::measurement::Measurement;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn counts_a_known_allocation_exactly() {
    let counter = AllocCounter::global().expect("installed above");

    // One allocation of exactly 4096 bytes, freed inside the region.
    let (_, usage) = counter.measure(1, || drop(std::hint::black_box(Vec::<u8>::with_capacity(4096))));
    assert_eq!(usage.allocations, 1);
    assert_eq!(usage.bytes_allocated, 4096);
    assert_eq!(usage.deallocations, 1);
    assert_eq!(usage.bytes_freed, 4096);
    assert_eq!(usage.net_bytes(), 0);

    // Ten boxes of 24 bytes kept alive past the region: per-op averages and net growth.
    let region = counter.region();
    let kept: Vec<Box<[u64; 3]>> = (0..10).map(|i| std::hint::black_box(Box::new([i; 3]))).collect::<Vec<_>>();
    let usage = region.finish(10);
    // The Vec holding them is one more allocation of 10 pointers.
    assert_eq!(usage.allocations, 11);
    assert_eq!(usage.bytes_allocated, 10 * 24 + 10 * std::mem::size_of::<usize>() as u64);
    assert_eq!(usage.deallocations, 0);
    let per_op = usage.per_op().unwrap();
    assert_eq!(per_op.allocations, 1.1);
    drop(kept);

    // Growth by reallocation counts the added bytes: capacity 100 → 300 adds 200.
    let mut v: Vec<u8> = Vec::with_capacity(100);
    let region = counter.region();
    v.reserve_exact(300);
    let usage = region.finish(1);
    assert_eq!(usage.reallocations, 1);
    assert_eq!(usage.bytes_allocated, 200);
    drop(std::hint::black_box(v));

    // The criterion Measurements count the same way: one 1000-byte allocation plus one
    // reallocation growing it to 3000 is 3000 bytes in 2 allocator calls.
    let (bytes, calls) = (AllocatedBytes::global().unwrap(), Allocations::global().unwrap());
    let (b0, c0) = (bytes.start(), calls.start());
    let mut v: Vec<u8> = std::hint::black_box(Vec::with_capacity(1000));
    v.reserve_exact(3000);
    let (b, c) = (bytes.end(b0), calls.end(c0));
    drop(std::hint::black_box(v));
    assert_eq!((b, c), (3000, 2));
    assert_eq!(bytes.to_f64(&bytes.add(&b, &bytes.zero())), 3000.0);
}
