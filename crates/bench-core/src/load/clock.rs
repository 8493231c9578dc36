//! The generator's clock: time since the run start as an [`Offset`] in nanoseconds.
//!
//! Two clock reads per request (send and answer) are the floor of any latency measurement, and
//! on a KVM guest `Instant::now()` (the vDSO's `clock_gettime`) costs ~34 ns while the `rdtsc`
//! instruction it is built on costs ~13 ns (measured on the 2-core EPYC dev machine; see the
//! `load_overhead` bench). Against a ~1.5 µs request that difference alone is ~3 % of overhead,
//! so on a wall-clock run the hot path reads the time-stamp counter directly and scales it to
//! nanoseconds — as the kernel's vDSO does, without its sequence lock and syscall fallback.
//!
//! The counter is used only where the kernel itself trusts it: on x86-64 Linux whose current
//! clocksource is `tsc` (the kernel checked that it is invariant and synchronised across CPUs,
//! so a task may move between cores). Its rate is calibrated once per process against the OS
//! monotonic clock over [`CALIBRATION`]; a relative rate error of a few parts per million (the
//! clock reads' jitter over the calibration window) is far below any figure printed. Elsewhere,
//! with `NOISEGATE_CLOCK=os`, and on tokio's paused clock ([`ClockKind::Simulated`]), the
//! clock is tokio's `Instant`, so tests on simulated time stay exact.
//!
//! Sleeps are always *relative* ("the next send is `gap` from now on this clock"), never an
//! absolute tokio `Instant` computed from an offset: a small rate difference between the two
//! clocks then cannot accumulate over a long soak into late (or busy-waited) sends.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;

use crate::metrics::{ClockKind, ClockSource};

/// Window over which the counter's rate is measured (once per process).
const CALIBRATION: Duration = Duration::from_millis(20);

/// Environment variable that forces the OS clock (`NOISEGATE_CLOCK=os`).
pub const CLOCK_ENV: &str = "NOISEGATE_CLOCK";

/// Nanoseconds since the run start on the run's clock. Monotonic per clock; only compare
/// offsets of the same run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Offset(pub u64);

impl Offset {
    pub(super) fn from_duration(d: Duration) -> Offset {
        Offset(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }

    pub(super) fn as_duration(self) -> Duration {
        Duration::from_nanos(self.0)
    }

    /// Nanoseconds from `earlier` to `self`, zero if `earlier` is later.
    #[inline]
    pub(super) fn since(self, earlier: Offset) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    #[inline]
    pub(super) fn plus(self, d: Duration) -> Offset {
        Offset(self.0.saturating_add(Offset::from_duration(d).0))
    }
}

/// A run's clock, started at the run start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunClock {
    start: Instant,
    tsc: Option<Tsc>,
}

impl RunClock {
    /// Starts a clock for a run on `kind` time.
    pub(super) fn start(kind: ClockKind) -> RunClock {
        let tsc = match kind {
            ClockKind::WallClock if !os_clock_forced() => *tsc_rate(),
            _ => None,
        };
        let start = Instant::now();
        RunClock { start, tsc: tsc.map(|rate| Tsc { start: read_tsc(), ..rate }) }
    }

    pub(super) fn source(&self) -> ClockSource {
        if self.tsc.is_some() { ClockSource::Tsc } else { ClockSource::Os }
    }

    /// The tokio instant of the run start (for absolute deadlines far from the hot path).
    pub(super) fn start_instant(&self) -> Instant {
        self.start
    }

    /// Time since the run start.
    #[inline]
    pub(super) fn now(&self) -> Offset {
        match &self.tsc {
            Some(t) => Offset(t.ns_since_start(read_tsc())),
            None => Offset::from_duration(Instant::now().saturating_duration_since(self.start)),
        }
    }

    /// Sleeps until `at` on this clock (relative to now, see the module docs).
    pub(super) async fn sleep_until(&self, at: Offset) {
        let gap = at.since(self.now());
        if gap > 0 {
            tokio::time::sleep(Duration::from_nanos(gap)).await;
        }
    }
}

/// The clock a wall-clock run would use on this machine, and what one read of it costs in
/// nanoseconds (measured now, over `reads` reads), for overhead reports.
pub fn wall_clock_read_cost(reads: u32) -> (ClockSource, f64) {
    let clock = RunClock::start(ClockKind::WallClock);
    let t = std::time::Instant::now();
    for _ in 0..reads {
        std::hint::black_box(clock.now());
    }
    (clock.source(), t.elapsed().as_secs_f64() * 1e9 / f64::from(reads.max(1)))
}

/// `NOISEGATE_CLOCK=os` forces the OS clock; `tsc` or unset leaves the choice to the machine.
/// Any other value is named in a warning (once per process) and ignored.
fn os_clock_forced() -> bool {
    static FORCED: OnceLock<bool> = OnceLock::new();
    *FORCED.get_or_init(|| match std::env::var(CLOCK_ENV) {
        Ok(v) if v == "os" => true,
        Ok(v) if v == "tsc" || v.is_empty() => false,
        Ok(v) => {
            eprintln!("noisegate: warning: {CLOCK_ENV}={v:?} is not `os` or `tsc`; ignoring it (unset it, or set `os` to force the OS clock)");
            false
        }
        Err(_) => false,
    })
}

/// The counter at the run start and its rate as a 32.32 fixed-point ns-per-tick factor.
#[derive(Debug, Clone, Copy)]
struct Tsc {
    start: u64,
    ns_per_tick_q32: u64,
}

impl Tsc {
    #[inline]
    fn ns_since_start(&self, ticks: u64) -> u64 {
        ((u128::from(ticks.saturating_sub(self.start)) * u128::from(self.ns_per_tick_q32)) >> 32) as u64
    }
}

/// The calibrated counter rate, if this machine's counter is usable (computed once).
fn tsc_rate() -> &'static Option<Tsc> {
    static RATE: OnceLock<Option<Tsc>> = OnceLock::new();
    RATE.get_or_init(|| if kernel_trusts_tsc() { calibrate() } else { None })
}

/// Counter ticks against OS nanoseconds over [`CALIBRATION`]; each end is the read pair with
/// the smallest gap of a few tries, so a preemption between the two reads does not skew it.
fn calibrate() -> Option<Tsc> {
    let pair = || {
        (0..5)
            .map(|_| {
                let a = std::time::Instant::now();
                let t = read_tsc();
                let b = std::time::Instant::now();
                (b - a, a + (b - a) / 2, t)
            })
            .min_by_key(|(gap, _, _)| *gap)
            .map(|(_, at, t)| (at, t))
            .expect("five tries")
    };
    let (t0, c0) = pair();
    std::thread::sleep(CALIBRATION);
    let (t1, c1) = pair();
    let ticks = c1.checked_sub(c0).filter(|&d| d > 0)?;
    let ns = (t1 - t0).as_nanos() as f64;
    let q32 = ns / ticks as f64 * 4_294_967_296.0;
    // A counter slower than 10 MHz or faster than 100 GHz is not a TSC to trust.
    (q32.is_finite() && (0.01 * 4_294_967_296.0..=100.0 * 4_294_967_296.0).contains(&q32))
        .then_some(Tsc { start: 0, ns_per_tick_q32: q32 as u64 })
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn kernel_trusts_tsc() -> bool {
    std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
        .is_ok_and(|s| s.trim() == "tsc")
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn kernel_trusts_tsc() -> bool {
    false
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn read_tsc() -> u64 {
    // SAFETY: `rdtsc` has no preconditions on x86-64; it only reads the counter.
    #[allow(unused_unsafe)]
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn read_tsc() -> u64 {
    0 // never called: `kernel_trusts_tsc` is false here
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_agrees_with_the_os_clock() {
        let clock = RunClock::start(ClockKind::WallClock);
        let os = std::time::Instant::now();
        std::thread::sleep(Duration::from_millis(30));
        let ours = clock.now().as_duration();
        let theirs = os.elapsed();
        // Both started together; on a loaded machine a preemption between the reads can add
        // a few ms, never a factor.
        assert!(ours >= Duration::from_millis(30), "{ours:?} on {:?}", clock.source());
        assert!(ours.abs_diff(theirs) < Duration::from_millis(20), "ours {ours:?}, OS {theirs:?}");
    }

    #[test]
    fn simulated_runs_use_tokios_clock() {
        assert_eq!(RunClock::start(ClockKind::Simulated).source(), ClockSource::Os);
    }

    #[test]
    fn fixed_point_scaling_is_exact_for_whole_rates() {
        // 2.5 GHz: 0.4 ns per tick.
        let t = Tsc { start: 1_000, ns_per_tick_q32: (0.4 * 4_294_967_296.0) as u64 };
        assert_eq!(t.ns_since_start(1_000), 0);
        assert_eq!(t.ns_since_start(2_500_001_000), 999_999_999, "1 s less the fixed point's truncation");
        assert_eq!(t.ns_since_start(999), 0, "a counter read before the start saturates");
    }

    #[test]
    fn offsets_saturate() {
        assert_eq!(Offset(5).since(Offset(9)), 0);
        assert_eq!(Offset(9).since(Offset(5)), 4);
        assert_eq!(Offset(u64::MAX).plus(Duration::from_secs(1)), Offset(u64::MAX));
    }
}
