//! Shared set-up of abi's criterion benchmarks (`cargo xtask bench`).

use abi_ndarray::{Cpu, NdArray};
use abi_nets::{
    Activation, InferenceNetwork, Mlp, MlpConfig, Mode, NetResult, NetworkSpec, Registry,
};
use abi_tensor::optim::{Adam, AdamConfig, Optimizer};
use abi_tensor::{Backend, ParamStore, Result, Tensor};
use rand::SeedableRng;

/// The MLP training-step workload: MLP 10 → 256 → 256 → 256 → 4 (ReLU), batch 512, MSE loss,
/// Adam (about 413 MFLOP per step), on any backend (`NdArray` unless named).
pub struct MlpWorkload<B: Backend = NdArray> {
    /// The parameters.
    pub store: ParamStore<B>,
    /// The network.
    pub net: Mlp<B>,
    /// The optimiser.
    pub optimizer: Adam<B>,
    /// Inputs `(512, 10)`.
    pub x: Tensor<B>,
    /// Targets `(512, 4)`.
    pub y: Tensor<B>,
}

impl MlpWorkload<NdArray> {
    /// Builds the workload on the ndarray backend from a seed.
    pub fn new(seed: u64) -> Result<Self> {
        Self::on(seed, &Cpu)
    }
}

impl<B: Backend> MlpWorkload<B> {
    /// Builds the workload on `device` from a seed (the same weights on every backend).
    pub fn on(seed: u64, device: &B::Device) -> Result<Self> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let store = ParamStore::<B>::new(device.clone());
        let net = MlpConfig::new(vec![10, 256, 256, 256, 4])
            .activation(Activation::Relu)
            .build(&store.root().sub("mlp"), &mut rng)?;
        let optimizer = AdamConfig::new(1e-3).build()?;
        let x = Tensor::randn(&[512, 10], &mut rng, device)?;
        let y = Tensor::randn(&[512, 4], &mut rng, device)?;
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
    pub fn forward_nograd(&self) -> Result<Tensor<B>> {
        abi_tensor::no_grad::<B, _>(|| self.net.forward(&self.x))
    }
}

/// One training step of a registry inference network (loss, backward, Adam) on a batch of
/// 256 draws of `dim` variables with `dim` condition features.
pub struct FlowWorkload<B: Backend> {
    store: ParamStore<B>,
    net: Box<dyn InferenceNetwork<B>>,
    optimizer: Adam<B>,
    v: Tensor<B>,
    c: Tensor<B>,
    rng: rand_chacha::ChaCha8Rng,
}

impl<B: Backend> FlowWorkload<B> {
    /// Builds the network named `name` in the built-in [`Registry`] with its defaults.
    pub fn new(name: &str, dim: usize, seed: u64, device: &B::Device) -> NetResult<Self> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let store = ParamStore::<B>::new(device.clone());
        let (net, _) = Registry::<B>::new().build_inference(
            &NetworkSpec::new(name),
            &store.root(),
            dim,
            dim,
            &mut rng,
        )?;
        let optimizer = AdamConfig::new(1e-4).build()?;
        let v = Tensor::randn(&[256, dim], &mut rng, device)?;
        let c = Tensor::randn(&[256, dim], &mut rng, device)?;
        Ok(Self {
            store,
            net,
            optimizer,
            v,
            c,
            rng,
        })
    }

    /// One training step; returns the loss before it.
    pub fn train_step(&mut self) -> Result<f64> {
        let loss = self
            .net
            .loss(&self.v, Some(&self.c), Mode::Train, &mut self.rng)?;
        let grads = loss.backward()?;
        self.optimizer
            .step(&self.store.trainable_params(), &grads)?;
        loss.to_scalar()
    }
}

/// A rayon pool with exactly `threads` threads, for single- and multi-core figures.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap_or_else(|e| panic!("cannot build a rayon pool of {threads} threads: {e}"))
}
