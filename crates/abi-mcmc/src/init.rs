//! Starting points by sampling–importance–resampling.

use crate::density::LogDensity;
use crate::error::{McmcError, Result};
use crate::importance::importance_resample;
use ndarray::{ArrayView2, Axis};
use rand::Rng;

/// Rows evaluated per call of the density.
const CHUNK: usize = 10_000;

/// Starting points for `chains` chains by sampling–importance–resampling: the rows of
/// `proposals` (`(m, dim)`, e.g. prior draws) weighted by `exp(log_weight)` (e.g. the
/// likelihood, for prior proposals), resampled with replacement. Points with a weight of zero
/// are never chosen; an error when all have one.
///
/// ```
/// use abi_mcmc::{Pointwise, sir_inits};
/// use rand::SeedableRng;
/// let proposals = ndarray::array![[-3.0], [0.0], [3.0]];
/// // only the middle proposal has any weight
/// let weight = Pointwise::new(1, |x: &[f64]| if x[0] == 0.0 { 0.0 } else { f64::NEG_INFINITY });
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let inits = sir_inits(proposals.view(), &weight, 4, &mut rng).unwrap();
/// assert!(inits.iter().all(|p| p == &vec![0.0]));
/// ```
pub fn sir_inits(
    proposals: ArrayView2<'_, f64>,
    log_weight: &impl LogDensity,
    chains: usize,
    rng: &mut impl Rng,
) -> Result<Vec<Vec<f64>>> {
    if proposals.ncols() != log_weight.dim() || proposals.nrows() == 0 {
        return Err(McmcError::invalid(
            "sir_inits",
            format!(
                "needs proposals of the density's dimension {}, got shape {:?}",
                log_weight.dim(),
                proposals.shape()
            ),
        ));
    }
    let mut lw = Vec::with_capacity(proposals.nrows());
    for chunk in proposals.axis_chunks_iter(Axis(0), CHUNK) {
        lw.extend(log_weight.log_density(chunk)?);
    }
    let chosen = importance_resample(&lw, chains, rng).map_err(|_| {
        McmcError::invalid(
            "sir_inits",
            format!(
                "none of the {} proposals has a finite weight",
                proposals.nrows()
            ),
        )
    })?;
    Ok(chosen
        .indices
        .iter()
        .map(|&i| proposals.row(i).to_vec())
        .collect())
}
