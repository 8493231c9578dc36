//! Building bench executables with cargo and running one round of them.
//!
//! Executables are run directly rather than through `cargo bench` so that every round of every
//! side costs the same (no cargo freshness checks in the timing window) and so that two source
//! trees can share one target directory: cargo keys artifacts by package path, so a worktree's
//! workspace crates get their own binaries while registry dependencies are built once.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::cli::BuildArgs;

/// A built bench target.
#[derive(Debug, Clone)]
pub(super) struct BenchExe {
    /// Target name (`--bench NAME`).
    pub name: String,
    /// The executable.
    pub path: PathBuf,
    /// Its package directory: cargo runs benches from there, and so do we.
    pub cwd: PathBuf,
}

/// The cargo workspace root containing `dir`.
pub(super) fn workspace_root(dir: &Path) -> anyhow::Result<PathBuf> {
    let out = Command::new(cargo())
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .current_dir(dir)
        .output()
        .context("cannot run cargo (is it on PATH?)")?;
    if !out.status.success() {
        bail!("{} is not inside a cargo project: {}", dir.display(), String::from_utf8_lossy(&out.stderr).trim());
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    Ok(manifest.parent().context("cargo printed a manifest path without a parent")?.to_path_buf())
}

/// The target directory cargo uses for the workspace at `root`.
pub(super) fn target_dir(root: &Path) -> anyhow::Result<PathBuf> {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR") {
        let d = PathBuf::from(d);
        return Ok(if d.is_absolute() { d } else { root.join(d) });
    }
    let out = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .context("cannot run `cargo metadata`")?;
    if !out.status.success() {
        bail!("`cargo metadata` failed in {}: {}", root.display(), String::from_utf8_lossy(&out.stderr).trim());
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).context("`cargo metadata` printed invalid JSON")?;
    Ok(PathBuf::from(v["target_directory"].as_str().context("`cargo metadata` gave no target_directory")?))
}

fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Builds the bench targets of the workspace at `tree` (release profile, as `cargo bench`
/// does) into `target_dir`, and returns their executables. Compiler output goes to stderr.
pub(super) fn build(tree: &Path, args: &BuildArgs, target_dir: &Path, what: &str) -> anyhow::Result<Vec<BenchExe>> {
    eprintln!("noisegate: building {what} bench targets in {}", tree.display());
    let mut cmd = Command::new(cargo());
    cmd.args(["bench", "--no-run", "--message-format=json-render-diagnostics"])
        .current_dir(tree)
        .env("CARGO_TARGET_DIR", target_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(p) = &args.package {
        cmd.args(["--package", p]);
    }
    for b in &args.benches {
        cmd.args(["--bench", b]);
    }
    let mut child = cmd.spawn().context("cannot run `cargo bench --no-run`")?;
    let stdout = child.stdout.take().context("no stdout from cargo")?;
    let mut exes = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("cannot read cargo's output")?;
        if let Some(exe) = parse_artifact(&line) {
            exes.push(exe);
        }
    }
    let status = child.wait().context("cargo did not finish")?;
    if !status.success() {
        bail!("building the {what} bench targets in {} failed (see the compiler output above)", tree.display());
    }
    if exes.is_empty() {
        bail!(
            "no bench targets were built in {} (does the package have [[bench]] targets? check --bench/--package)",
            tree.display()
        );
    }
    exes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(exes)
}

/// A bench executable from one line of cargo's JSON messages, if the line announces one.
pub(super) fn parse_artifact(line: &str) -> Option<BenchExe> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    if v["reason"] != "compiler-artifact" || !v["target"]["kind"].as_array()?.iter().any(|k| k == "bench") {
        return None;
    }
    let path = PathBuf::from(v["executable"].as_str()?);
    let cwd = Path::new(v["manifest_path"].as_str()?).parent()?.to_path_buf();
    Some(BenchExe { name: v["target"]["name"].as_str()?.to_owned(), path, cwd })
}

/// Criterion flags noisegate sets itself; users may not pass them through.
const RESERVED: &[&str] = &["--save-baseline", "-s", "--baseline", "-b", "--baseline-lenient", "--load-baseline"];

/// Rejects bench arguments that would fight the rounds noisegate saves.
pub(super) fn check_bench_args(args: &[String]) -> anyhow::Result<()> {
    if let Some(a) = args.iter().find(|a| RESERVED.iter().any(|r| a == r || a.starts_with(&format!("{r}=")))) {
        bail!(
            "bench argument `{a}` is set by noisegate for each round; remove it (rounds are saved as named baselines)"
        );
    }
    Ok(())
}

/// Criterion options that take a value (so the value is not a name filter).
pub(super) const WITH_VALUE: &[&str] = &[
    "--measurement-time",
    "--warm-up-time",
    "--sample-size",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--profile-time",
    "--output-format",
    "--plotting-backend",
    "--color",
    "-c",
    "--format",
];

/// Whether the bench arguments already contain a positional name filter.
pub(super) fn has_filter(args: &[String]) -> bool {
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if WITH_VALUE.contains(&a.as_str()) {
            i += 2;
            continue;
        }
        if !a.starts_with('-') {
            return true;
        }
        i += 1;
    }
    false
}

/// A criterion filter matching exactly these benchmark ids.
pub(super) fn exact_filter(ids: &[&str]) -> String {
    let escaped: Vec<String> = ids
        .iter()
        .map(|id| {
            id.chars().flat_map(|c| if "\\.+*?()|[]{}^$#&-~".contains(c) { vec!['\\', c] } else { vec![c] }).collect()
        })
        .collect();
    format!("^(?:{})$", escaped.join("|"))
}

/// Where a round's results go.
pub(super) struct RoundEnv {
    /// criterion's output directory (`CRITERION_HOME`).
    pub criterion_home: PathBuf,
    /// noisegate's results directory (`NOISEGATE_DIR`).
    pub results_home: PathBuf,
    /// Log file receiving every run's output.
    pub log: PathBuf,
    /// What the bench targets run (`NOISEGATE_PHASE`; `All` leaves it unset).
    pub phase: bench_core::cargo_hook::Phase,
}

/// Runs one bench executable once, saving its results as baseline `save_as`.
pub(super) fn run_round(exe: &BenchExe, args: &[String], save_as: &str, env: &RoundEnv) -> anyhow::Result<Duration> {
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&env.log)
        .with_context(|| format!("cannot open log file {}", env.log.display()))?;
    let start_len = log.seek(SeekFrom::End(0)).unwrap_or(0);
    use std::io::Write;
    writeln!(log, "\n### {} --bench {} --save-baseline {save_as}", exe.path.display(), args.join(" "))
        .with_context(|| format!("cannot write {}", env.log.display()))?;
    let started = Instant::now();
    let status = Command::new(&exe.path)
        .arg("--bench")
        .args(args)
        .args(["--save-baseline", save_as])
        .current_dir(&exe.cwd)
        .env("CRITERION_HOME", &env.criterion_home)
        .env("NOISEGATE_DIR", &env.results_home)
        .envs(env.phase.as_env().map(|p| (bench_core::cargo_hook::PHASE_ENV, p)))
        .stdout(log.try_clone().context("cannot share the log file")?)
        .stderr(log.try_clone().context("cannot share the log file")?)
        .status()
        .with_context(|| format!("cannot run {}", exe.path.display()))?;
    let took = started.elapsed();
    if !status.success() {
        bail!(
            "bench target `{}` failed ({status}) while saving `{save_as}`; its output:\n{}\n(full log: {})",
            exe.name,
            tail(&env.log, start_len),
            env.log.display()
        );
    }
    Ok(took)
}

/// The last lines written to `path` since byte `from`.
fn tail(path: &Path, from: u64) -> String {
    let mut s = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.seek(SeekFrom::Start(from));
        let _ = f.read_to_string(&mut s);
    }
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bench_artifacts_only() {
        let bench = r#"{"reason":"compiler-artifact","manifest_path":"/w/Cargo.toml","target":{"kind":["bench"],"name":"throughput"},"executable":"/w/target/release/deps/throughput-1"}"#;
        let lib = r#"{"reason":"compiler-artifact","manifest_path":"/w/Cargo.toml","target":{"kind":["lib"],"name":"x"},"executable":null}"#;
        let exe = parse_artifact(bench).unwrap();
        assert_eq!((exe.name.as_str(), exe.cwd.as_path()), ("throughput", Path::new("/w")));
        assert!(parse_artifact(lib).is_none());
        assert!(parse_artifact("Compiling foo").is_none());
    }

    #[test]
    fn filters_and_reserved_flags() {
        let a = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(!has_filter(&a(&["--quick", "--measurement-time", "2"])));
        assert!(has_filter(&a(&["--quick", "route_1to1"])));
        assert!(check_bench_args(&a(&["--quick"])).is_ok());
        let e = check_bench_args(&a(&["--save-baseline=x"])).unwrap_err().to_string();
        assert!(e.contains("--save-baseline=x") && e.contains("set by noisegate"), "{e}");
        assert_eq!(exact_filter(&["a/b.c", "x(1)"]), r"^(?:a/b\.c|x\(1\))$");
    }
}
