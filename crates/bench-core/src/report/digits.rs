//! Digits for people, shared by every human report (the gate's comparison, the run report and
//! the trend report).
//!
//! Figures keep four significant digits (`812.3 ns`, `1.204 µs`, `15.32 ms`, `2.001 s`): enough
//! to see a 0.1 % difference, few enough to read at a glance, never in exponent notation.
//! Changes are signed percentages with one decimal (`+4.2%`).

/// Decimal time prefixes; values are nanoseconds.
pub(crate) const TIME: [(&str, f64); 4] = [("ns", 1.0), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)];
/// Binary byte prefixes, as allocators and `ps` count memory.
pub(crate) const BYTES: [(&str, f64); 4] =
    [("B", 1.0), ("KiB", 1024.0), ("MiB", 1024.0 * 1024.0), ("GiB", 1024.0 * 1024.0 * 1024.0)];

/// `x` rounded to four significant digits (whole numbers from 1000 up, which keep them all),
/// and the decimals that show exactly those digits.
pub(crate) fn round4(x: f64) -> (f64, usize) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    if x.abs() >= 1000.0 {
        return (x.round(), 0);
    }
    let scale = 10f64.powi(3 - x.abs().log10().floor() as i32);
    let r = (x * scale).round() / scale;
    // Recomputed from the rounded value: 9.9996 rounds to 10.00, not 10.000.
    let decimals = (3 - r.abs().log10().floor() as i32).clamp(0, 12) as usize;
    (r, decimals)
}

/// Four significant digits, never in exponent notation.
pub(crate) fn sig4(x: f64) -> String {
    let (r, decimals) = round4(x);
    format!("{r:.decimals$}")
}

/// `v` in the largest prefix it reaches, moving up one when rounding reaches the next prefix
/// (999.96 ns is `1.000 µs`, not `1000 ns`).
pub(crate) fn prefixed(v: f64, scales: &[(&str, f64)]) -> String {
    let mut i = scales.iter().rposition(|&(_, f)| v.abs() >= f).unwrap_or(0);
    loop {
        let (unit, factor) = scales[i];
        let (r, decimals) = round4(v / factor);
        if let Some(&(_, next)) = scales.get(i + 1)
            && r.abs() >= next / factor
        {
            i += 1;
            continue;
        }
        return format!("{r:.decimals$} {unit}");
    }
}

/// A relative change as a signed percentage with one decimal: `+4.2%`, `-10.0%`, `+0.0%`.
pub(crate) fn percent(x: f64) -> String {
    let s = format!("{:+.1}%", x * 100.0);
    // A change that rounds to zero gets no minus sign.
    if s == "-0.0%" { "+0.0%".to_owned() } else { s }
}
