//! Saving and loading named tensors as safetensors with a versioned abi header.
//!
//! The safetensors format holds raw little-endian data and a JSON header; it cannot execute
//! code on load. abi adds to the header's metadata the keys [`FORMAT_KEY`] and
//! [`VERSION_KEY`], and writes files atomically (a temporary file renamed into place).

use crate::backend::Backend;
use crate::element::{DType, Element};
use crate::error::{Result, TensorError};
use crate::tensor::Tensor;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Metadata key naming the file format.
pub const FORMAT_KEY: &str = "abi.format";
/// Value of [`FORMAT_KEY`] in abi tensor files.
pub const FORMAT_NAME: &str = "abi-tensors";
/// Metadata key holding the format version.
pub const VERSION_KEY: &str = "abi.format_version";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Tensors and free-form metadata read from a file.
#[derive(Debug)]
pub struct LoadedFile<B: Backend> {
    /// The tensors by name.
    pub tensors: BTreeMap<String, Tensor<B>>,
    /// The header metadata without abi's own keys.
    pub metadata: BTreeMap<String, String>,
}

fn file_error(path: &Path, reason: impl Into<String>) -> TensorError {
    TensorError::File {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// Writes `tensors` and `metadata` to `path` atomically.
pub fn save_tensors<B: Backend>(
    path: impl AsRef<Path>,
    tensors: &BTreeMap<String, Tensor<B>>,
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let path = path.as_ref();
    let bytes = to_bytes(tensors, metadata).map_err(|e| file_error(path, e.to_string()))?;
    write_atomically(path, &bytes)
}

/// Serialises tensors and metadata to the bytes of a safetensors file.
pub fn to_bytes<B: Backend>(
    tensors: &BTreeMap<String, Tensor<B>>,
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>> {
    let dtype = match B::Elem::DTYPE {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
    };
    let mut buffers = Vec::with_capacity(tensors.len());
    for (name, t) in tensors {
        buffers.push((
            name.clone(),
            t.shape(),
            B::Elem::to_le_bytes_vec(&t.to_vec()?),
        ));
    }
    let mut views = Vec::with_capacity(buffers.len());
    for (name, shape, data) in &buffers {
        let view = TensorView::new(dtype, shape.clone(), data).map_err(|e| TensorError::File {
            path: name.clone(),
            reason: e.to_string(),
        })?;
        views.push((name.clone(), view));
    }
    let mut header: HashMap<String, String> = metadata
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    header.insert(FORMAT_KEY.into(), FORMAT_NAME.into());
    header.insert(VERSION_KEY.into(), FORMAT_VERSION.to_string());
    safetensors::tensor::serialize(views, Some(header)).map_err(|e| TensorError::File {
        path: "<memory>".into(),
        reason: e.to_string(),
    })
}

/// Writes bytes to a temporary file beside `path`, then renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let io_err = |source| TensorError::Io {
        path: path.display().to_string(),
        source,
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| file_error(path, "not a file path"))?
        .to_string_lossy();
    let tmp = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io_err)?;
    std::fs::rename(&tmp, path).map_err(io_err)
}

/// Reads a file written by [`save_tensors`] onto `device`, converting the stored element type
/// to the backend's where they differ (bit-exact when they agree).
pub fn load_tensors<B: Backend>(
    path: impl AsRef<Path>,
    device: &B::Device,
) -> Result<LoadedFile<B>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| TensorError::Io {
        path: path.display().to_string(),
        source,
    })?;
    from_bytes(&bytes, device).map_err(|e| match e {
        TensorError::File { reason, .. } => file_error(path, reason),
        other => other,
    })
}

/// Parses the bytes of a safetensors file written by [`to_bytes`].
pub fn from_bytes<B: Backend>(bytes: &[u8], device: &B::Device) -> Result<LoadedFile<B>> {
    let bad = |reason: String| file_error(Path::new("<memory>"), reason);
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| bad(format!("not a valid safetensors file: {e}")))?;
    let mut metadata: BTreeMap<String, String> = header
        .metadata()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    match metadata.remove(FORMAT_KEY).as_deref() {
        Some(FORMAT_NAME) => {}
        other => {
            return Err(bad(format!(
                "header has {FORMAT_KEY} = {other:?}, expected {FORMAT_NAME:?}"
            )));
        }
    }
    let version = metadata.remove(VERSION_KEY);
    match version.as_deref().map(str::parse::<u32>) {
        Some(Ok(FORMAT_VERSION)) => {}
        _ => {
            return Err(bad(format!(
                "format version {version:?} is not supported (this build reads {FORMAT_VERSION})"
            )));
        }
    }
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("not a valid safetensors file: {e}")))?;
    let mut tensors = BTreeMap::new();
    for (name, view) in st.tensors() {
        let values: Vec<B::Elem> = match view.dtype() {
            Dtype::F32 => f32::from_le_bytes_slice(view.data())
                .ok_or_else(|| bad(format!("tensor `{name}`: truncated data")))?
                .into_iter()
                .map(|v| B::Elem::from_f64(v as f64))
                .collect(),
            Dtype::F64 => f64::from_le_bytes_slice(view.data())
                .ok_or_else(|| bad(format!("tensor `{name}`: truncated data")))?
                .into_iter()
                .map(B::Elem::from_f64)
                .collect(),
            other => {
                return Err(bad(format!(
                    "tensor `{name}` has unsupported dtype {other:?}"
                )));
            }
        };
        let t = Tensor::from_vec(values, view.shape(), device)?;
        tensors.insert(name, t);
    }
    Ok(LoadedFile { tensors, metadata })
}
