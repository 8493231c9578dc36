//! Finding baseline directories and reading one into its files and a [`BenchRun`].

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::de::DeserializeOwned;

use super::schema::{BenchmarkFile, EstimatesFile, SampleFile, SamplingModeFile, ThroughputFile, TukeyFile};
use super::{BenchRun, CriterionError, FormatGeneration, SamplingMode, Throughput};

/// noisegate's own bookkeeping inside criterion's directory (imported baseline markers).
pub(crate) const NOISEGATE_DIR: &str = ".noisegate";

/// criterion's `MAX_TITLE_LEN` (`report.rs`), for recomputing an absent `title`.
const MAX_TITLE_LEN: usize = 100;

/// The files of one baseline directory, decoded and checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BaselineFiles {
    pub benchmark: BenchmarkFile,
    /// Absent in a directory criterion did not finish writing, or that a tool trimmed.
    pub estimates: Option<EstimatesFile>,
    pub sample: SampleFile,
    pub tukey: Option<TukeyFile>,
    /// mtime of `sample.json`.
    pub modified: SystemTime,
}

impl BaselineFiles {
    /// The analysis view of these files, read from baseline directory `dir`.
    pub(crate) fn to_run(&self, dir: PathBuf) -> BenchRun {
        let b = &self.benchmark;
        let per_iteration: Vec<f64> = self.sample.iters.iter().zip(&self.sample.times).map(|(n, t)| t / n).collect();
        BenchRun {
            id: b.full_id.clone(),
            group: b.group_id.clone(),
            function: b.function_id.clone(),
            value: b.value_str.clone(),
            throughput: b.throughput.map(|t| match t {
                ThroughputFile::Bits(n) => Throughput::Bits(n),
                ThroughputFile::Bytes(n) => Throughput::Bytes(n),
                ThroughputFile::BytesDecimal(n) => Throughput::BytesDecimal(n),
                ThroughputFile::Elements(n) => Throughput::Elements(n),
                ThroughputFile::ElementsAndBytes { elements, bytes } => {
                    Throughput::ElementsAndBytes { elements, bytes }
                }
            }),
            sampling: match self.sample.sampling_mode {
                SamplingModeFile::Linear => SamplingMode::Linear,
                SamplingModeFile::Flat => SamplingMode::Flat,
            },
            typical: median(&per_iteration),
            total_per_iteration: total_per_iteration(&self.sample.iters, &self.sample.times),
            per_iteration,
            estimates_median: self.estimates.as_ref().map(|e| e.median.point_estimate),
            format: FormatGeneration::SavedSample,
            dir,
            modified: self.modified,
        }
    }
}

/// Every directory below `root` that contains `benchmark.json`, sorted. Symbolic links are not
/// followed (a link back up would loop) and noisegate's own `.noisegate/` is skipped.
pub(crate) fn baseline_dirs(root: &Path) -> Result<Vec<PathBuf>, CriterionError> {
    let mut out = Vec::new();
    walk(root, &mut out)?;
    out.sort();
    Ok(out)
}

/// Baseline directories criterion began but did not finish: named `name`, without
/// `benchmark.json`, and either empty or holding another of criterion's files. (criterion
/// writes `benchmark.json` first, so such a directory is an interrupted run, not a benchmark
/// that was left out.)
pub(crate) fn partial_dirs(root: &Path, name: &str) -> Result<Vec<PathBuf>, CriterionError> {
    let mut out = Vec::new();
    // criterion's own `change/` and `report/` directories never hold a benchmark.json.
    if name == "change" || name == "report" {
        return Ok(out);
    }
    walk_partial(root, name, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk_partial(dir: &Path, name: &str, out: &mut Vec<PathBuf>) -> Result<(), CriterionError> {
    let unreadable = |source| CriterionError::Unreadable { path: dir.into(), source };
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        if !entry.file_type().map_err(unreadable)?.is_dir() || entry.file_name() == NOISEGATE_DIR {
            continue;
        }
        let path = entry.path();
        if entry.file_name() == name && !path.join("benchmark.json").is_file() {
            let files =
                std::fs::read_dir(&path).map_err(|source| CriterionError::Unreadable { path: path.clone(), source })?;
            let names: Vec<_> = files.flatten().map(|e| e.file_name()).collect();
            let criterion_file =
                names.iter().any(|n| ["sample.json", "estimates.json", "tukey.json"].iter().any(|f| n == f));
            if names.is_empty() || criterion_file {
                out.push(path.clone());
            }
        }
        walk_partial(&path, name, out)?;
    }
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CriterionError> {
    let unreadable = |source| CriterionError::Unreadable { path: dir.into(), source };
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let is_dir = entry.file_type().map_err(unreadable)?.is_dir();
        if !is_dir || entry.file_name() == NOISEGATE_DIR {
            continue;
        }
        let path = entry.path();
        if path.join("benchmark.json").is_file() {
            out.push(path.clone());
        }
        // A function may be named like a baseline (`g/new/1/new`), so baseline dirs are searched too.
        walk(&path, out)?;
    }
    Ok(())
}

/// Reads and checks baseline directory `dir` (of baseline `baseline`, below `root`).
pub(crate) fn read_files(root: &Path, dir: &Path, baseline: &str) -> Result<BaselineFiles, CriterionError> {
    let missing = |path: &Path| CriterionError::MissingFile { path: path.into(), baseline: baseline.into() };
    let bench_path = dir.join("benchmark.json");
    let mut benchmark: BenchmarkFile = decode(&bench_path, baseline)?.ok_or_else(|| missing(&bench_path))?;
    let bench_dir = dir.parent().and_then(|p| p.strip_prefix(root).ok()).unwrap_or(Path::new(""));
    fill_missing(&mut benchmark, bench_dir);

    let sample_path = dir.join("sample.json");
    let sample: SampleFile = decode(&sample_path, baseline)?.ok_or_else(|| missing(&sample_path))?;
    if let Some(problem) = sample.problem() {
        return Err(CriterionError::Schema { path: sample_path, baseline: baseline.into(), problem });
    }
    let modified = std::fs::metadata(&sample_path)
        .map_err(|source| CriterionError::Unreadable { path: sample_path.clone(), source })?
        .modified()
        .unwrap_or(SystemTime::UNIX_EPOCH);

    let estimates = decode(&dir.join("estimates.json"), baseline)?;
    let tukey = decode(&dir.join("tukey.json"), baseline)?;
    Ok(BaselineFiles { benchmark, estimates, sample, tukey, modified })
}

/// Fields criterion always writes but an edited file may lack, recomputed as criterion would
/// (`report.rs`, `BenchmarkId::new`); the directory name is the one actually found on disk.
fn fill_missing(b: &mut BenchmarkFile, bench_dir: &Path) {
    if b.full_id.is_empty() {
        b.full_id = [Some(&b.group_id), b.function_id.as_ref(), b.value_str.as_ref()]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("/");
    }
    if b.directory_name.is_empty() {
        let segments: Vec<String> =
            bench_dir.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        b.directory_name = segments.join("/");
    }
    if b.title.is_empty() {
        let mut end = b.full_id.len().min(MAX_TITLE_LEN);
        while !b.full_id.is_char_boundary(end) {
            end -= 1;
        }
        b.title = b.full_id[..end].to_owned();
        if b.title != b.full_id {
            b.title.push_str("...");
        }
    }
}

/// Decodes `path`; `Ok(None)` when it does not exist (the caller decides whether that is an error).
fn decode<T: DeserializeOwned>(path: &Path, baseline: &str) -> Result<Option<T>, CriterionError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(CriterionError::Unreadable { path: path.into(), source }),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|source| {
        // Valid JSON of the wrong shape is a format problem; anything else is damage.
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(value) => CriterionError::Schema {
                path: path.into(),
                baseline: baseline.into(),
                problem: describe(&value, &source),
            },
            Err(_) => CriterionError::Corrupt { path: path.into(), baseline: baseline.into(), source },
        }
    })
}

/// The decoder's complaint, plus a hint when the file is in criterion's pre-0.3.3 format.
fn describe(value: &serde_json::Value, err: &serde_json::Error) -> String {
    let legacy = match value {
        serde_json::Value::Array(a) => a.len() == 2 && a.iter().all(serde_json::Value::is_array),
        serde_json::Value::Object(m) => m.contains_key("Mean") || m.contains_key("Median"),
        _ => false,
    };
    if legacy {
        format!("{err}; this is the format of criterion older than 0.3.3, which noisegate does not read")
    } else {
        err.to_string()
    }
}

/// `Σ times / Σ iters`; NaN when it is not a finite positive-iteration ratio.
fn total_per_iteration(iters: &[f64], times: &[f64]) -> f64 {
    let n: f64 = iters.iter().sum();
    let t: f64 = times.iter().sum();
    if n > 0.0 && n.is_finite() && t.is_finite() { t / n } else { f64::NAN }
}

/// The median with criterion's interpolation (`stats/univariate/percentiles.rs`, `at(50)`); NaN
/// when empty or when any value is NaN.
pub(crate) fn median(values: &[f64]) -> f64 {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    // Odd length: the middle value. Even: halfway between the two middle ones.
    if v.len().is_multiple_of(2) { v[mid - 1] + (v[mid] - v[mid - 1]) * 0.5 } else { v[mid] }
}
