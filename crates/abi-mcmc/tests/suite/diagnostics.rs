//! Split-R̂ and bulk ESS against known answers.

use abi_mcmc::diagnostics::{ess_bulk, split_rhat};
use ndarray::Array2;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

fn iid(chains: usize, n: usize, seed: u64) -> Array2<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((chains, n), |_| StandardNormal.sample(&mut rng))
}

#[test]
fn independent_draws_have_rhat_near_one_and_ess_near_their_number() {
    let d = iid(4, 1_000, 1);
    let r = split_rhat(d.view());
    assert!((r - 1.0).abs() < 0.01, "{r}");
    let e = ess_bulk(d.view());
    assert!(e > 3_400.0 && e < 4_600.0, "{e}");
}

#[test]
fn a_shifted_chain_raises_rhat() {
    let mut d = iid(4, 1_000, 2);
    d.row_mut(0).mapv_inplace(|v| v + 1.0);
    assert!(split_rhat(d.view()) > 1.1);
}

#[test]
fn a_drifting_chain_raises_the_split_rhat_of_a_single_chain() {
    // one chain whose first half sits below its second: only splitting reveals it
    let mut d = iid(1, 2_000, 3);
    for i in 1_000..2_000 {
        d[[0, i]] += 2.0;
    }
    assert!(split_rhat(d.view()) > 1.3);
}

#[test]
fn bulk_ess_is_invariant_to_monotone_transforms() {
    let d = iid(4, 500, 4);
    let e = d.mapv(f64::exp);
    assert!((ess_bulk(d.view()) - ess_bulk(e.view())).abs() < 1e-9);
}
