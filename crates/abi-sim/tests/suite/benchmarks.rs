//! Every benchmark task: names, shapes, supports, and the likelihoods and posteriors it exposes.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_sim::benchmarks::{
    BenchmarkTask, BernoulliGlm, GaussianLinear, GaussianMixture, InverseKinematics, LotkaVolterra,
    Sir, Slcp, TwoMoons,
};
use abi_sim::{Simulator, draw_rng};
use rand::SeedableRng;

fn check_task(
    task: impl BenchmarkTask + Clone + 'static,
    name: &str,
    dim_theta: usize,
    dim_x: usize,
) {
    assert_eq!(task.name(), name);
    assert_eq!(task.dim_parameters(), dim_theta, "{name}");
    assert_eq!(task.dim_data(), dim_x, "{name}");
    let sim = task.clone().simulator();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let b = sim
        .sample(64, &mut rng)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(b.names().collect::<Vec<_>>(), ["theta", "x"], "{name}");
    assert_eq!(b.get("theta").unwrap().shape(), &[64, dim_theta], "{name}");
    assert_eq!(b.get("x").unwrap().shape(), &[64, dim_x], "{name}");
    let theta = b.f64("theta").unwrap();
    for row in theta.outer_iter() {
        let t: Vec<f64> = row.iter().copied().collect();
        assert!(
            task.prior().contains(&t),
            "{name}: prior draw {t:?} outside the support"
        );
    }
}

#[test]
fn every_task_has_its_names_and_shapes() {
    check_task(GaussianLinear::new().unwrap(), "gaussian_linear", 10, 10);
    check_task(
        GaussianLinear::uniform().unwrap(),
        "gaussian_linear_uniform",
        10,
        10,
    );
    check_task(TwoMoons::new().unwrap(), "two_moons", 2, 2);
    check_task(Slcp::new().unwrap(), "slcp", 5, 8);
    check_task(
        Slcp::with_distractors().unwrap(),
        "slcp_distractors",
        5,
        100,
    );
    check_task(GaussianMixture::new().unwrap(), "gaussian_mixture", 2, 2);
    check_task(BernoulliGlm::new().unwrap(), "bernoulli_glm", 10, 10);
    check_task(BernoulliGlm::raw().unwrap(), "bernoulli_glm_raw", 10, 100);
    check_task(Sir::new().unwrap(), "sir", 2, 10);
    check_task(LotkaVolterra::new().unwrap(), "lotka_volterra", 4, 20);
    check_task(
        InverseKinematics::new().unwrap(),
        "inverse_kinematics",
        4,
        2,
    );
}

#[test]
fn gaussian_linear_posterior_is_analytic() {
    let task = GaussianLinear::new().unwrap();
    let x: Vec<f64> = (0..10).map(|i| i as f64 / 10.0 - 0.4).collect();
    let post = task.posterior(&x).unwrap().unwrap();
    // the posterior is N(x/2, 0.05 I): Bayes' rule evaluated on random points agrees up to a
    // constant
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let points: Vec<Vec<f64>> = (0..5).map(|_| task.prior().sample(&mut rng)).collect();
    let unnorm: Vec<f64> = points
        .iter()
        .map(|t| task.log_likelihood(t, &x).unwrap() + task.prior().log_prob(t).unwrap())
        .collect();
    let exact: Vec<f64> = points.iter().map(|t| post.log_prob(t).unwrap()).collect();
    let offset = unnorm[0] - exact[0];
    for (u, e) in unnorm.iter().zip(&exact) {
        assert!((u - e - offset).abs() < 1e-9);
    }
    assert!(GaussianLinear::uniform().unwrap().posterior(&x).is_none());
}

/// Integrates exp(log_likelihood) over a grid of x; a density integrates to 1.
fn integral(task: &impl BenchmarkTask, theta: &[f64], lo: [f64; 2], hi: [f64; 2], n: usize) -> f64 {
    let (hx, hy) = ((hi[0] - lo[0]) / n as f64, (hi[1] - lo[1]) / n as f64);
    let mut total = 0.0;
    for i in 0..n {
        for j in 0..n {
            let x = [lo[0] + (i as f64 + 0.5) * hx, lo[1] + (j as f64 + 0.5) * hy];
            total += task.log_likelihood(theta, &x).unwrap().exp() * hx * hy;
        }
    }
    total
}

#[test]
fn likelihoods_are_normalised_densities() {
    let moons = TwoMoons::new().unwrap();
    let theta = [0.3, -0.2];
    let mut rng = draw_rng(1, 0);
    let x = moons.simulate(&theta, &mut rng);
    let c = [x[0], x[1]];
    let i = integral(
        &moons,
        &theta,
        [c[0] - 0.3, c[1] - 0.3],
        [c[0] + 0.3, c[1] + 0.3],
        600,
    );
    assert!(
        (i - 1.0).abs() < 0.01,
        "two moons likelihood integrates to {i}"
    );
    let mix = GaussianMixture::new().unwrap();
    let i = integral(&mix, &[1.0, -2.0], [-6.0, -9.0], [8.0, 5.0], 700);
    assert!(
        (i - 1.0).abs() < 0.01,
        "mixture likelihood integrates to {i}"
    );
}

#[test]
fn simulators_match_their_likelihoods() {
    // mixture: per-dimension variance ½·1 + ½·0.01, mean θ
    let mix = GaussianMixture::new().unwrap();
    let theta = [2.0, -1.0];
    let draws: Vec<Vec<f64>> = (0..100_000)
        .map(|i| mix.simulate(&theta, &mut draw_rng(7, i)))
        .collect();
    let mean = draws.iter().map(|x| x[0]).sum::<f64>() / draws.len() as f64;
    let var = draws.iter().map(|x| (x[0] - mean).powi(2)).sum::<f64>() / draws.len() as f64;
    assert!(
        (mean - 2.0).abs() < 0.01 && (var - 0.505).abs() < 0.015,
        "mean {mean}, var {var}"
    );
    // slcp: the simulated points have the likelihood's mean and covariance
    let slcp = Slcp::new().unwrap();
    let theta = [0.5, -1.0, 1.2, 0.8, 0.7];
    let pts: Vec<[f64; 2]> = (0..50_000)
        .flat_map(|i| {
            let x = slcp.simulate(&theta, &mut draw_rng(8, i));
            x.chunks_exact(2).map(|c| [c[0], c[1]]).collect::<Vec<_>>()
        })
        .collect();
    let n = pts.len() as f64;
    let m0 = pts.iter().map(|p| p[0]).sum::<f64>() / n;
    let m1 = pts.iter().map(|p| p[1]).sum::<f64>() / n;
    let c01 = pts.iter().map(|p| (p[0] - m0) * (p[1] - m1)).sum::<f64>() / n;
    let (s1, s2) = (1.2f64.powi(2), 0.8f64.powi(2));
    let want = 0.7f64.tanh() * s1 * s2;
    assert!(
        (m0 - 0.5).abs() < 0.02 && (m1 + 1.0).abs() < 0.02,
        "means {m0}, {m1}"
    );
    assert!(
        (c01 / want - 1.0).abs() < 0.05,
        "covariance {c01} vs {want}"
    );
    // and the true parameters explain the data better than others on average
    let x = slcp.simulate(&theta, &mut draw_rng(9, 0));
    let other = [-0.5, 1.0, 1.2, 0.8, 0.7];
    assert!(slcp.log_likelihood(&theta, &x).unwrap() > slcp.log_likelihood(&other, &x).unwrap());
}

#[test]
fn data_live_where_they_should() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
    let sir = Sir::new().unwrap().simulator();
    let b = sir.sample(128, &mut rng).unwrap();
    assert!(
        b.f64("x")
            .unwrap()
            .iter()
            .all(|&v| (0.0..=1000.0).contains(&v) && v.fract() == 0.0)
    );
    let lv = LotkaVolterra::new()
        .unwrap()
        .simulator_with(abi_sim::NonFinitePolicy::Drop);
    let b = lv.sample(128, &mut rng).unwrap();
    assert!(b.f64("x").unwrap().iter().all(|&v| v > 0.0));
    let glm = BernoulliGlm::raw().unwrap().simulator();
    let b = glm.sample(32, &mut rng).unwrap();
    assert!(b.f64("x").unwrap().iter().all(|&v| v == 0.0 || v == 1.0));
    let glm = BernoulliGlm::new().unwrap().simulator();
    let b = glm.sample(32, &mut rng).unwrap();
    assert!(
        b.f64("x")
            .unwrap()
            .index_axis(ndarray::Axis(1), 0)
            .iter()
            .all(|&v| (0.0..=100.0).contains(&v))
    );
    // inverse kinematics: the arm's reach is bounded by the rail position plus 2.0
    let ik = InverseKinematics::new().unwrap();
    let t = [0.1, 0.0, 0.0, 0.0];
    let x = ik.simulate(&t, &mut draw_rng(0, 0));
    assert!((x[0] - 0.1).abs() < 1e-12 && (x[1] - 2.0).abs() < 1e-12);
}

#[test]
fn distractors_keep_the_informative_dimensions() {
    // same stream, with and without distractors: the 8 informative values reappear, permuted
    let plain = Slcp::new().unwrap();
    let noisy = Slcp::with_distractors().unwrap();
    let theta = [0.1, 0.2, 1.0, 1.5, -0.3];
    let a = plain.simulate(&theta, &mut draw_rng(3, 1));
    let b = noisy.simulate(&theta, &mut draw_rng(3, 1));
    for v in &a {
        assert!(b.iter().any(|w| w == v), "informative value {v} missing");
    }
    assert!(b.iter().all(|v| v.is_finite()));
}

#[test]
fn two_moons_reference_posterior_matches_the_likelihood_on_a_grid() {
    let task = TwoMoons::new().unwrap();
    let x = [-0.6396706, 0.16234657]; // sbibm's observation 1
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let draws = task.reference_posterior(&x, 40_000, &mut rng).unwrap();
    let n = draws.len() / 2;
    // moments that see both modes: E θ₀, E θ₁, E |θ₀ + θ₁|, E (θ₁ − θ₀)², by sampling and on a grid
    let stats = |t0: f64, t1: f64| [t0, t1, (t0 + t1).abs(), (t1 - t0).powi(2)];
    let mut sampled = [0.0; 4];
    for d in draws.chunks(2) {
        for (s, v) in sampled.iter_mut().zip(stats(d[0], d[1])) {
            *s += v / n as f64;
        }
    }
    let (m, h) = (1000usize, 2.0 / 1000.0);
    let (mut grid, mut total) = ([0.0; 4], 0.0);
    for i in 0..m {
        for j in 0..m {
            let t = [-1.0 + (i as f64 + 0.5) * h, -1.0 + (j as f64 + 0.5) * h];
            let w = task.log_likelihood(&t, &x).unwrap().exp();
            total += w;
            for (g, v) in grid.iter_mut().zip(stats(t[0], t[1])) {
                *g += w * v;
            }
        }
    }
    for k in 0..4 {
        let g = grid[k] / total;
        assert!(
            (sampled[k] - g).abs() < 0.01,
            "statistic {k}: sampled {} vs grid {g}",
            sampled[k]
        );
    }
}

#[test]
fn simulating_for_given_parameters_matches_the_task_and_checks_shapes() {
    let task = TwoMoons::new().unwrap();
    let simulator = task.clone().simulator();
    let theta = ndarray::array![[0.1, -0.2], [0.3, 0.0], [-0.5, 0.5]];
    let mut params = abi_sim::Batch::new();
    params.insert("theta", theta.clone().into_dyn()).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let sims = simulator.inner().simulate_given(&params, &mut rng).unwrap();
    assert_eq!(sims.f64("theta").unwrap(), &theta.clone().into_dyn());
    let x = sims.f64("x").unwrap();
    assert_eq!(x.shape(), &[3, 2]);
    // row i is the task's simulation on stream i of the batch seed
    let seed = rand::RngCore::next_u64(&mut rand_chacha::ChaCha8Rng::seed_from_u64(3));
    for i in 0..3 {
        let expected = task.simulate(&theta.row(i).to_vec(), &mut draw_rng(seed, i as u64));
        assert_eq!(
            x.index_axis(ndarray::Axis(0), i)
                .iter()
                .copied()
                .collect::<Vec<f64>>(),
            expected
        );
    }
    let mut wrong = abi_sim::Batch::new();
    wrong
        .insert("theta", ndarray::Array2::<f64>::zeros((2, 3)).into_dyn())
        .unwrap();
    let e = simulator
        .inner()
        .simulate_given(&wrong, &mut rng)
        .unwrap_err();
    assert!(e.to_string().contains("(rows, 2)"), "{e}");
}
