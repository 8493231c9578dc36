//! All-or-nothing writes of many files. Every file is first written in full to a temporary file
//! beside its target ([`Staged::stage`]); nothing is replaced until all of them are written.
//! [`Staged::commit`] then renames each into place, and if a rename fails it puts back the
//! files it already replaced. A write that fails part-way (disk full, a directory that cannot
//! be created) leaves every target as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::TempPath;

use crate::results::ResultsError;

/// Files written but not yet in place. Dropping it removes them (and the directories staging
/// created), so an error anywhere before [`Staged::commit`] changes nothing.
#[derive(Default)]
pub(crate) struct Staged {
    items: Vec<(PathBuf, TempPath)>,
    created_dirs: Vec<PathBuf>,
}

fn io<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> ResultsError + 'p {
    move |source| ResultsError::Io { action, path: path.into(), source }
}

impl Staged {
    /// Writes `bytes` to a temporary file in `target`'s directory (created if needed).
    pub(crate) fn stage(&mut self, target: &Path, bytes: &[u8]) -> Result<(), ResultsError> {
        let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let missing: Vec<PathBuf> = parent.ancestors().take_while(|a| !a.exists()).map(Path::to_path_buf).collect();
        std::fs::create_dir_all(parent).map_err(io("create directory", parent))?;
        self.created_dirs.extend(missing);
        let mut builder = tempfile::Builder::new();
        builder.prefix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o644));
        }
        let mut tmp = builder.tempfile_in(parent).map_err(io("create a temporary file in", parent))?;
        tmp.write_all(bytes).map_err(io("write", tmp.path()))?;
        tmp.as_file().sync_all().map_err(io("flush", tmp.path()))?;
        self.items.push((target.to_path_buf(), tmp.into_temp_path()));
        Ok(())
    }

    /// Renames every staged file onto its target. If one rename fails, the targets already
    /// replaced get their old contents back (and new ones are removed) before the error returns.
    pub(crate) fn commit(mut self) -> Result<(), ResultsError> {
        let items = std::mem::take(&mut self.items);
        // (target, backup of what it replaced)
        let mut done: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
        let mut result = Ok(());
        for (target, staged) in items {
            let backup = target.with_file_name(format!(
                ".{}.noisegate-old",
                target.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
            ));
            let had = target.exists();
            if had && let Err(e) = std::fs::rename(&target, &backup) {
                result = Err(io("set aside", &target)(e));
                break;
            }
            if let Err(e) = staged.persist(&target) {
                if had {
                    let _ = std::fs::rename(&backup, &target);
                }
                result = Err(io("replace", &target)(e.error));
                break;
            }
            done.push((target, had.then_some(backup)));
        }
        if result.is_err() {
            for (target, backup) in done.into_iter().rev() {
                match backup {
                    Some(b) => {
                        let _ = std::fs::rename(&b, &target);
                    }
                    None => {
                        let _ = std::fs::remove_file(&target);
                    }
                }
            }
            return result;
        }
        for backup in done.into_iter().filter_map(|(_, b)| b) {
            let _ = std::fs::remove_file(backup);
        }
        self.created_dirs.clear();
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // The temporary files go with their `TempPath`s; then the directories staging made,
        // deepest first (only if empty: something else may have written there meanwhile).
        self.items.clear();
        for dir in &self.created_dirs {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_while_staging_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a/x.json");
        std::fs::create_dir_all(a.parent().unwrap()).unwrap();
        std::fs::write(&a, "old").unwrap();
        // `b` cannot have a directory: a file is in the way.
        std::fs::write(dir.path().join("b"), "a file").unwrap();
        let mut s = Staged::default();
        s.stage(&a, b"new").unwrap();
        s.stage(&dir.path().join("c/d/y.json"), b"new").unwrap();
        assert!(s.stage(&dir.path().join("b/z.json"), b"new").is_err());
        drop(s);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old");
        assert!(!dir.path().join("c").exists(), "directories made for staging are removed");
        let left: Vec<_> = std::fs::read_dir(a.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, ["x.json"], "no temporary file is left");
    }

    #[test]
    fn commit_replaces_every_file_and_a_failed_rename_puts_the_old_ones_back() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
        std::fs::write(&a, "old a").unwrap();
        let mut s = Staged::default();
        s.stage(&a, b"new a").unwrap();
        s.stage(&b, b"new b").unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "new b");

        // The second target cannot be set aside: a non-empty directory holds its backup name.
        let c = dir.path().join("c.json");
        std::fs::write(&c, "old c").unwrap();
        std::fs::create_dir_all(dir.path().join(".c.json.noisegate-old/inside")).unwrap();
        let mut s = Staged::default();
        s.stage(&a, b"newer a").unwrap();
        s.stage(&c, b"new c").unwrap();
        assert!(s.commit().is_err());
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a", "the replaced file is back");
        assert_eq!(std::fs::read_to_string(&c).unwrap(), "old c");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into())
            .filter(|n: &String| n != ".c.json.noisegate-old")
            .collect();
        assert!(names.iter().all(|n| !n.starts_with('.')), "no backup or temporary file is left: {names:?}");
    }
}
