//! The guests' native twins: the same computations in Rust, with the same results bit for bit,
//! so the overhead bench compares equal work and the tests can check every guest against them.

/// The hash guest's computation: `rounds` rounds of SplitMix64 from `seed` (the orchestrator's
/// [`work`](crate::orchestrator::work), which the hash guest reimplements).
pub fn hash(seed: u64, rounds: u32) -> u64 {
    crate::orchestrator::work(seed, rounds)
}

/// The matrix and memory kernels in native code. They reuse their buffers between calls, as a
/// guest reuses its linear memory, so neither side pays for allocation after the first call.
#[derive(Debug, Default)]
pub struct NativeKernels {
    cells: Vec<u32>,
    words: Vec<u64>,
}

impl NativeKernels {
    /// Kernels with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// The matmul guest's computation (see `guests/matmul.wat`): C = A × B for `n` × `n`
    /// matrices generated from `seed`, wrapping 32-bit arithmetic, checksum over C.
    pub fn matmul(&mut self, n: u32, seed: u32) -> u64 {
        let n = n as usize;
        let nn = n * n;
        self.cells.clear();
        self.cells.resize(3 * nn, 0);
        let (a, rest) = self.cells.split_at_mut(nn);
        let (b, c) = rest.split_at_mut(nn);
        for i in 0..nn {
            let idx = i as u32;
            a[i] = idx.wrapping_mul(0x9E37_79B1).wrapping_add(seed);
            b[i] = (idx ^ seed).wrapping_mul(0x85EB_CA6B);
        }
        let mut acc = 0u64;
        for i in 0..n {
            for j in 0..n {
                // Naive i-j-k order, as the guest: the comparison is of compilers, not algorithms.
                let mut sum = 0u32;
                for k in 0..n {
                    sum = sum.wrapping_add(a[i * n + k].wrapping_mul(b[k * n + j]));
                }
                c[i * n + j] = sum;
                acc = acc.rotate_left(5) ^ u64::from(sum);
            }
        }
        std::hint::black_box(&mut self.cells);
        acc
    }

    /// The memory guest's computation (see `guests/memory.wat`): write `len / 8` words, then
    /// sum them back.
    pub fn fill_sum(&mut self, len: u32, seed: u64) -> u64 {
        let words = len as usize / 8;
        if self.words.len() < words {
            self.words.resize(words, 0);
        }
        let buf = &mut self.words[..words];
        for (i, w) in buf.iter_mut().enumerate() {
            *w = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed;
        }
        // Keeps the compiler from fusing the two passes: the guest really stores, then loads.
        let buf = std::hint::black_box(buf);
        buf.iter().fold(0u64, |acc, &w| acc.wrapping_add(w))
    }
}

/// The echo agent's transform (see `guests/echo_agent.wat`): the payload with ASCII lower-case
/// letters upper-cased, then the 8-byte little-endian FNV-1a 64 hash of the original payload.
pub fn transform(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in payload {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        out.push(b.to_ascii_uppercase());
    }
    out.extend_from_slice(&h.to_le_bytes());
    out
}
