//! The thread that advances the engine's epoch so wall-clock deadlines fire.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wasmtime::Engine;

use super::error::WasmError;

/// Epoch ticks a call may run for: `deadline` in whole ticks, rounded up, at least one. The
/// epoch can advance right after the deadline is set, so a guest is interrupted after between
/// `ticks − 1` and `ticks` ticks (plus however late the ticker thread is scheduled).
pub(crate) fn deadline_ticks(deadline: Duration, tick: Duration) -> u64 {
    let ticks = deadline.as_nanos().div_ceil(tick.as_nanos().max(1));
    u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
}

/// A thread calling [`Engine::increment_epoch`] every `tick` (the pattern wasmtime's
/// `Config::epoch_interruption` docs describe). It holds only a weak engine reference and is
/// stopped and joined on drop.
pub(crate) struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    pub(crate) fn start(engine: &Engine, tick: Duration) -> Result<Self, WasmError> {
        let weak = engine.weak();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("wasm-epoch".into())
            .spawn(move || {
                let mut next = Instant::now() + tick;
                loop {
                    // park_timeout may wake early (or on drop's unpark): sleep to the tick.
                    while !stopping.load(Ordering::Acquire) && Instant::now() < next {
                        std::thread::park_timeout(next.saturating_duration_since(Instant::now()));
                    }
                    if stopping.load(Ordering::Acquire) {
                        return;
                    }
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => return,
                    }
                    next += tick;
                }
            })
            .map_err(|e| WasmError::Config { detail: format!("cannot start the epoch ticker thread: {e}") })?;
        Ok(Ticker { stop, thread: Some(thread) })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            // The thread only sleeps and increments a counter; it cannot panic.
            let _ = t.join();
        }
    }
}
