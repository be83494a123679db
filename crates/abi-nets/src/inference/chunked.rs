//! Splitting large graph-free batches into row pieces on the thread pool.

use abi_tensor::{Backend, Result, Tensor, parallel};

/// Applies `f` to `inputs` (all sharing their first axis) in pieces of
/// [`Backend::inference_chunk_rows`] rows run in parallel, and joins the results along the
/// first axis. Backends without a chunk size, and batches no larger than one piece, run `f`
/// once. Each piece runs with the caller's gradient mode, and the result does not depend on the
/// number of threads.
pub(crate) fn map_row_chunks<B: Backend>(
    inputs: &[&Tensor<B>],
    f: impl Fn(&[Tensor<B>]) -> Result<Tensor<B>> + Sync,
) -> Result<Tensor<B>> {
    let rows = match inputs.first() {
        Some(x) => x.dim(0)?,
        None => return f(&[]),
    };
    let chunk = match B::inference_chunk_rows() {
        Some(chunk) if chunk > 0 && rows > chunk => chunk,
        _ => return f(&inputs.iter().map(|&x| x.clone()).collect::<Vec<_>>()),
    };
    let starts: Vec<usize> = (0..rows).step_by(chunk).collect();
    let pieces = parallel::try_par_map::<B, _, _, _>(starts, |start| {
        let len = chunk.min(rows - start);
        let parts = inputs
            .iter()
            .map(|x| x.narrow(0, start, len))
            .collect::<Result<Vec<_>>>()?;
        f(&parts)
    })?;
    Tensor::cat(&pieces, 0)
}

/// Maps latent draws `z` `(batch, n, dim)` with conditions `c` `(batch, cond)` (each row of
/// `c` shared by its `n` draws) through `f` on flattened rows, in pieces (see
/// [`map_row_chunks`]); returns `(batch, n, out)` with `f`'s output width.
pub(crate) fn map_draws<B: Backend>(
    z: &Tensor<B>,
    c: Option<&Tensor<B>>,
    f: impl Fn(&Tensor<B>, Option<&Tensor<B>>) -> Result<Tensor<B>> + Sync,
) -> Result<Tensor<B>> {
    let shape = z.shape();
    let (batch, n, dim) = (shape[0], shape[1], shape[2]);
    let rows = batch * n;
    let z = z.reshape(&[rows, dim])?;
    let v = match c {
        Some(c) => {
            let cond = c.dim(1)?;
            let c = c
                .unsqueeze(1)?
                .broadcast_to(&[batch, n, cond])?
                .reshape(&[rows, cond])?;
            map_row_chunks(&[&z, &c], |p| f(&p[0], Some(&p[1])))?
        }
        None => map_row_chunks(&[&z], |p| f(&p[0], None))?,
    };
    let out = v.dim(v.rank() - 1)?;
    v.reshape(&[batch, n, out])
}
