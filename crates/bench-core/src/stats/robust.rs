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

/// Standard error of the median of `values` on the log scale (≈ relative), from their robust
/// spread: √(π/2)·σ/√n, the median's large-sample standard error for near-normal data. `None`
/// with fewer than 5 values or any value that is not finite and positive.
pub(crate) fn median_se_log(values: &[f64]) -> Option<f64> {
    if values.len() < 5 || values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return None;
    }
    let logs: Vec<f64> = values.iter().map(|v| v.ln()).collect();
    Some((std::f64::consts::PI / 2.0).sqrt() * mad_sd(&logs) / (logs.len() as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn median_standard_error() {
        // 100 values ±1 % around 1: MAD sd of the logs ≈ 1.4826 % → se ≈ 1.2533 · 1.4826 % / 10.
        let v: Vec<f64> = (0..100).map(|i| if i % 2 == 0 { 1.01 } else { 1.0 / 1.01 }).collect();
        let se = median_se_log(&v).unwrap();
        assert!((se - 1.2533 * 1.4826 * 1.01f64.ln() / 10.0).abs() < 1e-4, "{se}");
        assert_eq!(median_se_log(&[1.0; 4]), None);
        assert_eq!(median_se_log(&[1.0, 1.0, 1.0, 0.0, 1.0]), None);
    }

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
