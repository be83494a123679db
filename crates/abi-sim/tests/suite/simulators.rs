//! Composed and vectorised simulators: context, determinism, non-finite policy, pilot runs,
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design
//! model comparison.

use abi_sim::{
    Array, Batch, Checked, ModelComparisonSimulator, NonFinitePolicy, SimError, Simulator, Vars,
    make_simulator, make_vectorized, pilot_run, simulate,
};
use ndarray::{ArrayD, IxDyn};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

fn gaussian_model() -> abi_sim::ComposedSimulator {
    make_simulator()
        .meta(|rng| Ok(Vars::new().with("n", rng.random_range(3..=12) as f64)))
        .then("prior", |_, rng| {
            Ok(Vars::new()
                .with("mu", Normal::new(0.0, 1.0)?.sample(rng))
                .with("sigma", rng.random_range(0.5..2.0)))
        })
        .then("likelihood", |v, rng| {
            let (mu, sigma, n) = (v.scalar("mu")?, v.scalar("sigma")?, v.count("n")?);
            let noise = Normal::new(0.0, sigma)?;
            Ok(Vars::new().with(
                "x",
                (0..n).map(|_| mu + noise.sample(rng)).collect::<Vec<_>>(),
            ))
        })
}

#[test]
fn meta_function_varies_shapes_between_batches() {
    let sim = gaussian_model();
    let mut r = rng(0);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let b = sim.sample(16, &mut r).unwrap();
        let n = b.f64("n").unwrap()[[0]] as usize;
        assert!(
            b.f64("n").unwrap().iter().all(|&v| v as usize == n),
            "n is per batch"
        );
        assert_eq!(b.get("x").unwrap().shape(), &[16, n]);
        assert_eq!(b.get("mu").unwrap().shape(), &[16]);
        seen.insert(n);
    }
    assert!(seen.len() > 3, "n took only the values {seen:?}");
    let report = pilot_run(&sim, &mut r).unwrap();
    let text = report.to_string();
    assert!(
        text.contains("mu") && text.contains("sigma") && text.contains("x"),
        "{text}"
    );
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let run = |threads: usize| -> Batch {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let task = abi_sim::benchmarks::Sir::new().unwrap();
            let sir = abi_sim::benchmarks::BenchmarkTask::simulator(task);
            let mut r = rng(5);
            let mut parts = vec![gaussian_model().sample(64, &mut r).unwrap()];
            let b = sir.sample(64, &mut r).unwrap();
            parts.push(b);
            let mut out = Batch::new();
            for (i, p) in parts.into_iter().enumerate() {
                for (name, a) in p.iter() {
                    out.insert(format!("{i}.{name}"), a.clone()).unwrap();
                }
            }
            out
        })
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one, two);
    // and serial composition agrees with parallel
    let mut r1 = rng(9);
    let mut r2 = rng(9);
    let a = gaussian_model()
        .parallel(false)
        .sample(32, &mut r1)
        .unwrap();
    let b = gaussian_model().sample(32, &mut r2).unwrap();
    assert_eq!(a, b);
}

#[test]
fn shape_errors_name_the_entry_and_draw() {
    let sim = make_simulator().then("ragged", |_, rng| {
        let n = if rng.random::<f64>() < 0.5 { 2 } else { 3 };
        Ok(Vars::new().with("x", vec![0.0; n]))
    });
    let e = sim.sample(50, &mut rng(1)).unwrap_err();
    assert!(
        matches!(e, SimError::Shape { ref name, .. } if name == "x"),
        "{e}"
    );
    assert!(e.to_string().contains("draw"), "{e}");
    // a user function's error carries the function's name and the draw
    let failing = make_simulator().then("likelihood", |v, _| {
        Ok(Vars::new().with("y", v.scalar("missing")?))
    });
    let e = failing.sample(4, &mut rng(1)).unwrap_err().to_string();
    assert!(e.contains("likelihood") && e.contains("missing"), "{e}");
    // a name set twice is an error
    let dup = make_simulator()
        .then("a", |_, _| Ok(Vars::new().with("z", 1.0)))
        .then("b", |_, _| Ok(Vars::new().with("z", 2.0)));
    assert!(matches!(
        dup.sample(2, &mut rng(1)),
        Err(SimError::Duplicate(_))
    ));
}

fn sometimes_nan() -> abi_sim::ComposedSimulator {
    make_simulator()
        .then("prior", |_, rng| {
            Ok(Vars::new().with("theta", rng.random::<f64>()))
        })
        .then("likelihood", |v, _| {
            let t = v.scalar("theta")?;
            Ok(Vars::new().with("x", if t < 0.2 { f64::NAN } else { t }))
        })
}

#[test]
fn non_finite_policy() {
    // default: an error naming entry, row and value
    let e = sometimes_nan().sample(64, &mut rng(2)).unwrap_err();
    match e {
        SimError::NonFinite {
            ref name,
            row,
            value,
        } => {
            assert_eq!(name, "x");
            assert!(row < 64 && value.is_nan());
        }
        other => panic!("expected a non-finite error, got {other}"),
    }
    // drop: a full, finite batch and a count of what was dropped
    let checked = Checked::new(sometimes_nan().allow_non_finite(), NonFinitePolicy::Drop);
    let b = checked.sample(200, &mut rng(2)).unwrap();
    assert_eq!(b.batch_size(), Some(200));
    assert!(b.f64("x").unwrap().iter().all(|v| v.is_finite()));
    let dropped = checked.dropped();
    assert!(
        (20..=80).contains(&dropped),
        "dropped {dropped} of about 50 expected"
    );
    // allow: passes NaN through, for callers that check later
    let allow = Checked::new(sometimes_nan().allow_non_finite(), NonFinitePolicy::Allow);
    let b = allow.sample(200, &mut rng(2)).unwrap();
    assert!(b.f64("x").unwrap().iter().any(|v| v.is_nan()));
}

#[test]
fn vectorised_simulators_are_checked() {
    let good = make_vectorized(|n, rng| {
        let mut b = Batch::new();
        let v: Vec<f64> = (0..n).map(|_| rng.random()).collect();
        b.insert("u", ArrayD::from_shape_vec(IxDyn(&[n]), v).unwrap())?;
        Ok(b)
    });
    assert_eq!(
        simulate(&good, 1000, 128, &mut rng(3), false)
            .unwrap()
            .batch_size(),
        Some(1000)
    );
    let short = make_vectorized(|n, _| {
        let mut b = Batch::new();
        b.insert("u", ArrayD::<f64>::zeros(IxDyn(&[n - 1])))?;
        Ok(b)
    });
    assert!(matches!(
        short.sample(8, &mut rng(3)),
        Err(SimError::BatchSize {
            expected: 8,
            got: 7,
            ..
        })
    ));
}

#[test]
fn model_comparison_labels_rows_and_follows_the_prior() {
    let constant = |value: f64| -> Box<dyn Simulator> {
        Box::new(make_vectorized(move |n, _| {
            let mut b = Batch::new();
            b.insert("x", ArrayD::from_elem(IxDyn(&[n, 2]), value))?;
            Ok(b)
        }))
    };
    let sim = ModelComparisonSimulator::with_probabilities(
        vec![constant(0.0), constant(1.0), constant(2.0)],
        vec![0.2, 0.3, 0.5],
    )
    .unwrap();
    let b = sim.sample(4000, &mut rng(4)).unwrap();
    let Array::I64(idx) = b.get("model_indices").unwrap() else {
        panic!("indices are i64")
    };
    let x = b.f64("x").unwrap();
    let one_hot = b.f64("model").unwrap();
    let mut counts = [0usize; 3];
    for (i, &m) in idx.iter().enumerate() {
        counts[m as usize] += 1;
        // each row came from the model it is labelled with
        assert_eq!(x[[i, 0]], m as f64);
        assert_eq!(one_hot[[i, m as usize]], 1.0);
        assert_eq!((0..3).map(|k| one_hot[[i, k]]).sum::<f64>(), 1.0);
    }
    for (k, p) in [0.2, 0.3, 0.5].iter().enumerate() {
        let f = counts[k] as f64 / 4000.0;
        assert!((f - p).abs() < 0.03, "model {k}: frequency {f} vs {p}");
    }
    // keys only some models produce are an error unless dropped on purpose
    let extra: Box<dyn Simulator> = Box::new(make_vectorized(|n, _| {
        let mut b = Batch::new();
        b.insert("x", ArrayD::<f64>::zeros(IxDyn(&[n, 2])))?;
        b.insert("extra", ArrayD::<f64>::zeros(IxDyn(&[n])))?;
        Ok(b)
    }));
    let mixed = ModelComparisonSimulator::new(vec![constant(0.0), extra]).unwrap();
    let e = mixed.sample(64, &mut rng(4)).unwrap_err().to_string();
    assert!(e.contains("extra"), "{e}");
}

#[test]
fn batches_check_rows_names_and_types() {
    let mut b = Batch::new();
    b.insert("a", ArrayD::<f64>::zeros(IxDyn(&[4, 2]))).unwrap();
    assert!(matches!(
        b.insert("a", ArrayD::<f64>::zeros(IxDyn(&[4]))),
        Err(SimError::Duplicate(_))
    ));
    assert!(matches!(
        b.insert("b", ArrayD::<f64>::zeros(IxDyn(&[5]))),
        Err(SimError::BatchSize {
            expected: 4,
            got: 5,
            ..
        })
    ));
    b.insert("k", ArrayD::<i64>::zeros(IxDyn(&[4]))).unwrap();
    assert!(matches!(b.f64("k"), Err(SimError::DType { .. })));
    let e = b.get("nope").unwrap_err().to_string();
    assert!(e.contains("nope") && e.contains("\"a\""), "{e}");
    let s = b.slice(1, 3).unwrap();
    assert_eq!(s.batch_size(), Some(2));
    let c = Batch::concat(&[b.clone(), s]).unwrap();
    assert_eq!(c.batch_size(), Some(6));
    assert!(b.slice(2, 9).is_err());
    assert!(b.summary().contains("i64"));
}

#[test]
fn ragged_draws_are_padded_with_a_mask() {
    use abi_sim::models::{GaussianMeans, SetSize};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let model = GaussianMeans::new(3, SetSize::PerDataSet(2, 9)).unwrap();
    let batch = model.simulator().sample(16, &mut rng).unwrap();
    let x = batch.f64("x").unwrap();
    let mask = batch.f64("mask_x").unwrap();
    let n = batch.f64("n").unwrap();
    let longest = x.shape()[1];
    assert_eq!(mask.shape(), &[16, longest]);
    for s in 0..16 {
        let real = n[[s, 0]] as usize;
        assert!((2..=9).contains(&real));
        for i in 0..longest {
            let m = mask[[s, i]];
            assert_eq!(m, if i < real { 1.0 } else { 0.0 });
            if i >= real {
                assert!((0..3).all(|j| x[[s, i, j]] == 0.0), "padding is zero");
            }
        }
    }
    // per batch: one size per batch, no mask
    let model = GaussianMeans::new(3, SetSize::PerBatch(2, 9)).unwrap();
    let batch = model.simulator().sample(8, &mut rng).unwrap();
    assert!(!batch.contains("mask_x"));
    let n = batch.f64("n").unwrap();
    assert!(n.iter().all(|&v| v == n[[0, 0]]));
    assert_eq!(batch.get("x").unwrap().shape()[1], n[[0, 0]] as usize);
    // the composed simulator pads what it is told to, and expands scalars on request
    let sim = abi_sim::make_simulator()
        .then("draw", |_, rng| {
            let n = rng.random_range(1..=4usize);
            Ok(abi_sim::Vars::new().with("y", vec![1.0; n]).with("s", 2.0))
        })
        .pad(&["y"])
        .expand_scalars(true);
    let b = sim.sample(10, &mut rng).unwrap();
    assert_eq!(b.get("s").unwrap().shape(), &[10, 1]);
    let (y, m) = (b.f64("y").unwrap(), b.f64("mask_y").unwrap());
    assert_eq!(y.shape()[..2], m.shape()[..]);
    assert_eq!(y.sum(), m.sum(), "padding adds nothing");
}

#[test]
fn the_gaussian_means_posterior_is_the_conjugate_one() {
    use abi_sim::models::{GaussianMeans, SetSize};
    let model = GaussianMeans::new(2, SetSize::Fixed(3)).unwrap();
    let x = ndarray::arr2(&[[1.0, 2.0], [3.0, 0.0], [2.0, 1.0]]);
    let (mean, var) = model.posterior(x.view()).unwrap();
    assert_eq!(mean, vec![1.5, 0.75]);
    assert_eq!(var, 0.25);
    assert!(model.posterior(ndarray::arr2(&[[1.0]]).view()).is_err());
    assert!(GaussianMeans::new(0, SetSize::Fixed(3)).is_err());
    assert!(GaussianMeans::new(2, SetSize::PerBatch(5, 4)).is_err());
}

#[test]
fn simulating_for_given_parameters_replaces_their_draws() {
    let sim = gaussian_model();
    let mut given = abi_sim::Batch::new();
    let mu = ndarray::array![10.0, -10.0, 0.0, 3.0];
    given.insert("mu", mu.clone().into_dyn()).unwrap();
    let out = sim.sample_given(&given, &mut rng(4)).unwrap();
    assert_eq!(out.f64("mu").unwrap(), &mu.clone().into_dyn());
    // sigma is still drawn by the prior, and x follows the given means
    let sigma = out.f64("sigma").unwrap();
    assert!(sigma.iter().all(|s| (0.5..2.0).contains(s)));
    let x = out.f64("x").unwrap();
    let n = out.f64("n").unwrap()[[0]] as usize;
    assert_eq!(x.shape(), &[4, n]);
    for i in 0..4 {
        let mean = x.index_axis(ndarray::Axis(0), i).mean().unwrap();
        assert!(
            (mean - mu[i]).abs() < 4.0 * 2.0 / (n as f64).sqrt(),
            "row {i}: {mean}"
        );
    }
    // deterministic, and the same as sampling when nothing is given for a draw's values
    assert_eq!(sim.sample_given(&given, &mut rng(4)).unwrap(), out);
    let e = sim
        .sample_given(&abi_sim::Batch::new(), &mut rng(4))
        .unwrap_err();
    assert!(e.to_string().contains("no rows"), "{e}");
}

#[test]
fn a_panicking_simulation_function_is_an_error_naming_it_and_the_draw() {
    let sim = make_simulator()
        .then("prior", |_, rng| {
            Ok(Vars::new().with("mu", rng.random::<f64>()))
        })
        .then("likelihood", |v, _| {
            let mu = v.scalar("mu")?;
            let data: Vec<f64> = vec![mu];
            // a user's bug: an index past the end
            Ok(Vars::new().with("x", data[usize::from(mu > 2.0) + 1]))
        })
        .parallel(false);
    match simulate(&sim, 4, 4, &mut rng(0), false) {
        Err(SimError::Function {
            function,
            draw,
            reason,
        }) => {
            assert_eq!((function.as_str(), draw), ("likelihood", 0));
            assert!(
                reason.starts_with("panicked: index out of bounds"),
                "{reason}"
            );
        }
        other => panic!("expected a function error, got {other:?}"),
    }
    let vectorized = make_vectorized(|_, _| -> abi_sim::Result<Batch> { panic!("no batch") });
    let err = vectorized.sample(3, &mut rng(1)).unwrap_err().to_string();
    assert!(err.contains("panicked: no batch"), "{err}");
}

#[test]
fn simulating_more_draws_than_arrays_can_hold_is_an_error_before_they_are_drawn() {
    let sim = make_simulator()
        .then("x", |_, rng| {
            Ok(Vars::new().with("x", vec![rng.random::<f64>(); 8]))
        })
        .parallel(false);
    let err = simulate(&sim, 1 << 40, 1, &mut rng(0), false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("1099511627776 draws of `x`") && err.contains("abi simulate"),
        "{err}"
    );
    assert_eq!(
        simulate(&sim, 5, 2, &mut rng(0), false)
            .unwrap()
            .batch_size(),
        Some(5)
    );
}
