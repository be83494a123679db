//! Two models in one process train independently: each backward sweep sees only its own
//! graph's leaves, so training them alone, interleaved or on two threads at once gives the
//! same weights, bit for bit.
#![allow(clippy::unwrap_used)] // tests panic on failure by design

use abi_nets::{Mlp, MlpConfig};
use abi_tch::Tch;
use abi_tensor::optim::{Adam, AdamConfig, Optimizer};
use abi_tensor::{ParamStore, Result, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

type B = Tch<f32>;

/// A small regression model with its data and optimiser.
struct Model {
    store: ParamStore<B>,
    net: Mlp<B>,
    opt: Adam<B>,
    x: Tensor<B>,
    y: Tensor<B>,
}

impl Model {
    fn new(seed: u64, widths: Vec<usize>) -> Model {
        let device = crate::cpu();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (input, output) = (widths[0], widths[widths.len() - 1]);
        let store = ParamStore::<B>::new(device);
        let net = MlpConfig::new(widths)
            .build(&store.root().sub("net"), &mut rng)
            .unwrap();
        let x = Tensor::randn(&[32, input], &mut rng, &device).unwrap();
        let y = Tensor::randn(&[32, output], &mut rng, &device).unwrap();
        let opt = AdamConfig::new(1e-2).build().unwrap();
        Model {
            store,
            net,
            opt,
            x,
            y,
        }
    }

    /// One Adam step on the mean squared error; the sweep reports exactly this model's
    /// parameters.
    fn step(&mut self) -> Result<()> {
        let loss = self
            .net
            .forward(&self.x)?
            .sub(&self.y)?
            .square()?
            .mean_all()?;
        let grads = loss.backward()?;
        let params = self.store.trainable_params();
        assert_eq!(
            grads.len(),
            params.len(),
            "gradients of another model's tensors"
        );
        for p in &params {
            assert!(
                grads.get(&p.value()).is_some(),
                "no gradient for {}",
                p.name()
            );
        }
        self.opt.step(&params, &grads)
    }

    fn weights(&self) -> Vec<f64> {
        self.store
            .params()
            .iter()
            .flat_map(|p| p.value().to_f64_vec().unwrap())
            .collect()
    }
}

const STEPS: usize = 5;

fn pair() -> (Model, Model) {
    (
        Model::new(11, vec![3, 16, 2]),
        Model::new(12, vec![5, 8, 8, 1]),
    )
}

fn trained_alone(mut m: Model) -> Vec<f64> {
    for _ in 0..STEPS {
        m.step().unwrap();
    }
    m.weights()
}

#[test]
fn two_models_train_alone_interleaved_and_on_two_threads_alike() {
    let (a, b) = pair();
    let (alone_a, alone_b) = (trained_alone(a), trained_alone(b));

    let (mut a, mut b) = pair();
    for _ in 0..STEPS {
        a.step().unwrap();
        b.step().unwrap();
    }
    assert_eq!(
        a.weights(),
        alone_a,
        "interleaved with b, model a trained differently"
    );
    assert_eq!(
        b.weights(),
        alone_b,
        "interleaved with a, model b trained differently"
    );

    // each model's graph stays alive while the other one steps: neither sweep may see it
    let (a, mut b) = pair();
    let held = a.net.forward(&a.x).unwrap().sum_all().unwrap();
    b.step().unwrap();
    assert!(held.is_tracked());
    drop(held);

    let (a, b) = pair();
    let (threaded_a, threaded_b) = std::thread::scope(|s| {
        let ta = s.spawn(|| trained_alone(a));
        let tb = s.spawn(|| trained_alone(b));
        (ta.join().unwrap(), tb.join().unwrap())
    });
    assert_eq!(
        threaded_a, alone_a,
        "on two threads, model a trained differently"
    );
    assert_eq!(
        threaded_b, alone_b,
        "on two threads, model b trained differently"
    );
}

#[test]
fn a_sweep_reports_only_the_leaves_of_its_graph() -> Result<()> {
    let device = crate::cpu();
    let x = Tensor::<B>::from_f32(&[1.0, 2.0], &[2], &device)?.track();
    let y = Tensor::<B>::from_f32(&[3.0, 4.0], &[2], &device)?.track();
    let other = Tensor::<B>::from_f32(&[5.0], &[1], &device)?.track();
    let z = x.mul(&y)?.sum_all()?;
    let g = z.backward()?;
    assert_eq!(g.len(), 2);
    assert_eq!(g.get(&x).unwrap().to_vec()?, vec![3.0, 4.0]);
    assert_eq!(g.get(&y).unwrap().to_vec()?, vec![1.0, 2.0]);
    assert!(g.get(&other).is_none());
    // a leaf used twice, through a view, and a tensor from outside the graph's leaves
    let w = x
        .reshape(&[1, 2])?
        .mul(&x)?
        .sum_all()?
        .add(&other.sum_all()?)?;
    let g = w.backward()?;
    assert_eq!(g.len(), 2);
    assert_eq!(g.get(&x).unwrap().to_vec()?, vec![2.0, 4.0]);
    assert_eq!(g.get(&other).unwrap().to_vec()?, vec![1.0]);
    // nothing is recorded under no_grad, so nothing is found
    let n = abi_tensor::no_grad::<B, _>(|| x.exp())?;
    assert!(!n.is_tracked());
    Ok(())
}
