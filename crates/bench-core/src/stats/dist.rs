//! Normal and Student's t distribution functions.
//!
//! The t CDF goes through the regularized incomplete beta function, evaluated with Lentz's
//! continued fraction (Press et al., *Numerical Recipes*, 3rd ed., §6.4); ln Γ uses the Lanczos
//! approximation (g = 7, n = 9), accurate to ~15 digits. Quantiles invert the CDFs by bisection,
//! which is plenty fast for the handful of calls a comparison makes.

use std::f64::consts::PI;

/// ln Γ(x) for x > 0 (Lanczos).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the series in its accurate range.
        return (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Continued fraction for the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..400 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// Regularized incomplete beta I_x(a, b).
fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    // The continued fraction converges fast only on one side of the mean; use symmetry.
    if x < (a + 1.0) / (a + b + 2.0) { front * beta_cf(a, b, x) / a } else { 1.0 - front * beta_cf(b, a, 1.0 - x) / b }
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom; `df = ∞` gives the normal CDF.
pub(crate) fn t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() {
        return f64::NAN;
    }
    if df.is_infinite() {
        return normal_cdf(t);
    }
    let x = df / (df + t * t);
    let tail = 0.5 * inc_beta(df / 2.0, 0.5, x);
    if t > 0.0 { 1.0 - tail } else { tail }
}

/// P(F > f) for Snedecor's F with (`df1`, `df2`) degrees of freedom: the p-value of a variance
/// ratio (`df2 = ∞` allowed: then `df1·F` is χ² with `df1` degrees of freedom, approximated
/// here by a very large `df2`).
pub(crate) fn f_sf(f: f64, df1: f64, df2: f64) -> f64 {
    if f.is_nan() {
        return f64::NAN;
    }
    if f <= 0.0 {
        return 1.0;
    }
    let df2 = df2.min(1e7);
    // P(F > f) = I_x(df2/2, df1/2) with x = df2 / (df2 + df1·f) (Abramowitz & Stegun 26.6.2).
    inc_beta(df2 / 2.0, df1 / 2.0, df2 / (df2 + df1 * f))
}

/// Standard normal CDF, via the complementary error function.
pub(crate) fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// erfc with relative error < 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit), refined
/// enough for p-values and quantiles at the levels the gate uses.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Inverts a monotone CDF by bisection on [-lim, lim].
fn invert(p: f64, cdf: impl Fn(f64) -> f64) -> f64 {
    assert!(p > 0.0 && p < 1.0, "quantile of p = {p}");
    let (mut lo, mut hi) = (-1e3, 1e3);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// z such that Φ(z) = p.
pub(crate) fn normal_quantile(p: f64) -> f64 {
    invert(p, normal_cdf)
}

/// t such that P(T ≤ t) = p with `df` degrees of freedom (`∞` = normal).
pub(crate) fn t_quantile(p: f64, df: f64) -> f64 {
    invert(p, |t| t_cdf(t, df))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn normal_matches_tables() {
        assert!(close(normal_cdf(0.0), 0.5, 1e-7));
        assert!(close(normal_cdf(1.96), 0.975_002, 1e-6));
        assert!(close(normal_quantile(0.975), 1.959_964, 1e-5));
        assert!(close(normal_quantile(0.995), 2.575_829, 1e-5));
        assert!(close(normal_quantile(0.95), 1.644_854, 1e-5));
    }

    #[test]
    fn student_t_matches_tables() {
        // Two-sided 95 % and 99 % critical values (any statistics textbook's t table).
        for (df, t975, t995) in
            [(1.0, 12.706, 63.657), (2.0, 4.303, 9.925), (4.0, 2.776, 4.604), (8.0, 2.306, 3.355), (30.0, 2.042, 2.750)]
        {
            assert!(close(t_quantile(0.975, df), t975, 2e-3), "df {df}: {}", t_quantile(0.975, df));
            assert!(close(t_quantile(0.995, df), t995, 2e-3), "df {df}: {}", t_quantile(0.995, df));
        }
        assert!(close(t_cdf(2.0, 10.0), 0.963_306, 1e-5));
        assert!(close(t_cdf(-2.0, 10.0), 0.036_694, 1e-5));
        assert!(close(t_quantile(0.975, f64::INFINITY), 1.959_964, 1e-5));
    }

    #[test]
    fn f_matches_tables() {
        // Upper 5 % and 1 % points of F (any statistics textbook's F table).
        for (df1, df2, f95, f99) in [(4.0, 20.0, 2.866, 4.431), (5.0, 10.0, 3.326, 5.636), (1.0, 30.0, 4.171, 7.562)] {
            assert!(close(f_sf(f95, df1, df2), 0.05, 2e-4), "F({df1}, {df2}) at {f95}: {}", f_sf(f95, df1, df2));
            assert!(close(f_sf(f99, df1, df2), 0.01, 1e-4), "F({df1}, {df2}) at {f99}: {}", f_sf(f99, df1, df2));
        }
        // F(1, df) is t(df) squared.
        assert!(close(f_sf(4.0, 1.0, 10.0), 2.0 * (1.0 - t_cdf(2.0, 10.0)), 1e-9));
        assert_eq!(f_sf(0.0, 3.0, 3.0), 1.0);
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        assert!(close(ln_gamma(1.0), 0.0, 1e-12));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-12));
        assert!(close(ln_gamma(0.5), PI.sqrt().ln(), 1e-12));
    }

    proptest! {
        #[test]
        fn t_cdf_is_monotone_symmetric_and_inverts(t in -50.0f64..50.0, df in 1.0f64..200.0) {
            let p = t_cdf(t, df);
            prop_assert!((0.0..=1.0).contains(&p));
            prop_assert!(close(p + t_cdf(-t, df), 1.0, 1e-9));
            prop_assert!(t_cdf(t + 0.1, df) >= p);
            if p > 1e-9 && p < 1.0 - 1e-9 {
                prop_assert!(close(t_quantile(p, df), t, 1e-5 * (1.0 + t.abs())));
            }
        }
    }
}
