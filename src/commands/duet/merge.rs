//! Moving a duet's private criterion and noisegate trees into the shared ones, and seeing what
//! a run wrote.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Every file under `dir` with its modification time and length, to see what a run wrote.
/// (Comparing modification times with the clock would not do: the kernel stamps files with a
/// coarse clock that lags the precise one by up to a tick.)
pub(super) fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Option<std::time::SystemTime>, u64)> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        match e.file_type() {
            Ok(t) if t.is_dir() => out.extend(snapshot(&e.path())),
            Ok(_) => {
                let meta = e.metadata().ok();
                out.insert(e.path(), (meta.as_ref().and_then(|m| m.modified().ok()), meta.map_or(0, |m| m.len())));
            }
            Err(_) => {}
        }
    }
    out
}

/// Moves everything under `from` to the same place under `to`, keeping what `to` already has
/// (criterion's shared `report/` pages are written by every run; the first copy is kept).
pub(super) fn merge_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", from.display())),
    };
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", from.display()))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let is_dir = entry.file_type().with_context(|| format!("cannot stat {}", src.display()))?.is_dir();
        if !dst.exists() {
            std::fs::rename(&src, &dst)
                .with_context(|| format!("cannot move {} to {}", src.display(), dst.display()))?;
        } else if is_dir && dst.is_dir() {
            merge_tree(&src, &dst)?;
        }
    }
    Ok(())
}
