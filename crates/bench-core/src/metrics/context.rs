//! The run context: where, when, with what and for how long a figure was measured.

use std::process::Command;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// Whether durations in a result are real elapsed time or a simulation's virtual clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// Measured with the machine's monotonic clock.
    #[default]
    WallClock,
    /// Advanced by the simulation (e.g. tokio's paused test clock); not comparable to wall time.
    Simulated,
}

/// The machine a figure came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    /// CPU model as the OS names it (`/proc/cpuinfo` "model name"), or "unknown".
    pub cpu_model: String,
    /// Logical CPUs available to the process.
    pub logical_cpus: usize,
    /// Operating system and version (`/etc/os-release` PRETTY_NAME, else the target OS).
    pub os: String,
    /// Kernel release (`uname -r`), when known.
    pub kernel: Option<String>,
    /// Hardware architecture.
    pub arch: String,
}

impl HostInfo {
    /// Reads this machine's description.
    pub fn detect() -> Self {
        HostInfo {
            cpu_model: cpu_model().unwrap_or_else(|| "unknown".into()),
            logical_cpus: crate::resource::logical_cpus(),
            os: os_name(),
            kernel: kernel_release(),
            arch: std::env::consts::ARCH.into(),
        }
    }
}

/// Everything a reader needs to judge where a result came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunContext {
    /// Length of the measured phase, seconds.
    pub duration_s: f64,
    /// Length of the warm-up excluded from the figures, seconds.
    pub warmup_s: f64,
    /// Wall-clock or simulated time.
    pub clock: ClockKind,
    /// The machine.
    pub host: HostInfo,
    /// The compiler that built the measuring code.
    pub rustc: String,
    /// Package under measurement and its version.
    pub crate_name: String,
    /// Version of that package.
    pub crate_version: String,
    /// `git rev-parse HEAD` of the working directory, when it is a git checkout.
    pub git_commit: Option<String>,
    /// Whether the working tree had uncommitted changes (None when not a git checkout).
    pub git_dirty: Option<bool>,
    /// When the run ended, RFC 3339 UTC.
    pub timestamp: String,
}

impl RunContext {
    /// Detects the host, compiler, git state and time for a run of `crate_name` `crate_version`.
    /// Prefer the [`run_context!`](crate::run_context) macro, which fills in the caller's crate.
    pub fn detect(crate_name: &str, crate_version: &str, duration: Duration, warmup: Duration) -> Self {
        let (git_commit, git_dirty) = git_state();
        RunContext {
            duration_s: duration.as_secs_f64(),
            warmup_s: warmup.as_secs_f64(),
            clock: ClockKind::WallClock,
            host: HostInfo::detect(),
            rustc: env!("NOISEGATE_RUSTC_VERSION").into(),
            crate_name: crate_name.into(),
            crate_version: crate_version.into(),
            git_commit,
            git_dirty,
            timestamp: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        }
    }
}

/// [`RunContext::detect`] for the calling crate: `run_context!(duration, warmup)`.
#[macro_export]
macro_rules! run_context {
    ($duration:expr, $warmup:expr) => {
        $crate::metrics::RunContext::detect(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"), $duration, $warmup)
    };
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    parse_cpu_model(&info)
}

pub(crate) fn parse_cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            matches!(k.trim(), "model name" | "Model" | "cpu model").then(|| v.trim().to_owned())
        })
        .filter(|s| !s.is_empty())
}

fn os_name() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| parse_os_release(&s))
        .unwrap_or_else(|| std::env::consts::OS.into())
}

pub(crate) fn parse_os_release(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
}

fn kernel_release() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_owned())
}

fn git_state() -> (Option<String>, Option<bool>) {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
    };
    match git(&["rev-parse", "HEAD"]) {
        Some(commit) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.trim().is_empty());
            (Some(commit.trim().to_owned()), dirty)
        }
        // CI systems that build from an exported tree still say which commit it was.
        None => (std::env::var("GITHUB_SHA").ok(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_model_and_os() {
        let info = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(parse_cpu_model(info).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(parse_cpu_model("processor: 0\n"), None);
        let rel = "NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(parse_os_release(rel).as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
    }

    #[test]
    fn detects_a_complete_context() {
        let c = run_context!(Duration::from_secs(2), Duration::from_millis(500));
        assert_eq!(c.crate_name, "bench-core");
        assert_eq!(c.duration_s, 2.0);
        assert_eq!(c.warmup_s, 0.5);
        assert!(c.rustc.starts_with("rustc "), "{}", c.rustc);
        assert!(c.host.logical_cpus >= 1);
        assert!(c.timestamp.ends_with('Z'), "{}", c.timestamp);
    }
}
