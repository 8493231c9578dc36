//! Human formatting of figures, changes and noise, shared by the text and Markdown reports.
//!
//! Figures keep four significant digits (`812.3 ns`, `1.204 µs`, `15.32 ms`, `2.001 s`): enough
//! to see a 0.1 % difference, few enough to read at a glance. Changes are signed percentages with
//! one decimal (`+4.2%`), since the gate's thresholds are whole or half percents.

use crate::gate::{Change, Comparison, Judgement, NoiseFloor, NoiseSource, Unit};
use crate::report::digits::{BYTES, TIME, prefixed};
pub(crate) use crate::report::digits::{percent, sig4};

/// A figure in its unit, for people.
pub(crate) fn value(v: f64, unit: &Unit) -> String {
    match unit {
        Unit::Nanoseconds => prefixed(v, &TIME),
        Unit::Bytes => prefixed(v, &BYTES),
        // Counts per iteration: whole numbers usually, averages sometimes.
        Unit::Allocations => {
            let s = format!("{v:.2}");
            let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
            format!("{s} allocs")
        }
        Unit::Metric(u) if u.is_empty() => sig4(v),
        Unit::Metric(u) => format!("{} {u}", sig4(v)),
    }
}

/// The interval of a change: `[+2.1%, +6.3%]`.
pub(crate) fn interval(c: &Change) -> String {
    format!("[{}, {}]", percent(c.lower), percent(c.upper))
}

/// The change with its interval: `+4.2% [+2.1%, +6.3%]`.
pub(crate) fn change(c: &Change) -> String {
    format!("{} {}", percent(c.estimate), interval(c))
}

/// The noise floor alone: `±1.4%`.
pub(crate) fn floor(n: &NoiseFloor) -> String {
    format!("±{:.1}%", n.floor * 100.0)
}

/// Where the noise came from, in the words every format uses.
pub(crate) fn source(s: NoiseSource) -> &'static str {
    match s {
        NoiseSource::Calibrated => "calibrated",
        NoiseSource::Measured => "measured",
        NoiseSource::Pooled => "calibrated+measured",
        NoiseSource::WithinRun => "within-run",
        NoiseSource::Assumed => "assumed",
    }
}

/// A setting given as a fraction, as a percentage without needless decimals: 0.03 → `3%`,
/// 0.025 → `2.5%`.
pub(crate) fn setting_percent(x: f64) -> String {
    let s = format!("{:.2}", x * 100.0);
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

/// Rounds given on each side, with outlier rounds set aside and rounds in a second mode:
/// `5/5`, `5/5 (1 outlier)`, `10/10 (5 in a 2nd mode)`.
pub(crate) fn rounds(j: &Judgement) -> String {
    let outliers = j.base.outliers.len() + j.head.outliers.len();
    // A mode among paired rounds names the same rounds on both sides.
    let moded = if j.base.second_mode == j.head.second_mode {
        j.head.second_mode.len()
    } else {
        j.base.second_mode.len() + j.head.second_mode.len()
    };
    let mut notes = Vec::new();
    match outliers {
        0 => {}
        1 => notes.push("1 outlier".to_owned()),
        n => notes.push(format!("{n} outliers")),
    }
    if moded > 0 {
        notes.push(format!("{moded} in a 2nd mode"));
    }
    let counts = format!("{}/{}", j.base.rounds, j.head.rounds);
    if notes.is_empty() { counts } else { format!("{counts} ({})", notes.join(", ")) }
}

/// The settings every human report states: `threshold 3%, 99% confidence, 5 rounds a side`.
pub(crate) fn settings(cmp: &Comparison) -> String {
    let (b, h) = (cmp.base_names.len(), cmp.head_names.len());
    let rounds = match (b, h) {
        (1, 1) => "1 round a side".to_owned(),
        _ if b == h => format!("{b} rounds a side"),
        _ => format!("{b} base {}, {h} head {}", plural(b, "round"), plural(h, "round")),
    };
    format!(
        "threshold {}, {} confidence, {rounds}",
        setting_percent(cmp.config.threshold),
        setting_percent(1.0 - cmp.config.alpha)
    )
}

/// `word` or `word`s for a count.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 { word.to_owned() } else { format!("{word}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(v: f64) -> String {
        value(v, &Unit::Nanoseconds)
    }

    fn bytes(v: f64) -> String {
        value(v, &Unit::Bytes)
    }

    #[test]
    fn times_keep_four_significant_digits() {
        assert_eq!(ns(812.3), "812.3 ns");
        assert_eq!(ns(1204.0), "1.204 µs");
        assert_eq!(ns(15_321_000.0), "15.32 ms");
        assert_eq!(ns(2_001_000_000.0), "2.001 s");
        assert_eq!(ns(4_321_000_000_000.0), "4321 s");
        assert_eq!(ns(0.5), "0.5000 ns");
        assert_eq!(ns(12.0), "12.00 ns");
    }

    #[test]
    fn times_roll_over_to_the_next_prefix_when_rounding_reaches_it() {
        assert_eq!(ns(999.0), "999.0 ns");
        assert_eq!(ns(999.94), "999.9 ns");
        assert_eq!(ns(999.96), "1.000 µs");
        assert_eq!(ns(1000.0), "1.000 µs");
        assert_eq!(ns(999_960.0), "1.000 ms");
        assert_eq!(ns(999_949_000.0), "999.9 ms");
        assert_eq!(ns(999_960_000.0), "1.000 s");
        assert_eq!(ns(9.9996), "10.00 ns");
        assert_eq!(ns(99.996), "100.0 ns");
    }

    #[test]
    fn bytes_use_binary_prefixes() {
        assert_eq!(bytes(0.0), "0 B");
        assert_eq!(bytes(812.0), "812.0 B");
        assert_eq!(bytes(1023.0), "1023 B");
        // 1023.7 B rounds to 1024 B; binary prefixes do not round alike, so it reads 0.9997 KiB.
        assert_eq!(bytes(1023.7), "0.9997 KiB");
        assert_eq!(bytes(1024.0), "1.000 KiB");
        assert_eq!(bytes(1536.0), "1.500 KiB");
        assert_eq!(bytes(1024.0 * 1024.0 - 1.0), "1.000 MiB");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0 * 1024.0), "3.000 GiB");
        assert_eq!(bytes(2048.0 * 1024.0 * 1024.0 * 1024.0), "2048 GiB");
    }

    #[test]
    fn allocations_are_counts_with_at_most_two_decimals() {
        assert_eq!(value(12.0, &Unit::Allocations), "12 allocs");
        assert_eq!(value(12.5, &Unit::Allocations), "12.5 allocs");
        assert_eq!(value(2.456, &Unit::Allocations), "2.46 allocs");
        assert_eq!(value(0.004, &Unit::Allocations), "0 allocs");
        assert_eq!(value(1_234_567.0, &Unit::Allocations), "1234567 allocs");
    }

    #[test]
    fn metrics_keep_their_own_unit() {
        assert_eq!(value(12_345.6, &Unit::Metric("req/s".into())), "12346 req/s");
        assert_eq!(value(2.5, &Unit::Metric("ms".into())), "2.500 ms");
        assert_eq!(value(0.01234, &Unit::Metric("MB".into())), "0.01234 MB");
        assert_eq!(value(7.0, &Unit::Metric(String::new())), "7.000");
    }

    #[test]
    fn changes_are_signed_percents_with_one_decimal() {
        assert_eq!(percent(0.042), "+4.2%");
        assert_eq!(percent(-0.1), "-10.0%");
        assert_eq!(percent(0.0), "+0.0%");
        assert_eq!(percent(-0.0004), "+0.0%");
        assert_eq!(percent(-0.0006), "-0.1%");
        assert_eq!(percent(1.5), "+150.0%");
        let c = Change { estimate: 0.042, lower: 0.021, upper: 0.063, confidence: 0.99 };
        assert_eq!(change(&c), "+4.2% [+2.1%, +6.3%]");
    }

    #[test]
    fn settings_drop_needless_decimals() {
        assert_eq!(setting_percent(0.03), "3%");
        assert_eq!(setting_percent(0.025), "2.5%");
        assert_eq!(setting_percent(1.0 - 0.01), "99%");
        assert_eq!(setting_percent(1.0 - 0.005), "99.5%");
        let n = NoiseFloor { run_sd: 0.005, floor: 0.0137, source: NoiseSource::Assumed };
        assert_eq!(floor(&n), "±1.4%");
    }
}
