//! The decision: a pure function from two sides' rounds (plus calibrated noise) to rows.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Change, Judgement, NoiseEstimate, NoiseFloor, NoiseSource, Row, Series, SideSummary, Verdict};
use crate::metrics::Direction;
use crate::stats::{benjamini_hochberg, f_sf, mad_sd, mean, median, normal_quantile, sample_sd, t_cdf, t_quantile};

/// Between-run standard deviation assumed when it can be neither measured (one round per side)
/// nor looked up (no calibration): 2 %, the middle of what `docs/noise.md` reports on the
/// project's 2-core machine (CPU-bound 0.5 %, allocation-heavy 1 %, memory-bound 3 %).
/// Outputs label it "assumed"; `noisegate calibrate` replaces it with a measurement.
pub const ASSUMED_RUN_SD: f64 = 0.02;

/// A round further than this many robust standard deviations from its side's median is an
/// outlier run. Four keeps every round of a normal sample of ≤ 100 with probability > 99 %,
/// yet catches the 10–40 % excursions seen about once in thirty to sixty runs.
pub const OUTLIER_SDS: f64 = 4.0;

/// At most one round in this many is set aside as an outlier (see [`Side::new`]).
const MAX_OUTLIER_SHARE: usize = 5;

/// Outlier detection never uses a scale below 1 %: with three rounds, two nearly equal figures
/// would otherwise make an ordinary third one look wild.
const MIN_OUTLIER_SCALE: f64 = 0.01;

/// Settings of a judgement. Construct with [`GateConfig::new`], which checks the invariants.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GateConfig {
    /// Minimum effect, as a fraction (0.03 = 3 %); 0 < threshold < 1.
    pub threshold: f64,
    /// Two-sided test level and Benjamini–Hochberg false-discovery rate; intervals are at
    /// 1 − alpha. 0.001 ≤ alpha < 0.5 (smaller levels need quantiles beyond what is computed).
    pub alpha: f64,
    /// Probability with which a change of the noise floor's size is detected; alpha < power < 1.
    pub power: f64,
    /// Round `i` of base and round `i` of head ran back to back (as `noisegate ab` runs them):
    /// judge the per-pair differences, so drift that a pair shares cancels. Benchmarks whose
    /// sides have different round counts are judged unpaired.
    #[serde(default)]
    pub paired: bool,
}

impl Default for GateConfig {
    /// Threshold 3 %, alpha 1 %, power 95 %, unpaired.
    ///
    /// * 3 %: the smallest round figure that the CPU-bound and allocation-heavy benchmarks of
    ///   `docs/noise.md` (between-run sd 0.5 % and 1 %) resolve with five rounds a side (noise
    ///   floors ≈ 1.3 % and 2.7 %), while staying under the 5 % slowdowns users ask a gate to
    ///   catch. Smaller changes are within what unrelated code-layout shifts cause (Mytkowicz et
    ///   al., ASPLOS 2009), so failing a build for them would blame the wrong change.
    /// * alpha 1 %: the false-alarm goal is ≤ 1 % of A/A comparisons.
    /// * power 95 %: the detection goal for +5 % is ≥ 95 %.
    fn default() -> Self {
        GateConfig { threshold: 0.03, alpha: 0.01, power: 0.95, paired: false }
    }
}

/// A [`GateConfig`] value is out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field} = {value} is out of range: {expected}")]
pub struct ConfigError {
    /// The field.
    pub field: &'static str,
    /// The value given.
    pub value: f64,
    /// The allowed range, in words.
    pub expected: &'static str,
}

impl GateConfig {
    /// Checks 0 < threshold < 1, 0.001 ≤ alpha < 0.5 and alpha < power < 1 (unpaired; set
    /// [`GateConfig::paired`] after).
    pub fn new(threshold: f64, alpha: f64, power: f64) -> Result<Self, ConfigError> {
        let check = |field, value: f64, ok: bool, expected| {
            if ok { Ok(()) } else { Err(ConfigError { field, value, expected }) }
        };
        check("threshold", threshold, threshold > 0.0 && threshold < 1.0, "a fraction between 0 and 1 (0.03 = 3 %)")?;
        check("alpha", alpha, (0.001..0.5).contains(&alpha), "between 0.001 and 0.5 (e.g. 0.01)")?;
        check("power", power, power > alpha && power < 1.0, "between alpha and 1 (e.g. 0.95)")?;
        Ok(GateConfig { threshold, alpha, power, paired: false })
    }
}

/// Indexes of the outliers among `xs`: further than [`OUTLIER_SDS`] robust sds from the median.
///
/// Without a calibrated scale, the MAD of a handful of values is itself too noisy to call
/// anything an outlier; six values is the least where it is usable. An outlier is rare by
/// definition: more far-off values than one in five (at least one) are a second mode of the
/// benchmark — e.g. runs that land in a slow memory placement — which is noise the statistics
/// must see, not discard, so then none is set aside.
fn outliers(xs: &[f64], calibrated_scale: Option<f64>) -> Vec<usize> {
    far_off(xs, calibrated_scale).0
}

/// `(outliers, second mode)`: the far-off values, as outliers when rare, else as a second mode
/// (see [`outliers`]). At most one of the two is non-empty.
fn far_off(xs: &[f64], calibrated_scale: Option<f64>) -> (Vec<usize>, Vec<usize>) {
    if xs.len() < 6 && !(xs.len() >= 3 && calibrated_scale.is_some()) {
        return (Vec::new(), Vec::new());
    }
    let m = median(xs);
    let scale = mad_sd(xs).max(calibrated_scale.unwrap_or(0.0)).max(MIN_OUTLIER_SCALE);
    let far: Vec<usize> = (0..xs.len()).filter(|&i| (xs[i] - m).abs() > OUTLIER_SDS * scale).collect();
    if far.len() > (xs.len() / MAX_OUTLIER_SHARE).max(1) { (Vec::new(), far) } else { (far, Vec::new()) }
}

fn keep(xs: &[f64], set_aside: &[usize]) -> Vec<f64> {
    xs.iter().enumerate().filter(|(i, _)| !set_aside.contains(i)).map(|(_, x)| *x).collect()
}

fn sum_sq(xs: &[f64]) -> f64 {
    let m = mean(xs);
    xs.iter().map(|x| (x - m).powi(2)).sum()
}

/// A standard deviation with its degrees of freedom.
#[derive(Debug, Clone, Copy)]
struct Sd {
    sd: f64,
    df: f64,
}

/// The noise a test uses, from what this comparison measured and what calibration stored.
///
/// Calibration is a floor: rounds close in time share offsets, so a few rounds' spread alone
/// under-states the noise. A measured spread above it is pooled with it (more degrees of
/// freedom, hence a smaller t) unless an F test says today's runs are noisier than calibrated
/// (p < 5 %); then the measured spread is used alone.
fn noise_in_use(measured: Option<Sd>, calibrated: Option<Sd>) -> Option<(Sd, NoiseSource)> {
    Some(match (measured, calibrated) {
        (Some(m), Some(c)) if m.sd <= c.sd => (c, NoiseSource::Calibrated),
        (Some(m), Some(c)) if c.sd > 0.0 && f_sf((m.sd / c.sd).powi(2), m.df, c.df) >= 0.05 => {
            let df = m.df + c.df;
            let sd = ((m.df * m.sd.powi(2) + c.df * c.sd.powi(2)) / df).sqrt();
            (Sd { sd, df }, NoiseSource::Pooled)
        }
        (Some(m), _) => (m, NoiseSource::Measured),
        (None, Some(c)) => (c, NoiseSource::Calibrated),
        (None, None) => return None,
    })
}

/// The statistics of one benchmark before the suite-wide correction.
struct Tested {
    judgement: Judgement,
    /// Change of the cost (positive = worse), log scale.
    cost: f64,
    cost_lower: f64,
    cost_upper: f64,
    floor_log: f64,
}

/// The change on log scale, its standard error and what it rests on.
struct Estimate {
    d: f64,
    se: f64,
    /// Noise used, with its degrees of freedom, expressed per run (a pair's sd / √2).
    run: Sd,
    source: NoiseSource,
    base: SideSummary,
    head: SideSummary,
}

/// A side's summary; `second_mode` is looked for in the side's own rounds whatever was set aside.
fn summary(logs: &[f64], set_aside: Vec<usize>, calibrated_scale: Option<f64>) -> SideSummary {
    let second_mode = far_off(logs, calibrated_scale).1;
    SideSummary { rounds: logs.len(), typical: mean(&keep(logs, &set_aside)).exp(), outliers: set_aside, second_mode }
}

/// Unpaired: difference of the side means over the pooled within-side spread.
fn unpaired(b: &[f64], h: &[f64], noise: Option<&NoiseEstimate>) -> Estimate {
    let cal_sd = noise.map(|n| n.run_sd);
    let (b_out, h_out) = (outliers(b, cal_sd), outliers(h, cal_sd));
    let (bk, hk) = (keep(b, &b_out), keep(h, &h_out));
    let df = (bk.len() + hk.len()).saturating_sub(2) as f64;
    let measured = (df > 0.0).then(|| Sd { sd: ((sum_sq(&bk) + sum_sq(&hk)) / df).sqrt(), df });
    let calibrated = noise.map(|n| Sd { sd: n.run_sd, df: n.degrees_of_freedom() });
    let (run, source) = noise_in_use(measured, calibrated)
        .unwrap_or((Sd { sd: ASSUMED_RUN_SD, df: f64::INFINITY }, NoiseSource::Assumed));
    let se = run.sd * (1.0 / bk.len() as f64 + 1.0 / hk.len() as f64).sqrt();
    Estimate {
        d: mean(&hk) - mean(&bk),
        se,
        run,
        source,
        base: summary(b, b_out, cal_sd),
        head: summary(h, h_out, cal_sd),
    }
}

/// Share of pairs trimmed from each tail when the pair differences have a second mode.
const TRIM: f64 = 0.2;

/// Paired: the mean of the per-pair differences over their spread. An outlier pair is set aside
/// on both sides.
///
/// When more pairs are far off than outliers can be (a second mode, e.g. runs a neighbour slowed
/// by half), the mean would follow the mode and the spread would drown any change. Then the
/// estimate is Yuen's 20 %-trimmed mean of the differences with its winsorized standard error,
/// s_w / ((1 − 2γ)·√n) on n − 2g − 1 degrees of freedom (Yuen, Biometrika 1974; Wilcox,
/// "Introduction to Robust Estimation and Hypothesis Testing", ch. 5): the far-off pairs widen
/// the interval through the winsorized spread, but cannot drag the estimate.
fn paired(b: &[f64], h: &[f64], noise: Option<&NoiseEstimate>) -> Estimate {
    let diffs: Vec<f64> = b.iter().zip(h).map(|(b, h)| h - b).collect();
    let calibrated = noise.map(|n| {
        let (sd, df) = n.pair();
        Sd { sd, df }
    });
    let (out, mode) = far_off(&diffs, calibrated.map(|c| c.sd));
    let trim = !mode.is_empty() && diffs.len() >= 5;
    let (d, measured, n) = if trim {
        let (d, measured) = trimmed(&diffs);
        (d, Some(measured), diffs.len())
    } else {
        let kept = keep(&diffs, &out);
        let df = kept.len().saturating_sub(1) as f64;
        (mean(&kept), (df > 0.0).then(|| Sd { sd: (sum_sq(&kept) / df).sqrt(), df }), kept.len())
    };
    let (pair, source) = noise_in_use(measured, calibrated)
        .unwrap_or((Sd { sd: ASSUMED_RUN_SD * std::f64::consts::SQRT_2, df: f64::INFINITY }, NoiseSource::Assumed));
    let (mut base, mut head) =
        (summary(b, out.clone(), noise.map(|n| n.run_sd)), summary(h, out, noise.map(|n| n.run_sd)));
    if trim {
        // The mode is one of pairs: both sides name the same rounds.
        (base.second_mode, head.second_mode) = (mode.clone(), mode);
    }
    Estimate {
        d,
        se: pair.sd / (n as f64).sqrt(),
        run: Sd { sd: pair.sd / std::f64::consts::SQRT_2, df: pair.df },
        source,
        base,
        head,
    }
}

/// Yuen's trimmed mean of `xs` (at least 5) and its standard deviation for a standard error of
/// sd / √n: the winsorized sd over (1 − 2g/n), with n − 2g − 1 degrees of freedom.
fn trimmed(xs: &[f64]) -> (f64, Sd) {
    let n = xs.len();
    let g = ((TRIM * n as f64).floor() as usize).max(1);
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let t = mean(&v[g..n - g]);
    let (lo, hi) = (v[g], v[n - g - 1]);
    let w: Vec<f64> = v.iter().map(|x| x.clamp(lo, hi)).collect();
    let sw = sample_sd(&w).unwrap_or(0.0);
    (t, Sd { sd: sw / (1.0 - 2.0 * g as f64 / n as f64), df: (n - 2 * g - 1) as f64 })
}

/// How a paired judgement may pair two sides' rounds.
enum Pairing {
    /// Round i with round i (indices unknown, or the same rounds on both sides).
    AsIs,
    /// Only the rounds both sides have, each side's series cut to them.
    Aligned(Box<(Series, Series)>),
    /// Fewer than two rounds in common: judge unpaired.
    Unpairable,
}

/// Where both sides say which round each value came from and the sets differ (a benchmark
/// missing from some rounds), pairs only the rounds both have.
fn pairing(base: &Series, head: &Series) -> Pairing {
    let known = |s: &Series| !s.round_of.is_empty() && s.round_of.len() == s.rounds.len();
    if !known(base) || !known(head) || base.round_of == head.round_of {
        return Pairing::AsIs;
    }
    let common: Vec<usize> = base.round_of.iter().copied().filter(|r| head.round_of.contains(r)).collect();
    if common.len() < 2 {
        return Pairing::Unpairable;
    }
    let cut = |s: &Series| {
        let keep: Vec<usize> = (0..s.rounds.len()).filter(|&i| common.contains(&s.round_of[i])).collect();
        let pick =
            |v: &[f64]| if v.len() == s.rounds.len() { keep.iter().map(|&i| v[i]).collect() } else { Vec::new() };
        Series {
            rounds: pick(&s.rounds),
            within: pick(&s.within),
            round_of: keep.iter().map(|&i| s.round_of[i]).collect(),
            ..s.clone()
        }
    };
    Pairing::Aligned(Box::new((cut(base), cut(head))))
}

fn test_one(id: &str, base: &Series, head: &Series, noise: Option<&NoiseEstimate>, config: &GateConfig) -> Tested {
    let pairs = if config.paired { pairing(base, head) } else { Pairing::AsIs };
    let (base, head, pair) = match &pairs {
        Pairing::Aligned(pair) => (&pair.0, &pair.1, true),
        Pairing::AsIs => (base, head, config.paired),
        Pairing::Unpairable => (base, head, false),
    };
    let (b, h): (Vec<f64>, Vec<f64>) =
        (base.rounds.iter().map(|v| v.ln()).collect(), head.rounds.iter().map(|v| v.ln()).collect());
    let mut e = if pair && b.len() == h.len() { paired(&b, &h, noise) } else { unpaired(&b, &h, noise) };
    // A round cannot be more precise than the spread of its own samples says: when the runs'
    // within-run error exceeds the noise in use, it becomes the noise (same degrees of freedom).
    if let Some(w) = within_run_sd(base, head)
        && w > e.run.sd
    {
        e.se *= w / e.run.sd.max(f64::MIN_POSITIVE);
        if e.run.sd == 0.0 {
            e.se = w * (1.0 / b.len() as f64 + 1.0 / h.len() as f64).sqrt();
        }
        e.run.sd = w;
        e.source = NoiseSource::WithinRun;
    }
    let Estimate { d, se, run, source, .. } = e;
    let t_crit = t_quantile(1.0 - config.alpha / 2.0, run.df);
    let floor_log = (t_crit + normal_quantile(config.power)) * se;
    let p_value = if se > 0.0 {
        2.0 * (1.0 - t_cdf(d.abs() / se, run.df))
    } else if d == 0.0 {
        1.0 // identical deterministic figures (e.g. allocation counts): certainly no change
    } else {
        0.0 // deterministic figures that differ: certainly a change
    };

    let (lo, hi) = (d - t_crit * se, d + t_crit * se);
    let sign = match base.direction {
        Direction::Lower => 1.0,
        Direction::Higher => -1.0,
    };
    let (cost_lower, cost_upper) = if sign > 0.0 { (lo, hi) } else { (-hi, -lo) };
    let judgement = Judgement {
        id: id.to_owned(),
        unit: base.unit.clone(),
        direction: base.direction,
        base: e.base,
        head: e.head,
        change: Change { estimate: d.exp_m1(), lower: lo.exp_m1(), upper: hi.exp_m1(), confidence: 1.0 - config.alpha },
        noise: NoiseFloor { run_sd: run.sd, floor: floor_log.exp_m1(), source },
        p_value,
        significant: false,
        verdict: Verdict::Inconclusive,
    };
    Tested { judgement, cost: sign * d, cost_lower, cost_upper, floor_log }
}

/// Root mean square of the known within-run standard errors of both sides' rounds, if every
/// round of both sides has one.
fn within_run_sd(base: &Series, head: &Series) -> Option<f64> {
    let known = |s: &Series| s.within.len() == s.rounds.len() && s.within.iter().all(|w| *w > 0.0 && w.is_finite());
    if !(known(base) && known(head)) {
        return None;
    }
    let all: Vec<f64> = base.within.iter().chain(&head.within).map(|w| w * w).collect();
    Some(mean(&all).sqrt())
}

/// The verdict once the suite-wide correction has said whether the change is a discovery.
fn verdict(t: &Tested, significant: bool, config: &GateConfig) -> Verdict {
    // The threshold is a ratio, symmetric on the log scale: ×1.03 worse or ÷1.03 better (so a
    // throughput drop regresses from −2.9 %). Swapping the sides then exactly mirrors a verdict.
    let tau = config.threshold.ln_1p();
    if significant && t.cost > tau {
        Verdict::Regressed
    } else if significant && t.cost < -tau {
        Verdict::Improved
    } else if t.cost_lower > -tau && t.cost_upper < tau {
        Verdict::Unchanged
    } else if !significant && t.floor_log > tau {
        Verdict::TooNoisy
    } else {
        Verdict::Inconclusive
    }
}

/// Why a series cannot be judged, if it cannot.
fn invalid_reason(side: &str, s: &Series) -> Option<String> {
    if s.rounds.is_empty() {
        return Some(format!("{side} has no rounds"));
    }
    s.first_invalid().map(|(i, v)| format!(
            "{side} round {} has figure {v} (must be finite and positive); re-run that round, or check the benchmark or scenario that wrote it",
            i + 1
        ))
}

/// Judges every benchmark of `base` against `head`.
///
/// Benchmarks only in head are [`Row::Added`], only in base [`Row::Removed`]; a benchmark whose
/// figures are unusable, or whose unit or direction differs between sides, is [`Row::Invalid`].
/// `noise` maps benchmark ids to calibrated between-run noise. Rows come back in id order.
pub fn judge(
    base: &[Series],
    head: &[Series],
    noise: &BTreeMap<String, NoiseEstimate>,
    config: &GateConfig,
) -> Vec<Row> {
    let base_by_id: BTreeMap<&str, &Series> = base.iter().map(|s| (s.id.as_str(), s)).collect();
    let head_by_id: BTreeMap<&str, &Series> = head.iter().map(|s| (s.id.as_str(), s)).collect();
    let ids: BTreeSet<&str> = base_by_id.keys().chain(head_by_id.keys()).copied().collect();

    let mut rows = Vec::with_capacity(ids.len());
    let mut tested: Vec<(usize, Tested)> = Vec::new();
    for id in ids {
        let row = match (base_by_id.get(id), head_by_id.get(id)) {
            (Some(b), Some(h)) => {
                let reason = invalid_reason("base", b).or_else(|| invalid_reason("head", h)).or_else(|| {
                    (b.unit != h.unit || b.direction != h.direction).then(|| {
                        format!(
                            "unit or direction differs: base {} ({}), head {} ({})",
                            b.unit,
                            b.direction.as_str(),
                            h.unit,
                            h.direction.as_str()
                        )
                    })
                });
                match reason {
                    Some(reason) => Row::Invalid { id: id.to_owned(), reason },
                    None => {
                        tested.push((rows.len(), test_one(id, b, h, noise.get(id), config)));
                        continue;
                    }
                }
            }
            (None, Some(h)) => match invalid_reason("head", h) {
                Some(reason) => Row::Invalid { id: id.to_owned(), reason },
                None => Row::Added { id: id.to_owned(), head: typical(&h.rounds), unit: h.unit.clone() },
            },
            (Some(b), None) => match invalid_reason("base", b) {
                Some(reason) => Row::Invalid { id: id.to_owned(), reason },
                None => Row::Removed { id: id.to_owned(), base: typical(&b.rounds), unit: b.unit.clone() },
            },
            (None, None) => unreachable!("id came from one of the maps"),
        };
        rows.push(row);
    }

    let p: Vec<f64> = tested.iter().map(|(_, t)| t.judgement.p_value).collect();
    let discoveries = benjamini_hochberg(&p, config.alpha);
    // Insert judged rows at their id-ordered positions (indexes were taken before insertion).
    for ((pos, mut t), significant) in tested.into_iter().zip(discoveries).rev() {
        t.judgement.significant = significant;
        t.judgement.verdict = verdict(&t, significant, config);
        rows.insert(pos, Row::Judged(t.judgement));
    }
    rows
}

/// Geometric mean, the typical figure of a side that was not judged.
fn typical(values: &[f64]) -> f64 {
    mean(&values.iter().map(|v| v.ln()).collect::<Vec<_>>()).exp()
}

/// Noise of one benchmark from A/A runs in the order they ran (`None` where a run lacks the
/// benchmark): the sample standard deviation of the log figures after setting aside outlier
/// runs as [`judge`] does, and the sd of the log differences of the back-to-back pairs (runs
/// 1–2, 3–4, …; their true difference is zero). Zero, negative and NaN figures are ignored.
/// `None` for fewer than 3 usable runs.
pub(crate) fn estimate_noise(values: &[Option<f64>]) -> Option<NoiseEstimate> {
    let usable = |v: &Option<f64>| v.filter(|v| v.is_finite() && *v > 0.0).map(f64::ln);
    let logs: Vec<f64> = values.iter().filter_map(usable).collect();
    if logs.len() < 3 {
        return None;
    }
    let kept = keep(&logs, &outliers(&logs, None));
    let run_sd = sample_sd(&kept)?;
    let diffs: Vec<f64> = values.chunks_exact(2).filter_map(|p| Some(usable(&p[1])? - usable(&p[0])?)).collect();
    let pair_kept = keep(&diffs, &outliers(&diffs, None));
    let pairs = pair_kept.len();
    let pair_sd = (pairs >= 2).then(|| (pair_kept.iter().map(|d| d * d).sum::<f64>() / pairs as f64).sqrt());
    Some(NoiseEstimate { run_sd, runs: kept.len(), pair_sd, pairs: if pair_sd.is_some() { pairs } else { 0 } })
}

/// The noise floor (see the module docs) of a benchmark with calibrated noise `noise` when
/// compared with `rounds` rounds on each side (paired if `config.paired`), as a relative change.
pub fn noise_floor(noise: &NoiseEstimate, rounds: usize, config: &GateConfig) -> f64 {
    let n = rounds.max(1) as f64;
    let (se, df) = if config.paired {
        let (sd, df) = noise.pair();
        (sd / n.sqrt(), df)
    } else {
        (noise.run_sd * (2.0 / n).sqrt(), noise.degrees_of_freedom())
    };
    ((t_quantile(1.0 - config.alpha / 2.0, df) + normal_quantile(config.power)) * se).exp_m1()
}

#[cfg(test)]
mod trim_tests {
    use super::*;

    #[test]
    fn yuen_trimmed_mean_matches_a_hand_computation() {
        // [1, 2, 3, 4, 100], g = 1: trimmed mean of 2, 3, 4 = 3; winsorized [2, 2, 3, 4, 4] has
        // sd 1, over (1 − 2/5) = 1/0.6; df = 5 − 2 − 1 = 2.
        let (t, sd) = trimmed(&[4.0, 100.0, 1.0, 3.0, 2.0]);
        assert_eq!(t, 3.0);
        assert!((sd.sd - 1.0 / 0.6).abs() < 1e-12, "{sd:?}");
        assert_eq!(sd.df, 2.0);
        // Ten values trim two from each end.
        let (t, sd) = trimmed(&[-50.0, -40.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 70.0, 90.0]);
        assert_eq!(t, 3.5);
        assert_eq!(sd.df, 5.0);
    }
}
