//! Command-line interface (clap derive). Keep flags stable: CI scripts depend on them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Benchmarks you can trust on a noisy CI machine.
///
/// Exit codes (every command): 0 = success, no confident regression; 1 = the check failed (a
/// confident regression, or a metric graded critical); 2 = error, the run cannot be judged (bad
/// arguments, missing or corrupt files, unknown baseline — the message names the path and the fix).
///
/// Typical flows:
///   cargo bench -- --save-baseline main            # on main
///   cargo bench -- --baseline main                 # on a branch: criterion runs, then the gate
///   noisegate compare --base main                  # judge criterion's latest run against main
///   noisegate ab --base origin/main -- --quick     # interleaved A/B of two revisions (CI)
///   noisegate calibrate --runs 10                  # learn each benchmark's run-to-run noise
#[derive(Debug, Parser)]
#[command(name = "noisegate", version, about, long_about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
    /// Write a performance report of scenario runs: targets, throughput, latency, resources,
    /// errors, bottleneck recommendations, a baseline comparison and scaling curves.
    ///
    /// Reads each run's metrics.json and the timeline.json beside it (when the scenario recorded
    /// one). Sections follow the MEZAN guide's report: SUMMARY graded ✓/✗ against the targets;
    /// throughput average and peak; the latency distribution (min, p50, p75, p90, p95, p99,
    /// p99.9, max); CPU, memory, threads, I/O average and peak; errors by type with counts and
    /// percentages; RECOMMENDATIONS from rule-based bottleneck detection (CPU-bound, memory,
    /// memory growth, queueing, scheduler lag, error bursts, high latency, low throughput — each
    /// citing its evidence and threshold); COMPARISON WITH BASELINE in percent with better/worse
    /// per metric; scaling curves across runs whose names differ in one number (agents, rates).
    /// Values a run did not measure read "not measured", never 0. HTML is one self-contained file
    /// with SVG charts (throughput and latency over time, the percentile distribution, scaling)
    /// and no scripts or external assets. Each reported run is appended to the run history
    /// (target/noisegate/history.jsonl) that `noisegate trend` reads, once per run.
    ///
    /// Examples:
    ///   noisegate report                                   # every scenario's latest run
    ///   noisegate report --compare-to main                 # … each against its `main` run
    ///   noisegate report --format html --output report.html
    ///   noisegate report target/noisegate/load/sustained/new --format markdown
    ///   noisegate report --baseline main --no-history --format json
    ///
    /// Exit: 0 report written; 1 report written and a metric graded critical against a target;
    /// 2 error (missing or corrupt metrics.json or timeline.json, timeline of another
    /// schema_version, unknown --compare-to baseline, unwritable --output or history — the
    /// message names the file and the fix; an existing --output file is left untouched).
    #[command(verbatim_doc_comment)]
    Report {
        /// metrics.json files or directories holding one (default: every
        /// <results dir>/**/<BASELINE>/metrics.json).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Which saved runs to report when no PATH is given: `new` (the latest run of each
        /// scenario) or a name given to --save-baseline.
        #[arg(long, default_value = "new", value_name = "NAME")]
        baseline: String,
        /// Compare each run with the run saved beside it under this baseline name
        /// (<scenario dir>/NAME/metrics.json), metric by metric, in percent.
        #[arg(long, value_name = "NAME")]
        compare_to: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormatArg::Text)]
        format: ReportFormatArg,
        /// Write the report to FILE (atomically) instead of stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Configuration file with the targets (default: discovered as for `targets`).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Only grade against these target sets (repeatable), e.g. --set mezan.
        #[arg(long = "set", value_name = "NAME")]
        sets: Vec<String>,
        /// noisegate's results directory (default: $NOISEGATE_DIR, else target/noisegate).
        #[arg(long, value_name = "DIR")]
        results_dir: Option<PathBuf>,
        /// History file to append to (default: $NOISEGATE_HISTORY, else history.jsonl in the
        /// results directory).
        #[arg(long, value_name = "FILE", conflicts_with = "no_history")]
        history: Option<PathBuf>,
        /// Do not append the reported runs to the history.
        #[arg(long)]
        no_history: bool,
    },
    /// Show how metrics moved across runs in the history, and flag step changes.
    ///
    /// Reads the run history (one record per reported run, appended by `noisegate report`) and,
    /// per scenario and metric, draws the series (a sparkline in text, an SVG chart in HTML) and
    /// finds step changes with E-Divisive means (Matteson & James 2014, as MongoDB uses it on its
    /// CI history: Daly et al., ICPE 2020): a permutation test (fixed seed, so answers repeat) at
    /// --alpha, at least --min-segment runs on each side of a step, and a median shift of at least
    /// --min-shift percent, so run-to-run noise is not flagged. Unreadable history lines are
    /// skipped with a warning naming the line; the file is never rewritten.
    ///
    /// Examples:
    ///   noisegate trend
    ///   noisegate trend --scenario load/sustained --metric latency_p99_ms
    ///   noisegate trend --format html --output trends.html
    ///   noisegate trend --min-shift 10 --format json
    ///
    /// Exit: 0 no series' latest step is for the worse; 1 the latest step of some series is for
    /// the worse (its current level is worse than before) on the same machine — a step that
    /// coincides with a change of machine or compiler is reported but does not fail; 2 error
    /// (no history, nothing matches, bad settings).
    #[command(verbatim_doc_comment)]
    Trend {
        /// Only this scenario (repeatable; default: all).
        #[arg(long = "scenario", value_name = "NAME")]
        scenarios: Vec<String>,
        /// Only this metric key (repeatable; default: every metric measured; see `noisegate
        /// targets --metrics`).
        #[arg(long = "metric", value_name = "KEY")]
        metrics: Vec<String>,
        /// Only runs saved under this baseline name (default: all).
        #[arg(long, value_name = "NAME")]
        baseline: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormatArg::Text)]
        format: ReportFormatArg,
        /// Write the trends to FILE (atomically) instead of stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// History file to read (default: $NOISEGATE_HISTORY, else target/noisegate/history.jsonl).
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// Smallest step to flag: change of the median, percent of the level before.
        #[arg(long, default_value_t = 5.0, value_name = "PCT")]
        min_shift: f64,
        /// Fewest runs on each side of a step.
        #[arg(long, default_value_t = 3, value_name = "N")]
        min_segment: usize,
        /// Significance level of the permutation test.
        #[arg(long, default_value_t = 0.01, value_name = "P")]
        alpha: f64,
        /// Permutations per test (the smallest p-value is 1 / (N + 1)).
        #[arg(long, default_value_t = 199, value_name = "N")]
        permutations: usize,
        /// Seed of the permutations (default: a fixed seed).
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
    },
    /// Judge benchmark results of two sides (rounds of criterion baselines) for regressions.
    ///
    /// Each name is a criterion baseline (from `cargo bench -- --save-baseline NAME`) or a
    /// committed baseline file `baselines/NAME.json`; several comma-separated names on a side are
    /// rounds (separate runs), which is what lets the gate measure run-to-run noise. Head defaults
    /// to criterion's latest run (`new`). Noise learned by `noisegate calibrate --mode alternate`
    /// is picked up from the nearest `baselines/calibration.json` (with --figure total, that of
    /// `noisegate calibrate --mode duet`: `baselines/calibration-duet.json`). noisegate's own scenario results
    /// (target/noisegate/**/NAME/metrics.json) are judged too, each metric in its own direction.
    ///
    /// Examples:
    ///   noisegate compare --base main
    ///   noisegate compare --base b1,b2,b3 --head h1,h2,h3 --threshold 2
    ///   noisegate compare --base b1,b2,b3 --head h1,h2,h3 --paired
    ///   noisegate compare --base main --format markdown --output comment.md
    ///
    /// Exit: 0 no confident regression; 1 a confident regression; 2 error or unjudgeable rows.
    Compare {
        /// Base rounds: baseline names, comma-separated.
        #[arg(long, value_name = "NAME[,NAME…]", value_delimiter = ',', required = true)]
        base: Vec<String>,
        /// Head rounds (default: criterion's latest run, `new`).
        #[arg(long, value_name = "NAME[,NAME…]", value_delimiter = ',')]
        head: Vec<String>,
        /// The i-th base and i-th head round ran back to back (as `noisegate ab` runs them):
        /// judge per-pair differences, so drift shared by a pair cancels. Needs as many head
        /// as base names. A benchmark missing from some rounds is paired by round (the i-th
        /// names), not by position; with fewer than two rounds in common it is judged unpaired.
        #[arg(long)]
        paired: bool,
        /// The figure a criterion run is reduced to: its median time per iteration, or its
        /// total time over total iterations (for rounds `noisegate ab` ran as duets; such
        /// comparisons use the duet calibration, baselines/calibration-duet.json).
        #[arg(long, value_enum, default_value_t = FigureArg::Median)]
        figure: FigureArg,
        #[command(flatten)]
        locations: Locations,
        #[command(flatten)]
        gate: GateArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Measure each benchmark's run-to-run noise with A/A runs and store it for the gate.
    ///
    /// Builds the bench targets once, runs them --runs times (each run a separate process,
    /// saved as criterion baseline `noisegate-cal-<i>`), and writes the per-benchmark standard
    /// deviation across runs, and of the differences within pairs of runs (1–2, 3–4, …: what an
    /// `ab` pair sees), atomically. Pairs are run as `ab` runs them (--mode): as duets (the
    /// default where CPUs can be pinned; criterion benchmarks one at a time, both runs of a pair
    /// together on one CPU; written to baselines/calibration-duet.json) or back to back
    /// (--mode alternate; baselines/calibration.json). Prints the smallest change each
    /// benchmark can reliably show. Use --from to calibrate from runs you already saved
    /// (back-to-back) instead of running anything. Noise drifts over hours: calibrating from
    /// runs spread over time gives a more honest floor than one burst.
    ///
    /// Examples:
    ///   noisegate calibrate --runs 10 -- --quick
    ///   noisegate calibrate --mode alternate --bench throughput --runs 20
    ///   noisegate calibrate --from r1,r2,r3,r4,r5
    Calibrate {
        /// Number of A/A runs (at least 3; 10 or more recommended).
        #[arg(long, default_value_t = 10, value_name = "N")]
        runs: usize,
        /// Use these existing criterion baselines as the runs instead of running benches.
        #[arg(long, value_name = "NAME[,NAME…]", value_delimiter = ',', conflicts_with_all = ["runs", "mode"])]
        from: Vec<String>,
        /// How pairs of runs are made: `duet` or `alternate` (default: duet where processes can
        /// be pinned to a CPU, i.e. Linux; else alternate). Match the `ab --mode` you use.
        #[arg(long, value_enum, value_name = "MODE")]
        mode: Option<ModeArg>,
        /// Where to write the calibration (default: baselines/calibration.json in the workspace).
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        build: BuildArgs,
        #[command(flatten)]
        locations: Locations,
        #[command(flatten)]
        gate: GateArgs,
        /// Arguments for the bench executables (criterion flags and a name filter).
        #[arg(last = true, value_name = "BENCH_ARGS")]
        bench_args: Vec<String>,
    },
    /// A/B-test the working tree against a git revision with paired runs (the CI flow).
    ///
    /// Checks GIT_REV out into a git worktree, builds both trees' bench targets (sharing the
    /// target directory, so dependencies build once), then runs both sides --rounds times. Each
    /// round is saved as criterion baselines `ab-base-<i>` / `ab-head-<i>` under
    /// target/noisegate/ab/criterion, and round i of base and head are judged as a pair.
    ///
    /// --mode duet (the default on Linux): each criterion benchmark runs on its own, base and
    /// head at the same time pinned to the same CPU, one such duet per CPU at once, so a slow
    /// spell of a CPU (a busy neighbour on its physical core) slows both alike; figures are
    /// totals over iterations. The targets' other results (open-loop scenarios under
    /// target/noisegate) come from whole-machine runs of each side in ABBA order. Each side sees
    /// one CPU per criterion benchmark, so a multi-threaded benchmark's scaling is not compared.
    /// --mode alternate: whole runs of each side one after the other in ABBA order, so slow
    /// drift of the machine hits both equally (figures: medians).
    ///
    /// Benchmarks still inconclusive after --rounds get one batch of extra rounds, up to
    /// --max-rounds, and are then judged at alpha / 2.
    ///
    /// Examples:
    ///   noisegate ab --base origin/main -- --quick
    ///   noisegate ab --base HEAD~1 --bench throughput --rounds 6 -- route_1to1
    ///   noisegate ab --base origin/main --mode alternate --format markdown --output comment.md
    Ab {
        /// The base revision (branch, tag, commit).
        #[arg(long, value_name = "GIT_REV")]
        base: String,
        /// How the pairs of runs are made: `duet` or `alternate` (default: duet where processes
        /// can be pinned to a CPU, i.e. Linux; else alternate).
        #[arg(long, value_enum, value_name = "MODE")]
        mode: Option<ModeArg>,
        /// Rounds per side (at least 2).
        #[arg(long, default_value_t = 5, value_name = "N")]
        rounds: usize,
        /// Upper limit of rounds per side for benchmarks that stay inconclusive or too noisy
        /// (default: 4 × --rounds for duets, which rerun only those benchmarks; 2 × --rounds
        /// for alternate runs).
        #[arg(long, value_name = "N")]
        max_rounds: Option<usize>,
        #[command(flatten)]
        build: BuildArgs,
        #[command(flatten)]
        gate: GateArgs,
        #[command(flatten)]
        output: OutputArgs,
        /// Arguments for the bench executables (criterion flags and a name filter).
        #[arg(last = true, value_name = "BENCH_ARGS")]
        bench_args: Vec<String>,
    },
    /// Export a criterion baseline to a committed file, or import one back.
    #[command(subcommand)]
    Baseline(BaselineCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum BaselineCommand {
    /// Write criterion baseline NAME (and noisegate results saved under NAME) to
    /// baselines/NAME.json, with the machine fingerprint. Atomic: on any error the existing
    /// file is left as it was.
    ///
    /// Example: cargo bench -- --save-baseline main && noisegate baseline export main
    Export {
        /// Baseline name.
        name: String,
        /// Directory of committed baselines.
        #[arg(long, default_value = "baselines", value_name = "DIR")]
        dir: PathBuf,
        #[command(flatten)]
        locations: Locations,
    },
    /// Write baselines/NAME.json (or FILE) back into criterion's directory, so that
    /// `cargo bench -- --baseline NAME` and `noisegate compare --base NAME` use it.
    ///
    /// Example: noisegate baseline import main && cargo bench -- --baseline main
    Import {
        /// Baseline name (reads DIR/NAME.json) or a path to a baseline file.
        name: String,
        /// Import under another name.
        #[arg(long = "as", value_name = "NAME")]
        as_name: Option<String>,
        /// Directory of committed baselines.
        #[arg(long, default_value = "baselines", value_name = "DIR")]
        dir: PathBuf,
        #[command(flatten)]
        locations: Locations,
    },
}

/// Where results live.
#[derive(Debug, Clone, Args)]
pub(crate) struct Locations {
    /// criterion's output directory (default: $CRITERION_HOME, else the cargo target dir's
    /// `criterion`).
    #[arg(long, value_name = "DIR")]
    pub criterion_dir: Option<PathBuf>,
    /// noisegate's results directory (default: $NOISEGATE_DIR, else target/noisegate).
    #[arg(long, value_name = "DIR")]
    pub results_dir: Option<PathBuf>,
}

/// Settings of the gate's statistics.
#[derive(Debug, Clone, Args)]
pub(crate) struct GateArgs {
    /// Minimum effect in percent: smaller changes never fail the gate.
    #[arg(long, default_value_t = 3.0, value_name = "PCT")]
    pub threshold: f64,
    /// Test level and suite-wide false-discovery rate (intervals are at 1 − alpha).
    #[arg(long, default_value_t = 0.01, value_name = "P")]
    pub alpha: f64,
    /// Calibration file (default: the nearest baselines/calibration.json).
    #[arg(long, value_name = "FILE", conflicts_with = "no_calibration")]
    pub calibration: Option<PathBuf>,
    /// Ignore any stored calibration.
    #[arg(long)]
    pub no_calibration: bool,
}

/// Which bench targets to build and run.
#[derive(Debug, Clone, Args)]
pub(crate) struct BuildArgs {
    /// Only this bench target (repeatable; default: all bench targets).
    #[arg(long = "bench", value_name = "NAME")]
    pub benches: Vec<String>,
    /// Only this package of the workspace.
    #[arg(long, short = 'p', value_name = "SPEC")]
    pub package: Option<String>,
}

/// How results are printed.
#[derive(Debug, Clone, Args)]
pub(crate) struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
    /// Write the output to FILE (atomically) instead of stdout; the text table still goes to
    /// stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Colour the terminal table.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

/// How `ab` and `calibrate` make their pairs of runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ModeArg {
    /// Base and head of one benchmark at the same time on one CPU.
    Duet,
    /// Whole runs one after the other, in ABBA order.
    Alternate,
}

/// The figure a criterion run is reduced to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FigureArg {
    /// Median time per iteration.
    Median,
    /// Total time over total iterations (duets).
    Total,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    Text,
    Markdown,
    Json,
    Bmf,
    GithubBenchmark,
}

/// Formats of `report` and `trend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormatArg {
    Text,
    Markdown,
    Json,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorArg {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
