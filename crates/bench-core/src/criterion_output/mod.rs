//! Reading criterion's output directory (criterion 0.5 – 0.8).
//!
//! # Layout
//!
//! ```text
//! <criterion home>/<group>/<function>/<value>/<baseline>/benchmark.json   BenchmarkId
//!                                                       /estimates.json   Estimates
//!                                                       /sample.json      SavedSample (iters, times)
//!                                                       /tukey.json       outlier fences
//! <criterion home>/<group>/<function>/<value>/change/estimates.json       last comparison (skipped)
//! <criterion home>/<group>/<function>/<value>/report/                     HTML report (skipped)
//! ```
//!
//! `<function>` and `<value>` are absent when the benchmark id has none. Each segment is the id
//! part made filesystem-safe by criterion's `make_filename_safe` (`report.rs`: `?"/\*<>:|^`
//! become `_`, truncated to 64 bytes, lowercased on Windows), so the directory names are not the
//! id: the id is `full_id` inside `benchmark.json`. `<baseline>` is `new` for the latest run,
//! `base` for the run before it (criterion's default `--save-baseline base`), or the name given
//! to `--save-baseline NAME`; criterion writes `new` and then copies it to the saved name
//! (`analysis/mod.rs`, `copy_new_dir_to_base`). A baseline directory is any directory that
//! contains `benchmark.json`; `change/` and `report/` never do. The JSON formats are described in
//! the `schema` module.
//!
//! # Versions
//!
//! criterion 0.5.1, 0.6.0, 0.7.0 and 0.8.2 write the same files (`fs.rs`, `estimate.rs`,
//! `report.rs` `BenchmarkId` and `lib.rs` `SavedSample` are unchanged); the only difference is
//! the set of `Throughput` variants a newer version may write (`Bits` since 0.7, and
//! `ElementsAndBytes` since 0.8), which every variant of this reader accepts. The format
//! dates from criterion 0.3.3; older versions wrote `sample.json` as a bare `[iters, times]`
//! pair and `estimates.json` as a map keyed `"Mean"`, `"Median"`, …, which is reported as a
//! schema error. [`FormatGeneration`] records the generation of each run read, so a caller
//! can warn when two sides were written by incompatible criterion versions. cargo-criterion's
//! own `data/` tree (CBOR) is a different format and is not read.
//!
//! # Figures
//!
//! A run's per-iteration figures are `times[i] / iters[i]` for every sample, exactly as criterion
//! computes them (`analysis/mod.rs`, `avg_times`), and its typical value is their median,
//! recomputed here rather than taken from `estimates.json`. Zero, negative, NaN or infinite
//! figures (criterion stores a non-finite number as `null`) are kept as they are, not rejected:
//! deciding that such a benchmark cannot be judged is the gate's call, and it can say so per
//! benchmark instead of failing the whole read.

mod error;
mod reader;
pub(crate) mod schema;

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub use error::CriterionError;
pub(crate) use reader::{BaselineFiles, NOISEGATE_DIR};

/// The root of criterion's output (`target/criterion` by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionDir {
    root: PathBuf,
}

impl CriterionDir {
    /// criterion's output rooted at `path`.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        CriterionDir { root: path.into() }
    }

    /// Where criterion writes for this process, in criterion's own order of preference
    /// (`lib.rs`, `default_output_directory`): `explicit` if given, else `$CRITERION_HOME`, else
    /// `$CARGO_TARGET_DIR/criterion`, else the nearest `target/criterion` from the current
    /// directory upwards (criterion asks `cargo metadata` for the workspace target directory;
    /// searching upwards finds the same one from anywhere in the workspace), else
    /// `target/criterion`. Empty variables count as unset; relative paths are taken from the
    /// current directory.
    pub fn locate(explicit: Option<&Path>) -> Self {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let home = std::env::var_os("CRITERION_HOME");
        let target = std::env::var_os("CARGO_TARGET_DIR");
        Self::at(resolve_root(explicit, home.as_deref(), target.as_deref(), &cwd))
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every baseline name present under the root (`new`, `base` and saved names).
    pub fn baselines(&self) -> Result<BTreeSet<String>, CriterionError> {
        self.check_root()?;
        Ok(reader::baseline_dirs(&self.root)?.iter().filter_map(|d| baseline_name(d)).collect())
    }

    /// Every benchmark that has baseline `name`, sorted by id.
    ///
    /// Fails with [`CriterionError::UnknownBaseline`] (listing the names present) when no
    /// benchmark has it, [`CriterionError::MissingRoot`] when the root does not exist, and with
    /// the file's path when any file of the baseline is missing, unreadable, corrupt or not in
    /// criterion's format. `estimates.json` is optional here (see [`BenchRun::estimates_median`]).
    pub fn read_baseline(&self, name: &str) -> Result<Vec<BenchRun>, CriterionError> {
        Ok(self.read_baseline_files(name)?.into_iter().map(|(dir, files)| files.to_run(dir)).collect())
    }

    /// The raw files of every benchmark with baseline `name`, sorted by id.
    pub(crate) fn read_baseline_files(&self, name: &str) -> Result<Vec<(PathBuf, BaselineFiles)>, CriterionError> {
        self.check_root()?;
        let dirs = reader::baseline_dirs(&self.root)?;
        // A half-written baseline directory hides a benchmark's figures: the run was interrupted.
        if let Some(partial) = reader::partial_dirs(&self.root, name)?.first() {
            return Err(CriterionError::MissingFile { path: partial.join("benchmark.json"), baseline: name.into() });
        }
        let mine: Vec<&PathBuf> = dirs.iter().filter(|d| baseline_name(d).as_deref() == Some(name)).collect();
        if mine.is_empty() {
            let available: BTreeSet<String> = dirs.iter().filter_map(|d| baseline_name(d)).collect();
            return Err(CriterionError::UnknownBaseline {
                name: name.into(),
                root: self.root.clone(),
                available: available.into_iter().collect(),
            });
        }
        let mut out = Vec::with_capacity(mine.len());
        for dir in mine {
            out.push((dir.clone(), reader::read_files(&self.root, dir, name)?));
        }
        out.sort_by(|a, b| a.1.benchmark.full_id.cmp(&b.1.benchmark.full_id));
        if let Some(w) = out.windows(2).find(|w| w[0].1.benchmark.full_id == w[1].1.benchmark.full_id) {
            return Err(CriterionError::DuplicateId {
                id: w[0].1.benchmark.full_id.clone(),
                baseline: name.into(),
                first: w[0].0.clone(),
                second: w[1].0.clone(),
            });
        }
        Ok(out)
    }

    fn check_root(&self) -> Result<(), CriterionError> {
        if self.root.exists() { Ok(()) } else { Err(CriterionError::MissingRoot { root: self.root.clone() }) }
    }
}

fn baseline_name(dir: &Path) -> Option<String> {
    dir.file_name().map(|n| n.to_string_lossy().into_owned())
}

/// [`CriterionDir::locate`]'s rule as a pure function of the environment, for testing.
pub(crate) fn resolve_root(
    explicit: Option<&Path>,
    criterion_home: Option<&OsStr>,
    cargo_target_dir: Option<&OsStr>,
    cwd: &Path,
) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.into();
    }
    if let Some(home) = criterion_home.filter(|h| !h.is_empty()) {
        return home.into();
    }
    if let Some(target) = cargo_target_dir.filter(|t| !t.is_empty()) {
        return PathBuf::from(target).join("criterion");
    }
    cwd.ancestors()
        .map(|d| d.join("target").join("criterion"))
        .find(|d| d.is_dir())
        .unwrap_or_else(|| PathBuf::from("target").join("criterion"))
}

/// One benchmark's samples under one baseline: what the gate judges.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRun {
    /// criterion's full id, e.g. `route_1to1/orchestrator/256`.
    pub id: String,
    /// The benchmark group (or the function name of `bench_function` outside a group).
    pub group: String,
    /// The function within the group, if any.
    pub function: Option<String>,
    /// The parameter, if any.
    pub value: Option<String>,
    /// The throughput per iteration, if the benchmark declared one.
    pub throughput: Option<Throughput>,
    /// How iteration counts were chosen.
    pub sampling: SamplingMode,
    /// `times[i] / iters[i]` for every sample, in criterion's unit (nanoseconds for wall time).
    /// Zero, negative and non-finite figures are kept; see the module docs.
    pub per_iteration: Vec<f64>,
    /// The median of `per_iteration` (criterion's "median" estimate), recomputed; NaN when any
    /// figure is NaN.
    pub typical: f64,
    /// Total time over total iterations of all samples (`Σ times / Σ iters`): the figure of a
    /// run that shared its CPU (the gate's `Figure::TotalOverIterations`); NaN
    /// when there are no iterations or a figure is not finite.
    pub total_per_iteration: f64,
    /// The median point estimate from `estimates.json`, when that file is present (for
    /// cross-checking `typical`).
    pub estimates_median: Option<f64>,
    /// The on-disk format generation the files match.
    pub format: FormatGeneration,
    /// The baseline directory read.
    pub dir: PathBuf,
    /// When `sample.json` was last written (to find the benchmarks a process just ran).
    pub modified: SystemTime,
}

/// criterion's `Throughput`: what one iteration processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throughput {
    /// Bytes, reported in binary multiples (KiB/s).
    Bytes(u64),
    /// Bytes, reported in decimal multiples (KB/s).
    BytesDecimal(u64),
    /// Elements (items, messages, …).
    Elements(u64),
    /// Bits (criterion 0.7 and later).
    Bits(u64),
    /// Elements and the bytes they occupy (criterion 0.8 and later).
    ElementsAndBytes {
        /// Elements per iteration.
        elements: u64,
        /// Bytes per iteration.
        bytes: u64,
    },
}

/// How criterion chose the iteration count of each sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplingMode {
    /// Iterations grow linearly across samples (1·d, 2·d, …); criterion fits a slope.
    Linear,
    /// Every sample has the same iteration count (slow benchmarks); there is no slope.
    Flat,
}

/// Which generation of criterion's on-disk format a run was read from.
///
/// criterion 0.3.3 through 0.8 share one format (see the module docs); a new variant is added
/// when a criterion release changes it, so two runs with different generations mean the sides
/// were written by incompatible criterion versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FormatGeneration {
    /// `sample.json` with `sampling_mode`, `estimates.json` as a struct with a nullable
    /// `slope`: criterion 0.3.3 – 0.8.
    SavedSample,
}

impl fmt::Display for FormatGeneration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatGeneration::SavedSample => f.write_str("criterion 0.3.3-0.8 (SavedSample)"),
        }
    }
}

#[cfg(test)]
mod tests;
