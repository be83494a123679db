//! Prints the time of each phase of the MLP training step (forward, backward, optimiser).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_benches::{pool, MlpWorkload};
use abi_tensor::optim::Optimizer;
use std::time::Instant;

fn main() -> abi_tensor::Result<()> {
    for threads in [1usize, 2] {
        pool(threads).install(|| -> abi_tensor::Result<()> {
            let mut w = MlpWorkload::new(0)?;
            for _ in 0..20 {
                w.train_step()?;
            }
            let (mut tf, mut tb, mut ts) = (0.0, 0.0, 0.0);
            let n = 200;
            for _ in 0..n {
                let t0 = Instant::now();
                let loss = w.net.forward(&w.x)?.sub(&w.y)?.square()?.mean_all()?;
                let t1 = Instant::now();
                let grads = loss.backward()?;
                let t2 = Instant::now();
                w.optimizer.step(&w.store.trainable_params(), &grads)?;
                let t3 = Instant::now();
                tf += (t1 - t0).as_secs_f64();
                tb += (t2 - t1).as_secs_f64();
                ts += (t3 - t2).as_secs_f64();
            }
            let ms = |t: f64| t / n as f64 * 1e3;
            println!(
                "threads {threads}: forward {:.3} ms, backward {:.3} ms, optimiser {:.3} ms, total {:.3} ms",
                ms(tf), ms(tb), ms(ts), ms(tf + tb + ts)
            );
            Ok(())
        })?;
    }
    Ok(())
}
