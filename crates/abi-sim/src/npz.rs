//! Simulations as NumPy `.npz` files (one array per name), and sharded folders of them.

use crate::array::Array;
use crate::batch::Batch;
use crate::error::{Result, SimError};
use ndarray::ArrayD;
use ndarray_npy::{NpzReader, NpzWriter};
use std::fs::File;
use std::path::{Path, PathBuf};

fn file_err(path: &Path, e: impl std::fmt::Display) -> SimError {
    SimError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Writes a batch as an uncompressed `.npz` archive (readable by `numpy.load`), atomically.
pub fn write_npz(batch: &Batch, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let tmp = path.with_extension("npz.tmp");
    {
        let file = File::create(&tmp).map_err(|e| file_err(path, e))?;
        let mut npz = NpzWriter::new(file);
        for (name, a) in batch.iter() {
            let r = match a {
                Array::F64(x) => npz.add_array(name, x),
                Array::F32(x) => npz.add_array(name, x),
                Array::I64(x) => npz.add_array(name, x),
            };
            r.map_err(|e| file_err(path, format!("entry `{name}`: {e}")))?;
        }
        npz.finish().map_err(|e| file_err(path, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| file_err(path, e))
}

/// Reads an `.npz` archive (ours or NumPy's `savez` / `savez_compressed`) into a batch.
/// Entries of type float64, float32 and int64 are supported; names keep the archive's order.
pub fn read_npz(path: impl AsRef<Path>) -> Result<Batch> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| file_err(path, e))?;
    let mut npz = NpzReader::new(file).map_err(|e| file_err(path, e))?;
    let names = npz.names().map_err(|e| file_err(path, e))?;
    let mut batch = Batch::new();
    for raw in names {
        let name = raw.strip_suffix(".npy").unwrap_or(&raw).to_string();
        let as_f64: std::result::Result<ArrayD<f64>, _> = npz.by_name(&raw);
        let as_f32: Option<ArrayD<f32>> = if as_f64.is_err() {
            npz.by_name(&raw).ok()
        } else {
            None
        };
        let array: Array = if let Ok(a) = as_f64 {
            Array::F64(a)
        } else if let Some(a) = as_f32 {
            Array::F32(a)
        } else {
            let a: ArrayD<i64> = npz.by_name(&raw).map_err(|e| {
                file_err(
                    path,
                    format!("entry `{name}` is not float64, float32 or int64: {e}"),
                )
            })?;
            Array::I64(a)
        };
        batch.insert(name, array).map_err(|e| file_err(path, e))?;
    }
    Ok(batch)
}

/// Writes simulations as a folder of numbered `.npz` shards: the on-disk dataset format.
#[derive(Debug)]
pub struct ShardWriter {
    dir: PathBuf,
    next: usize,
}

impl ShardWriter {
    /// Creates (or reuses) the folder; new shards are numbered after the existing ones.
    pub fn new(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| file_err(&dir, e))?;
        let next = shard_paths(&dir)?.len();
        Ok(Self { dir, next })
    }

    /// Writes one shard and returns its path.
    pub fn write(&mut self, batch: &Batch) -> Result<PathBuf> {
        let path = self.dir.join(format!("shard-{:06}.npz", self.next));
        write_npz(batch, &path)?;
        self.next += 1;
        Ok(path)
    }
}

/// The shards of a folder, sorted by name.
pub fn shard_paths(dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| file_err(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "npz"))
        .collect();
    paths.sort();
    Ok(paths)
}
