//! The run history: every reported run appended to a local store, and trends across runs with
//! change-point detection ([`trend`], [`changepoint`]).
//!
//! # Store: one JSON Lines file
//!
//! `target/noisegate/history.jsonl` (override: [`History::at`], `$NOISEGATE_HISTORY`, the CLI's
//! `--history FILE`) holds one [`Record`] per line: the run's time, git commit and dirtiness,
//! the machine [`Fingerprint`], the scenario and baseline names, and every gradeable metric the
//! run measured (`{"latency_p99_ms": 4.2, …}`; unmeasured metrics are absent, never zero). Each
//! record carries `format` and `schema_version`, so a line from another layout is recognised and
//! skipped rather than misread.
//!
//! Why JSON Lines and not SQLite: the store is written once per run and read whole by
//! `noisegate trend` — a few hundred to a few thousand small records — so it needs no index or
//! query engine. An append-only text file needs no new dependency (SQLite would add a C
//! library compiled by `cc` to every build of this 2-core machine and of CI), stays readable and
//! `grep`-able, diffs and merges as text, and its failure modes are simple: an append is one
//! `write(2)` of a whole line with `O_APPEND` under an exclusive `flock`, followed by
//! `fdatasync`, so concurrent appenders never interleave and a crash can cut at most the last
//! line short. Reading is tolerant: a line that does not decode (truncated by a crash, garbage,
//! another layout) is skipped with a [`HistoryWarning`] naming the file and line number, and the
//! file is never rewritten — nothing already stored can be lost by reading or appending. An
//! append after a truncated last line first writes the missing newline, so the new record starts
//! on a line of its own and the damaged line stays damaged alone.

pub mod changepoint;
mod render;
#[cfg(test)]
mod tests;
pub mod trend;

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

pub use changepoint::{ChangePoint, ChangePointConfig};
pub use render::{TREND_FORMAT, render as render_trend};
pub use trend::{Step, TrendOptions, TrendPoint, TrendReport, TrendSeries};

use crate::baseline::Fingerprint;
use crate::metrics::{ClockKind, Metric, SystemMetrics};
use crate::results::ResultsDir;

/// File name of the history inside the results directory.
pub const HISTORY_FILE: &str = "history.jsonl";
/// Environment variable naming another history file.
pub const HISTORY_ENV: &str = "NOISEGATE_HISTORY";
/// The `format` field of every record.
pub const HISTORY_FORMAT: &str = "noisegate-history";
/// Version of the record layout written by this build.
pub const HISTORY_SCHEMA: u32 = 1;

/// The history could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// A filesystem operation failed.
    #[error("cannot {action} history file {path}: {source} (choose a writable location, e.g. with ${HISTORY_ENV})")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file (or its directory).
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// There is no history file yet.
    #[error(
        "no run history at {path}: `noisegate report` appends every run it reports (scenarios can call bench_core::history::append); point ${HISTORY_ENV} at another file to read that"
    )]
    NotFound {
        /// The file looked for.
        path: PathBuf,
    },
}

/// One run in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Always [`HISTORY_FORMAT`].
    pub format: String,
    /// [`HISTORY_SCHEMA`] when written by this build.
    pub schema_version: u32,
    /// When the record was appended (RFC 3339 UTC).
    pub recorded_at: String,
    /// When the run ended (its `RunContext::timestamp`).
    pub run_at: String,
    /// Scenario name.
    pub scenario: String,
    /// Baseline directory the run was saved under (`new` for the latest run).
    pub baseline: String,
    /// `git rev-parse HEAD` of the measured tree, when known.
    pub git_commit: Option<String>,
    /// Whether that tree had uncommitted changes, when known.
    pub git_dirty: Option<bool>,
    /// The machine and compiler of the run.
    pub fingerprint: Fingerprint,
    /// Wall-clock or simulated time.
    pub clock: ClockKind,
    /// Length of the measured phase, seconds.
    pub duration_s: f64,
    /// Every catalogue metric the run measured, by key, in the metric's unit.
    pub metrics: BTreeMap<String, f64>,
}

impl Record {
    /// The record of a run saved under `baseline`. The fingerprint is the run's own machine and
    /// compiler (from its context), not the machine that appends.
    pub fn from_metrics(m: &SystemMetrics, baseline: &str) -> Record {
        let c = &m.context;
        Record {
            format: HISTORY_FORMAT.to_owned(),
            schema_version: HISTORY_SCHEMA,
            recorded_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            run_at: c.timestamp.clone(),
            scenario: m.name.clone(),
            baseline: baseline.to_owned(),
            git_commit: c.git_commit.clone(),
            git_dirty: c.git_dirty,
            fingerprint: Fingerprint {
                cpu_model: c.host.cpu_model.clone(),
                logical_cpus: c.host.logical_cpus,
                os: c.host.os.clone(),
                arch: c.host.arch.clone(),
                rustc: c.rustc.clone(),
            },
            clock: c.clock,
            duration_s: c.duration_s,
            metrics: Metric::ALL
                .iter()
                .filter_map(|&k| m.value(k).filter(|v| v.is_finite()).map(|v| (k.key().to_owned(), v)))
                .collect(),
        }
    }

    /// The value of `metric`, if the run measured it.
    pub fn value(&self, metric: Metric) -> Option<f64> {
        self.metrics.get(metric.key()).copied()
    }

    /// Whether `other` records the same run (appending a report twice must not count it twice).
    pub fn same_run(&self, other: &Record) -> bool {
        self.scenario == other.scenario
            && self.baseline == other.baseline
            && self.run_at == other.run_at
            && self.git_commit == other.git_commit
            && self.metrics == other.metrics
    }
}

/// A line of the history that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryWarning {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for HistoryWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: skipped a history record that cannot be read ({}); the file is left as it is",
            self.path.display(),
            self.line,
            self.reason
        )
    }
}

/// The readable records of a history file and the lines that were skipped.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Loaded {
    /// `(1-based line number, record)` in file order — the order runs were appended.
    pub records: Vec<(usize, Record)>,
    /// One per skipped line.
    pub warnings: Vec<HistoryWarning>,
}

/// Whether [`History::append_new`] wrote anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// The record was appended.
    Added,
    /// The same run was already in the history; nothing was written.
    AlreadyThere,
}

/// A history file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    path: PathBuf,
}

impl History {
    /// The history at `path`.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        History { path: path.into() }
    }

    /// `$NOISEGATE_HISTORY` if set, else `history.jsonl` in the results directory
    /// ([`ResultsDir::locate`]: `target/noisegate/`).
    pub fn locate() -> Self {
        match std::env::var_os(HISTORY_ENV) {
            Some(p) if !p.is_empty() => Self::at(p),
            _ => Self::at(ResultsDir::locate().root().join(HISTORY_FILE)),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, action: &'static str) -> impl FnOnce(std::io::Error) -> HistoryError + '_ {
        move |source| HistoryError::Io { action, path: self.path.clone(), source }
    }

    /// Appends `record` (see the module docs for the durability guarantees).
    pub fn append(&self, record: &Record) -> Result<(), HistoryError> {
        self.append_with(record, false).map(|_| ())
    }

    /// Appends `record` unless the same run ([`Record::same_run`]) is already stored; returns the
    /// readable-line warnings seen while checking.
    pub fn append_new(&self, record: &Record) -> Result<(Appended, Vec<HistoryWarning>), HistoryError> {
        self.append_with(record, true)
    }

    fn append_with(&self, record: &Record, dedup: bool) -> Result<(Appended, Vec<HistoryWarning>), HistoryError> {
        let mut line = serde_json::to_vec(record).expect("a history record serialises");
        line.push(b'\n');
        let parent = self.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|source| HistoryError::Io {
            action: "create the directory of",
            path: self.path.clone(),
            source,
        })?;
        let existed = self.path.exists();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(self.io("open"))?;
        let _lock = Lock::exclusive(&file).map_err(self.io("lock"))?;
        let mut warnings = Vec::new();
        let mut bytes = Vec::new();
        (&file).seek(SeekFrom::Start(0)).map_err(self.io("read"))?;
        (&file).read_to_end(&mut bytes).map_err(self.io("read"))?;
        if dedup {
            let loaded = parse(&self.path, &bytes);
            warnings = loaded.warnings;
            if loaded.records.iter().any(|(_, r)| r.same_run(record)) {
                return Ok((Appended::AlreadyThere, warnings));
            }
        }
        // A last line cut short by a crash gets its newline first, so this record stands alone.
        if bytes.last().is_some_and(|&b| b != b'\n') {
            line.insert(0, b'\n');
        }
        // One write of the whole line: with O_APPEND it lands at the end, after any other writer's.
        (&file).write_all(&line).map_err(self.io("append to"))?;
        file.sync_data().map_err(self.io("flush"))?;
        if !existed && let Ok(dir) = std::fs::File::open(parent) {
            let _ = dir.sync_all();
        }
        Ok((Appended::Added, warnings))
    }

    /// Reads every readable record; unreadable lines become warnings. A missing file is
    /// [`HistoryError::NotFound`].
    pub fn load(&self) -> Result<Loaded, HistoryError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(HistoryError::NotFound { path: self.path.clone() });
            }
            Err(source) => return Err(HistoryError::Io { action: "read", path: self.path.clone(), source }),
        };
        Ok(parse(&self.path, &bytes))
    }
}

/// Decodes a history file's bytes line by line.
fn parse(path: &Path, bytes: &[u8]) -> Loaded {
    let mut out = Loaded::default();
    let complete = bytes.last().is_none_or(|&b| b == b'\n');
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let last = lines.len().saturating_sub(if complete { 2 } else { 1 });
    for (i, raw) in lines.iter().enumerate() {
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let warn = |reason: String| HistoryWarning { path: path.into(), line: i + 1, reason };
        let truncated = !complete && i == last;
        let value: serde_json::Value = match serde_json::from_slice(raw) {
            Ok(v) => v,
            Err(e) if truncated => {
                out.warnings.push(warn(format!("the last line is cut short, as by a crash during an append: {e}")));
                continue;
            }
            Err(e) => {
                out.warnings.push(warn(format!("not JSON: {e}")));
                continue;
            }
        };
        let format = value.get("format").and_then(serde_json::Value::as_str);
        let version = value.get("schema_version").and_then(serde_json::Value::as_u64);
        if format != Some(HISTORY_FORMAT) || version != Some(u64::from(HISTORY_SCHEMA)) {
            out.warnings.push(warn(format!(
                "not a {HISTORY_FORMAT} record of schema_version {HISTORY_SCHEMA} (format {}, schema_version {}): written by another noisegate?",
                format.unwrap_or("missing"),
                version.map_or_else(|| "missing".to_owned(), |v| v.to_string())
            )));
            continue;
        }
        match serde_json::from_value::<Record>(value) {
            Ok(r) => out.records.push((i + 1, r)),
            Err(e) => out.warnings.push(warn(format!("not a valid record: {e}"))),
        }
    }
    out
}

/// Appends a scenario's run to the default history ([`History::locate`]), unless it is already
/// there. The baseline name is read from the process's arguments as criterion reads them
/// (`--save-baseline NAME`, else `new`), so a scenario bench target can call this right after
/// writing its `metrics.json`. Returns the file written.
pub fn append(m: &SystemMetrics) -> Result<PathBuf, HistoryError> {
    append_run(m, &crate::results::baseline_from_args(std::env::args()))
}

/// [`append`] with an explicit baseline name.
pub fn append_run(m: &SystemMetrics, baseline: &str) -> Result<PathBuf, HistoryError> {
    let h = History::locate();
    h.append_new(&Record::from_metrics(m, baseline))?;
    Ok(h.path.clone())
}

/// An exclusive advisory lock on a file, released on drop (unix `flock`; elsewhere a no-op:
/// appends there rely on `O_APPEND` alone).
struct Lock<'f> {
    #[cfg_attr(not(unix), allow(dead_code))]
    file: &'f std::fs::File,
}

impl<'f> Lock<'f> {
    fn exclusive(file: &'f std::fs::File) -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: flock on a descriptor this process owns for the lifetime of `file`.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(Lock { file })
    }
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: as above; unlocking cannot fail in a way that matters (close unlocks too).
            unsafe {
                libc::flock(self.file.as_raw_fd(), libc::LOCK_UN);
            }
        }
    }
}
