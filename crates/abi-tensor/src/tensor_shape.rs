//! Shape and indexing methods of [`Tensor<B>`].

use crate::backend::Backend;
use crate::check;
use crate::error::{Result, TensorError};
use crate::shape::{check_axes, check_axis, check_broadcast_to, check_permutation, numel};
use crate::tensor::Tensor;

impl<B: Backend> Tensor<B> {
    /// The same elements in a new shape with as many elements (see [`Tensor::reshape_infer`]
    /// for an inferred axis).
    pub fn reshape(&self, shape: &[usize]) -> Result<Self> {
        if numel(shape) != self.numel() {
            return Err(TensorError::ShapeMismatch {
                op: "reshape",
                lhs: self.shape(),
                rhs: shape.to_vec(),
            });
        }
        B::reshape(self.raw(), shape).map(Self::from_raw)
    }

    /// Reshape where `None` marks the one axis whose length is inferred.
    ///
    /// ```
    /// # fn demo<B: abi_tensor::Backend>(x: &abi_tensor::Tensor<B>) -> abi_tensor::Result<()> {
    /// let flat = x.reshape_infer(&[Some(x.dim(0)?), None])?; // (batch, everything else)
    /// # Ok(()) }
    /// ```
    pub fn reshape_infer(&self, shape: &[Option<usize>]) -> Result<Self> {
        let known: usize = shape.iter().flatten().product();
        let holes = shape.iter().filter(|d| d.is_none()).count();
        let n = self.numel();
        if holes > 1 || known == 0 || n % known != 0 {
            return Err(TensorError::InvalidArgument {
                op: "reshape_infer",
                reason: format!("cannot fit {:?} elements into {shape:?}", self.shape()),
            });
        }
        let full: Vec<usize> = shape.iter().map(|d| d.unwrap_or(n / known)).collect();
        self.reshape(&full)
    }

    /// Reorders the axes: output axis `i` is input axis `perm[i]`.
    pub fn permute(&self, perm: &[usize]) -> Result<Self> {
        check_permutation("permute", perm, self.rank())?;
        B::permute(self.raw(), perm).map(Self::from_raw)
    }

    /// Swaps two axes.
    pub fn transpose(&self, a: usize, b: usize) -> Result<Self> {
        let rank = self.rank();
        check_axis("transpose", a, rank)?;
        check_axis("transpose", b, rank)?;
        let mut perm: Vec<usize> = (0..rank).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// Swaps the last two axes (matrix transpose, batched).
    pub fn t(&self) -> Result<Self> {
        let rank = self.rank();
        if rank < 2 {
            return Err(TensorError::InvalidShape {
                op: "t",
                shape: self.shape(),
                reason: "need at least two axes".into(),
            });
        }
        self.transpose(rank - 2, rank - 1)
    }

    /// Broadcasts to `shape`.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Self> {
        check_broadcast_to("broadcast_to", &self.shape(), shape)?;
        B::broadcast_to(self.raw(), shape).map(Self::from_raw)
    }

    /// Inserts a unit axis at `axis`.
    pub fn unsqueeze(&self, axis: usize) -> Result<Self> {
        let mut shape = self.shape();
        if axis > shape.len() {
            return Err(TensorError::AxisOutOfRange {
                op: "unsqueeze",
                axis,
                rank: shape.len(),
            });
        }
        shape.insert(axis, 1);
        self.reshape(&shape)
    }

    /// Removes the unit axis `axis`.
    pub fn squeeze(&self, axis: usize) -> Result<Self> {
        let mut shape = self.shape();
        check_axis("squeeze", axis, shape.len())?;
        if shape[axis] != 1 {
            return Err(TensorError::InvalidShape {
                op: "squeeze",
                shape,
                reason: format!("axis {axis} is not of length 1"),
            });
        }
        shape.remove(axis);
        self.reshape(&shape)
    }

    /// Merges the axes from `start` on into one.
    pub fn flatten_from(&self, start: usize) -> Result<Self> {
        let shape = self.shape();
        if start >= shape.len() {
            return Err(TensorError::AxisOutOfRange {
                op: "flatten_from",
                axis: start,
                rank: shape.len(),
            });
        }
        let mut out = shape[..start].to_vec();
        out.push(shape[start..].iter().product());
        self.reshape(&out)
    }

    /// Concatenates tensors along `axis`.
    pub fn cat(xs: &[Tensor<B>], axis: usize) -> Result<Self> {
        let shapes: Vec<Vec<usize>> = xs.iter().map(Tensor::shape).collect();
        check::cat(&shapes, axis)?;
        let raws: Vec<B::Tensor> = xs.iter().map(|x| x.raw().clone()).collect();
        B::cat(&raws, axis).map(Self::from_raw)
    }

    /// Stacks equally shaped tensors along a new axis.
    pub fn stack(xs: &[Tensor<B>], axis: usize) -> Result<Self> {
        let expanded: Vec<Tensor<B>> = xs
            .iter()
            .map(|x| x.unsqueeze(axis))
            .collect::<Result<_>>()?;
        Self::cat(&expanded, axis)
    }

    /// The slice `start..start + len` of `axis`.
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Result<Self> {
        check::narrow(&self.shape(), axis, start, len)?;
        B::narrow(self.raw(), axis, start, len).map(Self::from_raw)
    }

    /// Splits `axis` into pieces of the given sizes (which must add up to its length).
    pub fn split(&self, axis: usize, sizes: &[usize]) -> Result<Vec<Self>> {
        let len = self.dim(axis)?;
        let total: usize = sizes.iter().sum();
        if total != len {
            return Err(TensorError::InvalidArgument {
                op: "split",
                reason: format!("sizes {sizes:?} add up to {total}, axis {axis} has length {len}"),
            });
        }
        let mut start = 0;
        let mut out = Vec::with_capacity(sizes.len());
        for &s in sizes {
            out.push(self.narrow(axis, start, s)?);
            start += s;
        }
        Ok(out)
    }

    /// Splits `axis` into `n` equal pieces.
    pub fn chunk(&self, axis: usize, n: usize) -> Result<Vec<Self>> {
        let len = self.dim(axis)?;
        if n == 0 || len % n != 0 {
            return Err(TensorError::InvalidArgument {
                op: "chunk",
                reason: format!("axis {axis} of length {len} does not split into {n} equal parts"),
            });
        }
        self.split(axis, &vec![len / n; n])
    }

    /// Selects positions of `axis` (repeats allowed).
    pub fn index_select(&self, axis: usize, indices: &[usize]) -> Result<Self> {
        check::index_select(&self.shape(), axis, indices)?;
        B::index_select(self.raw(), axis, indices).map(Self::from_raw)
    }

    /// PyTorch-style gather along `axis` with an integer-valued index tensor (its values are
    /// checked on the host).
    pub fn gather(&self, axis: usize, index: &Self) -> Result<Self> {
        check::index_tensor("gather", index, axis, &self.shape())?;
        B::gather(self.raw(), axis, index.raw()).map(Self::from_raw)
    }

    /// PyTorch-style scatter-add of `src` (shaped like `index`) into a copy of `self` along
    /// `axis`.
    pub fn scatter_add(&self, axis: usize, index: &Self, src: &Self) -> Result<Self> {
        check::index_tensor("scatter_add", index, axis, &self.shape())?;
        check::same_shapes("scatter_add", &index.shape(), &[src.shape()])?;
        B::scatter_add(self.raw(), axis, index.raw(), src.raw()).map(Self::from_raw)
    }

    /// Reverses the given axes.
    pub fn flip(&self, axes: &[usize]) -> Result<Self> {
        let axes = check_axes("flip", axes, self.rank())?;
        B::flip(self.raw(), &axes).map(Self::from_raw)
    }

    /// Inclusive cumulative sum along `axis`.
    pub fn cumsum(&self, axis: usize) -> Result<Self> {
        check_axis("cumsum", axis, self.rank())?;
        B::cumsum(self.raw(), axis).map(Self::from_raw)
    }

    /// Insertion indices of `values` into the sorted last axis of `self` (see
    /// [`Backend::searchsorted`]).
    pub fn searchsorted(&self, values: &Self, right: bool) -> Result<Self> {
        check::searchsorted(&self.shape(), &values.shape())?;
        B::searchsorted(self.raw(), values.raw(), right).map(Self::from_raw)
    }

    /// Bucket index of each value among sorted 1-D `boundaries` (NumPy `digitize` /
    /// PyTorch `bucketize` with `right = false`).
    pub fn bucketize(&self, boundaries: &Self, right: bool) -> Result<Self> {
        if boundaries.rank() != 1 {
            return Err(TensorError::InvalidShape {
                op: "bucketize",
                shape: boundaries.shape(),
                reason: "boundaries must be 1-D".into(),
            });
        }
        boundaries.searchsorted(self, right)
    }

    /// Zero-pads `axis` with `before` and `after` elements.
    pub fn pad(&self, axis: usize, before: usize, after: usize) -> Result<Self> {
        let shape = self.shape();
        check_axis("pad", axis, shape.len())?;
        let mut parts = Vec::with_capacity(3);
        let device = self.device();
        if before > 0 {
            let mut s = shape.clone();
            s[axis] = before;
            parts.push(Self::zeros(&s, &device)?);
        }
        parts.push(self.clone());
        if after > 0 {
            let mut s = shape.clone();
            s[axis] = after;
            parts.push(Self::zeros(&s, &device)?);
        }
        if parts.len() == 1 {
            return Ok(self.clone());
        }
        Self::cat(&parts, axis)
    }
}
