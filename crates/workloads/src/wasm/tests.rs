//! Each guest against its native twin, the module cache, the allocation strategies and the
//! configuration checks. Hostile guests are in `tests/wasm_hostile.rs`.

use std::sync::LazyLock;
use std::time::Duration;

use proptest::prelude::*;

use super::ticker::deadline_ticks;
use super::*;

/// No CPU bound and no ticker: the equality tests check results, not bounds, and must not
/// depend on how fast a loaded machine runs them.
static HOST: LazyLock<WasmHost> = LazyLock::new(|| WasmHost::new(HostConfig::unbounded()).expect("host"));

fn guest(which: Builtin) -> Guest {
    HOST.builtin(which).expect("built-in guests compile")
}

/// Every CPU-bound mode, with bounds far above what the tests need.
fn hosts() -> Vec<(&'static str, WasmHost)> {
    let generous = HostConfig { deadline: Some(Duration::from_secs(600)), ..HostConfig::untrusted() };
    [
        ("unbounded", HostConfig::unbounded()),
        ("fuel", HostConfig { fuel: Some(1 << 40), ..HostConfig::unbounded() }),
        ("epoch", generous.clone()),
        ("pooled", HostConfig { pool_slots: Some(4), ..generous }),
    ]
    .into_iter()
    .map(|(name, config)| (name, WasmHost::new(config).expect("host")))
    .collect()
}

#[test]
fn every_builtin_compiles_and_is_cached_by_name() {
    let host = WasmHost::new(HostConfig::unbounded()).unwrap();
    for which in Builtin::ALL {
        let first = host.builtin(which).unwrap();
        let again = host.builtin(which).unwrap();
        assert!(first.same_module(&again), "{} was compiled twice", which.name());
        assert_eq!(first.name(), which.name());
    }
    assert_eq!(host.compiled(), Builtin::ALL.len() as u64);
    assert!(host.cached("hash").is_some());
    assert!(host.cached("nope").is_none());
}

#[test]
fn every_mode_computes_the_same_results_as_native() {
    let mut native = NativeKernels::new();
    let message = b"Hello, agents: 42 messages/s".to_vec();
    for (mode, host) in hosts() {
        let mut h = HashKernel::new(&host.builtin(Builtin::Hash).unwrap()).unwrap();
        assert_eq!(h.hash(7, 10_000).unwrap(), native::hash(7, 10_000), "{mode}");
        let mut m = MatmulKernel::new(&host.builtin(Builtin::Matmul).unwrap()).unwrap();
        assert_eq!(m.matmul(32, 9).unwrap(), native.matmul(32, 9), "{mode}");
        let mut k = MemoryKernel::new(&host.builtin(Builtin::Memory).unwrap()).unwrap();
        assert_eq!(k.fill_sum(1 << 20, 3).unwrap(), native.fill_sum(1 << 20, 3), "{mode}");
        let mut a = MessageHandler::new(&host.builtin(Builtin::EchoAgent).unwrap()).unwrap();
        assert_eq!(a.handle(&message).unwrap(), transform(&message), "{mode}");
    }
}

#[test]
fn memory_kernel_matches_native_up_to_64_mib() {
    let mut native = NativeKernels::new();
    let mut k = MemoryKernel::new(&guest(Builtin::Memory)).unwrap();
    for len in [0u32, 8, 1024, 64 << 10, 1 << 20, 64 << 20] {
        assert_eq!(k.fill_sum(len, 0xDEAD_BEEF).unwrap(), native.fill_sum(len, 0xDEAD_BEEF), "{len} B");
    }
    // Memory grew once, to exactly 64 MiB (the default limit), and no further.
    assert_eq!(k.pages().unwrap(), 1024);
}

#[test]
fn matmul_matches_native_for_every_small_size() {
    let mut native = NativeKernels::new();
    let mut m = MatmulKernel::new(&guest(Builtin::Matmul)).unwrap();
    for n in 0..=40 {
        assert_eq!(
            m.matmul(n, n.wrapping_mul(2_654_435_761)).unwrap(),
            native.matmul(n, n.wrapping_mul(2_654_435_761))
        );
    }
    // A size whose matrices need more than the initial page.
    assert_eq!(m.matmul(100, 1).unwrap(), native.matmul(100, 1));
}

#[test]
fn echo_agent_replies_with_the_transform_and_grows_for_large_messages() {
    let mut a = MessageHandler::new(&guest(Builtin::EchoAgent)).unwrap();
    let empty = a.handle(&[]).unwrap();
    assert_eq!(empty, 0xcbf2_9ce4_8422_2325u64.to_le_bytes(), "FNV-1a of nothing is its offset basis");
    assert_eq!(&a.handle(b"abc-XYZ").unwrap()[..7], b"ABC-XYZ");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(a.handle(&big).unwrap(), transform(&big));
}

#[test]
fn cold_and_pre_instantiation_give_the_same_instance() {
    let g = guest(Builtin::Hash);
    let mut cold = GuestInstance::cold(&g).unwrap();
    let f = cold.func::<(i64, i32), i64>("hash", "").unwrap();
    let from_cold = cold.call(&f, "hash", (5, 1000)).unwrap() as u64;
    assert_eq!(from_cold, HashKernel::new(&g).unwrap().hash(5, 1000).unwrap());
}

#[test]
fn a_full_pool_refuses_with_a_typed_error_and_reuses_freed_slots() {
    let host = WasmHost::new(HostConfig { pool_slots: Some(2), ..HostConfig::unbounded() }).unwrap();
    let g = host.builtin(Builtin::Memory).unwrap();
    let first = MemoryKernel::new(&g).unwrap();
    let mut second = MemoryKernel::new(&g).unwrap();
    match MemoryKernel::new(&g) {
        Err(WasmError::Instantiate { guest, .. }) => assert_eq!(guest, "memory"),
        Err(other) => panic!("expected an instantiation error, got {other}"),
        Ok(_) => panic!("a third instance fit a two-slot pool"),
    }
    drop(first);
    let mut third = MemoryKernel::new(&g).unwrap();
    // A reused slot starts from the module's initial memory, not the previous tenant's.
    assert_eq!(third.pages().unwrap(), 1);
    assert_eq!(third.fill_sum(4096, 1).unwrap(), second.fill_sum(4096, 1).unwrap());
}

#[test]
fn pooled_slots_are_sized_to_the_memory_limit() {
    let limits = Limits::default().with_memory(3 * PAGE_SIZE);
    let host = WasmHost::new(HostConfig { limits, pool_slots: Some(1), ..HostConfig::unbounded() }).unwrap();
    let mut k = MemoryKernel::new(&host.builtin(Builtin::Memory).unwrap()).unwrap();
    assert_eq!(k.largest_memory().unwrap(), 3 * PAGE_SIZE as u64);
}

#[test]
fn bad_configurations_are_rejected() {
    let cases = [
        HostConfig { epoch_tick: Duration::ZERO, ..HostConfig::untrusted() },
        HostConfig { deadline: Some(Duration::ZERO), ..HostConfig::untrusted() },
        HostConfig { pool_slots: Some(0), ..HostConfig::unbounded() },
    ];
    for config in cases {
        let err = WasmHost::new(config.clone()).unwrap_err();
        assert!(matches!(err, WasmError::Config { .. }), "{config:?} gave {err}");
        assert_eq!(err.guest(), "");
    }
    // Without a deadline the tick is unused, so zero is fine.
    assert!(WasmHost::new(HostConfig { epoch_tick: Duration::ZERO, ..HostConfig::unbounded() }).is_ok());
}

#[test]
fn deadlines_round_up_to_whole_ticks() {
    let ms = Duration::from_millis;
    assert_eq!(deadline_ticks(ms(1000), ms(10)), 100);
    assert_eq!(deadline_ticks(ms(1001), ms(10)), 101);
    assert_eq!(deadline_ticks(ms(1), ms(10)), 1);
    assert_eq!(deadline_ticks(Duration::from_nanos(1), Duration::ZERO), 1);
    assert_eq!(deadline_ticks(Duration::MAX, Duration::from_nanos(1)), u64::MAX);
}

#[test]
fn limits_round_down_to_whole_pages() {
    assert_eq!(Limits::default().memory_pages(), 1024);
    assert_eq!(Limits::default().with_memory(3 * PAGE_SIZE - 1).memory_pages(), 2);
}

proptest! {
    #[test]
    fn hash_guest_is_its_native_twin(seed in any::<u64>(), rounds in 0u32..5_000) {
        let mut h = HashKernel::new(&guest(Builtin::Hash)).unwrap();
        prop_assert_eq!(h.hash(seed, rounds).unwrap(), native::hash(seed, rounds));
    }

    #[test]
    fn matmul_guest_is_its_native_twin(n in 0u32..24, seed in any::<u32>()) {
        let mut m = MatmulKernel::new(&guest(Builtin::Matmul)).unwrap();
        prop_assert_eq!(m.matmul(n, seed).unwrap(), NativeKernels::new().matmul(n, seed));
    }

    #[test]
    fn memory_guest_is_its_native_twin(len in 0u32..300_000, seed in any::<u64>()) {
        let mut k = MemoryKernel::new(&guest(Builtin::Memory)).unwrap();
        prop_assert_eq!(k.fill_sum(len, seed).unwrap(), NativeKernels::new().fill_sum(len, seed));
        // Memory holds `len` bytes in as few pages as possible (at least the initial one).
        prop_assert_eq!(k.pages().unwrap() as usize, len.div_ceil(PAGE_SIZE as u32).max(1) as usize);
    }

    #[test]
    fn echo_guest_is_its_native_twin(message in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut a = MessageHandler::new(&guest(Builtin::EchoAgent)).unwrap();
        // Twice on one instance: a reused instance gives the same reply.
        prop_assert_eq!(a.handle(&message).unwrap(), transform(&message));
        prop_assert_eq!(a.handle(&message).unwrap(), transform(&message));
    }
}
