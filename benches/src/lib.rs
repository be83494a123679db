//! Shared set-up of abi's criterion benchmarks (`cargo xtask bench`).

use abi_ndarray::{Cpu, NdArray};
use abi_nets::{Activation, Mlp, MlpConfig};
use abi_tensor::optim::{Adam, AdamConfig, Optimizer};
use abi_tensor::{ParamStore, Result, Tensor};
use rand::SeedableRng;

/// The MLP training-step workload: MLP 10 → 256 → 256 → 256 → 4 (ReLU), batch 512, MSE loss,
/// Adam (about 413 MFLOP per step).
pub struct MlpWorkload {
    /// The parameters.
    pub store: ParamStore<NdArray>,
    /// The network.
    pub net: Mlp<NdArray>,
    /// The optimiser.
    pub optimizer: Adam<NdArray>,
    /// Inputs `(512, 10)`.
    pub x: Tensor<NdArray>,
    /// Targets `(512, 4)`.
    pub y: Tensor<NdArray>,
}

impl MlpWorkload {
    /// Builds the workload from a seed.
    pub fn new(seed: u64) -> Result<Self> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let store = ParamStore::<NdArray>::new(Cpu);
        let net = MlpConfig::new(vec![10, 256, 256, 256, 4])
            .activation(Activation::Relu)
            .build(&store.root().sub("mlp"), &mut rng)?;
        let optimizer = AdamConfig::new(1e-3).build()?;
        let x = Tensor::randn(&[512, 10], &mut rng, &Cpu)?;
        let y = Tensor::randn(&[512, 4], &mut rng, &Cpu)?;
        Ok(Self {
            store,
            net,
            optimizer,
            x,
            y,
        })
    }

    /// One forward + backward + Adam step; returns the loss before the step.
    pub fn train_step(&mut self) -> Result<f64> {
        let pred = self.net.forward(&self.x)?;
        let loss = pred.sub(&self.y)?.square()?.mean_all()?;
        let grads = loss.backward()?;
        self.optimizer
            .step(&self.store.trainable_params(), &grads)?;
        loss.to_scalar()
    }

    /// One forward pass without recording a graph.
    pub fn forward_nograd(&self) -> Result<Tensor<NdArray>> {
        abi_tensor::no_grad::<NdArray, _>(|| self.net.forward(&self.x))
    }
}

/// A rayon pool with exactly `threads` threads, for single- and multi-core figures.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap_or_else(|e| panic!("cannot build a rayon pool of {threads} threads: {e}"))
}
