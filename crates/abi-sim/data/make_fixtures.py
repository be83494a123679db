"""Regenerates the NumPy-made data files of abi-sim (needs numpy; run from crates/abi-sim).

- data/bernoulli_glm_stimulus.npy: the Bernoulli GLM task's white-noise stimulus, 100 float32
  values from numpy.random.RandomState(42).randn (the standard SBI benchmark's stimulus).
- data/slcp_distractors.npz: the SLCP-with-distractors task's noise model, drawn exactly as the
  benchmark defines it from numpy's global RandomState seeded with 42: 20 locations
  (15 · N(0, I₉₂)), 20 scale factors (3 · (tril(N(0, 1)₉₂ₓ₉₂) + diag(exp(N(0, 1)₉₂))), stored as
  their lower triangles, row by row), then a permutation of the 100 data dimensions.
- tests/fixtures/numpy_written.npz: arrays written by numpy.savez, read back in the tests.
"""

import numpy as np

stimulus = np.random.RandomState(42).randn(100).astype(np.float32)
np.save("data/bernoulli_glm_stimulus.npy", stimulus)

noise_dim, components = 92, 20
rng = np.random
rng.seed(42)
loc = np.array([15 * rng.normal(size=noise_dim) for _ in range(components)])
factors = [
    np.tril(rng.normal(size=(noise_dim, noise_dim))) + np.diag(np.exp(rng.normal(size=noise_dim)))
    for _ in range(components)
]
scale_tril = 3 * np.array(factors)
rows, cols = np.tril_indices(noise_dim)
tril_values = scale_tril[:, rows, cols]
permutation = rng.permutation(noise_dim + 8).astype(np.int64)
np.savez(
    "data/slcp_distractors.npz",
    loc=loc.astype(np.float64),
    scale_tril_lower=tril_values.astype(np.float64),
    permutation=permutation,
)

np.savez(
    "tests/fixtures/numpy_written.npz",
    theta=np.arange(6, dtype=np.float64).reshape(3, 2) / 4.0,
    x=np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(3, 2, 2),
    n=np.array([5, 7, 9], dtype=np.int64),
)
