//! Number formatting shared by the run report and the trend report (text, Markdown, HTML).
//!
//! Figures keep four significant digits (`812.3`, `15.32`, `0.08400`) and never use exponent
//! notation; rates and counts of 1000 and more are whole numbers with thousands separators
//! (`2,340`, `1,404,000`), as the MEZAN report writes them. Times in nanoseconds move to the
//! largest prefix they reach (`812.3 ns`, `1.204 µs`, `15.32 ms`, `2.001 s`). Missing values are
//! never printed as zero: callers print [`NOT_MEASURED`].

pub(crate) use crate::report::digits::percent;
use crate::report::digits::{TIME, prefixed, round4};
use crate::units::Nanos;

/// What every human format prints for a value the run did not measure.
pub(crate) const NOT_MEASURED: &str = "not measured";

/// Four significant digits; from 1000 up a whole number with thousands separators.
pub(crate) fn num(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let (r, decimals) = round4(x);
    if decimals == 0 && r.abs() >= 1000.0 && r.abs() < 1e15 {
        let s = group(r.abs() as u64);
        return if r < 0.0 { format!("-{s}") } else { s };
    }
    format!("{r:.decimals$}")
}

/// Whole numbers as they are (`60`, `1,000`), others as [`num`]: for times in seconds, counts
/// and scales, where `60.00` would suggest a precision that is not there.
pub(crate) fn plain(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        let s = group(x.abs() as u64);
        if x < 0.0 { format!("-{s}") } else { s }
    } else {
        num(x)
    }
}

/// `n` with a comma every three digits: `1404000` → `1,404,000`.
pub(crate) fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value with its unit: `156.0 req/s`, `12.50 ms`, `68.00 %`.
pub(crate) fn with_unit(v: f64, unit: &str) -> String {
    match unit {
        "" => num(v),
        "threads" => format!("{} threads", plain(v)),
        "%" => format!("{}%", num(v)),
        u => format!("{} {u}", num(v)),
    }
}

/// [`with_unit`] or "not measured".
pub(crate) fn opt_unit(v: Option<f64>, unit: &str) -> String {
    v.map_or_else(|| NOT_MEASURED.to_owned(), |v| with_unit(v, unit))
}

/// A time in nanoseconds at the largest prefix it reaches (999.96 ns is `1.000 µs`).
pub(crate) fn nanos(v: f64) -> String {
    prefixed(v, &TIME)
}

/// A latency: [`nanos`] of a [`Nanos`].
pub(crate) fn latency(n: Nanos) -> String {
    nanos(n.0 as f64)
}

/// A time given in milliseconds, at its natural prefix.
pub(crate) fn millis(ms: f64) -> String {
    nanos(ms * 1e6)
}

/// A share as a percentage with one decimal: `0.5%`, `99.5%`, `<0.1%` for a tiny non-zero
/// share (so a rare error kind does not read as none).
pub(crate) fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".to_owned();
    }
    let p = 100.0 * part as f64 / whole as f64;
    if part > 0 && p < 0.05 { "<0.1%".to_owned() } else { format!("{p:.1}%") }
}

/// Seconds for people: `45 s`, `10 min`, `1 h 02 min`.
pub(crate) fn duration_s(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return format!("{s} s");
    }
    if s < 120.0 {
        return format!("{} s", plain(s));
    }
    let total = s.round() as u64;
    let (h, m, sec) = (total / 3600, (total % 3600) / 60, total % 60);
    match (h, sec) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{m} min {sec:02} s"),
        _ => format!("{h} h {m:02} min"),
    }
}

/// How the load generator timed and paced the run, where the metrics say (`None` for runs
/// recorded before these were kept).
pub(crate) fn generator(m: &crate::metrics::SystemMetrics) -> Option<String> {
    let g = m.generator.as_ref()?;
    let clock = g.clock.map(|c| match c {
        crate::metrics::ClockSource::Tsc => "timed with the CPU's time-stamp counter".to_owned(),
        crate::metrics::ClockSource::Os => "timed with the OS monotonic clock".to_owned(),
    });
    let spun = g.busy_wait_s.map(|s| {
        let share = m
            .generator_busy_wait_share()
            .map(|x| format!(" ({} of the process CPU)", with_unit(100.0 * x, "%")))
            .unwrap_or_default();
        format!("busy-waited {} to send on time{share}", duration_s(s))
    });
    match (clock, spun) {
        (None, None) => None,
        (a, b) => Some(a.into_iter().chain(b).collect::<Vec<_>>().join("; ")),
    }
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a Markdown table cell or inline text: pipes, backticks, emphasis markers,
/// angle brackets (so a name cannot open an HTML tag in a rendered comment) and newlines.
pub(crate) fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '`' | '*' | '_' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A sparkline of `values` in at most `width` characters (bucket means when longer); `None`
/// values are gaps (a space).
pub(crate) fn sparkline(values: &[Option<f64>], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let buckets = values.len().min(width);
    let mean_of = |b: usize| {
        let (lo, hi) =
            (b * values.len() / buckets, ((b + 1) * values.len() / buckets).max(b * values.len() / buckets + 1));
        let vs: Vec<f64> = values[lo..hi].iter().flatten().copied().filter(|v| v.is_finite()).collect();
        (!vs.is_empty()).then(|| vs.iter().sum::<f64>() / vs.len() as f64)
    };
    let means: Vec<Option<f64>> = (0..buckets).map(mean_of).collect();
    let (lo, hi) =
        means.iter().flatten().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    means
        .iter()
        .map(|m| match m {
            None => ' ',
            Some(_) if hi <= lo => BARS[3],
            Some(v) => BARS[(((v - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_four_digits_and_group_thousands() {
        assert_eq!(num(156.0), "156.0");
        assert_eq!(num(0.084), "0.08400");
        assert_eq!(num(2340.4), "2,340");
        assert_eq!(num(1_404_000.0), "1,404,000");
        assert_eq!(num(-12_345.0), "-12,345");
        assert_eq!(num(0.0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(with_unit(68.0, "%"), "68.00%");
        assert_eq!(opt_unit(None, "ms"), "not measured");
    }

    #[test]
    fn times_and_shares() {
        assert_eq!(nanos(812.3), "812.3 ns");
        assert_eq!(nanos(999.96), "1.000 µs");
        assert_eq!(millis(1200.0), "1.200 s");
        assert_eq!(share(7_000, 1_404_000), "0.5%");
        assert_eq!(share(1, 1_000_000), "<0.1%");
        assert_eq!(share(0, 0), "–");
        assert_eq!(percent(0.114), "+11.4%");
        assert_eq!(percent(-0.0004), "+0.0%");
        assert_eq!(duration_s(600.0), "10 min");
        assert_eq!(duration_s(3725.0), "1 h 02 min");
        assert_eq!(duration_s(30.0), "30 s");
        assert_eq!(duration_s(0.5), "0.5000 s");
        assert_eq!(plain(1000.0), "1,000");
        assert_eq!(plain(2.5), "2.500");
        assert_eq!(with_unit(6.0, "threads"), "6 threads");
    }

    #[test]
    fn escapes() {
        assert_eq!(html("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
        assert_eq!(md("a|b `c` <d>"), "a\\|b \\`c\\` &lt;d&gt;");
    }

    #[test]
    fn sparklines_scale_and_bucket() {
        assert_eq!(sparkline(&[Some(1.0), Some(2.0), None, Some(8.0)], 10), "▁▂ █");
        assert_eq!(sparkline(&[Some(5.0); 3], 10), "▄▄▄");
        let long: Vec<Option<f64>> = (0..1000).map(|i| Some(i as f64)).collect();
        let s = sparkline(&long, 50);
        assert_eq!(s.chars().count(), 50);
        assert!(s.starts_with('▁') && s.ends_with('█'), "{s}");
    }
}
