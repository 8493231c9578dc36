//! Benjamini–Hochberg step-up procedure (Benjamini & Hochberg, JRSS B 57(1), 1995).
//!
//! Sort the m p-values ascending; find the largest k with p₍ₖ₎ ≤ k·q/m; reject the k smallest.
//! This controls the expected share of false discoveries among all flagged benchmarks at q for
//! independent (and positively dependent) tests — what a suite-wide gate needs.

/// Which p-values are discoveries at false-discovery rate `q` (same order as the input).
/// NaN p-values are never discoveries and do not count towards m.
pub(crate) fn benjamini_hochberg(p_values: &[f64], q: f64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..p_values.len()).filter(|&i| !p_values[i].is_nan()).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let m = order.len() as f64;
    let cutoff = order
        .iter()
        .enumerate()
        .rev()
        .find(|&(rank, &i)| p_values[i] <= (rank + 1) as f64 * q / m)
        .map(|(rank, _)| rank + 1)
        .unwrap_or(0);
    let mut out = vec![false; p_values.len()];
    for &i in &order[..cutoff] {
        out[i] = true;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn worked_example() {
        // m = 5, q = 0.05: thresholds 0.01, 0.02, 0.03, 0.04, 0.05. p₍₃₎ = 0.029 ≤ 0.03 is the
        // largest passing rank, so the three smallest are discoveries even though 0.025 > 0.02.
        let p = [0.029, 0.2, 0.004, 0.025, 0.6];
        assert_eq!(benjamini_hochberg(&p, 0.05), vec![true, false, true, true, false]);
        assert_eq!(benjamini_hochberg(&[0.02], 0.05), vec![true]);
        assert_eq!(benjamini_hochberg(&[0.02, 0.9], 0.01), vec![false, false]);
        assert_eq!(benjamini_hochberg(&[f64::NAN, 0.001], 0.01), vec![false, true]);
        assert!(benjamini_hochberg(&[], 0.05).is_empty());
    }

    proptest! {
        #[test]
        fn no_stricter_than_bonferroni_no_looser_than_unadjusted(p in proptest::collection::vec(0.0f64..1.0, 1..60), q in 0.001f64..0.2) {
            let m = p.len() as f64;
            let bh = benjamini_hochberg(&p, q);
            for (i, &pi) in p.iter().enumerate() {
                if pi <= q / m { prop_assert!(bh[i]); }
                if pi > q { prop_assert!(!bh[i]); }
            }
            // Monotone: a discovery's p-value is no larger than any non-discovery's.
            let max_disc = p.iter().zip(&bh).filter(|(_, d)| **d).map(|(x, _)| *x).fold(f64::NEG_INFINITY, f64::max);
            let min_non = p.iter().zip(&bh).filter(|(_, d)| !**d).map(|(x, _)| *x).fold(f64::INFINITY, f64::min);
            prop_assert!(max_disc <= min_non);
        }
    }
}
