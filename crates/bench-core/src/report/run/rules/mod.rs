//! Rule-based bottleneck detection: the report's recommendations.
//!
//! Each rule reads a run's [`SystemMetrics`] and, where the run recorded one, its [`Timeline`],
//! and either fires (a [`Finding`] with the evidence it cites and a recommendation), finds
//! nothing, or is *not evaluated* because the run did not measure what the rule needs — never
//! "clear" for want of data. Thresholds come from the seed documents where they give one (the
//! ollama-distributed alert rules, MEZAN's bottleneck list); the rest are noisegate's and are
//! stated here.
//!
//! | rule | fires when | evidence cited | severity |
//! |---|---|---|---|
//! | `cpu_bound` | run CPU average ≥ 80 % of the machine, or the timeline's CPU > 80 % for ≥ 30 s in a row (ollama: "High CPU Usage: >80% for 30s"; MEZAN: "High CPU usage (>80%)") | average and peak CPU, the longest stretch above 80 % | warning |
//! | `high_memory` | resident memory > 85 % of the machine's memory for ≥ 30 s (ollama: "High Memory Usage: >85% for 30s"); needs the machine's memory, known only when the report is made on the machine that ran the scenario | peak RSS and its share, the stretch | warning |
//! | `memory_growth` | RSS grows steadily: a least-squares line through the timeline's RSS rises by ≥ 10 % of the starting level and ≥ 4 MiB over the run with R² ≥ 0.5 (a leak or an unbounded queue, Caxton's "memory_leak_detected"); without a timeline, last − first sample by the same bounds | start and end level, slope per minute, R² | warning |
//! | `queueing` | the system falls behind the offered load: completions < 95 % of the offered rate for ≥ 10 s in a row, or the median interval p99 of the last quarter of the run ≥ 2× that of the first quarter (MEZAN: "Queue buildup") | offered vs completed rate and where, first- vs last-quarter p99 | warning |
//! | `scheduler_lag` | the load generator could not keep its schedule: it reported saturation, dropped requests, or its lag p99 ≥ 1 ms, or ≥ 100 µs and ≥ 25 % of the latency p99 (measured latency then includes the generator's own delay) | lag p99, drops, configured vs achieved rate | warning |
//! | `error_burst` | error rate > 5 % for ≥ 10 s in a row (ollama: "High Error Rate: >5% for 10s → Critical"; MEZAN critical > 5 %), or — a burst in an otherwise healthy run — ≥ 50 % of the run's errors (at least 10) fall in ≤ 10 % of its intervals; without a timeline, the run's error rate > 5 % | the window, its error rate, the dominant error kind | critical (sustained) / warning (burst) |
//! | `high_latency` | p95 > 1000 ms for ≥ 10 s (ollama: "High Latency: >1000ms P95 for 10s → Critical"): the run's p95 over a run of ≥ 10 s, or the timeline's p50 — a lower bound of its p95 — over 1000 ms for ≥ 10 s | the percentile and the stretch | critical |
//! | `low_throughput` | completions < 10 req/s for ≥ 60 s in a row while the schedule offered ≥ 10 req/s (ollama: "Low Throughput: <10 req/s for 60s") | the stretch and the offered rate | warning |
//!
//! Rules read the measured phase only: timeline points at t ≤ 0 or labelled `warmup`,
//! `cooldown` or `drain` are left out ([`is_measured`]).
//!
//! MEZAN's I/O and network bottlenecks need I/O wait, packet loss and link capacity, which no
//! noisegate run samples; they are not rules here rather than guesses.

mod load;
mod resources;

use std::fmt;

use serde::Serialize;

use super::format::{self as f};
use crate::metrics::{ErrorKind, SystemMetrics, Timeline, TimelinePoint};

/// CPU share of the machine above which a run is CPU-bound (ollama, MEZAN), percent.
pub const CPU_BUSY_PERCENT: f64 = 80.0;
/// How long the CPU must stay above [`CPU_BUSY_PERCENT`] in the timeline, seconds (ollama).
pub const CPU_BUSY_FOR_S: f64 = 30.0;
/// Share of the machine's memory above which memory is high (ollama), percent.
pub const MEMORY_HIGH_PERCENT: f64 = 85.0;
/// How long memory must stay above [`MEMORY_HIGH_PERCENT`], seconds (ollama).
pub const MEMORY_HIGH_FOR_S: f64 = 30.0;
/// Smallest growth, relative to the starting RSS, that counts as memory growth.
pub const MEMORY_GROWTH_MIN_RELATIVE: f64 = 0.10;
/// Smallest growth in MiB that counts as memory growth (allocator noise stays below it).
pub const MEMORY_GROWTH_MIN_MB: f64 = 4.0;
/// Smallest R² of the RSS trend line: below it the growth is a step or noise, not a trend.
pub const MEMORY_GROWTH_MIN_R2: f64 = 0.5;
/// Completions below this share of the offered rate mean the system is falling behind.
pub const QUEUE_COMPLETED_SHARE: f64 = 0.95;
/// How long completions must trail the offered rate, seconds.
pub const QUEUE_BEHIND_FOR_S: f64 = 10.0;
/// Last-quarter over first-quarter median p99 that counts as latency building up.
pub const QUEUE_P99_GROWTH: f64 = 2.0;
/// Scheduler lag p99 that makes latency figures include the generator's delay, milliseconds.
pub const LAG_P99_MS: f64 = 1.0;
/// Scheduler lag p99 as a share of the latency p99 that does the same …
pub const LAG_SHARE_OF_P99: f64 = 0.25;
/// … once the lag p99 is at least this, milliseconds (below it, timer and wake-up jitter of a
/// shared runtime, which no setting removes).
pub const LAG_SHARE_FLOOR_MS: f64 = 0.1;
/// Error rate above which errors are critical (ollama, MEZAN), percent.
pub const ERROR_RATE_PERCENT: f64 = 5.0;
/// How long the error rate must stay above [`ERROR_RATE_PERCENT`], seconds (ollama).
pub const ERROR_RATE_FOR_S: f64 = 10.0;
/// A burst: at least this share of all errors …
pub const BURST_ERROR_SHARE: f64 = 0.5;
/// … within at most this share of the intervals …
pub const BURST_INTERVAL_SHARE: f64 = 0.10;
/// … and at least this many errors.
pub const BURST_MIN_ERRORS: u64 = 10;
/// p95 latency above which latency is critical (ollama), milliseconds.
pub const LATENCY_HIGH_MS: f64 = 1000.0;
/// How long latency must stay above [`LATENCY_HIGH_MS`], seconds (ollama).
pub const LATENCY_HIGH_FOR_S: f64 = 10.0;
/// Completion rate below which throughput is low (ollama), per second.
pub const THROUGHPUT_LOW_PER_S: f64 = 10.0;
/// How long throughput must stay below [`THROUGHPUT_LOW_PER_S`], seconds (ollama).
pub const THROUGHPUT_LOW_FOR_S: f64 = 60.0;

/// A bottleneck rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// CPU saturated.
    CpuBound,
    /// Resident memory near the machine's.
    HighMemory,
    /// RSS grows through the run.
    MemoryGrowth,
    /// The system falls behind the offered load.
    Queueing,
    /// The load generator fell behind its schedule.
    SchedulerLag,
    /// Errors, sustained or in a burst.
    ErrorBurst,
    /// p95 latency over one second.
    HighLatency,
    /// Completions under 10 per second.
    LowThroughput,
}

impl Rule {
    /// Every rule, in report order.
    pub const ALL: [Rule; 8] = [
        Rule::CpuBound,
        Rule::HighMemory,
        Rule::MemoryGrowth,
        Rule::Queueing,
        Rule::SchedulerLag,
        Rule::ErrorBurst,
        Rule::HighLatency,
        Rule::LowThroughput,
    ];

    /// Stable identifier, as in JSON.
    pub fn id(self) -> &'static str {
        match self {
            Rule::CpuBound => "cpu_bound",
            Rule::HighMemory => "high_memory",
            Rule::MemoryGrowth => "memory_growth",
            Rule::Queueing => "queueing",
            Rule::SchedulerLag => "scheduler_lag",
            Rule::ErrorBurst => "error_burst",
            Rule::HighLatency => "high_latency",
            Rule::LowThroughput => "low_throughput",
        }
    }

    /// The condition, in one line, as the report states it.
    pub fn threshold(self) -> &'static str {
        match self {
            Rule::CpuBound => "CPU ≥ 80% of the machine on average, or > 80% for ≥ 30 s",
            Rule::HighMemory => "RSS > 85% of the machine's memory for ≥ 30 s",
            Rule::MemoryGrowth => "RSS trend rises ≥ 10% and ≥ 4 MiB over the run (R² ≥ 0.5)",
            Rule::Queueing => "completions < 95% of offered for ≥ 10 s, or last-quarter p99 ≥ 2× first-quarter p99",
            Rule::SchedulerLag => {
                "generator saturated, dropped requests, or lag p99 ≥ 1 ms (or ≥ 100 µs and ≥ 25% of latency p99)"
            }
            Rule::ErrorBurst => "error rate > 5% for ≥ 10 s, or ≥ 50% of errors in ≤ 10% of the intervals",
            Rule::HighLatency => "p95 > 1000 ms for ≥ 10 s",
            Rule::LowThroughput => "completions < 10/s for ≥ 60 s while ≥ 10/s were offered",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look.
    Warning,
    /// The seed documents' "critical" alerts.
    Critical,
}

impl Severity {
    /// `"warning"` or `"critical"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// How serious.
    pub severity: Severity,
    /// One line: what was found.
    pub summary: String,
    /// The figures the rule cites, one per line.
    pub evidence: Vec<String>,
    /// What to do about it.
    pub recommendation: String,
}

/// The result of one rule on one run.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleStatus {
    /// The rule fired.
    Fired(Finding),
    /// The rule had its data and found nothing.
    Clear,
    /// The run lacks what the rule needs (the reason says what).
    NotEvaluated(String),
}

/// Outside facts the rules can use.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RuleSettings {
    /// Memory of the machine that ran the scenario, MiB, when known.
    pub machine_memory_mb: Option<f64>,
}

/// Whether a timeline point belongs to the measured phase: after t = 0 and not labelled
/// `warmup`, `cooldown` or `drain`. Rules and summary figures read only these; the charts draw
/// the whole run.
pub fn is_measured(p: &TimelinePoint) -> bool {
    p.t_s > 0.0 && !matches!(p.phase.as_deref(), Some("warmup" | "cooldown" | "drain"))
}

/// Runs every rule on one run (on the measured phase of its timeline, see [`is_measured`]).
pub fn check(m: &SystemMetrics, timeline: Option<&Timeline>, settings: &RuleSettings) -> Vec<(Rule, RuleStatus)> {
    let measured = timeline.filter(|t| t.interval_s > 0.0).map(|t| Timeline {
        schema_version: t.schema_version,
        name: t.name.clone(),
        interval_s: t.interval_s,
        clock: t.clock,
        points: t.points.iter().filter(|p| is_measured(p)).cloned().collect(),
    });
    let tl = measured.as_ref().filter(|t| !t.points.is_empty());
    Rule::ALL
        .iter()
        .map(|&rule| {
            let status = match rule {
                Rule::CpuBound => resources::cpu_bound(m, tl),
                Rule::HighMemory => resources::high_memory(m, tl, settings),
                Rule::MemoryGrowth => resources::memory_growth(m, tl),
                Rule::Queueing => load::queueing(tl),
                Rule::SchedulerLag => load::scheduler_lag(m),
                Rule::ErrorBurst => load::error_burst(m, tl),
                Rule::HighLatency => load::high_latency(m, tl),
                Rule::LowThroughput => load::low_throughput(m, tl),
            };
            (rule, status)
        })
        .collect()
}

/// The longest run of consecutive points satisfying `pred`: (first index, last index).
fn longest_stretch(points: &[TimelinePoint], pred: impl Fn(&TimelinePoint) -> bool) -> Option<(usize, usize)> {
    let (mut best, mut start): (Option<(usize, usize)>, Option<usize>) = (None, None);
    for (i, p) in points.iter().enumerate() {
        if pred(p) {
            let s = *start.get_or_insert(i);
            if best.is_none_or(|(b0, b1)| i - s > b1 - b0) {
                best = Some((s, i));
            }
        } else {
            start = None;
        }
    }
    best
}

/// `(seconds, "from t = a s to t = b s")` of a stretch of a timeline.
fn stretch_text(tl: &Timeline, (a, b): (usize, usize)) -> (f64, String) {
    let secs = (b - a + 1) as f64 * tl.interval_s;
    let from = (tl.points[a].t_s - tl.interval_s).max(0.0);
    (secs, format!("{} from t = {} s to t = {} s", f::duration_s(secs), f::plain(from), f::plain(tl.points[b].t_s)))
}

fn fired(rule: Rule, severity: Severity, summary: String, evidence: Vec<String>, recommendation: &str) -> RuleStatus {
    RuleStatus::Fired(Finding { rule, severity, summary, evidence, recommendation: recommendation.to_owned() })
}

/// Least-squares slope and R² of `(x, y)`; `None` for fewer than 3 points or constant x.
fn linear_fit(xy: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = xy.len() as f64;
    if xy.len() < 3 {
        return None;
    }
    let (mx, my) = (xy.iter().map(|p| p.0).sum::<f64>() / n, xy.iter().map(|p| p.1).sum::<f64>() / n);
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in xy {
        sxx += (x - mx) * (x - mx);
        sxy += (x - mx) * (y - my);
        syy += (y - my) * (y - my);
    }
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let r2 = if syy <= 0.0 { 0.0 } else { (sxy * sxy) / (sxx * syy) };
    Some((slope, r2))
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(t: f64) -> TimelinePoint {
        TimelinePoint { t_s: t, offered_per_s: Some(100.0), completed_per_s: 100.0, ..Default::default() }
    }

    #[test]
    fn longest_stretch_finds_the_longest_run() {
        let mut pts: Vec<TimelinePoint> = (1..=10).map(|i| point(i as f64)).collect();
        for i in [1, 2, 5, 6, 7] {
            pts[i].errors = 50;
        }
        assert_eq!(longest_stretch(&pts, |p| p.errors > 0), Some((5, 7)));
        assert_eq!(longest_stretch(&pts, |p| p.errors > 100), None);
    }

    #[test]
    fn linear_fit_of_a_line() {
        let xy: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 3.0 + 2.0 * i as f64)).collect();
        let (slope, r2) = linear_fit(&xy).unwrap();
        assert!((slope - 2.0).abs() < 1e-12 && (r2 - 1.0).abs() < 1e-12);
        assert_eq!(linear_fit(&xy[..2]), None);
    }
}
