//! Trains an MLP regression on the default CPU backend and prints its loss falling.
//!
//! `cargo run --release --example mlp_regression`
//!
//! The target is `y = sin(x₁) + x₂ · x₃` with a little noise; the network is
//! 3 → 64 → 64 → 1 (SiLU), trained with Adam, cosine decay with warm-up and gradient clipping,
//! the defaults abi's training loop uses.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_ndarray::{Cpu, NdArray};
use abi_nets::{Activation, MlpConfig};
use abi_tensor::optim::{AdamConfig, LrSchedule, Optimizer, clip_grad_norm};
use abi_tensor::{ParamStore, Result, Tensor, no_grad};
use rand::SeedableRng;
use std::time::Instant;

type B = NdArray;

fn data(n: usize, rng: &mut impl rand::Rng) -> Result<(Tensor<B>, Tensor<B>)> {
    let x = Tensor::<B>::rand_uniform(&[n, 3], -2.0, 2.0, rng, &Cpu)?;
    let cols = x.split(1, &[1, 1, 1])?;
    let clean = cols[0].sin()?.add(&cols[1].mul(&cols[2])?)?;
    let noise = Tensor::<B>::randn(&[n, 1], rng, &Cpu)?.mul_scalar(0.05)?;
    Ok((x, clean.add(&noise)?))
}

fn main() -> Result<()> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let (x_train, y_train) = data(4096, &mut rng)?;
    let (x_val, y_val) = data(1024, &mut rng)?;

    let store = ParamStore::<B>::new(Cpu);
    let net = MlpConfig::new(vec![3, 64, 64, 1])
        .activation(Activation::Silu)
        .build(&store.root().sub("regressor"), &mut rng)?;
    println!(
        "regressor: {} parameters on {}",
        store.num_elements(),
        <B as abi_tensor::Backend>::name()
    );

    let (epochs, batch) = (30usize, 128usize);
    let steps_per_epoch = 4096 / batch;
    let total = (epochs * steps_per_epoch) as u64;
    let mut optimizer = AdamConfig::new(5e-3)
        .with_schedule(LrSchedule::cosine_with_warmup(5e-3, total / 20, total))
        .build::<B>()?;

    let start = Instant::now();
    for epoch in 0..epochs {
        let mut train_loss = 0.0;
        for step in 0..steps_per_epoch {
            let xb = x_train.narrow(0, step * batch, batch)?;
            let yb = y_train.narrow(0, step * batch, batch)?;
            let loss = net.forward(&xb)?.sub(&yb)?.square()?.mean_all()?;
            let mut grads = loss.backward()?;
            let params = store.trainable_params();
            clip_grad_norm(&mut grads, &params, 1.5)?;
            optimizer.step(&params, &grads)?;
            train_loss += loss.to_scalar()? / steps_per_epoch as f64;
        }
        let val_loss = no_grad::<B, _>(|| net.forward(&x_val)?.sub(&y_val)?.square()?.mean_all())?;
        if epoch % 3 == 0 || epoch + 1 == epochs {
            println!(
                "epoch {:>2}  train mse {:.4}  validation mse {:.4}  lr {:.2e}",
                epoch + 1,
                train_loss,
                val_loss.to_scalar()?,
                optimizer.learning_rate()
            );
        }
    }
    println!(
        "trained {epochs} epochs in {:.2} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
