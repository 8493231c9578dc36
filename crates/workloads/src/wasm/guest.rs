//! The built-in guests (WAT sources under `crates/workloads/guests/`) and typed handles for
//! calling them: each handle owns one instance in its own store and resolves its exports once,
//! checking their types, so a call is a direct typed call.

use wasmtime::{Memory, TypedFunc};

use super::engine::{Guest, GuestInstance, WasmHost};
use super::error::WasmError;
use super::limits::PAGE_SIZE;

/// The guests this crate ships, each with a native twin in [`native`](super::native).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `hash(seed: i64, rounds: i32) -> i64`: the integer hashing loop ([`HashKernel`]).
    Hash,
    /// `matmul(n: i32, seed: i32) -> i64`: a small matrix multiply ([`MatmulKernel`]).
    Matmul,
    /// `fill_sum(len: i32, seed: i64) -> i64`, `grow`, `pages`: the memory kernel
    /// ([`MemoryKernel`]).
    Memory,
    /// `buffer(len) -> ptr`, `handle(ptr, len) -> i64`: a message handler ([`MessageHandler`]).
    EchoAgent,
}

impl Builtin {
    /// Every built-in guest.
    pub const ALL: [Builtin; 4] = [Builtin::Hash, Builtin::Matmul, Builtin::Memory, Builtin::EchoAgent];

    /// The name it is cached and reported under.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Hash => "hash",
            Builtin::Matmul => "matmul",
            Builtin::Memory => "memory",
            Builtin::EchoAgent => "echo_agent",
        }
    }

    /// Its WebAssembly text.
    pub fn wat(self) -> &'static str {
        match self {
            Builtin::Hash => include_str!("../../guests/hash.wat"),
            Builtin::Matmul => include_str!("../../guests/matmul.wat"),
            Builtin::Memory => include_str!("../../guests/memory.wat"),
            Builtin::EchoAgent => include_str!("../../guests/echo_agent.wat"),
        }
    }
}

impl WasmHost {
    /// A built-in guest, compiled on first use and cached.
    pub fn builtin(&self, which: Builtin) -> Result<Guest, WasmError> {
        self.load_wat(which.name(), which.wat())
    }
}

const SIG_HASH: &str = "(type (func (param i64 i32) (result i64)))";
const SIG_MATMUL: &str = "(type (func (param i32 i32) (result i64)))";
const SIG_FILL_SUM: &str = "(type (func (param i32 i64) (result i64)))";
const SIG_I32_I32: &str = "(type (func (param i32) (result i32)))";
const SIG_PAGES: &str = "(type (func (result i32)))";
const SIG_HANDLE: &str = "(type (func (param i32 i32) (result i64)))";

/// An instance of a guest exporting `hash: (i64, i32) -> i64` (like [`Builtin::Hash`]).
pub struct HashKernel {
    inst: GuestInstance,
    hash: TypedFunc<(i64, i32), i64>,
}

impl HashKernel {
    /// Instantiates `guest` and checks its `hash` export.
    pub fn new(guest: &Guest) -> Result<Self, WasmError> {
        let mut inst = GuestInstance::new(guest)?;
        let hash = inst.func("hash", SIG_HASH)?;
        Ok(HashKernel { inst, hash })
    }

    /// `rounds` rounds from `seed`; equals [`native::hash`](super::native::hash) for the
    /// built-in guest.
    pub fn hash(&mut self, seed: u64, rounds: u32) -> Result<u64, WasmError> {
        // The wasm ABI has no unsigned types: the bits are passed through unchanged.
        self.inst.call(&self.hash, "hash", (seed as i64, rounds as i32)).map(|r| r as u64)
    }
}

/// An instance of a guest exporting `matmul: (i32, i32) -> i64` (like [`Builtin::Matmul`]).
pub struct MatmulKernel {
    inst: GuestInstance,
    matmul: TypedFunc<(i32, i32), i64>,
}

impl MatmulKernel {
    /// Instantiates `guest` and checks its `matmul` export.
    pub fn new(guest: &Guest) -> Result<Self, WasmError> {
        let mut inst = GuestInstance::new(guest)?;
        let matmul = inst.func("matmul", SIG_MATMUL)?;
        Ok(MatmulKernel { inst, matmul })
    }

    /// The checksum of A × B for `n` × `n` matrices from `seed` (`n` ≤ 1024; the built-in guest
    /// traps above); equals [`NativeKernels::matmul`](super::NativeKernels::matmul).
    pub fn matmul(&mut self, n: u32, seed: u32) -> Result<u64, WasmError> {
        self.inst.call(&self.matmul, "matmul", (n as i32, seed as i32)).map(|r| r as u64)
    }
}

/// An instance of a guest exporting `fill_sum`, `grow` and `pages` (like [`Builtin::Memory`]).
pub struct MemoryKernel {
    inst: GuestInstance,
    fill_sum: TypedFunc<(i32, i64), i64>,
    grow: TypedFunc<i32, i32>,
    pages: TypedFunc<(), i32>,
}

impl MemoryKernel {
    /// Instantiates `guest` and checks its exports.
    pub fn new(guest: &Guest) -> Result<Self, WasmError> {
        let mut inst = GuestInstance::new(guest)?;
        let fill_sum = inst.func("fill_sum", SIG_FILL_SUM)?;
        let grow = inst.func("grow", SIG_I32_I32)?;
        let pages = inst.func("pages", SIG_PAGES)?;
        Ok(MemoryKernel { inst, fill_sum, grow, pages })
    }

    /// Fills `len` bytes (growing memory to hold them) and sums them back; equals
    /// [`NativeKernels::fill_sum`](super::NativeKernels::fill_sum). Over the memory limit it
    /// fails with [`WasmError::MemoryLimit`].
    pub fn fill_sum(&mut self, len: u32, seed: u64) -> Result<u64, WasmError> {
        self.inst.call(&self.fill_sum, "fill_sum", (len as i32, seed as i64)).map(|r| r as u64)
    }

    /// Grows memory by `delta` pages; returns the previous size in pages.
    pub fn grow(&mut self, delta: u32) -> Result<u32, WasmError> {
        let previous = self.inst.call(&self.grow, "grow", delta as i32)?;
        // −1 without a limiter refusal: the host could not map the memory.
        u32::try_from(previous).map_err(|_| WasmError::Runtime {
            guest: self.inst.guest().name().to_owned(),
            at: "grow".into(),
            detail: format!("the host could not grow memory by {delta} pages"),
        })
    }

    /// The memory size in pages.
    pub fn pages(&mut self) -> Result<u32, WasmError> {
        self.inst.call(&self.pages, "pages", ()).map(|p| p as u32)
    }

    /// The largest memory this store may have, found by growing one page at a time until the
    /// limiter refuses: a measured fact, in bytes. Leaves the memory at that size.
    pub fn largest_memory(&mut self) -> Result<u64, WasmError> {
        loop {
            match self.grow(1) {
                Ok(_) => {}
                Err(WasmError::MemoryLimit { .. }) => return Ok(u64::from(self.pages()?) * PAGE_SIZE as u64),
                Err(e) => return Err(e),
            }
        }
    }
}

/// An instance of a message-handling guest (like [`Builtin::EchoAgent`]): the host copies a
/// message into the guest's memory at the pointer `buffer(len)` returns, calls
/// `handle(ptr, len)` and copies the reply out of the range it returns, checking both ranges.
pub struct MessageHandler {
    inst: GuestInstance,
    memory: Memory,
    buffer: TypedFunc<i32, i32>,
    handle: TypedFunc<(i32, i32), i64>,
}

impl MessageHandler {
    /// Instantiates `guest` and checks its exports.
    pub fn new(guest: &Guest) -> Result<Self, WasmError> {
        let mut inst = GuestInstance::new(guest)?;
        let memory = inst.memory("memory")?;
        let buffer = inst.func("buffer", SIG_I32_I32)?;
        let handle = inst.func("handle", SIG_HANDLE)?;
        Ok(MessageHandler { inst, memory, buffer, handle })
    }

    /// The guest's reply to `message`; for the built-in guest, equals
    /// [`transform`](super::transform)`(message)`.
    pub fn handle(&mut self, message: &[u8]) -> Result<Vec<u8>, WasmError> {
        let len = u32::try_from(message.len())
            .map_err(|_| self.abi("buffer", format!("a {} B message does not fit a 32-bit memory", message.len())))?;
        let ptr = self.inst.call(&self.buffer, "buffer", len as i32)? as u32 as usize;
        let memory = self.memory;
        if memory.write(&mut *self.inst.store_mut(), ptr, message).is_err() {
            let size = memory.data_size(&*self.inst.store_mut());
            return Err(
                self.abi("buffer", format!("returned {ptr:#x}: {len} B from there overrun its {size} B memory"))
            );
        }
        let packed = self.inst.call(&self.handle, "handle", (ptr as i32, len as i32))? as u64;
        let (at, n) = ((packed >> 32) as usize, (packed & 0xFFFF_FFFF) as usize);
        let data = memory.data(&*self.inst.store_mut());
        match data.get(at..at + n) {
            Some(reply) => Ok(reply.to_vec()),
            None => {
                let size = data.len();
                Err(self.abi("handle", format!("returned a {n} B reply at {at:#x}, outside its {size} B memory")))
            }
        }
    }

    fn abi(&self, at: &str, detail: String) -> WasmError {
        WasmError::Abi { guest: self.inst.guest().name().to_owned(), at: at.to_owned(), detail }
    }
}
