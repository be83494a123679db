//! Times each phase of the MLP training step (forward, backward, optimiser) and the whole step,
//! reporting the median and the minimum over many steps (robust to a noisy machine).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_benches::{MlpWorkload, pool};
use abi_tensor::optim::Optimizer;
use std::time::Instant;

fn median_min(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2] * 1e3, v[0] * 1e3)
}

fn main() -> abi_tensor::Result<()> {
    for threads in [1usize, 2] {
        pool(threads).install(|| -> abi_tensor::Result<()> {
            let mut w = MlpWorkload::new(0)?;
            for _ in 0..20 {
                w.train_step()?;
            }
            let (mut tf, mut tb, mut ts, mut tt) = (vec![], vec![], vec![], vec![]);
            for _ in 0..400 {
                let t0 = Instant::now();
                let loss = w.net.forward(&w.x)?.sub(&w.y)?.square()?.mean_all()?;
                let t1 = Instant::now();
                let grads = loss.backward()?;
                let t2 = Instant::now();
                w.optimizer.step(&w.store.trainable_params(), &grads)?;
                let t3 = Instant::now();
                tf.push((t1 - t0).as_secs_f64());
                tb.push((t2 - t1).as_secs_f64());
                ts.push((t3 - t2).as_secs_f64());
                tt.push((t3 - t0).as_secs_f64());
            }
            let [f, b, s, t] = [tf, tb, ts, tt].map(median_min);
            println!(
                "threads {threads}: median (min) ms: forward {:.3} ({:.3}), backward {:.3} ({:.3}), \
                 optimiser {:.3} ({:.3}), step {:.3} ({:.3})",
                f.0, f.1, b.0, b.1, s.0, s.1, t.0, t.1
            );
            Ok(())
        })?;
    }
    Ok(())
}
