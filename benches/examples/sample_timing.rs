//! Times 10 240 draws (40 for each of 256 conditions, or 10 240 for one) of a registry
//! network in 2-D: `sample_timing <threads> <network> [conditions]`, where `<network>` is a
//! registry name or a whole `NetworkSpec` as JSON (`{"name": ..., "settings": {...}}`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_ndarray::{Cpu, NdArray};
use abi_nets::{NetworkSpec, Registry};
use abi_tensor::{ParamStore, Result, Tensor};
use rand::SeedableRng;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let threads: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(2);
    let name = args.next().unwrap_or_else(|| "coupling_flow".into());
    let conditions: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    abi_benches::pool(threads).install(
        || -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
            let store = ParamStore::<NdArray>::new(Cpu);
            // a registry name, or a whole configuration as JSON
            let spec = NetworkSpec::parse(&name)?;
            let (net, _) =
                Registry::<NdArray>::new().build_inference(&spec, &store.root(), 2, 2, &mut rng)?;
            let cond = Tensor::<NdArray>::randn(&[conditions, 2], &mut rng, &Cpu)?;
            let n = 10_240 / conditions;
            for _ in 0..3 {
                net.sample(n, Some(&cond), &mut rng)?;
            }
            let reps = 20;
            let t = Instant::now();
            for _ in 0..reps {
                std::hint::black_box(net.sample(n, Some(&cond), &mut rng)?);
            }
            println!(
                "{name}: {:.2} ms per 10 240 draws on {threads} thread(s)",
                t.elapsed().as_secs_f64() / reps as f64 * 1e3
            );
            Ok(())
        },
    )
}
