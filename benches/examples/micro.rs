//! Times single operations of the MLP step on the ndarray backend.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_ndarray::{Cpu, NdArray};
use abi_tensor::{Result, Tensor};
use rand::SeedableRng;
use std::time::Instant;

fn time(name: &str, f: impl Fn() -> Result<Tensor<NdArray>>) -> Result<()> {
    for _ in 0..10 {
        f()?;
    }
    let n = 300;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(f()?);
    }
    println!(
        "{name}: {:.1} us",
        t.elapsed().as_secs_f64() / n as f64 * 1e6
    );
    Ok(())
}

fn main() -> Result<()> {
    abi_benches::pool(1).install(|| -> Result<()> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let x = Tensor::<NdArray>::randn(&[512, 256], &mut rng, &Cpu)?;
        let w = Tensor::<NdArray>::randn(&[256, 256], &mut rng, &Cpu)?;
        let b = Tensor::<NdArray>::randn(&[256], &mut rng, &Cpu)?;
        time("x + b (broadcast)", || x.add(&b))?;
        time("x + x", || x.add(&x))?;
        time("relu", || x.relu())?;
        time("x @ w", || x.matmul(&w))?;
        time("x @ w (again)", || x.matmul(&w))?;
        time("x^T @ x", || x.t()?.matmul(&x))?;
        time("x @ w^T", || x.matmul(&w.t()?))?;
        time("sum axis 0", || x.sum(&[0], false))?;
        let wl = abi_benches::MlpWorkload::new(0)?;
        time("mlp forward (tracked)", || wl.net.forward(&wl.x))?;
        time("mlp forward (no_grad)", || wl.forward_nograd())?;
        let h = Tensor::<NdArray>::randn(&[512, 10], &mut rng, &Cpu)?;
        let w1 = Tensor::<NdArray>::randn(&[10, 256], &mut rng, &Cpu)?;
        let w4 = Tensor::<NdArray>::randn(&[256, 4], &mut rng, &Cpu)?;
        time("h @ w1", || h.matmul(&w1))?;
        time("x @ w4", || x.matmul(&w4))?;
        time("x @ w relu", || x.matmul(&w)?.relu())?;
        let big = Tensor::<NdArray>::randn(&[10240, 256], &mut rng, &Cpu)?;
        time("mish (10240 x 256)", || big.mish())?;
        time("tanh (10240 x 256)", || big.tanh())?;
        time("relu (10240 x 256)", || big.relu())?;
        Ok(())
    })
}
