//! `--through-ab N`: the accuracy of the shipped `noisegate ab`, end to end.
//!
//! Clones the repository's committed HEAD into `target/noisegate/gate_accuracy/through_ab/`,
//! builds `noisegate` there, calibrates with `noisegate calibrate` (duets, 20 runs) on the
//! `accuracy_kernels` target of `bench-core`, then runs `noisegate ab --base HEAD` N times for
//! each variant, the variants interleaved: the head is the clone's working tree with
//! `EXTRA_PCT` set to 0 (A/A), 2, 5 or 10 % more work units, the base the committed 0 %. Every
//! `ab` is a whole CI run (build both sides, list, duets, extra rounds for suspects, verdict);
//! its JSON is kept beside the report. Builds go to a target directory kept between runs, so
//! only the first run compiles the dependencies.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use bench_core::results::{ResultsDir, write_atomic};

const VARIANTS: [(&str, u64); 4] = [("A/A (0 %)", 0), ("+2 %", 2), ("+5 %", 5), ("+10 %", 10)];
const KERNEL_FILE: &str = "crates/bench-core/benches/accuracy_kernels.rs";
const COMMITTED: &str = "const EXTRA_PCT: u64 = 0;";

fn run_ok(cmd: &mut Command, what: &str) -> anyhow::Result<std::process::Output> {
    let out = cmd.output().with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        bail!("{what} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    }
    Ok(out)
}

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let n: usize = args
        .iter()
        .position(|a| a == "--through-ab")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .context("--through-ab needs the number of `ab` runs per variant, e.g. --through-ab 5")?;
    let out_dir = ResultsDir::locate().root().join("gate_accuracy").join("through_ab");
    let clone = out_dir.join("clone");
    let target = out_dir.join("target");
    let repo =
        String::from_utf8(run_ok(Command::new("git").args(["rev-parse", "--show-toplevel"]), "git rev-parse")?.stdout)?
            .trim()
            .to_owned();
    if clone.exists() {
        std::fs::remove_dir_all(&clone).with_context(|| format!("cannot clear {}", clone.display()))?;
    }
    std::fs::create_dir_all(&out_dir)?;
    run_ok(Command::new("git").args(["clone", "--quiet", &repo]).arg(&clone), "git clone")?;
    let kernel_file = clone.join(KERNEL_FILE);
    let source =
        std::fs::read_to_string(&kernel_file).with_context(|| format!("cannot read {}", kernel_file.display()))?;
    if !source.contains(COMMITTED) {
        bail!("{} does not contain `{COMMITTED}`; the experiment edits that line", kernel_file.display());
    }

    eprintln!("gate_accuracy: building noisegate in {}", clone.display());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run_ok(
        Command::new(&cargo)
            .args(["build", "--release", "--locked", "--bin", "noisegate"])
            .current_dir(&clone)
            .env("CARGO_TARGET_DIR", &target),
        "cargo build --bin noisegate",
    )?;
    let noisegate = target.join("release").join("noisegate");
    let ng = |args: &[&str]| {
        let mut c = Command::new(&noisegate);
        c.args(args).current_dir(&clone).env("CARGO_TARGET_DIR", &target);
        c
    };
    let kernels = ["-p", "bench-core", "--bench", "accuracy_kernels"];

    let started = Instant::now();
    let out = run_ok(
        &mut ng(&[&["calibrate", "--mode", "duet", "--runs", "20"], &kernels[..]].concat()),
        "noisegate calibrate",
    )?;
    let calibration = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("{calibration}gate_accuracy: calibrated in {:.0} s", started.elapsed().as_secs_f64());

    // (variant, kernel) → verdict counts and rounds used; per variant the seconds of each `ab`.
    let mut verdicts: BTreeMap<(&str, String), BTreeMap<String, usize>> = BTreeMap::new();
    let mut rounds: BTreeMap<(&str, String), Vec<f64>> = BTreeMap::new();
    let mut seconds: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for i in 1..=n {
        for (label, pct) in VARIANTS {
            std::fs::write(&kernel_file, source.replace(COMMITTED, &format!("const EXTRA_PCT: u64 = {pct};")))?;
            let json = out_dir.join(format!("ab-{pct}pct-{i}.json"));
            let t = Instant::now();
            let out = ng(&[
                &["ab", "--base", "HEAD", "--format", "json", "--output"],
                &[json.to_str().context("path")?][..],
                &kernels[..],
            ]
            .concat())
            .output()
            .context("cannot run noisegate ab")?;
            std::fs::write(&kernel_file, &source)?;
            if !matches!(out.status.code(), Some(0 | 1)) {
                bail!("noisegate ab ({label}) failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
            }
            seconds.entry(label).or_default().push(t.elapsed().as_secs_f64());
            let v: serde_json::Value = bench_core::results::read_json(&json)?;
            for row in v["benchmarks"].as_array().context("no benchmarks in the JSON")? {
                let id = row["id"].as_str().unwrap_or("?").to_owned();
                let verdict = row["verdict"].as_str().unwrap_or("not judged").to_owned();
                *verdicts.entry((label, id.clone())).or_default().entry(verdict).or_default() += 1;
                rounds.entry((label, id)).or_default().push(row["head"]["rounds"].as_f64().unwrap_or(f64::NAN));
            }
            eprintln!("gate_accuracy: ab {i}/{n} {label}: {:.0} s", t.elapsed().as_secs_f64());
        }
    }
    let report = render(n, &calibration, &verdicts, &rounds, &seconds);
    print!("{report}");
    let path = out_dir.join("report.md");
    write_atomic(&path, report.as_bytes())?;
    eprintln!("gate_accuracy: wrote {}", path.display());
    Ok(())
}

type Counts<'a> = BTreeMap<(&'a str, String), BTreeMap<String, usize>>;

fn render(
    n: usize,
    calibration: &str,
    verdicts: &Counts<'_>,
    rounds: &BTreeMap<(&str, String), Vec<f64>>,
    seconds: &BTreeMap<&str, Vec<f64>>,
) -> String {
    let fp = bench_core::baseline::Fingerprint::detect();
    let mut o = format!(
        "Machine: {} ({} logical CPUs), {}, {}. {n} `noisegate ab` runs per variant (default settings: duets, 5 rounds, up to 20 for suspects, threshold 3 %, alpha 1 %), calibrated by `noisegate calibrate --mode duet --runs 20`.\n\n",
        fp.cpu_model, fp.logical_cpus, fp.os, fp.rustc
    );
    o.push_str("| kernel | true change | regressed | improved | unchanged | inconclusive | too noisy | rounds a side (mean) |\n|---|---|---|---|---|---|---|---|\n");
    let kernels: Vec<&String> = {
        let mut k: Vec<&String> = verdicts.keys().map(|(_, id)| id).collect();
        k.sort();
        k.dedup();
        k
    };
    for k in kernels {
        for (label, _) in VARIANTS {
            let Some(c) = verdicts.get(&(label, k.clone())) else { continue };
            let get = |v: &str| format!("{}/{n}", c.get(v).copied().unwrap_or(0));
            let r = &rounds[&(label, k.clone())];
            o.push_str(&format!(
                "| {k} | {label} | {} | {} | {} | {} | {} | {:.1} |\n",
                get("regressed"),
                get("improved"),
                get("unchanged"),
                get("inconclusive"),
                get("too_noisy"),
                r.iter().sum::<f64>() / r.len() as f64
            ));
        }
    }
    o.push_str("\nWall-clock time of one `ab` (build of the changed head included):\n\n");
    for (label, s) in seconds {
        o.push_str(&format!("- {label}: {:.0} s mean\n", s.iter().sum::<f64>() / s.len() as f64));
    }
    o.push_str(&format!("\nCalibration:\n\n```\n{}```\n", calibration));
    o
}
