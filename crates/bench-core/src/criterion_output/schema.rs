//! criterion's JSON files, field for field, as criterion 0.3.3 – 0.8.x write them.
//!
//! These are on-disk types only: the reader turns them into [`BenchRun`](super::BenchRun), and
//! baseline files embed them so they can be written back byte for byte. Field order matches
//! criterion's structs, because criterion writes with `serde_json::to_string` and a baseline
//! import must reproduce its files exactly (checked against the fixtures).
//!
//! Sources (criterion 0.8.2, identical in 0.5.1, 0.6.0, 0.7.0 except where noted):
//! - `benchmark.json` — `report.rs` `BenchmarkId`; `throughput` is `lib.rs` `Throughput`:
//!   `Bytes`, `BytesDecimal`, `Elements` in 0.5 and 0.6, plus `Bits` since 0.7.0 and
//!   `ElementsAndBytes { elements, bytes }` since 0.8.0.
//! - `estimates.json` — `estimate.rs` `Estimates`; `slope` is `null` in flat sampling mode.
//! - `sample.json` — `lib.rs` `SavedSample` with `ActualSamplingMode` (`Linear` or `Flat`; the
//!   user-facing `Auto` is resolved before saving and never written).
//! - `tukey.json` — the four Tukey fences, `analysis/mod.rs` (`labeled_sample.fences()`).
//!
//! serde_json writes a non-finite `f64` as `null`, so every float here reads `null` back as NaN
//! (and writes NaN as `null` again) instead of rejecting the file.

use serde::{Deserialize, Deserializer, Serialize};

/// `benchmark.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BenchmarkFile {
    pub group_id: String,
    pub function_id: Option<String>,
    pub value_str: Option<String>,
    pub throughput: Option<ThroughputFile>,
    // Always written by criterion; an absent one is recomputed by the reader.
    #[serde(default)]
    pub full_id: String,
    #[serde(default)]
    pub directory_name: String,
    #[serde(default)]
    pub title: String,
}

/// criterion's `Throughput`, externally tagged: `{"Bytes":1024}`,
/// `{"ElementsAndBytes":{"elements":16,"bytes":256}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ThroughputFile {
    Bits(u64),
    Bytes(u64),
    BytesDecimal(u64),
    Elements(u64),
    ElementsAndBytes { elements: u64, bytes: u64 },
}

/// `estimates.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EstimatesFile {
    pub mean: EstimateFile,
    pub median: EstimateFile,
    pub median_abs_dev: EstimateFile,
    pub slope: Option<EstimateFile>,
    pub std_dev: EstimateFile,
}

/// One estimate of `estimates.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EstimateFile {
    pub confidence_interval: ConfidenceIntervalFile,
    #[serde(deserialize_with = "f64_or_nan")]
    pub point_estimate: f64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub standard_error: f64,
}

/// The confidence interval of an estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ConfidenceIntervalFile {
    #[serde(deserialize_with = "f64_or_nan")]
    pub confidence_level: f64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub lower_bound: f64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub upper_bound: f64,
}

/// `sample.json`: iteration counts and total measured time (or other measurement) per sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SampleFile {
    pub sampling_mode: SamplingModeFile,
    #[serde(deserialize_with = "vec_f64_or_nan")]
    pub iters: Vec<f64>,
    #[serde(deserialize_with = "vec_f64_or_nan")]
    pub times: Vec<f64>,
}

/// criterion's `ActualSamplingMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum SamplingModeFile {
    Linear,
    Flat,
}

/// `tukey.json`: low severe, low mild, high mild, high severe fences.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct TukeyFile(#[serde(deserialize_with = "array4_f64_or_nan")] pub [f64; 4]);

impl SampleFile {
    /// Why this sample cannot be used, if it cannot: the two lists differ in length or are
    /// empty, or an entry is not a finite positive number (criterion writes NaN as `null`), or
    /// the totals overflow. A negative or NaN time would otherwise turn into a confident
    /// verdict, so every entry is checked; the message names the list, the index and the value.
    pub(crate) fn problem(&self) -> Option<String> {
        if self.iters.len() != self.times.len() {
            return Some(format!("`iters` has {} entries but `times` has {}", self.iters.len(), self.times.len()));
        }
        if self.iters.is_empty() {
            return Some("the sample is empty (no `iters`/`times` entries)".into());
        }
        for (list, values, what) in
            [("iters", &self.iters, "iteration counts"), ("times", &self.times, "measured values")]
        {
            if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v > 0.0)) {
                let shown = if v.is_nan() { "null (not a number)".to_owned() } else { v.to_string() };
                return Some(format!("`{list}[{i}]` is {shown}, but {what} must be finite and positive"));
            }
        }
        for (list, values) in [("iters", &self.iters), ("times", &self.times)] {
            if !values.iter().sum::<f64>().is_finite() {
                return Some(format!("the `{list}` entries add up to more than a 64-bit float holds"));
            }
        }
        None
    }
}

fn f64_or_nan<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

fn vec_f64_or_nan<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Ok(Vec::<Option<f64>>::deserialize(d)?.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
}

fn array4_f64_or_nan<'de, D: Deserializer<'de>>(d: D) -> Result<[f64; 4], D::Error> {
    Ok(<[Option<f64>; 4]>::deserialize(d)?.map(|x| x.unwrap_or(f64::NAN)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Verbatim criterion 0.8.2 output (see tests/fixtures/criterion).
    const BENCH: &str = r#"{"group_id":"tp","function_id":"elements_and_bytes","value_str":"16","throughput":{"ElementsAndBytes":{"elements":16,"bytes":256}},"full_id":"tp/elements_and_bytes/16","directory_name":"tp/elements_and_bytes/16","title":"tp/elements_and_bytes/16"}"#;
    const SAMPLE: &str = r#"{"sampling_mode":"Flat","iters":[72.0,72.0],"times":[19739095.0,19990646.0]}"#;

    #[test]
    fn writes_back_what_criterion_wrote() {
        let b: BenchmarkFile = serde_json::from_str(BENCH).unwrap();
        assert_eq!(b.throughput, Some(ThroughputFile::ElementsAndBytes { elements: 16, bytes: 256 }));
        assert_eq!(serde_json::to_string(&b).unwrap(), BENCH);
        let s: SampleFile = serde_json::from_str(SAMPLE).unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), SAMPLE);
    }

    #[test]
    fn null_floats_read_as_nan_and_write_back_as_null() {
        let text = r#"{"sampling_mode":"Linear","iters":[1.0,2.0],"times":[null,4.0]}"#;
        let s: SampleFile = serde_json::from_str(text).unwrap();
        assert!(s.times[0].is_nan());
        assert_eq!(serde_json::to_string(&s).unwrap(), text);
        let t: TukeyFile = serde_json::from_str("[1.0,null,3.0,4.5]").unwrap();
        assert!(t.0[1].is_nan());
        assert_eq!(serde_json::to_string(&t).unwrap(), "[1.0,null,3.0,4.5]");
    }

    #[test]
    fn optional_fields_may_be_absent() {
        let b: BenchmarkFile = serde_json::from_str(r#"{"group_id":"g"}"#).unwrap();
        assert_eq!((b.function_id, b.value_str, b.throughput, b.full_id), (None, None, None, String::new()));
        let e = r#"{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1}"#;
        let text = format!(r#"{{"mean":{e},"median":{e},"median_abs_dev":{e},"std_dev":{e}}}"#);
        let est: EstimatesFile = serde_json::from_str(&text).unwrap();
        assert_eq!(est.slope, None);
    }

    #[test]
    fn sample_problems() {
        let s = |iters: Vec<f64>, times: Vec<f64>| SampleFile { sampling_mode: SamplingModeFile::Linear, iters, times };
        assert_eq!(s(vec![1.0], vec![2.0]).problem(), None);
        assert!(s(vec![1.0], vec![]).problem().unwrap().contains("`iters` has 1 entries but `times` has 0"));
        assert!(s(vec![], vec![]).problem().unwrap().contains("empty"));
    }
}
