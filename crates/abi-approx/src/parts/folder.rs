//! A model folder written as one unit.
//!
//! [`StagedFolder`] writes every file of a save into a hidden sibling folder
//! (`.<name>.saving-<pid>-<n>`), flushes them to disk and then swaps the folder into place:
//! the old folder is renamed aside (`.<name>.previous-<pid>-<n>`), the new one renamed to the
//! target, the old one removed. A process killed at any point leaves either the old model or
//! the new one, never a mix: [`recover`] (run by every save and load) puts the old folder back
//! when the kill fell between the two renames, and removes the leftovers of interrupted saves.
//! Entries of the old folder that the save does not write (a copy of the training settings,
//! notes) are copied into the new one before the swap.

use crate::error::{ApproxError, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const SAVING: &str = "saving";
const PREVIOUS: &str = "previous";

/// A save in progress: files go into [`path`](Self::path), [`commit`](Self::commit) puts them
/// in place; dropped without a commit, the staging folder is removed.
#[derive(Debug)]
pub struct StagedFolder {
    target: PathBuf,
    staging: PathBuf,
    written: Vec<String>,
    committed: bool,
}

/// `<parent>/.<name>.<tag>-<pid>-<n>`, unique within this process.
fn sibling(target: &Path, tag: &str) -> Result<PathBuf> {
    static SAVES: AtomicU64 = AtomicU64::new(0);
    let name = folder_name(target)?;
    let n = SAVES.fetch_add(1, Ordering::Relaxed);
    Ok(target.with_file_name(format!(".{name}.{tag}-{}-{n}", std::process::id())))
}

fn folder_name(target: &Path) -> Result<String> {
    target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| ApproxError::file(target, "not a folder path with a name"))
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The siblings of `target` left by saves with `tag`, oldest name first.
fn leftovers(target: &Path, tag: &str) -> Result<Vec<PathBuf>> {
    let prefix = format!(".{}.{tag}-", folder_name(target)?);
    let parent = parent_of(target);
    let Ok(entries) = fs::read_dir(&parent) else {
        return Ok(Vec::new());
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    found.sort_by_key(|p| fs::metadata(p).and_then(|m| m.modified()).ok());
    Ok(found)
}

/// Restores the folder `target` after an interrupted save and removes what such saves left:
/// when `target` is missing but an old copy was renamed aside, the newest copy goes back.
pub fn recover(target: impl AsRef<Path>) -> Result<()> {
    let target = target.as_ref();
    let mut previous = leftovers(target, PREVIOUS)?;
    if !target.exists() {
        if let Some(newest) = previous.pop() {
            fs::rename(&newest, target).map_err(|e| ApproxError::file(target, e))?;
        }
    }
    for stale in previous.into_iter().chain(leftovers(target, SAVING)?) {
        // a concurrent save of the same folder loses its staging folder and fails at commit
        let _ = fs::remove_dir_all(&stale);
    }
    Ok(())
}

impl StagedFolder {
    /// Starts a save into `target` (created with its parents where missing).
    pub fn begin(target: impl AsRef<Path>) -> Result<Self> {
        let target = target.as_ref().to_path_buf();
        if target.exists() && !target.is_dir() {
            return Err(ApproxError::file(&target, "exists and is not a folder"));
        }
        recover(&target)?;
        fs::create_dir_all(parent_of(&target)).map_err(|e| ApproxError::file(&target, e))?;
        let staging = sibling(&target, SAVING)?;
        fs::create_dir(&staging).map_err(|e| ApproxError::file(&staging, e))?;
        Ok(Self {
            target,
            staging,
            written: Vec::new(),
            committed: false,
        })
    }

    /// The folder the save's files go into.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The path of the save's file `name`, which the commit will own (not copied from the old
    /// folder).
    pub fn file(&mut self, name: &str) -> PathBuf {
        self.owns(&[name]);
        self.staging.join(name)
    }

    /// Declares entries of the old folder that belong to the saved model and are not carried
    /// over, whether or not this save writes them (e.g. an optimizer state the new model has
    /// none of).
    pub fn owns(&mut self, names: &[&str]) {
        self.written.extend(names.iter().map(|n| n.to_string()));
    }

    /// Writes `bytes` as the save's file `name`.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.file(name);
        fs::write(&path, bytes).map_err(|e| ApproxError::file(&path, e))
    }

    /// Copies the old folder's other entries, flushes everything to disk and swaps the new
    /// folder into place.
    pub fn commit(mut self) -> Result<()> {
        if self.target.is_dir() {
            let entries =
                fs::read_dir(&self.target).map_err(|e| ApproxError::file(&self.target, e))?;
            for entry in entries.filter_map(|e| e.ok()) {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !self.written.contains(&name) {
                    copy_recursively(&entry.path(), &self.staging.join(&name))?;
                }
            }
        }
        sync_tree(&self.staging)?;
        let aside = if self.target.exists() {
            let aside = sibling(&self.target, PREVIOUS)?;
            fs::rename(&self.target, &aside).map_err(|e| ApproxError::file(&self.target, e))?;
            Some(aside)
        } else {
            None
        };
        if let Err(e) = fs::rename(&self.staging, &self.target) {
            if let Some(aside) = &aside {
                let _ = fs::rename(aside, &self.target);
            }
            return Err(ApproxError::file(&self.target, e));
        }
        self.committed = true;
        sync_dir(&parent_of(&self.target))?;
        if let Some(aside) = aside {
            let _ = fs::remove_dir_all(aside);
        }
        Ok(())
    }
}

impl Drop for StagedFolder {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

fn copy_recursively(from: &Path, to: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(from).map_err(|e| ApproxError::file(from, e))?;
    if meta.is_dir() {
        fs::create_dir_all(to).map_err(|e| ApproxError::file(to, e))?;
        for entry in fs::read_dir(from).map_err(|e| ApproxError::file(from, e))? {
            let entry = entry.map_err(|e| ApproxError::file(from, e))?;
            copy_recursively(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        fs::copy(from, to)
            .map(|_| ())
            .map_err(|e| ApproxError::file(from, e))
    }
}

/// Flushes every file under `dir`, then the folders themselves.
fn sync_tree(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| ApproxError::file(dir, e))? {
        let path = entry.map_err(|e| ApproxError::file(dir, e))?.path();
        if path.is_dir() {
            sync_tree(&path)?;
        } else {
            fs::File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(|e| ApproxError::file(&path, e))?;
        }
    }
    sync_dir(dir)
}

/// Flushes a folder's entries (a no-op where folders cannot be opened, as on Windows).
fn sync_dir(dir: &Path) -> Result<()> {
    match fs::File::open(dir) {
        Ok(f) => f.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_replaces_the_folder_and_keeps_foreign_files() -> Result<()> {
        let root = tempfile::tempdir().map_err(|e| ApproxError::file(Path::new("tmp"), e))?;
        let target = root.path().join("model");
        let mut first = StagedFolder::begin(&target)?;
        first.write("a.txt", b"one")?;
        first.write("old_only.txt", b"gone")?;
        first.commit()?;
        fs::write(target.join("notes.txt"), b"mine").map_err(|e| ApproxError::file(&target, e))?;
        let mut second = StagedFolder::begin(&target)?;
        second.write("a.txt", b"two")?;
        second.write("old_only.txt", b"new")?;
        second.commit()?;
        let read = |n: &str| fs::read(target.join(n)).unwrap_or_default();
        assert_eq!(read("a.txt"), b"two");
        assert_eq!(read("notes.txt"), b"mine");
        let names: Vec<_> = fs::read_dir(root.path())
            .map_err(|e| ApproxError::file(root.path(), e))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("model")]);
        Ok(())
    }

    #[test]
    fn an_interrupted_save_leaves_the_old_folder() -> Result<()> {
        let root = tempfile::tempdir().map_err(|e| ApproxError::file(Path::new("tmp"), e))?;
        let target = root.path().join("model");
        let mut first = StagedFolder::begin(&target)?;
        first.write("a.txt", b"one")?;
        first.commit()?;
        // dropped before the commit: nothing changes, nothing is left
        let mut abandoned = StagedFolder::begin(&target)?;
        abandoned.write("a.txt", b"two")?;
        drop(abandoned);
        assert_eq!(fs::read(target.join("a.txt")).ok(), Some(b"one".to_vec()));
        // killed between the two renames: the old folder is aside, the target missing
        let aside = sibling(&target, PREVIOUS)?;
        fs::rename(&target, &aside).map_err(|e| ApproxError::file(&target, e))?;
        let staged = sibling(&target, SAVING)?;
        fs::create_dir(&staged).map_err(|e| ApproxError::file(&staged, e))?;
        recover(&target)?;
        assert_eq!(fs::read(target.join("a.txt")).ok(), Some(b"one".to_vec()));
        assert!(!aside.exists() && !staged.exists());
        Ok(())
    }
}
