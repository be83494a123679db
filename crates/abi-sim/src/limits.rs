//! The cap on the arrays simulations, files and adapters allocate: a shape read from a file
//! or given as a setting (the classes of a one-hot encoding, an array in an `.npz`) is
//! checked against it before any memory is taken. The tensor side has the same cap
//! (`abi_tensor::limits`).

/// The most elements one array may hold (2³¹: 16 GiB in `f64`).
pub const MAX_ARRAY_ELEMENTS: usize = 1 << 31;

/// The element count of `shape` when it neither overflows nor exceeds
/// [`MAX_ARRAY_ELEMENTS`].
///
/// ```
/// use abi_sim::limits::array_elements;
/// assert_eq!(array_elements(&[2, 3]), Some(6));
/// assert_eq!(array_elements(&[1 << 40, 2]), None);
/// ```
pub fn array_elements(shape: &[usize]) -> Option<usize> {
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n <= MAX_ARRAY_ELEMENTS)
}
