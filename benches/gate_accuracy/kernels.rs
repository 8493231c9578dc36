//! Three benchmarks whose work is an exact number of units, so a variant doing +2 %, +5 % or
//! +10 % more units has an exactly known extra amount of work. They mirror the three kinds of
//! benchmark measured in `docs/noise.md`: CPU-bound, memory-bound and allocation-heavy.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::hint::black_box;

/// Work units of each kernel at +0 %; chosen so one iteration takes roughly 0.1–1 ms here.
pub(crate) const CPU_UNITS: u64 = 100_000;
pub(crate) const MEMORY_UNITS: u64 = 10_000;
pub(crate) const ALLOC_UNITS: u64 = 100;

/// Units for `base` at `extra_pct` percent more work (exact: every base is a multiple of 100).
pub(crate) fn units(base: u64, extra_pct: u64) -> u64 {
    base * (100 + extra_pct) / 100
}

/// CPU-bound: a multiply–xorshift hash chain; each step depends on the last.
pub(crate) fn cpu(units: u64) -> u64 {
    let mut h = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..units {
        h ^= i;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 31;
    }
    h
}

/// Memory-bound: a dependent pointer chase around one cycle through 64 MiB, continuing where the
/// last iteration stopped.
///
/// The working set is twice the 32 MiB L3 of the machine it was tuned on, so most steps miss
/// every cache whatever share of L3 the neighbours leave: an 8 MiB chase restarting from the
/// same place each iteration touched only ~6 MiB and ran 2–20 ms per iteration from process to
/// process depending on that share, which measured the neighbours, not the code.
pub(crate) struct Chase {
    next: Vec<u32>,
    at: Cell<u32>,
}

impl Chase {
    /// The cycle i → (a·i + c) mod 2²⁴ over 2²⁴ u32 slots: a full-period LCG (Hull–Dobell: c odd,
    /// a ≡ 1 mod 4) is one cycle through every slot, and its jumps defeat the prefetchers.
    pub(crate) fn new() -> Chase {
        const BITS: u32 = 24; // 16 Mi slots of u32 = 64 MiB
        const A: u64 = 0x5851_F42D_4C95_7F2D;
        const C: u64 = 0x1405_7B7E_F767_814F;
        let mask = (1u64 << BITS) - 1;
        let next = (0..1u64 << BITS).map(|i| (A.wrapping_mul(i).wrapping_add(C) & mask) as u32).collect();
        Chase { next, at: Cell::new(0) }
    }

    pub(crate) fn run(&self, units: u64) -> u32 {
        let mut at = self.at.get();
        for _ in 0..units {
            at = self.next[at as usize];
        }
        self.at.set(at);
        at
    }
}

/// Allocation-heavy: `units` hash maps of 100 entries, built and dropped. The hasher has fixed
/// keys: std's `RandomState` draws new SipHash keys in every process, which gave each process
/// its own collision pattern and a per-process offset of up to 10 %.
pub(crate) fn alloc(units: u64) -> usize {
    let mut total = 0;
    for u in 0..units {
        let m: HashMap<u64, u64, BuildHasherDefault<DefaultHasher>> = (0..100).map(|k| (k ^ u, k)).collect();
        total += black_box(m).len();
    }
    total
}

/// The three kernels at `extra_pct` percent more work units, as criterion group `accuracy`
/// (`accuracy/cpu`, `accuracy/memory`, `accuracy/alloc`).
pub(crate) fn bench_all(c: &mut criterion::Criterion, extra_pct: u64) {
    let mut g = c.benchmark_group("accuracy");
    let cpu = units(CPU_UNITS, extra_pct);
    g.bench_function("cpu", |b| b.iter(|| self::cpu(black_box(cpu))));
    let chase = Chase::new();
    let steps = units(MEMORY_UNITS, extra_pct);
    g.bench_function("memory", |b| b.iter(|| chase.run(black_box(steps))));
    let maps = units(ALLOC_UNITS, extra_pct);
    g.bench_function("alloc", |b| b.iter(|| self::alloc(black_box(maps))));
    g.finish();
}
