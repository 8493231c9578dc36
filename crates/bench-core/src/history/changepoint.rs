//! Change-point detection on a metric's values across runs: E-Divisive means.
//!
//! Method: the E-Divisive procedure of Matteson & James, "A Nonparametric Approach for Multiple
//! Change Point Analysis of Multivariate Data" (JASA 109(505), 2014), as MongoDB uses it on its
//! CI performance history (Daly, Brown, Ingo, O'Leary, Bradford: "The Use of Change Point
//! Detection to Identify Software Performance Regressions in a Continuous Integration System",
//! ICPE 2020). For a segment `Z` and a split `τ` into `X = Z[..τ]`, `Y = Z[τ..]` (sizes `p`, `q`),
//! the divergence statistic with exponent α = 1 is
//!
//! ```text
//! Q(τ) = p·q/(p+q) · ( 2/(p·q) Σ|xᵢ − yⱼ| − 1/C(p,2) Σ_{i<k}|xᵢ − xₖ| − 1/C(q,2) Σ_{j<l}|yⱼ − yₗ| )
//! ```
//!
//! — an energy distance between the two sides, so it reacts to any change of distribution, not
//! only of the mean, and makes no normality assumption (run-to-run benchmark noise is skewed
//! and heavy-tailed). Each segment's best split is the `τ` maximising `Q` (computed for every
//! `τ` in O(n²) with running sums); the segment whose best `Q` is largest is tested by a
//! permutation test — shuffle the segment [`permutations`](ChangePointConfig::permutations)
//! times, recompute the maximum, p = (1 + #{Q_perm ≥ Q}) / (1 + R) — and split when
//! p ≤ `alpha`; this repeats (binary segmentation, hierarchical as in the paper, with the
//! segment end fixed as in Daly et al.) until the best candidate is not significant. The
//! shuffles come from a SplitMix64 generator seeded by [`seed`](ChangePointConfig::seed) and the
//! segment's position, so the same series always gives the same answer.
//!
//! Two guards keep noise from being flagged: both sides of a split hold at least
//! [`min_segment`](ChangePointConfig::min_segment) runs (one slow run is an outlier, not a
//! step), and the medians of the segments on either side of a change differ by at least
//! [`min_shift`](ChangePointConfig::min_shift) of the earlier median (a statistically real
//! 0.5 % step is below what a benchmark on a shared machine can act on). The shift guard is
//! applied once segmentation stops, to each change against its neighbouring segments (the
//! smallest offender is dropped first and the rest re-measured), since a split's two sides can
//! have equal medians until a later split isolates a return to the old level.

use serde::Serialize;

/// Settings of the detector.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChangePointConfig {
    /// Fewest runs on each side of a change.
    pub min_segment: usize,
    /// Smallest relative change of the median, e.g. 0.05 for 5 %.
    pub min_shift: f64,
    /// Significance level of the permutation test.
    pub alpha: f64,
    /// Permutations per test (the smallest attainable p is 1 / (1 + permutations)).
    pub permutations: usize,
    /// Seed of the permutations.
    pub seed: u64,
}

impl Default for ChangePointConfig {
    fn default() -> Self {
        ChangePointConfig {
            min_segment: 3,
            min_shift: 0.05,
            alpha: 0.01,
            permutations: 199,
            seed: 0x6e6f_6973_6567_6174,
        }
    }
}

/// A detected change: the series moves to another level at `index`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChangePoint {
    /// First index of the new segment.
    pub index: usize,
    /// Median of the segment before.
    pub before: f64,
    /// Median of the segment after.
    pub after: f64,
    /// (after − before) / |before|.
    pub shift: f64,
    /// Permutation-test p-value of the split.
    pub p_value: f64,
}

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and good enough to shuffle.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), by Lemire's multiply-shift (bias below 2⁻³² for our n).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// The best split of `z` with at least `m` values a side: `(τ, Q(τ))`, or `None` when `z` is
/// too short.
pub fn best_split(z: &[f64], m: usize) -> Option<(usize, f64)> {
    let n = z.len();
    let m = m.max(2);
    if n < 2 * m {
        return None;
    }
    let d = |a: f64, b: f64| (a - b).abs();
    let tau0 = m;
    let (mut wl, mut wr, mut b) = (0.0, 0.0, 0.0);
    for i in 0..tau0 {
        for k in i + 1..tau0 {
            wl += d(z[i], z[k]);
        }
        for &y in &z[tau0..] {
            b += d(z[i], y);
        }
    }
    for j in tau0..n {
        for l in j + 1..n {
            wr += d(z[j], z[l]);
        }
    }
    let q_of = |tau: usize, wl: f64, wr: f64, b: f64| {
        let (p, q) = (tau as f64, (n - tau) as f64);
        let e = 2.0 * b / (p * q) - wl / (p * (p - 1.0) / 2.0) - wr / (q * (q - 1.0) / 2.0);
        p * q / (p + q) * e
    };
    let mut best = (tau0, q_of(tau0, wl, wr, b));
    for tau in tau0..n - m {
        // Move z[tau] from the right side to the left.
        let v = z[tau];
        let dl: f64 = z[..tau].iter().map(|&x| d(x, v)).sum();
        let dr: f64 = z[tau + 1..].iter().map(|&y| d(y, v)).sum();
        wl += dl;
        wr -= dr;
        b += dr - dl;
        let q = q_of(tau + 1, wl, wr, b);
        if q > best.1 {
            best = (tau + 1, q);
        }
    }
    Some(best)
}

/// Permutation p-value of `observed`, the best `Q` of `z`. Stops early once the p-value can no
/// longer reach `alpha`.
fn p_value(z: &[f64], m: usize, observed: f64, cfg: &ChangePointConfig, start: usize) -> f64 {
    let r = cfg.permutations.max(1);
    let mut rng = SplitMix64(cfg.seed ^ (start as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ ((z.len() as u64) << 32));
    let mut buf = z.to_vec();
    let mut at_least = 0usize;
    let give_up = (cfg.alpha * (r + 1) as f64).floor() as usize; // more than this many: p > alpha
    for done in 1..=r {
        for i in (1..buf.len()).rev() {
            buf.swap(i, rng.below(i + 1));
        }
        if best_split(&buf, m).is_some_and(|(_, q)| q >= observed * (1.0 - 1e-12)) {
            at_least += 1;
            if at_least > give_up {
                // Report the p-value as if every remaining permutation also counted: an upper
                // bound, and already above alpha.
                return ((at_least + 1 + (r - done)) as f64 / (r + 1) as f64).min(1.0);
            }
        }
    }
    (at_least + 1) as f64 / (r + 1) as f64
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 }
}

/// (after − before) / |before|; a move away from zero counts as infinite, no move as zero.
fn relative(before: f64, after: f64) -> f64 {
    if before != 0.0 {
        (after - before) / before.abs()
    } else if after == before {
        0.0
    } else {
        f64::INFINITY.copysign(after)
    }
}

/// The change points of `values`, in index order. Non-finite values must be removed first.
pub fn detect(values: &[f64], cfg: &ChangePointConfig) -> Vec<ChangePoint> {
    let m = cfg.min_segment.max(2);
    let mut cuts: Vec<(usize, f64)> = Vec::new(); // (index, p)
    loop {
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c.0).collect();
        bounds.push(0);
        bounds.push(values.len());
        bounds.sort_unstable();
        bounds.dedup();
        let candidate = bounds
            .windows(2)
            .filter_map(|w| best_split(&values[w[0]..w[1]], m).map(|(tau, q)| (w[0], w[1], w[0] + tau, q)))
            .filter(|c| c.3 > 0.0)
            .max_by(|x, y| x.3.total_cmp(&y.3));
        let Some((a, b, tau, q)) = candidate else { break };
        let p = p_value(&values[a..b], m, q, cfg, a);
        if p > cfg.alpha {
            break;
        }
        cuts.push((tau, p));
    }
    cuts.sort_by_key(|c| c.0);
    // The shift guard is applied to the final segmentation, against each change's neighbouring
    // segments: a split that separates a level from a later return to it (50, 60, 50) has equal
    // medians on its two sides until the return is split off too. The smallest change goes
    // first, and the rest are measured again without it.
    loop {
        let points = neighbours(values, &cuts);
        let smallest = points
            .iter()
            .enumerate()
            .filter(|(_, c)| c.shift.abs() < cfg.min_shift)
            .min_by(|a, b| a.1.shift.abs().total_cmp(&b.1.shift.abs()));
        match smallest {
            Some((i, _)) => {
                cuts.remove(i);
            }
            None => return points,
        }
    }
}

fn neighbours(values: &[f64], cuts: &[(usize, f64)]) -> Vec<ChangePoint> {
    (0..cuts.len())
        .map(|i| {
            let start = if i == 0 { 0 } else { cuts[i - 1].0 };
            let end = cuts.get(i + 1).map_or(values.len(), |c| c.0);
            let (idx, p) = cuts[i];
            let (before, after) = (median(&values[start..idx]), median(&values[idx..end]));
            ChangePoint { index: idx, before, after, shift: relative(before, after), p_value: p }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Deterministic noise: `level × (1 ± spread)`, uniform.
    fn noisy(levels: &[(usize, f64)], spread: f64, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix64(seed);
        levels
            .iter()
            .flat_map(|&(n, level)| std::iter::repeat_n(level, n))
            .map(|level| {
                let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
                level * (1.0 + spread * (2.0 * u - 1.0))
            })
            .collect()
    }

    /// Brute-force Q(τ) straight from the formula.
    fn q_direct(z: &[f64], tau: usize) -> f64 {
        let (x, y) = z.split_at(tau);
        let (p, q) = (x.len() as f64, y.len() as f64);
        let between: f64 = x.iter().flat_map(|a| y.iter().map(move |b| (a - b).abs())).sum();
        let within = |s: &[f64]| -> f64 {
            let mut t = 0.0;
            for i in 0..s.len() {
                for k in i + 1..s.len() {
                    t += (s[i] - s[k]).abs();
                }
            }
            t
        };
        p * q / (p + q)
            * (2.0 * between / (p * q) - within(x) / (p * (p - 1.0) / 2.0) - within(y) / (q * (q - 1.0) / 2.0))
    }

    #[test]
    fn running_sums_match_the_formula() {
        let z = noisy(&[(7, 10.0), (9, 13.0)], 0.1, 3);
        let (tau, q) = best_split(&z, 3).unwrap();
        let brute = (3..=z.len() - 3).map(|t| (t, q_direct(&z, t))).max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
        assert_eq!(tau, brute.0);
        assert!((q - brute.1).abs() < 1e-9 * brute.1.abs().max(1.0), "{q} vs {}", brute.1);
        assert_eq!(tau, 7);
    }

    #[test]
    fn finds_one_step_at_its_exact_index() {
        let v = noisy(&[(30, 100.0), (30, 120.0)], 0.02, 1);
        let cps = detect(&v, &ChangePointConfig::default());
        assert_eq!(cps.len(), 1, "{cps:?}");
        assert_eq!(cps[0].index, 30);
        assert!((cps[0].shift - 0.2).abs() < 0.03, "{cps:?}");
        assert!(cps[0].p_value <= 0.01);
    }

    #[test]
    fn finds_two_steps_and_a_recovery() {
        let v = noisy(&[(25, 50.0), (20, 60.0), (25, 50.0)], 0.02, 2);
        let cps = detect(&v, &ChangePointConfig::default());
        let idx: Vec<usize> = cps.iter().map(|c| c.index).collect();
        assert_eq!(idx, vec![25, 45], "{cps:?}");
        assert!(cps[0].shift > 0.0 && cps[1].shift < 0.0);
    }

    #[test]
    fn a_step_three_runs_from_the_end_is_found() {
        let v = noisy(&[(40, 10.0), (3, 13.0)], 0.02, 4);
        let cps = detect(&v, &ChangePointConfig::default());
        assert_eq!(cps.iter().map(|c| c.index).collect::<Vec<_>>(), vec![40], "{cps:?}");
    }

    #[test]
    fn flat_noisy_series_have_no_change_points() {
        for seed in 0..20 {
            let v = noisy(&[(80, 100.0)], 0.04, 100 + seed);
            assert_eq!(detect(&v, &ChangePointConfig::default()), vec![], "seed {seed}");
        }
    }

    #[test]
    fn small_real_steps_and_lone_outliers_are_not_flagged() {
        // A 2 % step is statistically clear with 0.2 % noise, but under the 5 % guard.
        let v = noisy(&[(30, 100.0), (30, 102.0)], 0.002, 5);
        assert_eq!(detect(&v, &ChangePointConfig::default()), vec![]);
        let with_guard_off = ChangePointConfig { min_shift: 0.0, ..Default::default() };
        assert_eq!(detect(&v, &with_guard_off).iter().map(|c| c.index).collect::<Vec<_>>(), vec![30]);
        let mut spikes = noisy(&[(50, 100.0)], 0.02, 6);
        spikes[20] = 400.0;
        spikes[35] = 300.0;
        assert_eq!(detect(&spikes, &ChangePointConfig::default()), vec![]);
    }

    #[test]
    fn same_seed_same_answer_and_short_series_are_fine() {
        let v = noisy(&[(12, 1.0), (12, 1.3)], 0.05, 7);
        let cfg = ChangePointConfig::default();
        assert_eq!(detect(&v, &cfg), detect(&v, &cfg));
        assert_eq!(detect(&[], &cfg), vec![]);
        assert_eq!(detect(&[1.0, 2.0, 3.0], &cfg), vec![]);
        assert_eq!(detect(&[0.0; 20], &cfg), vec![]);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn change_points_respect_the_guards(values in proptest::collection::vec(0.0f64..1000.0, 0..60), m in 2usize..6) {
            let cfg = ChangePointConfig { min_segment: m, permutations: 49, alpha: 0.05, ..Default::default() };
            let cps = detect(&values, &cfg);
            let mut prev = 0;
            for c in &cps {
                prop_assert!(c.index >= prev + m && c.index + m <= values.len(), "{cps:?}");
                prop_assert!(c.shift.abs() >= cfg.min_shift);
                prop_assert!(c.p_value > 0.0 && c.p_value <= cfg.alpha);
                prev = c.index;
            }
        }
    }
}
