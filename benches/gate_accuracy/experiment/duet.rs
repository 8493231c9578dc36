//! Duet mode's measuring: each variant and a base run of its own at the same time on one CPU,
//! and criterion's verdict on the same pairs.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};

use super::{KERNELS, Said, SavedRuns, Settings, TESTED, VARIANTS, base_of, child_command, criterion_verdicts};

/// Duet mode: each variant and a base run of its own start together, pinned to the same CPU,
/// so the scheduler interleaves them in millisecond slices and whatever slows that CPU (a
/// neighbour on its physical core) slows both alike. Two duets run at once, one per CPU; which
/// CPU a duet gets alternates by round. Each child has its own criterion home (no shared `new`).
pub(super) fn measure_duet(s: &Settings, home: &Path, raw: &Path) -> anyhow::Result<(Said, f64)> {
    if home.exists() {
        std::fs::remove_dir_all(home).with_context(|| format!("cannot clear {}", home.display()))?;
    }
    let cpus = bench_core::resource::logical_cpus().max(1);
    let mut seconds = Vec::new();
    let started = Instant::now();
    for r in 1..=s.rounds {
        let mut order: Vec<(&str, u64)> = VARIANTS.to_vec();
        order.rotate_left(r % VARIANTS.len());
        // One kernel at a time (a criterion name filter), so both runs of a duet start it together.
        for k in KERNELS {
            for (slot, chunk) in order.chunks(cpus).enumerate() {
                let mut children = Vec::new();
                for (i, (v, pct)) in chunk.iter().enumerate() {
                    let cpu = (i + r + slot) % cpus;
                    let mut pair = [(format!("{}-{r}", base_of(true, v)), 0), (format!("{v}-{r}"), *pct)];
                    // As `ab` does: the side started first alternates by round.
                    if r % 2 == 0 {
                        pair.reverse();
                    }
                    for (name, pct) in pair {
                        let own = home.join("children").join(&name);
                        let child = child_command(&own, pct, "--save-baseline", &name, Some(cpu))?
                            .arg(k)
                            .stdout(std::process::Stdio::null())
                            .stderr(std::process::Stdio::piped())
                            .spawn()
                            .context("cannot start a variant")?;
                        children.push((name, own, child, Instant::now()));
                    }
                }
                for (name, own, child, t) in children {
                    let out = child.wait_with_output().context("cannot wait for a variant")?;
                    if !out.status.success() {
                        bail!("{name} failed: {}", String::from_utf8_lossy(&out.stderr));
                    }
                    seconds.push(t.elapsed().as_secs_f64());
                    let to = home.join(k).join(&name);
                    std::fs::create_dir_all(to.parent().expect("kernel dir"))?;
                    std::fs::rename(own.join(k).join(&name), &to)
                        .with_context(|| format!("cannot keep {}", to.display()))?;
                    std::fs::remove_dir_all(&own).ok();
                }
            }
        }
        eprintln!("gate_accuracy: duet round {r}/{} done, {:.0} s elapsed", s.rounds, started.elapsed().as_secs_f64());
    }
    // Two processes share a CPU, so a kernel run's wall time is about twice its CPU time.
    let run_s = seconds.iter().sum::<f64>() / seconds.len() as f64;
    let said = criterion_on_duets(s.rounds, home)?;
    bench_core::results::write_json_atomic(
        raw,
        &SavedRuns { rounds: s.rounds, run_s, said: said.clone(), duet: true },
    )?;
    Ok((said, run_s))
}

/// criterion's own verdict on every duet pair: `--load-baseline <variant>-<r> --baseline
/// b<variant>-<r>` makes criterion compare the two saved runs without measuring again, with its
/// default significance and noise threshold, so both gates judge exactly the same data.
pub(super) fn criterion_on_duets(rounds: usize, home: &Path) -> anyhow::Result<Said> {
    let mut said = Said::new();
    for r in 1..=rounds {
        for (v, _) in TESTED {
            let out = child_command(home, 0, "--load-baseline", &format!("{v}-{r}"), None)?
                .args(["--baseline", &format!("{}-{r}", base_of(true, v))])
                .output()
                .context("cannot run criterion's comparison")?;
            if !out.status.success() {
                bail!("criterion's comparison of {v}-{r} failed: {}", String::from_utf8_lossy(&out.stderr));
            }
            said.entry(v.to_owned()).or_default().push(criterion_verdicts(&String::from_utf8_lossy(&out.stdout)));
        }
    }
    Ok(said)
}
