//! Location and scale estimators.

/// Median of `xs` (which must be non-empty and NaN-free).
pub(crate) fn median(xs: &[f64]) -> f64 {
    assert!(!xs.is_empty(), "median of nothing");
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) }
}

/// Median absolute deviation scaled by 1.4826, a consistent estimator of the standard
/// deviation for normal data that a single wild value cannot move (Rousseeuw & Croux, 1993).
pub(crate) fn mad_sd(xs: &[f64]) -> f64 {
    let m = median(xs);
    let dev: Vec<f64> = xs.iter().map(|x| (x - m).abs()).collect();
    1.4826 * median(&dev)
}

/// Arithmetic mean (non-empty input).
pub(crate) fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample standard deviation (n − 1); `None` for fewer than two values.
pub(crate) fn sample_sd(xs: &[f64]) -> Option<f64> {
    (xs.len() >= 2).then(|| {
        let m = mean(xs);
        (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!((mad_sd(&[1.0, 2.0, 3.0, 4.0, 100.0]) - 1.4826).abs() < 1e-12);
        assert_eq!(sample_sd(&[1.0]), None);
        assert!((sample_sd(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap() - 2.138_089_935).abs() < 1e-8);
    }

    proptest! {
        #[test]
        fn median_and_mad_ignore_one_wild_value(mut xs in proptest::collection::vec(0.0f64..1.0, 5..40), wild in 1e3f64..1e9) {
            let before = median(&xs);
            xs.push(wild);
            let after = median(&xs);
            prop_assert!((0.0..=1.0).contains(&after));
            prop_assert!((after - before).abs() <= 1.0);
            prop_assert!(mad_sd(&xs) <= 1.4826);
        }

        #[test]
        fn shift_and_scale_equivariance(xs in proptest::collection::vec(-1e3f64..1e3, 2..30), a in -1e3f64..1e3, b in 0.1f64..10.0) {
            let ys: Vec<f64> = xs.iter().map(|x| a + b * x).collect();
            prop_assert!((median(&ys) - (a + b * median(&xs))).abs() < 1e-6);
            prop_assert!((mad_sd(&ys) - b * mad_sd(&xs)).abs() < 1e-6);
            prop_assert!((sample_sd(&ys).unwrap() - b * sample_sd(&xs).unwrap()).abs() < 1e-6);
        }
    }
}
