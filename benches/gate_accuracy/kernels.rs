//! Three benchmarks whose work is an exact number of units, so a variant doing +2 %, +5 % or
//! +10 % more units has an exactly known extra amount of work. They mirror the three kinds of
//! benchmark measured in `gate-noise.md`: CPU-bound, memory-bound and allocation-heavy.

use std::collections::HashMap;
use std::hint::black_box;

/// Work units of each kernel at +0 %; chosen so one iteration takes roughly 0.1–1 ms here.
pub const CPU_UNITS: u64 = 100_000;
pub const MEMORY_UNITS: u64 = 100_000;
pub const ALLOC_UNITS: u64 = 100;

/// Units for `base` at `extra_pct` percent more work (exact: every base is a multiple of 100).
pub fn units(base: u64, extra_pct: u64) -> u64 {
    base * (100 + extra_pct) / 100
}

/// CPU-bound: a multiply–xorshift hash chain; each step depends on the last.
pub fn cpu(units: u64) -> u64 {
    let mut h = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..units {
        h ^= i;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 31;
    }
    h
}

/// Memory-bound: a dependent pointer chase through a random single cycle over 8 MiB.
pub struct Chase {
    next: Vec<u32>,
}

impl Chase {
    /// Builds the cycle with Sattolo's algorithm from a fixed seed (same layout every run).
    pub fn new() -> Chase {
        const N: usize = 8 << 20 >> 2; // 8 MiB of u32
        let mut order: Vec<u32> = (0..N as u32).collect();
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        for i in (1..N).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let j = (s % i as u64) as usize;
            order.swap(i, j);
        }
        let mut next = vec![0u32; N];
        for w in 0..N {
            next[order[w] as usize] = order[(w + 1) % N];
        }
        Chase { next }
    }

    pub fn run(&self, units: u64) -> u32 {
        let mut at = 0u32;
        for _ in 0..units {
            at = self.next[at as usize];
        }
        at
    }
}

/// Allocation-heavy: `units` hash maps of 100 entries, built and dropped.
pub fn alloc(units: u64) -> usize {
    let mut total = 0;
    for u in 0..units {
        let m: HashMap<u64, u64> = (0..100).map(|k| (k ^ u, k)).collect();
        total += black_box(m).len();
    }
    total
}
