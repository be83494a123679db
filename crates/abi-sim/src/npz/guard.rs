//! Checks of an `.npz` archive before any of its arrays is read: every entry's `.npy` header is
//! parsed from a bounded buffer, and the bytes its shape needs must fit in what the entry can
//! hold, so no size declared in a file is allocated unchecked.
//!
//! What an entry can hold is bounded by the archive itself: a stored entry holds its
//! compressed size; a deflated one at most [`MAX_COMPRESSION_RATIO`] times it (deflate cannot
//! exceed about 1 032 : 1), and never more than the size its zip header declares.

use super::file_err;
use crate::error::Result;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The largest ratio of an entry's uncompressed to its compressed size that is accepted.
pub const MAX_COMPRESSION_RATIO: u64 = 1_100;

/// The largest `.npy` header accepted (NumPy writes headers of under 200 bytes).
const MAX_HEADER_BYTES: usize = 64 * 1024;

const MAGIC: &[u8] = b"\x93NUMPY";

/// Checks every entry of the archive at `path` (see the module documentation).
pub(crate) fn check_archive(path: &Path) -> Result<()> {
    let file = File::open(path).map_err(|e| file_err(path, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| file_err(path, e))?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| file_err(path, e))?;
        let name = entry.name().to_string();
        let declared = entry.size();
        let capacity = match entry.compression() {
            zip::CompressionMethod::Stored => entry.compressed_size(),
            _ => entry
                .compressed_size()
                .saturating_mul(MAX_COMPRESSION_RATIO),
        }
        .min(declared);
        let (header_bytes, data_bytes) = declared_sizes(&mut entry)
            .map_err(|reason| file_err(path, format!("entry `{name}`: {reason}")))?;
        let needed = data_bytes.saturating_add(header_bytes);
        if needed > capacity {
            return Err(file_err(
                path,
                format!(
                    "entry `{name}` declares an array of {data_bytes} bytes, but the archive \
                     holds at most {capacity} bytes for it"
                ),
            ));
        }
    }
    Ok(())
}

/// The header's length and the bytes of the data its shape and type declare.
fn declared_sizes(entry: &mut impl Read) -> std::result::Result<(u64, u64), String> {
    let truncated = |e: std::io::Error| format!("truncated .npy header ({e})");
    // magic string, major and minor version, then the header's length
    let mut lead = [0u8; 8];
    entry.read_exact(&mut lead).map_err(truncated)?;
    if &lead[..6] != MAGIC {
        return Err("not an .npy array (bad magic string)".into());
    }
    let length_bytes = match lead[6] {
        1 => 2,
        2 | 3 => 4,
        v => return Err(format!(".npy format version {v} is not supported")),
    };
    let mut length = [0u8; 4];
    entry
        .read_exact(&mut length[..length_bytes])
        .map_err(truncated)?;
    let header_len = u32::from_le_bytes(length) as usize;
    if header_len > MAX_HEADER_BYTES {
        return Err(format!(
            ".npy header of {header_len} bytes (at most {MAX_HEADER_BYTES} are accepted)"
        ));
    }
    let mut whole = Vec::with_capacity(8 + length_bytes + header_len);
    whole.extend_from_slice(&lead);
    whole.extend_from_slice(&length[..length_bytes]);
    whole.resize(8 + length_bytes + header_len, 0);
    entry
        .read_exact(&mut whole[8 + length_bytes..])
        .map_err(truncated)?;
    let header = ndarray_npy::npy::header::Header::from_reader(&mut whole.as_slice())
        .map_err(|e| format!("unreadable .npy header: {e}"))?;
    let elements = header
        .shape
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(d as u64))
        .ok_or("the shape's element count overflows")?;
    let data = elements
        .checked_mul(item_size(&header.type_descriptor.to_string()))
        .ok_or("the shape's byte count overflows")?;
    Ok((whole.len() as u64, data))
}

/// The bytes per element of a NumPy type string such as `'<f8'` (1 when it names none).
fn item_size(descriptor: &str) -> u64 {
    let digits: String = descriptor
        .chars()
        .rev()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().unwrap_or(1).max(1)
}
