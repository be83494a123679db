//! Simulations as NumPy `.npz` files (one array per name), and sharded folders of them.
//!
//! Reading checks every entry's declared shape against the bytes the archive can hold
//! (`guard.rs`) before anything is allocated, so a crafted file is an error, never an abort.

mod guard;
mod shards;

pub use guard::MAX_COMPRESSION_RATIO;
pub use shards::{ShardWriter, shard_paths};

use crate::array::Array;
use crate::batch::Batch;
use crate::error::{Result, SimError};
use ndarray::ArrayD;
use ndarray_npy::{NpzReader, NpzWriter};
use std::fs::File;
use std::path::Path;

pub(crate) fn file_err(path: &Path, e: impl std::fmt::Display) -> SimError {
    SimError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Writes a batch as an uncompressed `.npz` archive (readable by `numpy.load`), atomically.
pub fn write_npz(batch: &Batch, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let tmp = temporary_beside(path);
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
        let file = npz.finish().map_err(|e| file_err(path, e))?;
        file.sync_all().map_err(|e| file_err(path, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| file_err(path, e))
}

/// A temporary name beside `path`, unique to this process and call.
pub(crate) fn temporary_beside(path: &Path) -> std::path::PathBuf {
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path
        .file_name()
        .map_or_else(|| "npz".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp-{}-{call}", std::process::id()))
}

/// Reads an `.npz` archive (ours or NumPy's `savez` / `savez_compressed`) into a batch.
/// Entries of type float64, float32 and int64 are supported; names keep the archive's order.
/// An entry whose declared shape needs more bytes than the archive holds is an error naming
/// the entry, raised before anything is allocated.
pub fn read_npz(path: impl AsRef<Path>) -> Result<Batch> {
    let path = path.as_ref();
    guard::check_archive(path)?;
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
