//! Floating-point element types a backend may compute in.

use serde::{Deserialize, Serialize};
use std::fmt::{Debug, Display};

/// The element type of a tensor, as recorded in saved files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DType {
    /// 32-bit IEEE float (the default for training).
    F32,
    /// 64-bit IEEE float (gradient checks, high-precision reference runs).
    F64,
}

impl Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DType::F32 => f.write_str("f32"),
            DType::F64 => f.write_str("f64"),
        }
    }
}

/// A floating-point scalar a backend stores: `f32` or `f64`.
pub trait Element:
    num_traits::Float
    + num_traits::FromPrimitive
    + num_traits::NumAssign
    + Debug
    + Display
    + Default
    + Send
    + Sync
    + 'static
{
    /// The dtype tag of this element type.
    const DTYPE: DType;
    /// Converts from `f64`, rounding where needed.
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// Little-endian bytes of a slice, as safetensors stores them.
    fn to_le_bytes_vec(data: &[Self]) -> Vec<u8>;
    /// Reads little-endian bytes; `None` when the length is not a multiple of the element size.
    fn from_le_bytes_slice(bytes: &[u8]) -> Option<Vec<Self>>;
}

macro_rules! impl_element {
    ($t:ty, $tag:ident, $n:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$tag;
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn to_le_bytes_vec(data: &[Self]) -> Vec<u8> {
                let mut out = Vec::with_capacity(data.len() * $n);
                for v in data {
                    out.extend_from_slice(&v.to_le_bytes());
                }
                out
            }
            fn from_le_bytes_slice(bytes: &[u8]) -> Option<Vec<Self>> {
                if bytes.len() % $n != 0 {
                    return None;
                }
                Some(
                    bytes
                        .chunks_exact($n)
                        .map(|c| {
                            let mut b = [0u8; $n];
                            b.copy_from_slice(c);
                            <$t>::from_le_bytes(b)
                        })
                        .collect(),
                )
            }
        }
    };
}

impl_element!(f32, F32, 4);
impl_element!(f64, F64, 8);
