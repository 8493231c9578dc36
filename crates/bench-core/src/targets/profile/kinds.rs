//! The parameters of each load scenario a profile sets: plain data, parsed by `fields`.

use std::time::Duration;

use serde::Serialize;

/// The peak scenario: find the highest sustainable rate, then run at it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeakProfile {
    /// Closed-loop workers measuring the capacity the search bisects below.
    pub capacity_workers: usize,
    /// Length of each search trial.
    pub trial: Duration,
    /// Open-loop trials of the log-scale bisection between 0.1 % and 100 % of the capacity.
    pub search_trials: u32,
    /// A sustainable trial has at least this success rate, percent.
    pub min_success_percent: f64,
    /// … a p99 of at most this, ms, over the trial and in its last interval, and no drops.
    pub max_p99_ms: f64,
    /// The peak run (and every scenario scaled to it) uses the highest sustainable rate less
    /// this much, percent: a trial of a few seconds cannot show a queue that grows slowly.
    pub headroom_percent: f64,
    /// Length of the peak run (after the warm-up).
    pub duration: Duration,
}

/// The sustained scenario: a long run at a steady rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SustainedProfile {
    /// Measured length (after the warm-up).
    pub duration: Duration,
    /// Rate, percent of the sustainable peak.
    pub rate_percent: f64,
    /// First and last segment compared for degradation, percent of the measured intervals.
    pub segment_percent: f64,
    /// Degradation beyond this is flagged, percent.
    pub degradation_threshold_percent: f64,
    /// An RSS slope above this is flagged as a suspected leak, MiB/min.
    pub leak_threshold_mib_per_min: f64,
}

/// The burst scenario: a base rate with bursts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BurstProfile {
    /// Base rate, percent of the sustainable peak.
    pub base_percent: f64,
    /// Burst rate = base rate × this.
    pub multiplier: f64,
    /// Length of each burst.
    pub burst: Duration,
    /// Time from one burst start to the next.
    pub period: Duration,
    /// Bursts in the run.
    pub count: u32,
    /// Recovered = p99 within this percent of the base-rate p99 …
    pub recovery_tolerance_percent: f64,
    /// … for this many consecutive intervals.
    pub recovery_intervals: usize,
}

/// The stepped scenario: rising rate steps, to find the knee.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SteppedProfile {
    /// The base rate, percent of the sustainable peak.
    pub base_percent: f64,
    /// Each step's rate, percent of the base rate.
    pub step_percents: Vec<f64>,
    /// Length of each step.
    pub step: Duration,
    /// Knee: p99 above this many times the lowest step's p99 …
    pub knee_factor: f64,
    /// … or achieved rate below offered by more than this, percent.
    pub achieved_tolerance_percent: f64,
}

/// The closed-loop comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClosedLoopProfile {
    /// Worker counts compared.
    pub workers: Vec<usize>,
    /// Length of each closed-loop run.
    pub duration: Duration,
}

/// One resolved profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// Its name (`quick`, `full`, …).
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Timeline interval.
    pub interval: Duration,
    /// Warm-up before each scenario's measured phase.
    pub warmup: Duration,
    /// Cool-down at the end of each scenario, excluded from the figures.
    pub cooldown: Duration,
    /// Agents the load is spread over.
    pub agents: usize,
    /// Operation weights, in file order.
    pub mix: Vec<(String, u32)>,
    /// Peak scenario.
    pub peak: PeakProfile,
    /// Sustained scenario.
    pub sustained: SustainedProfile,
    /// Burst scenario.
    pub burst: BurstProfile,
    /// Stepped scenario.
    pub stepped: SteppedProfile,
    /// Closed-loop comparison.
    pub closed_loop: ClosedLoopProfile,
}
