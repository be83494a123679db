//! Model comparison between two priors of a Gaussian mean, whose Bayes factor is analytic:
//! μ ~ N(0, s²) with s = 0.5 (model 0) or s = 2 (model 1), x₁..x₁₀ ~ N(μ, 1). The classifier's
//! probabilities are calibrated on held-out simulations and its log Bayes factors match
//! `log N(x̄; 0, s₀² + 1/N) − log N(x̄; 0, s₁² + 1/N)`; save/load; sampling of indicators.
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{ModelComparisonApproximator, ModelComparisonApproximatorBuilder, TrainConfig};
use abi_ndarray::{Cpu, NdArray};
use abi_sim::{Batch, ModelComparisonSimulator, Simulator, simulate};
use ndarray::{ArrayD, IxDyn};
use rand::{RngCore, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

const N: usize = 10;
const SCALES: [f64; 2] = [0.5, 2.0];

/// μ ~ N(0, scale²), x ~ N(μ, 1) i.i.d., N values.
struct Means {
    scale: f64,
}

impl Simulator for Means {
    fn sample(&self, batch_size: usize, rng: &mut dyn RngCore) -> abi_sim::Result<Batch> {
        let mut mu = Vec::with_capacity(batch_size);
        let mut x = Vec::with_capacity(batch_size * N);
        for _ in 0..batch_size {
            let z: f64 = StandardNormal.sample(rng);
            let m = self.scale * z;
            mu.push(m);
            x.extend((0..N).map(|_| {
                let e: f64 = StandardNormal.sample(rng);
                m + e
            }));
        }
        let mut b = Batch::new();
        b.insert(
            "mu",
            ArrayD::from_shape_vec(IxDyn(&[batch_size, 1]), mu).unwrap(),
        )?;
        b.insert(
            "x",
            ArrayD::from_shape_vec(IxDyn(&[batch_size, N]), x).unwrap(),
        )?;
        Ok(b)
    }
}

fn simulator() -> ModelComparisonSimulator {
    ModelComparisonSimulator::new(
        SCALES
            .iter()
            .map(|&scale| Box::new(Means { scale }) as Box<dyn Simulator>)
            .collect(),
    )
    .unwrap()
}

fn adapter() -> Adapter {
    Adapter::new()
        .drop(&["mu", "model_indices"])
        .standardize(&["x"])
        .rename("model", "inference_variables")
        .rename("x", "inference_conditions")
}

/// The analytic log Bayes factor of model 0 against model 1 for one data set.
fn analytic_log_bf(x: &[f64]) -> f64 {
    let mean = x.iter().sum::<f64>() / N as f64;
    let log_normal = |v: f64| -0.5 * (2.0 * std::f64::consts::PI * v).ln() - 0.5 * mean * mean / v;
    log_normal(SCALES[0].powi(2) + 1.0 / N as f64) - log_normal(SCALES[1].powi(2) + 1.0 / N as f64)
}

#[test]
fn model_probabilities_are_calibrated_and_bayes_factors_match_the_analytic_ones() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(41);
    let sims = simulate(&simulator(), 20_000, 1_000, &mut rng, false).unwrap();
    let mut approx = ModelComparisonApproximatorBuilder::new(adapter(), &["model"])
        .seed(2)
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    let cfg = TrainConfig::new(20).patience(None).seed(3).quiet();
    approx
        .fit(&mut OfflineDataset::new(sims, 128, 4).unwrap(), &cfg)
        .unwrap();

    let held_out = simulate(&simulator(), 2_000, 1_000, &mut rng, false).unwrap();
    let probs = approx.predict(&held_out).unwrap();
    let truth: Vec<usize> = held_out
        .get("model_indices")
        .unwrap()
        .to_f64()
        .iter()
        .map(|&m| m as usize)
        .collect();
    let scores = abi_diag::model_comparison(&truth, probs.view(), 10).unwrap();
    let log_bf = approx
        .log_bayes_factors(&held_out, 0, 1, &[0.5, 0.5])
        .unwrap();
    let x = held_out.f64("x").unwrap();
    // where the evidence is not overwhelming (|log BF| ≤ 3, model probabilities between 5 %
    // and 95 %); beyond it the cross-entropy saturates and the classifier's factors flatten
    let mut errors: Vec<f64> = Vec::new();
    for i in 0..2_000 {
        let xi: Vec<f64> = (0..N).map(|j| x[[i, j]]).collect();
        let exact = analytic_log_bf(&xi);
        if exact.abs() <= 3.0 {
            errors.push((log_bf[i] - exact).abs());
        }
    }
    errors.sort_by(f64::total_cmp);
    let m = errors.len();
    let (median, p95) = (errors[m / 2], errors[m * 95 / 100]);
    println!(
        "model comparison: accuracy {:.3}, ECE {:?}; on the {m} data sets with |log BF| ≤ 3, \
         log BF error median {median:.3}, 95th percentile {p95:.3}",
        scores.accuracy, scores.ece
    );
    assert!(m > 1_000, "only {m} data sets with |log BF| ≤ 3");
    for e in &scores.ece {
        assert!(*e < 0.05, "expected calibration error {e}");
    }
    assert!(
        p95 < 0.2,
        "95 % of log Bayes factors within {p95} of the analytic ones"
    );
    assert!(median < 0.1, "median log Bayes factor error {median}");
}

#[test]
fn a_model_comparison_approximator_saves_loads_and_samples_indicators() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let sims = simulate(&simulator(), 512, 512, &mut rng, false).unwrap();
    let mut approx = ModelComparisonApproximatorBuilder::new(adapter(), &["model"])
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    assert_eq!(approx.num_models(), 2);
    approx
        .fit(
            &mut OfflineDataset::new(sims.clone(), 128, 0).unwrap(),
            &TrainConfig::new(1).quiet(),
        )
        .unwrap();
    let probs = approx.predict(&sims.slice(0, 50).unwrap()).unwrap();
    for row in probs.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-5);
    }
    let dir = tempfile::tempdir().unwrap();
    approx.save(dir.path()).unwrap();
    let back = ModelComparisonApproximator::<NdArray>::load(dir.path(), &Cpu).unwrap();
    assert_eq!(back.predict(&sims.slice(0, 50).unwrap()).unwrap(), probs);

    let draws = approx
        .network()
        .sample(400, &sims.slice(0, 3).unwrap(), &mut rng)
        .unwrap();
    let indicators = draws.f64("model").unwrap();
    assert_eq!(indicators.shape(), &[3, 400, 2]);
    // the share of draws of model 0 follows its predicted probability
    for d in 0..3 {
        let share = (0..400).map(|j| indicators[[d, j, 0]]).sum::<f64>() / 400.0;
        assert!(
            (share - probs[[d, 0]]).abs() < 0.1,
            "{share} vs {}",
            probs[[d, 0]]
        );
    }
    assert!(approx.log_bayes_factors(&sims, 0, 2, &[0.5, 0.5]).is_err());
    let e = ModelComparisonApproximatorBuilder::new(adapter(), &["mu"])
        .build::<NdArray>(&sims, &Cpu)
        .unwrap_err();
    assert!(e.to_string().contains("one-hot"), "{e}");
}
