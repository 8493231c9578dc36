//! `--probe`: is this machine's noise per process, or per CPU and time? Two probe processes
//! time the allocation kernel's hashing and the CPU kernel's multiply chain in 100 ms windows for
//! `PROBE_SECONDS`, first pinned to the *same* CPU (the scheduler interleaves them in
//! millisecond slices), then to *different* CPUs. It prints, per kernel and placement, the spread
//! of one probe's windows and the spread of the two probes' ratio, with their correlation. On the
//! development machine the hashing windows moved by ~25 % in both placements, but their ratio
//! moved 3.7 % on one CPU against 22.5 % across two (correlation 0.99 against 0.13): the slow
//! spells belong to a CPU, not to a process — what duet mode (`--duet`) exploits.

use std::collections::BTreeMap;
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::hint::black_box;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};

/// Environment variable that makes the executable a probe (value: seconds to run).
pub(crate) const PROBE: &str = "NOISEGATE_ACCURACY_PROBE";
const PROBE_SECONDS: u64 = 20;
const WINDOW: Duration = Duration::from_millis(100);

/// One probe process: prints `<window start, 100 ms units since the epoch> <hash µs> <chain µs>`
/// per window, each the median of one kernel's call times in that window.
pub(crate) fn probe(seconds: u64) {
    let start = Instant::now();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    while start.elapsed() < Duration::from_secs(seconds) {
        let slot = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() / WINDOW.as_millis());
        let (mut hash, mut chain) = (Vec::new(), Vec::new());
        let w = Instant::now();
        while w.elapsed() < WINDOW / 2 {
            let t = Instant::now();
            black_box(hashes(black_box(10)));
            hash.push(t.elapsed().as_secs_f64() * 1e6);
            let t = Instant::now();
            black_box(super::kernels::cpu(black_box(3_000)));
            chain.push(t.elapsed().as_secs_f64() * 1e6);
        }
        println!("{slot} {:.3} {:.3}", median(hash), median(chain));
    }
}

/// The allocation kernel's inner work without the allocation: 100 SipHash-1-3 hashes per unit.
fn hashes(units: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let b = BuildHasherDefault::<DefaultHasher>::default();
    let mut t = 0;
    for u in 0..units {
        for k in 0..100u64 {
            let mut h = b.build_hasher();
            h.write_u64(k ^ u);
            t ^= h.finish();
        }
    }
    t
}

type Windows = BTreeMap<u128, (f64, f64)>;

fn run_pair(cpus: [usize; 2]) -> anyhow::Result<[Windows; 2]> {
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let children: Vec<_> = cpus
        .iter()
        .map(|cpu| {
            Command::new(&exe)
                .env(PROBE, PROBE_SECONDS.to_string())
                .env(super::CPU, cpu.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .context("cannot start a probe")
        })
        .collect::<anyhow::Result<_>>()?;
    let mut out = Vec::new();
    for c in children {
        let o = c.wait_with_output().context("cannot wait for a probe")?;
        if !o.status.success() {
            bail!("a probe failed");
        }
        let mut w = Windows::new();
        for line in String::from_utf8_lossy(&o.stdout).lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if let [slot, h, c] = f.as_slice() {
                w.insert(slot.parse()?, (h.parse()?, c.parse()?));
            }
        }
        out.push(w);
    }
    let b = out.pop().expect("two probes");
    let a = out.pop().expect("two probes");
    Ok([a, b])
}

fn sd(v: &[f64]) -> f64 {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)).sqrt()
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (a.iter().sum::<f64>() / a.len() as f64, b.iter().sum::<f64>() / b.len() as f64);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    cov / (a.iter().map(|x| (x - ma).powi(2)).sum::<f64>() * b.iter().map(|y| (y - mb).powi(2)).sum::<f64>()).sqrt()
}

pub(crate) fn run() -> anyhow::Result<()> {
    let cpus = bench_core::resource::logical_cpus();
    let mut placements = vec![("same CPU", [0, 0])];
    if cpus > 1 {
        placements.push(("different CPUs", [0, 1]));
    }
    println!(
        "| kernel | placement | windows | sd of one probe's windows | sd of the two probes' ratio | correlation |\n|---|---|---|---|---|---|"
    );
    for (label, pair) in placements {
        let [a, b] = run_pair(pair)?;
        let common: Vec<u128> = a.keys().filter(|k| b.contains_key(k)).copied().collect();
        if common.len() < 10 {
            bail!("the probes shared only {} windows", common.len());
        }
        for (name, index) in [("hashing", 0), ("multiply chain", 1)] {
            let pick = |p: &(f64, f64)| if index == 0 { p.0 } else { p.1 };
            let xa: Vec<f64> = common.iter().map(|k| pick(&a[k]).ln()).collect();
            let xb: Vec<f64> = common.iter().map(|k| pick(&b[k]).ln()).collect();
            let ratio: Vec<f64> = xa.iter().zip(&xb).map(|(x, y)| x - y).collect();
            println!(
                "| {name} | {label} | {} | {:.1} % | {:.1} % | {:.2} |",
                common.len(),
                100.0 * sd(&xa),
                100.0 * sd(&ratio),
                correlation(&xa, &xb)
            );
        }
    }
    Ok(())
}
