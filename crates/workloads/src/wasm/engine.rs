//! The host: one wasmtime [`Engine`] per configuration, shared by every guest and store; each
//! module compiled once and cached by guest name; instantiation through [`InstancePre`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustc_hash::FxHashMap;
use wasmtime::{
    Config, Engine, Extern, Instance, InstanceAllocationStrategy, InstancePre, Linker, Memory, Module,
    PoolingAllocationConfig, Store, TypedFunc, WasmParams, WasmResults,
};

use super::error::{INSTANTIATE, WasmError, classify};
use super::limits::{Limits, PAGE_SIZE, StoreState};
use super::ticker::{Ticker, deadline_ticks};

/// How a [`WasmHost`] bounds its guests and allocates their instances.
///
/// CPU bounds are compiled into the code (`Config::consume_fuel`, `Config::epoch_interruption`),
/// so they are fixed per host: measure their cost by running one host of each kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// Per-store memory, instance and table limits.
    pub limits: Limits,
    /// Fuel for each call (about one unit per wasm instruction): a deterministic CPU bound. A
    /// guest that uses it up fails with [`WasmError::OutOfFuel`]. `None` compiles no metering.
    pub fuel: Option<u64>,
    /// Wall-clock time for each call, enforced by epoch interruption: a guest still running
    /// after it fails with [`WasmError::Deadline`]. `None` compiles no epoch checks.
    pub deadline: Option<Duration>,
    /// How often the host's ticker thread advances the epoch: the deadline's resolution.
    pub epoch_tick: Duration,
    /// Instance slots of wasmtime's pooling allocator (memories and tables are preallocated and
    /// reused); `None` allocates each instance on demand.
    pub pool_slots: Option<u32>,
}

impl HostConfig {
    /// For untrusted guests (the default): default [`Limits`] and a 1 s deadline per call,
    /// checked every 10 ms.
    pub fn untrusted() -> Self {
        HostConfig {
            limits: Limits::default(),
            fuel: None,
            deadline: Some(Duration::from_secs(1)),
            epoch_tick: Duration::from_millis(10),
            pool_slots: None,
        }
    }

    /// No CPU or time bound at all (memory is still limited): only for trusted guests, and as
    /// the baseline that measures what fuel and epochs cost.
    pub fn unbounded() -> Self {
        HostConfig { deadline: None, ..Self::untrusted() }
    }

    fn validate(&self) -> Result<(), WasmError> {
        let bad = |detail: &str| Err(WasmError::Config { detail: detail.to_owned() });
        if self.deadline.is_some() && self.epoch_tick.is_zero() {
            return bad("epoch_tick must be above zero when a deadline is set");
        }
        if self.deadline.is_some_and(|d| d.is_zero()) {
            return bad("a deadline of zero would interrupt every call at once");
        }
        if self.pool_slots == Some(0) {
            return bad("a pool needs at least one slot");
        }
        Ok(())
    }

    fn engine_config(&self) -> Config {
        let mut config = Config::new();
        config.consume_fuel(self.fuel.is_some());
        config.epoch_interruption(self.deadline.is_some());
        if let Some(slots) = self.pool_slots {
            // Slots sized to the store limits, so the pool never refuses what the limiter allows.
            let max_memory = self.limits.memory_bytes.div_ceil(PAGE_SIZE).max(1) * PAGE_SIZE;
            let mut pool = PoolingAllocationConfig::new();
            pool.total_core_instances(slots)
                .total_memories(slots)
                .total_tables(slots)
                .max_memory_size(max_memory.min(1 << 32))
                .table_elements(self.limits.table_elements);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        config
    }
}

impl Default for HostConfig {
    fn default() -> Self {
        Self::untrusted()
    }
}

/// What every guest and store of one host shares. The ticker lives as long as any guest does,
/// so deadlines keep firing for instances that outlive the [`WasmHost`] handle.
pub(crate) struct Shared {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<StoreState>,
    pub(crate) config: HostConfig,
    _ticker: Option<Ticker>,
}

#[derive(Default)]
struct Cache {
    guests: Mutex<FxHashMap<Arc<str>, Guest>>,
    compiled: AtomicU64,
}

/// Runs WebAssembly guests: one shared [`Engine`], a cache of compiled modules keyed by guest
/// name, and the bounds of its [`HostConfig`]. Cheap to clone; share one across agents.
#[derive(Clone)]
pub struct WasmHost {
    shared: Arc<Shared>,
    cache: Arc<Cache>,
}

impl std::fmt::Debug for WasmHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmHost").field("config", &self.shared.config).finish_non_exhaustive()
    }
}

impl WasmHost {
    /// A host with its own engine (and, with a deadline, its epoch ticker thread).
    pub fn new(config: HostConfig) -> Result<Self, WasmError> {
        config.validate()?;
        let engine = Engine::new(&config.engine_config())
            .map_err(|e| WasmError::Config { detail: format!("wasmtime rejected the configuration: {e:#}") })?;
        let ticker = match config.deadline {
            Some(_) => Some(Ticker::start(&engine, config.epoch_tick)?),
            None => None,
        };
        // Guests get no imports: everything they can touch is their own linear memory.
        let linker = Linker::new(&engine);
        let shared = Arc::new(Shared { engine, linker, config, _ticker: ticker });
        Ok(WasmHost { shared, cache: Arc::default() })
    }

    /// The configuration the host was built with.
    pub fn config(&self) -> &HostConfig {
        &self.shared.config
    }

    /// The guest `name` from WebAssembly text, compiled on first use and cached under `name`:
    /// later calls with the same name return the cached guest without reading `wat`.
    pub fn load_wat(&self, name: &str, wat: &str) -> Result<Guest, WasmError> {
        if let Some(g) = self.cached(name) {
            return Ok(g);
        }
        let bytes =
            wat::parse_str(wat).map_err(|e| WasmError::InvalidWat { guest: name.to_owned(), detail: e.to_string() })?;
        self.insert(self.compile(name, &bytes)?)
    }

    /// The guest `name` from a binary module, compiled on first use and cached under `name`.
    pub fn load_bytes(&self, name: &str, bytes: &[u8]) -> Result<Guest, WasmError> {
        if let Some(g) = self.cached(name) {
            return Ok(g);
        }
        self.insert(self.compile(name, bytes)?)
    }

    /// The cached guest called `name`, if one was loaded.
    pub fn cached(&self, name: &str) -> Option<Guest> {
        self.cache.guests.lock().unwrap_or_else(|p| p.into_inner()).get(name).cloned()
    }

    /// Modules this host has compiled (cache misses).
    pub fn compiled(&self) -> u64 {
        self.cache.compiled.load(Ordering::Relaxed)
    }

    fn insert(&self, guest: Guest) -> Result<Guest, WasmError> {
        let mut guests = self.cache.guests.lock().unwrap_or_else(|p| p.into_inner());
        // Two threads may have compiled the same name at once: the first to insert wins.
        Ok(guests.entry(guest.inner.name.clone()).or_insert(guest).clone())
    }

    /// Compiles `bytes` into a guest without touching the cache (what the compile bench times).
    pub(crate) fn compile(&self, name: &str, bytes: &[u8]) -> Result<Guest, WasmError> {
        let module = Module::from_binary(&self.shared.engine, bytes)
            .map_err(|e| WasmError::InvalidModule { guest: name.to_owned(), detail: format!("{e:#}") })?;
        self.cache.compiled.fetch_add(1, Ordering::Relaxed);
        // Resolving imports once here is what makes each later instantiation cheap.
        let pre = self
            .shared
            .linker
            .instantiate_pre(&module)
            .map_err(|e| WasmError::Instantiate { guest: name.to_owned(), detail: format!("{e:#}") })?;
        Ok(Guest { inner: Arc::new(GuestInner { name: name.into(), module, pre, shared: self.shared.clone() }) })
    }
}

struct GuestInner {
    name: Arc<str>,
    module: Module,
    pre: InstancePre<StoreState>,
    shared: Arc<Shared>,
}

/// A compiled guest module, ready to instantiate. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Guest {
    inner: Arc<GuestInner>,
}

impl std::fmt::Debug for Guest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guest").field("name", &self.inner.name).finish_non_exhaustive()
    }
}

impl Guest {
    /// The name errors report it under.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Whether both are the same compiled module (the cache hands out clones of one).
    pub fn same_module(&self, other: &Guest) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    pub(crate) fn config(&self) -> &HostConfig {
        &self.inner.shared.config
    }
}

/// One instance in its own store, with the host's limits and CPU bounds applied.
pub(crate) struct GuestInstance {
    store: Store<StoreState>,
    instance: Instance,
    guest: Guest,
}

impl GuestInstance {
    /// Instantiates through the guest's [`InstancePre`] (the fast path: imports already
    /// resolved; with pooling, a slot is reused).
    pub(crate) fn new(guest: &Guest) -> Result<Self, WasmError> {
        let mut store = Self::store(guest)?;
        let instance = guest.inner.pre.instantiate(&mut store).map_err(|e| Self::fail(guest, INSTANTIATE, &e))?;
        Ok(GuestInstance { store, instance, guest: guest.clone() })
    }

    /// Instantiates from the module through [`Linker::instantiate`], resolving imports again:
    /// the cold path the instantiation bench compares against.
    pub(crate) fn cold(guest: &Guest) -> Result<Self, WasmError> {
        let mut store = Self::store(guest)?;
        let shared = &guest.inner.shared;
        let instance = shared
            .linker
            .instantiate(&mut store, &guest.inner.module)
            .map_err(|e| Self::fail(guest, INSTANTIATE, &e))?;
        Ok(GuestInstance { store, instance, guest: guest.clone() })
    }

    fn store(guest: &Guest) -> Result<Store<StoreState>, WasmError> {
        let shared = &guest.inner.shared;
        let mut store = Store::new(&shared.engine, StoreState::new(&shared.config.limits));
        store.limiter(|s| &mut s.limiter);
        // Armed before instantiation too: a start function is guest code like any other.
        Self::arm(&mut store, guest, INSTANTIATE)?;
        Ok(store)
    }

    /// Gives the store one call's worth of fuel and a fresh deadline.
    fn arm(store: &mut Store<StoreState>, guest: &Guest, at: &str) -> Result<(), WasmError> {
        let config = guest.config();
        if let Some(fuel) = config.fuel {
            store.set_fuel(fuel).map_err(|e| Self::fail(guest, at, &e))?;
        }
        if let Some(deadline) = config.deadline {
            store.set_epoch_deadline(deadline_ticks(deadline, config.epoch_tick));
        }
        Ok(())
    }

    fn fail(guest: &Guest, at: &str, e: &wasmtime::Error) -> WasmError {
        let config = guest.config();
        classify(guest.name(), at, config.fuel, config.deadline, e)
    }

    pub(crate) fn guest(&self) -> &Guest {
        &self.guest
    }

    /// The exported function `export`, checked against the type `P -> R` the host calls it
    /// with (`expected` spells that type for the error message).
    pub(crate) fn func<P: WasmParams, R: WasmResults>(
        &mut self,
        export: &str,
        expected: &str,
    ) -> Result<TypedFunc<P, R>, WasmError> {
        let func = match self.export(export)? {
            Extern::Func(f) => f,
            other => return Err(self.wrong_kind(export, expected, &other)),
        };
        func.typed::<P, R>(&self.store).map_err(|_| WasmError::WrongSignature {
            guest: self.guest.name().to_owned(),
            export: export.to_owned(),
            expected: expected.to_owned(),
            found: func.ty(&self.store).to_string(),
        })
    }

    /// The exported linear memory `export`.
    pub(crate) fn memory(&mut self, export: &str) -> Result<Memory, WasmError> {
        match self.export(export)? {
            Extern::Memory(m) => Ok(m),
            other => Err(self.wrong_kind(export, "a memory", &other)),
        }
    }

    fn export(&mut self, export: &str) -> Result<Extern, WasmError> {
        self.instance
            .get_export(&mut self.store, export)
            .ok_or_else(|| WasmError::MissingExport { guest: self.guest.name().to_owned(), export: export.to_owned() })
    }

    fn wrong_kind(&self, export: &str, expected: &str, found: &Extern) -> WasmError {
        let found = match found {
            Extern::Func(f) => f.ty(&self.store).to_string(),
            Extern::Memory(_) => "a memory".to_owned(),
            Extern::Table(_) => "a table".to_owned(),
            Extern::Global(_) => "a global".to_owned(),
            _ => "another kind of export".to_owned(),
        };
        WasmError::WrongSignature {
            guest: self.guest.name().to_owned(),
            export: export.to_owned(),
            expected: expected.to_owned(),
            found,
        }
    }

    /// Calls `f` (the export `at`) with fresh fuel and deadline; failures come back classified.
    pub(crate) fn call<P: WasmParams, R: WasmResults>(
        &mut self,
        f: &TypedFunc<P, R>,
        at: &str,
        args: P,
    ) -> Result<R, WasmError> {
        Self::arm(&mut self.store, &self.guest, at)?;
        f.call(&mut self.store, args).map_err(|e| Self::fail(&self.guest, at, &e))
    }

    /// The store, for reading and writing guest memory.
    pub(crate) fn store_mut(&mut self) -> &mut Store<StoreState> {
        &mut self.store
    }
}
