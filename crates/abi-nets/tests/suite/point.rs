//! Point estimators learn the mean, median, quantiles and covariance of a conditional Gaussian.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_ndarray::{Cpu, NdArray};
use abi_nets::inference::{PointEstimatorConfig, Score};
use abi_tensor::optim::{AdamConfig, LrSchedule, Optimizer};
use abi_tensor::{ParamStore, Tensor};
use rand::SeedableRng;

#[test]
fn scores_recover_their_functionals() {
    let a = [[1.0, 0.5], [-0.3, 0.8]];
    let l = [[0.7, 0.0], [0.3, 0.4]];
    let cov: [[f64; 2]; 2] = [[0.49, 0.21], [0.21, 0.25]];
    let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    let store = ParamStore::<NdArray>::new(Cpu);
    let cfg = PointEstimatorConfig {
        scores: vec![
            Score::Mean,
            Score::Median,
            Score::Quantiles {
                levels: vec![0.1, 0.5, 0.9],
            },
            Score::MvNormal,
        ],
        widths: vec![64, 64],
        ..PointEstimatorConfig::default()
    };
    let est = cfg.build(&store.root(), 2, 2, &mut r).unwrap();
    let steps = 2500u64;
    let mut opt = AdamConfig::new(1e-3)
        .with_schedule(LrSchedule::cosine_with_warmup(3e-3, 100, steps))
        .build::<NdArray>()
        .unwrap();
    let batch = 512;
    for _ in 0..steps {
        let c = Tensor::<NdArray>::randn(&[batch, 2], &mut r, &Cpu).unwrap();
        let z = Tensor::<NdArray>::randn(&[batch, 2], &mut r, &Cpu).unwrap();
        let (cv, zv) = (c.to_f64_vec().unwrap(), z.to_f64_vec().unwrap());
        let theta: Vec<f64> = (0..batch)
            .flat_map(|b| {
                let (c0, c1, z0, z1) = (cv[2 * b], cv[2 * b + 1], zv[2 * b], zv[2 * b + 1]);
                [
                    a[0][0] * c0 + a[0][1] * c1 + l[0][0] * z0,
                    a[1][0] * c0 + a[1][1] * c1 + l[1][0] * z0 + l[1][1] * z1,
                ]
            })
            .collect();
        let theta = Tensor::<NdArray>::from_f64(&theta, &[batch, 2], &Cpu).unwrap();
        let loss = est.loss(&theta, &c).unwrap();
        opt.step(&store.trainable_params(), &loss.backward().unwrap())
            .unwrap();
    }
    let cs = [[0.0, 0.0], [1.0, -1.0], [-0.5, 1.5]];
    let ct = Tensor::<NdArray>::from_f64(&cs.concat(), &[3, 2], &Cpu).unwrap();
    let estimates = est.estimate(&ct).unwrap();
    let z90 = 1.281_551_565_545;
    for (i, c) in cs.iter().enumerate() {
        let want = [
            a[0][0] * c[0] + a[0][1] * c[1],
            a[1][0] * c[0] + a[1][1] * c[1],
        ];
        let sd = [cov[0][0].sqrt(), cov[1][1].sqrt()];
        for e in &estimates {
            let v = e.value.to_f64_vec().unwrap();
            match e.name {
                "mean" | "median" | "mv_normal" => {
                    for j in 0..2 {
                        assert!(
                            (v[i * 2 + j] - want[j]).abs() < 0.1,
                            "{}: {:?} vs {want:?}",
                            e.name,
                            &v[i * 2..i * 2 + 2]
                        );
                    }
                }
                "quantiles" => {
                    for j in 0..2 {
                        let q: Vec<f64> = (0..3).map(|k| v[i * 6 + k * 2 + j]).collect();
                        assert!(q[0] < q[1] && q[1] < q[2], "quantiles out of order {q:?}");
                        let expected = [want[j] - z90 * sd[j], want[j], want[j] + z90 * sd[j]];
                        for k in 0..3 {
                            assert!(
                                (q[k] - expected[k]).abs() < 0.15,
                                "quantile {k} of dim {j}: {} vs {}",
                                q[k],
                                expected[k]
                            );
                        }
                    }
                }
                other => panic!("unexpected estimate {other}"),
            }
            if let Some(cv) = &e.covariance {
                let cv = cv.to_f64_vec().unwrap();
                for j in 0..2 {
                    for k in 0..2 {
                        assert!(
                            (cv[i * 4 + j * 2 + k] - cov[j][k]).abs() < 0.1,
                            "cov[{j}][{k}] {} vs {}",
                            cv[i * 4 + j * 2 + k],
                            cov[j][k]
                        );
                    }
                }
            }
        }
    }
    assert!(
        PointEstimatorConfig {
            scores: vec![Score::Quantiles {
                levels: vec![0.5, 0.1]
            }],
            ..PointEstimatorConfig::default()
        }
        .build(&ParamStore::<NdArray>::new(Cpu).root(), 2, 2, &mut r)
        .is_err()
    );
}
