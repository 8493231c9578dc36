//! The benchmark suites, one folder per system under test, each generic over a trait so the same
//! benches measure a user's own system: [`orchestrator`] (throughput, latency, scalability,
//! memory), [`wasm`] (WASM agent hosts against native code, and the load scenarios against WASM
//! agents), and [`load`] (open-loop load scenarios against any agent system). This module holds
//! what they share: the runtime, [`RunOptions`] and the message builders.
//! The consensus suite is [`cluster`]: the Raft cluster's writes, reads and commit latency.

pub mod cluster;
pub mod load;
pub mod orchestrator;
pub mod wasm;

use std::time::Duration;

use bytes::Bytes;

use crate::orchestrator::{AclMessage, AgentId, ConversationId, Performative};

/// The runtime every suite runs on: multi-threaded, one worker per core, timers on.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(bench_core::resource::logical_cpus().max(1))
        .enable_time()
        .thread_name("suite-worker")
        .build()
        .expect("building the tokio runtime for the suite")
}

/// Options read from the bench binary's command line (criterion's own flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// `--quick` was given: shorter open-loop runs.
    pub quick: bool,
    /// Criterion's positional name filter, if any (substring match).
    pub filter: Option<String>,
    /// `--save-baseline NAME` (or criterion's `new`): where results are written.
    pub baseline: String,
    /// Criterion is measuring (not `--list`, `--test` or `--profile-time`): the suites' own
    /// runs (open loop, footprint) happen only then.
    pub measuring: bool,
}

impl RunOptions {
    /// Reads criterion's flags from `args` (the first item is the program name).
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Self {
        let args: Vec<String> = args.into_iter().collect();
        let quick = args.iter().any(|a| a == "--quick");
        // Criterion's flags that take a value; the filter is the first free-standing word.
        const WITH_VALUE: &[&str] = &[
            "--save-baseline",
            "-s",
            "--baseline",
            "-b",
            "--baseline-lenient",
            "--load-baseline",
            "--color",
            "-c",
            "--sample-size",
            "--warm-up-time",
            "--measurement-time",
            "--nresamples",
            "--noise-threshold",
            "--confidence-level",
            "--significance-level",
            "--profile-time",
            "--plotting-backend",
            "--output-format",
            "--format",
        ];
        let mut filter = None;
        let mut i = 1;
        while i < args.len() {
            let a = &args[i];
            if WITH_VALUE.contains(&a.as_str()) {
                i += 2;
                continue;
            }
            if !a.starts_with('-') && filter.is_none() {
                filter = Some(a.clone());
            }
            i += 1;
        }
        let measuring = !args.iter().any(|a| matches!(a.as_str(), "--list" | "--test" | "--profile-time"));
        RunOptions { quick, filter, baseline: bench_core::results::baseline_from_args(args), measuring }
    }

    /// From this process's arguments; `noisegate ab`'s criterion phase
    /// ([`Phase`](bench_core::cargo_hook::Phase)) turns the suites' own runs off.
    pub fn from_env() -> Self {
        let mut opts = Self::from_args(std::env::args());
        opts.measuring &= bench_core::cargo_hook::Phase::current().runs_scenarios();
        opts
    }

    /// Whether a benchmark id passes the name filter.
    pub fn selects(&self, id: &str) -> bool {
        self.filter.as_deref().is_none_or(|f| id.contains(f))
    }

    /// `quick` or `full`, whichever applies.
    pub fn pick(&self, quick: Duration, full: Duration) -> Duration {
        if self.quick { quick } else { full }
    }
}

/// An `inform` message to `to` with `payload_len` bytes of content.
pub fn message(to: AgentId, payload: &Bytes) -> AclMessage {
    AclMessage::new(Performative::Inform, AgentId(0), to, ConversationId(0), payload.clone())
}

/// A payload of `len` bytes (a repeating pattern, so compression could not cheat).
pub fn payload(len: usize) -> Bytes {
    Bytes::from((0..len).map(|i| (i * 31 % 251) as u8).collect::<Vec<u8>>())
}

/// "256B", "4KiB", "32KiB".
pub fn size_label(bytes: usize) -> String {
    if bytes >= 1024 && bytes.is_multiple_of(1024) { format!("{}KiB", bytes / 1024) } else { format!("{bytes}B") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(args: &[&str]) -> RunOptions {
        RunOptions::from_args(std::iter::once("bench".to_owned()).chain(args.iter().map(|s| s.to_string())))
    }

    #[test]
    fn reads_criterion_flags() {
        let o = opts(&["--bench", "--quick", "--save-baseline", "main", "route"]);
        assert_eq!(
            o,
            RunOptions { quick: true, filter: Some("route".into()), baseline: "main".into(), measuring: true }
        );
        assert!(!opts(&["--bench", "--profile-time", "10"]).measuring);
        assert_eq!(opts(&["--bench", "--profile-time", "10"]).filter, None);
        assert!(!opts(&["--list"]).measuring);
        let o = opts(&["--bench", "--baseline", "main"]);
        assert_eq!(o.filter, None);
        assert!(!o.quick);
        assert!(o.selects("anything"));
        assert!(opts(&["--bench", "open_loop"]).selects("latency/open_loop/50pct"));
        assert!(!opts(&["--bench", "route"]).selects("latency/open_loop/50pct"));
    }

    #[test]
    fn labels_sizes() {
        assert_eq!(size_label(64), "64B");
        assert_eq!(size_label(32 * 1024), "32KiB");
        assert_eq!(payload(300).len(), 300);
    }
}
