//! Command-line interface (clap derive). Keep flags stable: CI scripts depend on them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Benchmarks you can trust on a noisy CI machine.
///
/// Exit codes: 0 = success; 1 = the check failed (a metric graded critical); 2 = error (bad
/// arguments, missing or corrupt files, invalid configuration — the message names the path).
#[derive(Debug, Parser)]
#[command(name = "noisegate", version, about, long_about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the performance targets in effect, validating noisegate.toml.
    ///
    /// Reads --config, else $NOISEGATE_CONFIG, else the nearest noisegate.toml from the current
    /// directory up, else the built-in defaults (Caxton, MEZAN and ollama-distributed tables).
    ///
    /// Example: noisegate targets --metrics
    Targets {
        /// Configuration file to read (an error if it does not exist).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Also list every metric key that targets can be set on.
        #[arg(long)]
        metrics: bool,
    },
    /// Grade SystemMetrics results (metrics.json) against the targets.
    ///
    /// Prints one ✓/✗ line per target and a verdict per file. Exits 1 if any metric is critical.
    ///
    /// Example: noisegate grade target/noisegate/overhead/**/new/metrics.json --set caxton
    Grade {
        /// metrics.json files written under target/noisegate/.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Configuration file to read (default: discovered as for `targets`).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Only grade against these target sets (repeatable), e.g. --set caxton.
        #[arg(long = "set", value_name = "NAME")]
        sets: Vec<String>,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
