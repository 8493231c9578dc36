//! Load scenarios against the agent orchestrator (see `workloads::suite::load`): a calibration
//! that finds the highest sustainable rate, then `peak`, `sustained`, `burst`, `stepped` and a
//! closed-loop comparison, each written to `target/noisegate/load/<scenario>/<baseline>/`
//! (`metrics.json`, `timeline.json`, `scenario.json`) and graded against `noisegate.toml`.
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
//! Run: `cargo bench --bench load -- --quick` (profile `quick`, about 3 minutes), or with
//! `NOISEGATE_PROFILE=continuous` for a 4-hour soak; a name filter such as `-- sustained` runs
//! one scenario; `-- --save-baseline NAME` / `-- --baseline NAME` save and gate as elsewhere.

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
    let rt = suite::runtime();
    overhead(&mut c, &rt, profile, &opts);
    c.final_summary();
    if opts.measuring {
        suite::load::scenarios(&rt, "orchestrator", NativeSystem::new, &opts, &targets, profile);
    }
    // With `--baseline NAME`, judge this run against NAME and exit 1 on a confident regression.
    std::process::exit(bench_core::gate::after_bench(started));
}

/// `n` requests of the mix, one after another, straight to the target.
async fn bare<T: Target>(target: Arc<T>, mix: Mix, n: u64) -> Duration {
    let start = Instant::now();
    for seq in 0..n {
        let req = Request { seq, intended: Duration::ZERO, op: mix.op_for(seq) };
        let _ = target.call(req).await;
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
    let run_bare = |n: u64| rt.block_on(rt.spawn(bare(target.clone(), mix.clone(), n))).expect("bare loop");
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
    let bare_no_op = |n: u64| rt.block_on(rt.spawn(bare(no_op.clone(), mix.clone(), n))).expect("bare loop");
    let recorded_no_op = |n: u64| rt.block_on(recorded(no_op.clone(), config.clone(), n));
    g.bench_function("bare_call/no_op", |b| b.iter_custom(|i| batched(&bare_no_op, i)));
    g.bench_function("recorded/no_op", |b| b.iter_custom(|i| batched(&recorded_no_op, i)));
    g.finish();

    if opts.measuring && opts.selects("load_overhead") {
        interleaved(opts.quick, &run_bare, &run_recorded, &bare_no_op, &recorded_no_op);
    }
    rt.block_on(sys.shutdown());
}

/// Bare and recorded runs alternated (so drift in the machine's speed hits both sides alike),
/// timed on the wall clock and in process CPU time; prints the ratio. The minimum over rounds is
/// the run least disturbed by other processes; the median is shown beside it.
fn interleaved(
    quick: bool,
    bare: &dyn Fn(u64) -> Duration,
    recorded: &dyn Fn(u64) -> Duration,
    bare_no_op: &dyn Fn(u64) -> Duration,
    recorded_no_op: &dyn Fn(u64) -> Duration,
) {
    let (rounds, n) = if quick { (7, 200_000u64) } else { (11, 500_000) };
    let (mut wall, mut cpu, mut gen_cost) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let c0 = process_cpu();
        let b = bare(n);
        let c1 = process_cpu();
        let r = recorded(n);
        let c2 = process_cpu();
        wall.push((per_request(b, n), per_request(r, n)));
        if let (Some(c0), Some(c1), Some(c2)) = (c0, c1, c2) {
            cpu.push((per_request(c1 - c0, n), per_request(c2 - c1, n)));
        }
        gen_cost.push(per_request(recorded_no_op(n), n) - per_request(bare_no_op(n), n));
    }
    let line = |what: &str, pairs: &[(f64, f64)]| {
        let pick = |f: fn(&(f64, f64)) -> f64, median: bool| {
            let mut v: Vec<f64> = pairs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            if median { v[v.len() / 2] } else { v[0] }
        };
        let (b_min, r_min) = (pick(|p| p.0, false), pick(|p| p.1, false));
        let (b_med, r_med) = (pick(|p| p.0, true), pick(|p| p.1, true));
        println!(
            "load_overhead ({what}): bare call {b_min:.0} ns/request, recorded {r_min:.0} ns/request → {:+.1} % \
             (minimum over {rounds} rounds; medians {b_med:.0} vs {r_med:.0} ns → {:+.1} %); goal ≤ +5 %",
            100.0 * (r_min / b_min - 1.0),
            100.0 * (r_med / b_med - 1.0),
        );
    };
    println!(
        "load_overhead: {rounds} interleaved rounds of {n} requests, orchestrator mix, one closed-loop worker; \
         recorded = latency histograms + per-operation figures + 1 s timeline + 10 Hz resource sampler"
    );
    line("measured, wall-clock time", &wall);
    if cpu.is_empty() {
        println!("load_overhead: process CPU time not available on this platform");
    } else {
        line("measured, process CPU time, sampler thread included", &cpu);
    }
    gen_cost.sort_by(f64::total_cmp);
    // Two clock reads per request (send, answer) are the floor of any latency measurement.
    let reads = 1_000_000u32;
    let t = Instant::now();
    for _ in 0..reads {
        std::hint::black_box(Instant::now());
    }
    let clock_ns = t.elapsed().as_secs_f64() * 1e9 / f64::from(reads);
    println!(
        "load_overhead (measured): the generator's own cost per request against a target that answers at once: \
         {:.0} ns (minimum), {:.0} ns (median); of it, the two clock reads take 2 × {clock_ns:.0} ns on this machine",
        gen_cost[0],
        gen_cost[gen_cost.len() / 2]
    );
}

fn per_request(d: Duration, n: u64) -> f64 {
    d.as_secs_f64() * 1e9 / n as f64
}
