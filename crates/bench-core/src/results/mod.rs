//! Results on disk: JSON files under `target/noisegate/`, always written atomically.
//!
//! Layout (mirrors criterion's `target/criterion/<group>/<function>/<value>/<baseline>/`):
//!
//! ```text
//! target/noisegate/
//!   <suite>/<benchmark id …>/<baseline>/metrics.json     SystemMetrics (schema_version inside)
//!   <suite>/<benchmark id …>/<baseline>/timeline.json   per-interval series (metrics::Timeline), where recorded
//! ```
//!
//! `<baseline>` is `new` for the latest run, or the name given to `--save-baseline`. The root is
//! `$NOISEGATE_DIR` if set, else `<cargo target dir>/noisegate`, where the target dir is
//! `$CARGO_TARGET_DIR` or found from the running executable (cargo marks it with
//! `CACHEDIR.TAG`), else `./target`.
//!
//! Atomicity: each file is written to a temporary file in the same directory, flushed to disk,
//! then renamed over the destination. A crash or an error mid-write leaves the previous file
//! intact and at most a stray `.tmp*` file, never a truncated result.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::metrics::{SCHEMA_VERSION, SystemMetrics};

/// A results file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// A filesystem operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done ("create directory", "write", "read", …).
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file was written by a noisegate with a different results layout.
    #[error(
        "{path} has schema_version {found}; this noisegate reads version {supported} (re-run the benchmark, or use a matching noisegate)"
    )]
    Schema {
        /// The file.
        path: PathBuf,
        /// Version in the file (0 when absent).
        found: u64,
        /// Version this build reads.
        supported: u32,
    },
    /// The file is not the JSON expected.
    #[error(
        "{path} is not a valid noisegate results file: {source}; re-run the benchmark that wrote it (or delete the file if it is left over)"
    )]
    Json {
        /// The file.
        path: PathBuf,
        /// The decoder's message (with line and column).
        source: serde_json::Error,
    },
}

/// Name of the baseline directory holding the latest run.
pub const LATEST: &str = "new";

/// The root of noisegate's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsDir {
    root: PathBuf,
}

impl ResultsDir {
    /// A results tree rooted at `root` (used by tests and by `--results-dir`).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        ResultsDir { root: root.into() }
    }

    /// The default root for this process (see the module docs for the search order).
    pub fn locate() -> Self {
        if let Some(dir) = std::env::var_os("NOISEGATE_DIR") {
            return Self::at(dir);
        }
        if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
            return Self::at(PathBuf::from(dir).join("noisegate"));
        }
        let from_exe = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.ancestors().skip(1).find(|d| d.join("CACHEDIR.TAG").is_file()).map(Path::to_path_buf));
        Self::at(from_exe.unwrap_or_else(|| PathBuf::from("target")).join("noisegate"))
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Directory of one benchmark's results for a baseline: `<root>/<id segments>/<baseline>`.
    /// Each `/`-separated segment of `id` is made filesystem-safe as criterion does.
    pub fn bench_dir(&self, id: &str, baseline: &str) -> PathBuf {
        let mut p = self.root.clone();
        for seg in id.split('/').filter(|s| !s.is_empty()) {
            p.push(sanitize(seg));
        }
        p.push(sanitize(baseline));
        p
    }

    /// Writes `value` as pretty JSON to `<bench_dir>/<file>` atomically and returns the path.
    pub fn write<T: Serialize>(
        &self,
        id: &str,
        baseline: &str,
        file: &str,
        value: &T,
    ) -> Result<PathBuf, ResultsError> {
        let path = self.bench_dir(id, baseline).join(file);
        write_json_atomic(&path, value)?;
        Ok(path)
    }
}

/// The baseline directory a bench run writes to, from criterion's own arguments:
/// `--save-baseline NAME` (or `-s NAME`, `--save-baseline=NAME`) → `NAME`, otherwise [`LATEST`].
/// `--baseline NAME` compares against NAME without replacing it, so it writes to [`LATEST`].
pub fn baseline_from_args(args: impl IntoIterator<Item = String>) -> String {
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        if let Some(v) = a.strip_prefix("--save-baseline=") {
            return v.to_owned();
        }
        if (a == "--save-baseline" || a == "-s")
            && let Some(v) = args.next()
        {
            return v;
        }
    }
    LATEST.to_owned()
}

/// Replaces characters that are unsafe in file names with `_` (criterion's rule, plus `..`).
pub(crate) fn sanitize(segment: &str) -> String {
    let s: String = segment
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '=') { c } else { '_' })
        .collect();
    if s == "." || s == ".." { s.replace('.', "_") } else { s }
}

/// Serialises `value` and writes it to `path` atomically (temp file + fsync + rename).
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), ResultsError> {
    let mut bytes =
        serde_json::to_vec_pretty(value).map_err(|source| ResultsError::Json { path: path.into(), source })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Writes `bytes` to `path` atomically, creating parent directories.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ResultsError> {
    fn io<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> ResultsError + 'p {
        move |source| ResultsError::Io { action, path: path.into(), source }
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io("create directory", parent))?;
    // Temporary files are created 0600; results are ordinary files others may read.
    #[cfg(unix)]
    let perms = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(0o644)
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp");
    #[cfg(unix)]
    builder.permissions(perms);
    let mut tmp = builder.tempfile_in(parent).map_err(io("create a temporary file in", parent))?;
    tmp.write_all(bytes).map_err(io("write", tmp.path()))?;
    tmp.as_file().sync_all().map_err(io("flush", tmp.path()))?;
    tmp.persist(path).map_err(|e| ResultsError::Io { action: "replace", path: path.into(), source: e.error })?;
    // Make the rename itself durable; failure here cannot corrupt the file, so it is ignored.
    if let Ok(dir) = std::fs::File::open(parent) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Reads and decodes a JSON results file.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, ResultsError> {
    let bytes = std::fs::read(path).map_err(|source| ResultsError::Io { action: "read", path: path.into(), source })?;
    serde_json::from_slice(&bytes).map_err(|source| ResultsError::Json { path: path.into(), source })
}

/// Reads a `metrics.json`, checking its schema version before decoding the rest.
pub fn read_system_metrics(path: &Path) -> Result<SystemMetrics, ResultsError> {
    let value: serde_json::Value = read_json(path)?;
    let found = value.get("schema_version").and_then(serde_json::Value::as_u64).unwrap_or(0);
    if found != u64::from(SCHEMA_VERSION) {
        return Err(ResultsError::Schema { path: path.into(), found, supported: SCHEMA_VERSION });
    }
    serde_json::from_value(value).map_err(|source| ResultsError::Json { path: path.into(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_mirrors_criterion_and_sanitizes() {
        let r = ResultsDir::at("/t/noisegate");
        assert_eq!(r.bench_dir("latency/req resp/50%", "new"), PathBuf::from("/t/noisegate/latency/req_resp/50_/new"));
        assert_eq!(r.bench_dir("a/../b", "main"), PathBuf::from("/t/noisegate/a/__/b/main"));
    }

    #[test]
    fn baseline_follows_criterion_flags() {
        let b = |a: &[&str]| baseline_from_args(a.iter().map(|s| s.to_string()));
        assert_eq!(b(&["bench", "--bench"]), "new");
        assert_eq!(b(&["bench", "--save-baseline", "main"]), "main");
        assert_eq!(b(&["bench", "-s", "pr"]), "pr");
        assert_eq!(b(&["bench", "--save-baseline=x"]), "x");
        assert_eq!(b(&["bench", "--baseline", "main"]), "new");
    }

    #[test]
    fn writes_atomically_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let r = ResultsDir::at(dir.path());
        let p = r.write("suite/x", LATEST, "metrics.json", &vec![1, 2, 3]).unwrap();
        assert_eq!(read_json::<Vec<i32>>(&p).unwrap(), vec![1, 2, 3]);
        // Overwrite replaces whole; no temp files are left behind.
        r.write("suite/x", LATEST, "metrics.json", &vec![4]).unwrap();
        assert_eq!(read_json::<Vec<i32>>(&p).unwrap(), vec![4]);
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("metrics.json")]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        write_json_atomic(&path, &"good").unwrap();
        // A value that cannot be serialised fails before anything touches the file.
        let bad = std::collections::HashMap::from([((1, 2), 3)]);
        let e = write_json_atomic(&path, &bad).unwrap_err();
        assert!(e.to_string().contains("m.json"), "{e}");
        assert_eq!(read_json::<String>(&path).unwrap(), "good");
    }

    #[test]
    fn unwritable_location_is_a_clear_error() {
        // A regular file where a directory must go fails for every user, root included.
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("blocker");
        std::fs::write(&blocker, "x").unwrap();
        let msg = write_atomic(&blocker.join("x.json"), b"{}").unwrap_err().to_string();
        assert!(msg.contains("cannot create directory") && msg.contains("blocker"), "{msg}");
    }

    #[test]
    fn metrics_round_trip_and_reject_other_schema_versions() {
        let dir = tempfile::tempdir().unwrap();
        let m = SystemMetrics::new(
            "s/x",
            crate::run_context!(std::time::Duration::from_secs(1), std::time::Duration::ZERO),
        );
        let p = ResultsDir::at(dir.path()).write("s/x", LATEST, "metrics.json", &m).unwrap();
        assert_eq!(read_system_metrics(&p).unwrap(), m);
        let mut v = serde_json::to_value(&m).unwrap();
        v["schema_version"] = 99.into();
        write_json_atomic(&p, &v).unwrap();
        let msg = read_system_metrics(&p).unwrap_err().to_string();
        assert!(msg.contains("schema_version 99") && msg.contains("metrics.json"), "{msg}");
        write_json_atomic(&p, &serde_json::json!({"schema_version": 1, "name": 3})).unwrap();
        let msg = read_system_metrics(&p).unwrap_err().to_string();
        assert!(msg.contains("not a valid noisegate results file"), "{msg}");
    }

    #[test]
    fn corrupt_json_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.json");
        std::fs::write(&p, "{\"a\": ").unwrap();
        let msg = read_json::<serde_json::Value>(&p).unwrap_err().to_string();
        assert!(msg.contains("bad.json") && msg.contains("line 1"), "{msg}");
    }
}
