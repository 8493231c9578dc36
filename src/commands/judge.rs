//! The steps every gate command shares: locate results, load calibration, gather sides,
//! judge, render, write.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use bench_core::baseline::{self, Fingerprint};
use bench_core::calibration::{Calibration, Pairing};
use bench_core::criterion_output::CriterionDir;
use bench_core::gate::{self, Comparison, Figure, GateConfig, NoiseEstimate};
use bench_core::report::{self, Format, RenderOptions};
use bench_core::results::{ResultsDir, write_atomic};
use bench_core::sides::{self, CollectOptions, SideData};

use super::Outcome;
use crate::cli::{ColorArg, FormatArg, GateArgs, Locations, OutputArgs};

/// Criterion's and noisegate's result directories for this invocation.
pub(super) struct Dirs {
    pub criterion: CriterionDir,
    pub results: ResultsDir,
}

impl Dirs {
    pub(super) fn locate(loc: &Locations) -> Dirs {
        Dirs {
            criterion: super::locations::criterion_dir(loc.criterion_dir.as_deref()),
            results: super::locations::results_dir(loc.results_dir.as_deref()),
        }
    }
}

/// The gate's settings from the command line, checked.
pub(super) fn config(args: &GateArgs) -> anyhow::Result<GateConfig> {
    GateConfig::new(args.threshold / 100.0, args.alpha, GateConfig::default().power).map_err(|e| {
        let hint = if e.field == "threshold" { " (--threshold is in percent, e.g. --threshold 3)" } else { "" };
        anyhow::anyhow!("invalid --{}: {e}{hint}", e.field)
    })
}

/// The calibration in effect and where it came from; warns when it was measured elsewhere.
pub(super) struct Noise {
    pub map: BTreeMap<String, NoiseEstimate>,
    pub fingerprint: Option<Fingerprint>,
    /// Why a calibration was not used, for every output's warnings.
    pub note: Option<String>,
}

/// The calibration for comparisons whose pairs are run as `pairing`: `--calibration FILE`, else
/// the nearest `baselines/` file for that pairing. A file made with other pairs is not used (its
/// pair noise is not this comparison's), and the outputs say so.
pub(super) fn noise(args: &GateArgs, pairing: Pairing) -> anyhow::Result<Noise> {
    let none = |note| Ok(Noise { map: BTreeMap::new(), fingerprint: None, note });
    let file = if args.no_calibration {
        None
    } else if let Some(f) = &args.calibration {
        Some(f.clone())
    } else {
        Calibration::discover(&std::env::current_dir().context("cannot read the current directory")?, pairing)
    };
    let Some(file) = file else {
        return none(None);
    };
    let cal = Calibration::load(&file).with_context(|| {
        format!(
            "cannot use calibration {} (fix or delete it, re-run `noisegate calibrate`, or pass --no-calibration)",
            file.display()
        )
    })?;
    if cal.pairing != pairing {
        let fix = match pairing {
            Pairing::Duet => "`noisegate calibrate --mode duet`",
            Pairing::BackToBack => "`noisegate calibrate --mode alternate`",
        };
        return none(Some(format!(
            "calibration {} was measured with {} pairs and this comparison's pairs are {}: not used (run {fix})",
            file.display(),
            cal.pairing.as_str(),
            pairing.as_str()
        )));
    }
    Ok(Noise { map: cal.benchmarks, fingerprint: Some(cal.fingerprint), note: None })
}

/// A gathered side and the machine its figures came from (None = this machine).
pub(super) struct Side {
    pub data: SideData,
    pub fingerprint: Option<Fingerprint>,
    /// Keeps a temporary criterion directory (imported baseline files) alive while in use.
    _imported: Option<tempfile::TempDir>,
}

impl Side {
    /// Read from committed baseline files (so its files' times are the import's, not the run's).
    pub(super) fn imported(&self) -> bool {
        self._imported.is_some()
    }

    /// Leaves out head benchmarks whose newest result was written before the base's: with the
    /// default head `new`, those are leftovers of an earlier run (criterion only rewrites `new`
    /// for the benchmarks a run measured, and `--save-baseline` does not touch `new`). Returns
    /// the ids left out.
    pub(super) fn drop_stale(&mut self, base: &Side) -> Vec<String> {
        if base.imported() {
            return Vec::new();
        }
        let stale: Vec<String> = self
            .data
            .written
            .iter()
            .filter(|(id, head)| base.data.written.get(*id).is_some_and(|b| b > *head))
            .map(|(id, _)| id.clone())
            .collect();
        self.data.series.retain(|s| !stale.contains(&s.id));
        stale
    }
}

/// Gathers a side, naming the side in any error. A name that criterion's directory lacks but
/// `baselines/NAME.json` has is imported into a temporary directory first.
pub(super) fn side(
    dirs: &Dirs,
    which: &str,
    names: &[String],
    baselines_dir: &Path,
    figure: Figure,
) -> anyhow::Result<Side> {
    let options = CollectOptions { figure, ..Default::default() };
    let context = || format!("cannot read the {which} side ({})", names.join(","));
    let local = dirs.criterion.baselines().unwrap_or_default();
    let missing: Vec<&String> = names.iter().filter(|n| !local.contains(*n)).collect();
    let files: Vec<PathBuf> =
        missing.iter().map(|n| baselines_dir.join(format!("{n}.json"))).filter(|p| p.is_file()).collect();
    if files.is_empty() || files.len() != missing.len() {
        let data = sides::collect_side(&dirs.criterion, &dirs.results, names, options).with_context(context)?;
        let fingerprint = names.iter().find_map(|n| baseline::fingerprint_of(&dirs.criterion, n));
        return Ok(Side { data, fingerprint, _imported: None });
    }
    if files.len() != names.len() {
        anyhow::bail!(
            "the {which} side mixes committed baseline files and local criterion baselines; import the files first (`noisegate baseline import NAME`)"
        );
    }
    let tmp = tempfile::tempdir().context("cannot create a temporary directory")?;
    let criterion = CriterionDir::at(tmp.path().join("criterion"));
    let results = ResultsDir::at(tmp.path().join("noisegate"));
    for file in &files {
        baseline::import(file, &criterion, &results, None).with_context(context)?;
    }
    let data = sides::collect_side(&criterion, &results, names, options).with_context(context)?;
    let fingerprint = names.iter().find_map(|n| baseline::fingerprint_of(&criterion, n));
    Ok(Side { data, fingerprint, _imported: Some(tmp) })
}

/// Judges two sides and assembles every warning a reader must see.
pub(super) fn compare(base: &Side, head: &Side, noise: &Noise, config: &GateConfig) -> Comparison {
    let here = Fingerprint::detect();
    let base_fp = base.fingerprint.clone().unwrap_or_else(|| here.clone());
    let head_fp = head.fingerprint.clone().unwrap_or_else(|| here.clone());
    let mut warnings = baseline::machine_warnings(&base_fp, &head_fp, noise.fingerprint.as_ref());
    warnings.extend(noise.note.clone());
    let formats: std::collections::BTreeSet<&String> = base.data.formats.iter().chain(&head.data.formats).collect();
    if formats.len() > 1 {
        let list: Vec<&str> = formats.iter().map(|s| s.as_str()).collect();
        warnings.push(format!(
            "mixed criterion output formats: {} (results from different criterion versions)",
            list.join(", ")
        ));
    }
    let rows = gate::judge(&base.data.series, &head.data.series, &noise.map, config);
    Comparison {
        base_names: base.data.names.clone(),
        head_names: head.data.names.clone(),
        config: *config,
        rows,
        warnings,
    }
}

fn format(f: FormatArg) -> Format {
    match f {
        FormatArg::Text => Format::Text,
        FormatArg::Markdown => Format::Markdown,
        FormatArg::Json => Format::Json,
        FormatArg::Bmf => Format::Bmf,
        FormatArg::GithubBenchmark => Format::GithubBenchmark,
    }
}

/// Whether to colour stdout: `--color`, else NO_COLOR / a terminal.
pub(super) fn use_color(arg: ColorArg) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal(),
    }
}

/// Prints and/or writes the comparison and maps it to an outcome.
pub(super) fn emit(cmp: &Comparison, out: &OutputArgs) -> anyhow::Result<Outcome> {
    let color = use_color(out.color);
    let fmt = format(out.format);
    match &out.output {
        Some(path) => {
            let rendered = report::render(cmp, fmt, &RenderOptions { color: false });
            write_output(path, rendered.body.as_bytes())?;
            print!("{}", report::render(cmp, Format::Text, &RenderOptions { color }).body);
            println!("wrote {}", path.display());
            for note in rendered.notes {
                eprintln!("note: {note}");
            }
        }
        None => {
            let rendered = report::render(cmp, fmt, &RenderOptions { color: color && fmt == Format::Text });
            print!("{}", rendered.body);
            for note in rendered.notes {
                eprintln!("note: {note}");
            }
        }
    }
    Ok(Outcome::from(cmp.outcome()))
}

/// Writes an output file atomically, so a failure leaves any previous file intact.
pub(super) fn write_output(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic(path, bytes)
        .with_context(|| format!("cannot write --output {} (choose a writable path)", path.display()))
}
