//! Folders of numbered `.npz` shards: the on-disk dataset format.

use super::{file_err, temporary_beside, write_npz};
use crate::batch::Batch;
use crate::error::Result;
use std::path::{Path, PathBuf};

/// Writes simulations as a folder of numbered `.npz` shards: the on-disk dataset format.
///
/// A new shard is numbered after the highest number in the folder and never replaces a file:
/// it is written under a temporary name and linked into place only where no file of its name
/// exists (another writer's shard moves the number on).
///
/// ```
/// use abi_sim::Batch;
/// use abi_sim::npz::{ShardWriter, shard_paths};
/// let dir = tempfile::tempdir()?;
/// let mut batch = Batch::new();
/// batch.insert("x", ndarray::Array2::<f64>::zeros((2, 3)).into_dyn())?;
/// let mut writer = ShardWriter::new(dir.path())?;
/// let first = writer.write(&batch)?;
/// writer.write(&batch)?;
/// std::fs::remove_file(&first)?;
/// // a writer opened later numbers after the highest shard, not after the count
/// let third = ShardWriter::new(dir.path())?.write(&batch)?;
/// assert!(third.ends_with("shard-000002.npz"));
/// assert_eq!(shard_paths(dir.path())?.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ShardWriter {
    dir: PathBuf,
    next: u64,
}

/// The number of a shard named `shard-NNNNNN.npz`.
fn shard_number(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    name.strip_prefix("shard-")?
        .strip_suffix(".npz")?
        .parse()
        .ok()
}

impl ShardWriter {
    /// Creates (or reuses) the folder; new shards are numbered after the highest existing one.
    pub fn new(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| file_err(&dir, e))?;
        let next = shard_paths(&dir)?
            .iter()
            .filter_map(|p| shard_number(p))
            .max()
            .map_or(0, |n| n.saturating_add(1));
        Ok(Self { dir, next })
    }

    /// Writes one shard and returns its path; an existing file is never replaced.
    pub fn write(&mut self, batch: &Batch) -> Result<PathBuf> {
        let staged = temporary_beside(&self.dir.join("shard.npz"));
        write_npz(batch, &staged)?;
        let linked = loop {
            let path = self.dir.join(format!("shard-{:06}.npz", self.next));
            self.next = self.next.saturating_add(1);
            match std::fs::hard_link(&staged, &path) {
                Ok(()) => break Ok(path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => break Err(file_err(&path, e)),
            }
        };
        let removed = std::fs::remove_file(&staged).map_err(|e| file_err(&staged, e));
        let path = linked?;
        removed?;
        Ok(path)
    }
}

/// The shards of a folder (its `.npz` files), sorted by name.
pub fn shard_paths(dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| file_err(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "npz") && p.is_file())
        .collect();
    paths.sort();
    Ok(paths)
}
