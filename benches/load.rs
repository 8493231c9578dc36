//! Load scenarios against the agent orchestrator (see `workloads::suite::load`): a calibration
//! that finds the highest sustainable rate, then `peak`, `sustained`, `burst`, `stepped` and a
//! closed-loop comparison — first with native agents (ids `load/<scenario>`), then with WASM
//! agents in the same orchestrator (ids `load/wasm/<scenario>`: echo served by the `echo_agent`
//! guest, compute by the `hash` guest, sends by native sinks, under `HostConfig::untrusted()`;
//! see `workloads::suite::wasm::load`). Each system is calibrated on its own. Every scenario is
//! written to `target/noisegate/<id>/<baseline>/` (`metrics.json`, `timeline.json`,
//! `scenario.json`) and graded against `noisegate.toml`; `load/stepped`'s graded figures cover
//! the steps before the first step past the knee (the run prints which).
//!
//! Before them, the criterion group `load_overhead` measures what the measuring costs: the same
//! target called in a bare loop (`bare_call/<target>`) and through the generator's closed loop
//! with one worker (`recorded/<target>`: latency histograms, per-operation figures, the interval
//! timeline and the 10 Hz resource sampler), for the orchestrator mix and for a target that
//! answers at once (`no_op`: the generator's own cost per request, in ns). Time is per request;
//! each timed batch has at least [`MIN_BATCH`] requests so a run's fixed set-up (histogram
//! allocation, sampler thread) is spread as in a real run. An interleaved measurement then
//! prints the orchestrator ratio for wall time and for process CPU time. Goal: ≤ 5 %.
//!
//! Run: `cargo bench --bench load -- --quick` (profile `quick`; both systems), or with
//! `NOISEGATE_PROFILE=continuous` for a 4-hour soak. A name filter selects by substring of the
//! id: `-- wasm` runs only the WASM scenarios, `-- load/peak` only the native peak, `-- peak`
//! both peaks, `-- sustained` both sustained runs; `-- --save-baseline NAME` /
//! `-- --baseline NAME` save and gate as elsewhere (the two systems' results never mix: their
//! ids differ).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_core::load::{self, ClosedLoop, LoadConfig, Mix, Request, Target, from_fn};
use bench_core::targets::{Profile, Profiles, Targets};
use criterion::{Criterion, Throughput};
use tokio::runtime::Runtime;
use workloads::orchestrator::{AgentSystem, NativeSystem};
use workloads::suite::load::AgentTarget;
use workloads::suite::{self, RunOptions};

/// Agents the overhead target spreads its requests over.
const OVERHEAD_AGENTS: usize = 64;

/// Fewest requests per timed batch: criterion's time per request is the batch's time over its
/// size, so a closed loop's fixed set-up and merge (a few ms) is spread over at least this many
/// requests, as in a scenario run.
const MIN_BATCH: u64 = 200_000;

fn main() {
    // Benchmarks written after this instant are the ones this run measured (for the gate).
    let started = std::time::SystemTime::now();
    let opts = RunOptions::from_env();
    let cwd = std::env::current_dir().unwrap_or_default();
    let (targets, profiles) = match (Targets::discover(&cwd), Profiles::discover(&cwd)) {
        (Ok(t), Ok(p)) => (t, p),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let profile = profiles.select(opts.quick).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let mut c = Criterion::default().configure_from_args();
    // `noisegate ab` runs criterion benchmarks and scenarios in separate processes.
    c = bench_core::cargo_hook::Phase::current().apply(c);
    let rt = suite::runtime();
    overhead(&mut c, &rt, profile, &opts);
    c.final_summary();
    if opts.measuring {
        suite::load::scenarios(&rt, "orchestrator with native agents", NativeSystem::new, &opts, &targets, profile);
        suite::wasm::load::scenarios(&rt, &opts, &targets, profile);
    }
    // With `--baseline NAME`, judge this run against NAME and exit 1 on a confident regression.
    std::process::exit(bench_core::cargo_hook::after_bench(started));
}

/// `n` requests of the mix, one after another, straight to the target; with `pause`, a
/// busy-wait of that long after each answer (the control arm: the recorder's time, no recorder).
async fn bare<T: Target>(target: Arc<T>, mix: Mix, n: u64, pause: Duration) -> Duration {
    let start = Instant::now();
    for seq in 0..n {
        let req = Request { seq, intended: Duration::ZERO, op: mix.op_for(seq) };
        let _ = target.call(req).await;
        if !pause.is_zero() {
            let t = Instant::now();
            while t.elapsed() < pause {
                std::hint::spin_loop();
            }
        }
    }
    start.elapsed()
}

/// The same `n` requests through the generator's closed loop (one worker), everything on.
async fn recorded<T: Target>(target: Arc<T>, config: LoadConfig, n: u64) -> Duration {
    let closed = ClosedLoop { max_requests: Some(n), ..ClosedLoop::new(1, Duration::from_secs(86_400)) };
    let start = Instant::now();
    let report = load::run_closed(&closed, &config, target).await.expect("valid closed loop");
    let took = start.elapsed();
    assert_eq!(report.errors.total, n, "every request is recorded");
    took
}

/// CPU seconds this process has used (user + system), where the OS reports it.
fn process_cpu() -> Option<Duration> {
    #[cfg(unix)]
    {
        // SAFETY: getrusage only writes the struct it is given.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
            return None;
        }
        let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
        Some(tv(u.ru_utime) + tv(u.ru_stime))
    }
    #[cfg(not(unix))]
    None
}

fn overhead(c: &mut Criterion, rt: &Runtime, profile: &Profile, opts: &RunOptions) {
    let _in_runtime = rt.enter();
    let sys = Arc::new(NativeSystem::new());
    let (target, mix) = AgentTarget::start(sys.clone(), &profile.mix, OVERHEAD_AGENTS).unwrap_or_else(|e| {
        eprintln!("error: profile `{}`: {e}", profile.name);
        std::process::exit(2);
    });
    let target = Arc::new(target);
    let config = LoadConfig {
        mix: Some(mix.clone()),
        sample_resources: true,
        interval: profile.interval,
        name: "load_overhead".into(),
        ..LoadConfig::default()
    };
    let no_op = Arc::new(from_fn(|_req: Request| async { Ok(()) }));
    let paused = |n: u64, pause: Duration| rt.block_on(rt.spawn(bare(target.clone(), mix.clone(), n, pause)));
    let run_bare = |n: u64| paused(n, Duration::ZERO).expect("bare loop");
    let run_paused = |n: u64, pause: Duration| paused(n, pause).expect("bare loop");
    let run_recorded = |n: u64| rt.block_on(recorded(target.clone(), config.clone(), n));
    // Criterion's `iters` requests, timed as part of a batch of at least MIN_BATCH.
    let batched = |run: &dyn Fn(u64) -> Duration, iters: u64| {
        let n = iters.max(MIN_BATCH);
        run(n).mul_f64(iters as f64 / n as f64)
    };

    let mut g = c.benchmark_group("load_overhead");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    g.bench_function("bare_call/orchestrator", |b| b.iter_custom(|i| batched(&run_bare, i)));
    g.bench_function("recorded/orchestrator", |b| b.iter_custom(|i| batched(&run_recorded, i)));
    let bare_no_op =
        |n: u64| rt.block_on(rt.spawn(bare(no_op.clone(), mix.clone(), n, Duration::ZERO))).expect("bare loop");
    let recorded_no_op = |n: u64| rt.block_on(recorded(no_op.clone(), config.clone(), n));
    g.bench_function("bare_call/no_op", |b| b.iter_custom(|i| batched(&bare_no_op, i)));
    g.bench_function("recorded/no_op", |b| b.iter_custom(|i| batched(&recorded_no_op, i)));
    g.finish();

    if opts.measuring && opts.selects("load_overhead") {
        interleaved(opts.quick, &run_bare, &run_recorded, &run_paused, &bare_no_op, &recorded_no_op);
    }
    rt.block_on(sys.shutdown());
}

/// Bare and recorded runs alternated (so drift in the machine's speed hits both sides alike),
/// timed on the wall clock and in process CPU time, and the measuring's cost accounted for.
///
/// Two views, both printed:
/// - **Direct**: the ratio recorded / bare of each adjacent pair of runs of the orchestrator
///   mix; median and interquartile range over the rounds. It includes how the target reacts to
///   any pause between an answer and the next request (its threads park and wake more), so a
///   **control** arm runs bare with a busy-wait as long as the recorder's own time per request
///   and no recorder: what the control costs is the target's reaction to *any* measuring loop,
///   and recorded / control is what the recorder costs beyond its time.
/// - **Accounted** (the goal's measure): the CPU the recorder and the sampler themselves spend,
///   as a share of the CPU the workload spends. The recorder's cost per request is the
///   recorded − bare difference against a target that answers at once (`no_op`); the
///   sampler's is its process CPU over an otherwise idle window.
fn interleaved(
    quick: bool,
    bare: &dyn Fn(u64) -> Duration,
    recorded: &dyn Fn(u64) -> Duration,
    paused: &dyn Fn(u64, Duration) -> Duration,
    bare_no_op: &dyn Fn(u64) -> Duration,
    recorded_no_op: &dyn Fn(u64) -> Duration,
) {
    let (rounds, n) = if quick { (15, 200_000u64) } else { (25, 500_000) };
    // The recorder's own time per request, for the control arm's pause.
    let mut first: Vec<f64> =
        (0..5).map(|_| per_request(recorded_no_op(n), n) - per_request(bare_no_op(n), n)).collect();
    first.sort_by(f64::total_cmp);
    let pause = Duration::from_nanos(first[2].max(0.0) as u64);
    let (mut wall, mut cpu, mut gen_cost, mut bare_cpu) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut control = Vec::new();
    for _ in 0..rounds {
        let c0 = process_cpu();
        let b = bare(n);
        let c1 = process_cpu();
        let r = recorded(n);
        let c2 = process_cpu();
        let p = paused(n, pause);
        wall.push(per_request(r, n) / per_request(b, n));
        control.push((per_request(p, n) / per_request(b, n), per_request(r, n) / per_request(p, n)));
        if let (Some(c0), Some(c1), Some(c2)) = (c0, c1, c2) {
            cpu.push(per_request(c2 - c1, n) / per_request(c1 - c0, n));
            bare_cpu.push(per_request(c1 - c0, n));
        }
        gen_cost.push(per_request(recorded_no_op(n), n) - per_request(bare_no_op(n), n));
    }
    println!(
        "load_overhead: {rounds} interleaved rounds of {n} requests, orchestrator mix, one closed-loop worker; \
         recorded = latency histograms + per-operation figures + 1 s timeline + 10 Hz resource sampler"
    );
    let quartiles = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        (q(0.25), q(0.5), q(0.75))
    };
    let pct = |r: f64| 100.0 * (r - 1.0);
    let (lo, mid, hi) = quartiles(&mut wall);
    println!(
        "load_overhead (measured, direct, wall-clock): recorded / bare per pair of runs: median {:+.1} % (IQR {:+.1} … {:+.1} %)",
        pct(mid),
        pct(lo),
        pct(hi)
    );
    let (mut c_bare, mut c_rec): (Vec<f64>, Vec<f64>) = control.into_iter().unzip();
    let (lo, mid, hi) = quartiles(&mut c_bare);
    let (lo2, mid2, hi2) = quartiles(&mut c_rec);
    println!(
        "load_overhead (measured, control): bare with a {} ns busy-wait per request and no recorder / bare: \
         median {:+.1} % (IQR {:+.1} … {:+.1} %) — the target's reaction to any pause; recorded / control: \
         median {:+.1} % (IQR {:+.1} … {:+.1} %)",
        pause.as_nanos(),
        pct(mid),
        pct(lo),
        pct(hi),
        pct(mid2),
        pct(lo2),
        pct(hi2)
    );
    if cpu.is_empty() {
        println!("load_overhead: process CPU time not available on this platform; no CPU accounting");
        return;
    }
    let (lo, mid, hi) = quartiles(&mut cpu);
    println!(
        "load_overhead (measured, direct, process CPU): recorded / bare per pair of runs: median {:+.1} % (IQR {:+.1} … {:+.1} %)",
        pct(mid),
        pct(lo),
        pct(hi)
    );
    let (_, recorder_ns, _) = quartiles(&mut gen_cost);
    let (_, workload_ns, _) = quartiles(&mut bare_cpu);
    let sampler_ns_per_s = sampler_cpu_per_second();
    // The sampler's CPU per second, spread over the requests of one second of this workload.
    let requests_per_s = 1e9 / workload_ns;
    let sampler_ns = sampler_ns_per_s.map(|s| s / requests_per_s);
    let (source, clock_ns) = load::wall_clock_read_cost(1_000_000);
    println!(
        "load_overhead (measured): recorder {recorder_ns:.0} ns CPU per request (median recorded − bare against \
         a target that answers at once; of it, two clock reads of 2 × {clock_ns:.0} ns, {source:?} clock); \
         sampler {} per second of run",
        sampler_ns_per_s.map_or("not measured".to_owned(), |s| format!("{:.0} µs CPU", s / 1e3)),
    );
    let total = recorder_ns + sampler_ns.unwrap_or(0.0);
    println!(
        "load_overhead (measured, accounted): recorder + sampler = {total:.0} ns CPU per request against the \
         workload's {workload_ns:.0} ns CPU per request (median of the bare runs) → {:.1} % CPU overhead; goal ≤ 5 %",
        100.0 * total / workload_ns
    );
}

/// Process CPU spent while only the resource sampler runs (its default rate, 2 s), in ns per
/// second; `None` where CPU time is not reported.
fn sampler_cpu_per_second() -> Option<f64> {
    let window = Duration::from_secs(2);
    let c0 = process_cpu()?;
    let t = Instant::now();
    let sampler = bench_core::resource::ResourceSampler::start().ok()?;
    std::thread::sleep(window);
    drop(sampler.stop());
    let c1 = process_cpu()?;
    Some((c1 - c0).as_nanos() as f64 / t.elapsed().as_secs_f64())
}

fn per_request(d: Duration, n: u64) -> f64 {
    d.as_secs_f64() * 1e9 / n as f64
}
