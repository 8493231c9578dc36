//! The experiment driver: runs the variants round by round, then scores both gates.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use bench_core::baseline::Fingerprint;
use bench_core::calibration::Calibration;
use bench_core::criterion_output::CriterionDir;
use bench_core::gate::{GateConfig, NoiseEstimate, Row, Series, Unit, Verdict, judge, within_run_se};
use bench_core::results::{ResultsDir, write_atomic};

mod duet;

use duet::{criterion_on_duets, measure_duet};

const KERNELS: [&str; 3] = ["accuracy/cpu", "accuracy/memory", "accuracy/alloc"];
/// Variants after `base`, with their extra work in percent.
const VARIANTS: [(&str, u64); 5] = [("cal", 0), ("aa", 0), ("p2", 2), ("p5", 5), ("p10", 10)];
const TESTED: [(&str, &str); 4] = [("aa", "A/A (0 %)"), ("p2", "+2 %"), ("p5", "+5 %"), ("p10", "+10 %")];
/// Rounds a side of a comparison (the `ab` default).
const ROUNDS: usize = 5;

/// The most rounds a suspect may get, as `ab`'s default `--max-rounds`: 4 × for duets (they
/// rerun only the suspects), 2 × for whole runs one after the other.
fn max_rounds(duet: bool) -> usize {
    ROUNDS * if duet { 4 } else { 2 }
}

struct Settings {
    rounds: usize,
    draws: usize,
    seed: u64,
    /// Judge the rounds a previous run left instead of running new ones.
    reuse: bool,
    /// Run each variant at the same time as its own base run, both pinned to one CPU.
    duet: bool,
}

/// The base run a variant is judged against: the round's one `base` run, or in duet mode the
/// base run that shared the variant's CPU (`b<variant>`).
fn base_of(duet: bool, v: &str) -> String {
    if duet { format!("b{v}") } else { "base".to_owned() }
}

fn parse(args: Vec<String>) -> anyhow::Result<Settings> {
    let mut s = Settings { rounds: 20, draws: 400, seed: 0x5EED, reuse: false, duet: false };
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut num = |flag: &str| -> anyhow::Result<u64> {
            it.next().and_then(|v| v.parse().ok()).with_context(|| format!("{flag} needs a whole number"))
        };
        match a.as_str() {
            "--bench" => {}
            "--quick" => s.rounds = 0, // the fewest that work, set below
            "--rounds" => s.rounds = num("--rounds")? as usize,
            "--draws" => s.draws = num("--draws")? as usize,
            "--seed" => s.seed = num("--seed")?,
            "--reuse" => s.reuse = true,
            "--duet" => s.duet = true,
            other => eprintln!(
                "gate_accuracy: ignoring argument `{other}` (this target takes --quick, --rounds N, --draws N, --seed N, --reuse, --duet, --probe)"
            ),
        }
    }
    Ok(s)
}

/// A draw uses up to `max_rounds` rounds and calibrates from at least 3 others.
fn check_rounds(s: &mut Settings) -> anyhow::Result<()> {
    let least = max_rounds(s.duet) + 3;
    if s.rounds == 0 {
        s.rounds = least;
    }
    if s.rounds < least {
        bail!(
            "--rounds {} is too few: comparisons draw up to {} rounds and calibrate from 3 more (use {least} or more)",
            s.rounds,
            max_rounds(s.duet)
        );
    }
    Ok(())
}

/// What criterion printed for one benchmark of a `--baseline` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum CriterionSays {
    Regressed,
    Improved,
    NoChange,
}

/// Criterion's verdict per benchmark id from its terminal output.
fn criterion_verdicts(stdout: &str) -> BTreeMap<String, CriterionSays> {
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in stdout.lines() {
        if !line.starts_with(char::is_whitespace) && line.contains("time:") {
            current = line.split_whitespace().next().map(str::to_owned);
        } else if let Some(id) = &current {
            let says = if line.contains("Performance has regressed") {
                Some(CriterionSays::Regressed)
            } else if line.contains("Performance has improved") {
                Some(CriterionSays::Improved)
            } else if line.contains("No change in performance") || line.contains("Change within noise threshold") {
                Some(CriterionSays::NoChange)
            } else {
                None
            };
            if let Some(s) = says {
                out.insert(id.clone(), s);
            }
        }
    }
    out
}

/// splitmix64: a deterministic stream for choosing which rounds a comparison draws.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn shuffle(&mut self, v: &mut [usize]) {
        for i in (1..v.len()).rev() {
            v.swap(i, (self.next() % (i as u64 + 1)) as usize);
        }
    }
}

fn run_child(home: &Path, pct: u64, flag: &str, baseline: &str) -> anyhow::Result<(String, f64)> {
    let started = Instant::now();
    let out = child_command(home, pct, flag, baseline, None)?.output().context("cannot run a variant")?;
    if !out.status.success() {
        bail!("variant +{pct} % ({flag} {baseline}) failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok((String::from_utf8_lossy(&out.stdout).into_owned(), started.elapsed().as_secs_f64()))
}

fn child_command(home: &Path, pct: u64, flag: &str, baseline: &str, cpu: Option<usize>) -> anyhow::Result<Command> {
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let mut c = Command::new(exe);
    c.args(["--bench", flag, baseline]).env(super::CHILD, pct.to_string()).env("CRITERION_HOME", home);
    if let Some(cpu) = cpu {
        c.env(super::CPU, cpu.to_string());
    }
    Ok(c)
}

/// Criterion wrote the latest run to `new`; keep it under the variant's round name.
fn keep_as(home: &Path, name: &str) -> anyhow::Result<()> {
    for k in KERNELS {
        let dir = home.join(k);
        let to = dir.join(name);
        if to.exists() {
            std::fs::remove_dir_all(&to)?;
        }
        std::fs::rename(dir.join("new"), &to).with_context(|| format!("cannot keep {}", to.display()))?;
    }
    Ok(())
}

pub(crate) fn run(args: Vec<String>) -> anyhow::Result<()> {
    let mut s = parse(args)?;
    let out_dir = ResultsDir::locate().root().join("gate_accuracy");
    let home = out_dir.join("criterion");
    let raw = out_dir.join("runs.json");
    let (said, run_s) = if s.reuse && !raw.is_file() {
        // Rounds measured by a build that did not keep criterion's printed verdicts: judge them
        // with noisegate only; criterion's columns and bench times say "not recorded".
        eprintln!("gate_accuracy: {} not found; criterion's verdicts and run times were not recorded", raw.display());
        (Said::new(), f64::NAN)
    } else if s.reuse {
        let runs: SavedRuns = bench_core::results::read_json(&raw)
            .with_context(|| format!("cannot read {} (re-run without --reuse)", raw.display()))?;
        if runs.rounds < s.rounds {
            bail!("{} holds {} rounds; use --rounds {} or fewer with --reuse", raw.display(), runs.rounds, runs.rounds);
        }
        s.duet = runs.duet;
        check_rounds(&mut s)?;
        if runs.duet && runs.said.is_empty() {
            // Duet rounds measured before criterion's verdicts were taken from them.
            let said = criterion_on_duets(runs.rounds, &home)?;
            bench_core::results::write_json_atomic(&raw, &SavedRuns { said: said.clone(), ..runs })?;
            (said, runs.run_s)
        } else {
            (runs.said, runs.run_s)
        }
    } else {
        check_rounds(&mut s)?;
        if s.duet { measure_duet(&s, &home, &raw)? } else { measure(&s, &home, &raw)? }
    };
    analyse(&s, &out_dir, &home, &said, run_s)
}

type Said = BTreeMap<String, Vec<BTreeMap<String, CriterionSays>>>;

/// What the measuring phase keeps for `--reuse`: criterion's verdicts (printed, not stored, by
/// criterion) and the mean wall-clock seconds of one kernel run.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedRuns {
    rounds: usize,
    run_s: f64,
    said: Said,
    /// Measured in duet mode (base runs per variant, named `b<variant>-<round>`).
    #[serde(default)]
    duet: bool,
}

fn measure(s: &Settings, home: &Path, raw: &Path) -> anyhow::Result<(Said, f64)> {
    if home.exists() {
        std::fs::remove_dir_all(home).with_context(|| format!("cannot clear {}", home.display()))?;
    }
    let mut said: Said = BTreeMap::new();
    let mut seconds = Vec::new();
    let started = Instant::now();
    for r in 1..=s.rounds {
        let (_, t) = run_child(home, 0, "--save-baseline", &format!("base-{r}"))?;
        seconds.push(t);
        let mut order: Vec<(&str, u64)> = VARIANTS.to_vec();
        order.rotate_left(r % VARIANTS.len());
        for (v, pct) in order {
            let (stdout, t) = run_child(home, pct, "--baseline", &format!("base-{r}"))?;
            seconds.push(t);
            keep_as(home, &format!("{v}-{r}"))?;
            said.entry(v.to_owned()).or_default().push(criterion_verdicts(&stdout));
        }
        eprintln!("gate_accuracy: round {r}/{} done, {:.0} s elapsed", s.rounds, started.elapsed().as_secs_f64());
    }
    // A process runs the three kernels; a kernel's run costs a third of it.
    let run_s = seconds.iter().sum::<f64>() / seconds.len() as f64 / KERNELS.len() as f64;
    bench_core::results::write_json_atomic(
        raw,
        &SavedRuns { rounds: s.rounds, run_s, said: said.clone(), duet: false },
    )?;
    Ok((said, run_s))
}

fn analyse(s: &Settings, out_dir: &Path, home: &Path, said: &Said, run_s: f64) -> anyhow::Result<()> {
    let dir = CriterionDir::at(home);
    let mut figures: BTreeMap<String, BTreeMap<&str, Vec<f64>>> = BTreeMap::new();
    // Each round's within-run standard error, as `collect_side` gives the gate.
    let mut within: BTreeMap<String, BTreeMap<&str, Vec<f64>>> = BTreeMap::new();
    for r in 1..=s.rounds {
        let names: Vec<String> = if s.duet {
            VARIANTS.iter().flat_map(|(v, _)| [base_of(true, v), (*v).to_owned()]).collect()
        } else {
            std::iter::once("base".to_owned()).chain(VARIANTS.iter().map(|(v, _)| (*v).to_owned())).collect()
        };
        for v in names {
            for run in dir.read_baseline(&format!("{v}-{r}"))? {
                let k = KERNELS.iter().find(|k| **k == run.id).copied().context("unexpected benchmark")?;
                let (figure, se) = if s.duet {
                    // As `ab` judges its duets: `Figure::TotalOverIterations`, no within-run floor.
                    (run.total_per_iteration, 0.0)
                } else {
                    (run.typical, within_run_se(&run.per_iteration))
                };
                figures.entry(v.clone()).or_default().entry(k).or_default().push(figure);
                within.entry(v.clone()).or_default().entry(k).or_default().push(se);
            }
        }
    }
    let series = |v: &str, k: &str, idx: &[usize]| -> Series {
        Series::lower_is_better(k, Unit::Nanoseconds, idx.iter().map(|&i| figures[v][k][i]).collect())
            .with_within(idx.iter().map(|&i| within[v][k][i]).collect())
    };
    let all: Vec<usize> = (0..s.rounds).collect();
    // Calibration as `noisegate calibrate` would make it: A/A runs from other times than the
    // compared rounds. A draw calibrates from the rounds it does not use, each giving the A/A
    // pair (`base`, `cal`) of that round: run sd from all those runs, pair sd from the pairs.
    let calibrate = |rounds: &[usize]| -> anyhow::Result<Calibration> {
        let runs: Vec<Vec<Series>> = rounds
            .iter()
            .flat_map(|&i| {
                [base_of(s.duet, "cal"), "cal".to_owned()]
                    .map(|v| KERNELS.iter().map(|k| series(&v, k, &[i])).collect())
            })
            .collect();
        Ok(Calibration::from_runs(&runs, Fingerprint::detect(), String::new())?)
    };
    let cal = calibrate(&all)?;
    // Round i of base and of the variant form a pair, as `noisegate ab` judges its rounds.
    let config = GateConfig { paired: true, ..GateConfig::default() };

    let mut rng = Rng(s.seed);
    let mut gate: BTreeMap<(&str, &str), (usize, usize, usize)> = BTreeMap::new(); // (regressed, improved, rounds used)
    for (v, _) in TESTED {
        for _ in 0..s.draws {
            let mut perm = all.clone();
            rng.shuffle(&mut perm);
            let draw_cal = calibrate(&perm[max_rounds(s.duet)..])?;
            let verdicts = gate_with_extra_rounds(
                &perm,
                max_rounds(s.duet),
                &base_of(s.duet, v),
                v,
                &series,
                &draw_cal.benchmarks,
                &config,
            );
            for (k, (verdict, used)) in verdicts {
                let e = gate.entry((v, k)).or_default();
                e.0 += usize::from(verdict == Verdict::Regressed);
                e.1 += usize::from(verdict == Verdict::Improved);
                e.2 += used;
            }
        }
    }

    let report = render(s, run_s, &cal, &figures, &gate, said);
    print!("{report}");
    let path = out_dir.join("report.md");
    write_atomic(&path, report.as_bytes())?;
    eprintln!("gate_accuracy: wrote {}", path.display());
    Ok(())
}

/// One comparison as `noisegate ab` makes it: five rounds a side (the first five of `perm`),
/// then one batch of extra rounds, up to `max`, for unresolved suspects. Returns each kernel's
/// verdict and the rounds a side it used.
fn gate_with_extra_rounds<'k>(
    perm: &[usize],
    max: usize,
    base_name: &str,
    v: &str,
    series: &dyn Fn(&str, &str, &[usize]) -> Series,
    noise: &BTreeMap<String, NoiseEstimate>,
    config: &GateConfig,
) -> BTreeMap<&'k str, (Verdict, usize)> {
    let mut used: BTreeMap<&str, usize> = KERNELS.iter().map(|k| (*k, ROUNDS)).collect();
    let mut looks = 0u32;
    loop {
        let base: Vec<Series> = KERNELS.iter().map(|k| series(base_name, k, &perm[..used[k]])).collect();
        let head: Vec<Series> = KERNELS.iter().map(|k| series(v, k, &perm[..used[k]])).collect();
        looks += 1;
        let rows = judge(&base, &head, noise, config);
        let mut suspects = Vec::new();
        let mut result = BTreeMap::new();
        for row in rows {
            if let Row::Judged(j) = row {
                let k = *KERNELS.iter().find(|k| **k == j.id).expect("kernel id");
                if matches!(j.verdict, Verdict::Inconclusive | Verdict::TooNoisy)
                    && j.change.estimate > 0.0
                    && used[k] < max
                {
                    suspects.push(k);
                }
                result.insert(k, (j.verdict, used[k]));
            }
        }
        if suspects.is_empty() {
            // As `ab` does: kernels that had extra rounds are judged at alpha / looks.
            if looks > 1 {
                let strict = GateConfig { alpha: config.alpha / f64::from(looks), ..*config };
                for row in judge(&base, &head, noise, &strict) {
                    if let Row::Judged(j) = row {
                        let k = *KERNELS.iter().find(|k| **k == j.id).expect("kernel id");
                        if used[k] > ROUNDS {
                            result.insert(k, (j.verdict, used[k]));
                        }
                    }
                }
            }
            return result;
        }
        // As `ab` does: one batch of extra rounds, up to `max`.
        for k in suspects {
            *used.get_mut(k).expect("kernel") = max;
        }
    }
}

fn pct(n: usize, of: usize) -> String {
    if of == 0 { "not recorded".into() } else { format!("{:.1} %", 100.0 * n as f64 / of as f64) }
}

fn render(
    s: &Settings,
    run_s: f64,
    cal: &Calibration,
    figures: &BTreeMap<String, BTreeMap<&str, Vec<f64>>>,
    gate: &BTreeMap<(&str, &str), (usize, usize, usize)>,
    said: &Said,
) -> String {
    let fp = &cal.fingerprint;
    let mut o = String::new();
    o.push_str(&format!(
        "Machine: {} ({} logical CPUs), {}, {}. {} rounds; each kernel run = {:.2} s of wall-clock bench time on average (0.5 s warm-up + 1 s measurement + analysis).\n\n",
        fp.cpu_model, fp.logical_cpus, fp.os, fp.rustc, s.rounds, run_s
    ));
    o.push_str("| benchmark | true change | noisegate regressed | noisegate improved | noisegate bench time | criterion \"regressed\" | criterion regressed or improved | criterion bench time |\n");
    o.push_str("|---|---|---|---|---|---|---|---|\n");
    let mut totals: BTreeMap<&str, (usize, usize, usize, usize, usize)> = BTreeMap::new();
    // Wall-clock time of one round of a comparison: base and head one after the other, or a
    // duet (both at once).
    let round_s = if s.duet { run_s } else { 2.0 * run_s };
    for k in KERNELS {
        for (v, label) in TESTED {
            let (reg, imp, used) = gate[&(v, k)];
            let n = s.draws;
            let empty = Vec::new();
            let c = said.get(v).unwrap_or(&empty);
            let c_reg = c.iter().filter(|m| m.get(k) == Some(&CriterionSays::Regressed)).count();
            let c_any = c
                .iter()
                .filter(|m| matches!(m.get(k), Some(CriterionSays::Regressed | CriterionSays::Improved)))
                .count();
            let t = totals.entry(v).or_default();
            *t = (t.0 + reg, t.1 + imp, t.2 + n, t.3 + c_reg, t.4 + c_any);
            o.push_str(&format!(
                "| {k} | {label} | {} | {} | {:.1} s ({:.1} rounds a side) | {} | {} | {:.1} s |\n",
                pct(reg, n),
                pct(imp, n),
                round_s * used as f64 / n as f64,
                used as f64 / n as f64,
                pct(c_reg, c.len()),
                pct(c_any, c.len()),
                round_s
            ));
        }
    }
    for (v, label) in TESTED {
        let (reg, imp, n, c_reg, c_any) = totals[v];
        let c_n = said.get(v).map_or(0, Vec::len) * KERNELS.len();
        o.push_str(&format!(
            "| **all three** | {label} | **{}** | {} | | **{}** | {} | |\n",
            pct(reg, n),
            pct(imp, n),
            pct(c_reg, c_n),
            pct(c_any, c_n)
        ));
    }
    if s.duet {
        o.push_str(
            "\nDuet mode: every variant ran at the same time as a base run of its own, both pinned to one CPU (two duets at once, one per CPU), and is judged against that base run. criterion's verdict is its own comparison of the same two saved runs (`--load-baseline <variant> --baseline <its base>`, no new measurement). A duet's two runs take one run's wall-clock time.\n",
        );
    }
    o.push_str(&format!(
        "\nnoisegate: {} comparisons per row, each drawing 5–{} of the {} rounds at random (seed {}), judging the base and variant runs of a round as a pair ({}), and calibrating from the `base`/`cal` pairs of the rounds it did not draw. Draws share rounds, so they are not independent: the data hold only about {} disjoint 5-round comparisons per row, and 0 % means \"none seen\", not a proven bound.{}\n\n",
        s.draws,
        max_rounds(s.duet),
        s.rounds,
        s.seed,
        if s.duet {
            "the duet's two runs, as `ab`'s default duet mode pairs them"
        } else {
            "as `ab --mode alternate` pairs its back-to-back runs; here the two runs of a pair are up to five runs apart, so drift cancels less than in `ab`"
        },
        s.rounds / ROUNDS,
        if s.duet {
            String::new()
        } else {
            format!(
                " criterion: one comparison per round ({} per row), each head run against that round's base; `base` runs first in every round (criterion needs it saved), the other variants rotate.",
                s.rounds
            )
        }
    ));
    o.push_str("Run-to-run noise (calibration from every round's `base` and `cal` runs) and the realised effect of +2 %, +5 % and +10 % work units over all rounds:\n\n| benchmark | run-to-run sd | sd of a pair's difference | +2 % measured as | +5 % measured as | +10 % measured as |\n|---|---|---|---|---|---|\n");
    for k in KERNELS {
        let ratio = |v: &str| 100.0 * (geo(&figures[v][k]) / geo(&figures[&base_of(s.duet, v)][k]) - 1.0);
        let n = cal.benchmarks.get(k);
        let sd = n.map(|n| format!("{:.2} %", 100.0 * n.run_sd)).unwrap_or_else(|| "n/a".into());
        let pair = n.and_then(|n| n.pair_sd).map(|p| format!("{:.2} %", 100.0 * p)).unwrap_or_else(|| "n/a".into());
        o.push_str(&format!(
            "| {k} | {sd} | {pair} | {:+.1} % | {:+.1} % | {:+.1} % |\n",
            ratio("p2"),
            ratio("p5"),
            ratio("p10")
        ));
    }
    o
}

fn geo(v: &[f64]) -> f64 {
    (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp()
}
