//! `noisegate baseline export|import`: committed baseline files.

use std::path::{Path, PathBuf};

use anyhow::Context;
use bench_core::baseline;

use super::Outcome;
use super::judge::Dirs;
use crate::cli::Locations;

pub(super) fn export(name: &str, dir: &Path, loc: &Locations) -> anyhow::Result<Outcome> {
    let dirs = Dirs::locate(loc);
    let path = baseline::export(&dirs.criterion, &dirs.results, name, dir)
        .with_context(|| format!("cannot export baseline `{name}` (nothing was written)"))?;
    println!("wrote {}", path.display());
    Ok(Outcome::Passed)
}

pub(super) fn import(name: &str, as_name: Option<&str>, dir: &Path, loc: &Locations) -> anyhow::Result<Outcome> {
    let dirs = Dirs::locate(loc);
    let file = resolve(name, dir);
    let summary = baseline::import(&file, &dirs.criterion, &dirs.results, as_name)
        .with_context(|| format!("cannot import {}", file.display()))?;
    println!("{summary}");
    Ok(Outcome::Passed)
}

/// A baseline file: NAME means DIR/NAME.json; anything with a path separator or `.json` is a path.
fn resolve(name: &str, dir: &Path) -> PathBuf {
    if name.contains(std::path::MAIN_SEPARATOR) || name.ends_with(".json") {
        PathBuf::from(name)
    } else {
        dir.join(format!("{name}.json"))
    }
}
