//! Times the default report for 500 data sets × 1 000 draws × 4 parameters (the budget is
//! 5 s on 2 cores): `cargo run --release -p abi-diag --example report_speed [-- OUT_DIR]`.

use abi_diag::{ReportInputs, report};
use ndarray::{Array2, Array3};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (n, m, p) = (500, 1000, 4);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
    // a conjugate Gaussian: prior N(0, 1), one observation with unit noise, exact posterior
    let truths = Array2::from_shape_fn((n, p), |_| normal());
    let means = truths.mapv(|t| (t + normal()) / 2.0);
    let sd = 0.5f64.sqrt();
    let draws = Array3::from_shape_fn((n, m, p), |(i, _, j)| means[[i, j]] + sd * normal());
    let prior = Array2::from_shape_fn((1000, p), |_| normal());
    let latent = Array2::from_shape_fn((1000, p), |_| normal());
    let train: Vec<f64> = (0..2000)
        .map(|k| 1.0 + (-(k as f64) / 400.0).exp() + 0.1 * normal())
        .collect();
    let validation: Vec<f64> = (0..20)
        .map(|e| 1.05 + (-(e as f64) * 100.0 / 400.0).exp())
        .collect();
    let names = ["mu_1", "mu_2", "mu_3", "mu_4"];
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("abi-diag-report-speed"));
    let inputs = ReportInputs::new(draws.view(), truths.view(), &names)
        .with_prior(prior.view())
        .with_latent(latent.view())
        .with_loss(train, Some(validation));
    let start = Instant::now();
    let out = report(&dir, &inputs)?;
    let secs = start.elapsed().as_secs_f64();
    println!("{}", out.table);
    for (k, v) in &out.extras {
        println!("{k}: {v}");
    }
    println!(
        "report for {n} data sets × {m} draws × {p} parameters: {secs:.2} s, {} files in {}",
        out.files.len(),
        dir.display()
    );
    Ok(())
}
