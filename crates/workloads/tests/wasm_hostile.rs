//! Untrusted guests: every way a guest can misbehave ends in a typed error naming the guest and
//! the cause, and the host, the orchestrator and the other agents carry on. Outcomes only: no
//! assertion here depends on how fast the machine is.

use std::time::Duration;

use bytes::Bytes;
use workloads::orchestrator::{
    AclMessage, AgentId, AgentSpec, ConversationId, Orchestrator, Performative, RestartPolicy,
};
use workloads::wasm::{
    Builtin, HashKernel, HostConfig, Limits, MemoryKernel, MessageHandler, PAGE_SIZE, TransformAgent, TrapCode,
    WasmAgent, WasmError, WasmHost, native, transform,
};

fn host(config: HostConfig) -> WasmHost {
    WasmHost::new(config).expect("host")
}

/// Fuel only: a runaway guest stops after a fixed amount of work, however loaded the machine.
fn fuel_host() -> WasmHost {
    host(HostConfig { fuel: Some(2_000_000), ..HostConfig::unbounded() })
}

/// Epoch deadline only, short, so a runaway guest costs the test little.
fn epoch_host() -> WasmHost {
    host(HostConfig {
        deadline: Some(Duration::from_millis(100)),
        epoch_tick: Duration::from_millis(5),
        ..HostConfig::untrusted()
    })
}

/// A `hash`-shaped guest whose body is `body` (params: `$seed` i64, `$rounds` i32).
fn hash_guest(body: &str) -> String {
    format!(r#"(module (memory 1) (func (export "hash") (param $seed i64) (param $rounds i32) (result i64) {body}))"#)
}

const SPIN: &str = "(loop $l (br $l)) (i64.const 0)";

/// The host still compiles, instantiates and runs a healthy guest correctly.
fn assert_host_works(host: &WasmHost) {
    let mut h = HashKernel::new(&host.builtin(Builtin::Hash).unwrap()).unwrap();
    assert_eq!(h.hash(11, 1000).unwrap(), native::hash(11, 1000));
}

#[test]
fn invalid_wat_is_a_typed_error() {
    let h = fuel_host();
    let err = h.load_wat("broken", "(module (func $f (result i32) i32.const))").unwrap_err();
    assert!(matches!(&err, WasmError::InvalidWat { guest, .. } if guest == "broken"), "{err}");
    assert!(err.to_string().contains("`broken`"), "{err}");
    assert!(h.cached("broken").is_none(), "a failed load is not cached");
    assert_host_works(&h);
}

#[test]
fn invalid_bytes_are_a_typed_error() {
    let h = fuel_host();
    for (name, bytes) in [
        ("not_wasm", &b"hello, world"[..]),
        ("truncated", &b"\0asm\x01\0\0\0\x01"[..]),
        // Valid WAT syntax, invalid module: the function returns nothing but declares an i32.
        ("ill_typed", &wat::parse_str("(module (func (result i32)))").unwrap()[..]),
    ] {
        let err = h.load_bytes(name, bytes).unwrap_err();
        assert!(matches!(&err, WasmError::InvalidModule { guest, .. } if guest == name), "{name}: {err}");
    }
    assert_host_works(&h);
}

#[test]
fn a_missing_export_is_a_typed_error() {
    let h = fuel_host();
    let g = h.load_wat("no_hash", r#"(module (func (export "hush") (result i32) (i32.const 0)))"#).unwrap();
    let err = HashKernel::new(&g).err().expect("no `hash` export");
    assert_eq!(err, WasmError::MissingExport { guest: "no_hash".into(), export: "hash".into() });
    let g =
        h.load_wat("no_memory", r#"(module (func (export "buffer") (param i32) (result i32) (local.get 0)))"#).unwrap();
    let err = MessageHandler::new(&g).err().expect("no memory");
    assert_eq!(err, WasmError::MissingExport { guest: "no_memory".into(), export: "memory".into() });
    assert_host_works(&h);
}

#[test]
fn a_wrong_signature_is_a_typed_error() {
    let h = fuel_host();
    let g = h.load_wat("narrow", r#"(module (func (export "hash") (param i32) (result i32) (local.get 0)))"#).unwrap();
    match HashKernel::new(&g).err().expect("wrong signature") {
        WasmError::WrongSignature { guest, export, expected, found } => {
            assert_eq!((guest.as_str(), export.as_str()), ("narrow", "hash"));
            assert_eq!(expected, "(type (func (param i64 i32) (result i64)))");
            assert_eq!(found, "(type (func (param i32) (result i32)))");
        }
        other => panic!("expected WrongSignature, got {other}"),
    }
    // The right name on the wrong kind of export.
    let g = h.load_wat("fn_memory", r#"(module (func (export "memory")))"#).unwrap();
    match MessageHandler::new(&g).err().expect("memory is a function") {
        WasmError::WrongSignature { export, expected, .. } => {
            assert_eq!((export.as_str(), expected.as_str()), ("memory", "a memory"))
        }
        other => panic!("expected WrongSignature, got {other}"),
    }
    assert_host_works(&h);
}

#[test]
fn traps_are_typed_errors_with_their_code() {
    let h = fuel_host();
    let cases = [
        ("unreachable", "unreachable", TrapCode::Unreachable),
        (
            "div_zero",
            "(i64.div_u (local.get $seed) (i64.extend_i32_u (local.get $rounds)))",
            TrapCode::IntegerDivisionByZero,
        ),
        ("out_of_bounds", "(i64.load (i32.const 0x7FFFFFF0))", TrapCode::MemoryOutOfBounds),
        ("recursion", "(call 0 (local.get $seed) (local.get $rounds))", TrapCode::StackOverflow),
    ];
    for (name, body, code) in cases {
        let g = h.load_wat(name, &hash_guest(body)).unwrap();
        let mut k = HashKernel::new(&g).unwrap();
        let err = k.hash(1, 0).unwrap_err();
        assert_eq!(err, WasmError::Trap { guest: name.into(), at: "hash".into(), code: code.clone() });
        assert!(err.to_string().contains(name) && err.to_string().contains(&code.to_string()), "{err}");
        // The instance survives its trap: wasmtime unwinds the guest, not the store.
        assert!(matches!(k.hash(1, 0), Err(WasmError::Trap { .. })));
    }
    assert_host_works(&h);
}

#[test]
fn an_infinite_loop_is_stopped_by_fuel() {
    let h = fuel_host();
    let mut k = HashKernel::new(&h.load_wat("spin", &hash_guest(SPIN)).unwrap()).unwrap();
    let err = k.hash(0, 0).unwrap_err();
    assert_eq!(err, WasmError::OutOfFuel { guest: "spin".into(), at: "hash".into(), fuel: 2_000_000 });
    // Each call gets a full budget again: the same instance still runs honest work.
    let mut honest = HashKernel::new(&h.builtin(Builtin::Hash).unwrap()).unwrap();
    assert_eq!(honest.hash(3, 10_000).unwrap(), native::hash(3, 10_000));
    // And the budget really bounds honest work too: 10M rounds need far more than 2M units.
    assert!(matches!(honest.hash(3, 10_000_000), Err(WasmError::OutOfFuel { .. })));
}

#[test]
fn an_infinite_loop_is_stopped_by_the_epoch_deadline() {
    let h = epoch_host();
    let mut k = HashKernel::new(&h.load_wat("spin", &hash_guest(SPIN)).unwrap()).unwrap();
    let err = k.hash(0, 0).unwrap_err();
    assert_eq!(
        err,
        WasmError::Deadline { guest: "spin".into(), at: "hash".into(), deadline: Duration::from_millis(100) }
    );
    // The deadline is per call: the next call gets a fresh one.
    assert!(matches!(k.hash(0, 0), Err(WasmError::Deadline { .. })));
    assert_host_works(&h);
}

#[test]
fn a_start_function_is_bounded_too() {
    let wat = r#"(module (func $start (loop $l (br $l))) (start $start) (func (export "hash") (param i64 i32) (result i64) (i64.const 0)))"#;
    let err = HashKernel::new(&epoch_host().load_wat("slow_start", wat).unwrap()).err().expect("deadline");
    assert!(
        matches!(&err, WasmError::Deadline { guest, at, .. } if guest == "slow_start" && at == "instantiate"),
        "{err}"
    );
    let err = HashKernel::new(&fuel_host().load_wat("slow_start", wat).unwrap()).err().expect("fuel");
    assert!(matches!(&err, WasmError::OutOfFuel { at, .. } if at == "instantiate"), "{err}");
}

#[test]
fn a_memory_bomb_stops_at_the_limit() {
    let limits = Limits::default().with_memory(16 << 20);
    let h = host(HostConfig { limits, ..HostConfig::untrusted() });
    // Grows 1 MiB at a time forever, ignoring failures.
    let bomb = hash_guest("(loop $l (drop (memory.grow (i32.const 16))) (br $l)) (i64.const 0)");
    let mut k = HashKernel::new(&h.load_wat("bomb", &bomb).unwrap()).unwrap();
    let err = k.hash(0, 0).unwrap_err();
    // From 1 page in steps of 16, the first refused size is 257 pages.
    assert_eq!(
        err,
        WasmError::MemoryLimit {
            guest: "bomb".into(),
            at: "hash".into(),
            requested: 257 * PAGE_SIZE as u64,
            limit: 16 << 20
        }
    );
    // A module that declares more initial memory than allowed never instantiates.
    let g = h
        .load_wat("fat", r#"(module (memory 300) (func (export "hash") (param i64 i32) (result i64) (i64.const 0)))"#)
        .unwrap();
    let err = HashKernel::new(&g).err().expect("300 pages > 256");
    assert!(
        matches!(&err, WasmError::MemoryLimit { guest, at, requested, .. } if guest == "fat" && at == "instantiate" && *requested == 300 * PAGE_SIZE as u64),
        "{err}"
    );
    assert_host_works(&h);
}

#[test]
fn memory_limits_are_exact_to_the_page() {
    for pages in [1usize, 2, 17, 160, 1600] {
        // A limit a byte short of the next page: enforced as whole pages, rounded down.
        for limit in [pages * PAGE_SIZE, (pages + 1) * PAGE_SIZE - 1] {
            let h = host(HostConfig { limits: Limits::default().with_memory(limit), ..HostConfig::unbounded() });
            let g = h.builtin(Builtin::Memory).unwrap();
            let mut k = MemoryKernel::new(&g).unwrap();
            assert_eq!(k.pages().unwrap(), 1);
            if pages > 1 {
                assert_eq!(k.grow(pages as u32 - 1).unwrap(), 1, "growing to {pages} pages under {limit} B");
            }
            assert_eq!(k.pages().unwrap() as usize, pages);
            let err = k.grow(1).unwrap_err();
            assert_eq!(
                err,
                WasmError::MemoryLimit {
                    guest: "memory".into(),
                    at: "grow".into(),
                    requested: ((pages + 1) * PAGE_SIZE) as u64,
                    limit: limit as u64
                }
            );
            assert_eq!(k.pages().unwrap() as usize, pages, "a refused growth leaves memory as it was");
            // The kernel itself: N pages of data fit, one byte more does not.
            let mut k = MemoryKernel::new(&g).unwrap();
            k.fill_sum((pages * PAGE_SIZE) as u32, 1).unwrap();
            assert!(matches!(k.fill_sum((pages * PAGE_SIZE + 1) as u32, 1), Err(WasmError::MemoryLimit { .. })));
            assert_eq!(MemoryKernel::new(&g).unwrap().largest_memory().unwrap(), (pages * PAGE_SIZE) as u64);
        }
    }
}

#[test]
fn a_guest_returning_a_wild_pointer_breaks_no_host_invariant() {
    let h = fuel_host();
    let wat = r#"(module (memory (export "memory") 1)
        (func (export "buffer") (param i32) (result i32) (i32.const 0))
        (func (export "handle") (param i32 i32) (result i64) (i64.const 0x0000FFF0_00001000)))"#;
    let mut a = MessageHandler::new(&h.load_wat("wild", wat).unwrap()).unwrap();
    let err = a.handle(b"hi").unwrap_err();
    assert!(matches!(&err, WasmError::Abi { guest, at, .. } if guest == "wild" && at == "handle"), "{err}");
    let wat = r#"(module (memory (export "memory") 1)
        (func (export "buffer") (param i32) (result i32) (i32.const 65535))
        (func (export "handle") (param i32 i32) (result i64) (i64.const 0)))"#;
    let mut a = MessageHandler::new(&h.load_wat("overrun", wat).unwrap()).unwrap();
    assert!(matches!(a.handle(b"two bytes"), Err(WasmError::Abi { at, .. }) if at == "buffer"));
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_time().build().unwrap()
}

fn request(to: AgentId, payload: &'static [u8]) -> AclMessage {
    AclMessage::new(Performative::Request, AgentId(0), to, ConversationId(0), Bytes::from_static(payload))
}

#[test]
fn hostile_wasm_agents_fail_alone_inside_the_orchestrator() {
    let fuel = fuel_host();
    let healthy = fuel.builtin(Builtin::EchoAgent).unwrap();
    let handle_body = |body: &str| {
        format!(
            r#"(module (memory (export "memory") 1)
                (func (export "buffer") (param i32) (result i32) (i32.const 1024))
                (func (export "handle") (param $p i32) (param $n i32) (result i64) {body}))"#
        )
    };
    let trapper =
        fuel.load_wat("trapper", &handle_body("(i64.extend_i32_u (i32.div_u (local.get $p) (i32.const 0)))")).unwrap();
    let spinner = fuel.load_wat("spinner", &handle_body("(loop $l (br $l)) (i64.const 0)")).unwrap();
    let bomber = fuel
        .load_wat("bomber", &handle_body("(loop $l (drop (memory.grow (i32.const 64))) (br $l)) (i64.const 0)"))
        .unwrap();
    let late = epoch_host().load_wat("late", &handle_body("(loop $l (br $l)) (i64.const 0)")).unwrap();

    runtime().block_on(async {
        let orch = Orchestrator::new();
        let client = orch.client();
        let native = orch.spawn(&AgentSpec::new(|| TransformAgent)).unwrap();
        let wasm = orch.spawn(&WasmAgent::spec(healthy.clone())).unwrap();
        let hostile: Vec<(AgentId, &str, &str)> = [
            (&trapper, "integer divide by zero"),
            (&spinner, "ran out of fuel"),
            (&bomber, "exceeded its memory limit"),
            (&late, "passed its deadline"),
        ]
        .into_iter()
        .map(|(g, cause)| {
            (orch.spawn(&WasmAgent::spec(g.clone()).restart(RestartPolicy::default())).unwrap(), g.name(), cause)
        })
        .collect();

        let payloads: [&'static [u8]; 3] = [b"first message", b"Second: 42", b""];
        for (round, p) in payloads.into_iter().enumerate() {
            // Healthy agents answer identically, before, between and after hostile failures.
            let a = client.request(request(native, p)).await.unwrap();
            let b = client.request(request(wasm, p)).await.unwrap();
            assert_eq!((a.performative, b.performative), (Performative::Inform, Performative::Inform));
            assert_eq!(a.payload, transform(p));
            assert_eq!(b.payload, a.payload, "the WASM agent and its native twin differ on {p:?}");
            for &(id, name, cause) in &hostile {
                let reply = client.request(request(id, p)).await.unwrap();
                assert_eq!(reply.performative, Performative::Failure, "{name} in round {round}");
                let text = String::from_utf8_lossy(&reply.payload);
                assert!(text.contains(&format!("`{name}`")) && text.contains(cause), "{name}: {text}");
            }
        }
        let stats = orch.stats();
        let failures = (payloads.len() * hostile.len()) as u64;
        assert_eq!(stats.panics, failures, "every hostile failure is counted");
        assert_eq!(stats.restarts, failures, "and each hostile agent restarted with a fresh instance");
        assert_eq!(stats.agent_failed, 0);
        let report = orch.shutdown().await;
        assert_eq!(
            report.stats.handled,
            2 * payloads.len() as u64,
            "only the healthy agents' messages count as handled"
        );
    });
    assert_host_works(&fuel);
}
