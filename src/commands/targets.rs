//! `noisegate targets`: show (and thereby validate) the targets in effect.

use std::path::Path;

use bench_core::metrics::Metric;

use super::Outcome;

pub(super) fn run(config: Option<&Path>, list_metrics: bool) -> anyhow::Result<Outcome> {
    let targets = super::load_targets(config)?;
    let origin = targets.origin.as_ref().map_or_else(|| "built-in defaults".to_owned(), |p| p.display().to_string());
    println!("targets from {origin}");
    for set in &targets.sets {
        println!();
        println!("[{}]{}", set.name, set.source.as_ref().map(|s| format!("  {s}")).unwrap_or_default());
        println!("  {:<24} {:>16} {:>16} {:>16}", "metric", "target", "acceptable", "critical");
        for b in &set.bounds {
            let unit = b.metric.unit();
            let cell = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v} {unit}"));
            println!(
                "  {:<24} {:>16} {:>16} {:>16}",
                b.metric.key(),
                b.target_text(),
                cell(b.acceptable),
                cell(b.critical)
            );
        }
    }
    if list_metrics {
        println!();
        println!("metrics (key, unit, better):");
        for m in Metric::ALL {
            println!("  {:<24} {:<8} {:<7} {}", m.key(), m.unit(), m.direction().as_str(), m.description());
        }
    }
    Ok(Outcome::Passed)
}
